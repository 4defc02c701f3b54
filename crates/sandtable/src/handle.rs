//! `Handle`: control of a running simulation, usable from the test and from inside tasks
//! (a nemesis is just a task holding a handle).

use std::future::Future;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use crate::context;
use crate::fingerprint::LoggedEvent;
use crate::invariant::Progress;
use crate::net::NetControl;
use crate::node::{NodeId, NodeState};
use crate::task::JoinHandle;
use crate::world::World;

/// A cheap, clonable handle on one simulation. Operations called from inside a task take
/// effect right after that task's current poll, at the same virtual instant.
#[derive(Clone)]
pub struct Handle {
    pub(crate) world: Rc<World>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("seed", &self.world.seed)
            .finish()
    }
}

impl Handle {
    /// The handle of the simulation running on this thread. Panics outside one.
    #[track_caller]
    pub fn current() -> Handle {
        let world = context::current().unwrap_or_else(|| {
            #[cfg(feature = "real")]
            if crate::real::here() {
                panic!(
                    "sandtable: `Handle::current` was called on the real backend: fault injection \
                     (crash, partitions, clocks, the nemesis) needs a simulation; \
                     use `Handle::try_current` to act only in one"
                );
            }
            panic!("sandtable: `Handle::current` was called outside a simulation (no `Sim` is running on this thread)")
        });
        Handle { world }
    }

    /// The handle of the simulation running on this thread, if any.
    pub fn try_current() -> Option<Handle> {
        context::current().map(|world| Handle { world })
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.world.seed
    }

    /// True virtual time since the start of the run.
    pub fn elapsed(&self) -> Duration {
        self.world.now_duration()
    }

    /// The fingerprint so far: a hash of every scheduling decision, timer firing, send,
    /// delivery and drop. Same seed and same code give the same fingerprint.
    pub fn fingerprint(&self) -> u64 {
        self.world.fp.value()
    }

    /// How many events the fingerprint covers.
    pub fn event_count(&self) -> u64 {
        self.world.fp.count()
    }

    /// Tasks polled so far.
    pub fn polls(&self) -> u64 {
        self.world.polls.get()
    }

    /// The recorded event log (when `record_events` was configured), taken out.
    pub fn take_event_log(&self) -> Option<Vec<LoggedEvent>> {
        self.world.fp.take_log()
    }

    /// The network: partitions, link models, counters.
    pub fn net(&self) -> NetControl {
        NetControl {
            world: self.world.clone(),
        }
    }

    /// The node called `name`.
    pub fn lookup(&self, name: &str) -> Option<NodeId> {
        self.world.node_by_name(name)
    }

    /// The name of `node`.
    pub fn name(&self, node: NodeId) -> String {
        self.world.name_of(node).to_string()
    }

    /// Every node, in creation order.
    pub fn nodes(&self) -> Vec<NodeId> {
        (0..self.world.nodes.borrow().len() as u32)
            .map(NodeId)
            .collect()
    }

    /// The node whose task is running, if called from a task.
    pub fn current_node(&self) -> Option<NodeId> {
        self.world.current.get()
    }

    /// Whether `node` is running, paused or crashed.
    pub fn state(&self, node: NodeId) -> NodeState {
        self.world.state_of(node)
    }

    /// How many times `node` was restarted.
    pub fn restarts(&self, node: NodeId) -> u32 {
        self.world.nodes.borrow()[node.index()].restarts
    }

    /// Crashes `node`: its tasks are dropped (destructors run), its sockets closed, its
    /// in-flight inbound messages lost. Its disk and clock survive.
    pub fn crash(&self, node: NodeId) {
        self.world.control(move |w| w.crash_now(node));
    }

    /// Restarts `node`: crashes it if it is up, then runs its init again.
    #[track_caller]
    pub fn restart(&self, node: NodeId) {
        let at = Location::caller();
        self.world.control(move |w| w.restart_now(node, at));
    }

    /// Pauses `node`: its tasks are not polled and its timers do not fire until resumed.
    pub fn pause(&self, node: NodeId) {
        self.world.control(move |w| w.pause_now(node));
    }

    /// Resumes a paused node.
    pub fn resume(&self, node: NodeId) {
        self.world.control(move |w| w.resume_now(node));
    }

    /// Sets the drift of `node`'s clock (0.1 = runs 10% fast) from now on.
    pub fn set_clock_drift(&self, node: NodeId, drift: f64) {
        self.world
            .control(move |w| w.adjust_clock(node, |c, now| c.set_drift(now, drift)));
    }

