//! Synchronization between tasks: channels, locks, `Notify` and a semaphore.
//!
//! | here | tokio | what |
//! |---|---|---|
//! | [`mpsc`] (`channel`, `unbounded_channel`) | `sync::mpsc` | queues: `send(&self)`, `try_send`, `try_recv`, exact capacity, weak senders |
//! | [`oneshot`] | `sync::oneshot` | one value, once; the `futures` crate's |
//! | [`Mutex`], [`MutexGuard`] | `sync::Mutex` | async mutex; the `futures` crate's |
//! | [`watch`] | `sync::watch` | the latest value, with change notification |
//! | [`Notify`], [`Notified`] | `sync::Notify`, `sync::futures::Notified` | wake one or all waiters, no data |
//! | [`RwLock`] and guards | `sync::RwLock` | async reader-writer lock, FIFO-fair |
//! | [`Semaphore`] and permits | `sync::Semaphore` | counting semaphore, FIFO-fair |
//!
//! `oneshot` and `Mutex` are the `futures` crate's (the same shape as tokio's); the primitives
//! written here follow tokio's API and semantics, documented on each type.
//!
//! All of them wake tasks only through `Waker`s: no threads, no clock, no randomness. So they are
//! as deterministic as everything else in a run — waiters are woken in registration order, the
//! queues are ordered maps — and they also work unchanged outside simulation, on any executor.
//! The ones written here are `Send + Sync` (for `T: Send + Sync`), as multi-threaded runtime
//! traits such as openraft's `AsyncRuntime` require; their internal `std::sync` locks are never
//! contended in a simulation and never held while waking a task or across an `.await`.
//!
//! A future waiting on one of them can be dropped at any time (a `select!`, a timeout): it
//! leaves its queue, and a notification or permits it was already given pass on to the next
//! waiter, as in tokio.
//!
//! ```
//! use sandtable::prelude::*;
//! use sandtable::sync::{mpsc, oneshot};
//!
//! let sim = Sim::new(1);
//! let total = sim.block_on("main", async {
//!     let (tx, mut rx) = mpsc::channel::<u32>(4);
//!     let (done_tx, done_rx) = oneshot::channel();
//!     spawn(async move {
//!         let mut sum = 0;
//!         while let Some(v) = rx.recv().await {
//!             sum += v;
//!         }
//!         done_tx.send(sum).unwrap();
//!     })
//!     .detach();
//!     for v in 1..=10 {
//!         tx.send(v).await.unwrap();
//!     }
//!     drop(tx);
//!     done_rx.await.unwrap()
//! }).unwrap();
//! assert_eq!(total, 55);
//! ```

pub use futures::channel::oneshot;

pub mod mpsc;
pub use futures::lock::{Mutex, MutexGuard};

mod notify;
pub use notify::{Notified, Notify};

mod rwlock;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

mod semaphore;
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};

mod wait_queue;

pub mod watch;
