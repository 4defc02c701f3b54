//! All private state of one simulation and the loop that drives it.
//!
//! Invariants: only this module advances `now`; no `RefCell` borrow is held while user code runs
//! (a poll, a destructor, a scheduled action); every decision is mixed into the fingerprint.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe, Location};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::{Config, Scheduling};
use crate::determinism::{self, OsCalls};
use crate::disk::store::Disk;
use crate::disk::{CrashBehavior, DiskConfig};
use crate::error::{PendingTask, SimError};
use crate::events::{Action, Due, Event, Events, Next};
use crate::executor::{self, ReadyQueue, TaskTable};
use crate::fingerprint::{EventKind, Fingerprint};
use crate::nemesis::{Schedule, TargetHook};
use crate::net::network::Network;
use crate::node::{ip_for_index, InitFn, Node, NodeId, NodeState};
use crate::rand::stream;
use crate::task::JoinHandle;
use crate::time::clock::NodeClock;

/// When a call to `run` should return.
pub(crate) enum Until {
    /// Every client node has finished.
    Clients,
    /// True virtual time reaches this instant (ns).
    Time(u64),
    /// The flag is set (by a `block_on` future finishing).
    Flag(Rc<Cell<bool>>),
}

pub(crate) struct World {
    pub seed: u64,
    pub config: Config,
    pub now: Cell<u64>,
    pub ready: Arc<ReadyQueue>,
    pub tasks: RefCell<TaskTable>,
    pub events: RefCell<Events>,
    pub nodes: RefCell<Vec<Node>>,
    /// Node names, apart from `nodes` so that log formatting never contends with a borrow.
    pub names: RefCell<Vec<Rc<str>>>,
    name_index: RefCell<BTreeMap<Rc<str>, NodeId>>,
    pub net: RefCell<Network>,
    sched_rng: RefCell<ChaCha8Rng>,
    pub buggify_rng: RefCell<ChaCha8Rng>,
    pub fp: Fingerprint,
    /// The node whose task is being polled, if any.
    pub current: Cell<Option<NodeId>>,
    in_poll: Cell<bool>,
    /// Control operations requested from inside a poll, applied right after it.
    deferred: RefCell<VecDeque<Action>>,
    polls_at_instant: Cell<u64>,
    last_polled: Cell<(NodeId, u64)>,
    pub clients_pending: Cell<usize>,
    /// Clients ever added: `run` without any runs until the simulation is quiet.
    pub clients_total: Cell<usize>,
    failure: RefCell<Option<SimError>>,
    paused_nodes: Cell<u32>,
    /// Set when a failure was recorded outside the loop's own checks (a panicking destructor).
    failed: Cell<bool>,
    pub polls: Cell<u64>,
    /// Protocol-aware fault targets, by name.
    pub hooks: RefCell<BTreeMap<String, TargetHook>>,
    /// Every fault event applied to this run.
    pub fault_log: RefCell<Schedule>,
    /// Spent datagram buffers, reused by the next sends (no allocation per message).
    buffers: RefCell<Vec<Vec<u8>>>,
    /// Cluster-wide invariants, checked after every poll and scheduled action.
    pub invariants: crate::invariant::Invariants,
    /// Per node, the seeded stream that answers OS randomness under `OsCalls::Simulate`.
    pub os_entropy: RefCell<BTreeMap<NodeId, ChaCha8Rng>>,
}

impl World {
    pub(crate) fn new(config: Config) -> Rc<World> {
        let seed = config.seed;
        determinism::keep_linked();
        if config.os_calls == OsCalls::Simulate {
            determinism::seed_std_hash_keys(seed);
        }
        Rc::new(World {
            seed,
            now: Cell::new(0),
            ready: Arc::new(ReadyQueue::default()),
            tasks: RefCell::default(),
            events: RefCell::default(),
            nodes: RefCell::default(),
            names: RefCell::default(),
            name_index: RefCell::default(),
            net: RefCell::new(Network::new(&config)),
            sched_rng: RefCell::new(stream(seed, "scheduler", "")),
            buggify_rng: RefCell::new(stream(seed, "buggify", "")),
            fp: Fingerprint::new(config.record_events),
            current: Cell::new(None),
            in_poll: Cell::new(false),
            deferred: RefCell::default(),
            polls_at_instant: Cell::new(0),
            last_polled: Cell::new((NodeId(0), 0)),
            clients_pending: Cell::new(0),
            clients_total: Cell::new(0),
            failure: RefCell::new(None),
            paused_nodes: Cell::new(0),
            failed: Cell::new(false),
            polls: Cell::new(0),
            hooks: RefCell::default(),
            fault_log: RefCell::default(),
            buffers: RefCell::default(),
            invariants: Default::default(),
            os_entropy: RefCell::default(),
            config,
        })
    }

