//! The simulation test of the cluster (the same shape, nemesis and checks as `openraft-kv`'s):
//! three openraft 0.9 nodes, recorded clients, the nemesis,
//! Raft's invariants checked at every step, liveness after the heal, and the history checked
//! for linearizability.

use std::time::Duration;

use sandtable::lin::{self, models, Recorder};
use sandtable::nemesis::Nemesis;
use sandtable::{BoxError, Progress, Sim};

use crate::invariants::Checker;
use crate::log_store::LogBug;
use crate::node::{self, NodeConfig};
use crate::workload::ClientLoop;

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
    /// Purges wait for a durable snapshot (`log_store::PurgeGuard`); off, openraft 0.9's
    /// purge-before-install shows.
    pub guard_purges: bool,
    /// A bug planted in every node's log store (none by default).
    pub log_bug: LogBug,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            nodes: 3,
            clients: 3,
            faults_for: Duration::from_secs(20),
            liveness_within: Duration::from_secs(10),
            guard_purges: true,
            log_bug: LogBug::None,
        }
    }
}

/// What a passing run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Operations in the history.
    pub operations: usize,
    /// Operations that completed `ok`.
    pub ok: usize,
    /// Observations the invariant checker checked.
    pub observations: u64,
    /// Terms that had a leader.
    pub terms_led: usize,
}

impl Scenario {
    /// This scenario with faults for `d`.
    pub fn faults_for(mut self, d: Duration) -> Self {
        self.faults_for = d;
        self
    }

    /// This scenario with purges guarded or not.
    pub fn guard_purges(mut self, on: bool) -> Self {
        self.guard_purges = on;
        self
    }

    /// This scenario with `bug` planted in the log stores.
    pub fn log_bug(mut self, bug: LogBug) -> Self {
        self.log_bug = bug;
        self
    }

    /// The nemesis: partitions of every shape, one-way cuts, crashes (also in the middle of a
    /// disk write or sync), pauses, clock steps and drift; then a final heal.
    pub fn nemesis(&self) -> Nemesis {
        Nemesis::new()
            .partitions()
            .one_way_cuts()
            .crashes()
            .crashes_during_io()
            .pauses()
            .clock_skew(Duration::from_millis(500))
            .clock_drift(0.02)
            .interval(Duration::from_millis(300), Duration::from_secs(2))
            .fault_duration(Duration::from_millis(300), Duration::from_secs(3))
            .concurrency(2)
            .final_heal(Duration::ZERO)
    }

    /// Node names `n0, n1, ...` (node id = index).
    pub fn node_names(&self) -> Vec<String> {
        (0..self.nodes).map(|i| format!("n{i}")).collect()
    }

    /// Builds the run on `sim`, runs it, and checks it: `Err` on a broken Raft invariant (at
    /// the step that broke it), a stalled cluster, a failed run (a panic in openraft or the
    /// example, a deadlock) or a non-linearizable history.
    pub fn run(&self, sim: &Sim) -> Result<RunReport, BoxError> {
        let names = self.node_names();
        let checker = Checker::new();
        for id in 0..self.nodes {
            let config = NodeConfig {
                id: id as u64,
                names: names.clone(),
                guard_purges: self.guard_purges,
                checker: checker.clone(),
                log_bug: self.log_bug,
            };
            sim.add_node(names[id].clone(), move || {
                let config = config.clone();
                async move {
                    if let Err(e) = node::run(config).await {
                        tracing::warn!("node stopped: {e}");
                    }
                }
            });
        }
        let history = Recorder::new();
        sim.attach_history(&history);
        let progress = Progress::new();
        let until = self.faults_for + self.liveness_within + Duration::from_secs(1);
        for c in 0..self.clients as u64 {
            progress.expect(format!("client{c}"));
            let client = ClientLoop {
                index: c,
                stride: self.clients as u64,
                nodes: names.clone(),
                history: history.clone(),
                until,
                progress: progress.clone(),
            };
            sim.client(format!("c{c}"), client.run());
        }
        sim.nemesis(&self.nemesis(), self.faults_for)?;
        sim.require_progress(&progress, self.faults_for, self.liveness_within);
        sim.run()?;
        let h = history.history();
        lin::linearizable(&h, &models::Kv)?;
        let ok = h
            .ops()
            .iter()
            .filter(|o| o.status == lin::OpStatus::Ok)
            .count();
        Ok(RunReport {
            operations: h.len(),
            ok,
            observations: checker.observations(),
            terms_led: checker.terms_led(),
        })
    }
}
