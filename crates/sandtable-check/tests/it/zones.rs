//! The zone analysis of registers whose written values are unique: it agrees with the brute
//! force on random small histories, decides crowded histories the search cannot, and explains
//! violations by naming the operations.

use proptest::prelude::*;
use sandtable_check::gen::{register_history, RegisterSpec, Rng};
use sandtable_check::models::{CasRegister, Kv, Register};
use sandtable_check::{
    check, CheckOptions, Event, EventType, History, Model, OpStatus, Value, Verdict,
};

use crate::brute;
use crate::support::h;

/// Shape of a random register history with unique written values.
#[derive(Debug, Clone, Copy)]
struct Shape {
    processes: usize,
    ops: usize,
    /// Chance, per mille, that a pending op ends as `info` (before or after taking effect).
    info: u32,
    /// Chance, per mille, that a read returns a wrong value: the initial null, an overwritten
    /// value, a value whose write has not started yet, or one nobody writes.
    corrupt: u32,
    /// Two keys instead of one.
    keyed: bool,
}

#[derive(Clone)]
struct Pending {
    f: &'static str,
    key: Option<Value>,
    value: Value,
    result: Option<Value>,
}

/// Simulates a register (per key) under random interleavings; writes write 1, 2, 3, ...
fn history(shape: Shape, seed: u64) -> History {
    let mut rng = Rng::new(seed);
    let mut regs = [Value::Null, Value::Null];
    let mut next = 0i64;
    let mut ids: Vec<u64> = (0..shape.processes as u64).collect();
    let mut pending: Vec<Option<Pending>> = vec![None; shape.processes];
    let mut events = Vec::new();
    let mut invoked = 0;
    let event = |p: u64, kind, op: &Pending, value: Value| Event {
        process: p,
        kind,
        f: op.f.to_string(),
        key: op.key.clone(),
        value,
        time: None,
        line: None,
    };
    while invoked < shape.ops || pending.iter().any(Option::is_some) {
        let p = rng.below(shape.processes as u64) as usize;
        match pending[p].take() {
            None if invoked < shape.ops => {
                invoked += 1;
                let key = shape
                    .keyed
                    .then(|| Value::from(["x", "y"][rng.below(2) as usize]));
                let op = if rng.chance(500) {
                    Pending {
                        f: "read",
                        key,
                        value: Value::Null,
                        result: None,
                    }
                } else {
                    next += 1;
                    Pending {
                        f: "write",
                        key,
                        value: Value::Int(next),
                        result: None,
                    }
                };
                events.push(event(ids[p], EventType::Invoke, &op, op.value.clone()));
                pending[p] = Some(op);
            }
            None => {}
            Some(op) if rng.chance(shape.info) => {
                events.push(event(ids[p], EventType::Info, &op, op.value.clone()));
                ids[p] += shape.processes as u64;
            }
            Some(mut op) if op.result.is_none() => {
                let reg = &mut regs[usize::from(op.key == Some(Value::from("y")))];
                op.result = Some(if op.f == "write" {
                    *reg = op.value.clone();
                    op.value.clone()
                } else if rng.chance(shape.corrupt) {
                    match rng.below(4) {
                        0 => Value::Null,
                        // Possibly overwritten, possibly current.
                        1 => Value::Int(rng.below(next as u64 + 1) as i64),
                        // Written later (if at all): its write may start after this read ends.
                        2 => Value::Int(next + 1 + rng.below(3) as i64),
                        _ => Value::Int(1_000 + rng.below(3) as i64),
                    }
                } else {
                    reg.clone()
                });
                pending[p] = Some(op);
            }
            Some(op) => {
                let value = op.result.clone().expect("applied");
                events.push(event(ids[p], EventType::Ok, &op, value));
            }
        }
    }
    History::from_events(events).expect("well-formed")
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        1usize..=6,
        1usize..=11,
        prop_oneof![Just(0u32), 0u32..400],
        prop_oneof![Just(0u32), 0u32..500],
        any::<bool>(),
    )
        .prop_map(|(processes, ops, info, corrupt, keyed)| Shape {
            processes,
            ops,
            info,
            corrupt,
            keyed,
        })
}

