//! Datagram sockets: a node's port table and the public `UdpSocket`.

use std::collections::{BTreeMap, VecDeque};
use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::task::{Context, Poll, Waker};

use super::addr::ToSocketAddr;
use super::stats::DropCause;
use crate::context;
use crate::node::NodeId;
use crate::world::World;

/// One bound port: its buffered datagrams and the task waiting for them.
struct Slot {
    id: u64,
    inbox: VecDeque<(Vec<u8>, SocketAddr)>,
    waker: Option<Waker>,
}

/// A node's bound ports. Lost with the node's memory on crash.
#[derive(Default)]
pub(crate) struct Bindings {
    ports: BTreeMap<u16, Slot>,
    next_id: u64,
    next_ephemeral: u16,
}

const EPHEMERAL_FIRST: u16 = 49_152;

impl Bindings {
    fn bind(&mut self, port: u16) -> io::Result<(u16, u64)> {
        let port = if port == 0 { self.ephemeral()? } else { port };
        if self.ports.contains_key(&port) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("port {port} is already bound on this node"),
            ));
        }
        self.next_id += 1;
        let slot = Slot {
            id: self.next_id,
            inbox: VecDeque::new(),
            waker: None,
        };
        self.ports.insert(port, slot);
        Ok((port, self.next_id))
    }

    fn ephemeral(&mut self) -> io::Result<u16> {
        for _ in 0..=(u16::MAX - EPHEMERAL_FIRST) {
            let candidate = self.next_ephemeral.max(EPHEMERAL_FIRST);
            self.next_ephemeral = candidate.checked_add(1).unwrap_or(EPHEMERAL_FIRST);
            if !self.ports.contains_key(&candidate) {
                return Ok(candidate);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            "no free ephemeral port on this node",
        ))
    }

    fn unbind(&mut self, port: u16, id: u64) {
        if self.ports.get(&port).is_some_and(|s| s.id == id) {
            self.ports.remove(&port);
        }
    }

    /// Buffers a datagram; returns the waker to call (outside any borrow).
    pub(crate) fn push(
        &mut self,
        port: u16,
        payload: Vec<u8>,
        src: SocketAddr,
        capacity: usize,
    ) -> Result<Option<Waker>, DropCause> {
        let slot = self.ports.get_mut(&port).ok_or(DropCause::Unbound)?;
        if slot.inbox.len() >= capacity {
            return Err(DropCause::Overflow);
        }
        slot.inbox.push_back((payload, src));
        Ok(slot.waker.take())
    }

    fn poll_recv(
        &mut self,
        port: u16,
        id: u64,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(Vec<u8>, SocketAddr)>> {
        let Some(slot) = self.ports.get_mut(&port).filter(|s| s.id == id) else {
            return Poll::Ready(Err(closed()));
        };
        match slot.inbox.pop_front() {
            Some(d) => Poll::Ready(Ok(d)),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn closed() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "socket was closed by a crash of its node",
    )
}

/// A simulated UDP socket bound to a port of the current node. API after `tokio::net::UdpSocket`.
/// Dropping it unbinds the port.
#[derive(Debug)]
pub struct UdpSocket {
    node: NodeId,
    local: SocketAddr,
    id: u64,
    /// A socket of the real backend (the fields above are then unused).
    #[cfg(feature = "real")]
    real: Option<tokio::net::UdpSocket>,
}

/// The largest datagram payload: what UDP over IPv4 carries (65,535 − 8 − 20 bytes). The
/// simulator refuses larger ones too, so code that passes in simulation does not break on real
/// sockets.
pub const MAX_DATAGRAM: usize = 65_507;

fn too_large(len: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("a datagram of {len} bytes is larger than UDP allows ({MAX_DATAGRAM} bytes)"),
    )
}

