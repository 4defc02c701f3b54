//! Porcupine's kv histories with 50 clients (`c50-ok`, `c50-bad`; MIT licensed test data):
//! once one key is proved non-linearizable the other keys' searches stop, the key reported
//! does not depend on the number of threads, and memory is a budget like steps.

use sandtable_check::models::KvAppend;
use sandtable_check::{check, CheckOptions, History, ParseOptions, Verdict};

fn fixture(name: &str) -> History {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(&path).unwrap();
    History::from_reader(file, &ParseOptions::new()).unwrap()
}

#[test]
fn the_first_failing_key_stops_the_others_whatever_the_threads() {
    let h = fixture("porcupine-kv-c50-bad.edn");
    for threads in [1, 2, 3] {
        let r = check(&h, &KvAppend, &CheckOptions::default().threads(threads));
        assert_eq!(r.verdict, Verdict::NotLinearizable);
        let e = r.explanation.as_ref().unwrap();
        assert_eq!(e.key, Some("2".into()), "threads {threads}");
        assert_eq!(e.prefix_len, 28);
        // Every key searched side by side for 16,384 steps at most, then key 2 failed (the
        // first in key order of those that failed in that round) and everything stopped (the
        // search of key 0 alone used to take 100 s and 11 GB).
        assert_eq!(r.steps, 4_718, "threads {threads}");
        let decided: Vec<bool> = r.partitions.iter().map(|p| p.verdict.is_some()).collect();
        assert_eq!(
            decided,
            [false, false, true, false, false, false, false, false, false, false],
            "keys after the failing one are cut short, keys before it were paused"
        );
    }
}

#[test]
fn c50_ok_is_linearizable_in_few_steps() {
    let h = fixture("porcupine-kv-c50-ok.edn");
    for threads in [1, 2] {
        let r = check(&h, &KvAppend, &CheckOptions::default().threads(threads));
        assert_eq!(r.verdict, Verdict::Linearizable);
        let steps: Vec<u64> = r.partitions.iter().map(|p| p.steps).collect();
        // Key 4 took 1,125,629 steps before appends that only a put could hide were checked
        // for a put left to hide them (and 840,696 with only the get that must come next
        // checked for a way to reach its value).
        assert_eq!(
            steps,
            [1_427, 389, 26_190, 5_995, 27_924, 265, 870, 6_719, 2_741, 20_407],
            "threads {threads}"
        );
    }
}

#[test]
fn every_key_can_be_decided_on_request() {
    let h = fixture("porcupine-kv-c50-bad.edn");
    let options = CheckOptions::default().all_keys(true).budget_steps(200_000);
    let r = check(&h, &KvAppend, &options);
    assert_eq!(r.verdict, Verdict::NotLinearizable);
    assert!(r.partitions.iter().all(|p| p.verdict.is_some()));
    // The explanation is the first failing key's in key order.
    let failing: Vec<String> = r
        .partitions
        .iter()
        .filter(|p| p.verdict == Some(Verdict::NotLinearizable))
        .map(|p| p.key.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(
        r.explanation
            .as_ref()
            .unwrap()
            .key
            .as_ref()
            .unwrap()
            .to_string(),
        failing[0]
    );
    assert!(failing.contains(&"3".to_string()), "{failing:?}");
}

#[test]
fn a_memo_past_the_memory_budget_is_unknown_not_a_crash() {
    let h = fixture("porcupine-kv-c50-ok.edn");
    let small = CheckOptions::default().threads(1).budget_memory(4 << 20);
    let r = check(&h, &KvAppend, &small);
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(!r.unknown_keys().is_empty());
    // Deterministic: the same budget gives the same answer on more threads.
    let r2 = check(&h, &KvAppend, &small.clone().threads(2));
    assert_eq!(r2.unknown_keys(), r.unknown_keys());
    assert_eq!(r2.steps, r.steps);
}

#[test]
fn the_default_memory_budget_suits_a_small_laptop() {
    assert_eq!(CheckOptions::DEFAULT_MAX_MEMORY, 2 << 30);
    assert_eq!(CheckOptions::default().max_memory, Some(2 << 30));
}
