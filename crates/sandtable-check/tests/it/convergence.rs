//! The convergence checks: one test per verdict, with the wording a reader relies on.

use std::collections::BTreeSet;

use sandtable_check::{
    check_counter, check_register, check_set, replicas_agree, ConvergenceError, CounterBounds,
    CounterHistory, Outcome, RegisterWrite, SetAdd, SetHistory, SetRemove, SetSummary,
};

use Outcome::{Acknowledged as Ack, Failed, Unknown};

#[test]
fn equal_replicas_agree() {
    assert_eq!(replicas_agree(&[("a", 1), ("b", 1), ("c", 1)]), Ok(()));
}

#[test]
fn no_replicas_is_an_error() {
    let none: [(&str, i32); 0] = [];
    assert_eq!(replicas_agree(&none), Err(ConvergenceError::NoReplicas));
}

#[test]
fn a_differing_replica_is_named_with_both_states() {
    let err =
        replicas_agree(&[("n0", vec![1, 2]), ("n1", vec![1, 2]), ("n2", vec![1])]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "replicas did not converge: replica n2 differs from n0\n  n0: [1, 2]\n  n2: [1]\n  (1 of 3 replicas differ from n0)"
    );
}

fn counter(ops: &[(i64, Outcome)]) -> CounterHistory {
    let mut h = CounterHistory::default();
    for &(d, o) in ops {
        h.record(d, o);
    }
    h
}

#[test]
fn counter_within_bounds_passes() {
    let h = counter(&[
        (3, Ack),
        (-1, Ack),
        (4, Unknown),
        (-2, Unknown),
        (100, Failed),
    ]);
    assert_eq!(h.bounds(), CounterBounds { min: 0, max: 6 });
    for v in 0..=6 {
        assert_eq!(check_counter(v, &h), Ok(CounterBounds { min: 0, max: 6 }));
    }
}

#[test]
fn counter_below_the_acknowledged_sum_fails() {
    let h = counter(&[(3, Ack), (2, Ack), (1, Unknown)]);
    let err = check_counter(4, &h).unwrap_err();
    assert_eq!(
        err.to_string(),
        "counter value 4 is below the allowed range 5..=6: 2 acknowledged operation(s) sum to 5; 1 unknown operation(s) could add 0..=1"
    );
}

#[test]
fn counter_above_every_maybe_fails() {
    let h = counter(&[(3, Ack), (-2, Unknown), (5, Failed)]);
    let err = check_counter(8, &h).unwrap_err();
    assert!(matches!(
        err,
        ConvergenceError::CounterOutOfRange {
            side: "above",
            min: 1,
            max: 3,
            ..
        }
    ));
}

fn add(e: u8, tag: u64, outcome: Outcome) -> SetAdd<u8> {
    SetAdd {
        element: e,
        tag,
        outcome,
        description: format!("add #{tag} of {e}"),
    }
}

fn remove(e: u8, observed: &[u64], outcome: Outcome, name: &str) -> SetRemove<u8> {
    SetRemove {
        element: e,
        observed: observed.iter().copied().collect(),
        outcome,
        description: name.to_string(),
    }
}

fn set(v: &[u8]) -> BTreeSet<u8> {
    v.iter().copied().collect()
}

#[test]
fn a_set_that_respects_adds_and_removes_passes() {
    let h = SetHistory {
        adds: vec![
            add(1, 10, Ack),
            add(2, 11, Ack),
            add(2, 12, Ack),
            add(3, 13, Unknown),
        ],
        // Removes 1 entirely; removes one of 2's two adds (the other survives).
        removes: vec![remove(1, &[10], Ack, "r1"), remove(2, &[11], Ack, "r2")],
    };
    assert_eq!(
        check_set(&set(&[2]), &h),
        Ok(SetSummary {
            required: 1,
            present: 1
        })
    );
    // The unknown add of 3 may or may not have happened.
    assert_eq!(
        check_set(&set(&[2, 3]), &h),
        Ok(SetSummary {
            required: 1,
            present: 2
        })
    );
}

