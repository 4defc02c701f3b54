//! The simulation test of the cluster: nodes, clients, the full nemesis, the safety invariants
//! checked at every step, liveness after the heal, and the history checked for
//! linearizability. Used by the tests, the sweeps and the README's demo.

use std::time::Duration;

use sandtable::lin::{self, models, Recorder};
use sandtable::nemesis::Nemesis;
use sandtable::{BoxError, Progress, Sim};

use crate::bug::Bug;
use crate::invariants::{ClusterChecker, SETTLE};
use crate::node::{self, NodeConfig, Peer};
use crate::settings::Settings;
use crate::workload::ClientLoop;

/// What caught a failing run, from its message: the invariant's name, or `checker` for a
/// history that is not linearizable, or `other`.
pub fn caught_by(message: &str) -> String {
    if let Some(rest) = message.split("invariant `").nth(1) {
        if let Some(name) = rest.split('`').next() {
            return name.to_string();
        }
    }
    if message.contains("not linearizable") {
        return "checker".to_string();
    }
    "other".to_string()
}

/// A seed's poll budget for sweeps ([`sandtable::SimBuilder::max_polls`]): a default seed
/// polls 42k–63k tasks (seeds 0..20), so 5 M is about 100× that. A bug that makes nodes resend
/// without pause (a follower's conflict hint past its log's end, say) fails as a runaway in a
/// few seconds instead of running for a minute.
pub const POLL_BUDGET: u64 = 1_000_000;

/// The port every node listens on.
pub const PORT: u16 = 7000;

/// One simulated run's shape.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Scenario {
    /// Cluster size.
    pub nodes: usize,
    /// Client loops.
    pub clients: usize,
    /// How long the nemesis injects faults; then everything heals.
    pub faults_for: Duration,
    /// After the heal, every client must complete an operation within this.
    pub liveness_within: Duration,
    /// The nodes' settings (and planted bug).
    pub settings: Settings,
    /// Swarm testing: each seed draws its own fault mix ([`Nemesis::swarm`]).
    pub swarm: bool,
    /// Probability that a node's disk fails a sync (an I/O error the node must survive).
    pub sync_errors: f64,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            nodes: 5,
            clients: 4,
            faults_for: Duration::from_secs(60),
            liveness_within: Duration::from_secs(10),
            settings: Settings::default(),
            swarm: false,
            sync_errors: 0.0,
        }
    }
}

/// What a passing run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Operations in the history.
    pub operations: usize,
    /// Highest index committed.
    pub committed: u64,
    /// Probe events checked.
    pub events: u64,
    /// Batches a node could not make durable (a failed write or sync).
    pub persist_failures: u64,
}

impl Scenario {
    /// This scenario with `bug` planted in every node.
    pub fn with_bug(mut self, bug: Bug) -> Self {
        self.settings.bug = bug;
        self
    }

    /// This scenario with swarm testing on or off.
    pub fn swarm(mut self, on: bool) -> Self {
        self.swarm = on;
        self
    }

