//! `TcpStream` and its halves: connect, read, write, shutdown, over the simulated network.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures::io::{AsyncRead, AsyncWrite};

use super::config::TcpConfig;
use super::state::{End, Kind, Wakes, CLIENT};
use crate::context;
use crate::net::addr::ToSocketAddr;
use crate::net::socket::{current_node, resolve};
use crate::world::World;

/// Which connection and which end of it a handle stands for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Side {
    pub key: u32,
    pub id: u64,
    pub side: usize,
    pub local: SocketAddr,
    pub peer: SocketAddr,
}

/// The error a broken end reports.
fn error(kind: io::ErrorKind, peer: SocketAddr) -> io::Error {
    let what = match kind {
        io::ErrorKind::ConnectionRefused => "connection refused",
        io::ErrorKind::ConnectionReset => "connection reset by peer",
        io::ErrorKind::TimedOut => "connection timed out",
        _ => "connection failed",
    };
    io::Error::new(kind, format!("{what} ({peer})"))
}

fn gone() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "the connection was closed by a crash of its node",
    )
}

/// Stores `cx`'s waker in `slot` unless it is already there.
fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

impl Side {
    /// Runs `f` on this end and the peer's, then wakes what it asked for.
    fn with<R>(
        &self,
        what: &str,
        f: impl FnOnce(&World, &mut crate::net::network::Network, &mut Wakes) -> R,
    ) -> R {
        context::with(what, |w| {
            let mut wakes = Wakes::default();
            let r = f(w, &mut w.net.borrow_mut(), &mut wakes);
            wakes.wake_all();
            r
        })
    }

    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.with("TcpStream::read", |_, net, wakes| {
            let Some(conn) = net.tcp.conn(self.key, self.id) else {
                return Poll::Ready(Err(gone()));
            };
            let [a, b] = &mut conn.ends;
            let (mine, peer) = if self.side == CLIENT { (a, b) } else { (b, a) };
            if mine.crashed {
                return Poll::Ready(Err(gone()));
            }
            if !mine.recv.is_empty() && !buf.is_empty() {
                let n = copy_out(mine, buf);
                peer.unread = peer
                    .unread
                    .checked_sub(n)
                    .expect("sandtable bug: the window counts every byte in flight");
                wakes.push(peer.write_waker.take());
                return Poll::Ready(Ok(n));
            }
            if let Some(kind) = mine.error {
                return Poll::Ready(Err(error(kind, self.peer)));
            }
            if mine.at_eof() || buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            register(&mut mine.read_waker, cx);
            Poll::Pending
        })
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.with("TcpStream::write", |w, net, wakes| {
            let config = &net.tcp.config;
            let (window, segment) = (config.window_bytes, config.segment_bytes);
            let deadline = w.now.get() + TcpConfig::ns(config.retransmission_timeout);
            let Some(conn) = net.tcp.conn(self.key, self.id) else {
                return Poll::Ready(Err(gone()));
            };
            let mine = &mut conn.ends[self.side];
            if mine.crashed {
                return Poll::Ready(Err(gone()));
            }
            if let Some(kind) = mine.error {
                return Poll::Ready(Err(error(kind, self.peer)));
            }
            if mine.fin_sent {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "write after shutdown",
                )));
            }
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            // Wait for a useful amount of room rather than send slivers (silly windows).
            let room = window - mine.unread;
            if room < buf.len().min(segment).min(window.div_ceil(2)) {
                register(&mut mine.write_waker, cx);
                return Poll::Pending;
            }
            let n = buf.len().min(room);
            let start = mine.send_next;
            mine.send_next += n as u64;
            mine.unread += n;
            for (i, chunk) in buf[..n].chunks(segment).enumerate() {
                let seq = start + (i * segment) as u64;
                let payload = w.buffer_with(chunk);
                let conn = (self.key, self.id);
                w.tcp_send(
                    net,
                    conn,
                    self.side,
                    Kind::Data,
                    seq,
                    payload,
                    deadline,
                    wakes,
                );
            }
            Poll::Ready(Ok(n))
        })
    }

    /// Closes the write direction: a FIN follows the data written so far.
    fn shutdown(&self) -> io::Result<()> {
        self.with("TcpStream::shutdown", |w, net, wakes| {
            let Some(conn) = net.tcp.conn(self.key, self.id) else {
                return Err(gone());
            };
            let mine = &mut conn.ends[self.side];
            if mine.crashed {
                return Err(gone());
            }
            if let Some(kind) = mine.error {
                return Err(error(kind, self.peer));
            }
            self.send_fin_once(w, net, wakes);
            Ok(())
        })
    }

    /// Sends this side's FIN, after the data written so far, unless it was sent already.
    fn send_fin_once(&self, w: &World, net: &mut crate::net::network::Network, wakes: &mut Wakes) {
        let deadline = w.now.get() + TcpConfig::ns(net.tcp.config.retransmission_timeout);
        let Some(conn) = net.tcp.conn(self.key, self.id) else {
            return;
        };
        let mine = &mut conn.ends[self.side];
        if mine.fin_sent {
            return;
        }
        mine.fin_sent = true;
        let seq = mine.send_next;
        let conn = (self.key, self.id);
        w.tcp_send(
            net,
            conn,
            self.side,
            Kind::Fin,
            seq,
            Vec::new(),
            deadline,
            wakes,
        );
    }

    /// A handle let go of the read direction, the write direction, or both.
    fn release(&self, read: bool, write: bool) {
        context::try_with(|w| {
            let Ok(mut net) = w.net.try_borrow_mut() else {
                return;
            };
            let mut wakes = Wakes::default();
            self.release_in(w, &mut net, read, write, &mut wakes);
            drop(net);
            wakes.wake_all();
        });
    }

    fn release_in(
        &self,
        w: &World,
        net: &mut crate::net::network::Network,
        read: bool,
        write: bool,
        wakes: &mut Wakes,
    ) {
        let Some(conn) = net.tcp.conn(self.key, self.id) else {
            return;
        };
        let [a, b] = &mut conn.ends;
        let (mine, peer) = if self.side == CLIENT { (a, b) } else { (b, a) };
        if mine.crashed {
            return;
        }
        if read {
            mine.read_open = false;
            mine.read_waker = None;
            // Bytes nobody will read leave the peer's window.
            let unread = mine.recv.len();
            mine.recv.clear();
            peer.unread -= unread.min(peer.unread);
            wakes.push(peer.write_waker.take());
        }
        let mut fin = false;
        if write {
            mine.write_open = false;
            mine.write_waker = None;
            fin = !mine.dead() && mine.established;
        }
        if fin {
            self.send_fin_once(w, net, wakes);
        }
        net.tcp.release_port(self.key);
        w.tcp_free(net, self.key);
    }
}

