//! Integration tests of the runtime, one binary (see STYLE.md).

mod actor;
mod block_on_local;
mod buggify;
mod determinism;
mod disk;
mod errors;
mod executor;
mod harness;
mod invariants;
mod mpsc;
mod nemesis;
mod net;
mod node_rng;
mod nodes;
#[cfg(feature = "real")]
mod parity;
mod sync;
mod tcp;
mod test_macro;
mod tidy;
mod time;
mod trace;
mod util;
