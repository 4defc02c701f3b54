//! Hand-written histories for each model, including the classic traps.

use sandtable_check::models::{CasRegister, Counter, Kv, KvAppend, Queue, Register, Set};
use sandtable_check::Verdict::{Linearizable as L, NotLinearizable as N};

use crate::support::verdict;

#[test]
fn empty_history_is_linearizable() {
    assert_eq!(verdict(&Register, ""), L);
}

#[test]
fn read_of_initial_null() {
    assert_eq!(verdict(&Register, "0 invoke read null\n0 ok read null"), L);
    assert_eq!(verdict(&Register, "0 invoke read null\n0 ok read 1"), N);
}

#[test]
fn read_sees_value_before_its_write_was_invoked() {
    let h = "0 invoke read null\n0 ok read 1\n1 invoke write 1\n1 ok write 1";
    assert_eq!(verdict(&Register, h), N);
}

#[test]
fn stale_read_after_completed_write() {
    let h = "0 invoke write 1\n0 ok write 1\n0 invoke write 2\n0 ok write 2\n1 invoke read null\n1 ok read 1";
    assert_eq!(verdict(&Register, h), N);
}

#[test]
fn concurrent_read_may_see_either_value() {
    for seen in ["1", "2"] {
        let h = format!("0 invoke write 1\n0 ok write 1\n0 invoke write 2\n1 invoke read null\n1 ok read {seen}\n0 ok write 2");
        assert_eq!(verdict(&Register, &h), L, "read {seen}");
    }
}

#[test]
fn info_write_seen_later_is_fine() {
    let h = "0 invoke write 1\n0 info write 1\n1 invoke read null\n1 ok read 1\n1 invoke read null\n1 ok read 1";
    assert_eq!(verdict(&Register, h), L);
}

#[test]
fn info_write_may_never_happen() {
    let h = "0 invoke write 1\n0 info write 1\n1 invoke read null\n1 ok read null";
    assert_eq!(verdict(&Register, h), L);
}

#[test]
fn info_write_cannot_be_seen_then_unseen() {
    let h = "0 invoke write 1\n0 info write 1\n1 invoke read null\n1 ok read 1\n1 invoke read null\n1 ok read null";
    assert_eq!(verdict(&Register, h), N);
}

#[test]
fn info_write_cannot_take_effect_before_its_invoke() {
    let h = "1 invoke read null\n1 ok read 1\n0 invoke write 1\n0 info write 1";
    assert_eq!(verdict(&Register, h), N);
}

#[test]
fn pending_invoke_at_end_is_info() {
    let h = "0 invoke write 1\n1 invoke read null\n1 ok read 1";
    assert_eq!(verdict(&Register, h), L);
}

#[test]
fn failed_cas_did_not_happen() {
    let h = "0 invoke write 0\n0 ok write 0\n0 invoke cas [0,1]\n0 fail cas [0,1]\n1 invoke read null\n1 ok read 1";
    assert_eq!(verdict(&CasRegister, h), N);
    let h = "0 invoke write 0\n0 ok write 0\n0 invoke cas [0,1]\n0 fail cas [0,1]\n1 invoke read null\n1 ok read 0";
    assert_eq!(verdict(&CasRegister, h), L);
}

#[test]
fn ok_cas_needs_the_expected_value() {
    let h = "0 invoke write 0\n0 ok write 0\n0 invoke cas [1,2]\n0 ok cas [1,2]";
    assert_eq!(verdict(&CasRegister, h), N);
    let h = "0 invoke write 1\n0 ok write 1\n0 invoke cas [1,2]\n0 ok cas [1,2]\n0 invoke read null\n0 ok read 2";
    assert_eq!(verdict(&CasRegister, h), L);
}

#[test]
fn info_cas_may_or_may_not_happen() {
    let base = "0 invoke write 1\n0 ok write 1\n0 invoke cas [1,2]\n0 info cas [1,2]\n1 invoke read null\n1 ok read ";
    assert_eq!(verdict(&CasRegister, &format!("{base}2")), L);
    assert_eq!(verdict(&CasRegister, &format!("{base}1")), L);
    assert_eq!(verdict(&CasRegister, &format!("{base}3")), N);
}

#[test]
fn kv_keys_are_independent() {
    let h = "0 invoke write k=x 1\n0 ok write k=x 1\n1 invoke read k=y null\n1 ok read k=y null\n1 invoke read k=x null\n1 ok read k=x 1";
    assert_eq!(verdict(&Kv, h), L);
    let bad = "0 invoke write k=x 1\n0 ok write k=x 1\n1 invoke read k=y null\n1 ok read k=y 1";
    assert_eq!(verdict(&Kv, bad), N);
}

