//! A primary–backup register over typed endpoints.
//!
//! The primary `r0` applies a write, syncs it to its disk, acks the client, then pushes the value
//! to the backups `r1`, `r2` without waiting. Clients read from the primary — linearizable, even
//! under partitions and crashes, since the primary's value is durable — or, with
//! [`Reads::AnyReplica`], from a random replica, which serves stale values: not linearizable.

use std::time::Duration;

use sandtable::lin::{self, models, Recorder, Value};
use sandtable::nemesis::Nemesis;
use sandtable::net::Endpoint;
use sandtable::prelude::*;
use sandtable::{disk, BoxError};
use serde::{Deserialize, Serialize};

/// The replicas, primary first.
pub const REPLICAS: [&str; 3] = ["r0", "r1", "r2"];
const PORT: u16 = 1;

/// Where clients send reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// Always the primary: linearizable.
    Primary,
    /// A random replica: stale reads.
    AnyReplica,
}

#[derive(Serialize, Deserialize, Debug)]
enum Msg {
    Write(i64),
    WriteOk,
    Replicate(i64),
    Read,
    ReadOk(Option<i64>),
}

/// One replica's main loop. Only the primary keeps its value on disk.
pub async fn replica(me: &'static str) {
    let ep = Endpoint::<Msg>::bind(format!("0.0.0.0:{PORT}"))
        .await
        .expect("the replica port is free");
    let mut value = if me == REPLICAS[0] {
        recover().await
    } else {
        None
    };
    loop {
        let Ok((msg, from)) = ep.recv().await else {
            continue;
        };
        match msg {
            Msg::Write(v) => {
                // Atomic: a crash halfway through must not tear the previous durable value.
                if disk::write_atomic("value", &v.to_le_bytes()).await.is_err() {
                    continue; // not durable: no ack, the client times out
                }
                value = Some(v);
                let _ = ep.send(from, &Msg::WriteOk).await;
                for backup in &REPLICAS[1..] {
                    let _ = ep.send((*backup, PORT), &Msg::Replicate(v)).await;
                }
            }
            Msg::Replicate(v) => value = Some(v),
            Msg::Read => {
                let _ = ep.send(from, &Msg::ReadOk(value)).await;
            }
            Msg::WriteOk | Msg::ReadOk(_) => {}
        }
    }
}

async fn recover() -> Option<i64> {
    let bytes = disk::read("value").await.ok()?;
    Some(i64::from_le_bytes(bytes.try_into().ok()?))
}

/// One client process: `ops` random reads and writes, each recorded in `rec`. An operation
/// without a reply within 100 ms is `info` (its outcome is unknown) and the process stops.
pub async fn client(process: u64, ops: usize, rec: Recorder, reads: Reads) {
    client_until(process, ops, rec, reads, Duration::MAX).await
}

/// [`client`], but invoking nothing once virtual time reaches `until`.
async fn client_until(process: u64, ops: usize, rec: Recorder, reads: Reads, until: Duration) {
    let ep = Endpoint::<Msg>::bind("0.0.0.0:0")
        .await
        .expect("an ephemeral port is free");
    let now = || Some(Handle::current().elapsed().as_nanos() as u64);
    for _ in 0..ops {
        sleep(Duration::from_millis(sandtable::rand::random_range(0..200))).await;
        if Handle::current().elapsed() >= until {
            return;
        }
        let (f, value, target, msg) = if sandtable::rand::random_bool(0.4) {
            let v = sandtable::rand::random_range(1..100);
            ("write", Value::from(v), REPLICAS[0], Msg::Write(v))
        } else {
            let target = match reads {
                Reads::Primary => REPLICAS[0],
                Reads::AnyReplica => REPLICAS[sandtable::rand::random_range(0..REPLICAS.len())],
            };
            ("read", Value::Null, target, Msg::Read)
        };
        let op = rec.invoke(process, f, None, value.clone(), now());
        let _ = ep.send((target, PORT), &msg).await;
        match time::timeout(Duration::from_millis(100), ep.recv()).await {
            Ok(Ok((Msg::WriteOk, _))) => rec.ok(op, value, now()),
            Ok(Ok((Msg::ReadOk(v), _))) => rec.ok(op, v.map_or(Value::Null, Value::from), now()),
            _ => {
                rec.info(op, now());
                return;
            }
        }
    }
}

/// Client processes one after another (a process retires after an `info`, as in Jepsen), each
/// doing up to `ops` operations, until virtual time reaches `until`. Process ids start at
/// `first` and step by `stride`, so several loops never share an id.
pub async fn client_loop(
    first: u64,
    stride: u64,
    ops: usize,
    rec: Recorder,
    reads: Reads,
    until: Duration,
) {
    let mut process = first;
    while Handle::current().elapsed() < until {
        client_until(process, ops, rec.clone(), reads, until).await;
        process += stride;
    }
}

/// A long run: the three replicas, four client loops until `duration`, and a nemesis of
/// partitions, crashes and clock skew over it. Returns the history's recorder; run the sim next.
pub fn long_run(sim: &Sim, reads: Reads, duration: Duration) -> Result<Recorder, BoxError> {
    for name in REPLICAS {
        sim.add_node(name, move || replica(name));
    }
    let rec = Recorder::new();
    for c in 0..4 {
        sim.client(
            format!("c{c}"),
            client_loop(c, 4, 1_000, rec.clone(), reads, duration),
        );
    }
    let nemesis = Nemesis::new()
        .partitions()
        .crashes()
        .clock_skew(Duration::from_millis(100));
    sim.nemesis(&nemesis, duration)?;
    Ok(rec)
}

/// The whole test body: three replicas, four client loops, partitions and crashes (at random
/// instants, and in the middle of a disk write or sync) for 10 s then healed, clients going on for 2 s more, and the history checked against a register
/// model.
pub fn scenario(sim: &Sim, reads: Reads) -> Result<(), BoxError> {
    for name in REPLICAS {
        sim.add_node(name, move || replica(name));
    }
    let rec = Recorder::new();
    sim.attach_history(&rec);
    for c in 0..4 {
        sim.client(
            format!("c{c}"),
            client_loop(c, 4, 1_000, rec.clone(), reads, Duration::from_secs(12)),
        );
    }
    sim.nemesis(
        &Nemesis::new().partitions().crashes().crashes_during_io(),
        Duration::from_secs(10),
    )?;
    sim.run()?;
    lin::linearizable(&rec.history(), &models::Register)?;
    Ok(())
}
