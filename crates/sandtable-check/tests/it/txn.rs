//! The transactional models on the anomalies Jepsen's list-append and rw-register workloads
//! look for: each one is answered without search, with the operation and the reason named.

use sandtable_check::models::Txn;
use sandtable_check::{check, CheckOptions, Format, History, Verdict};

fn list_append_with(edn: &str, options: &CheckOptions) -> (Verdict, String) {
    let h = History::parse(edn, Format::Edn).unwrap();
    let r = check(&h, &Txn::list_append(), options);
    let text = r.explanation.map(|e| e.to_string()).unwrap_or_default();
    (r.verdict, text)
}

fn list_append(edn: &str) -> (Verdict, String) {
    list_append_with(edn, &CheckOptions::default())
}

/// The anomaly is proved without search: with a search budget of one step (too little to find
/// the usual explanation, which is shown when the search finishes) the verdict stands, and the
/// explanation is the pre-check's.
fn assert_anomaly(edn: &str, reason: &str) {
    assert_eq!(list_append(edn).0, Verdict::NotLinearizable);
    let (verdict, text) = list_append_with(edn, &CheckOptions::default().budget_steps(1));
    assert_eq!(verdict, Verdict::NotLinearizable, "{text}");
    assert!(text.contains(reason), "expected {reason:?} in:\n{text}");
    assert!(
        text.contains("No order of the operations can place this one"),
        "{text}"
    );
}

const APPEND_1_2: &str = "
{:process 0, :type :invoke, :f :txn, :value [[:append :x 1]]}
{:process 0, :type :ok, :f :txn, :value [[:append :x 1]]}
{:process 0, :type :invoke, :f :txn, :value [[:append :x 2]]}
{:process 0, :type :ok, :f :txn, :value [[:append :x 2]]}
";

#[test]
fn a_read_missing_an_append_that_finished_before_it_is_stale() {
    let edn = format!(
        "{APPEND_1_2}
{{:process 1, :type :invoke, :f :txn, :value [[:r :x nil]]}}
{{:process 1, :type :ok, :f :txn, :value [[:r :x [1 2]]]}}
{{:process 2, :type :invoke, :f :txn, :value [[:r :x nil]]}}
{{:process 2, :type :ok, :f :txn, :value [[:r :x [1]]]}}"
    );
    assert_anomaly(
        &edn,
        "it read 1 element(s) of key x, but op #1 had appended 2 at position 1 and returned before this read was invoked",
    );
}

#[test]
fn reads_disagreeing_on_the_order_of_appends_are_incompatible() {
    let edn = "
{:process 0, :type :invoke, :f :txn, :value [[:append :x 1]]}
{:process 1, :type :invoke, :f :txn, :value [[:append :x 2]]}
{:process 0, :type :ok, :f :txn, :value [[:append :x 1]]}
{:process 1, :type :ok, :f :txn, :value [[:append :x 2]]}
{:process 2, :type :invoke, :f :txn, :value [[:r :x nil]]}
{:process 2, :type :ok, :f :txn, :value [[:r :x [1 2]]]}
{:process 3, :type :invoke, :f :txn, :value [[:r :x nil]]}
{:process 3, :type :ok, :f :txn, :value [[:r :x [2 1]]]}";
    assert_anomaly(edn, "which is not a prefix of [1,2]");
}

#[test]
fn reading_an_element_nobody_appended_or_appended_later_or_twice() {
    let garbage = format!(
        "{APPEND_1_2}
{{:process 1, :type :invoke, :f :txn, :value [[:r :x nil]]}}
{{:process 1, :type :ok, :f :txn, :value [[:r :x [1 2 3]]]}}"
    );
    assert_anomaly(
        &garbage,
        "it read 3 in key x, which no transaction appended to it",
    );
    let future = format!(
        "{APPEND_1_2}
{{:process 1, :type :invoke, :f :txn, :value [[:r :x nil]]}}
{{:process 1, :type :ok, :f :txn, :value [[:r :x [1 2 3]]]}}
{{:process 2, :type :invoke, :f :txn, :value [[:append :x 3]]}}
{{:process 2, :type :info, :f :txn, :value [[:append :x 3]]}}"
    );
    assert_anomaly(
        &future,
        "appended by op #3, which was invoked only after this read returned",
    );
    let twice = format!(
        "{APPEND_1_2}
{{:process 1, :type :invoke, :f :txn, :value [[:r :x nil]]}}
{{:process 1, :type :ok, :f :txn, :value [[:r :x [1 2 1]]]}}"
    );
    assert_anomaly(&twice, "it read 1 twice in key x");
}

#[test]
fn a_crashed_append_may_be_seen_or_not() {
    let edn = "
{:process 0, :type :invoke, :f :txn, :value [[:append :x 1]]}
{:process 0, :type :info, :f :txn, :value [[:append :x 1]]}
{:process 1, :type :invoke, :f :txn, :value [[:r :x nil]]}
{:process 1, :type :ok, :f :txn, :value [[:r :x []]]}
{:process 2, :type :invoke, :f :txn, :value [[:r :x nil]]}
{:process 2, :type :ok, :f :txn, :value [[:r :x [1]]]}";
    assert_eq!(list_append(edn).0, Verdict::Linearizable);
    // But once seen, it cannot be unseen.
    let unseen = format!(
        "{edn}
{{:process 3, :type :invoke, :f :txn, :value [[:r :x nil]]}}
{{:process 3, :type :ok, :f :txn, :value [[:r :x []]]}}"
    );
    assert_eq!(list_append(&unseen).0, Verdict::NotLinearizable);
}

