//! The binary on histories from other systems: `--format`, `--independent`,
//! exit codes 0 (linearizable), 1 (not) and 3 (bad input).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::formats::data;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sandtable-check"))
        .args(args)
        .output()
        .unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn detected_formats_have_known_verdicts() {
    let cases = [
        ("cas-register", "knossos-cas-good.edn", 0),
        ("cas-register", "knossos-cas-bad.edn", 1),
        ("cas-register", "etcd-good.log", 0),
        ("cas-register", "etcd-bad.log", 1),
        ("kv-append", "kv-ok.edn", 0),
        ("kv-append", "kv-bad.edn", 1),
        ("cas-register", "independent.edn", 1),
        // Jepsen transactional workloads (Elle's list-append, Knossos's multi-register),
        // checked for strict serializability.
        ("list-append", "list-append-ok.edn", 0),
        ("list-append", "list-append-bad.edn", 1),
        ("multi-register", "multi-register-bad.edn", 1),
        ("rw-register", "multi-register-bad.edn", 1),
    ];
    for (model, file, expected) in cases {
        let o = run(&["--model", model, &data(file)]);
        assert_eq!(code(&o), expected, "{file}: {}{}", stdout(&o), stderr(&o));
    }
    let o = run(&["--model", "kv-append", &data("kv-bad.edn")]);
    assert!(
        stdout(&o).contains("key 3: not linearizable"),
        "{}",
        stdout(&o)
    );
    let o = run(&["--model", "list-append", &data("list-append-bad.edn")]);
    assert!(
        stdout(&o).contains("key 5 holds [1,2], but the transaction read [1]"),
        "{}",
        stdout(&o)
    );
    let o = run(&["--model", "cas-register", &data("etcd-bad.log")]);
    assert!(
        stdout(&o).contains("but the read returned 4"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn explicit_format_and_independent() {
    let plain = data("independent-plain.edn");
    let o = run(&["--model", "cas-register", "--independent", "--json", &plain]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "not-linearizable");
    assert_eq!(v["keys"], 3);
    assert!(v["explanation"]
        .as_str()
        .unwrap()
        .starts_with("key 1: not linearizable"));

    let log = data("etcd-good.log");
    let o = run(&["--model", "cas-register", "--format", "jepsen-log", &log]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The wrong format is bad input, with the place and what was expected.
    let o = run(&["--model", "cas-register", "--format", "edn", &log]);
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("bad input: line 1, column 1: expected an operation map"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--model", "cas-register", "--format", "jsonl", &log]);
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("line 1: invalid JSON"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--model", "cas-register", "--format", "yaml", &log]);
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("expected one of auto, jsonl, edn, jepsen-log"),
        "{}",
        stderr(&o)
    );
    // --independent on a history without tuples names the line.
    let o = run(&["--model", "cas-register", "--independent", &log]);
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("line 3, column 37: field \"value\": expected an independent tuple"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn malformed_edn_is_exit_3_with_line_and_column() {
    let dir = std::env::temp_dir().join(format!("sandtable-check-formats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("broken.edn");
    std::fs::write(
        &path,
        "{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write, :value 1.5}\n",
    )
    .unwrap();
    let o = run(&["--model", "register", path.to_str().unwrap()]);
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o)
            .contains("line 2, column 43: field \"value\": number 1.5 is not a supported integer"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn stdin_is_detected_too() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandtable-check"))
        .args(["--model", "cas-register", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read(data("knossos-cas-bad.edn")).unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("-: history: not linearizable"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn times_out_of_file_order_warn_and_sort_by_time_orders_by_them() {
    let dir = std::env::temp_dir().join(format!("sandtable-check-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("merged.jsonl");
    std::fs::write(
        &path,
        "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1,\"time\":10}\n\
         {\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null,\"time\":30}\n\
         {\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1,\"time\":20}\n\
         {\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":null,\"time\":40}\n",
    )
    .unwrap();
    let file = path.to_str().unwrap();
    let o = run(&["-m", "register", file]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not in time order (line 3 has time 20, before line 2's 30)"),
        "{}",
        stderr(&o)
    );
    let o = run(&["-m", "register", "--sort-by-time", file]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(!stderr(&o).contains("not in time order"), "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}
