//! The worker protocol, from the parent's side. A worker is a program that takes
//! `--seeds A..B --stride K` (plus the target's own flags) and prints one JSON line per seed,
//! flushed when the seed is done ([`SeedResult`]). Each batch runs in a fresh process; a worker
//! that dies (a panic outside the harness, an abort, OOM, a signal) or hangs past the per-seed
//! wall limit (it is killed) is reported as a failure of the seed it was on — the one after the
//! last it reported — and the batch goes on from the next seed in a new process.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::shard::Batch;

/// One seed's result, as a worker prints it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Whether it passed.
    pub ok: bool,
    /// The failure's text (empty when it passed).
    #[serde(default)]
    pub message: String,
    /// The check that caught it, as the target names it (empty when it passed or unknown).
    #[serde(default)]
    pub caught_by: String,
    /// The run's fingerprint.
    #[serde(default)]
    pub fingerprint: u64,
    /// Virtual time simulated, ns.
    #[serde(default)]
    pub virtual_ns: u64,
    /// Simulator events processed.
    #[serde(default)]
    pub events: u64,
    /// Fault events in the run's schedule.
    #[serde(default)]
    pub faults: u64,
    /// Wall time of the seed, ms.
    #[serde(default)]
    pub wall_ms: u64,
    /// The failing seed's artifacts folder (empty if none were written).
    #[serde(default)]
    pub artifacts: String,
}

/// How to start a worker.
#[derive(Clone, Debug)]
pub struct Worker {
    /// The program.
    pub program: PathBuf,
    /// Flags before the seeds (the target's variant, a replayed schedule).
    pub args: Vec<String>,
    /// A seed that runs longer than this (wall time) is a hang: the worker is killed.
    pub seed_timeout: Duration,
}

/// What one worker process did before it ended.
enum Ended {
    /// It reported every seed it was given.
    Done,
    /// It stopped reporting; the seed it was on failed with this message.
    Failed(String),
    /// The sweep was stopped.
    Stopped,
}

impl Worker {
    /// Runs `batch`, passing each seed's result to `report` as it comes (crashes and hangs as
    /// failures of their seed). Returns early, killing the worker, once `stop` is set.
    pub fn run_batch(&self, batch: Batch, stop: &AtomicBool, report: &mut dyn FnMut(SeedResult)) {
        let mut done = 0;
        while done < batch.count && !stop.load(Ordering::Relaxed) {
            let rest = batch.skip(done);
            let mut reported = 0;
            let started = Instant::now();
            let ended = self.run_process(rest, stop, &mut |r| {
                reported += 1;
                report(r)
            });
            done += reported;
            match ended {
                Ended::Done | Ended::Stopped => return,
                Ended::Failed(message) => {
                    let seed = rest.skip(reported).first;
                    report(SeedResult {
                        seed,
                        ok: false,
                        message: format!("seed {seed}: {message}"),
                        wall_ms: started.elapsed().as_millis() as u64,
                        ..SeedResult::default()
                    });
                    done += 1;
                }
            }
        }
    }

