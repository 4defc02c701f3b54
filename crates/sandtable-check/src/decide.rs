//! Deciding one partition: what the shortcuts (pre-check, model proof, zone analysis) claim,
//! the search that confirms or refutes them, and the rule that settles a contradiction: a
//! linearization that replays is proof and always wins; any contradiction is reported as a bug.

use crate::explanation::Explanation;
use crate::search::{search, Found, Limits, Outcome, Problem};
use crate::witness::replay;
use crate::zones::Conflict;
use crate::{Model, Shortcut};

/// Steps spent searching for a prefix-rich explanation of a partition a shortcut already
/// proved non-linearizable.
pub(crate) const EXPLAIN_STEPS: u64 = 1_000_000;

/// A shortcut's proof that no linearization exists.
pub(crate) struct Claim {
    /// The explanation to fall back on.
    pub(crate) explanation: Box<Explanation>,
    /// The zone conflict, if the zone analysis found one.
    pub(crate) conflict: Option<Conflict>,
    /// Who claims it, and in what words (one or two shortcuts).
    pub(crate) by: Vec<(Shortcut, String)>,
}

/// What is known about a partition before the search.
pub(crate) enum Known {
    /// Nothing: search.
    Open,
    /// The zone analysis found that a linearization exists: no search needed.
    Linearizable,
    /// A shortcut proved that none exists. Searched only briefly, for the usual explanation
    /// with the longest prefix (and to catch a shortcut that is wrong).
    Impossible(Claim),
    /// The pre-check (or the model's proof) says none exists and the zone analysis says one
    /// does: one of them is wrong. Searched in full to find out which.
    Contested(Claim),
}

/// A contradiction between parts of the checker on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bug {
    pub(crate) shortcut: Shortcut,
    pub(crate) claim: String,
    pub(crate) evidence: String,
}

/// What a partition came to: the outcome whose `found` is the verdict, and any contradiction.
#[derive(Debug, Clone)]
pub(crate) struct Decided {
    pub(crate) outcome: Outcome,
    pub(crate) bugs: Vec<Bug>,
}

impl Decided {
    fn plain(outcome: Outcome) -> Decided {
        Decided {
            outcome,
            bugs: Vec::new(),
        }
    }

    pub(crate) fn failed(&self) -> bool {
        matches!(self.outcome.found, Found::NotLinearizable(_))
    }
}

/// Decides one partition from what the shortcuts know and a search within `limits`.
pub(crate) fn decide<M: Model>(p: &Problem<'_, M>, known: &Known, limits: Limits<'_>) -> Decided {
    match known {
        Known::Linearizable => Decided::plain(Outcome {
            found: Found::Linearizable,
            steps: 0,
            memo_entries: 0,
            witness: Vec::new(),
        }),
        Known::Open | Known::Contested(_) => judge(p, known, search(p, limits)),
        Known::Impossible(claim) => {
            let max_steps = limits
                .max_steps
                .map_or(EXPLAIN_STEPS, |m| m.min(EXPLAIN_STEPS));
            let brief = Limits {
                max_steps: Some(max_steps),
                ..limits
            };
            let o = search(p, brief);
            match o.found {
                Found::NotLinearizable(_) => Decided::plain(o),
                // The brief search did not finish: the shortcut's proof stands.
                Found::Unknown => Decided::plain(Outcome {
                    found: Found::NotLinearizable(Vec::new()),
                    ..o
                }),
                Found::Linearizable => witnessed(p, o, &claim.by),
            }
        }
    }
}

/// Judges the finished search `o` of an open or contested partition (see [`decide`]).
pub(crate) fn judge<M: Model>(p: &Problem<'_, M>, known: &Known, o: Outcome) -> Decided {
    match known {
        Known::Contested(claim) => contested(p, claim, o),
        _ => witnessed(p, o, &[]),
    }
}

/// The pre-check said impossible, the zone analysis linearizable, and the full search `o`
/// decides between them (or does not).
fn contested<M: Model>(p: &Problem<'_, M>, claim: &Claim, o: Outcome) -> Decided {
    let zones_claim = "that a linearization exists".to_string();
    let (shortcut, said) = &claim.by[0];
    match o.found {
        Found::Linearizable => witnessed(p, o, &claim.by),
        Found::NotLinearizable(_) => Decided {
            outcome: o,
            bugs: vec![Bug {
                shortcut: Shortcut::ZoneAnalysis,
                claim: zones_claim,
                evidence: format!(
                    "the search tried every order and found none, as {} says ({said})",
                    shortcut.name()
                ),
            }],
        },
        Found::Unknown => Decided {
            outcome: o,
            bugs: vec![Bug {
                shortcut: Shortcut::ZoneAnalysis,
                claim: zones_claim,
                evidence: format!(
                    "{} proves that none exists ({said}); the search ran out of budget before settling it",
                    shortcut.name()
                ),
            }],
        },
    }
}

