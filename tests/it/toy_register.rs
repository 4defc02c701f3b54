//! A toy replicated register. The primary `r0` applies writes, syncs them to disk, acks, and
//! pushes them to two backups without waiting. With `read_any` the client reads from a random
//! replica — stale reads, not linearizable — which the harness must find; reading from the
//! primary only is linearizable, which the harness must not flag.

use std::time::Duration;

use sandtable::lin::{self, models, Recorder, Value};
use sandtable::nemesis::Nemesis;
use sandtable::net::Endpoint;
use sandtable::prelude::*;
use sandtable::{disk, CheckConfig, Failure};
use serde::{Deserialize, Serialize};

const REPLICAS: [&str; 3] = ["r0", "r1", "r2"];

#[derive(Serialize, Deserialize, Debug)]
enum Msg {
    Write(i64),
    WriteOk,
    Replicate(i64),
    Read,
    ReadOk(Option<i64>),
}

async fn replica(me: &'static str) {
    let ep = Endpoint::<Msg>::bind("0.0.0.0:1").await.unwrap();
    // Only the primary keeps its value on disk; backups lose theirs on a crash.
    let mut value = match me {
        "r0" => disk::read("value")
            .await
            .ok()
            .and_then(|b| b.try_into().ok())
            .map(i64::from_le_bytes),
        _ => None,
    };
    loop {
        let Ok((msg, from)) = ep.recv().await else {
            continue;
        };
        match msg {
            Msg::Write(v) => {
                if disk::write_synced("value", &v.to_le_bytes()).await.is_err() {
                    continue;
                }
                value = Some(v);
                ep.send(from, &Msg::WriteOk).await.unwrap();
                for backup in &REPLICAS[1..] {
                    ep.send((*backup, 1), &Msg::Replicate(v)).await.unwrap();
                }
            }
            Msg::Replicate(v) => value = Some(v),
            Msg::Read => ep.send(from, &Msg::ReadOk(value)).await.unwrap(),
            Msg::WriteOk | Msg::ReadOk(_) => {}
        }
    }
}

/// One client process: 15 random reads and writes, each recorded; a timeout is `info`.
async fn client(process: u64, rec: Recorder, read_any: bool) {
    let ep = Endpoint::<Msg>::bind("0.0.0.0:0").await.unwrap();
    for _ in 0..15 {
        sleep(Duration::from_millis(sandtable::rand::random_range(0..200))).await;
        let now = || Some(Handle::current().elapsed().as_nanos() as u64);
        let write = sandtable::rand::random_bool(0.4);
        let (f, value, target, msg) = if write {
            let v = sandtable::rand::random_range(1..100);
            ("write", Value::from(v), "r0", Msg::Write(v))
        } else {
            let target = if read_any {
                REPLICAS[sandtable::rand::random_range(0..3)]
            } else {
                "r0"
            };
            ("read", Value::Null, target, Msg::Read)
        };
        let op = rec.invoke(process, f, None, value.clone(), now());
        ep.send((target, 1), &msg).await.unwrap();
        match time::timeout(Duration::from_millis(100), ep.recv()).await {
            Ok(Ok((Msg::WriteOk, _))) => rec.ok(op, value, now()),
            Ok(Ok((Msg::ReadOk(v), _))) => rec.ok(op, v.map_or(Value::Null, Value::from), now()),
            _ => {
                // Unknown outcome: this process never completes it, so it retires.
                rec.info(op, now());
                return;
            }
        }
    }
}

fn body(sim: &Sim, read_any: bool) -> Result<(), sandtable::BoxError> {
    for name in REPLICAS {
        sim.add_node(name, move || replica(name));
    }
    let rec = Recorder::new();
    sim.attach_history(&rec);
    for p in 0..4 {
        let rec = rec.clone();
        sim.client(format!("c{p}"), client(p, rec, read_any));
    }
    sim.nemesis(
        &Nemesis::new().partitions().crashes(),
        Duration::from_secs(10),
    )?;
    sim.run()?;
    lin::linearizable(&rec.history(), &models::Register)?;
    Ok(())
}