/// Moves buffered bytes into `buf`; returns how many.
fn copy_out(end: &mut End, buf: &mut [u8]) -> usize {
    let n = buf.len().min(end.recv.len());
    let (front, back) = end.recv.as_slices();
    let k = n.min(front.len());
    buf[..k].copy_from_slice(&front[..k]);
    buf[k..n].copy_from_slice(&back[..n - k]);
    end.recv.drain(..n);
    n
}

/// A simulated TCP connection between two nodes: a reliable, ordered byte stream. API after
/// `tokio::net::TcpStream`; implements `futures::io::{AsyncRead, AsyncWrite}`.
///
/// Bytes written are cut into segments that cross the simulated network (latency, loss as
/// retransmission, partitions hold them back), and are read in order, exactly once. A crash of
/// either node, or a partition longer than the retransmission timeout, breaks the connection
/// ([`crate::net::TcpConfig`] has the timeouts). Dropping the stream closes it (the peer reads
/// EOF).
///
/// ```
/// use futures::io::{AsyncReadExt, AsyncWriteExt};
/// use sandtable::net::{TcpListener, TcpStream};
/// use sandtable::prelude::*;
///
/// let sim = Sim::new(7);
/// sim.add_node("server", || async {
///     let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
///     loop {
///         let (mut stream, _peer) = listener.accept().await.unwrap();
///         spawn(async move {
///             let mut buf = [0u8; 1024];
///             loop {
///                 let n = stream.read(&mut buf).await.unwrap();
///                 if n == 0 {
///                     break; // the client shut down its side
///                 }
///                 stream.write_all(&buf[..n]).await.unwrap();
///             }
///         })
///         .detach();
///     }
/// });
/// let echoed = sim
///     .block_on("client", async {
///         let mut stream = TcpStream::connect(("server", 80)).await.unwrap();
///         stream.write_all(b"hello over tcp").await.unwrap();
///         stream.shutdown().await.unwrap();
///         let mut reply = Vec::new();
///         stream.read_to_end(&mut reply).await.unwrap();
///         reply
///     })
///     .unwrap();
/// assert_eq!(echoed, b"hello over tcp");
/// ```
#[derive(Debug)]
pub struct TcpStream {
    read: OwnedReadHalf,
    write: OwnedWriteHalf,
}

