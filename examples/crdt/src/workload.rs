//! The clients: each sends random operations (increment, change, add, remove, write) to
//! random replicas, one at a time, and records what it learned of each — acknowledged, or
//! unknown when no answer came in time. An operation is never retried: a retried increment
//! might count twice.

use std::io;
use std::time::Duration;

use sandtable::lin::Outcome;
use sandtable::net::Endpoint;
use sandtable::time::{self, Instant};
use sandtable::Handle;

use crate::message::Msg;
use crate::store::{Element, Op, Reply, Store};

/// Elements are drawn from `0..ELEMENTS` (few, so adds and removes of one element meet).
pub const ELEMENTS: Element = 6;
/// How long a client waits for an answer before recording the operation as unknown.
pub const REPLY_TIMEOUT: Duration = Duration::from_millis(300);
/// A client waits this long (uniform, in ms) between operations.
pub const THINK_MS: std::ops::RangeInclusive<u64> = 5..=60;

/// One operation as a client saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The client.
    pub client: u32,
    /// The operation.
    pub op: Op,
    /// The replica it was sent to.
    pub node: String,
    /// Acknowledged or unknown.
    pub outcome: Outcome,
    /// The replica's answer, if acknowledged.
    pub reply: Option<Reply>,
    /// True time of the send (ns).
    pub invoked_ns: u64,
    /// True time of the answer (ns).
    pub acknowledged_ns: Option<u64>,
}

fn now_ns() -> u64 {
    Handle::try_current().map_or(0, |h| h.elapsed().as_nanos() as u64)
}

/// One client loop.
#[derive(Clone, Debug)]
pub struct ClientLoop {
    /// The client's index (tags and written values are derived from it, so they are unique).
    pub index: u32,
    /// The replicas' names.
    pub nodes: Vec<String>,
    /// Their port.
    pub port: u16,
    /// Invoke nothing once true virtual time reaches this.
    pub until: Duration,
}

impl ClientLoop {
    /// A random operation; `seq` makes its tag or written value unique.
    fn random_op(&self, seq: u64) -> Op {
        let unique = (u64::from(self.index) + 1) * 1_000_000 + seq;
        match sandtable::rand::random_range(0..100) {
            0..20 => Op::Increment(sandtable::rand::random_range(1..=3)),
            20..40 => Op::Change(
                *[-3, -2, -1, 1, 2, 3]
                    .get(sandtable::rand::random_range(0..6))
                    .expect("in range"),
            ),
            40..65 => Op::Add(sandtable::rand::random_range(0..ELEMENTS), unique),
            65..85 => Op::Remove(sandtable::rand::random_range(0..ELEMENTS)),
            _ => Op::Write(unique),
        }
    }

    /// Runs operations until `until`; returns what it learned of each.
    pub async fn run(self) -> io::Result<Vec<Record>> {
        let ep = Endpoint::<Msg>::bind("0.0.0.0:0").await?;
        let mut records = Vec::new();
        let mut seq = 0;
        let elapsed = || Handle::try_current().map_or(Duration::ZERO, |h| h.elapsed());
        while elapsed() < self.until {
            time::sleep(Duration::from_millis(sandtable::rand::random_range(
                THINK_MS,
            )))
            .await;
            seq += 1;
            let op = self.random_op(seq);
            let node = self.nodes[sandtable::rand::random_range(0..self.nodes.len())].clone();
            records.push(call(&ep, self.index, seq, op, &node, self.port).await);
        }
        Ok(records)
    }
}

/// Sends `op` (request `id` of client `client`) to `node` and waits up to [`REPLY_TIMEOUT`]
/// for the answer; never retries.
pub async fn call(
    ep: &Endpoint<Msg>,
    client: u32,
    id: u64,
    op: Op,
    node: &str,
    port: u16,
) -> Record {
    let invoked_ns = now_ns();
    let request = Msg::Request { id, op: op.clone() };
    let reply = match ep.send((node, port), &request).await {
        Ok(()) => await_reply(ep, id).await,
        Err(e) => {
            tracing::debug!("send failed: {e}");
            None
        }
    };
    Record {
        client,
        op,
        node: node.to_string(),
        outcome: if reply.is_some() {
            Outcome::Acknowledged
        } else {
            Outcome::Unknown
        },
        acknowledged_ns: reply.as_ref().map(|_| now_ns()),
        reply,
        invoked_ns,
    }
}

/// Waits up to [`REPLY_TIMEOUT`] for the answer to request `id`, ignoring late answers to
/// earlier requests.
async fn await_reply(ep: &Endpoint<Msg>, id: u64) -> Option<Reply> {
    let until = Instant::now() + REPLY_TIMEOUT;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match time::timeout(left, ep.recv()).await {
            Ok(Ok((Msg::Reply { id: got, reply }, _))) if got == id => return Some(reply),
            Ok(_) => continue,
            Err(_elapsed) => return None,
        }
    }
}

/// Reads every replica's state, retrying each until it answers (the network may still drop
/// messages) or `give_up` has passed; `None` for a replica that never answered.
pub async fn read_all(
    nodes: &[String],
    port: u16,
    give_up: Duration,
) -> io::Result<Vec<(String, Option<Store>)>> {
    let ep = Endpoint::<Msg>::bind("0.0.0.0:0").await?;
    let mut states = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let deadline = Instant::now() + give_up;
        let mut state = None;
        while state.is_none() && Instant::now() < deadline {
            let id = i as u64;
            if ep
                .send((node.as_str(), port), &Msg::Read { id })
                .await
                .is_ok()
            {
                let left = Duration::from_millis(100);
                if let Ok(Ok((Msg::State { id: got, state: s }, _))) =
                    time::timeout(left, ep.recv()).await
                {
                    if got == id {
                        state = Some(s);
                    }
                }
            }
        }
        states.push((node.clone(), state));
    }
    Ok(states)
}
