//! Tidy checks of the ready-made sharded sweep configurations: each parses as YAML and runs
//! the right command with the right shard arithmetic.

use serde_norway::Value;

fn load(path: &str) -> (String, Value) {
    let text = std::fs::read_to_string(crate::fuzz::root().join(path)).expect(path);
    let yaml = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    (text, yaml)
}

#[test]
fn the_github_workflow_shards_and_merges() {
    let (_, wf) = load(".github/workflows/fuzz.yml");
    let jobs = &wf["jobs"];
    let fuzz = &jobs["fuzz"];
    let shards: Vec<u64> = fuzz["strategy"]["matrix"]["shard"]
        .as_sequence()
        .expect("a matrix over shards")
        .iter()
        .map(|s| s.as_u64().expect("shard indices are numbers"))
        .collect();
    let n = wf["env"]["SHARDS"].as_u64().expect("env.SHARDS");
    assert_eq!(
        shards,
        (0..n).collect::<Vec<_>>(),
        "one job per shard index 0..N"
    );
    let runs: Vec<&str> = fuzz["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(
        runs.iter().any(|r| r.contains("cargo xtask fuzz raft")
            && r.contains("--shard ${{ matrix.shard }}/${{ env.SHARDS }}")
            && r.contains("--json shard-${{ matrix.shard }}.json")),
        "{runs:?}"
    );
    let uploads = fuzz["steps"].as_sequence().unwrap().iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/upload-artifact"))
            && s["with"]["path"].as_str() == Some("shard-${{ matrix.shard }}.json")
    });
    assert!(uploads, "each shard uploads its JSON");
    let merge = &jobs["merge"];
    assert_eq!(merge["needs"].as_str(), Some("fuzz"));
    assert_eq!(
        merge["if"].as_str(),
        Some("always()"),
        "merge even when a shard found a bug"
    );
    let merge_runs: Vec<&str> = merge["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(
        merge_runs
            .iter()
            .any(|r| r.contains("cargo xtask fuzz-merge") && r.contains("shard-*.json")),
        "{merge_runs:?}"
    );
}

#[test]
fn the_kubernetes_job_is_indexed_and_merges() {
    let text = std::fs::read_to_string(crate::fuzz::root().join("deploy/fuzz-job.yaml")).unwrap();
    let docs: Vec<Value> = serde_norway::Deserializer::from_str(&text)
        .map(|d| <Value as serde::Deserialize>::deserialize(d).expect("valid YAML"))
        .collect();
    let job = |name: &str| {
        docs.iter()
            .find(|d| {
                d["kind"].as_str() == Some("Job") && d["metadata"]["name"].as_str() == Some(name)
            })
            .unwrap_or_else(|| panic!("a Job named {name}"))
    };
    let fuzz = job("sandtable-fuzz");
    let spec = &fuzz["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    let n = spec["completions"].as_u64().expect("completions");
    assert!(spec["parallelism"].as_u64().is_some());
    let container = &spec["template"]["spec"]["containers"][0];
    let command = container_command(container);
    assert!(command.contains("cargo xtask fuzz raft"), "{command}");
    assert!(
        command.contains(&format!("--shard $JOB_COMPLETION_INDEX/{n}")),
        "shard arithmetic: {command}"
    );
    assert!(
        command.contains("--json /results/shard-$JOB_COMPLETION_INDEX.json"),
        "{command}"
    );
    assert_eq!(
        container["volumeMounts"][0]["mountPath"].as_str(),
        Some("/results")
    );
    let claim =
        spec["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"].as_str();
    assert!(docs
        .iter()
        .any(|d| d["kind"].as_str() == Some("PersistentVolumeClaim")
            && d["metadata"]["name"].as_str() == claim));
    let merge = job("sandtable-fuzz-merge");
    let command = container_command(&merge["spec"]["template"]["spec"]["containers"][0]);
    assert!(
        command.contains("cargo xtask fuzz-merge /results/shard-*.json"),
        "{command}"
    );
}

fn container_command(container: &Value) -> String {
    let parts = container["command"].as_sequence().into_iter().flatten();
    let args = container["args"].as_sequence().into_iter().flatten();
    parts
        .chain(args)
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}
