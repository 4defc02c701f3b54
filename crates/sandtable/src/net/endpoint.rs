//! Typed endpoints: `serde` messages encoded with `bincode` once at send, decoded at receive.

use std::io;
use std::marker::PhantomData;
use std::net::SocketAddr;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::addr::ToSocketAddr;
use super::socket::UdpSocket;

/// What can go wrong with a typed message. A decode failure is the receiver's to handle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The socket layer failed (unknown address, closed socket, ...).
    #[error("network: {0}")]
    Io(#[from] io::Error),
    /// The message could not be encoded.
    #[error("could not encode message for {to}: {source}")]
    Encode {
        /// The destination.
        to: SocketAddr,
        /// The encoder's error.
        source: bincode::error::EncodeError,
    },
    /// A datagram arrived that is not a valid message of the expected type.
    #[error("could not decode a {len}-byte message from {from}: {source}")]
    Decode {
        /// Who sent it.
        from: SocketAddr,
        /// Its length in bytes.
        len: usize,
        /// The decoder's error.
        source: bincode::error::DecodeError,
    },
}

/// A socket that sends and receives values of type `M`.
#[derive(Debug)]
pub struct Endpoint<M> {
    socket: UdpSocket,
    _message: PhantomData<fn() -> M>,
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// Encodes a message the way endpoints put it on the wire.
pub fn encode<M: Serialize>(msg: &M) -> Result<Vec<u8>, bincode::error::EncodeError> {
    bincode::serde::encode_to_vec(msg, config())
}

/// Decodes a message the way endpoints read it off the wire; trailing bytes are an error.
pub fn decode<M: DeserializeOwned>(bytes: &[u8]) -> Result<M, bincode::error::DecodeError> {
    let (msg, used) = bincode::serde::decode_from_slice(bytes, config())?;
    if used != bytes.len() {
        return Err(bincode::error::DecodeError::OtherString(format!(
            "{} trailing bytes after the message",
            bytes.len() - used
        )));
    }
    Ok(msg)
}

impl<M: Serialize + DeserializeOwned> Endpoint<M> {
    /// Binds a port of the current node (see [`UdpSocket::bind`]).
    pub async fn bind(addr: impl ToSocketAddr) -> io::Result<Self> {
        Ok(Endpoint {
            socket: UdpSocket::bind(addr).await?,
            _message: PhantomData,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.socket
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// Encodes `msg` and sends it to `to`.
    pub async fn send(&self, to: impl ToSocketAddr, msg: &M) -> Result<(), NetError> {
        let to = to.to_socket_addr()?;
        let bytes = encode(msg).map_err(|source| NetError::Encode { to, source })?;
        self.socket.send_vec(bytes, to).await?;
        Ok(())
    }

    /// Receives and decodes the next message.
    pub async fn recv(&self) -> Result<(M, SocketAddr), NetError> {
        let (bytes, from) = self.socket.recv_vec().await?;
        let msg = decode(&bytes).map_err(|source| NetError::Decode {
            from,
            len: bytes.len(),
            source,
        });
        crate::context::try_with(|w| w.recycle_buffer(bytes));
        Ok((msg?, from))
    }

    /// The underlying datagram socket.
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }
}