    /// This scenario with disks that fail a sync with probability `p` (`0 <= p <= 1`).
    pub fn sync_errors(mut self, p: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "sync error probability {p} not in 0..=1"
        );
        self.sync_errors = p;
        self
    }

    /// This scenario with faults for `d`.
    pub fn faults_for(mut self, d: Duration) -> Self {
        self.faults_for = d;
        self
    }

    /// This scenario with `n` nodes and `c` clients.
    pub fn size(mut self, n: usize, c: usize) -> Self {
        assert!(n >= 1 && c >= 1, "a cluster needs a node and a client");
        self.nodes = n;
        self.clients = c;
        self
    }

    /// This scenario with these node settings (keeping the bug already chosen).
    pub fn settings(mut self, settings: Settings) -> Self {
        let bug = self.settings.bug;
        self.settings = settings.with_bug(bug);
        self
    }

    /// The nemesis: every partition shape, one-way cuts, crashes (also in the middle of a disk
    /// write or sync), pauses, clock steps and drift, and the current leader crashed or cut
    /// off (protocol-aware, from `checker`'s view of the cluster); then a final heal.
    pub fn nemesis(&self, checker: &ClusterChecker) -> Nemesis {
        let names = self.node_names();
        let leader = {
            let checker = checker.clone();
            move |h: &sandtable::Handle| -> Vec<sandtable::NodeId> {
                checker
                    .latest_leader()
                    .and_then(|i| h.lookup(&names[i]))
                    .into_iter()
                    .collect()
            }
        };
        Nemesis::new()
            .crash_target("leader", leader.clone())
            .isolate_target("leader", leader)
            .partitions()
            .one_way_cuts()
            .crashes()
            .crashes_during_io()
            .pauses()
            .clock_skew(Duration::from_millis(500))
            .clock_drift(0.05)
            .interval(Duration::from_millis(200), Duration::from_secs(2))
            .fault_duration(Duration::from_millis(300), Duration::from_secs(4))
            .concurrency(2)
            .swarm(self.swarm)
            .final_heal(Duration::ZERO)
    }

    /// Node names `n0, n1, ...`.
    pub fn node_names(&self) -> Vec<String> {
        (0..self.nodes).map(|i| format!("n{i}")).collect()
    }

    /// Builds the run on `sim`, runs it, and checks it: `Err` on a violated invariant (at the
    /// step that broke it), a stalled cluster, or a non-linearizable history.
    pub fn run(&self, sim: &Sim) -> Result<RunReport, BoxError> {
        self.simulate(sim)?.check()
    }

    /// The simulation part of [`Scenario::run`]: `Err` on a violated invariant or a stalled
    /// cluster; the history is checked by [`Simulated::check`].
    pub fn simulate(&self, sim: &Sim) -> Result<Simulated, BoxError> {
        let names = self.node_names();
        let checker = ClusterChecker::new(&names);
        for me in 0..self.nodes {
            let config = NodeConfig {
                me,
                nodes: Peer::all_on(&names, PORT),
                settings: self.settings.clone(),
                probe: checker.probe(),
            };
            let id = sim.add_node(names[me].clone(), move || {
                let config = config.clone();
                async move {
                    if let Err(e) = node::run(config).await {
                        tracing::warn!("node stopped: {e}");
                    }
                }
            });
            if self.sync_errors > 0.0 {
                let disk = sandtable::disk::DiskConfig::default().sync_errors(self.sync_errors);
                sim.handle().set_disk_config(id, disk);
            }
        }
        let history = Recorder::new();
        sim.attach_history(&history);
        let progress = Progress::new();
        let until = self.faults_for + self.liveness_within + Duration::from_secs(1);
        for c in 0..self.clients as u64 {
            progress.expect(format!("client{c}"));
            let client = ClientLoop {
                index: c,
                first_session: 1,
                stride: self.clients as u64,
                nodes: Peer::all_on(&names, PORT),
                history: history.clone(),
                until,
                progress: progress.clone(),
            };
            sim.client(format!("c{c}"), client.run());
        }
        sim.nemesis(&self.nemesis(&checker), self.faults_for)?;
        sim.require_progress(&progress, self.faults_for, self.liveness_within);
        checker.require_stable_leader_after(self.faults_for + SETTLE);
        sim.run()?;
        Ok(Simulated { history, checker })
    }
}

/// A run whose invariants held, before its history is checked.
pub struct Simulated {
    history: Recorder,
    checker: ClusterChecker,
}

impl Simulated {
    /// Checks the history for linearizability (the `kv` model).
    pub fn check(self) -> Result<RunReport, BoxError> {
        let h = self.history.history();
        lin::linearizable(&h, &models::Kv)?;
        Ok(RunReport {
            operations: h.len(),
            committed: self.checker.committed_index(),
            events: self.checker.events(),
            persist_failures: self.checker.persist_failures(),
        })
    }
}
