//! Synchronization between tasks: channels and an async mutex.
//!
//! These are the executor-agnostic primitives of the `futures` crate, re-exported so protocol
//! code has one home for them: they wake tasks through the simulator's wakers and so are as
//! deterministic as everything else in a run (and work unchanged outside simulation).
//!
//! ```
//! use sandtable::prelude::*;
//! use sandtable::sync::{mpsc, oneshot};
//! use futures::{SinkExt, StreamExt};
//!
//! let sim = Sim::new(1);
//! let total = sim.block_on("main", async {
//!     let (mut tx, mut rx) = mpsc::channel::<u32>(4);
//!     let (done_tx, done_rx) = oneshot::channel();
//!     spawn(async move {
//!         let mut sum = 0;
//!         while let Some(v) = rx.next().await {
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

pub use futures::channel::{mpsc, oneshot};
pub use futures::lock::{Mutex, MutexGuard};
