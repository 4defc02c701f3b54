//! What travels between clients and replicas, and between replicas (bincode over a typed
//! `sandtable::net::Endpoint`).

use serde::{Deserialize, Serialize};

use crate::store::{Op, Reply, Store};

/// Every message of the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    /// A client's operation; `id` is unique per client and echoed in the reply.
    Request {
        /// The request's id.
        id: u64,
        /// The operation.
        op: Op,
    },
    /// A replica's answer, sent once the operation is durable.
    Reply {
        /// The request's id.
        id: u64,
        /// The outcome.
        reply: Reply,
    },
    /// Anti-entropy: the sender's full state. With `answer`, the receiver sends its own merged
    /// state back if it differs (push-pull), so one exchange brings both sides up to date.
    Gossip {
        /// The sender's state.
        state: Store,
        /// Whether the receiver should answer with its state.
        answer: bool,
    },
    /// A request for the replica's state (the final read of a test).
    Read {
        /// The request's id.
        id: u64,
    },
    /// The answer to [`Msg::Read`].
    State {
        /// The request's id.
        id: u64,
        /// The replica's state.
        state: Store,
    },
}
