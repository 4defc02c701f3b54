//! Histories written by other systems: Jepsen / Knossos EDN, Jepsen text
//! logs (Porcupine's etcd data), Porcupine's kv logs, jepsen.independent
//! tuples; with known verdicts, and errors that name line and column.

use proptest::prelude::*;
use sandtable_check::gen::{register_history, RegisterSpec};
use sandtable_check::models::{CasRegister, KvAppend};
use sandtable_check::{
    check, models, CheckOptions, CheckResult, Event, EventType, Format, History, Model, OpStatus,
    ParseError, ParseErrorKind, ParseOptions, Value, Verdict,
};

use crate::randhist::{self, Kind, Shape};

pub fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap()
}

fn run<M: Model>(h: &History, model: &M) -> CheckResult {
    check(h, model, &CheckOptions::default().threads(1))
}

fn edn(text: &str) -> History {
    History::from_edn_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn edn_err(text: &str) -> ParseError {
    match History::from_edn_str(text) {
        Ok(h) => panic!("accepted {text}: {h:?}"),
        Err(e) => e,
    }
}

/// The 1-based column of the first `needle` in the `line`-th line of `text`.
fn col(text: &str, line: usize, needle: &str) -> usize {
    let l = text.lines().nth(line - 1).unwrap();
    l[..l.find(needle).unwrap()].chars().count() + 1
}

fn values(h: &History) -> Vec<(u64, EventType, String, Option<Value>, Value)> {
    h.events()
        .iter()
        .map(|e| {
            (
                e.process,
                e.kind,
                e.f.clone(),
                e.key.clone(),
                e.value.clone(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- EDN: Knossos / Jepsen

#[test]
fn knossos_vector_stale_read_is_not_linearizable() {
    let h = History::from_edn(std::fs::File::open(data("knossos-cas-bad.edn")).unwrap()).unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(h.ops()[0].f, "write");
    assert_eq!(h.ops()[2].output, Some(Value::Int(0)));
    assert_eq!(h.events()[0].time, Some(1000));
    let r = run(&h, &CasRegister);
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let why = r.explanation.unwrap().to_string();
    assert!(
        why.contains("model state is 1, but the read returned 0"),
        "{why}"
    );
    // Auto-detection reads the same history.
    assert_eq!(
        History::parse(&fixture("knossos-cas-bad.edn"), Format::Auto).unwrap(),
        h
    );
}

#[test]
fn knossos_lines_with_info_fail_nemesis_and_records_are_linearizable() {
    let text = fixture("knossos-cas-good.edn");
    let h = History::parse(&text, Format::Auto).unwrap();
    assert_eq!(h, edn(&text));
    // 8 client operations: the nemesis is skipped, `#jepsen.history.Op{}` is read.
    assert_eq!(h.len(), 8);
    let statuses: Vec<OpStatus> = h.ops().iter().map(|o| o.status).collect();
    use OpStatus::{Fail, Info, Ok};
    assert_eq!(statuses, [Ok, Ok, Info, Fail, Info, Ok, Ok, Ok]);
    assert_eq!(h.ops()[0].invoke_line, 4, "comments count as lines");
    assert_eq!(h.ops()[7].invoke_line, 20);
    assert_eq!(h.ops()[7].input, Value::Null);
    assert_eq!(h.ops()[2].input, Value::from(vec![1, 2]));
    assert_eq!(run(&h, &CasRegister).verdict, Verdict::Linearizable);

    // Reading 2 after 3 was read needs a cas from 3: none.
    let bad = text.replace(
        ":type :ok, :process 5, :f :read, :value 3}",
        ":type :ok, :process 5, :f :read, :value 2}",
    );
    assert_ne!(bad, text);
    let r = run(&edn(&bad), &CasRegister);
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let e = r.explanation.unwrap();
    assert!(e
        .blocked
        .iter()
        .any(|b| b.op.process == 5 && b.op.complete_line == Some(21)));

    // Without the indeterminate cas taking effect, 2 could never be read:
    // make it a definite failure and the history is not linearizable.
    let failed = text.replace(
        "{:type :info, :f :cas, :value [1 2]",
        "{:type :fail, :f :cas, :value [1 2]",
    );
    assert_ne!(failed, text);
    assert_eq!(
        run(&edn(&failed), &CasRegister).verdict,
        Verdict::NotLinearizable
    );
}

#[test]
fn edn_values_map_naturally() {
    let h = edn(
        "[{:process 0 :type :invoke :f :add :value :kw}, {:process 0 :type :ok :f \"add\" :value :kw}]",
    );
    assert_eq!(h.events()[0].value, Value::from("kw"));
    assert_eq!(h.events()[1].f, "add");
    let h = edn(concat!(
        "{:process 3, :type :invoke, :f :read, :key :k1, :value nil}\n",
        "{:process 3, :type :ok, :f :read, :key :k1, ",
        ":value [1 (2 \"two\\n\\\"quoted\\\"\") #{3 1 2 1} \\c nil sym #inst \"2024-01-01\"]}\n",
    ));
    let out = h.ops()[0].output.clone().unwrap();
    assert_eq!(
        out,
        Value::List(vec![
            Value::Int(1),
            Value::List(vec![Value::Int(2), Value::from("two\n\"quoted\"")]),
            Value::from(vec![1, 2, 3]),
            Value::from("c"),
            Value::Null,
            Value::from("sym"),
            Value::from("2024-01-01"),
        ])
    );
    assert_eq!(h.ops()[0].key, Some(Value::from("k1")));
    // `nil` keys are no key; unknown keys, discarded forms and `:error` are ignored.
    let h = edn("{:process 1, :type :invoke, :f :write, :key nil, :value 1, :extra {:a 1.5}, #_ :value #_ 2}");
    assert_eq!(h.ops()[0].key, None);
    assert_eq!(h.ops()[0].input, Value::Int(1));
}

#[test]
fn edn_unsupported_values_are_rejected_with_line_and_column() {
    let cases: [(&str, &str, &str); 6] = [
        (":value {:a 1}", "{:a 1}", "a map is not a supported value"),
        (":value 1.5", "1.5", "number 1.5 is not a supported integer"),
        (
            ":value [1 true]",
            "true",
            "boolean true is not a supported value",
        ),
        (
            ":value 99999999999999999999",
            "999",
            "integer 99999999999999999999 does not fit in 64 bits",
        ),
        (":key 2.0, :value 1", "2.0", "field \"key\": number 2.0"),
        (
            ":value ##NaN",
            "##NaN",
            "number ##NaN is not a supported integer",
        ),
    ];
    for (field, needle, message) in cases {
        let text = format!(
            "{{:process 0, :type :invoke, :f :write, :value 0}}\n{{:process 0, :type :ok, :f :write, {field}}}"
        );
        let e = edn_err(&text);
        assert_eq!(e.line, 2, "{e}");
        assert_eq!(e.column, Some(col(&text, 2, needle)), "{e}");
        let m = e.to_string();
        assert!(m.contains(message), "{m}");
        assert!(
            m.starts_with(&format!("line 2, column {}: field ", e.column.unwrap())),
            "{m}"
        );
    }
}

#[test]
fn edn_syntax_and_shape_errors_name_line_column_and_expectation() {
    let e = edn_err("[{:process 0, :type :invoke, :f :read, :value nil}\n {:process 0, :type :ok, :f :read, :value nil}");
    assert_eq!((e.line, e.column), (2, Some(47)));
    assert!(
        e.to_string().contains(
            "the top-level sequence opened at line 1, column 1 is not closed (expected `]`)"
        ),
        "{e}"
    );

    let e = edn_err("{:process 0, :type :invoke, :f :read, :value [1 2}");
    assert_eq!((e.line, e.column), (1, Some(50)));
    assert!(
        e.to_string().contains(
            "unexpected `}`: expected `]` to close the vector opened at line 1, column 46"
        ),
        "{e}"
    );

    let e = edn_err("{:process 0, :type :invoke,\n :f :write, :value \"abc}\n");
    assert!(matches!(e.kind, ParseErrorKind::Edn(_)));
    assert!(
        e.to_string()
            .contains("the string opened at line 2, column 20 is not closed"),
        "{e}"
    );

    // A top-level vector holds operations: its elements must be maps.
    let e = edn_err("{:process 0, :type :invoke, :f :read}\n[:process 0 :type :ok]");
    assert_eq!((e.line, e.column), (2, Some(2)));
    assert!(matches!(e.kind, ParseErrorKind::NotAMap(_)));
    assert!(
        e.to_string()
            .contains("expected an operation map such as {:process 0"),
        "{e}"
    );
    assert!(e.to_string().ends_with("found keyword :process"), "{e}");
    let e = edn_err("[\n  [{:process 0, :type :invoke, :f :read}]]");
    assert_eq!((e.line, e.column), (2, Some(3)));
    assert!(e.to_string().ends_with("found a vector"), "{e}");
    let e = edn_err("42");
    assert!(e.to_string().ends_with("found integer 42"), "{e}");

    let e = edn_err("{:process 0, :type :invoke, :f :read :value}");
    assert!(e.to_string().contains("key without a value"), "{e}");

    let e = edn_err("\n  {:process 0, :f :read}");
    assert_eq!((e.line, e.column), (2, Some(3)));
    assert_eq!(e.kind, ParseErrorKind::MissingField("type"));

    let e = edn_err("{:process 0, :type :begin, :f :read}");
    assert_eq!(e.column, Some(20));
    assert_eq!(e.kind, ParseErrorKind::UnknownType("begin".into()));

    let e = edn_err("{:process -1, :type :invoke, :f :read}");
    assert_eq!(e.column, Some(11));
    assert!(e.to_string().contains("not a non-negative"), "{e}");

    let e = edn_err("{:process 0, :type :invoke, :f 7}");
    assert!(
        e.to_string()
            .contains("field \"f\": expected a keyword or a string, found integer 7"),
        "{e}"
    );

    let e = edn_err("{:process 0, :type :invoke, :type :ok, :f :read}");
    assert!(e.to_string().contains("duplicate key :type"), "{e}");

    let e = edn_err("{:process 0, :type :invoke, :f :read, :time 1.5}");
    assert!(e.to_string().contains("field \"time\""), "{e}");
}

#[test]
fn edn_histories_get_the_same_validation_as_jsonl() {
    let e = edn_err(
        "{:process 0, :type :invoke, :f :read}\n\n{:process 1, :type :ok, :f :read, :value 1}",
    );
    assert_eq!(e.line, 3);
    assert!(e.to_string().contains("without invoke"), "{e}");
    let e = edn_err("{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :write}");
    assert!(
        matches!(e.kind, ParseErrorKind::FMismatch { invoke_line: 1, .. }),
        "{e}"
    );
    let e = edn_err("{:process 0, :type :invoke, :f :read}\n{:process 0, :type :invoke, :f :read}");
    assert!(
        matches!(
            e.kind,
            ParseErrorKind::TwoInFlight {
                pending_line: 1,
                process: 0,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn edn_writer_is_jepsen_style() {
    let h = History::from_events(vec![
        Event::new(0, EventType::Invoke, "cas", vec![1, 2])
            .with_key("x")
            .with_time(5),
        Event::new(0, EventType::Fail, "cas", vec![1, 2]).with_key("x"),
        Event::new(1, EventType::Invoke, "odd f", Value::from("a\"b\n")),
    ])
    .unwrap();
    assert_eq!(
        h.to_edn_string(),
        concat!(
            "{:process 0, :type :invoke, :f :cas, :key \"x\", :value [1 2], :time 5, :index 0}\n",
            "{:process 0, :type :fail, :f :cas, :key \"x\", :value [1 2], :index 1}\n",
            "{:process 1, :type :invoke, :f \"odd f\", :value \"a\\\"b\\n\", :index 2}\n",
        )
    );
    let mut out = Vec::new();
    h.to_edn(&mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), h.to_edn_string());
}

// ---------------------------------------------------------------- Jepsen logs (etcd)

#[test]
fn etcd_jepsen_logs_have_known_verdicts() {
    let good = History::from_jepsen_log_str(&fixture("etcd-good.log")).unwrap();
    assert_eq!(good.len(), 8);
    let read_info = &good.ops()[3];
    assert_eq!(
        (read_info.f.as_str(), read_info.status),
        ("read", OpStatus::Info)
    );
    assert_eq!(read_info.complete_line, Some(10));
    let cas_fail = &good.ops()[4];
    assert_eq!(
        (cas_fail.f.as_str(), cas_fail.status),
        ("cas", OpStatus::Fail)
    );
    let write_info = &good.ops()[5];
    assert_eq!(write_info.status, OpStatus::Info);
    assert_eq!(write_info.input, Value::Int(1));
    assert_eq!(run(&good, &CasRegister).verdict, Verdict::Linearizable);

    let bad = History::parse(&fixture("etcd-bad.log"), Format::Auto).unwrap();
    let r = run(&bad, &CasRegister);
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let why = r.explanation.unwrap().to_string();
    assert!(
        why.contains("model state is 1, but the read returned 4"),
        "{why}"
    );
    assert!(why.contains("returned at line 20"), "{why}");
}

#[test]
fn jepsen_log_lines() {
    // Newer logback layout, an :error in a fifth field, CRLF endings,
    // non-operation lines and the nemesis are all fine.
    let text = "2020-06-02 18:03:19,811{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 3\t:invoke\t:write\t\"x\"\r\n\
                INFO  jepsen.util - Relative time begins now\r\n\
                INFO  jepsen.util - :nemesis\t:info\t:start\t{:bad 1.5 map}\r\n\
                INFO  jepsen.util - 3\t:info\t:write\t:timed-out\tindeterminate: timeout\r\n";
    let h = History::parse(text, Format::Auto).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h.ops()[0].process, 3);
    assert_eq!(h.ops()[0].input, Value::from("x"));
    assert_eq!(h.ops()[0].status, OpStatus::Info);
    assert_eq!(h.ops()[0].complete_line, Some(4));

    let err = |text: &str| History::from_jepsen_log_str(text).unwrap_err();
    let line = "INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2";
    let e = err(line);
    assert_eq!((e.line, e.column), (1, Some(line.len() + 1)));
    assert!(
        e.to_string()
            .contains("vector opened at line 1, column 36 is not closed"),
        "{e}"
    );
    let e = err("x\nINFO  jepsen.util - 1\t:begin\t:read\tnil");
    assert_eq!((e.line, e.column), (2, Some(23)));
    assert_eq!(e.kind, ParseErrorKind::UnknownType("begin".into()));
    let line = "INFO  jepsen.util - 1\t:invoke\t:write\t1 2";
    let e = err(line);
    assert_eq!(e.column, Some(line.len()));
    assert!(
        e.to_string()
            .contains("unexpected text after the value integer 1"),
        "{e}"
    );
    let line = "INFO  jepsen.util - 1\t:invoke\t:write\t{:a 1}";
    let e = err(line);
    assert_eq!(e.column, Some(38));
    assert!(
        e.to_string().contains("a map is not a supported value"),
        "{e}"
    );
    let e = err("INFO  jepsen.util - 1\t:ok\t:read\t3");
    assert!(e.to_string().contains("without invoke"), "{e}");
    // Only the process field decides what is a client.
    let e = err("INFO  jepsen.util - -1\t:invoke\t:read\tnil");
    assert!(e.to_string().contains("not a non-negative integer"), "{e}");
}

// ---------------------------------------------------------------- Porcupine kv logs

#[test]
fn porcupine_kv_logs_check_with_kv_append() {
    let ok = History::parse(&fixture("kv-ok.edn"), Format::Auto).unwrap();
    assert_eq!(ok.len(), 7);
    let r = run(&ok, &KvAppend);
    assert_eq!(r.verdict, Verdict::Linearizable);
    assert_eq!(r.keys, 2);
    let bad = History::from_edn_str(&fixture("kv-bad.edn")).unwrap();
    let r = run(&bad, &KvAppend);
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    let e = r.explanation.unwrap();
    assert_eq!(e.key, Some(Value::from("3")));
    assert!(e.to_string().contains("but the get returned \"\""), "{e}");
}

// ---------------------------------------------------------------- jepsen.independent

fn without_key(h: &History, key: &Value, keep: bool) -> History {
    let events = h
        .events()
        .iter()
        .filter(|e| (e.key.as_ref() == Some(key)) == keep)
        .cloned()
        .collect();
    History::from_events(events).unwrap()
}

#[test]
fn independent_tuples_report_the_failing_key() {
    let tagged = History::parse(&fixture("independent.edn"), Format::Auto).unwrap();
    let plain_text = fixture("independent-plain.edn");
    let plain = History::parse_with(&plain_text, &ParseOptions::new().independent(true)).unwrap();
    assert_eq!(values(&tagged), values(&plain));
    // Tagged tuples are split once, with or without the option.
    let tagged_text = fixture("independent.edn");
    let both = History::parse_with(&tagged_text, &ParseOptions::new().independent(true)).unwrap();
    assert_eq!(both, tagged);
    assert_eq!(tagged.len(), 7);
    assert_eq!(tagged.ops()[6].key, Some(Value::Int(2)));
    assert_eq!(tagged.ops()[6].input, Value::from(vec![7, 8]));
    // Without the option, plain tuples are values: no keys at all.
    let unsplit = History::from_edn_str(&plain_text).unwrap();
    assert!(unsplit.ops().iter().all(|o| o.key.is_none()));

    for h in [&tagged, &plain] {
        let r = run(h, &CasRegister);
        assert_eq!(r.verdict, Verdict::NotLinearizable);
        assert_eq!(r.keys, 3);
        let e = r.explanation.unwrap();
        assert_eq!(e.key, Some(Value::Int(1)));
        assert!(e.to_string().starts_with("key 1: not linearizable"), "{e}");
        // Exactly key 1 is bad.
        let one = Value::Int(1);
        assert_eq!(
            run(&without_key(h, &one, true), &CasRegister).verdict,
            Verdict::NotLinearizable
        );
        let rest = without_key(h, &one, false);
        assert_eq!(rest.len(), 5);
        assert_eq!(run(&rest, &CasRegister).verdict, Verdict::Linearizable);
    }
}

#[test]
fn independent_option_in_every_format() {
    let opts = |f| ParseOptions::new().format(f).independent(true);
    let jsonl = r#"{"process":0,"type":"invoke","f":"write","value":["k",1]}
{"process":0,"type":"info","f":"write","value":"timed-out"}
{"process":1,"type":"invoke","f":"read","value":["k",null]}
{"process":1,"type":"ok","f":"read","value":["k",1]}"#;
    let h = History::parse_with(jsonl, &opts(Format::Jsonl)).unwrap();
    assert_eq!(h.ops()[0].key, Some(Value::from("k")));
    assert_eq!(
        h.ops()[0].status,
        OpStatus::Info,
        "an info without a tuple is fine"
    );
    assert_eq!(h.ops()[1].output, Some(Value::Int(1)));
    let log = "INFO  jepsen.util - 0\t:invoke\t:write\t[\"k\" 1]\nINFO  jepsen.util - 0\t:ok\t:write\t[\"k\" 1]";
    let h = History::parse_with(log, &opts(Format::Auto)).unwrap();
    assert_eq!(h.ops()[0].key, Some(Value::from("k")));
    assert_eq!(h.ops()[0].input, Value::Int(1));

    // Not a tuple: the line (and column) is named.
    let e = History::parse_with(
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":[\"k\",1]}\n{\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}",
        &opts(Format::Auto),
    )
    .unwrap_err();
    assert_eq!(e.line, 2);
    assert!(
        e.to_string().contains(
            "expected an independent tuple [key value] (--independent), found the integer 1"
        ),
        "{e}"
    );
    let text = "{:process 0, :type :invoke, :f :write, :value [1 2 3]}";
    let e = History::parse_with(text, &opts(Format::Edn)).unwrap_err();
    assert_eq!((e.line, e.column), (1, Some(col(text, 1, "[1 2 3]"))));
    assert!(
        e.to_string().contains("found a list of 3 elements [1,2,3]"),
        "{e}"
    );
    let e = History::parse_with("{:process 0, :type :invoke, :f :read}", &opts(Format::Edn))
        .unwrap_err();
    assert!(e.to_string().contains("has no :value"), "{e}");
    let text =
        "{:process 0, :type :invoke, :f :read, :key 1, :value #jepsen.independent/tuple [1 nil]}";
    let e = edn_err(text);
    assert!(
        e.to_string()
            .contains("both a :key and an independent tuple"),
        "{e}"
    );
    let e = edn_err("{:process 0, :type :invoke, :f :read, :value #jepsen.independent/tuple [1]}");
    assert!(
        e.to_string()
            .contains("must be followed by a 2-element vector [key value]"),
        "{e}"
    );
    // The record form of older Jepsen versions.
    let h = edn("{:process 0, :type :invoke, :f :read, :value #jepsen.independent.Tuple{:key 4, :value nil}}");
    assert_eq!(h.ops()[0].key, Some(Value::Int(4)));
    // A completion for another key than its invocation's is malformed.
    let e = edn_err(concat!(
        "{:process 0, :type :invoke, :f :read, :value #jepsen.independent/tuple [1 nil]}\n",
        "{:process 0, :type :ok, :f :read, :value #jepsen.independent/tuple [2 nil]}"
    ));
    assert_eq!(e.line, 2);
    assert!(
        matches!(e.kind, ParseErrorKind::KeyMismatch { invoke_line: 1, .. }),
        "{e}"
    );
}

// ---------------------------------------------------------------- round trips

/// JSONL and EDN of the same history parse to the same `History` (lines
/// included), equal to the original up to source lines, with one verdict.
fn round_trip(h: &History, model: &dyn models::DynModel) -> Result<(), TestCaseError> {
    let from_jsonl = History::from_jsonl_str(&h.to_jsonl_string()).unwrap();
    let edn_text = h.to_edn_string();
    let from_edn = History::from_edn_str(&edn_text)
        .map_err(|e| TestCaseError::fail(format!("{e}\n{edn_text}")))?;
    prop_assert_eq!(&from_edn, &from_jsonl);
    prop_assert_eq!(
        History::parse(&edn_text, Format::Auto).unwrap(),
        from_edn.clone()
    );
    let unlined: Vec<Event> = from_edn
        .events()
        .iter()
        .map(|e| Event {
            line: None,
            ..e.clone()
        })
        .collect();
    let original: Vec<Event> = h
        .events()
        .iter()
        .map(|e| Event {
            line: None,
            ..e.clone()
        })
        .collect();
    prop_assert_eq!(unlined, original);
    let opts = CheckOptions::default().threads(1);
    let a = model.check(&from_jsonl, &opts).unwrap();
    let b = model.check(&from_edn, &opts).unwrap();
    let c = model.check(h, &opts).unwrap();
    prop_assert_eq!(a.verdict, b.verdict);
    prop_assert_eq!(a.verdict, c.verdict);
    prop_assert_eq!(
        a.explanation.map(|e| e.to_string()),
        b.explanation.map(|e| e.to_string())
    );
    Ok(())
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::Int),
        any::<String>().prop_map(Value::Str),
        "[a-z][a-z0-9-]{0,6}".prop_map(Value::Str),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::List)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_register_histories_round_trip_through_edn(
        processes in 1usize..6, ops in 0usize..60, keys in 1usize..4, seed: u64,
    ) {
        let h = register_history(&RegisterSpec::etcd_like(processes, ops, keys, seed));
        round_trip(&h, &models::Kv)?;
    }

    #[test]
    fn random_histories_round_trip_through_edn(kind_ix in 0usize..11, seed: u64, corrupt in 0u32..300) {
        let kinds = [Kind::Register, Kind::CasRegister, Kind::Kv, Kind::Set, Kind::Queue, Kind::Counter, Kind::KvAppend, Kind::Mutex, Kind::RwTxn, Kind::RwTxnUnique, Kind::AppendTxn];
        let kind = kinds[kind_ix];
        let shape = Shape { processes: 3, ops: 10, info_per_mille: 100, corrupt_per_mille: corrupt };
        let h = randhist::history(kind, shape, seed);
        let model = match kind {
            Kind::Register => models::by_name("register"),
            Kind::CasRegister => models::by_name("cas-register"),
            Kind::Kv => models::by_name("kv"),
            Kind::Set => models::by_name("set"),
            Kind::Queue => models::by_name("queue"),
            Kind::Counter => models::by_name("counter"),
            Kind::KvAppend => models::by_name("kv-append"),
            Kind::Mutex => models::by_name("mutex"),
            Kind::RwTxn | Kind::RwTxnUnique => models::by_name("rw-register"),
            Kind::AppendTxn => models::by_name("list-append"),
        }.unwrap();
        round_trip(&h, model.as_ref())?;
    }

    #[test]
    fn any_value_and_f_round_trip_through_edn(
        key in prop::option::of(value()), v in value(), f in any::<String>(), process: u64, time: Option<u64>,
    ) {
        let mut e = Event::new(process, EventType::Invoke, &f, v);
        e.key = key.filter(|k| !k.is_null());
        e.time = time;
        let h = History::from_events(vec![e]).unwrap();
        let back = History::from_edn_str(&h.to_edn_string())
            .map_err(|err| TestCaseError::fail(format!("{err}\n{}", h.to_edn_string())))?;
        prop_assert_eq!(&back.events()[0], &Event { line: Some(1), ..h.events()[0].clone() });
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}", format_ix in 0usize..4) {
        let format = [Format::Auto, Format::Jsonl, Format::Edn, Format::JepsenLog][format_ix];
        let _ = History::parse_with(&text, &ParseOptions::new().format(format).independent(format_ix % 2 == 0));
    }

    #[test]
    fn mangled_edn_never_panics(cut in 0usize..2000, byte in 0usize..2000, with in prop::sample::select(vec!["[", "]", "{", "}", "\"", "\\", "#", "#{", "#_", ";", ":", "1.5", "\u{e9}", "\n", ""])) {
        let text = fixture("knossos-cas-good.edn");
        let mut end = text.len().min(cut.max(1));
        while !text.is_char_boundary(end) { end -= 1; }
        let mut text = text[..end].to_string();
        let mut at = byte.min(text.len());
        while !text.is_char_boundary(at) { at -= 1; }
        text.insert_str(at, with);
        if let Err(e) = History::parse(&text, Format::Auto) {
            prop_assert!(e.line >= 1);
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

#[test]
fn round_trips_cover_both_verdicts() {
    // The round-trip properties compare verdicts: make sure both occur.
    let mut seen = [0usize; 2];
    for seed in 0..40 {
        let shape = Shape {
            processes: 3,
            ops: 10,
            info_per_mille: 100,
            corrupt_per_mille: 200,
        };
        let h = randhist::history(Kind::KvAppend, shape, seed);
        let back = History::from_edn_str(&h.to_edn_string()).unwrap();
        let v = run(&back, &KvAppend).verdict;
        assert_eq!(v, run(&h, &KvAppend).verdict);
        seen[usize::from(v == Verdict::Linearizable)] += 1;
    }
    assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
}

/// The write ends (time 20) before the read starts (time 30), but the file lists the read's
/// invocation first: by file order the two overlap.
const MERGED: &str = r#"{"process":0,"type":"invoke","f":"write","value":1,"time":10}
{"process":1,"type":"invoke","f":"read","value":null,"time":30}
{"process":0,"type":"ok","f":"write","value":1,"time":20}
{"process":1,"type":"ok","f":"read","value":null,"time":40}
"#;

#[test]
fn file_order_is_real_time_order_unless_sorting_by_time_is_asked_for() {
    let by_file = History::parse(MERGED, Format::Jsonl).unwrap();
    assert_eq!(run(&by_file, &CasRegister).verdict, Verdict::Linearizable);
    let d = by_file.time_order_violation().expect("times go backwards");
    assert_eq!((d.previous, d.next), ((2, 30), (3, 20)));

    let options = ParseOptions::new().sort_by_time(true);
    let by_time = History::parse_with(MERGED, &options).unwrap();
    assert_eq!(by_time.time_order_violation(), None);
    let r = run(&by_time, &CasRegister);
    assert_eq!(r.verdict, Verdict::NotLinearizable, "the read is stale");

    // Sorting needs every time.
    let untimed = MERGED.replace(r#","time":40"#, "");
    let e = History::parse_with(&untimed, &options).unwrap_err();
    assert_eq!((e.line, e.kind), (4, ParseErrorKind::MissingTime));
}

#[test]
fn a_pairing_error_in_a_file_out_of_time_order_says_so() {
    // The read's completion (time 25) is written before its invocation (time 22).
    let text = r#"{"process":0,"type":"invoke","f":"write","value":1,"time":10}
{"process":0,"type":"ok","f":"write","value":1,"time":20}
{"process":1,"type":"ok","f":"read","value":1,"time":25}
{"process":1,"type":"invoke","f":"read","value":null,"time":22}
"#;
    let e = History::parse(text, Format::Jsonl).unwrap_err();
    assert_eq!(e.line, 3);
    let ParseErrorKind::NotInTimeOrder {
        error,
        line,
        previous_line,
        ..
    } = &e.kind
    else {
        panic!("{e}");
    };
    assert!(matches!(
        **error,
        ParseErrorKind::CompletionWithoutInvoke { .. }
    ));
    assert_eq!((*line, *previous_line), (4, 3));
    assert!(e.to_string().contains("--sort-by-time"), "{e}");
    let sorted = History::parse_with(text, &ParseOptions::new().sort_by_time(true)).unwrap();
    assert_eq!(run(&sorted, &CasRegister).verdict, Verdict::Linearizable);
}

#[test]
fn jepsen_log_lines_separated_by_spaces() {
    // As in Porcupine's etcd_100.log to etcd_102.log: runs of spaces instead of tabs.
    let text = "INFO  jepsen.util - 4   :invoke :cas    [1 2]\n\
                INFO  jepsen.util - 4   :fail   :cas    [1 2]\n\
                INFO  jepsen.util - 1   :invoke :write  3\n\
                INFO  jepsen.util - :nemesis :info :start nil\n\
                INFO  jepsen.util - 1   :ok     :write  3\n\
                INFO  jepsen.util - 2   :invoke :read   nil\n\
                INFO  jepsen.util - 2   :fail   :read   :timed-out\n";
    let h = History::parse(text, Format::Auto).unwrap();
    assert_eq!(h.len(), 3);
    assert_eq!(
        h.ops()[0].input,
        Value::from(vec![Value::from(1), Value::from(2)])
    );
    assert_eq!(h.ops()[0].status, OpStatus::Fail);
    assert_eq!(h.ops()[1].input, Value::from(3));
    assert_eq!(h.ops()[1].complete_line, Some(5));
    assert_eq!(h.ops()[2].status, OpStatus::Fail);
}
