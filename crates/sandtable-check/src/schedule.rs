//! Which partitions are decided, in what order, on how many threads, and when the rest stop:
//! once one key is proved non-linearizable the file's verdict is known, so (unless every key's
//! verdict is asked for) the other keys' work stops.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use crate::decide::{decide, judge, Decided, Known};
use crate::search::{Found, Limits, Outcome, Problem, Search};
use crate::{CheckOptions, Model};

/// Search steps each undecided key may take in the first round.
const FIRST_ROUND_STEPS: u64 = 1 << 14;
/// How much the steps a key may have taken grow from one round to the next.
const ROUND_GROWTH: u64 = 8;

/// Decides the partitions; `None` for those not decided because another one failed first.
///
/// Partitions a shortcut proved impossible go first, one at a time in key order: the first
/// whose proof stands settles the verdict and nothing else runs. The others are searched in
/// rounds, like one search per key running side by side: in each round every undecided key's
/// search goes on where it paused until it decides or has taken 16,384 steps in all (8 times
/// more each round, up to [`CheckOptions::max_steps`]). The first round in which a key fails
/// stops everything, so one hard key cannot hold up the key that fails, and the key reported
/// (the first failing one in key order in that round) depends on step budgets only, never on
/// the number of threads or on timing. [`CheckOptions::all_keys`] decides every key.
///
/// The memory budget is shared equally by the searches alive in a round (at least
/// [`CheckOptions::threads`] shares).
pub(crate) fn run_all<M: Model>(
    problems: &[&Problem<'_, M>],
    known: &[Known],
    options: &CheckOptions,
    deadline: Option<Instant>,
) -> Vec<Option<Decided>> {
    let n = problems.len();
    let mut results: Vec<Option<Decided>> = vec![None; n];
    let limits = |shares: usize| Limits {
        max_steps: options.max_steps,
        max_memory: options
            .max_memory
            .map(|m| m / shares.max(options.threads).max(1)),
        deadline,
        cancel: None,
    };
    for i in (0..n).filter(|&i| matches!(known[i], Known::Impossible(_))) {
        let d = decide(problems[i], &known[i], limits(1));
        let failed = d.failed();
        results[i] = Some(d);
        if failed && !options.all_keys {
            return results;
        }
    }
    for i in (0..n).filter(|&i| matches!(known[i], Known::Linearizable)) {
        results[i] = Some(decide(problems[i], &known[i], limits(1)));
    }
    let mut open: Vec<usize> = (0..n).filter(|&i| results[i].is_none()).collect();
    let mut searches: Vec<Mutex<Option<Search<'_, '_, M>>>> =
        (0..n).map(|_| Mutex::new(None)).collect();
    let mut pause_at = FIRST_ROUND_STEPS;
    while !open.is_empty() {
        let round = run_round(
            problems,
            &searches,
            &open,
            limits(open.len()),
            pause_at,
            options,
        );
        let first_failed = round
            .iter()
            .filter(|(_, o)| {
                o.as_ref()
                    .is_some_and(|o| matches!(o.found, Found::NotLinearizable(_)))
            })
            .map(|&(i, _)| i)
            .min()
            .filter(|_| !options.all_keys);
        let mut still = Vec::new();
        for (i, o) in round {
            match o {
                // Possibly cut short when the first failure was found: not decided.
                _ if first_failed.is_some_and(|f| i > f) => {}
                None => still.push(i),
                Some(o) => {
                    results[i] = Some(judge(problems[i], &known[i], o));
                    *searches[i].get_mut().expect("no worker panicked") = None;
                }
            }
        }
        if first_failed.is_some() {
            break;
        }
        open = still;
        pause_at = pause_at.saturating_mul(ROUND_GROWTH);
    }
    results
}

/// Runs the searches of the keys `todo` (each paused or not yet started) until each decides or
/// has taken `pause_at` steps, in parallel: each key's outcome (`None`: paused), in `todo`'s
/// order. Once a key fails, the keys after it in key order are cancelled (unless every key is
/// wanted): the first failing key is what counts.
fn run_round<'p, 'a, M: Model>(
    problems: &[&'p Problem<'a, M>],
    searches: &[Mutex<Option<Search<'p, 'a, M>>>],
    todo: &[usize],
    limits: Limits<'_>,
    pause_at: u64,
    options: &CheckOptions,
) -> Vec<(usize, Option<Outcome>)> {
    let cancel: Vec<AtomicBool> = todo.iter().map(|_| AtomicBool::new(false)).collect();
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Option<Outcome>)>> = Mutex::new(Vec::with_capacity(todo.len()));
    let work = || {
        while let Some(&i) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
            let slot = todo.partition_point(|&j| j < i);
            let mut search = searches[i].lock().expect("no worker panicked");
            let search = search.get_or_insert_with(|| Search::new(problems[i]));
            let limits = Limits {
                cancel: Some(&cancel[slot]),
                ..limits
            };
            let o = search.run(limits, pause_at);
            let failed = o
                .as_ref()
                .is_some_and(|o| matches!(o.found, Found::NotLinearizable(_)));
            if failed && !options.all_keys {
                cancel[slot + 1..]
                    .iter()
                    .for_each(|c| c.store(true, Ordering::Relaxed));
            }
            done.lock().expect("no worker panicked").push((i, o));
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
    let mut done = done.into_inner().expect("no worker panicked");
    done.sort_by_key(|(i, _)| *i);
    done
}
