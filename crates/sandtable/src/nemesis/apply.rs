//! Carrying out a schedule on a running simulation.

use std::time::Duration;

use super::generate::TargetHook;
use super::schedule::{Fault, Schedule};
use crate::disk::CrashBehavior;
use crate::handle::Handle;
use crate::net::LinkConfig;
use crate::node::{NodeId, NodeState};

/// A schedule that does not fit the simulation it is applied to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NemesisError {
    /// The schedule names a node the simulation does not have.
    #[error("fault schedule event #{index} at {at:?} names node {name:?}, which this simulation does not have (nodes: {known})")]
    UnknownNode {
        /// Index of the event.
        index: usize,
        /// Its time.
        at: Duration,
        /// The unknown name.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// The schedule names a target hook that was not registered.
    #[error("fault schedule event #{index} uses target hook {hook:?}, which is not registered (register it with Nemesis::isolate_target / crash_target)")]
    UnknownHook {
        /// Index of the event.
        index: usize,
        /// The hook's name.
        hook: String,
    },
}

fn names_in(f: &Fault) -> Vec<&str> {
    match f {
        Fault::Partition { cut, .. } => cut
            .iter()
            .flat_map(|(a, b)| [a.as_str(), b.as_str()])
            .collect(),
        Fault::Crash { node }
        | Fault::CrashWipe { node }
        | Fault::CrashDuringIo { node }
        | Fault::Restart { node }
        | Fault::Pause { node }
        | Fault::Resume { node }
        | Fault::ClockStep { node, .. }
        | Fault::ClockDrift { node, .. } => vec![node],
        Fault::LinkDegrade { from, to, .. } | Fault::LinkRestore { from, to } => vec![from, to],
        Fault::HealAll
        | Fault::RecoverAll
        | Fault::IsolateTarget { .. }
        | Fault::CrashTarget { .. } => vec![],
    }
}

impl Handle {
    /// Registers a protocol-aware target hook under `name` (used by `IsolateTarget` and
    /// `CrashTarget` events).
    pub fn register_target(&self, name: &str, hook: TargetHook) {
        self.world.hooks.borrow_mut().insert(name.to_string(), hook);
    }

    /// Schedules every event of `schedule` (times are from the start of the run). Checks
    /// first that every node and hook it names exists.
    pub fn apply_schedule(&self, schedule: &Schedule) -> Result<(), NemesisError> {
        self.validate(schedule)?;
        let now = self.world.now.get();
        for e in &schedule.events {
            let fault = e.fault.clone();
            self.schedule(
                Duration::from_nanos(e.at_ns.saturating_sub(now)),
                move |h| h.inject(&fault),
            );
        }
        let mut log = self.world.fault_log.borrow_mut();
        log.events.extend(schedule.events.iter().cloned());
        if schedule.mix.is_some() {
            log.mix.clone_from(&schedule.mix);
        }
        Ok(())
    }

    /// The faults scheduled on this run so far (what the harness saves on failure).
    pub fn fault_schedule(&self) -> Schedule {
        self.world.fault_log.borrow().clone()
    }

    fn validate(&self, schedule: &Schedule) -> Result<(), NemesisError> {
        let hooks = self.world.hooks.borrow();
        for (index, e) in schedule.events.iter().enumerate() {
            for name in names_in(&e.fault) {
                if self.lookup(name).is_none() {
                    let known = self
                        .nodes()
                        .into_iter()
                        .map(|n| self.name(n))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(NemesisError::UnknownNode {
                        index,
                        at: Duration::from_nanos(e.at_ns),
                        name: name.to_string(),
                        known,
                    });
                }
            }
            if let Fault::IsolateTarget { hook } | Fault::CrashTarget { hook } = &e.fault {
                if !hooks.contains_key(hook) {
                    return Err(NemesisError::UnknownHook {
                        index,
                        hook: hook.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    fn node_named(&self, name: &str) -> NodeId {
        self.lookup(name)
            .expect("validated when the schedule was applied")
    }

    fn hook_targets(&self, hook: &str) -> Vec<NodeId> {
        let hook = self
            .world
            .hooks
            .borrow()
            .get(hook)
            .cloned()
            .expect("validated");
        hook(self)
    }

    /// Carries out one fault now.
    pub fn inject(&self, fault: &Fault) {
        tracing::info!(target: "sandtable::nemesis", "{fault}");
        let net = self.net();
        match fault {
            Fault::Partition { cut, .. } => {
                for (a, b) in cut {
                    net.cut_one_way(self.node_named(a), self.node_named(b));
                }
            }
            Fault::HealAll => net.heal_all(),
            Fault::Crash { node } => self.crash(self.node_named(node)),
            Fault::CrashWipe { node } => {
                let id = self.node_named(node);
                self.world
                    .control(move |w| w.crash_with(id, Some(CrashBehavior::LoseUnsynced)));
            }
            Fault::CrashDuringIo { node } => {
                let id = self.node_named(node);
                self.world.control(move |w| {
                    let mut nodes = w.nodes.borrow_mut();
                    let n = &mut nodes[id.index()];
                    if n.state != crate::node::NodeState::Crashed {
                        n.disk.crash_on_io = true;
                    }
                });
            }
            Fault::Restart { node } => self.restart(self.node_named(node)),
            Fault::Pause { node } => self.pause(self.node_named(node)),
            Fault::Resume { node } => self.resume(self.node_named(node)),
            Fault::ClockStep { node, delta_ns } => {
                self.step_clock(self.node_named(node), *delta_ns)
            }
            Fault::ClockDrift { node, drift } => {
                self.set_clock_drift(self.node_named(node), *drift)
            }
            Fault::LinkDegrade {
                from,
                to,
                latency_min_ns,
                latency_max_ns,
                loss,
            } => {
                let base = net.link(self.node_named(from), self.node_named(to));
                let cfg = LinkConfig {
                    loss: *loss,
                    ..base
                }
                .latency(
                    Duration::from_nanos(*latency_min_ns),
                    Duration::from_nanos(*latency_max_ns),
                );
                net.set_link(self.node_named(from), self.node_named(to), cfg);
            }
            Fault::LinkRestore { from, to } => {
                net.reset_link(self.node_named(from), self.node_named(to))
            }
            Fault::IsolateTarget { hook } => {
                let targets = self.hook_targets(hook);
                let rest: Vec<NodeId> = self
                    .nodes()
                    .into_iter()
                    .filter(|n| !targets.contains(n))
                    .collect();
                net.partition(&targets, &rest);
            }
            Fault::CrashTarget { hook } => self
                .hook_targets(hook)
                .into_iter()
                .for_each(|n| self.crash(n)),
            Fault::RecoverAll => self.recover_all(),
        }
    }

    /// Heals every link, resumes paused nodes, restarts crashed ones (not clients), disarms
    /// [`Fault::CrashDuringIo`] traps that have not fired and zeroes
    /// every clock drift.
    pub fn recover_all(&self) {
        self.net().heal_all();
        for node in self.nodes() {
            match self.state(node) {
                NodeState::Paused => self.resume(node),
                NodeState::Crashed if self.world.nodes.borrow()[node.index()].init.is_some() => {
                    self.restart(node)
                }
                _ => {}
            }
            if self.clock_drift(node) != 0.0 {
                self.set_clock_drift(node, 0.0);
            }
        }
        // Disarm crash-during-I/O traps that have not fired.
        self.world.control(|w| {
            for n in w.nodes.borrow_mut().iter_mut() {
                n.disk.crash_on_io = false;
            }
        });
    }
}
