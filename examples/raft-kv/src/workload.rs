//! The recorded client workload: each client loop runs random get / put / cas operations on a
//! few keys through a [`Client`] and records every one into a history for the `kv` model —
//! `ok` with what it saw, `fail` for a cas that found another value, `info` when the outcome is
//! unknown (after which, as in Jepsen, the process retires and a fresh one takes over).

use std::time::Duration;

use sandtable::lin::{Recorder, Value};
use sandtable::{Handle, Progress};

use crate::client::Client;
use crate::message::{Op, OpResult};

/// Keys the workload uses (few, so operations contend).
pub const KEYS: u64 = 3;
/// Values are drawn from `0..VALUES` (few, so cas operations sometimes succeed).
pub const VALUES: i64 = 5;
/// In a busy phase a client waits this long (uniform, in ms) between operations.
pub const BUSY_THINK_MS: std::ops::Range<u64> = 10..100;
/// In a quiet phase, this long. Quiet phases matter: a cluster that always has fresh client
/// entries hides bugs that need a leader with nothing of its own term (the paper's Figure 8).
pub const QUIET_THINK_MS: std::ops::Range<u64> = 300..2_000;
/// Phases (busy or quiet, 60% busy) last this long (uniform, in ms).
pub const PHASE_MS: std::ops::Range<u64> = 1_000..5_000;
/// How long a client retries one operation before recording it as `info`.
pub const GIVE_UP: Duration = Duration::from_secs(1);

/// One client loop.
#[derive(Clone)]
pub struct ClientLoop {
    /// The loop's index (its session id is `first_session + index`; its first process id is
    /// `index`).
    pub index: u64,
    /// The session id of loop 0: loops of different runs against one cluster need ids apart,
    /// or the cluster takes a new run's requests for retries of an old one's.
    pub first_session: u64,
    /// Process ids step by this much at each retirement (the number of loops).
    pub stride: u64,
    /// The cluster's nodes.
    pub nodes: Vec<crate::node::Peer>,
    /// Where operations are recorded.
    pub history: Recorder,
    /// Invoke nothing once the workload clock (virtual time, or the process clock on a real
    /// network) reaches this.
    pub until: Duration,
    /// Told at every definite answer (for the liveness check).
    pub progress: Progress,
}

/// Time for the history and the loop's phases: true virtual time in a simulation (one clock for
/// every client), the process's monotonic clock on a real network.
fn elapsed() -> Duration {
    match Handle::try_current() {
        Some(h) => h.elapsed(),
        None => Duration::from_nanos(sandtable::time::Instant::now().as_nanos().max(0) as u64),
    }
}

fn now_ns() -> Option<u64> {
    Some(elapsed().as_nanos() as u64)
}

/// A random operation: a read with probability `reads_percent`, else a put (2/3) or a cas.
fn random_op(reads_percent: u32) -> Op {
    let key = sandtable::rand::random_range(0..KEYS);
    let v = || sandtable::rand::random_range(0..VALUES);
    if sandtable::rand::random_range(0..100) < reads_percent {
        return Op::Get(key);
    }
    match sandtable::rand::random_range(0..3) {
        0 | 1 => Op::Put(key, v()),
        _ => Op::Cas(key, v(), v()),
    }
}

/// Each loop draws its mix: mostly writes, balanced, or mostly reads. A read-mostly client
/// keeps talking to a node that answers it, which is what exposes a node serving stale data.
const READ_MIXES: [u32; 3] = [20, 50, 90];

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

impl ClientLoop {
    /// Runs operations until `until`.
    pub async fn run(self) {
        let name = format!("client{}", self.index);
        let mut client = Client::connect(self.first_session + self.index, self.nodes.clone())
            .await
            .expect("a client can bind an ephemeral port");
        let mut process = self.index;
        let reads_percent = READ_MIXES[sandtable::rand::random_range(0..READ_MIXES.len())];
        let (mut busy, mut phase_end) = (true, Duration::ZERO);
        while elapsed() < self.until {
            if elapsed() >= phase_end {
                busy = sandtable::rand::random_bool(0.6);
                phase_end =
                    elapsed() + Duration::from_millis(sandtable::rand::random_range(PHASE_MS));
            }
            let think = if busy { BUSY_THINK_MS } else { QUIET_THINK_MS };
            let pause = sandtable::rand::random_range(think);
            sandtable::time::sleep(Duration::from_millis(pause)).await;
            let op = random_op(reads_percent);
            let (f, key, value) = describe(&op);
            let id = self.history.invoke(
                process,
                f,
                Some(Value::from(key as i64)),
                value.clone(),
                now_ns(),
            );
            match client.call(op, GIVE_UP).await {
                Some(OpResult::Value(v)) => {
                    self.history
                        .ok(id, v.map_or(Value::Null, Value::from), now_ns())
                }
                Some(OpResult::Written) | Some(OpResult::Swapped(true)) => {
                    self.history.ok(id, value, now_ns())
                }
                Some(OpResult::Swapped(false)) => self.history.fail(id, now_ns()),
                None => {
                    self.history.info(id, now_ns());
                    process += self.stride;
                    continue;
                }
            }
            self.progress.made(&name);
        }
    }
}
