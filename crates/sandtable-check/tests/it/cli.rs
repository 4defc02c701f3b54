//! The `sandtable-check` binary: verdicts, exit codes, JSON, HTML, stdin.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sandtable-check"))
}

fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sandtable-check-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const GOOD: &str = r#"{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":1}
"#;

const BAD: &str = r#"{"process":0,"type":"invoke","f":"write","key":"x","value":1}
{"process":0,"type":"ok","f":"write","key":"x","value":1}
{"process":1,"type":"invoke","f":"read","key":"x","value":null}
{"process":1,"type":"ok","f":"read","key":"x","value":2}
"#;

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap()
}

#[test]
fn exit_codes() {
    let good = file("good.jsonl", GOOD);
    let bad = file("bad.jsonl", BAD);
    let broken = file(
        "broken.jsonl",
        "{\"process\":0,\"type\":\"ok\",\"f\":\"read\"}\n",
    );
    let g = good.to_str().unwrap();
    assert_eq!(code(&run(&["--model", "cas-register", g])), 0);
    let o = run(&["--model", "cas-register", g, bad.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("key x: not linearizable"), "{out}");
    assert!(out.contains("but the read returned 2"), "{out}");
    let o = run(&["--model", "register", broken.to_str().unwrap()]);
    assert_eq!(code(&o), 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 1"));
    let o = run(&["--model", "paxos", g]);
    assert_eq!(code(&o), 3);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cas-register"));
    assert_eq!(code(&run(&["--model", "register"])), 3, "missing FILE");
    // The zone analysis decides this one without search; --no-zones leaves it to the search.
    let o = run(&["--model", "register", "--json", g]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("\"steps\":0"));
    let o = run(&["--model", "register", "--json", "--no-zones", g]);
    assert_eq!(code(&o), 0);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("\"steps\":0"));
    let help = run(&["--help"]);
    assert_eq!(code(&help), 0);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes"));
}

#[test]
fn unknown_when_budget_runs_out() {
    let h = sandtable_check::gen::register_history(&sandtable_check::gen::RegisterSpec::register(
        10, 2000, 3,
    ));
    let path = file("big.jsonl", &h.to_jsonl_string());
    let o = run(&[
        "--model",
        "register",
        "--budget-steps",
        "10",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn json_output() {
    let bad = file("bad2.jsonl", BAD);
    let o = run(&["--model", "kv", "--json", bad.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["verdict"], "not-linearizable");
    assert_eq!(v["ops"], 2);
    assert_eq!(v["keys"], 1);
    assert!(v["explanation"]
        .as_str()
        .unwrap()
        .contains("Longest linearizable prefix"));
    assert!(v["elapsed_ms"].is_number());
}

#[test]
fn stdin_and_html() {
    let html = std::env::temp_dir().join(format!("sandtable-check-it-{}.html", std::process::id()));
    let mut child = bin()
        .args([
            "--model",
            "cas-register",
            "--html",
            html.to_str().unwrap(),
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(BAD.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 1);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<svg"));
    assert!(
        !page.contains("http://")
            || page
                .matches("http://")
                .all(|_| page.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    );
    assert!(!page.contains("<script src") && !page.contains("<link"));
}

#[test]
fn a_history_without_client_operations_is_linearizable_with_a_warning() {
    let empty = file("empty.jsonl", "");
    let nemesis = file(
        "nemesis.edn",
        "{:process :nemesis, :type :info, :f :start, :value nil}\n",
    );
    for f in [empty, nemesis] {
        let o = run(&["--model", "register", f.to_str().unwrap()]);
        assert_eq!(code(&o), 0);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("no client operation found"), "{err}");
    }
    let o = run(&[
        "--model",
        "register",
        file("one.jsonl", GOOD).to_str().unwrap(),
    ]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Like `sandtable-check --json a b c ... | head -c 100`: far more output than a pipe
    // buffers, and the reader goes away after 100 bytes.
    let bad = file("pipe-bad.jsonl", BAD);
    let mut args = vec!["--model", "cas-register", "--json"];
    args.extend(std::iter::repeat_n(bad.to_str().unwrap(), 400));
    let mut child = bin()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        code(&o),
        1,
        "the exit code still covers every file: {stderr}"
    );
}

#[test]
fn a_contradicting_completion_is_bad_input() {
    let text = "{\"process\":0,\"type\":\"invoke\",\"f\":\"txn\",\"value\":[[\"w\",\"x\",7]]}\n{\"process\":0,\"type\":\"ok\",\"f\":\"txn\",\"value\":[[\"w\",\"x\",2]]}\n";
    let path = file("contradiction.jsonl", text);
    let o = run(&["--model", "rw-register", path.to_str().unwrap()]);
    assert_eq!(code(&o), 3);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("bad input: line 1: op #0 (txn)"),
        "{stderr}"
    );
    assert!(stderr.contains("completion at line 2"), "{stderr}");
}

#[test]
fn the_memory_budget_is_a_flag() {
    let path = format!(
        "{}/tests/data/porcupine-kv-c50-ok.edn",
        env!("CARGO_MANIFEST_DIR")
    );
    let o = run(&["--model", "kv-append", "--budget-memory-mb", "1", &path]);
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stdout).contains("unknown"));
    let help = String::from_utf8_lossy(&run(&["--help"]).stdout).to_string();
    assert!(help.contains("--budget-memory-mb"), "{help}");
    assert!(help.contains("--all-keys"), "{help}");
    assert!(help.contains("4  checker bug"), "{help}");
}

#[test]
fn all_keys_prints_every_keys_verdict() {
    let text = format!("{GOOD}{}", BAD.replace("\"x\"", "\"y\""));
    let path = file("two-keys.jsonl", &text);
    let p = path.to_str().unwrap();
    let o = run(&["--model", "cas-register", "--all-keys", p]);
    assert_eq!(code(&o), 1);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("key x: linearizable (2 ops)"), "{out}");
    assert!(out.contains("key y: not-linearizable (2 ops)"), "{out}");
    let o = run(&["--model", "cas-register", "--all-keys", "--json", p]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(r#""partitions":[{"key":"x","ops":2,"steps":"#),
        "{out}"
    );
    assert!(out.contains(r#""verdict":"not-linearizable"}]"#), "{out}");
}