    /// Steps `node`'s clock by `delta_ns`: forward moves both its monotonic and wall clocks,
    /// backward moves only its wall clock (`SystemTime`), as NTP stepping would.
    pub fn step_clock(&self, node: NodeId, delta_ns: i64) {
        self.world
            .control(move |w| w.adjust_clock(node, |c, now| c.step(now, delta_ns)));
    }

    /// `node`'s wall clock minus true time, in ns.
    pub fn clock_offset(&self, node: NodeId) -> i64 {
        self.world.nodes.borrow()[node.index()]
            .clock
            .offset(self.world.now.get())
    }

    /// Replaces `node`'s disk model (latencies, crash semantics, storage faults).
    pub fn set_disk_config(&self, node: NodeId, config: crate::disk::DiskConfig) {
        self.world.nodes.borrow_mut()[node.index()].disk.config = config;
    }

    /// `node`'s current clock drift.
    pub fn clock_drift(&self, node: NodeId) -> f64 {
        self.world.nodes.borrow()[node.index()].clock.drift()
    }

    /// Spawns a task on `node` (e.g. from the test, before or between runs).
    #[track_caller]
    pub fn spawn_on<F>(&self, node: NodeId, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let at = Location::caller();
        let _enter = context::enter(&self.world);
        self.world.spawn_on(node, at, future)
    }

    /// Runs `action` after `delay` of true virtual time, outside any task.
    pub fn schedule(&self, delay: Duration, action: impl FnOnce(&Handle) + 'static) {
        let at = self
            .world
            .now
            .get()
            .saturating_add(u64::try_from(delay.as_nanos()).unwrap_or(u64::MAX));
        self.world
            .schedule_action(at, Box::new(move |w| action(&Handle { world: w.clone() })));
    }

    /// Registers a cluster-wide invariant: `check` runs after every task poll and every
    /// scheduled action (crash, partition, ...) of the rest of the run, and the first `Err`
    /// fails the run with [`SimError::Invariant`](crate::SimError::Invariant) — naming the
    /// invariant, the virtual time and the node whose step broke it, with the seed. Keep the
    /// check cheap (it runs at every step): let the system under test record what changed and
    /// examine only that.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc, time::Duration};
    /// use sandtable::prelude::*;
    ///
    /// let sim = Sim::new(1);
    /// let leaders = Rc::new(Cell::new(0u32));
    /// let seen = leaders.clone();
    /// sim.invariant("at most one leader", move || match seen.get() {
    ///     0 | 1 => Ok(()),
    ///     n => Err(format!("{n} leaders")),
    /// });
    /// let l = leaders.clone();
    /// sim.add_node("a", move || {
    ///     let l = l.clone();
    ///     async move {
    ///         sleep(Duration::from_secs(1)).await;
    ///         l.set(l.get() + 2); // a bug: two leaders at once
    ///     }
    /// });
    /// let err = sim.run_for(Duration::from_secs(5)).unwrap_err();
    /// assert!(matches!(err, SimError::Invariant { ref name, .. } if name == "at most one leader"));
    /// assert!(err.to_string().contains("2 leaders"));
    /// ```
    pub fn invariant(
        &self,
        name: impl Into<String>,
        check: impl FnMut() -> Result<(), String> + 'static,
    ) {
        self.world.invariants.add(name.into(), Box::new(check));
    }

    /// Fails the run now with a violation of the invariant `name` (for a probe that detects a
    /// violation where it happens). The run stops at its next step with
    /// [`SimError::Invariant`](crate::SimError::Invariant); the first failure wins.
    pub fn violation(&self, name: impl Into<String>, message: impl Into<String>) {
        self.world.record_violation(name.into(), message.into());
    }

    /// Registers a liveness check: once true virtual time passes `from + within`, every
    /// participant of `progress` must have made progress at or after `from` — else the run
    /// fails with [`SimError::Invariant`](crate::SimError::Invariant) named `liveness`, listing
    /// who stalled and when each last made progress. `from` is typically when the nemesis's
    /// final heal leaves the cluster whole.
    pub fn require_progress(&self, progress: &Progress, from: Duration, within: Duration) {
        let progress = progress.clone();
        let handle = self.clone();
        let deadline = from + within;
        self.invariant("liveness", move || {
            if handle.elapsed() < deadline {
                return Ok(());
            }
            let stalled = progress.stalled_since(from);
            if stalled.is_empty() {
                return Ok(());
            }
            let who: Vec<String> = stalled
                .iter()
                .map(|(name, last)| match last {
                    Some(t) => format!("{name} (last progress at {t:?})"),
                    None => format!("{name} (never made progress)"),
                })
                .collect();
            Err(format!(
                "no progress within {within:?} after {from:?}: {}",
                who.join(", ")
            ))
        });
    }
}