/// A search outcome checked: a linearization found must replay, and then it wins over every
/// shortcut in `claims` that called the partition impossible.
fn witnessed<M: Model>(p: &Problem<'_, M>, o: Outcome, claims: &[(Shortcut, String)]) -> Decided {
    if o.found != Found::Linearizable {
        return Decided::plain(o);
    }
    match replay(p, &o.witness) {
        Ok(()) => {
            let n = p.inputs.len();
            let evidence = format!(
                "the search found a linearization of all {n} operation{}, and it replays: a found linearization is proof, so the key is reported linearizable",
                if n == 1 { "" } else { "s" }
            );
            let bugs = claims
                .iter()
                .map(|(shortcut, said)| Bug {
                    shortcut: *shortcut,
                    claim: format!("that no linearization exists ({said})"),
                    evidence: evidence.clone(),
                })
                .collect();
            Decided { outcome: o, bugs }
        }
        Err(why) => {
            // The search is wrong: a shortcut's proof stands; without one, nothing is known.
            let found = if claims.is_empty() {
                Found::Unknown
            } else {
                Found::NotLinearizable(Vec::new())
            };
            Decided {
                outcome: Outcome { found, ..o },
                bugs: vec![Bug {
                    shortcut: Shortcut::Search,
                    claim: "a linearization".to_string(),
                    evidence: format!("it does not replay: {why}"),
                }],
            }
        }
    }
}

/// A shortcut's explanation in a few words, for a bug report.
pub(crate) fn claim_text(e: &Explanation) -> String {
    match (&e.conflict, e.blocked.first()) {
        (Some(conflict), _) => conflict.clone(),
        (None, Some(b)) => format!("{}: {}", b.op, b.reason),
        (None, None) => "no operation can be placed".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::Interval;
    use crate::models::{CasRegister, RegisterOp};

    /// write 1 [0, 1], then read 1 [2, 3].
    fn problem(inputs: &[RegisterOp; 2]) -> Problem<'_, CasRegister> {
        Problem {
            model: &CasRegister,
            inputs: inputs.iter().collect(),
            intervals: vec![
                Interval {
                    call: 0,
                    ret: Some(1),
                },
                Interval {
                    call: 2,
                    ret: Some(3),
                },
            ],
        }
    }

    fn outcome(found: Found, witness: Vec<u32>) -> Outcome {
        Outcome {
            found,
            steps: 1,
            memo_entries: 0,
            witness,
        }
    }

    #[test]
    fn a_witness_that_does_not_replay_is_a_bug_of_the_search() {
        let inputs = [RegisterOp::Write(1), RegisterOp::Read(1)];
        let p = problem(&inputs);
        let d = witnessed(&p, outcome(Found::Linearizable, vec![1, 0]), &[]);
        assert_eq!(d.outcome.found, Found::Unknown);
        assert_eq!(d.bugs.len(), 1);
        assert_eq!(d.bugs[0].shortcut, Shortcut::Search);
        let claims = [(Shortcut::PreCheck, "no".to_string())];
        let d = witnessed(&p, outcome(Found::Linearizable, vec![1, 0]), &claims);
        assert!(d.failed(), "the shortcut's proof stands");
        let d = witnessed(&p, outcome(Found::Linearizable, vec![0, 1]), &claims);
        assert_eq!(d.outcome.found, Found::Linearizable, "the witness wins");
        assert_eq!(d.bugs[0].shortcut, Shortcut::PreCheck);
    }

    #[test]
    fn a_contest_the_search_settles_against_the_zone_analysis_names_it() {
        let inputs = [RegisterOp::Write(1), RegisterOp::Read(2)];
        let p = problem(&inputs);
        let cx_free = Explanation {
            model: "cas-register".into(),
            key: None,
            partition_ops: 2,
            prefix_len: 0,
            prefix: Vec::new(),
            state: "null".into(),
            deadline: crate::Op {
                id: 1,
                process: 0,
                f: "read".into(),
                key: None,
                input: crate::Value::Null,
                output: None,
                status: crate::OpStatus::Ok,
                invoke_index: 2,
                complete_index: Some(3),
                invoke_line: 3,
                complete_line: Some(4),
                invoke_time: None,
                complete_time: None,
            },
            blocked: Vec::new(),
            impossible: true,
            conflict: None,
        };
        let claim = Claim {
            explanation: Box::new(cx_free),
            conflict: None,
            by: vec![(Shortcut::PreCheck, "2 is never written".to_string())],
        };
        let d = contested(&p, &claim, outcome(Found::NotLinearizable(vec![0]), vec![]));
        assert!(d.failed());
        assert_eq!(d.bugs[0].shortcut, Shortcut::ZoneAnalysis);
        assert!(d.bugs[0].evidence.contains("tried every order"));
        let d = contested(&p, &claim, outcome(Found::Unknown, vec![]));
        assert_eq!(d.outcome.found, Found::Unknown);
        assert_eq!(d.bugs[0].shortcut, Shortcut::ZoneAnalysis);
    }
}
