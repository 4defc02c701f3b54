//! Property tests: merge is a join — commutative, associative, idempotent — for each type,
//! on states built by random operations.

use std::fmt::Debug;

use crdt::{Bug, Crdt, GCounter, LwwRegister, OrSet, PnCounter, Stamp};
use proptest::prelude::*;

fn merged<T: Crdt + Clone>(a: &T, b: &T) -> T {
    let mut m = a.clone();
    m.merge(b);
    m
}

fn laws<T: Crdt + Clone + PartialEq + Debug>(a: &T, b: &T, c: &T) -> Result<(), TestCaseError> {
    prop_assert_eq!(merged(a, b), merged(b, a), "commutative");
    prop_assert_eq!(
        merged(&merged(a, b), c),
        merged(a, &merged(b, c)),
        "associative"
    );
    prop_assert_eq!(&merged(a, a), a, "idempotent");
    Ok(())
}

fn gcounter() -> impl Strategy<Value = GCounter> {
    prop::collection::vec((0u32..4, 0u64..10), 0..8).prop_map(|ops| {
        let mut g = GCounter::default();
        for (r, n) in ops {
            g.increment(r, n);
        }
        g
    })
}

fn pncounter() -> impl Strategy<Value = PnCounter> {
    prop::collection::vec((0u32..4, -5i64..=5), 0..8).prop_map(|ops| {
        let mut p = PnCounter::default();
        for (r, d) in ops {
            p.change(r, d);
        }
        p
    })
}

/// Adds (tags from a small shared space, so states overlap; a tag always belongs to the same
/// element, as a unique tag does) and removes.
fn orset() -> impl Strategy<Value = OrSet<u8>> {
    prop::collection::vec((any::<bool>(), 0u64..16), 0..12).prop_map(|ops| {
        let mut s = OrSet::default();
        for (add, tag) in ops {
            let e = (tag % 4) as u8;
            if add {
                s.add(e, tag);
            } else {
                s.remove(&e, Bug::None);
            }
        }
        s
    })
}

fn lww() -> impl Strategy<Value = LwwRegister<u8>> {
    prop::collection::vec((0u8..4, 0i128..6, 0u32..3), 0..4).prop_map(|writes| {
        let mut r = LwwRegister::default();
        for (v, wall_ns, replica) in writes {
            r.write(v, Stamp { wall_ns, replica });
        }
        r
    })
}

proptest! {
    #[test]
    fn gcounter_merge_is_a_join(a in gcounter(), b in gcounter(), c in gcounter()) {
        laws(&a, &b, &c)?;
        prop_assert!(merged(&a, &b).value() >= a.value().max(b.value()));
    }

    #[test]
    fn pncounter_merge_is_a_join(a in pncounter(), b in pncounter(), c in pncounter()) {
        laws(&a, &b, &c)?;
    }

    #[test]
    fn orset_merge_is_a_join(a in orset(), b in orset(), c in orset()) {
        laws(&a, &b, &c)?;
    }

    #[test]
    fn lww_merge_is_a_join(a in lww(), b in lww(), c in lww()) {
        laws(&a, &b, &c)?;
        let m = merged(&a, &b);
        prop_assert_eq!(m.stamp(), a.stamp().max(b.stamp()));
    }

    #[test]
    fn the_planted_sum_merge_is_not_idempotent(a in gcounter()) {
        let mut twice = a.clone();
        twice.join(&a, Bug::GCounterSumMerge);
        prop_assert_eq!(twice == a, a.value() == 0);
    }
}
