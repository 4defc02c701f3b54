//! openraft's pluggable runtime on Sandtable: [`SimRuntime`] implements `openraft_rt::AsyncRuntime`
//! (the 0.10 line, as published) with Sandtable's tasks, per-node virtual clocks, node-seeded
//! randomness and tokio-shaped channels, so an unmodified openraft cluster runs as simulated
//! nodes: every choice comes from the run's seed, and the network, disks and nemesis are
//! Sandtable's.
//!
//! Inside a simulation (`Sim::node(..)`, `sandtable::check`) openraft's calls reach the running
//! node: `spawn` adds a task to it, `sleep` and `Instant` read its clock, `thread_rng` draws from
//! its stream. [`SimRuntime::new`] and `block_on` (which openraft's own test suite uses) make a
//! fresh [`Sim`] and run the future as a task of one node of it, seeded by [`with_seed`].
//!
//! ```
//! use openraft_rt::{AsyncRuntime, Instant};
//! use sandtable_openraft::SimRuntime;
//! use std::time::Duration;
//!
//! let mut rt = SimRuntime::with_seed(7);
//! let mut woke = 0;
//! rt.block_on(async {
//!     let start = <SimRuntime as AsyncRuntime>::Instant::now();
//!     SimRuntime::sleep(Duration::from_secs(3600)).await; // virtual: returns at once
//!     woke += 1;
//!     assert_eq!(start.elapsed(), Duration::from_secs(3600));
//! });
//! assert_eq!(woke, 1);
//! ```
//!
//! Modes: by default openraft's `Send` bounds hold (Sandtable's handles, timers and channels
//! are `Send`); the `single-threaded` feature selects openraft-rt's mode without them.

#![warn(missing_docs)]

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use openraft_rt::{AsyncRuntime, OptionalSend};
use sandtable::Sim;

mod instant;
pub use instant::SimInstant;
/// The `Instant` trait `SimInstant` implements (openraft-rt's, on this line).
use openraft_rt::Instant as OpenraftInstant;

mod mpsc;
pub use mpsc::{SimMpsc, SimMpscReceiver, SimMpscSender, SimMpscWeakSender};

mod mutex;
pub use mutex::SimMutex;

mod oneshot;
pub use oneshot::{SimOneshot, SimOneshotSender};

mod watch;
pub use watch::{SimWatch, SimWatchReceiver, SimWatchSender};

thread_local! {
    static SEED: Cell<u64> = const { Cell::new(0) };
}

/// Runs `f` with `seed` as the seed of every [`SimRuntime::new`] on this thread (for code,
/// like openraft-rt's test suite, that creates runtimes itself). The previous seed is restored.
pub fn with_seed<R>(seed: u64, f: impl FnOnce() -> R) -> R {
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            SEED.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SEED.with(|s| s.replace(seed)));
    f()
}

/// openraft's runtime on Sandtable. A value of it owns a [`Sim`] for [`AsyncRuntime::block_on`];
/// the trait's associated functions (spawn, sleep, ...) act on whichever simulation and node
/// is running on this thread.
pub struct SimRuntime {
    sim: Sim,
}

impl std::fmt::Debug for SimRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimRuntime")
            .field("seed", &self.sim.seed())
            .finish()
    }
}

impl SimRuntime {
    /// A runtime whose simulation has this seed.
    pub fn with_seed(seed: u64) -> SimRuntime {
        SimRuntime::from_sim(Sim::new(seed))
    }

    /// A runtime that blocks on `sim` (configure it with [`Sim::builder`] first).
    pub fn from_sim(sim: Sim) -> SimRuntime {
        SimRuntime { sim }
    }

    /// The simulation `block_on` drives.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }
}

/// The node that `block_on` runs its futures on.
pub const BLOCK_ON_NODE: &str = "block_on";

impl AsyncRuntime for SimRuntime {
    type JoinError = sandtable::task::JoinError;
    type JoinHandle<T: OptionalSend + 'static> = sandtable::task::JoinHandle<T>;
    type Sleep = sandtable::time::Sleep;
    type Instant = SimInstant;
    type TimeoutError = sandtable::time::Elapsed;
    type Timeout<R, T: Future<Output = R> + OptionalSend> = sandtable::time::Timeout<T>;
    type ThreadLocalRng = sandtable::rand::NodeRng;

    #[track_caller]
    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + OptionalSend + 'static,
        T::Output: OptionalSend + 'static,
    {
        sandtable::task::spawn(future)
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        sandtable::time::sleep(duration)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        sandtable::time::sleep_until(deadline.0)
    }

    fn timeout<R, F: Future<Output = R> + OptionalSend>(
        duration: Duration,
        future: F,
    ) -> Self::Timeout<R, F> {
        sandtable::time::timeout(duration, future)
    }

    fn timeout_at<R, F: Future<Output = R> + OptionalSend>(
        deadline: Self::Instant,
        future: F,
    ) -> Self::Timeout<R, F> {
        sandtable::time::timeout_at(deadline.0, future)
    }

    fn is_panic(join_error: &Self::JoinError) -> bool {
        join_error.is_panic()
    }

    fn thread_rng() -> Self::ThreadLocalRng {
        sandtable::rand::rng()
    }

    type Mpsc = SimMpsc;
    type Watch = SimWatch;
    type Oneshot = SimOneshot;
    type Mutex<T: OptionalSend + 'static> = SimMutex<T>;

    /// A fresh simulation seeded by [`with_seed`] (0 by default); `threads` is ignored.
    fn new(_threads: usize) -> Self {
        SimRuntime::with_seed(SEED.with(Cell::get))
    }

    /// Runs `future` as a task of the node [`BLOCK_ON_NODE`] until it finishes. A failure of
    /// the run (a panicking task, a deadlock, the time limit) panics with the seed.
    #[track_caller]
    fn block_on<F, T>(&mut self, future: F) -> T
    where
        F: Future<Output = T>,
    {
        match self.sim.block_on_local(BLOCK_ON_NODE, future) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        }
    }

    /// A simulated task of the current node, never an OS thread (see
    /// `sandtable::task::spawn_blocking`).
    fn spawn_blocking<F, T>(f: F) -> impl Future<Output = Result<T, std::io::Error>> + Send
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let handle = sandtable::task::spawn_blocking(f);
        async move { handle.await.map_err(std::io::Error::other) }
    }
}
