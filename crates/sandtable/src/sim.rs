//! `Sim`: the public driver. Build nodes and clients, run, inspect.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::ops::Deref;
use std::panic::Location;
use std::rc::Rc;
use std::time::Duration;

use crate::config::{Config, Scheduling};
use crate::context;
use crate::error::SimError;
use crate::handle::Handle;
use crate::nemesis::{Nemesis, NemesisError, Schedule};
use crate::net::LinkConfig;
use crate::node::{BoxFuture, InitFn, NodeId};
use crate::world::{Until, World};

/// One simulation: a seed, a set of nodes, a network, and virtual time.
///
/// `Sim` dereferences to [`Handle`], which holds every control operation (crash, partition,
/// clock skew, ...), so the same calls work from the test and from inside tasks.
pub struct Sim {
    handle: Handle,
}

impl Deref for Sim {
    type Target = Handle;
    fn deref(&self) -> &Handle {
        &self.handle
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.handle.world.shutdown();
    }
}

/// Builds a [`Sim`] from a [`Config`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct SimBuilder {
    config: Config,
}

impl SimBuilder {
    /// The seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Oldest-first scheduling instead of seeded random choice.
    pub fn fifo(mut self) -> Self {
        self.config.scheduling = Scheduling::Fifo;
        self
    }

    /// The scheduling policy.
    pub fn scheduling(mut self, s: Scheduling) -> Self {
        self.config.scheduling = s;
        self
    }

    /// Random scheduling picks among this many oldest ready tasks (see
    /// [`Config::schedule_window`]). Panics on 0.
    #[track_caller]
    pub fn schedule_window(mut self, window: usize) -> Self {
        assert!(
            window > 0,
            "the scheduling window must hold at least one task"
        );
        self.config.schedule_window = window;
        self
    }

    /// The default model of every link.
    pub fn link(mut self, link: LinkConfig) -> Self {
        self.config.link = link;
        self
    }

    /// Record every event so two runs can be compared event by event.
    pub fn record_events(mut self, on: bool) -> Self {
        self.config.record_events = on;
        self
    }

    /// Livelock limit: polls allowed at one virtual instant.
    pub fn max_polls_per_instant(mut self, n: u64) -> Self {
        self.config.max_polls_per_instant = n;
        self
    }

    /// Runaway limit: the run fails with [`SimError::PollLimit`] once it has polled `n` tasks
    /// in all. Virtual time advances, so the livelock check does not fire, but a message storm
    /// or a retry loop without backoff can keep a seed busy for minutes of wall time; with a
    /// budget (say 100× a normal run's [`Sim::polls`]) such a seed fails in seconds, with its
    /// seed. Off by default.
    pub fn max_polls(mut self, n: u64) -> Self {
        self.config.max_polls = n;
        self
    }

    /// Virtual time after which a run waiting for clients fails.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.config.time_limit = limit;
        self
    }

    /// Timers fire at the next multiple of `resolution` of true virtual time (tokio's timer
    /// wheel has 1 ms); the default, zero, fires each timer at its exact nanosecond.
    pub fn timer_resolution(mut self, resolution: Duration) -> Self {
        self.config.timer_resolution = resolution;
        self
    }

    /// Datagrams a socket buffers before further arrivals are dropped.
    pub fn socket_capacity(mut self, n: usize) -> Self {
        self.config.socket_capacity = n;
        self
    }

    /// The model of every simulated TCP connection.
    pub fn tcp(mut self, tcp: crate::net::TcpConfig) -> Self {
        self.config.tcp = tcp;
        self
    }

    /// Let a task's panic end only that task, reported to its joiner as
    /// [`JoinError::Panic`](crate::task::JoinError::Panic) (tokio's behaviour), instead of
    /// failing the run (the default). For runtimes and libraries that observe their tasks'
    /// panics; a panic in a task nobody joins then goes unreported but for the panic message.
    pub fn task_panics_to_joiner(mut self, on: bool) -> Self {
        self.config.task_panics_to_joiner = on;
        self
    }

    /// Allow `buggify!()` sites to fire (on by default).
    pub fn buggify(mut self, on: bool) -> Self {
        self.config.buggify = on;
        self
    }

    /// Replay this fault schedule in `Sim::nemesis` instead of generating one.
    pub fn replay_schedule(mut self, schedule: Schedule) -> Self {
        self.config.replay_schedule = Some(schedule);
        self
    }

    /// The configuration built so far.
    pub fn into_config(self) -> Config {
        self.config
    }

    /// Creates the simulation.
    pub fn build(self) -> Sim {
        Sim {
            handle: Handle {
                world: World::new(self.config),
            },
        }
    }
}

