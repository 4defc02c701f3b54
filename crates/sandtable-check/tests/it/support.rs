//! Helpers for hand-written histories.

use sandtable_check::{check, CheckOptions, CheckResult, History, Model, Verdict};

/// Parses a compact history: one event per line as
/// `process type f [key] value`, e.g. `0 invoke write 1` or `1 ok read x 2`.
/// Values are JSON; a key is written `k=NAME`.
pub fn h(text: &str) -> History {
    let mut out = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut parts = line.splitn(4, ' ');
        let (p, t, f) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let rest = parts.next().unwrap_or("null");
        let (key, value) = match rest.strip_prefix("k=") {
            Some(r) => {
                let (k, v) = r.split_once(' ').unwrap_or((r, "null"));
                (format!(",\"key\":\"{k}\""), v.to_string())
            }
            None => (String::new(), rest.to_string()),
        };
        out.push_str(&format!(
            "{{\"process\":{p},\"type\":\"{t}\",\"f\":\"{f}\"{key},\"value\":{value}}}\n"
        ));
    }
    History::from_jsonl_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"))
}

/// Checks with default options on one thread.
pub fn run<M: Model>(model: &M, text: &str) -> CheckResult {
    check(&h(text), model, &CheckOptions::default().threads(1))
}

/// Asserts the verdict.
pub fn verdict<M: Model>(model: &M, text: &str) -> Verdict {
    run(model, text).verdict
}
