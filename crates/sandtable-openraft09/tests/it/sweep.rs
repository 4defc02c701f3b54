//! A program using every part of the runtime (tasks that sleep random times, race timeouts,
//! answer on oneshots, and get aborted) on many seeds: its results hold on each, and a seed
//! replays the same run.

use std::time::Duration;

use openraft::async_runtime::AsyncOneshotSendExt;
use openraft::{AsyncRuntime, Instant};
use rand_08::Rng;
use sandtable::Sim;
use sandtable_openraft09::{SimInstant, SimRuntime as Rt};

const WORKERS: u64 = 8;

/// What one run did: per worker, whether it beat its timeout; and the final virtual time.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    in_time: Vec<bool>,
    elapsed: Duration,
}

async fn program() -> Outcome {
    let t0 = SimInstant::now();
    let mut receivers = Vec::new();
    for w in 0..WORKERS {
        let (tx, rx) = Rt::oneshot();
        let work_ms = Rt::thread_rng().gen_range(1..200u64);
        Rt::spawn(async move {
            Rt::sleep(Duration::from_millis(work_ms)).await;
            let _ = tx.send((w, work_ms));
        })
        .detach();
        receivers.push(rx);
    }
    let mut in_time = Vec::new();
    for rx in receivers {
        let r = Rt::timeout(Duration::from_millis(100), rx).await;
        in_time.push(match r {
            Ok(Ok((_, ms))) => {
                assert!(ms < 200);
                true
            }
            Ok(Err(_)) => panic!("a worker dropped its sender"),
            Err(_) => false,
        });
    }
    let mut stuck = Rt::spawn(std::future::pending::<()>());
    stuck.abort();
    assert!(stuck.await.expect_err("aborted").is_cancelled());
    Outcome {
        in_time,
        elapsed: t0.elapsed(),
    }
}

fn run(seed: u64) -> (Outcome, u64) {
    let sim = Sim::new(seed);
    let outcome = sim
        .block_on_local("n0", program())
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    (outcome, sim.fingerprint())
}

#[test]
fn the_program_holds_on_200_seeds_and_each_seed_replays() {
    let mut fingerprints = std::collections::BTreeSet::new();
    for seed in 0..200 {
        let (a, fa) = run(seed);
        let (b, fb) = run(seed);
        assert_eq!((&a, fa), (&b, fb), "seed {seed} replays differently");
        // Timeouts run one after another: the whole wait is at most one 100 ms timeout per
        // worker, and at least the slowest in-time worker.
        assert!(
            a.elapsed <= Duration::from_millis(100 * WORKERS),
            "seed {seed}"
        );
        fingerprints.insert(fa);
    }
    assert!(fingerprints.len() > 150, "the seed steers the run");
}