impl From<Config> for SimBuilder {
    fn from(config: Config) -> Self {
        SimBuilder { config }
    }
}

/// Configures one node before it starts; see [`Sim::node`].
#[must_use = "a NodeBuilder does nothing until .build(init) is called"]
pub struct NodeBuilder<'a> {
    sim: &'a Sim,
    name: String,
    offset_ns: i64,
    drift: f64,
    disk: Option<crate::disk::DiskConfig>,
}

impl NodeBuilder<'_> {
    /// The node's disk model (latencies, crash semantics, storage faults).
    pub fn disk(mut self, disk: crate::disk::DiskConfig) -> Self {
        self.disk = Some(disk);
        self
    }

    /// The node's clock starts `offset_ns` ahead of true time (negative: behind).
    pub fn clock_offset(mut self, offset_ns: i64) -> Self {
        self.offset_ns = offset_ns;
        self
    }

    /// The node's clock runs at `1 + drift` times true speed.
    pub fn clock_drift(mut self, drift: f64) -> Self {
        self.drift = drift;
        self
    }

    /// Creates the node and starts `init()` as its first task. `init` runs again at every
    /// restart, so it should build the node's state from its disk and configuration only.
    #[track_caller]
    pub fn build<F, Fut>(self, init: F) -> NodeId
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let at = Location::caller();
        let init: InitFn = Rc::new(move || Box::pin(init()) as BoxFuture);
        let world = &self.sim.handle.world;
        let id = world.add_node(&self.name, Some(init), self.offset_ns, self.drift);
        if let Some(disk) = self.disk {
            world.nodes.borrow_mut()[id.index()].disk.config = disk;
        }
        let _enter = context::enter(world);
        world.start(id, at);
        id
    }
}

/// The output of a client, available once it has finished.
pub struct ClientHandle<T> {
    slot: Rc<RefCell<Option<T>>>,
    node: NodeId,
}

impl<T> ClientHandle<T> {
    /// Takes the client's output (None if it has not finished or was crashed).
    pub fn output(&self) -> Option<T> {
        self.slot.borrow_mut().take()
    }

    /// The client's node.
    pub fn node(&self) -> NodeId {
        self.node
    }
}

/// Decrements the count of pending clients when the client future ends, however it ends.
struct ClientDone(Rc<World>);

impl Drop for ClientDone {
    fn drop(&mut self) {
        self.0.clients_pending.set(self.0.clients_pending.get() - 1);
    }
}

impl Sim {
    /// A simulation with this seed and default configuration.
    pub fn new(seed: u64) -> Sim {
        Sim::builder().seed(seed).build()
    }