/// The read half of a [`TcpStream`], from [`TcpStream::into_split`]. Dropping it discards
/// what arrives later.
#[derive(Debug)]
pub struct OwnedReadHalf {
    side: Side,
    #[cfg(feature = "real")]
    real: Option<tokio::net::tcp::OwnedReadHalf>,
}

/// The write half of a [`TcpStream`], from [`TcpStream::into_split`]. Dropping it shuts the
/// write direction down (the peer reads EOF).
#[derive(Debug)]
pub struct OwnedWriteHalf {
    side: Side,
    #[cfg(feature = "real")]
    real: Option<tokio::net::tcp::OwnedWriteHalf>,
}

impl TcpStream {
    /// Opens a connection from the current node to `addr` (`"node:port"`, `("node", port)`,
    /// a `SocketAddr`...). Fails with `ConnectionRefused` when nothing listens there, and with
    /// `TimedOut` when no handshake completes within the connect timeout (a partition, a
    /// crashed host).
    pub async fn connect(addr: impl ToSocketAddr) -> io::Result<TcpStream> {
        let addr = addr.to_socket_addr()?;
        #[cfg(feature = "real")]
        if crate::real::here() {
            return TcpStream::from_real(crate::real::net::tcp_connect(addr).await?);
        }
        let mut connecting = context::with("TcpStream::connect", |w| w.tcp_connect(addr))?;
        poll_fn(|cx| connecting.poll(cx)).await
    }

    pub(crate) fn from_side(side: Side) -> TcpStream {
        TcpStream {
            read: OwnedReadHalf {
                side,
                #[cfg(feature = "real")]
                real: None,
            },
            write: OwnedWriteHalf {
                side,
                #[cfg(feature = "real")]
                real: None,
            },
        }
    }

    /// A stream of the real backend.
    #[cfg(feature = "real")]
    pub(crate) fn from_real(stream: tokio::net::TcpStream) -> io::Result<TcpStream> {
        let side = Side {
            key: u32::MAX,
            id: u64::MAX,
            side: CLIENT,
            local: stream.local_addr()?,
            peer: stream.peer_addr()?,
        };
        let (read, write) = stream.into_split();
        Ok(TcpStream {
            read: OwnedReadHalf {
                side,
                real: Some(read),
            },
            write: OwnedWriteHalf {
                side,
                real: Some(write),
            },
        })
    }

    /// This end's address (the node's address and an ephemeral port for a client).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.read.side.local)
    }

    /// The other end's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.read.side.peer)
    }

    /// Splits the stream into halves that two tasks can use at once.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        (self.read, self.write)
    }

    /// Reads what has arrived into `buf`, waiting for at least one byte; 0 means EOF (the peer
    /// shut down its write direction).
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read.read(buf).await
    }

    /// Writes a prefix of `buf`, waiting while the peer's receive window is full.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write.write(buf).await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write.write_all(buf).await
    }

    /// Shuts the write direction down: the peer reads EOF after the data written so far.
    /// Reading goes on.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.write.shutdown().await
    }
}

impl OwnedReadHalf {
    /// See [`TcpStream::read`].
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_buf(cx, buf)).await
    }

    fn poll_read_buf(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        #[cfg(feature = "real")]
        if let Some(real) = self.real.as_mut() {
            return crate::real::net::poll_read(real, cx, buf);
        }
        self.side.poll_read(cx, buf)
    }

    /// The other end's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.side.peer)
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.side.local)
    }
}

