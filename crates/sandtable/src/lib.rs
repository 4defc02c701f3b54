//! Sandtable: deterministic simulation testing for distributed systems.
//!
//! A single-threaded executor with virtual time runs many nodes of real async protocol code over
//! a simulated network. Every choice — which task runs next, how long a message takes, whether it
//! is lost — comes from one seed, so a failing run reruns exactly.
//!
//! ```
//! use std::time::Duration;
//! use sandtable::prelude::*;
//!
//! let sim = Sim::new(42);
//! sim.add_node("server", || async {
//!     let socket = UdpSocket::bind("0.0.0.0:7000").await.unwrap();
//!     let mut buf = [0u8; 64];
//!     loop {
//!         let (n, from) = socket.recv_from(&mut buf).await.unwrap();
//!         socket.send_to(&buf[..n], from).await.unwrap();
//!     }
//! });
//! let reply = sim.block_on("client", async {
//!     let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
//!     socket.send_to(b"ping", "server:7000").await.unwrap();
//!     let mut buf = [0u8; 64];
//!     let (n, _) = time::timeout(Duration::from_secs(1), socket.recv_from(&mut buf))
//!         .await
//!         .expect("the echo arrives within a second")
//!         .unwrap();
//!     buf[..n].to_vec()
//! }).unwrap();
//! assert_eq!(reply, b"ping");
//! ```
//!
//! Where to start reading: [`Sim`] (the driver), [`Handle`] (control: crash, pause, clocks),
//! [`net`] (sockets, partitions), [`time`] (per-node clocks), and `ARCHITECTURE.md`.

#![warn(missing_docs)]

pub mod actor;

pub mod buggify;

mod config;
pub use config::{parse_seed, Config, EnvError, Scheduling};

mod context;

mod determinism;
pub use determinism::{OsCallReport, OsCalls};

pub mod disk;

mod error;
pub use error::{PendingTask, SimError};

mod events;
mod executor;

mod fingerprint;
pub use fingerprint::{first_divergence, Divergence, EventKind, LoggedEvent};

mod harness;
pub use harness::{
    check, run_seeds, BoxError, CheckConfig, Failure, HarnessEnvError, Summary, TestOutcome,
    DEFAULT_SEEDS,
};

/// Runs a test function on many seeds, a fresh simulation for each, through [`check`]: on
/// failure it prints the seed, the command that reruns it, the fault schedule, and writes the
/// artifacts (see the crate's README).
///
/// Two forms:
///
/// - `async fn name()` (or returning `Result<(), E>`): the body runs as a client task on a node
///   named `"main"` of each seed's fresh [`Sim`]; the test fails if the body panics or returns
///   an error, or if the simulation fails (deadlock, livelock, poll budget, time limit, panic in any task).
/// - `fn name(sim: &Sim)` (or returning `Result<(), E>`): the body sets up and drives the
///   simulation itself (nodes, nemesis, `sim.run()`, a history check).
///
/// Arguments, all optional: `seeds = a..b` (default [`DEFAULT_SEEDS`]), `seed = n`,
/// `node = "name"` (the async form's node), `determinism_check` (run each seed twice, compare
/// fingerprints), `config = |c: CheckConfig| c...` (anything else of [`CheckConfig`]). The
/// environment still wins: `SANDTABLE_SEED=n` or `SANDTABLE_SEEDS=a..b cargo test name`.
///
/// ```
/// use std::time::Duration;
/// use sandtable::prelude::*;
///
/// #[sandtable::test(seeds = 0..20)]
/// async fn sleeping_takes_virtual_time() {
///     let start = Instant::now();
///     sleep(Duration::from_secs(3600)).await;
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// }
///
/// #[sandtable::test(seeds = 0..5, determinism_check)]
/// fn two_nodes(sim: &Sim) -> Result<(), sandtable::BoxError> {
///     sim.add_node("server", || async {
///         let socket = UdpSocket::bind("0.0.0.0:7").await.unwrap();
///         let mut buf = [0; 8];
///         loop {
///             let (n, from) = socket.recv_from(&mut buf).await.unwrap();
///             socket.send_to(&buf[..n], from).await.unwrap();
///         }
///     });
///     let echoed = sim.block_on("client", async {
///         let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
///         socket.send_to(b"hi", ("server", 7)).await.unwrap();
///         let mut buf = [0; 8];
///         let (n, _) = socket.recv_from(&mut buf).await.unwrap();
///         buf[..n].to_vec()
///     })?;
///     assert_eq!(echoed, b"hi");
///     Ok(())
/// }
/// ```
///
/// (Tests of both forms, passing and failing, are in `tests/it/test_macro.rs`.)
pub use sandtable_macros::test;

mod handle;
pub use handle::Handle;

mod invariant;
pub use invariant::Progress;

pub mod nemesis;

pub mod net;

mod node;
pub use node::{NodeId, NodeState};

pub mod rand;
mod rand_compat;

#[cfg(feature = "real")]
pub mod real;

mod sim;
pub use sim::{ClientHandle, NodeBuilder, Sim, SimBuilder};

pub mod sync;

pub mod task;

pub mod time;

/// The linearizability checker, re-exported: histories, models, `linearizable`.
pub use sandtable_check as lin;

pub mod trace;

mod world;

/// True when called from inside a simulation on this thread.
pub fn in_simulation() -> bool {
    context::in_simulation()
}

/// Everything a test usually needs: `use sandtable::prelude::*;`.
pub mod prelude {
    pub use crate::net::{Endpoint, LinkConfig, NetStats, TcpListener, TcpStream, UdpSocket};
    pub use crate::task::{spawn, yield_now, JoinHandle};
    pub use crate::time::{self, sleep, Instant};
    pub use crate::{Config, Handle, NodeId, NodeState, Sim, SimError};
}
