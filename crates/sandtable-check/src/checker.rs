//! [`check`]: prepares a history for a model, partitions it, searches each
//! partition (in parallel) and assembles a deterministic result.

use std::time::Instant;

use thiserror::Error;

use crate::decide::{claim_text, Claim, Decided, Known};
use crate::entries::Interval;
use crate::explanation::{explain, Context};
use crate::precheck::precheck;
use crate::schedule::run_all;
use crate::search::{Found, Problem};
use crate::zones::{analyse, Conflict, Zones};
use crate::{
    CheckOptions, CheckResult, Disagreement, Explanation, History, Interner, Model, Op, OpStatus,
    Partition, PartitionResult, Shortcut, Verdict,
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
            classify(&cx, options)
        })
        .collect();
    let problems: Vec<&Problem<'_, M>> = parts.iter().map(|p| &p.problem).collect();
    let decided = run_all(&problems, &known, options, deadline);
    Ok(assemble(
        model,
        history,
        &partitions,
        &parts,
        decided.into_iter().zip(known).collect(),
        &values,
        start,
    ))
}

/// What the shortcuts (pre-check, model proof, zone analysis) say about a partition.
fn classify<M: Model>(cx: &Context<'_, M>, options: &CheckOptions) -> Known {
    let pre = precheck(cx);
    let zones = if options.zones {
        analyse(cx)
    } else {
        Zones::NotApplicable
    };
    let claim = |explanation: Explanation, conflict: Option<Conflict>, by| Claim {
        explanation: Box::new(explanation),
        conflict,
        by,
    };
    match (pre, zones) {
        (None, Zones::NotApplicable) => Known::Open,
        (None, Zones::Linearizable) => Known::Linearizable,
        (Some((e, by)), Zones::Linearizable) => {
            let said = claim_text(&e);
            Known::Contested(claim(e, None, vec![(by, said)]))
        }
        (Some((e, by)), Zones::NotApplicable) => {
            let said = claim_text(&e);
            Known::Impossible(claim(e, None, vec![(by, said)]))
        }
        (Some((e, by)), Zones::Violation(c)) => {
            let said = vec![
                (by, claim_text(&e)),
                (Shortcut::ZoneAnalysis, c.text.clone()),
            ];
            Known::Impossible(claim(e, Some(c), said))
        }
        (None, Zones::Violation(c)) => {
            let said = vec![(Shortcut::ZoneAnalysis, c.text.clone())];
            Known::Impossible(claim(c.explain(cx), Some(c), said))
        }
    }
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

fn assemble<M: Model>(
    model: &M,
    history: &History,
    partitions: &[Partition],
    parts: &[Part<'_, M>],
    decided: Vec<(Option<Decided>, Known)>,
    values: &Interner,
    start: Instant,
) -> CheckResult {
    let mut explanation = None;
    let mut disagreements = Vec::new();
    let mut summary = Vec::with_capacity(parts.len());
    for (i, (d, known)) in decided.into_iter().enumerate() {
        let key = &partitions[i].key;
        let outcome = d.map(|d| {
            disagreements.extend(d.bugs.into_iter().map(|b| Disagreement {
                key: key.clone(),
                shortcut: b.shortcut,
                claim: b.claim,
                evidence: b.evidence,
            }));
            d.outcome
        });
        let verdict = outcome.as_ref().map(|o| match &o.found {
            Found::Linearizable => Verdict::Linearizable,
            Found::Unknown => Verdict::Unknown,
            Found::NotLinearizable(deepest) => {
                if explanation.is_none() {
                    let cx = parts[i].context(history.ops(), values, key.clone());
                    explanation = Some(explain_failure(&cx, deepest, &known));
                }
                Verdict::NotLinearizable
            }
        });
        summary.push(PartitionResult {
            key: key.clone(),
            ops: partitions[i].ops.len(),
            verdict,
            steps: outcome.as_ref().map_or(0, |o| o.steps),
            configurations: outcome.as_ref().map_or(0, |o| o.memo_entries),
        });
    }
    CheckResult {
        verdict: overall(&summary),
        explanation,
        model: model.name().to_string(),
        ops: history.len(),
        keys: partitions.len(),
        steps: summary.iter().map(|p| p.steps).sum(),
        elapsed: start.elapsed(),
        partitions: summary,
        disagreements,
        history: history.clone(),
    }
}

/// The explanation of a failing partition: from the deepest prefix the search reached, or,
/// when a shortcut's proof stands without one, the shortcut's.
fn explain_failure<M: Model>(cx: &Context<'_, M>, deepest: &[u32], known: &Known) -> Explanation {
    let claim = match known {
        Known::Impossible(c) | Known::Contested(c) => Some(c),
        Known::Open | Known::Linearizable => None,
    };
    match claim {
        Some(c) if deepest.is_empty() => (*c.explanation).clone(),
        _ => {
            let mut e = explain(cx, deepest);
            e.conflict = claim
                .and_then(|c| c.conflict.as_ref())
                .map(|c| c.text.clone());
            e
        }
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