impl OwnedWriteHalf {
    /// See [`TcpStream::write`].
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_buf(cx, buf)).await
    }

    fn poll_write_buf(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        #[cfg(feature = "real")]
        if let Some(real) = self.real.as_mut() {
            return crate::real::net::poll_write(real, cx, buf);
        }
        self.side.poll_write(cx, buf)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        #[cfg(feature = "real")]
        if let Some(real) = self.real.as_mut() {
            return crate::real::net::poll_shutdown(real, cx);
        }
        let _ = cx;
        Poll::Ready(self.side.shutdown())
    }

    /// See [`TcpStream::write_all`].
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// See [`TcpStream::shutdown`].
    pub async fn shutdown(&mut self) -> io::Result<()> {
        poll_fn(|cx| self.poll_shutdown(cx)).await
    }

    /// The other end's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.side.peer)
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.side.local)
    }
}

impl Drop for OwnedReadHalf {
    fn drop(&mut self) {
        #[cfg(feature = "real")]
        if self.real.is_some() {
            return;
        }
        self.side.release(true, false);
    }
}

impl Drop for OwnedWriteHalf {
    fn drop(&mut self) {
        #[cfg(feature = "real")]
        if self.real.is_some() {
            return;
        }
        self.side.release(false, true);
    }
}

impl AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_buf(cx, buf)
    }
}

impl AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_buf(cx, buf)
    }

    /// Nothing is buffered on the sending side: writes are on the wire when they return.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shutdown(cx)
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.write).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.write).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.write).poll_close(cx)
    }
}

/// A connect in progress; dropping it abandons the connection.
pub(crate) struct Connecting {
    side: Option<Side>,
}

impl Connecting {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        let side = self.side.expect("polled after completion");
        let ready = side.with("TcpStream::connect", |_, net, _| {
            let Some(conn) = net.tcp.conn(side.key, side.id) else {
                return Poll::Ready(Err(gone()));
            };
            let mine = &mut conn.ends[CLIENT];
            if mine.crashed {
                return Poll::Ready(Err(gone()));
            }
            if let Some(kind) = mine.error {
                return Poll::Ready(Err(error(kind, side.peer)));
            }
            if mine.established {
                return Poll::Ready(Ok(()));
            }
            register(&mut mine.read_waker, cx);
            Poll::Pending
        });
        ready.map(|r| r.map(|()| TcpStream::from_side(self.side.take().expect("checked above"))))
    }
}

impl Drop for Connecting {
    fn drop(&mut self) {
        if let Some(side) = self.side.take() {
            side.release(true, true);
        }
    }
}

impl World {
    /// Opens the client end of a new connection from the current node and sends its SYN.
    pub(crate) fn tcp_connect(&self, dst: SocketAddr) -> io::Result<Connecting> {
        let node = current_node(self)?;
        let to = resolve(self, dst.ip())?;
        let ip = self.nodes.borrow()[node.index()].ip;
        let mut net = self.net.borrow_mut();
        let tcp = &mut net.tcp;
        let port = tcp.ephemeral(node)?;
        tcp.ports.insert((node, port));
        let local = SocketAddr::new(ip, port);
        let id = tcp.next_id();
        let connect_deadline = self.now.get() + TcpConfig::ns(tcp.config.connect_timeout);
        let key = tcp.conns.insert(super::state::Conn {
            id,
            ends: [End::new(node, local, true), End::new(to, dst, false)],
            connect_deadline,
        }) as u32;
        tracing::debug!(target: "sandtable::net", conn = id, %local, %dst, "tcp connect");
        let mut wakes = Wakes::default();
        let conn = (key, id);
        self.tcp_send(
            &mut net,
            conn,
            CLIENT,
            Kind::Syn,
            0,
            Vec::new(),
            connect_deadline,
            &mut wakes,
        );
        drop(net);
        wakes.wake_all();
        Ok(Connecting {
            side: Some(Side {
                key,
                id,
                side: CLIENT,
                local,
                peer: dst,
            }),
        })
    }
}
