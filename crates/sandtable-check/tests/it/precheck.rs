//! The pre-check: operations no order can place are found without a search, so a violation in
//! a highly concurrent history is "no" at once rather than "unknown" after the budget.

use sandtable_check::models::{CasRegister, Register};
use sandtable_check::{check, CheckOptions, History, Verdict};

use crate::support::h;

/// A register history where 60 processes overlap heavily and values are unique: hard for the
/// search. Each op spans many others; writes take effect when they complete.
fn crowded(corrupt: Option<i64>) -> History {
    let mut lines = Vec::new();
    let mut value = 0i64;
    let mut reads = 0;
    let procs = 60;
    for round in 0..20 {
        for p in 0..procs {
            let f = if (p + round) % 2 == 0 {
                "write"
            } else {
                "read"
            };
            let v = if f == "write" {
                value += 1;
                value.to_string()
            } else {
                "null".into()
            };
            lines.push(format!(
                "{{\"process\":{p},\"type\":\"invoke\",\"f\":\"{f}\",\"value\":{v}}}"
            ));
        }
        // Every write completes (in order), then the reads return the last value written.
        for p in 0..procs {
            if (p + round) % 2 == 0 {
                let w = value - (procs as i64 / 2 - 1) + (p as i64 / 2);
                lines.push(format!(
                    "{{\"process\":{p},\"type\":\"ok\",\"f\":\"write\",\"value\":{w}}}"
                ));
            }
        }
        for p in 0..procs {
            if (p + round) % 2 == 1 {
                reads += 1;
                let v = if corrupt == Some(reads) {
                    value + 1_000
                } else {
                    value
                };
                lines.push(format!(
                    "{{\"process\":{p},\"type\":\"ok\",\"f\":\"read\",\"value\":{v}}}"
                ));
            }
        }
    }
    History::from_jsonl_str(&lines.join("\n")).unwrap()
}

#[test]
fn a_value_nobody_wrote_is_rejected_even_when_the_search_is_hopeless() {
    // A step budget far too small for the search: only the pre-check can answer (the zone
    // analysis, which decides such histories without search, is off here).
    let tiny = CheckOptions::default()
        .threads(1)
        .budget_steps(10)
        .zones(false);
    assert_eq!(
        check(&crowded(None), &Register, &tiny).verdict,
        Verdict::Unknown
    );
    assert_eq!(
        check(&crowded(None), &Register, &tiny.clone().zones(true)).verdict,
        Verdict::Linearizable
    );
    let r = check(&crowded(Some(300)), &Register, &tiny);
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let e = r.explanation.unwrap();
    assert!(e.impossible);
    let text = e.to_string();
    assert!(
        text.contains("No order of the operations can place this one"),
        "{text}"
    );
    assert!(text.contains("could have set that value"), "{text}");
}

#[test]
fn reading_the_initial_value_after_a_completed_write_is_rejected() {
    let hist = "0 invoke write 1\n0 ok write 1\n1 invoke read null\n1 ok read null\n";
    let r = check(
        &h(hist),
        &Register,
        &CheckOptions::default().budget_steps(0),
    );
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    assert!(r
        .explanation
        .unwrap()
        .to_string()
        .contains("needs the initial state null, but op #0"));
    // Unless something may have set it back in time.
    let back =
        "0 invoke write 1\n0 ok write 1\n2 invoke write null\n1 invoke read null\n1 ok read null\n";
    assert_eq!(
        check(&h(back), &Register, &CheckOptions::default()).verdict,
        Verdict::Linearizable
    );
}

#[test]
fn a_cas_expecting_a_value_never_written_is_rejected_and_info_writes_count() {
    let bad = "0 invoke write 1\n0 ok write 1\n1 invoke cas [7,2]\n1 ok cas [7,2]\n";
    assert_eq!(
        check(
            &h(bad),
            &CasRegister,
            &CheckOptions::default().budget_steps(0)
        )
        .verdict,
        Verdict::NotLinearizable
    );
    // An `info` write of 7 may have happened: then the cas is possible.
    let info = "0 invoke write 7\n0 info write 7\n1 invoke cas [7,2]\n1 ok cas [7,2]\n";
    assert_eq!(
        check(&h(info), &CasRegister, &CheckOptions::default()).verdict,
        Verdict::Linearizable
    );
    // A write of 7 invoked only after the cas returned cannot help.
    let late = "1 invoke cas [7,2]\n1 ok cas [7,2]\n0 invoke write 7\n0 ok write 7\n";
    assert_eq!(
        check(
            &h(late),
            &CasRegister,
            &CheckOptions::default().budget_steps(0)
        )
        .verdict,
        Verdict::NotLinearizable
    );
}
