//! Which partitions are decided, in what order, on how many threads, and when the rest stop:
//! once one key is proved non-linearizable the file's verdict is known, so (unless every key's
//! verdict is asked for) the other keys' work stops.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::decide::{decide, Decided, Known};
use crate::search::{Found, Limits, Problem};
use crate::{CheckOptions, Model};

/// Decides the partitions; `None` for those not decided because another one failed first.
///
/// Partitions a shortcut proved impossible go first, one at a time in key order: the first
/// whose proof stands settles the verdict (deterministically) and nothing else runs. The
/// others are then searched in parallel, and the first to fail stops the rest: with one thread
/// (keys in order) the failing key reported is always the same; with several, when several
/// keys fail, the one found first. [`CheckOptions::all_keys`] decides every key instead, and
/// reports the first failing key in key order.
pub(crate) fn run_all<M: Model>(
    problems: &[&Problem<'_, M>],
    known: &[Known],
    options: &CheckOptions,
    deadline: Option<Instant>,
) -> Vec<Option<Decided>> {
    let n = problems.len();
    let limits = |cancel| Limits {
        max_steps: options.max_steps,
        max_memory: options.memory_per_key(),
        deadline,
        cancel,
    };
    let mut results: Vec<Option<Decided>> = vec![None; n];
    if !options.all_keys {
        for i in (0..n).filter(|&i| matches!(known[i], Known::Impossible(_))) {
            let d = decide(problems[i], &known[i], limits(None));
            let failed = d.failed();
            results[i] = Some(d);
            if failed {
                return results;
            }
        }
    }
    let todo: Vec<usize> = (0..n).filter(|&i| results[i].is_none()).collect();
    let cancel: Vec<AtomicBool> = (0..n).map(|_| AtomicBool::new(false)).collect();
    let stopped = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let shared = Mutex::new(results);
    let work = || {
        while let Some(&i) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
            if stopped.load(Ordering::Acquire) {
                break;
            }
            let d = decide(problems[i], &known[i], limits(Some(&cancel[i])));
            if d.failed() && !options.all_keys {
                stopped.store(true, Ordering::Release);
                cancel.iter().for_each(|c| c.store(true, Ordering::Relaxed));
            }
            shared.lock().expect("no worker panicked")[i] = Some(d);
        }
    };
    let threads = options.threads.clamp(1, todo.len().max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let mut results = shared.into_inner().expect("no worker panicked");
    if stopped.into_inner() {
        // Searches stopped because another key failed are not decided, not "unknown".
        for r in &mut results {
            if r.as_ref()
                .is_some_and(|d| !d.failed() && d.outcome.found == Found::Unknown)
            {
                *r = None;
            }
        }
    }
    results
}
