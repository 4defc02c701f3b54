//! [`check`]: prepares a history for a model, partitions it, searches each
//! partition (in parallel) and assembles a deterministic result.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use thiserror::Error;

use crate::entries::Interval;
use crate::explanation::{explain, Context};
use crate::precheck::precheck;
use crate::search::{search, Found, Limits, Outcome, Problem};
use crate::zones::{analyse, Conflict, Zones};
use crate::{
    CheckOptions, CheckResult, Explanation, History, Interner, Model, Op, OpStatus, Partition,
    PartitionResult, Verdict,
};

/// A history that does not fit the model.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: op #{op} ({f}): {message}")]
pub struct CheckError {
    /// Source line of the offending operation's invocation.
    pub line: usize,
    /// The operation's id.
    pub op: usize,
    /// The operation's name.
    pub f: String,
    /// What was wrong.
    pub message: String,
}

/// Checks `history` against `model`.
///
/// # Panics
///
/// If an operation does not fit the model (unknown `f`, value of the wrong
/// shape); use [`try_check`] to get that as an error.
pub fn check<M: Model>(history: &History, model: &M, options: &CheckOptions) -> CheckResult {
    try_check(history, model, options)
        .unwrap_or_else(|e| panic!("history does not fit the {} model: {e}", model.name()))
}

/// Checks that `history` is linearizable with default options; the error's
/// `Display` is the explanation (or says the budget ran out).
pub fn linearizable<M: Model>(history: &History, model: &M) -> Result<(), Box<CheckResult>> {
    let result = check(history, model, &CheckOptions::default());
    if result.is_linearizable() {
        Ok(())
    } else {
        Err(Box::new(result))
    }
}

/// Checks `history` against `model`, reporting ill-fitting operations.
pub fn try_check<M: Model>(
    history: &History,
    model: &M,
    options: &CheckOptions,
) -> Result<CheckResult, CheckError> {
    let start = Instant::now();
    let surveyed = model.survey(history.ops());
    let model = surveyed.as_ref().unwrap_or(model);
    let mut values = Interner::new();
    let inputs = prepare(model, history.ops(), &mut values)?;
    let partitions = model.partition(history.ops());
    let parts: Vec<Part<'_, M>> = partitions
        .iter()
        .map(|p| Part::new(model, p, history.ops(), &inputs))
        .collect();
    let deadline = options.max_time.map(|t| start + t);
    let known: Vec<Known> = parts
        .iter()
        .zip(&partitions)
        .map(|(part, p)| {
            let cx = part.context(history.ops(), &values, p.key.clone());
            let pre = precheck(&cx);
            let zones = if options.zones {
                analyse(&cx)
            } else {
                Zones::NotApplicable
            };
            match (pre, zones) {
                (None, Zones::Linearizable) => Known::Linearizable,
                (Some(_), Zones::Linearizable) => {
                    // Both are sound, so this cannot happen; should it, the search decides.
                    debug_assert!(false, "the pre-check and the zone analysis disagree");
                    Known::Open
                }
                (Some(e), Zones::Violation(c)) => Known::Impossible(Box::new(e), Some(c)),
                (Some(e), Zones::NotApplicable) => Known::Impossible(Box::new(e), None),
                (None, Zones::Violation(c)) => Known::Impossible(Box::new(c.explain(&cx)), Some(c)),
                (None, Zones::NotApplicable) => Known::Open,
            }
        })
        .collect();
    let outcomes = run_all(&parts, &known, options, deadline);
    Ok(assemble(
        model,
        history,
        &partitions,
        &parts,
        outcomes.into_iter().zip(known).collect(),
        &values,
        start,
    ))
}

/// What is known about a partition before the search.
enum Known {
    /// Nothing: search.
    Open,
    /// The zone analysis found a linearization exists: no search needed.
    Linearizable,
    /// The pre-check or the zone analysis proved no linearization exists: the explanation to
    /// fall back on, and the zone conflict if there is one. Searched only briefly, for the
    /// usual explanation with the longest prefix.
    Impossible(Box<Explanation>, Option<Conflict>),
}

/// Validates and compiles every non-`fail` operation.
fn prepare<M: Model>(
    model: &M,
    ops: &[Op],
    values: &mut Interner,
) -> Result<Vec<Option<M::Input>>, CheckError> {
    ops.iter()
        .map(|op| {
            if op.status == OpStatus::Fail {
                return Ok(None);
            }
            model.prepare(op, values).map(Some).map_err(|e| CheckError {
                line: op.invoke_line,
                op: op.id,
                f: op.f.clone(),
                message: e.message,
            })
        })
        .collect()
}

/// One partition, ready to search.
struct Part<'a, M: Model> {
    problem: Problem<'a, M>,
    /// Global op id of each local op.
    ids: Vec<usize>,
}

impl<'a, M: Model> Part<'a, M> {
    fn context<'c>(
        &'c self,
        ops: &'c [Op],
        values: &'c Interner,
        key: Option<crate::Value>,
    ) -> Context<'c, M> {
        Context {
            problem: &self.problem,
            ids: &self.ids,
            ops,
            values,
            key,
        }
    }

    fn new(model: &'a M, p: &Partition, ops: &[Op], inputs: &'a [Option<M::Input>]) -> Part<'a, M> {
        let mut problem = Problem {
            model,
            inputs: Vec::new(),
            intervals: Vec::new(),
        };
        let mut ids = Vec::new();
        for &id in &p.ops {
            let Some(input) = &inputs[id] else { continue };
            if op_is_droppable(model, &ops[id], input) {
                continue;
            }
            let op = &ops[id];
            let ret = if op.status == OpStatus::Ok {
                op.complete_index
            } else {
                None
            };
            problem.inputs.push(input);
            problem.intervals.push(Interval {
                call: op.invoke_index,
                ret,
            });
            ids.push(id);
        }
        Part { problem, ids }
    }
}