fn cases() -> u32 {
    std::env::var("SANDTABLE_CHECK_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1500)
        * 4
}

/// The zone analysis alone (no search steps), and the search alone, against the brute force.
fn agree<M: Model>(model: &M, h: &History) -> Result<(), TestCaseError> {
    let expected = brute::linearizable(h, &brute::Registers);
    // With no search steps only the pre-check and the zone analysis can answer; the checker
    // asserts (in debug builds) that the zone analysis never calls a history the pre-check
    // rejected linearizable, nor one the explanation search linearizes non-linearizable.
    let zones = check(
        h,
        model,
        &CheckOptions::default().budget_steps(0).threads(1),
    );
    prop_assert_eq!(
        zones.verdict,
        if expected {
            Verdict::Linearizable
        } else {
            Verdict::NotLinearizable
        },
        "zone analysis, history:\n{}\nchecker said: {}",
        h.to_jsonl_string(),
        zones
    );
    if let Some(e) = &zones.explanation {
        prop_assert!(!e.blocked.is_empty());
        prop_assert!(!e.to_string().is_empty());
    }
    // A full check (zones, then the explanation search) and the search alone agree too.
    let full = check(h, model, &CheckOptions::default().unlimited().threads(1));
    prop_assert_eq!(full.verdict, zones.verdict);
    let search = check(
        h,
        model,
        &CheckOptions::default().unlimited().threads(1).zones(false),
    );
    prop_assert_eq!(search.verdict, zones.verdict, "search alone");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn zones_match_brute_force(shape in shape(), seed: u64) {
        let h = history(shape, seed);
        if shape.keyed {
            agree(&Kv, &h)?;
        } else {
            agree(&Register, &h)?;
            agree(&CasRegister, &h)?;
        }
    }
}

/// The random histories exercise every case the analysis distinguishes.
#[test]
fn random_unique_histories_cover_the_cases() {
    let (mut yes, mut info_read, mut null_read, mut future_read) = (0, 0, 0, 0);
    let runs = 2_000u64;
    for seed in 0..runs {
        let shape = Shape {
            processes: 4,
            ops: 9,
            info: 150,
            corrupt: 200,
            keyed: false,
        };
        let h = history(shape, seed);
        yes += usize::from(brute::linearizable(&h, &brute::Registers));
        let ops = h.ops();
        let writer = |v: &Value| ops.iter().find(|w| w.f == "write" && w.input == *v);
        for r in ops
            .iter()
            .filter(|o| o.f == "read" && o.status == OpStatus::Ok)
        {
            let v = r.output.as_ref().unwrap();
            null_read += usize::from(v.is_null());
            match writer(v) {
                Some(w) if w.status == OpStatus::Info => info_read += 1,
                Some(w) if w.invoke_index > r.complete_index.unwrap() => future_read += 1,
                _ => {}
            }
        }
    }
    eprintln!("{yes}/{runs} linearizable; reads of info writes {info_read}, of null {null_read}, of writes invoked later {future_read}");
    assert!((400..=1600).contains(&yes), "{yes}/{runs} linearizable");
    assert!(info_read > 200 && null_read > 200 && future_read > 50);
}

/// 60 processes that all overlap, 20k operations, unique values: hopeless for the search (see
/// BENCHMARKS.md), decided by the zone analysis without a single search step.
fn crowded() -> History {
    register_history(&RegisterSpec::unique_register(60, 20_000, 7))
}

#[test]
fn crowded_linearizable_register_is_decided_without_search() {
    let h = crowded();
    let r = check(&h, &Register, &CheckOptions::default().threads(1));
    assert_eq!(r.verdict, Verdict::Linearizable);
    assert_eq!(r.steps, 0);
    // The search alone gives up on it with this budget.
    let search = CheckOptions::default()
        .threads(1)
        .budget_steps(200_000)
        .zones(false);
    assert_eq!(check(&h, &Register, &search).verdict, Verdict::Unknown);
}

#[test]
fn crowded_register_with_one_stale_read_is_not_linearizable() {
    let h = crowded();
    let ops = h.ops();
    // A read in the middle, and a write that completed before another write was even invoked,
    // which in turn completed before the read was invoked: its value was overwritten for good.
    let read = ops
        .iter()
        .skip(ops.len() / 2)
        .find(|o| o.f == "read" && o.status == OpStatus::Ok)
        .unwrap();
    let newer = ops
        .iter()
        .rev()
        .filter(|o| o.f == "write" && o.status == OpStatus::Ok)
        .find(|o| o.complete_index.unwrap() < read.invoke_index)
        .unwrap();
    let stale = ops
        .iter()
        .filter(|o| o.f == "write" && o.status == OpStatus::Ok)
        .find(|o| o.complete_index.unwrap() < newer.invoke_index)
        .unwrap();
    let mut events = h.events().to_vec();
    events[read.complete_index.unwrap()].value = stale.input.clone();
    let bad = History::from_events(events).unwrap();
    let r = check(&bad, &Register, &CheckOptions::default().threads(1));
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let e = r.explanation.unwrap();
    let conflict = e.conflict.clone().expect("the zone analysis explains it");
    let stale_read = format!("op #{}", read.id);
    assert!(conflict.contains(&stale_read), "{conflict}");
    assert!(e.to_string().contains(&stale_read), "{e}");
    // Even when the explanation search has no steps at all.
    let r = check(
        &bad,
        &Register,
        &CheckOptions::default().threads(1).budget_steps(0),
    );
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let e = r.explanation.unwrap();
    assert!(e.impossible);
    assert!(e.window().contains(&read.id));
    assert!(e.to_string().contains(&stale_read), "{e}");
    assert!(r.partitions[0].steps <= 1);
}

const OVERLAP: &str = "\
0 invoke write 1
1 invoke write 2
0 ok write 1
1 ok write 2
2 invoke read null
2 ok read 1
2 invoke read null
2 ok read 2
2 invoke read null
2 ok read 1
";

#[test]
fn overlapping_stretches_are_explained() {
    let r = check(
        &h(OVERLAP),
        &Register,
        &CheckOptions::default().budget_steps(0),
    );
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let expected = "\
history: not linearizable (register model, 5 operations checked).
Each value is written at most once, so its write and its reads take effect in one stretch in which the register holds it and nothing else is written. Here value 1 must be held from line 3 at the latest (when op #0, which writes it, returned) until line 9 at the earliest (when op #4, which read it, was invoked), and value 2 must be held from line 4 at the latest (when op #1, which writes it, returned) until line 7 at the earliest (when op #3, which read it, was invoked): these stretches overlap.
The operations involved:
  op #0 (process 0, write 1, invoked at line 1, returned at line 3): it writes 1 and returned at line 3, so 1 was in place by then
  op #1 (process 1, write 2, invoked at line 2, returned at line 4): it writes 2 and returned at line 4, so 2 was in place by then
  op #3 (process 2, read -> 2, invoked at line 7, returned at line 8): it read 2 and was invoked at line 7, so 2 was still in place after that
  op #4 (process 2, read -> 1, invoked at line 9, returned at line 10): it read 1 and was invoked at line 9, so 1 was still in place after that
";
    assert_eq!(r.explanation.as_ref().unwrap().to_string(), expected);
    let html = r.to_html();
    assert!(html.contains("Operations involved"), "{html}");
    assert!(html.contains("these stretches overlap"));
    // With search steps, the usual explanation, and the zones' reason after it.
    let r = check(&h(OVERLAP), &Register, &CheckOptions::default());
    let text = r.explanation.unwrap().to_string();
    assert!(text.contains("Longest linearizable prefix"), "{text}");
    assert!(text.contains("Why no order exists: Each value"), "{text}");
}

#[test]
fn a_read_before_its_write_and_a_null_read_too_late_are_rejected() {
    let early = "1 invoke read null\n1 ok read 5\n0 invoke write 5\n0 ok write 5\n";
    let r = check(
        &h(early),
        &Register,
        &CheckOptions::default().budget_steps(0),
    );
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    // The pre-check finds this one first; either way the read is named.
    assert!(r.explanation.unwrap().to_string().contains("op #0"));
    // Null read after a write completed and was read: forward zones overlap.
    let late = "0 invoke write 1\n1 invoke read null\n0 ok write 1\n1 ok read 1\n2 invoke read null\n2 ok read null\n";
    let r = check(&h(late), &Register, &CheckOptions::default());
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    // An info write read by nobody may never have happened; one that was read did.
    let info = "0 invoke write 1\n0 info write 1\n1 invoke read null\n1 ok read null\n";
    assert_eq!(
        check(
            &h(info),
            &Register,
            &CheckOptions::default().budget_steps(0)
        )
        .verdict,
        Verdict::Linearizable
    );
    let info_read = "0 invoke write 1\n0 info write 1\n1 invoke read null\n1 ok read 1\n2 invoke read null\n2 ok read null\n";
    assert_eq!(
        check(
            &h(info_read),
            &Register,
            &CheckOptions::default().budget_steps(0)
        )
        .verdict,
        Verdict::NotLinearizable
    );
}

#[test]
fn repeated_values_and_cas_are_left_to_the_search() {
    // Value 1 written twice: the analysis does not apply, and the search has no steps.
    let twice = "0 invoke write 1\n0 ok write 1\n0 invoke write 1\n0 ok write 1\n1 invoke read null\n1 ok read 1\n";
    let none = CheckOptions::default().budget_steps(0);
    assert_eq!(check(&h(twice), &Register, &none).verdict, Verdict::Unknown);
    let cas = "0 invoke write 1\n0 ok write 1\n0 invoke cas [1,2]\n0 ok cas [1,2]\n";
    assert_eq!(
        check(&h(cas), &CasRegister, &none).verdict,
        Verdict::Unknown
    );
    // Writing the initial value back is a repeat too.
    let null = "0 invoke write null\n0 ok write null\n";
    assert_eq!(check(&h(null), &Register, &none).verdict, Verdict::Unknown);
}