    /// A builder starting from the default configuration.
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    /// The handle (also reachable through `Deref`).
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.handle.world.config
    }

    /// Starts building a node called `name` (names are unique).
    pub fn node(&self, name: impl Into<String>) -> NodeBuilder<'_> {
        NodeBuilder {
            sim: self,
            name: name.into(),
            offset_ns: 0,
            drift: 0.0,
            disk: None,
        }
    }

    /// Shorthand for `sim.node(name).build(init)`.
    #[track_caller]
    pub fn add_node<F, Fut>(&self, name: impl Into<String>, init: F) -> NodeId
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        self.node(name).build(init)
    }

    /// Adds a client node that runs `future` once. [`Sim::run`] returns when all clients end.
    #[track_caller]
    pub fn client<F>(&self, name: impl Into<String>, future: F) -> ClientHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let at = Location::caller();
        let world = &self.handle.world;
        let node = world.add_node(&name.into(), None, 0, 0.0);
        let slot = Rc::new(RefCell::new(None));
        let out = slot.clone();
        world.clients_pending.set(world.clients_pending.get() + 1);
        world.clients_total.set(world.clients_total.get() + 1);
        let done = ClientDone(world.clone());
        let wrapped = async move {
            let _done = done;
            let v = future.await;
            *out.borrow_mut() = Some(v);
        };
        let _enter = context::enter(world);
        world.spawn_on(node, at, wrapped).detach();
        ClientHandle { slot, node }
    }

    /// Runs until every client has finished. Fails on a panic, deadlock, livelock or the
    /// configured time limit. With no clients, runs until nothing is left to do (no task
    /// ready, no timer or message pending); nodes that tick forever then hit the time limit,
    /// so use [`Sim::run_for`] for those.
    pub fn run(&self) -> Result<(), SimError> {
        self.drive(&Until::Clients)
    }

    /// Runs for `duration` of true virtual time (nodes idle the whole time is not an error).
    pub fn run_for(&self, duration: Duration) -> Result<(), SimError> {
        let d = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.run_until(self.handle.world.now.get().saturating_add(d))
    }

    /// Runs until true virtual time reaches `time_ns`.
    pub fn run_until(&self, time_ns: u64) -> Result<(), SimError> {
        self.drive(&Until::Time(time_ns))
    }

    /// Runs `future` as a client called `name` and returns its output once it finishes.
    #[track_caller]
    pub fn block_on<F>(&self, name: impl Into<String>, future: F) -> Result<F::Output, SimError>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let flag = Rc::new(Cell::new(false));
        let set = flag.clone();
        let client = self.client(name, async move {
            let v = future.await;
            set.set(true);
            v
        });
        self.drive(&Until::Flag(flag))?;
        Ok(client.output().expect("the block_on future finished"))
    }

    /// Runs a borrowed future (neither `'static` nor `Send`) as a task of the node `name` and
    /// returns its output once it finishes — what a runtime trait's `block_on(&mut self, fut)`
    /// needs. The node is created on first use and reused by later calls with the same name (it
    /// is not a client: [`Sim::run`] does not wait for it). Tasks the future spawns live on
    /// after it returns, on the same node, and run again at the next `block_on_local` or `run`.
    ///
    /// The future stays on this call's stack; the simulation polls it through a task that holds
    /// only a pointer to it, which is cleared before this call returns or unwinds, so nothing
    /// can reach the future once it is gone. On an error (a panic in any task, a deadlock, the
    /// time limit) the future is dropped unfinished.
    ///
    /// Panics when called from inside a simulated task (a simulation cannot be driven from one
    /// of its own polls) or when `name` is a server node.
    ///
    /// ```
    /// use sandtable::prelude::*;
    /// use std::time::Duration;
    ///
    /// let sim = Sim::new(7);
    /// let mut total = 0;                        // borrowed by the future
    /// let waited = sim.block_on_local("main", async {
    ///     sleep(Duration::from_millis(5)).await;
    ///     total += 1;
    ///     std::rc::Rc::new(total)               // a non-Send output
    /// }).unwrap();
    /// assert_eq!((*waited, total), (1, 1));
    /// ```
    #[track_caller]
    pub fn block_on_local<F: Future>(
        &self,
        name: impl Into<String>,
        future: F,
    ) -> Result<F::Output, SimError> {
        let at = Location::caller();
        let world = &self.handle.world;
        assert!(
            world.current.get().is_none(),
            "Sim::block_on_local was called from inside a simulated task"
        );
        let name = name.into();
        let node = match world.node_by_name(&name) {
            Some(node) => {
                let init = world.nodes.borrow()[node.index()].init.is_some();
                assert!(!init, "block_on_local: `{name}` is a server node");
                node
            }
            None => world.add_node(&name, None, 0, 0.0),
        };
        // Entered before the future is pinned, so that its destructor (timers, sockets) still
        // finds the simulation when it runs at the end of this call.
        let _enter = context::enter(world);
        let mut future = std::pin::pin!(future);
        let mut output = None;
        let mut step = |cx: &mut std::task::Context<'_>| match future.as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                output = Some(v);
                std::task::Poll::Ready(())
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        };
        let lent = Rc::new(Lent::new(&mut step));
        let done = Rc::new(Cell::new(false));
        // Declared after `step` (and so dropped before it): clears the pointer on every exit.
        let _guard = LentGuard(lent.clone());
        let proxy = Proxy {
            lent,
            done: done.clone(),
        };
        world.spawn_on(node, at, proxy).detach();
        self.drive(&Until::Flag(done))?;
        drop(_guard);
        Ok(output.expect("the block_on_local future finished"))
    }

    /// Generates the nemesis's fault schedule for a run of `duration` over the server nodes
    /// (clients are never targeted) from this run's seed — or takes the configured replay
    /// schedule — registers its target hooks, and applies it. Returns the schedule applied.
    pub fn nemesis(&self, nemesis: &Nemesis, duration: Duration) -> Result<Schedule, NemesisError> {
        for (name, hook) in &nemesis.hooks {
            self.register_target(name, hook.clone());
        }
        let schedule = match &self.config().replay_schedule {
            Some(saved) => saved.clone(),
            None => {
                let servers: Vec<String> = {
                    let nodes = self.handle.world.nodes.borrow();
                    nodes
                        .iter()
                        .filter(|n| n.init.is_some())
                        .map(|n| n.name.to_string())
                        .collect()
                };
                nemesis.generate(self.seed(), &servers, duration)
            }
        };
        self.apply_schedule(&schedule)?;
        Ok(schedule)
    }

    fn drive(&self, until: &Until) -> Result<(), SimError> {
        let world = &self.handle.world;
        let _enter = context::enter(world);
        world.run(until)
    }
}

