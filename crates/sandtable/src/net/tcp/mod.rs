//! Simulated TCP: listeners, connections, byte streams over the simulated network.
//!
//! A connection is a pair of ends kept by the network; handles ([`TcpStream`], its halves,
//! [`TcpListener`]) only name them. Every segment (SYN, SYN-ACK, data, FIN, RST) is an event
//! of the run: the link model decides it, partitions are checked at send and at arrival, and a
//! lost segment is sent again after a seeded, doubling backoff until its connection's timeout.

mod config;
mod listener;
mod state;
mod stream;
mod wire;

pub use config::TcpConfig;
pub use listener::TcpListener;
pub(crate) use state::Tcp;
pub use stream::{OwnedReadHalf, OwnedWriteHalf, TcpStream};
