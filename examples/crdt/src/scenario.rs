//! The simulation test: replicas gossiping over a lossy network, clients sending operations,
//! the nemesis (partitions, one-way cuts, crashes — also in the middle of a disk write —,
//! pauses, clock steps and drift, degraded links), a final heal, a settle period, then every
//! replica's state read and checked for convergence.

use std::time::Duration;

use sandtable::nemesis::Nemesis;
use sandtable::net::LinkConfig;
use sandtable::{BoxError, Sim};

use crate::bug::Bug;
use crate::check::{self, Histories, Verdicts};
use crate::node::{self, NodeConfig};
use crate::workload::{self, ClientLoop};

/// The port every replica listens on.
pub const PORT: u16 = 7000;

/// One simulated run's shape.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Scenario {
    /// Replicas.
    pub nodes: usize,
    /// Client loops.
    pub clients: usize,
    /// How long clients send operations and the nemesis injects faults; then all heals.
    pub faults_for: Duration,
    /// Calm after the heal before the final read: gossip must converge within it.
    pub settle: Duration,
    /// Time between a replica's gossip rounds.
    pub gossip_interval: Duration,
    /// Probability that any message is lost (besides the nemesis's faults).
    pub loss: f64,
    /// Largest clock step the nemesis makes (zero: no clock faults at all).
    pub clock_skew: Duration,
    /// Fail the run on a lost register write (off: it is reported in the verdicts).
    pub strict_register: bool,
    /// The planted bug.
    pub bug: Bug,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            nodes: 5,
            clients: 3,
            faults_for: Duration::from_secs(10),
            settle: Duration::from_secs(3),
            gossip_interval: Duration::from_millis(100),
            loss: 0.05,
            clock_skew: Duration::from_millis(500),
            strict_register: false,
            bug: Bug::None,
        }
    }
}

/// What a run did and what the checks found.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Operations acknowledged.
    pub acknowledged: usize,
    /// Operations left unanswered.
    pub unknown: usize,
    /// The checks' findings.
    pub verdicts: Verdicts,
}

impl Scenario {
    /// This scenario with `bug` planted in every replica.
    pub fn with_bug(mut self, bug: Bug) -> Self {
        self.bug = bug;
        self
    }

    /// This scenario with clock steps of up to `max` (zero: none, and no drift either).
    pub fn clock_skew(mut self, max: Duration) -> Self {
        self.clock_skew = max;
        self
    }

    /// This scenario failing on a lost register write.
    pub fn strict_register(mut self, on: bool) -> Self {
        self.strict_register = on;
        self
    }

    /// This scenario with faults (and client operations) for `d`.
    pub fn faults_for(mut self, d: Duration) -> Self {
        self.faults_for = d;
        self
    }

    /// Replica names `n0, n1, ...`.
    pub fn node_names(&self) -> Vec<String> {
        (0..self.nodes).map(|i| format!("n{i}")).collect()
    }

    /// The nemesis: every partition shape, one-way cuts, crashes (also during a disk write or
    /// sync), pauses, degraded links, and — unless `clock_skew` is zero — clock steps and
    /// drift; two fault streams at once; then a final heal.
    pub fn nemesis(&self) -> Nemesis {
        let mut n = Nemesis::new()
            .partitions()
            .one_way_cuts()
            .crashes()
            .crashes_during_io()
            .pauses()
            .link_faults();
        if !self.clock_skew.is_zero() {
            n = n.clock_skew(self.clock_skew).clock_drift(0.05);
        }
        n.interval(Duration::from_millis(200), Duration::from_secs(1))
            .fault_duration(Duration::from_millis(300), Duration::from_secs(3))
            .concurrency(2)
            .final_heal(Duration::ZERO)
    }

    /// Adds the replicas to `sim` over links that lose `loss` of their messages; returns
    /// their names.
    pub fn add_replicas(&self, sim: &Sim) -> Vec<String> {
        let names = self.node_names();
        sim.net()
            .set_default_link(LinkConfig::default().loss(self.loss));
        for me in 0..self.nodes {
            let config = NodeConfig {
                me: me as u32,
                nodes: names.clone(),
                port: PORT,
                gossip_interval: self.gossip_interval,
                bug: self.bug,
            };
            sim.add_node(names[me].clone(), move || {
                let config = config.clone();
                async move {
                    if let Err(e) = node::run(config).await {
                        tracing::warn!("replica stopped: {e}");
                    }
                }
            });
        }
        names
    }

    /// Builds the run on `sim`, runs it, and checks it: `Err` when replicas differ after the
    /// settle period or a value breaks its type's rule (or, with `strict_register`, a write
    /// is lost).
    pub fn run(&self, sim: &Sim) -> Result<RunReport, BoxError> {
        let names = self.add_replicas(sim);
        let clients: Vec<_> = (0..self.clients as u32)
            .map(|index| {
                let client = ClientLoop {
                    index,
                    nodes: names.clone(),
                    port: PORT,
                    until: self.faults_for,
                };
                sim.client(format!("c{index}"), client.run())
            })
            .collect();
        let read_at = self.faults_for + self.settle;
        let reader = sim.client("reader", {
            let names = names.clone();
            async move {
                sandtable::time::sleep(read_at).await;
                workload::read_all(&names, PORT, Duration::from_secs(2)).await
            }
        });
        sim.nemesis(&self.nemesis(), self.faults_for)?;
        sim.run()?;
        let mut records = Vec::new();
        for c in &clients {
            records.extend(c.output().ok_or("a client did not finish")??);
        }
        let states = reader
            .output()
            .ok_or("the reader did not finish")??
            .into_iter()
            .map(|(name, s)| {
                s.map(|s| (name.clone(), s))
                    .ok_or(format!("replica {name} never answered the final read"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let verdicts = check::check(&states, &Histories::from_records(&records))?;
        if self.strict_register {
            verdicts
                .register
                .clone()
                .map_err(|error| check::CheckError {
                    what: "LWW register",
                    error: Box::new(error),
                })?;
        }
        let (acknowledged, unknown) = check::outcomes(&records);
        Ok(RunReport {
            acknowledged,
            unknown,
            verdicts,
        })
    }
}