    fn spawn(&self, batch: Batch) -> std::io::Result<Child> {
        Command::new(&self.program)
            .args(&self.args)
            .arg("--seeds")
            .arg(format!("{}..{}", batch.first, batch.end()))
            .arg("--stride")
            .arg(batch.stride.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: a Ctrl-C at the terminal stops the sweep, which then
            // stops its workers, instead of reaching them as a crash of their seed.
            .process_group(0)
            .spawn()
    }

    /// One worker process over `batch`: `report` gets each result line in order.
    fn run_process(
        &self,
        batch: Batch,
        stop: &AtomicBool,
        report: &mut dyn FnMut(SeedResult),
    ) -> Ended {
        let mut child = match self.spawn(batch) {
            Ok(c) => c,
            Err(e) => {
                return Ended::Failed(format!("could not start {}: {e}", self.program.display()))
            }
        };
        let lines = read_lines(child.stdout.take().expect("stdout is piped"));
        let stderr = read_tail(child.stderr.take().expect("stderr is piped"));
        let mut expected = batch.seeds();
        let mut want = expected.next();
        let mut since = Instant::now();
        loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => {
                    let Ok(result) = serde_json::from_str::<SeedResult>(&line) else {
                        continue; // not a result line: ignore it as the harness's own output
                    };
                    if Some(result.seed) != want {
                        continue;
                    }
                    report(result);
                    want = expected.next();
                    since = Instant::now();
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child
                        .wait()
                        .map_or("unknown".to_string(), |s| s.to_string());
                    if want.is_none() {
                        return Ended::Done;
                    }
                    let tail = stderr.join().unwrap_or_default();
                    return Ended::Failed(format!(
                        "worker died ({status}) before reporting it\n{tail}"
                    ));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if stop.load(Ordering::Relaxed) {
                        kill(&mut child);
                        return Ended::Stopped;
                    }
                    if since.elapsed() > self.seed_timeout {
                        kill(&mut child);
                        return Ended::Failed(format!(
                            "worker hung: no result after {:?} of wall time (killed)",
                            self.seed_timeout
                        ));
                    }
                }
            }
        }
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A thread forwarding `out`'s lines; the channel closes at end of file.
fn read_lines(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A thread keeping the last 20 lines of `err` (the worker's panic message, if it panicked).
fn read_tail(err: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut tail: Vec<String> = Vec::new();
        for line in BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            tail.push(line);
            if tail.len() > 20 {
                tail.remove(0);
            }
        }
        tail.join("\n")
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A fake worker: a shell script that passes every seed except that it panics (exit 101)
    /// on seed `crash`, is killed by a signal on `signal`, and hangs on `hang`.
    pub(crate) fn fake_worker(name: &str, crash: u64, signal: u64, hang: u64) -> Worker {
        let dir = std::env::temp_dir().join(format!("xtask-fake-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("worker.sh");
        let script = format!(
            r#"#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) a=${{2%%..*}}; b=${{2##*..}}; shift 2;;
    --stride) k=$2; shift 2;;
    *) shift;;
  esac
done
s=$a
while [ "$s" -lt "$b" ]; do
  if [ "$s" -eq {crash} ]; then echo "thread 'main' panicked at seed $s" >&2; exit 101; fi
  if [ "$s" -eq {signal} ]; then kill -9 $$; fi
  if [ "$s" -eq {hang} ]; then exec sleep 30; fi
  if [ $((s % 10)) -eq 7 ]; then ok=false; else ok=true; fi
  echo "noise that is not a result"
  echo "{{\"seed\":$s,\"ok\":$ok,\"message\":\"seed $s: invariant broken\",\"caught_by\":\"x\",\"virtual_ns\":1000}}"
  s=$((s + k))
done
"#
        );
        std::fs::write(&path, script).unwrap();
        Worker {
            program: "sh".into(),
            args: vec![path.display().to_string()],
            // Generous: only the hang test waits for it (it sets its own).
            seed_timeout: Duration::from_secs(30),
        }
    }

    fn run(worker: &Worker, batch: Batch) -> Vec<SeedResult> {
        let mut results = Vec::new();
        worker.run_batch(batch, &AtomicBool::new(false), &mut |r| results.push(r));
        results
    }

    #[test]
    fn every_seed_is_reported_in_order() {
        let w = fake_worker("plain", 999, 999, 999);
        let results = run(
            &w,
            Batch {
                first: 3,
                stride: 2,
                count: 4,
            },
        );
        let seeds: Vec<u64> = results.iter().map(|r| r.seed).collect();
        assert_eq!(seeds, vec![3, 5, 7, 9]);
        assert_eq!(results.iter().filter(|r| !r.ok).count(), 1, "seed 7 fails");
    }

    #[test]
    fn a_crash_fails_its_seed_and_the_batch_goes_on() {
        let w = fake_worker("crash", 12, 15, 999);
        let results = run(
            &w,
            Batch {
                first: 10,
                stride: 1,
                count: 8,
            },
        );
        let seeds: Vec<u64> = results.iter().map(|r| r.seed).collect();
        assert_eq!(seeds, (10..18).collect::<Vec<_>>());
        let crash = &results[2];
        assert!(!crash.ok);
        assert!(
            crash.message.contains("worker died (exit status: 101)"),
            "{}",
            crash.message
        );
        assert!(
            crash.message.contains("panicked at seed 12"),
            "{}",
            crash.message
        );
        let killed = &results[5];
        assert!(!killed.ok);
        assert!(killed.message.contains("signal: 9"), "{}", killed.message);
        assert!(results
            .iter()
            .filter(|r| r.seed != 12 && r.seed != 15 && r.seed != 17)
            .all(|r| r.ok));
    }

    #[test]
    fn a_hang_is_killed_and_fails_its_seed() {
        let w = Worker {
            seed_timeout: Duration::from_secs(1),
            ..fake_worker("hang", 999, 999, 21)
        };
        let started = Instant::now();
        let results = run(
            &w,
            Batch {
                first: 20,
                stride: 1,
                count: 3,
            },
        );
        let seeds: Vec<u64> = results.iter().map(|r| r.seed).collect();
        assert_eq!(seeds, vec![20, 21, 22]);
        assert!(
            results[1].message.contains("worker hung"),
            "{}",
            results[1].message
        );
        assert!(results[0].ok && results[2].ok);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the hung worker was killed"
        );
    }

    #[test]
    fn a_stop_ends_the_batch_and_kills_its_worker() {
        let w = fake_worker("stop", 999, 999, 31);
        let stop = AtomicBool::new(false);
        let mut results = Vec::new();
        let started = Instant::now();
        let batch = Batch {
            first: 30,
            stride: 1,
            count: 5,
        };
        // The sweep stops while the worker hangs on seed 31.
        w.run_batch(batch, &stop, &mut |r| {
            results.push(r.seed);
            stop.store(true, Ordering::Relaxed);
        });
        assert_eq!(results, vec![30]);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not the 30 s timeout"
        );
    }
}
