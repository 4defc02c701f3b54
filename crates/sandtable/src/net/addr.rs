//! Turning what users write (`"n1:7000"`, `(ip, port)`, a `SocketAddr`) into an address.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::context;

/// Something that names one socket address. Node names resolve through the simulation, or on
/// the real backend through its cluster map (never through real DNS).
pub trait ToSocketAddr {
    /// The address, or an error naming what could not be resolved.
    fn to_socket_addr(&self) -> io::Result<SocketAddr>;
}

impl ToSocketAddr for SocketAddr {
    fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        Ok(*self)
    }
}

impl ToSocketAddr for (IpAddr, u16) {
    fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::new(self.0, self.1))
    }
}

impl ToSocketAddr for (Ipv4Addr, u16) {
    fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::new(IpAddr::V4(self.0), self.1))
    }
}

impl ToSocketAddr for (&str, u16) {
    fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::new(lookup(self.0)?, self.1))
    }
}

impl ToSocketAddr for &str {
    fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(addr);
        }
        let (host, port) = self
            .rsplit_once(':')
            .ok_or_else(|| invalid(self, "expected host:port"))?;
        let port = port
            .parse()
            .map_err(|_| invalid(self, "the port is not a number in 0..=65535"))?;
        (host, port).to_socket_addr()
    }
}

impl ToSocketAddr for String {
    fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        self.as_str().to_socket_addr()
    }
}

impl<T: ToSocketAddr + ?Sized> ToSocketAddr for &T {
    fn to_socket_addr(&self) -> io::Result<SocketAddr> {
        (**self).to_socket_addr()
    }
}

fn invalid(s: &str, why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("address {s:?}: {why}"))
}

/// The IP address of the node called `name` (or `name` parsed as an IP address): the simulated
/// node's, or on the real backend the cluster map's entry.
pub fn lookup(name: &str) -> io::Result<IpAddr> {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(ip);
    }
    #[cfg(feature = "real")]
    if crate::real::here() {
        return crate::real::net::lookup(name);
    }
    context::with("sandtable::net::lookup", |w| {
        let id = w.node_by_name(name).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no simulated node is named {name:?}"),
            )
        })?;
        Ok(w.nodes.borrow()[id.index()].ip)
    })
}