impl UdpSocket {
    /// Binds a port of the current node. The IP part must be unspecified (`0.0.0.0`) or the
    /// node's own address; port 0 picks a free ephemeral port.
    pub async fn bind(addr: impl ToSocketAddr) -> io::Result<UdpSocket> {
        let addr = addr.to_socket_addr()?;
        #[cfg(feature = "real")]
        if crate::real::here() {
            let socket = crate::real::net::udp_bind(addr).await?;
            return Ok(UdpSocket {
                node: NodeId(u32::MAX),
                local: socket.local_addr()?,
                id: u64::MAX,
                real: Some(socket),
            });
        }
        context::with("UdpSocket::bind", |w| {
            let node = current_node(w)?;
            let mut nodes = w.nodes.borrow_mut();
            let n = &mut nodes[node.index()];
            if !addr.ip().is_unspecified() && addr.ip() != n.ip {
                return Err(io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!(
                        "{} is not an address of node `{}` (its address is {})",
                        addr.ip(),
                        n.name,
                        n.ip
                    ),
                ));
            }
            let (port, id) = n.bindings.bind(addr.port())?;
            Ok(UdpSocket {
                node,
                local: SocketAddr::new(n.ip, port),
                id,
                #[cfg(feature = "real")]
                real: None,
            })
        })
    }

    /// The address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// Sends one datagram. Completes at once: the network decides its fate (delay, loss).
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddr) -> io::Result<usize> {
        let target = target.to_socket_addr()?;
        if buf.len() > MAX_DATAGRAM {
            return Err(too_large(buf.len()));
        }
        #[cfg(feature = "real")]
        if let Some(real) = &self.real {
            // A poll_fn keeps this future small: the simulated path must not pay for tokio's.
            return poll_fn(|cx| real.poll_send_to(cx, buf, target)).await;
        }
        let payload = context::with("UdpSocket::send_to", |w| w.buffer_with(buf));
        self.send_sim(payload, target)?;
        Ok(buf.len())
    }

    /// Sends an owned buffer without copying it (the typed endpoint uses this).
    pub(crate) async fn send_vec(&self, payload: Vec<u8>, target: SocketAddr) -> io::Result<()> {
        #[cfg(feature = "real")]
        if self.real.is_some() {
            return self.send_real(payload, target).await;
        }
        self.send_sim(payload, target)
    }

    /// A send on the real backend (a small future: the simulated path does not carry it).
    #[cfg(feature = "real")]
    #[inline(never)]
    async fn send_real(&self, payload: Vec<u8>, target: SocketAddr) -> io::Result<()> {
        if payload.len() > MAX_DATAGRAM {
            return Err(too_large(payload.len()));
        }
        let real = self.real.as_ref().expect("a real socket");
        poll_fn(|cx| real.poll_send_to(cx, &payload, target))
            .await
            .map(drop)
    }

    /// The simulated send: synchronous (the network decides the datagram's fate at once).
    fn send_sim(&self, payload: Vec<u8>, target: SocketAddr) -> io::Result<()> {
        if payload.len() > MAX_DATAGRAM {
            return Err(too_large(payload.len()));
        }
        context::with("UdpSocket::send_to", |w| {
            let to = resolve(w, target.ip())?;
            w.send_packet(self.node, self.local, to, target, payload);
            Ok(())
        })
    }

    /// Receives one datagram into `buf`, truncating it if `buf` is too small (as UDP does).
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        #[cfg(feature = "real")]
        if let Some(real) = &self.real {
            return poll_fn(|cx| crate::real::net::poll_recv_from(real, cx, buf)).await;
        }
        let (data, from) = self.recv_vec().await?;
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        context::try_with(|w| w.recycle_buffer(data));
        Ok((n, from))
    }

    /// Receives one datagram as an owned buffer.
    pub async fn recv_vec(&self) -> io::Result<(Vec<u8>, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_vec(cx)).await
    }

    /// Polls for one datagram.
    pub fn poll_recv_vec(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Vec<u8>, SocketAddr)>> {
        #[cfg(feature = "real")]
        if let Some(real) = &self.real {
            return crate::real::net::poll_recv_vec(real, cx);
        }
        context::with("UdpSocket::recv_from", |w| {
            w.nodes.borrow_mut()[self.node.index()].bindings.poll_recv(
                self.local.port(),
                self.id,
                cx,
            )
        })
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        #[cfg(feature = "real")]
        if self.real.is_some() {
            return;
        }
        context::try_with(|w| {
            if let Ok(mut nodes) = w.nodes.try_borrow_mut() {
                nodes[self.node.index()]
                    .bindings
                    .unbind(self.local.port(), self.id);
            }
        });
    }
}

pub(crate) fn current_node(w: &World) -> io::Result<NodeId> {
    w.current.get().ok_or_else(|| {
        io::Error::other("sockets can only be used from a task running on a simulated node")
    })
}

/// The node that owns `ip`.
pub(crate) fn resolve(w: &World, ip: IpAddr) -> io::Result<NodeId> {
    let nodes = w.nodes.borrow();
    let index = match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            ((a, b) == (127, 1)).then(|| ((c as usize) << 8 | d as usize).wrapping_sub(1))
        }
        IpAddr::V6(_) => None,
    };
    index
        .filter(|&i| i < nodes.len() && nodes[i].ip == ip)
        .map(|i| NodeId(i as u32))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::HostUnreachable,
                format!("no simulated node has address {ip}"),
            )
        })
}
