//! openraft 0.9's pluggable runtime on Sandtable: [`SimRuntime`] implements
//! `openraft::AsyncRuntime` (the stable 0.9 line, as published) with Sandtable's tasks,
//! per-node virtual clocks and node-seeded randomness, so an unmodified openraft 0.9 cluster
//! runs as simulated nodes: every choice comes from the run's seed, and the network, disks and
//! nemesis are Sandtable's. (For the 0.10 line, whose runtime trait lives in `openraft-rt`, see
//! `sandtable-openraft`.)
//!
//! openraft's calls reach the node whose task is running: `spawn` adds a task to it, `sleep`
//! and `Instant` read its clock, `thread_rng` draws from its stream. Name it in the type
//! config: `declare_raft_types!(pub C: ..., AsyncRuntime = sandtable_openraft09::SimRuntime)`.
//!
//! ```
//! use openraft::{AsyncRuntime, Instant};
//! use sandtable_openraft09::SimRuntime;
//! use std::time::Duration;
//!
//! let sim = sandtable::Sim::new(7);
//! let woke = sim
//!     .block_on_local("n0", async {
//!         let start = <SimRuntime as AsyncRuntime>::Instant::now();
//!         let task = SimRuntime::spawn(async {
//!             SimRuntime::sleep(Duration::from_secs(3600)).await; // virtual: returns at once
//!             1
//!         });
//!         let woke = task.await.unwrap();
//!         assert_eq!(start.elapsed(), Duration::from_secs(3600));
//!         woke
//!     })
//!     .unwrap();
//! assert_eq!(woke, 1);
//! ```
//!
//! Modes: by default openraft's `Send` bounds hold (Sandtable's handles, timers and channels
//! are `Send`); the `singlethreaded` feature turns on openraft's mode without them.

#![warn(missing_docs)]

use std::future::Future;
use std::time::Duration;

use openraft::{AsyncRuntime, OptionalSend};

#[path = "../../sandtable-openraft/src/instant.rs"]
mod instant;
pub use instant::SimInstant;
/// The `Instant` trait `SimInstant` implements (openraft 0.9's own).
use openraft::Instant as OpenraftInstant;

mod oneshot;
pub use oneshot::SimOneshotSender;

mod rng;
pub use rng::SimRng;

/// openraft 0.9's runtime on Sandtable. It holds nothing: the trait's functions act on
/// whichever simulation and node is running on this thread (they panic outside one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimRuntime;

impl AsyncRuntime for SimRuntime {
    type JoinError = sandtable::task::JoinError;
    type JoinHandle<T: OptionalSend + 'static> = sandtable::task::JoinHandle<T>;
    type Sleep = sandtable::time::Sleep;
    type Instant = SimInstant;
    type TimeoutError = sandtable::time::Elapsed;
    type Timeout<R, T: Future<Output = R> + OptionalSend> = sandtable::time::Timeout<T>;
    type ThreadLocalRng = SimRng;
    type OneshotSender<T: OptionalSend> = SimOneshotSender<T>;
    type OneshotReceiverError = sandtable::sync::oneshot::Canceled;
    type OneshotReceiver<T: OptionalSend> = sandtable::sync::oneshot::Receiver<T>;

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
        SimRng
    }

    fn oneshot<T>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>)
    where
        T: OptionalSend,
    {
        let (tx, rx) = sandtable::sync::oneshot::channel();
        (SimOneshotSender(tx), rx)
    }
}