fn op_is_droppable<M: Model>(model: &M, op: &Op, input: &M::Input) -> bool {
    op.status == OpStatus::Info && model.is_noop(input)
}

/// Steps spent searching for a prefix-rich explanation of a partition the pre-check already
/// proved non-linearizable.
const EXPLAIN_STEPS: u64 = 1_000_000;

/// Searches every partition; later partitions are skipped (`None`) once an
/// earlier one is known not to be linearizable.
fn run_all<M: Model>(
    parts: &[Part<'_, M>],
    known: &[Known],
    options: &CheckOptions,
    deadline: Option<Instant>,
) -> Vec<Option<Outcome>> {
    let threads = options.threads.clamp(1, parts.len().max(1));
    let cancel: Vec<AtomicBool> = parts.iter().map(|_| AtomicBool::new(false)).collect();
    let first_fail = AtomicUsize::new(usize::MAX);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; parts.len()]);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= parts.len() {
            break;
        }
        if i > first_fail.load(Ordering::Acquire) {
            continue;
        }
        let limits = Limits {
            max_steps: options.max_steps,
            max_memory: options.max_memory,
            deadline,
            cancel: Some(&cancel[i]),
        };
        let outcome = match known[i] {
            Known::Linearizable => Outcome {
                found: Found::Linearizable,
                steps: 0,
                memo_entries: 0,
            },
            // The pre-check or the zone analysis already proved it: search only briefly, for a
            // richer explanation (the longest prefix); if that search does not finish, theirs
            // stands.
            Known::Impossible(..) => {
                let max_steps = Some(
                    limits
                        .max_steps
                        .map_or(EXPLAIN_STEPS, |m| m.min(EXPLAIN_STEPS)),
                );
                let brief = Limits {
                    max_steps,
                    ..limits
                };
                let o = search(&parts[i].problem, brief);
                debug_assert_ne!(
                    o.found,
                    Found::Linearizable,
                    "the search found a linearization the pre-check or zone analysis ruled out"
                );
                match o.found {
                    Found::NotLinearizable(_) => o,
                    _ => Outcome {
                        found: Found::NotLinearizable(Vec::new()),
                        ..o
                    },
                }
            }
            Known::Open => search(&parts[i].problem, limits),
        };
        if matches!(outcome.found, Found::NotLinearizable(_)) {
            first_fail.fetch_min(i, Ordering::AcqRel);
            cancel
                .iter()
                .skip(i + 1)
                .for_each(|c| c.store(true, Ordering::Relaxed));
        }
        results.lock().expect("no worker panicked")[i] = Some(outcome);
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    let mut results = results.into_inner().expect("no worker panicked");
    // Determinism: whatever ran after the first failure is reported as skipped.
    let first = first_fail.into_inner();
    results
        .iter_mut()
        .skip(first.saturating_add(1))
        .for_each(|r| *r = None);
    results
}

fn assemble<M: Model>(
    model: &M,
    history: &History,
    partitions: &[Partition],
    parts: &[Part<'_, M>],
    outcomes: Vec<(Option<Outcome>, Known)>,
    values: &Interner,
    start: Instant,
) -> CheckResult {
    let mut explanation = None;
    let mut summary = Vec::with_capacity(parts.len());
    for (i, (outcome, known)) in outcomes.into_iter().enumerate() {
        let verdict = outcome.as_ref().map(|o| match &o.found {
            Found::Linearizable => Verdict::Linearizable,
            Found::Unknown => Verdict::Unknown,
            Found::NotLinearizable(deepest) => {
                let (fallback, conflict) = match &known {
                    Known::Impossible(e, c) => (Some(e.as_ref()), c.as_ref()),
                    _ => (None, None),
                };
                if explanation.is_none() && deepest.is_empty() {
                    explanation = fallback.cloned();
                }
                if explanation.is_none() {
                    let cx = Context {
                        problem: &parts[i].problem,
                        ids: &parts[i].ids,
                        ops: history.ops(),
                        values,
                        key: partitions[i].key.clone(),
                    };
                    let mut e = explain(&cx, deepest);
                    e.conflict = conflict.map(|c| c.text.clone());
                    explanation = Some(e);
                }
                Verdict::NotLinearizable
            }
        });
        summary.push(PartitionResult {
            key: partitions[i].key.clone(),
            ops: partitions[i].ops.len(),
            verdict,
            steps: outcome.as_ref().map_or(0, |o| o.steps),
            configurations: outcome.as_ref().map_or(0, |o| o.memo_entries),
        });
    }
    let verdict = overall(&summary);
    CheckResult {
        verdict,
        explanation,
        model: model.name().to_string(),
        ops: history.len(),
        keys: partitions.len(),
        steps: summary.iter().map(|p| p.steps).sum(),
        elapsed: start.elapsed(),
        partitions: summary,
        history: history.clone(),
    }
}

fn overall(parts: &[PartitionResult]) -> Verdict {
    let has = |v| parts.iter().any(|p| p.verdict == Some(v));
    if has(Verdict::NotLinearizable) {
        Verdict::NotLinearizable
    } else if has(Verdict::Unknown) {
        Verdict::Unknown
    } else {
        Verdict::Linearizable
    }
}
