//! A completion that contradicts its invocation (an `ok` that writes another value than was
//! invoked) is bad input, for every model: rejected with the line, never checked half with one
//! value and half with the other.

use sandtable_check::models::{self, Txn};
use sandtable_check::{try_check, CheckOptions, Format, History, Model, Verdict};

fn edn(text: &str) -> History {
    History::parse(text, Format::Edn).unwrap()
}

/// The error of checking `text` against `model`, which must be rejected.
fn rejected<M: Model>(model: &M, text: &str) -> String {
    let e = try_check(&edn(text), model, &CheckOptions::default())
        .expect_err("a contradicting completion is bad input");
    e.to_string()
}

#[test]
fn a_transaction_that_completes_with_another_write_is_rejected() {
    let text = "
{:process 0, :type :invoke, :f :txn, :value [[:w :x 7]]}
{:process 0, :type :ok, :f :txn, :value [[:w :x 2]]}
{:process 1, :type :invoke, :f :txn, :value [[:r :x nil]]}
{:process 1, :type :ok, :f :txn, :value [[:r :x 2]]}
";
    let e = rejected(&Txn::rw_register(), text);
    assert!(e.starts_with("line 2: op #0 (txn): micro-operation 0 is [\"w\",\"x\",7] in the invocation but [\"w\",\"x\",2] in the completion at line 3"), "{e}");
    assert!(e.contains("must not contradict its invocation"), "{e}");
}

#[test]
fn a_list_append_that_completes_with_another_element_is_rejected() {
    let text = "
{:process 0, :type :invoke, :f :txn, :value [[:append :x 1] [:r :x nil]]}
{:process 0, :type :ok, :f :txn, :value [[:append :x 2] [:r :x [2]]]}
";
    let e = rejected(&Txn::list_append(), text);
    assert!(e.contains("in the completion at line 3"), "{e}");
}

#[test]
fn single_object_models_reject_a_contradicting_completion() {
    let cases = [
        ("cas-register", ":write", "7", "2"),
        ("cas-register", ":cas", "[1 2]", "[1 3]"),
        ("set", ":add", "7", "2"),
        ("queue", ":enqueue", "7", "2"),
        ("counter", ":add", "7", "2"),
        ("kv-append", ":put", r#""a""#, r#""b""#),
        ("kv-append", ":append", r#""a""#, r#""b""#),
    ];
    for (name, f, invoked, completed) in cases {
        let text = format!(
            "{{:process 0, :type :invoke, :f {f}, :value {invoked}}}\n{{:process 0, :type :ok, :f {f}, :value {completed}}}\n"
        );
        let model = models::by_name(name).unwrap();
        let e = model
            .check(&edn(&text), &CheckOptions::default())
            .expect_err(name)
            .to_string();
        assert!(
            e.starts_with("line 1:") && e.contains("the ok completion at line 2 carries"),
            "{name} {f}: {e}"
        );
    }
}

#[test]
fn a_completion_may_repeat_the_value_or_leave_it_out() {
    let text = "
{:process 0, :type :invoke, :f :write, :value 7}
{:process 0, :type :ok, :f :write, :value nil}
{:process 1, :type :invoke, :f :write, :value 8}
{:process 1, :type :ok, :f :write, :value 8}
{:process 2, :type :invoke, :f :write, :value 9}
{:process 2, :type :info, :f :write, :value 5}
{:process 3, :type :invoke, :f :read, :value nil}
{:process 3, :type :ok, :f :read, :value 8}
";
    let r = try_check(&edn(text), &models::CasRegister, &CheckOptions::default()).unwrap();
    assert_eq!(r.verdict, Verdict::Linearizable);
}
