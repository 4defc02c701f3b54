//! The recorded client workload: each client loop reads and writes the register through a
//! [`Client`] and records every operation into a history for the `register` model — `ok` with
//! what it saw, `info` when the outcome is unknown (after which, as in Jepsen, the process
//! retires and a fresh one takes over). Written values are unique, so a stale read names the
//! write it missed.

use std::time::Duration;

use sandtable::lin::{Recorder, Value};
use sandtable::{Handle, Progress};

use crate::client::Client;
use crate::message::{Op, OpResult};

/// How long a client tries one operation before recording it as `info`.
pub const GIVE_UP: Duration = Duration::from_millis(500);
/// The share of reads among a read-write client's operations (lease reads are what the lease
/// is for). The first client only reads, like a dashboard: it stays with whichever node served
/// it last, so it is the one to notice when an old leader outlives its lease.
pub const READS: f64 = 0.75;
/// The longest pause between two operations of one client (drawn uniformly).
pub const THINK_MAX: Duration = Duration::from_millis(20);

/// One client loop.
#[derive(Clone)]
pub struct ClientLoop {
    /// The loop's index (its first process id; its written values start at `index << 32`).
    pub index: u64,
    /// Process ids step by this much at each retirement (the number of loops).
    pub stride: u64,
    /// The cluster's node names.
    pub nodes: Vec<String>,
    /// Their port.
    pub port: u16,
    /// Where operations are recorded.
    pub history: Recorder,
    /// Invoke nothing once true virtual time reaches this.
    pub until: Duration,
    /// Told at every definite answer (for the liveness check).
    pub progress: Progress,
    /// The share of reads among its operations (1 for a read-only client).
    pub reads: f64,
}

fn true_now() -> Duration {
    Handle::try_current().map_or(Duration::ZERO, |h| h.elapsed())
}

fn stamp() -> Option<u64> {
    Some(true_now().as_nanos() as u64)
}

impl ClientLoop {
    /// The progress participant's name of this loop.
    pub fn name(&self) -> String {
        format!("client{}", self.index)
    }

    /// Runs operations until `until`.
    pub async fn run(self) {
        let name = self.name();
        let mut client = Client::connect(self.nodes.clone(), self.port)
            .await
            .expect("a client can bind an ephemeral port");
        let mut process = self.index;
        let mut written = self.index << 32;
        while true_now() < self.until {
            let think = sandtable::rand::random_range(0..THINK_MAX.as_millis() as u64);
            sandtable::time::sleep(Duration::from_millis(think)).await;
            let (op, f, value) = if sandtable::rand::random_bool(self.reads) {
                (Op::Read, "read", Value::Null)
            } else {
                written += 1;
                let v = written as i64;
                (Op::Write(v), "write", Value::from(v))
            };
            let id = self
                .history
                .invoke(process, f, None, value.clone(), stamp());
            match client.call(op, GIVE_UP).await {
                Some(OpResult::Value(v)) => {
                    self.history
                        .ok(id, v.map_or(Value::Null, Value::from), stamp())
                }
                Some(OpResult::Written) => self.history.ok(id, value, stamp()),
                None => {
                    self.history.info(id, stamp());
                    process += self.stride;
                    continue;
                }
            }
            self.progress.made(&name);
        }
    }
}