    /// A buffer holding a copy of `data`, reusing a spent one when there is one.
    pub(crate) fn buffer_with(&self, data: &[u8]) -> Vec<u8> {
        let mut v = self.buffers.borrow_mut().pop().unwrap_or_default();
        v.clear();
        v.extend_from_slice(data);
        v
    }

    /// Keeps a spent buffer for reuse (a bounded number of them, of bounded size).
    pub(crate) fn recycle_buffer(&self, v: Vec<u8>) {
        const MAX_BUFFERS: usize = 1024;
        const MAX_BUFFER_BYTES: usize = 64 * 1024;
        let mut pool = self.buffers.borrow_mut();
        if pool.len() < MAX_BUFFERS && v.capacity() <= MAX_BUFFER_BYTES {
            pool.push(v);
        }
    }

    pub(crate) fn now_duration(&self) -> Duration {
        Duration::from_nanos(self.now.get())
    }

    #[inline]
    pub(crate) fn mix(&self, kind: EventKind, value: u64) {
        self.fp.mix(self.now.get(), kind, value);
    }

    // ----- the loop -------------------------------------------------------------------------

    pub(crate) fn run(self: &Rc<Self>, until: &Until) -> Result<(), SimError> {
        if let Some(e) = self.failure.borrow().clone() {
            return Err(e);
        }
        let result = self.run_loop(until);
        if let Err(e) = &result {
            *self.failure.borrow_mut() = Some(e.clone());
        }
        result
    }

    fn run_loop(self: &Rc<Self>, until: &Until) -> Result<(), SimError> {
        loop {
            if self.failed.get() {
                let failure = self.failure.borrow().clone();
                return Err(failure.expect("a failure was recorded"));
            }
            if self.finished(until) {
                if self.invariants.any() {
                    self.check_invariants(None)?;
                }
                return Ok(());
            }
            if self.poll_one()? {
                continue;
            }
            let time_limit = self.config.time_limit_ns();
            let limit = match until {
                Until::Time(deadline) => (*deadline).min(time_limit),
                _ => time_limit,
            };
            let next = self.events.borrow_mut().pop_until(limit);
            match (next, until) {
                (Next::Event(event), _) => {
                    let action = matches!(event.due, Due::Action(_));
                    self.fire(event);
                    if action && self.invariants.any() {
                        self.check_invariants(None)?;
                    }
                }
                (Next::Later, Until::Time(deadline)) => {
                    // The earliest event is past the deadline or the time limit: which one?
                    let t = self
                        .events
                        .borrow()
                        .peek_time()
                        .expect("events are pending");
                    if t > *deadline {
                        self.advance_to(*deadline);
                        return Ok(());
                    }
                    return Err(self.time_limit_error(until));
                }
                (Next::Later, _) => return Err(self.time_limit_error(until)),
                (Next::Empty, Until::Time(deadline)) => {
                    self.advance_to(*deadline);
                    return Ok(());
                }
                // Without clients, `run` means "until nothing is left to do".
                (Next::Empty, Until::Clients) if self.clients_total.get() == 0 => return Ok(()),
                (Next::Empty, _) => return Err(self.deadlock_error(until)),
            }
        }
    }

    fn finished(&self, until: &Until) -> bool {
        match until {
            Until::Clients => self.clients_pending.get() == 0 && self.clients_total.get() > 0,
            Until::Time(_) => false,
            Until::Flag(flag) => flag.get(),
        }
    }

    fn advance_to(&self, t: u64) {
        if t > self.now.get() {
            self.now.set(t);
            self.polls_at_instant.set(0);
        }
    }