/// The poll step of a [`Sim::block_on_local`] future, with its lifetime erased.
type Step = dyn FnMut(&mut std::task::Context<'_>) -> std::task::Poll<()>;

/// A pointer to a borrowed poll step, lent to the simulation while `block_on_local` runs.
struct Lent {
    step: Cell<Option<std::ptr::NonNull<Step>>>,
}

impl Lent {
    fn new<'a>(
        step: &'a mut (dyn FnMut(&mut std::task::Context<'_>) -> std::task::Poll<()> + 'a),
    ) -> Lent {
        let ptr: *mut (dyn FnMut(&mut std::task::Context<'_>) -> std::task::Poll<()> + 'a) = step;
        // SAFETY: only the trait object's lifetime bound changes (same layout). The pointer is
        // dereferenced only while it is in the cell, and `LentGuard` takes it out before the
        // step (and the future and output it borrows) goes out of scope, on every path.
        let ptr: *mut Step = unsafe { std::mem::transmute(ptr) };
        Lent {
            step: Cell::new(std::ptr::NonNull::new(ptr)),
        }
    }
}

/// Takes the lent pointer back when `block_on_local` returns or unwinds.
struct LentGuard(Rc<Lent>);

impl Drop for LentGuard {
    fn drop(&mut self) {
        self.0.step.set(None);
    }
}

/// The `'static` task that polls a lent step; once the step is taken back it ends.
struct Proxy {
    lent: Rc<Lent>,
    done: Rc<Cell<bool>>,
}

impl Future for Proxy {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let Some(mut step) = self.lent.step.get() else {
            return std::task::Poll::Ready(());
        };
        // SAFETY: the pointer is in the cell, so `block_on_local` is still running (it is
        // driving the simulation that polls this task) and the step is alive and not otherwise
        // used; polls do not nest, so this is the only reference to it for the call.
        let polled = unsafe { step.as_mut() }(cx);
        if polled.is_ready() {
            self.lent.step.set(None);
            self.done.set(true);
        }
        polled
    }
}
