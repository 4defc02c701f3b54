//! `TcpListener`: a listening port and its queue of connections whose SYN arrived.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use super::state::{Listener, Wakes, SERVER};
use super::stream::{Side, TcpStream};
use crate::context;
use crate::net::addr::ToSocketAddr;
use crate::net::socket::current_node;
use crate::node::NodeId;

/// A simulated TCP listening socket on a port of the current node. API after
/// `tokio::net::TcpListener`. TCP ports are apart from UDP ports, as on a real host. Dropping
/// it closes the port and resets the connections it had not accepted yet. See [`TcpStream`]
/// for an example.
#[derive(Debug)]
pub struct TcpListener {
    node: NodeId,
    local: SocketAddr,
    id: u64,
    /// A listener of the real backend (the fields above are then unused).
    #[cfg(feature = "real")]
    real: Option<tokio::net::TcpListener>,
}

impl TcpListener {
    /// Listens on a port of the current node. The IP part must be unspecified (`0.0.0.0`) or
    /// the node's own address; port 0 picks a free ephemeral port.
    pub async fn bind(addr: impl ToSocketAddr) -> io::Result<TcpListener> {
        let addr = addr.to_socket_addr()?;
        #[cfg(feature = "real")]
        if crate::real::here() {
            let listener = crate::real::net::tcp_bind(addr).await?;
            return Ok(TcpListener {
                node: NodeId(u32::MAX),
                local: listener.local_addr()?,
                id: u64::MAX,
                real: Some(listener),
            });
        }
        context::with("TcpListener::bind", |w| {
            let node = current_node(w)?;
            let (ip, name) = {
                let nodes = w.nodes.borrow();
                (nodes[node.index()].ip, nodes[node.index()].name.clone())
            };
            if !addr.ip().is_unspecified() && addr.ip() != ip {
                return Err(io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!(
                        "{} is not an address of node `{name}` (its address is {ip})",
                        addr.ip()
                    ),
                ));
            }
            let mut net = w.net.borrow_mut();
            let tcp = &mut net.tcp;
            let port = tcp.listen_port(node, addr.port())?;
            let id = tcp.next_id();
            let listener = Listener {
                id,
                queue: VecDeque::new(),
                waiters: Vec::new(),
            };
            tcp.listeners.insert((node, port), listener);
            let local = SocketAddr::new(ip, port);
            tracing::debug!(target: "sandtable::net", %local, "tcp listen");
            Ok(TcpListener {
                node,
                local,
                id,
                #[cfg(feature = "real")]
                real: None,
            })
        })
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// Waits for the next incoming connection; returns it and the peer's address.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for the next incoming connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        #[cfg(feature = "real")]
        if let Some(real) = &self.real {
            return real.poll_accept(cx).map(|r| {
                let (stream, peer) = r?;
                stream.set_nodelay(true)?;
                Ok((TcpStream::from_real(stream)?, peer))
            });
        }
        context::with("TcpListener::accept", |w| {
            let mut net = w.net.borrow_mut();
            let tcp = &mut net.tcp;
            let key = (self.node, self.local.port());
            let Some(listener) = tcp.listeners.get_mut(&key).filter(|l| l.id == self.id) else {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::NotConnected,
                    "listener was closed by a crash of its node",
                )));
            };
            let Some((conn_key, conn_id)) = listener.queue.pop_front() else {
                if !listener.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    listener.waiters.push(cx.waker().clone());
                }
                return Poll::Pending;
            };
            let conn = tcp
                .conn(conn_key, conn_id)
                .expect("sandtable bug: a queued connection is held by its queue");
            let [client, server] = &mut conn.ends;
            server.queued = false;
            (server.read_open, server.write_open) = (true, true);
            let side = Side {
                key: conn_key,
                id: conn_id,
                side: SERVER,
                local: server.addr,
                peer: client.addr,
            };
            tracing::debug!(target: "sandtable::net", conn = conn_id, peer = %client.addr, "tcp accept");
            Poll::Ready(Ok((TcpStream::from_side(side), side.peer)))
        })
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        #[cfg(feature = "real")]
        if self.real.is_some() {
            return;
        }
        context::try_with(|w| {
            let Ok(mut net) = w.net.try_borrow_mut() else {
                return;
            };
            let key = (self.node, self.local.port());
            if net.tcp.listeners.get(&key).is_none_or(|l| l.id != self.id) {
                return; // a crash closed it already (the port may have a new listener)
            }
            let listener = net.tcp.listeners.remove(&key).expect("checked above");
            let mut wakes = Wakes::default();
            // Connections nobody will accept are reset, as a closing listener does.
            for conn in listener.queue {
                if let Some(c) = net.tcp.conn(conn.0, conn.1) {
                    c.ends[SERVER].queued = false;
                    w.tcp_reset_peer(&mut net, conn, SERVER, &mut wakes);
                    w.tcp_free(&mut net, conn.0);
                }
            }
            drop(net);
            wakes.wake_all();
        });
    }
}