    /// Polls one ready task; false if none was ready.
    fn poll_one(self: &Rc<Self>) -> Result<bool, SimError> {
        let runnable = match self.config.scheduling {
            Scheduling::Random => self.ready.take(
                self.config.schedule_window,
                |n| self.sched_rng.borrow_mut().random_range(0..n),
                |entrant| {
                    executor::prefetch(entrant);
                    self.tasks.borrow().tasks.prefetch(entrant.metadata().slot);
                },
            ),
            Scheduling::Fifo => self.ready.take_front(),
        };
        let Some(runnable) = runnable else {
            return Ok(false);
        };
        let meta = *runnable.metadata();
        if self.paused_nodes.get() > 0 && self.state_of(meta.node) == NodeState::Paused {
            self.nodes.borrow_mut()[meta.node.index()]
                .parked
                .push(runnable);
            return Ok(true);
        }
        self.count_poll(meta.node, meta.id)?;
        self.mix(EventKind::Poll, meta.id);
        self.current.set(Some(meta.node));
        self.in_poll.set(true);
        let outcome = if self.config.os_calls == OsCalls::Allow {
            panic::catch_unwind(AssertUnwindSafe(|| runnable.run()))
        } else {
            self.poll_checked(meta.node, runnable)?
        };
        self.in_poll.set(false);
        self.current.set(None);
        if let Err(payload) = outcome {
            return Err(self.panic_error(meta.node, meta.id, payload));
        }
        if !self.deferred.borrow().is_empty() {
            self.run_deferred();
        }
        if self.invariants.any() {
            self.check_invariants(Some(meta.node))?;
        }
        Ok(true)
    }

    /// A poll in a determinism checking mode: OS calls intercepted, the node's random-stream
    /// position mixed into the fingerprint, the first OS call (if any) failing the run.
    #[cold]
    fn poll_checked(
        &self,
        node: NodeId,
        runnable: executor::SimRunnable,
    ) -> Result<std::thread::Result<bool>, SimError> {
        let before = self.rng_position(node);
        let outcome = {
            let _os = determinism::enter(self.config.os_calls);
            panic::catch_unwind(AssertUnwindSafe(|| runnable.run()))
        };
        self.mix_rng_position(node, before);
        if let Some(error) = self.os_call_error(Some(node)) {
            self.in_poll.set(false);
            self.current.set(None);
            return Err(error);
        }
        Ok(outcome)
    }

    /// Runs every registered invariant; the first that fails stops the run.
    fn check_invariants(&self, after: Option<NodeId>) -> Result<(), SimError> {
        let after = after.map(|n| self.name_of(n).to_string());
        self.invariants
            .check_all()
            .map_err(|(name, message)| self.invariant_error(name, message, after))
    }

    pub(crate) fn invariant_error(
        &self,
        name: String,
        message: String,
        after: Option<String>,
    ) -> SimError {
        SimError::Invariant {
            seed: self.seed,
            name,
            message,
            time: self.now_duration(),
            after: after.unwrap_or_else(|| "a scheduled action".to_string()),
        }
    }

