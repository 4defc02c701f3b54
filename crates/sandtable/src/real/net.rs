//! Real sockets behind Sandtable's `UdpSocket`, `TcpListener` and `TcpStream`, and names
//! resolved through the cluster map.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The largest UDP payload over IPv4 (65,535 − 8 − 20 bytes).
const MAX_UDP: usize = 65_507;

/// The IP address of node `name`, from the cluster map.
pub(crate) fn lookup(name: &str) -> io::Result<IpAddr> {
    super::with("sandtable::net::lookup", |s| s.cluster.resolve(name))
}

pub(crate) async fn udp_bind(addr: SocketAddr) -> io::Result<tokio::net::UdpSocket> {
    tokio::net::UdpSocket::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot bind UDP socket {addr}: {e}")))
}

/// Polls for one datagram as an owned buffer of its length.
pub(crate) fn poll_recv_vec(
    socket: &tokio::net::UdpSocket,
    cx: &mut Context<'_>,
) -> Poll<io::Result<(Vec<u8>, SocketAddr)>> {
    let mut storage = vec![0u8; MAX_UDP];
    let mut buf = ReadBuf::new(&mut storage);
    match socket.poll_recv_from(cx, &mut buf) {
        Poll::Ready(Ok(from)) => {
            let n = buf.filled().len();
            storage.truncate(n);
            Poll::Ready(Ok((storage, from)))
        }
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
}

/// Polls for one datagram into `buf` (truncated if `buf` is too small, as UDP does).
pub(crate) fn poll_recv_from(
    socket: &tokio::net::UdpSocket,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<(usize, SocketAddr)>> {
    let mut buf = ReadBuf::new(buf);
    match socket.poll_recv_from(cx, &mut buf) {
        Poll::Ready(Ok(from)) => Poll::Ready(Ok((buf.filled().len(), from))),
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
}

pub(crate) async fn tcp_bind(addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on TCP {addr}: {e}")))
}

pub(crate) async fn tcp_connect(addr: SocketAddr) -> io::Result<tokio::net::TcpStream> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| io::Error::new(e.kind(), format!("cannot connect to {addr}: {e}")))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

pub(crate) fn poll_read(
    half: &mut tokio::net::tcp::OwnedReadHalf,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>> {
    let mut buf = ReadBuf::new(buf);
    match Pin::new(half).poll_read(cx, &mut buf) {
        Poll::Ready(Ok(())) => Poll::Ready(Ok(buf.filled().len())),
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
}

pub(crate) fn poll_write(
    half: &mut tokio::net::tcp::OwnedWriteHalf,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>> {
    Pin::new(half).poll_write(cx, buf)
}

pub(crate) fn poll_shutdown(
    half: &mut tokio::net::tcp::OwnedWriteHalf,
    cx: &mut Context<'_>,
) -> Poll<io::Result<()>> {
    Pin::new(half).poll_shutdown(cx)
}