#[test]
fn an_element_appended_twice_turns_the_shortcuts_off_but_not_the_search() {
    // 1 is appended twice, so positions are ambiguous: the search alone decides.
    let edn = "
{:process 0, :type :invoke, :f :txn, :value [[:append :x 1]]}
{:process 0, :type :ok, :f :txn, :value [[:append :x 1]]}
{:process 1, :type :invoke, :f :txn, :value [[:append :x 1]]}
{:process 1, :type :ok, :f :txn, :value [[:append :x 1]]}
{:process 2, :type :invoke, :f :txn, :value [[:r :x nil]]}
{:process 2, :type :ok, :f :txn, :value [[:r :x [1 1]]]}";
    assert_eq!(list_append(edn).0, Verdict::Linearizable);
    let short = edn.replace("[:r :x [1 1]]]}", "[:r :x [1]]]}");
    assert_eq!(list_append(&short).0, Verdict::NotLinearizable);
    let cut = list_append_with(&short, &CheckOptions::default().budget_steps(1));
    assert_eq!(cut.0, Verdict::Unknown, "no shortcut: {}", cut.1);
}

#[test]
fn a_fractured_read_across_keys_needs_the_search() {
    // T1 appends to x and y atomically; T2, after it, sees y's append and not x's.
    let edn = "
{:process 0, :type :invoke, :f :txn, :value [[:append :x 1] [:append :y 1]]}
{:process 1, :type :invoke, :f :txn, :value [[:r :x nil] [:r :y nil]]}
{:process 0, :type :ok, :f :txn, :value [[:append :x 1] [:append :y 1]]}
{:process 1, :type :ok, :f :txn, :value [[:r :x []] [:r :y [1]]]}";
    let (verdict, text) = list_append(edn);
    assert_eq!(verdict, Verdict::NotLinearizable);
    assert!(
        text.contains("key x holds [1], but the transaction read []"),
        "{text}"
    );
}

fn rw_register_with(edn: &str, options: &CheckOptions) -> (Verdict, String) {
    let h = History::parse(edn, Format::Edn).unwrap();
    let r = check(&h, &Txn::rw_register(), options);
    let text = r.explanation.map(|e| e.to_string()).unwrap_or_default();
    (r.verdict, text)
}

/// As [`assert_anomaly`], for the rw-register model.
fn assert_register_anomaly(edn: &str, reason: &str) {
    assert_eq!(
        rw_register_with(edn, &CheckOptions::default()).0,
        Verdict::NotLinearizable
    );
    let (verdict, text) = rw_register_with(edn, &CheckOptions::default().budget_steps(1));
    assert_eq!(verdict, Verdict::NotLinearizable, "{text}");
    assert!(text.contains(reason), "expected {reason:?} in:\n{text}");
}

const WRITE_1_2: &str = "
{:process 0, :type :invoke, :f :txn, :value [[:w :x 1] [:w :y 1]]}
{:process 0, :type :ok, :f :txn, :value [[:w :x 1] [:w :y 1]]}
{:process 0, :type :invoke, :f :txn, :value [[:w :x 2]]}
{:process 0, :type :ok, :f :txn, :value [[:w :x 2]]}
";

#[test]
fn register_reads_of_stale_missing_future_and_unwritten_values() {
    let read = |v: &str| {
        format!(
            "{WRITE_1_2}
{{:process 1, :type :invoke, :f :txn, :value [[:r :x nil]]}}
{{:process 1, :type :ok, :f :txn, :value [[:r :x {v}]]}}"
        )
    };
    assert_eq!(
        rw_register_with(&read("2"), &CheckOptions::default()).0,
        Verdict::Linearizable
    );
    assert_register_anomaly(
        &read("1"),
        "it read 1 from key x, but after op #0 wrote that and returned, op #1 began, wrote key x and returned, all before this read was invoked (a stale read)",
    );
    assert_register_anomaly(
        &read("nil"),
        "it read nil from key x, but op #0 had written it and returned before this read was invoked",
    );
    assert_register_anomaly(
        &read("7"),
        "it read 7 from key x, which no transaction wrote to it",
    );
    let future = format!(
        "{}
{{:process 2, :type :invoke, :f :txn, :value [[:w :x 3]]}}
{{:process 2, :type :info, :f :txn, :value [[:w :x 3]]}}",
        read("3")
    );
    assert_register_anomaly(
        &future,
        "it read 3 from key x, written by op #3, which was invoked only after this read returned",
    );
}

#[test]
fn a_transaction_reads_its_own_writes() {
    let edn = "
{:process 0, :type :invoke, :f :txn, :value [[:w :x 1]]}
{:process 0, :type :ok, :f :txn, :value [[:w :x 1]]}
{:process 1, :type :invoke, :f :txn, :value [[:w :x 2] [:r :x nil]]}
{:process 1, :type :ok, :f :txn, :value [[:w :x 2] [:r :x 2]]}";
    assert_eq!(
        rw_register_with(edn, &CheckOptions::default()).0,
        Verdict::Linearizable
    );
    let other = edn.replace("[:r :x 2]]", "[:r :x 1]]");
    assert_eq!(
        rw_register_with(&other, &CheckOptions::default()).0,
        Verdict::NotLinearizable
    );
}
