//! The client: finds the leader (following the hints of nodes that are not) and runs one
//! operation at a time. It retries only what certainly did not happen — a refusal — so a write
//! is never applied twice; a write that got no answer has an unknown outcome.

use std::io;
use std::time::Duration;

use sandtable::net::Endpoint;
use sandtable::time::{self, Instant};

use crate::message::{Msg, Op, OpResult, Refusal};

/// How long one attempt waits for an answer.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(50);
/// The pause before retrying after "not ready" or "busy", or when no node knows the leader.
pub const RETRY_PAUSE: Duration = Duration::from_millis(10);

/// A client of the cluster.
pub struct Client {
    ep: Endpoint<Msg>,
    nodes: Vec<String>,
    port: u16,
    leader: usize,
    next_id: u64,
}

impl Client {
    /// A client of the nodes `nodes` on `port`.
    pub async fn connect(nodes: Vec<String>, port: u16) -> io::Result<Client> {
        assert!(!nodes.is_empty(), "a client needs at least one node");
        let ep = Endpoint::<Msg>::bind("0.0.0.0:0").await?;
        let leader = sandtable::rand::random_range(0..nodes.len());
        Ok(Client {
            ep,
            nodes,
            port,
            leader,
            next_id: 0,
        })
    }

    /// Runs `op` until it is answered or `give_up` has passed. `None`: the outcome is unknown
    /// (a write may still take effect; a read had none).
    pub async fn call(&mut self, op: Op, give_up: Duration) -> Option<OpResult> {
        let deadline = Instant::now() + give_up;
        while Instant::now() < deadline {
            self.next_id += 1;
            let id = self.next_id;
            let target = (self.nodes[self.leader].as_str(), self.port);
            let sent = self.ep.send(target, &Msg::Request { id, op }).await.is_ok();
            let answer = if sent {
                self.await_reply(id).await
            } else {
                None
            };
            tracing::debug!(node = self.leader, ?op, ?answer, "attempt");
            match answer {
                Some(Ok(result)) => return Some(result),
                Some(Err(Refusal::NotLeader { hint: Some(h) })) if h != self.leader => {
                    self.leader = h;
                }
                Some(Err(Refusal::NotLeader { .. })) => {
                    self.leader = (self.leader + 1) % self.nodes.len();
                    time::sleep(RETRY_PAUSE).await;
                }
                Some(Err(Refusal::NotReady | Refusal::Busy)) => time::sleep(RETRY_PAUSE).await,
                Some(Err(Refusal::Indeterminate)) => return None,
                // No answer: the node may be down or cut off, so the next call starts
                // elsewhere. A read may be retried; a write may have happened.
                None => {
                    self.leader = (self.leader + 1) % self.nodes.len();
                    if matches!(op, Op::Write(_)) {
                        return None;
                    }
                }
            }
        }
        None
    }

    /// Waits up to one attempt's timeout for the answer to `id` (ignoring stale answers).
    async fn await_reply(&self, id: u64) -> Option<Result<OpResult, Refusal>> {
        let until = Instant::now() + ATTEMPT_TIMEOUT;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match time::timeout(left, self.ep.recv()).await {
                Ok(Ok((Msg::Reply { id: i, result }, _))) if i == id => return Some(result),
                Ok(_) => continue,
                Err(_elapsed) => return None,
            }
        }
    }
}