#[test]
fn set_reads_must_include_completed_adds() {
    let ok = "0 invoke add 1\n0 ok add 1\n1 invoke add 2\n0 invoke read null\n0 ok read [1]\n1 ok add 2\n0 invoke read null\n0 ok read [2,1]";
    assert_eq!(verdict(&Set, ok), L);
    let missing = "0 invoke add 1\n0 ok add 1\n0 invoke read null\n0 ok read []";
    assert_eq!(verdict(&Set, missing), N);
    let lost = "0 invoke add 1\n1 invoke read null\n1 ok read [1]\n1 invoke read null\n1 ok read []\n0 ok add 1";
    assert_eq!(verdict(&Set, lost), N);
}

#[test]
fn queue_is_fifo() {
    let ok = "0 invoke enqueue 1\n0 ok enqueue 1\n0 invoke enqueue 2\n0 ok enqueue 2\n1 invoke dequeue null\n1 ok dequeue 1";
    assert_eq!(verdict(&Queue, ok), L);
    let lifo = "0 invoke enqueue 1\n0 ok enqueue 1\n0 invoke enqueue 2\n0 ok enqueue 2\n1 invoke dequeue null\n1 ok dequeue 2";
    assert_eq!(verdict(&Queue, lifo), N);
    let concurrent = "0 invoke enqueue 1\n1 invoke enqueue 2\n0 ok enqueue 1\n1 ok enqueue 2\n2 invoke dequeue null\n2 ok dequeue 2";
    assert_eq!(verdict(&Queue, concurrent), L);
    let empty = "0 invoke enqueue 1\n0 ok enqueue 1\n1 invoke dequeue null\n1 ok dequeue null";
    assert_eq!(verdict(&Queue, empty), N);
    let twice = "0 invoke enqueue 1\n0 ok enqueue 1\n1 invoke dequeue null\n1 ok dequeue 1\n1 invoke dequeue null\n1 ok dequeue 1";
    assert_eq!(verdict(&Queue, twice), N);
}

#[test]
fn info_dequeue_may_consume_the_head() {
    let h = "0 invoke enqueue 1\n0 ok enqueue 1\n0 invoke enqueue 2\n0 ok enqueue 2\n1 invoke dequeue null\n1 info dequeue null\n2 invoke dequeue null\n2 ok dequeue 2";
    assert_eq!(verdict(&Queue, h), L);
}

#[test]
fn counter_reads_sum_of_adds() {
    let ok = "0 invoke add 2\n0 ok add 2\n1 invoke add 3\n0 invoke read null\n0 ok read 2\n1 ok add 3\n0 invoke read null\n0 ok read 5";
    assert_eq!(verdict(&Counter, ok), L);
    let low = "0 invoke add 2\n0 ok add 2\n0 invoke read null\n0 ok read 1";
    assert_eq!(verdict(&Counter, low), N);
    let info = "0 invoke add 2\n0 info add 2\n1 invoke read null\n1 ok read 2\n1 invoke read null\n1 ok read 2";
    assert_eq!(verdict(&Counter, info), L);
}

#[test]
fn kv_append_like_6824() {
    let ok = "0 invoke put k=a \"x\"\n0 ok put k=a \"x\"\n0 invoke append k=a \"y\"\n1 invoke get k=a null\n1 ok get k=a \"xy\"\n0 ok append k=a \"y\"\n1 invoke get k=b null\n1 ok get k=b \"\"";
    assert_eq!(verdict(&KvAppend, ok), L);
    let lost = "0 invoke append k=a \"x\"\n0 ok append k=a \"x\"\n0 invoke append k=a \"y\"\n0 ok append k=a \"y\"\n1 invoke get k=a null\n1 ok get k=a \"y\"";
    assert_eq!(verdict(&KvAppend, lost), N);
}

#[test]
fn wrong_shapes_are_rejected() {
    use sandtable_check::{try_check, CheckOptions};
    let bad_cas = crate::support::h("0 invoke cas 1\n0 ok cas 1");
    let e = try_check(&bad_cas, &CasRegister, &CheckOptions::default()).unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.to_string().contains("[expected, new]"), "{e}");
    let unknown = crate::support::h("0 invoke frob 1\n0 ok frob 1");
    let e = try_check(&unknown, &Register, &CheckOptions::default()).unwrap_err();
    assert!(e.to_string().contains("unknown operation \"frob\""), "{e}");
    let counter = crate::support::h("0 invoke add \"x\"\n0 ok add \"x\"");
    assert!(try_check(&counter, &Counter, &CheckOptions::default()).is_err());
    // fail ops are removed before their shape matters
    let failed = crate::support::h("0 invoke cas 1\n0 fail cas 1");
    assert!(try_check(&failed, &CasRegister, &CheckOptions::default()).is_ok());
}
