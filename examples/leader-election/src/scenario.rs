//! The simulation test of the cluster: nodes, clients, the faults (environment and clocks),
//! the leadership invariants checked at every step, liveness after the heal, and the history
//! checked for linearizability. Used by the tests, the sweep and the README.

use std::rc::Rc;
use std::time::Duration;

use sandtable::lin::{self, models, Recorder};
use sandtable::nemesis::TargetHook;
use sandtable::{BoxError, Handle, Progress, Sim};

use crate::faults::{self, ClockFaults};
use crate::invariants::{LeaderChecker, AT_MOST_ONE_LEADER, EPOCHS_INCREASE};
use crate::node::{self, NodeConfig};
use crate::settings::Settings;
use crate::workload::{ClientLoop, READS};

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
    /// How long faults are injected; then everything heals.
    pub faults_for: Duration,
    /// After the heal, every client must complete an operation within this.
    pub liveness_within: Duration,
    /// The nodes' settings (the lease and the drift bound it assumes).
    pub settings: Settings,
    /// How the clocks misbehave.
    pub clocks: ClockFaults,
    /// Whether "at most one leader" is checked at every step (off: only the history's
    /// linearizability stands between a split brain and a pass).
    pub leader_invariant: bool,
    /// Whether the environment's nemesis (partitions, crashes, pauses) runs; off, a test adds
    /// faults of its own between [`Scenario::start`] and [`Run::finish`].
    pub environment: bool,
}

impl Default for Scenario {
    /// Five nodes, three clients, six seconds of faults; clocks drift up to 90% of the bound.
    fn default() -> Self {
        let settings = Settings::default();
        let clocks = ClockFaults::drift(0.9 * settings.drift_bound);
        Scenario {
            nodes: 5,
            clients: 3,
            faults_for: Duration::from_secs(6),
            liveness_within: Duration::from_secs(3),
            settings,
            clocks,
            leader_invariant: true,
            environment: true,
        }
    }
}

/// A run set up on a simulation and not yet run: the place to add faults of one's own.
pub struct Run {
    checker: LeaderChecker,
    history: Recorder,
}

/// What a passing run did.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Operations in the history.
    pub operations: usize,
    /// Elections won.
    pub elections: u64,
    /// Probe events checked.
    pub events: u64,
}

impl Scenario {
    /// Within the assumption: clock drift up to `fraction` of the drift bound (at most 1).
    pub fn within_bound(fraction: f64) -> Scenario {
        assert!(
            (0.0..=1.0).contains(&fraction),
            "within the bound means a fraction of it, got {fraction}"
        );
        let s = Scenario::default();
        let clocks = ClockFaults::drift(fraction * s.settings.drift_bound);
        s.clocks(clocks)
    }

    /// At the assumption's edge: every drift is exactly `±δ`, so a slow leader and fast voters
    /// meet as often as the clocks allow — where a lease with too thin a margin breaks first.
    pub fn worst_case_at_bound() -> Scenario {
        let s = Scenario::default();
        let clocks = ClockFaults::extreme_drift(s.settings.drift_bound);
        s.clocks(clocks)
    }

    /// Beyond the assumption: clock drift up to `drift_max`, more than the bound.
    pub fn drift_beyond_bound(drift_max: f64) -> Scenario {
        Scenario::default().clocks(ClockFaults::drift(drift_max))
    }

    /// Beyond the assumption: clocks drift within the bound but are stepped by up to `step_max`.
    pub fn steps_beyond_bound(step_max: Duration) -> Scenario {
        let s = Scenario::default();
        let clocks = s.clocks.with_steps(step_max);
        s.clocks(clocks)
    }

    /// This scenario with these clock faults.
    pub fn clocks(mut self, clocks: ClockFaults) -> Self {
        self.clocks = clocks;
        self
    }

    /// This scenario with `n` nodes and `c` clients.
    pub fn size(mut self, n: usize, c: usize) -> Self {
        assert!(n >= 1 && c >= 1, "a cluster needs a node and a client");
        self.nodes = n;
        self.clients = c;
        self
    }

    /// This scenario with faults for `d`.
    pub fn faults_for(mut self, d: Duration) -> Self {
        self.faults_for = d;
        self
    }

    /// This scenario without the "at most one leader" invariant.
    pub fn without_leader_invariant(mut self) -> Self {
        self.leader_invariant = false;
        self
    }

    /// This scenario without the environment's faults (the clocks still misbehave).
    pub fn without_environment_faults(mut self) -> Self {
        self.environment = false;
        self
    }

    /// Node names `n0, n1, ...`.
    pub fn node_names(&self) -> Vec<String> {
        (0..self.nodes).map(|i| format!("n{i}")).collect()
    }

    /// Builds the run on `sim`, runs it, and checks it: `Err` on a violated invariant (at the
    /// step that broke it), a stalled cluster, or a non-linearizable history.
    pub fn run(&self, sim: &Sim) -> Result<RunReport, BoxError> {
        self.start(sim)?.finish(sim)
    }

    /// Sets the run up on `sim` — nodes, clients, faults, invariants — without running it.
    pub fn start(&self, sim: &Sim) -> Result<Run, BoxError> {
        let names = self.node_names();
        let checker = LeaderChecker::new(&names);
        let properties: &[&'static str] = if self.leader_invariant {
            &[AT_MOST_ONE_LEADER, EPOCHS_INCREASE]
        } else {
            &[EPOCHS_INCREASE]
        };
        checker.install(sim, properties);
        for me in 0..self.nodes {
            let config = NodeConfig {
                me,
                nodes: names.clone(),
                port: PORT,
                settings: self.settings.clone(),
                probe: checker.probe(),
            };
            sim.add_node(names[me].clone(), move || {
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
            let client = ClientLoop {
                index: c,
                stride: self.clients as u64,
                nodes: names.clone(),
                port: PORT,
                history: history.clone(),
                until,
                progress: progress.clone(),
                reads: if c == 0 { 1.0 } else { READS },
            };
            progress.expect(client.name());
            sim.client(format!("c{c}"), client.run());
        }
        let (leader, leader_names) = (checker.clone(), names.clone());
        let hook: TargetHook = Rc::new(move |h: &Handle| {
            let node = leader.leader().and_then(|i| h.lookup(&leader_names[i]));
            node.into_iter().collect()
        });
        sim.register_target(faults::LEADER, hook.clone());
        let schedule = match &sim.config().replay_schedule {
            Some(saved) => saved.clone(),
            None => {
                let environment = self.environment.then(|| faults::environment(hook));
                faults::schedule(
                    sim.seed(),
                    &names,
                    self.faults_for,
                    environment,
                    self.clocks,
                )
            }
        };
        sim.apply_schedule(&schedule)?;
        sim.require_progress(&progress, self.faults_for, self.liveness_within);
        Ok(Run { checker, history })
    }
}

impl Run {
    /// The leadership checker (it knows who leads).
    pub fn checker(&self) -> &LeaderChecker {
        &self.checker
    }

    /// Runs the simulation until the clients are done, then checks the history.
    pub fn finish(self, sim: &Sim) -> Result<RunReport, BoxError> {
        sim.run()?;
        let h = self.history.history();
        lin::linearizable(&h, &models::Register)?;
        Ok(RunReport {
            operations: h.len(),
            elections: self.checker.elections(),
            events: self.checker.events(),
        })
    }
}