    /// Fails the run with an invariant violation reported from inside it; the run stops at
    /// its next step. The first failure wins.
    pub(crate) fn record_violation(&self, name: String, message: String) {
        let after = self.current.get().map(|n| self.name_of(n).to_string());
        let error = self.invariant_error(name, message, after);
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(error);
        }
        self.failed.set(true);
    }

    fn count_poll(&self, node: NodeId, task: u64) -> Result<(), SimError> {
        let polls = self.polls.get() + 1;
        self.polls.set(polls);
        let n = self.polls_at_instant.get() + 1;
        self.polls_at_instant.set(n);
        self.last_polled.set((node, task));
        if polls > self.config.max_polls {
            return Err(SimError::PollLimit {
                seed: self.seed,
                time: self.now_duration(),
                polls,
                limit: self.config.max_polls,
                suspect: format!("task {task} on {}", self.name_of(node)),
            });
        }
        if n > self.config.max_polls_per_instant {
            return Err(SimError::Livelock {
                seed: self.seed,
                time: self.now_duration(),
                polls: n,
                limit: self.config.max_polls_per_instant,
                suspect: format!("task {task} on {}", self.name_of(node)),
            });
        }
        Ok(())
    }

    fn run_deferred(self: &Rc<Self>) {
        loop {
            let next = self.deferred.borrow_mut().pop_front();
            let Some(action) = next else { break };
            action(self);
        }
    }

    /// Advances time to a popped event and carries it out.
    fn fire(self: &Rc<Self>, event: Event) {
        self.advance_to(event.time);
        match event.due {
            Due::Timer(key) => {
                let waker = {
                    let mut events = self.events.borrow_mut();
                    events.prefetch_next();
                    events.fire_timer(key, event.seq)
                };
                if let Some(waker) = waker {
                    self.mix(EventKind::Timer, event.seq);
                    waker.wake();
                }
            }
            Due::Deliver(key) => self.deliver(key),
            Due::Segment(key) => self.tcp_segment_due(key),
            Due::Action(key) => {
                let action = self.events.borrow_mut().actions.remove(key as usize);
                self.mix(EventKind::Action, event.seq);
                if self.config.os_calls == OsCalls::Allow {
                    action(self);
                } else {
                    // Actions run user closures (nemesis hooks): the OS is off limits there too.
                    let os = determinism::enter(self.config.os_calls);
                    action(self);
                    drop(os);
                    if let Some(error) = self.os_call_error(None) {
                        self.record_failure(error);
                    }
                }
            }
        }
    }

    // ----- errors ---------------------------------------------------------------------------

    fn panic_error(
        &self,
        node: NodeId,
        task: u64,
        payload: Box<dyn std::any::Any + Send>,
    ) -> SimError {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "<non-string panic payload>".to_string());
        let spawned_at = self
            .pending_tasks()
            .into_iter()
            .find(|p| p.task == task)
            .map_or_else(|| "<unknown>".to_string(), |p| p.spawned_at);
        SimError::Panic {
            seed: self.seed,
            node: self.name_of(node).to_string(),
            time: self.now_duration(),
            message,
            spawned_at,
        }
    }

    /// Fails the run with `error` at its next step (the first failure wins).
    pub(crate) fn record_failure(&self, error: SimError) {
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(error);
        }
        self.failed.set(true);
    }

    /// Records a panic that happened outside a poll (in a task's destructor); the run stops
    /// with it at the next step. The first failure wins.
    pub(crate) fn record_panic(
        &self,
        node: NodeId,
        task: u64,
        payload: Box<dyn std::any::Any + Send>,
    ) {
        let error = self.panic_error(node, task, payload);
        let mut failure = self.failure.borrow_mut();
        if failure.is_none() {
            *failure = Some(error);
        }
        self.failed.set(true);
    }

    fn waiting_for(&self, until: &Until) -> String {
        match until {
            Until::Clients if self.clients_total.get() == 0 => {
                "the simulation went quiet (it has no clients, so `run` \
                 waits until no timer or message is pending; use `run_for` to run for a fixed time)"
                    .to_string()
            }
            Until::Clients => format!("{} client(s) have not finished", self.clients_pending.get()),
            Until::Time(t) => format!("the run was asked to reach {:?}", Duration::from_nanos(*t)),
            Until::Flag(_) => "the `block_on` future has not finished".to_string(),
        }
    }

    fn deadlock_error(&self, until: &Until) -> SimError {
        SimError::Deadlock {
            seed: self.seed,
            time: self.now_duration(),
            waiting_for: self.waiting_for(until),
            pending: self.pending_tasks(),
        }
    }

    fn time_limit_error(&self, until: &Until) -> SimError {
        SimError::TimeLimit {
            seed: self.seed,
            limit: self.config.time_limit,
            waiting_for: self.waiting_for(until),
        }
    }

    /// Every live task, ordered by node then task id.
    pub(crate) fn pending_tasks(&self) -> Vec<PendingTask> {
        let tasks = self.tasks.borrow();
        let mut list: Vec<PendingTask> = tasks
            .tasks
            .iter()
            .map(|(_, t)| PendingTask {
                node: self.name_of(t.node).to_string(),
                node_state: self.state_of(t.node),
                task: t.id,
                spawned_at: t.spawned_at.to_string(),
            })
            .collect();
        list.sort_by(|a, b| (&a.node, a.task).cmp(&(&b.node, b.task)));
        list
    }

    // ----- tasks and nodes ------------------------------------------------------------------

    pub(crate) fn spawn_on<F>(
        &self,
        node: NodeId,
        at: &'static Location<'static>,
        future: F,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        if self.state_of(node) == NodeState::Crashed {
            return JoinHandle::cancelled();
        }
        let (runnable, task) = executor::create(
            &mut self.tasks.borrow_mut(),
            &self.ready,
            (node, at),
            self.config.task_panics_to_joiner,
            future,
        );
        runnable.schedule();
        JoinHandle::new(task)
    }

    pub(crate) fn state_of(&self, node: NodeId) -> NodeState {
        self.nodes.borrow()[node.index()].state
    }

    pub(crate) fn name_of(&self, node: NodeId) -> Rc<str> {
        self.names.borrow()[node.index()].clone()
    }

    pub(crate) fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.name_index.borrow().get(name).copied()
    }

    pub(crate) fn add_node(
        &self,
        name: &str,
        init: Option<InitFn>,
        offset_ns: i64,
        drift: f64,
    ) -> NodeId {
        assert!(
            self.node_by_name(name).is_none(),
            "a node named `{name}` already exists in this simulation"
        );
        let mut nodes = self.nodes.borrow_mut();
        let id = NodeId(nodes.len() as u32);
        let name: Rc<str> = Rc::from(name);
        nodes.push(Node {
            name: name.clone(),
            ip: ip_for_index(id.0),
            state: NodeState::Running,
            incarnation: 0,
            init,
            clock: NodeClock::new(self.now.get(), offset_ns, drift),
            rng: Some(Box::new(stream(self.seed, "node", &name))),
            parked: Vec::new(),
            bindings: Default::default(),
            disk: Disk::new(DiskConfig::default(), stream(self.seed, "disk", &name)),
            restarts: 0,
        });
        self.name_index.borrow_mut().insert(name.clone(), id);
        self.names.borrow_mut().push(name);
        id
    }

    /// Spawns the node's init future as its first task.
    pub(crate) fn start(&self, node: NodeId, at: &'static Location<'static>) {
        let init = self.nodes.borrow()[node.index()].init.clone();
        if let Some(init) = init {
            self.spawn_on(node, at, init()).detach();
        }
    }

    /// Applies `op` now, or right after the current poll when called from inside a task.
    pub(crate) fn control(self: &Rc<Self>, op: impl FnOnce(&Rc<World>) + 'static) {
        if self.in_poll.get() {
            self.deferred.borrow_mut().push_back(Box::new(op));
        } else {
            let _enter = crate::context::enter(self);
            op(self);
        }
    }

    pub(crate) fn crash_now(&self, node: NodeId) {
        self.crash_with(node, None);
    }

    /// Crashes `node`; `disk` overrides its disk's crash behaviour for this crash.
    pub(crate) fn crash_with(&self, node: NodeId, disk: Option<CrashBehavior>) {
        let (parked, bindings, was_paused) = {
            let mut nodes = self.nodes.borrow_mut();
            let n = &mut nodes[node.index()];
            if n.state == NodeState::Crashed {
                return;
            }
            let was_paused = n.state == NodeState::Paused;
            n.state = NodeState::Crashed;
            n.incarnation += 1;
            n.disk.crash(disk);
            (
                std::mem::take(&mut n.parked),
                std::mem::take(&mut n.bindings),
                was_paused,
            )
        };
        if was_paused {
            self.paused_nodes.set(self.paused_nodes.get() - 1);
        }
        self.mix(EventKind::Node, node.0 as u64);
        tracing::debug!(target: "sandtable::node", node = %self.name_of(node), "crash");
        drop(bindings);
        drop(parked);
        self.tcp_crash(node);
        self.kill_tasks(node);
    }

    /// Drops every task of `node`: wake each so its runnable is queued, then drop the runnables.
    fn kill_tasks(&self, node: NodeId) {
        for _round in 0..1_000 {
            let wakers = self.tasks.borrow().wakers_of(node);
            if wakers.is_empty() {
                return;
            }
            wakers.into_iter().for_each(|w| w.wake());
            drop(self.ready.extract_node(node));
        }
        if std::thread::panicking() {
            return; // already unwinding: a second panic would abort the test binary
        }
        panic!(
            "sandtable bug (seed {}): {} task(s) of node `{}` survived 1000 rounds of killing",
            self.seed,
            self.tasks.borrow().count_of(node),
            self.name_of(node)
        );
    }

    pub(crate) fn restart_now(&self, node: NodeId, at: &'static Location<'static>) {
        self.crash_now(node);
        {
            let mut nodes = self.nodes.borrow_mut();
            let n = &mut nodes[node.index()];
            assert!(
                n.init.is_some(),
                "node `{}` is a client (it runs one future) and cannot be restarted",
                n.name
            );
            n.state = NodeState::Running;
            n.restarts += 1;
        }
        self.mix(EventKind::Node, node.0 as u64 | 1 << 32);
        tracing::debug!(target: "sandtable::node", node = %self.name_of(node), "restart");
        self.start(node, at);
    }

    pub(crate) fn pause_now(&self, node: NodeId) {
        let mut nodes = self.nodes.borrow_mut();
        let n = &mut nodes[node.index()];
        if n.state == NodeState::Running {
            n.state = NodeState::Paused;
            self.paused_nodes.set(self.paused_nodes.get() + 1);
            self.mix(EventKind::Node, node.0 as u64 | 2 << 32);
            tracing::debug!(target: "sandtable::node", node = %n.name, "pause");
        }
    }

    pub(crate) fn resume_now(&self, node: NodeId) {
        let parked = {
            let mut nodes = self.nodes.borrow_mut();
            let n = &mut nodes[node.index()];
            if n.state != NodeState::Paused {
                return;
            }
            n.state = NodeState::Running;
            std::mem::take(&mut n.parked)
        };
        self.paused_nodes.set(self.paused_nodes.get() - 1);
        self.mix(EventKind::Node, node.0 as u64 | 3 << 32);
        tracing::debug!(target: "sandtable::node", node = %self.name_of(node), "resume");
        parked.into_iter().for_each(|r| self.ready.push(r));
    }

    /// Changes a node's clock with `change` and re-times its pending timers.
    pub(crate) fn adjust_clock(&self, node: NodeId, change: impl FnOnce(&mut NodeClock, u64)) {
        let now = self.now.get();
        let clock = {
            let mut nodes = self.nodes.borrow_mut();
            change(&mut nodes[node.index()].clock, now);
            nodes[node.index()].clock.clone()
        };
        self.events.borrow_mut().reschedule_node(node, |local| {
            self.config.timer_fire_time(clock.true_time_of(local, now))
        });
    }

    /// Schedules `action` to run at true time `at` (ns), outside any task.
    pub(crate) fn schedule_action(&self, at: u64, action: Action) {
        let mut events = self.events.borrow_mut();
        let key = events.actions.insert(action) as u32;
        events.push(at.max(self.now.get()), Due::Action(key));
    }

    /// Drops every task and pending event (the simulation is going away).
    pub(crate) fn shutdown(self: &Rc<Self>) {
        let _enter = crate::context::enter(self);
        let count = self.nodes.borrow().len();
        for i in 0..count {
            self.crash_now(NodeId(i as u32));
        }
        drop(self.ready.close());
        let (wakers, actions) = self.events.borrow_mut().clear();
        drop(wakers);
        drop(actions);
        let packets = self.net.borrow_mut().clear();
        drop(packets);
        let deferred = std::mem::take(&mut *self.deferred.borrow_mut());
        drop(deferred);
        // Closures kept by the world may hold a `Handle` (an `Rc` of the world itself): drop
        // them so that the cycle is broken and the world is freed with the `Sim`.
        let inits: Vec<_> = self
            .nodes
            .borrow_mut()
            .iter_mut()
            .map(|n| n.init.take())
            .collect();
        drop(inits);
        let hooks = std::mem::take(&mut *self.hooks.borrow_mut());
        drop(hooks);
        drop(self.invariants.take());
    }
}
