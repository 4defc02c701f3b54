//! The recorded client workload: each client loop runs random reads, writes and cas operations
//! on a few keys against the cluster and records every one for the `kv` model — `ok` with what
//! it saw, `fail` when it certainly had no effect, `info` when the outcome is unknown (the
//! process then retires and a fresh one takes over, as in Jepsen).

use std::rc::Rc;
use std::time::Duration;

use sandtable::lin::{Recorder, Value};
use sandtable::sync::mpsc;
use sandtable::{Handle, Progress};

use crate::network::{call, Outgoing, Transport};
use crate::node::addr;
use crate::types::{Op, OpResult};
use crate::wire::{ClientReply, Reply, Request};

/// Keys the workload uses (few, so operations contend).
pub const KEYS: u64 = 3;
/// Values are drawn from `0..VALUES` (few, so cas operations sometimes succeed).
pub const VALUES: i64 = 5;
/// A client waits this long (uniform, ms) between operations.
pub const THINK_MS: std::ops::Range<u64> = 10..150;
/// One attempt at one node waits this long for the reply.
pub const ATTEMPT: Duration = Duration::from_millis(500);
/// An operation is retried (on definite refusals) for this long, then given up.
pub const GIVE_UP: Duration = Duration::from_secs(2);

/// One client loop.
#[derive(Clone)]
pub struct ClientLoop {
    /// Its index: its first process id; later ones step by `stride`.
    pub index: u64,
    /// The number of loops.
    pub stride: u64,
    /// The server nodes' names.
    pub nodes: Vec<String>,
    /// Where operations are recorded.
    pub history: Recorder,
    /// Invoke nothing after this (virtual time).
    pub until: Duration,
    /// Told at every definite answer (for the liveness check).
    pub progress: Progress,
}

fn now() -> Duration {
    Handle::current().elapsed()
}

fn now_ns() -> Option<u64> {
    Some(now().as_nanos() as u64)
}

fn random_op() -> Op {
    let key = sandtable::rand::random_range(0..KEYS);
    let v = || sandtable::rand::random_range(0..VALUES);
    match sandtable::rand::random_range(0..5) {
        0 | 1 => Op::Get(key),
        2 | 3 => Op::Put(key, v()),
        _ => Op::Cas(key, v(), v()),
    }
}

/// The history's `f`, key and invocation value of `op`.
fn describe(op: &Op) -> (&'static str, u64, Value) {
    match *op {
        Op::Get(k) => ("read", k, Value::Null),
        Op::Put(k, v) => ("write", k, Value::from(v)),
        Op::Cas(k, from, to) => (
            "cas",
            k,
            Value::from(vec![Value::from(from), Value::from(to)]),
        ),
    }
}

/// How one operation ended.
enum Outcome {
    Done(OpResult),
    /// Certainly without effect (every attempt was refused before it was logged).
    Refused,
    /// Unknown: a write may or may not have taken effect.
    Unknown,
}

/// A client's connection to the cluster: its transport and whom it last found leading.
struct Session {
    out: mpsc::UnboundedSender<Outgoing>,
    nodes: Vec<String>,
    target: usize,
}

impl Session {
    async fn open(nodes: Vec<String>) -> std::io::Result<Session> {
        let transport: Rc<Transport> = Transport::bind("0.0.0.0:0").await?;
        let (out, outgoing) = mpsc::unbounded_channel();
        sandtable::task::spawn(transport.clone().send_loop(outgoing)).detach();
        // Replies are routed while this loop waits for requests (clients get none).
        sandtable::task::spawn(async move { while transport.next_request().await.is_ok() {} })
            .detach();
        let target = sandtable::rand::random_range(0..nodes.len());
        Ok(Session { out, nodes, target })
    }

    async fn run(&mut self, op: &Op) -> Outcome {
        let deadline = now() + GIVE_UP;
        while now() < deadline {
            let to = addr(&self.nodes[self.target]);
            let reply = call(&self.out, &to, Request::Client(op.clone()), ATTEMPT).await;
            match reply {
                Some(Reply::Client(ClientReply::Done(r))) => return Outcome::Done(r),
                Some(Reply::Client(ClientReply::NotLeader(hint))) => {
                    self.target = match hint {
                        Some(l) if (l as usize) < self.nodes.len() => l as usize,
                        _ => (self.target + 1) % self.nodes.len(),
                    };
                    sandtable::time::sleep(Duration::from_millis(20)).await;
                }
                // A read has no effect: try elsewhere. A write may have been logged.
                _ if matches!(op, Op::Get(_)) => {
                    self.target = (self.target + 1) % self.nodes.len();
                }
                _ => return Outcome::Unknown,
            }
        }
        Outcome::Refused
    }
}

impl ClientLoop {
    /// Runs operations until `until`.
    pub async fn run(self) {
        let name = format!("client{}", self.index);
        let mut session = Session::open(self.nodes.clone())
            .await
            .expect("a client can bind an ephemeral port");
        let mut process = self.index;
        while now() < self.until {
            let think = sandtable::rand::random_range(THINK_MS);
            sandtable::time::sleep(Duration::from_millis(think)).await;
            let op = random_op();
            let (f, key, value) = describe(&op);
            let id = self.history.invoke(
                process,
                f,
                Some(Value::from(key as i64)),
                value.clone(),
                now_ns(),
            );
            match session.run(&op).await {
                Outcome::Done(OpResult::Value(v)) => {
                    self.history
                        .ok(id, v.map_or(Value::Null, Value::from), now_ns())
                }
                Outcome::Done(OpResult::Written) | Outcome::Done(OpResult::Swapped(true)) => {
                    self.history.ok(id, value, now_ns())
                }
                Outcome::Done(OpResult::Swapped(false)) => self.history.fail(id, now_ns()),
                Outcome::Refused => {
                    self.history.fail(id, now_ns());
                    continue;
                }
                Outcome::Unknown => {
                    self.history.info(id, now_ns());
                    process += self.stride;
                    continue;
                }
            }
            self.progress.made(&name);
        }
    }
}
