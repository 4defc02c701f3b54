//! Tidy checks: the simulator's sources never reach for real time, OS randomness, threads or
//! randomly seeded hash maps (the determinism rules of DESIGN.md).

const FORBIDDEN: &[(&str, &str)] = &[
    ("std::time::Instant", "real monotonic time"),
    ("std::time::SystemTime::now", "real wall-clock time"),
    ("thread_rng", "OS-seeded randomness"),
    ("OsRng", "OS randomness"),
    ("from_entropy", "OS-seeded randomness"),
    ("StdRng", "an RNG whose stream may change between versions"),
    (
        "SmallRng",
        "an RNG whose stream may change between versions",
    ),
    ("std::collections::HashMap", "a randomly seeded hash map"),
    ("std::collections::HashSet", "a randomly seeded hash set"),
    ("std::thread::spawn", "threads"),
];

/// The real backend (`src/real/`, feature `real`) reads the OS clocks and randomness on purpose:
/// it answers only where no simulation is entered, so it is not a simulated path.
const NOT_SIMULATED: &[&str] = &["real"];

fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| NOT_SIMULATED.iter().any(|x| n == *x))
            {
                continue;
            }
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn simulator_sources_follow_the_determinism_rules() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 20, "found the sources");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (pattern, what) in FORBIDDEN {
                if code.contains(pattern) {
                    found.push(format!(
                        "{}:{}: `{pattern}` ({what})",
                        file.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "forbidden on a simulated path:\n{}",
        found.join("\n")
    );
}