fn toy_config(name: &str) -> CheckConfig {
    CheckConfig::new().name(name).regressions(false)
}

#[test]
fn harness_finds_the_stale_read_and_its_repro_fails_the_same_way() {
    let failure: Box<Failure> =
        sandtable::run_seeds(toy_config("toy_read_any").seeds(0..50), |sim| {
            body(sim, true)
        })
        .expect_err("reading from any replica is not linearizable and some seed shows it");
    let text = failure.to_string();
    assert!(failure.message.contains("not linearizable"), "{text}");
    assert!(
        failure.rerun.starts_with(&format!(
            "SANDTABLE_SEED={} cargo test -p sandtable-examples --test it",
            failure.seed
        )),
        "{text}"
    );
    assert_eq!(failure.nondeterminism, None);

    // Artifacts: the trace, the schedule, the history and the HTML report.
    let dir = failure.artifacts.clone().expect("artifacts written");
    let trace = std::fs::read_to_string(dir.join("trace.log")).unwrap();
    assert!(
        trace
            .lines()
            .any(|l| l.contains("deliver") && l.contains("to=r0")),
        "the trace shows deliveries"
    );
    assert!(
        trace.lines().all(|l| l.as_bytes()[..15]
            .iter()
            .all(|b| b.is_ascii_digit() || b" .s".contains(b))),
        "virtual time stamps"
    );
    let schedule = std::fs::read_to_string(dir.join("schedule.json")).unwrap();
    sandtable::nemesis::Schedule::from_json(&schedule).unwrap();
    let history = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    assert!(!lin::History::from_jsonl_str(&history).unwrap().is_empty());
    assert!(std::fs::read_to_string(dir.join("report.html"))
        .unwrap()
        .contains("<html"));
    assert!(std::fs::read_to_string(dir.join("failure.txt"))
        .unwrap()
        .contains(&failure.rerun));

    // The repro: only that seed, the same failure.
    let again = sandtable::run_seeds(toy_config("toy_read_any").seed(failure.seed), |sim| {
        body(sim, true)
    })
    .unwrap_err();
    assert_eq!(
        (again.seed, &again.message, again.seeds_run),
        (failure.seed, &failure.message, 1)
    );
}

/// Run by the next test in a child process, as a user would run the printed rerun command.
#[test]
fn repro_child() {
    if std::env::var("TOY_REPRO_CHILD").is_ok() {
        sandtable::check(toy_config("toy_read_any_child"), |sim| body(sim, true));
    }
}

#[test]
fn the_printed_rerun_command_reproduces_the_failure() {
    let failure = sandtable::run_seeds(toy_config("toy_read_any_cmd").seeds(0..50), |sim| {
        body(sim, true)
    })
    .unwrap_err();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "toy_register::repro_child", "--nocapture"])
        .env("SANDTABLE_SEED", failure.seed.to_string())
        .env("TOY_REPRO_CHILD", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the rerun fails");
    assert!(
        stderr.contains(&format!(
            "failed on seed {} (after 1 seed(s))",
            failure.seed
        )),
        "{stderr}"
    );
    let first_line = failure.message.lines().next().unwrap();
    assert!(
        stderr.contains(first_line),
        "same failure: {first_line}\n{stderr}"
    );
}

#[test]
fn reading_from_the_primary_is_linearizable_under_partitions_and_crashes() {
    let summary = sandtable::run_seeds(
        toy_config("toy_primary")
            .seeds(0..30)
            .determinism_check(true),
        |sim| body(sim, false),
    )
    .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(summary.seeds_run, 30);
    let distinct: std::collections::BTreeSet<u64> =
        summary.fingerprints.iter().map(|(_, f)| *f).collect();
    assert_eq!(distinct.len(), 30);
}
