//! [`CheckResult`] and [`Verdict`]: what a check concluded.

use std::fmt;
use std::time::Duration;

use crate::{Disagreement, Explanation, History, Value};

/// The answer to "is this history linearizable?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Every partition has a linearization.
    Linearizable,
    /// Some partition has none.
    NotLinearizable,
    /// The budget ran out before an answer (and no partition failed).
    Unknown,
}

impl Verdict {
    /// `linearizable`, `not-linearizable` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "not-linearizable",
            Verdict::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "not linearizable",
            Verdict::Unknown => "unknown (budget exhausted)",
        })
    }
}

/// The outcome for one partition (key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionResult {
    /// The key, if the model is keyed.
    pub key: Option<Value>,
    /// Operations in the partition (all statuses).
    pub ops: usize,
    /// The verdict; `None` if it was not decided because another partition was found not
    /// linearizable first (see [`CheckOptions::all_keys`](crate::CheckOptions::all_keys)).
    pub verdict: Option<Verdict>,
    /// Search steps spent.
    pub steps: u64,
    /// Distinct configurations (linearized set, state) memoised.
    pub configurations: usize,
}

/// The result of [`check`](crate::check).
#[derive(Debug, Clone)]
pub struct CheckResult {
    /// The verdict.
    pub verdict: Verdict,
    /// Why not, when the verdict is [`Verdict::NotLinearizable`].
    pub explanation: Option<Explanation>,
    /// The model's name.
    pub model: String,
    /// Number of operations in the history.
    pub ops: usize,
    /// Number of partitions (keys).
    pub keys: usize,
    /// Total search steps.
    pub steps: u64,
    /// Wall-clock time taken (not deterministic; not part of Display).
    pub elapsed: Duration,
    /// Per-partition outcomes, in partition (key) order.
    pub partitions: Vec<PartitionResult>,
    /// Contradictions between parts of the checker (bugs in the checker, or in a model's
    /// hints), in key order; empty normally. Each partition's verdict is already the one
    /// backed by proof (a linearization that replays wins over a shortcut's "impossible").
    pub disagreements: Vec<Disagreement>,
    pub(crate) history: History,
}

impl CheckResult {
    /// The history that was checked.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Whether the verdict is [`Verdict::Linearizable`].
    pub fn is_linearizable(&self) -> bool {
        self.verdict == Verdict::Linearizable
    }

    /// A self-contained HTML report (inline CSS and SVG; no network).
    pub fn to_html(&self) -> String {
        crate::html_report(&[("history", self)])
    }

    /// The keys whose partitions ran out of budget.
    pub fn unknown_keys(&self) -> Vec<Option<Value>> {
        self.partitions
            .iter()
            .filter(|p| p.verdict == Some(Verdict::Unknown))
            .map(|p| p.key.clone())
            .collect()
    }
}

impl fmt::Display for CheckResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.verdict, &self.explanation) {
            (Verdict::NotLinearizable, Some(e)) => write!(f, "{e}"),
            (Verdict::Unknown, _) => {
                let keys: Vec<String> = self
                    .unknown_keys()
                    .iter()
                    .map(|k| k.as_ref().map_or("(no key)".to_string(), Value::to_string))
                    .collect();
                writeln!(
                    f,
                    "unknown: the search budget ran out ({} model, {}, {}; undecided: {})",
                    self.model,
                    plural(self.ops, "op"),
                    plural(self.keys, "key"),
                    keys.join(", ")
                )
            }
            (v, _) => writeln!(
                f,
                "{v} ({} model, {}, {})",
                self.model,
                plural(self.ops, "op"),
                plural(self.keys, "key")
            ),
        }
    }
}

impl std::error::Error for CheckResult {}

/// `1 key`, `3 keys`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use crate::{check, models, CheckOptions, History};

    #[test]
    fn the_summary_line_counts_in_words() {
        let one = History::from_jsonl_str(
            r#"{"process":0,"type":"invoke","f":"write","value":1}
{"process":0,"type":"ok","f":"write","value":1}"#,
        )
        .unwrap();
        let r = check(&one, &models::Register, &CheckOptions::default());
        assert_eq!(
            r.to_string(),
            "linearizable (register model, 1 op, 1 key)\n"
        );
    }
}
