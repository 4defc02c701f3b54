//! The simulated network: datagram sockets, typed endpoints, TCP streams, link models,
//! partitions, counters.
//!
//! Addresses are ordinary `SocketAddr`s; node `i` (0-based, creation order) has IP `127.1.x.y`
//! and [`lookup`] turns a node name into it. Packets never leave the process.

mod addr;
mod control;
mod endpoint;
mod link;
pub(crate) mod network;
pub(crate) mod socket;
mod stats;
mod tcp;

pub use addr::{lookup, ToSocketAddr};
pub use control::NetControl;
pub use endpoint::{decode, encode, Endpoint, NetError};
pub use link::{Latency, LinkConfig};
pub use socket::{UdpSocket, MAX_DATAGRAM};
pub use stats::NetStats;
pub use tcp::{OwnedReadHalf, OwnedWriteHalf, TcpConfig, TcpListener, TcpStream};
