//! The client: finds the leader, retries with backoff, and keeps one session (client id,
//! sequence number) so that a retried request is applied once.

use std::io;
use std::time::Duration;

use sandtable::net::Endpoint;
use sandtable::time::{self, Instant};

use crate::message::{Msg, Op, OpResult, Refusal};
use crate::node::Peer;

/// How long one attempt waits for an answer before the client tries another node.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(250);

/// A client session with the cluster.
pub struct Client {
    id: u64,
    seq: u64,
    ep: Endpoint<Msg>,
    nodes: Vec<Peer>,
    leader: usize,
}

impl Client {
    /// A session `id` (unique among the cluster's clients) with the cluster `nodes`.
    pub async fn connect(id: u64, nodes: Vec<Peer>) -> io::Result<Client> {
        assert!(!nodes.is_empty(), "a client needs at least one node");
        let ep = Endpoint::<Msg>::bind("0.0.0.0:0").await?;
        let leader = sandtable::rand::random_range(0..nodes.len());
        Ok(Client {
            id,
            seq: 0,
            ep,
            nodes,
            leader,
        })
    }

    /// Runs `op`, retrying across nodes until it is answered or `give_up` has passed. `None`:
    /// the outcome is unknown (it may or may not take effect, now or later).
    pub async fn call(&mut self, op: Op, give_up: Duration) -> Option<OpResult> {
        self.seq += 1;
        let seq = self.seq;
        let deadline = Instant::now() + give_up;
        let mut attempt = 0u32;
        while Instant::now() < deadline {
            let peer = &self.nodes[self.leader];
            let target = (peer.name.as_str(), peer.port);
            let request = Msg::Request {
                client: self.id,
                seq,
                op: op.clone(),
            };
            if self.ep.send(target, &request).await.is_ok() {
                match self.await_reply(seq).await {
                    Some(Ok(result)) => return Some(result),
                    Some(Err(Refusal::NotLeader { hint: Some(h) })) if h != self.leader => {
                        self.leader = h;
                        continue;
                    }
                    _ => {}
                }
            }
            self.leader = (self.leader + 1) % self.nodes.len();
            attempt += 1;
            let backoff_ms = 10u64 << attempt.min(4);
            time::sleep(Duration::from_millis(sandtable::rand::random_range(
                backoff_ms / 2..=backoff_ms,
            )))
            .await;
        }
        None
    }

    /// Waits up to one attempt's timeout for the answer to `seq` (ignoring stale answers).
    async fn await_reply(&self, seq: u64) -> Option<Result<OpResult, Refusal>> {
        let until = Instant::now() + ATTEMPT_TIMEOUT;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match time::timeout(left, self.ep.recv()).await {
                Ok(Ok((
                    Msg::Reply {
                        client,
                        seq: s,
                        result,
                    },
                    _,
                ))) if client == self.id && s == seq => return Some(result),
                Ok(_) => continue,
                Err(_elapsed) => return None,
            }
        }
    }
}