#[test]
fn a_missing_element_names_the_add_that_put_it_there() {
    let h = SetHistory {
        adds: vec![add(4, 7, Ack)],
        removes: vec![remove(4, &[], Ack, "a remove that saw nothing")],
    };
    let err = check_set(&set(&[]), &h).unwrap_err();
    assert_eq!(
        err.to_string(),
        "element 4 is missing: add #7 of 4 was acknowledged, and no acknowledged remove observed its tag 7 (nor could an unknown remove of 4 have)"
    );
}

#[test]
fn an_unknown_remove_excuses_a_missing_element() {
    let h = SetHistory {
        adds: vec![add(4, 7, Ack)],
        removes: vec![remove(4, &[], Unknown, "r")],
    };
    assert_eq!(check_set(&set(&[]), &h), Ok(SetSummary::default()));
    assert!(check_set(&set(&[4]), &h).is_ok());
}

#[test]
fn an_element_never_added_must_be_absent() {
    let h = SetHistory {
        adds: vec![add(1, 1, Ack), add(2, 2, Failed)],
        removes: vec![],
    };
    let err = check_set(&set(&[1, 9]), &h).unwrap_err();
    assert_eq!(err.to_string(), "element 9 is present but was never added");
    let err = check_set(&set(&[1, 2]), &h).unwrap_err();
    assert_eq!(
        err.to_string(),
        "element 2 is present but was never added (its 1 add(s) all failed)"
    );
}

#[test]
fn a_long_list_of_removed_adds_is_cut_short() {
    let h = SetHistory {
        adds: (1..=5).map(|t| add(5, t, Ack)).collect(),
        removes: vec![remove(5, &[1, 2, 3, 4, 5], Ack, "r")],
    };
    let err = check_set(&set(&[5]), &h).unwrap_err().to_string();
    assert!(
        err.ends_with("add #3 of 5 (tag 3) observed by r; and 2 more"),
        "{err}"
    );
}

#[test]
fn an_element_whose_adds_were_all_observed_removed_must_be_absent() {
    let h = SetHistory {
        adds: vec![add(5, 1, Ack), add(5, 2, Unknown)],
        removes: vec![remove(5, &[1, 2], Ack, "remove by client 3")],
    };
    assert!(check_set(&set(&[]), &h).is_ok());
    let err = check_set(&set(&[5]), &h).unwrap_err();
    assert_eq!(
        err.to_string(),
        "element 5 is present but every add of it was observed by an acknowledged remove: add #1 of 5 (tag 1) observed by remove by client 3; add #2 of 5 (tag 2) observed by remove by client 3"
    );
}

fn write(value: i64, outcome: Outcome, invoked_ns: u64, acked: Option<u64>) -> RegisterWrite<i64> {
    RegisterWrite {
        value,
        outcome,
        invoked_ns,
        acknowledged_ns: acked,
        description: format!("write of {value}"),
    }
}

#[test]
fn the_last_acknowledged_write_or_a_concurrent_one_passes() {
    let writes = [
        write(1, Ack, 0, Some(10)),
        write(2, Ack, 5, Some(15)), // concurrent with 1
        write(3, Unknown, 20, None),
        write(4, Failed, 30, None),
    ];
    assert_eq!(check_register(Some(&1), &writes), Ok(()));
    assert_eq!(check_register(Some(&2), &writes), Ok(()));
    assert_eq!(check_register(Some(&3), &writes), Ok(()));
    assert!(check_register(Some(&4), &writes).is_err());
    assert_eq!(check_register::<i64>(None, &[]), Ok(()));
}

#[test]
fn a_later_acknowledged_write_lost_is_reported() {
    let writes = [
        write(1, Ack, 0, Some(10_000)),
        write(2, Ack, 20_000, Some(30_000)),
    ];
    let err = check_register(Some(&1), &writes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "lost write: the register holds 1, from the write of 1; but the write of 2 began at 0.000020s, after that write was acknowledged at 0.000010s — the later acknowledged write is lost"
    );
}

#[test]
fn an_unwritten_or_empty_register_is_reported() {
    let writes = [write(1, Ack, 0, Some(10))];
    let err = check_register(Some(&7), &writes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the register holds 7, which no acknowledged or unknown write wrote (expected the value of write of 1, or a later one)"
    );
    assert!(matches!(
        check_register(None, &writes),
        Err(ConvergenceError::UnwrittenValue { .. })
    ));
}
