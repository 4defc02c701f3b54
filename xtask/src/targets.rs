//! The fuzz targets: named entry points with a worker example that speaks the worker protocol
//! (`worker.rs`), and their planted variants.

use std::path::{Path, PathBuf};

/// A fuzz target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The name `cargo xtask fuzz` takes.
    pub name: &'static str,
    /// What it runs.
    pub about: &'static str,
    /// The package of the worker example.
    pub package: &'static str,
    /// The package's directory, from the workspace root (its regressions files live there).
    pub dir: &'static str,
    /// The worker example.
    pub example: &'static str,
    /// The default length of the faulty phase, seconds, if the worker takes `--faults-secs`
    /// (`shrink` then also shortens the run).
    pub faults_secs: Option<u64>,
    /// The planted variants `--bug` takes (`none` is the correct code).
    pub variants: &'static [&'static str],
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "raft",
        about: "the Raft KV (examples/raft-kv): 5 nodes, 4 clients, 60 s of faults, invariants, \
            liveness and linearizability",
        package: "raft-kv",
        dir: "examples/raft-kv",
        example: "fuzz_worker",
        faults_secs: Some(60),
        variants: &[
            "none",
            "vote-without-log-check",
            "commit-previous-term",
            "no-sync-before-reply",
            "term-not-persisted",
            "stale-local-reads",
            "no-dedup",
            "no-truncate-on-conflict",
            "accept-stale-term",
            "fixed-election-timeout",
            "commit-beyond-match",
            "no-timer-reset-on-append",
            "snapshot-without-sessions",
        ],
    },
    Target {
        name: "register",
        about: "the primary-backup register (src/register.rs) under partitions and crashes, \
            checked for linearizability",
        package: "sandtable-examples",
        dir: ".",
        example: "register_worker",
        faults_secs: None,
        variants: &["none", "read-any-replica"],
    },
];

/// The flags naming one seed of a target, shared by `repro` and `shrink`.
#[derive(clap::Args, Debug)]
pub struct OneSeed {
    /// The target: `raft` or `raft/<bug>`.
    pub target: String,
    /// The seed.
    #[arg(long)]
    pub seed: u64,
    /// The planted variant.
    #[arg(long)]
    pub bug: Option<String>,
    /// The seed was found with the fixed fault mix (`fuzz --no-swarm`).
    #[arg(long)]
    pub no_swarm: bool,
}

impl OneSeed {
    /// The target and variant these flags name, with the fault mix they were found with.
    pub fn select(&self) -> Result<Selected, String> {
        Ok(Selected::resolve(&self.target, self.bug.as_deref())?.swarm(!self.no_swarm))
    }
}

/// A target with its variant chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    /// The target.
    pub target: Target,
    /// The variant (`none`: the correct code).
    pub bug: String,
    /// Swarm testing: each seed draws its own fault mix (on unless `--no-swarm`).
    pub swarm: bool,
}

impl Selected {
    /// Resolves `raft`, `raft/<bug>` and `--bug <bug>` (which must agree).
    pub fn resolve(spec: &str, bug: Option<&str>) -> Result<Selected, String> {
        let (name, from_spec) = match spec.split_once('/') {
            Some((n, b)) => (n, Some(b)),
            None => (spec, None),
        };
        let target = *TARGETS.iter().find(|t| t.name == name).ok_or_else(|| {
            let names: Vec<&str> = TARGETS.iter().map(|t| t.name).collect();
            format!(
                "unknown fuzz target `{name}`; targets: {}",
                names.join(", ")
            )
        })?;
        let bug = match (from_spec, bug) {
            (Some(a), Some(b)) if a != b => return Err(format!("`{spec}` and --bug {b} disagree")),
            (Some(b), _) | (None, Some(b)) => b.to_string(),
            (None, None) => "none".to_string(),
        };
        if !target.variants.contains(&bug.as_str()) {
            return Err(format!(
                "target `{name}` has no variant `{bug}`; variants: {}",
                target.variants.join(", ")
            ));
        }
        Ok(Selected {
            target,
            bug,
            swarm: true,
        })
    }

    /// `raft` or `raft/no-dedup`.
    pub fn label(&self) -> String {
        if self.bug == "none" {
            self.target.name.to_string()
        } else {
            format!("{}/{}", self.target.name, self.bug)
        }
    }

    /// This selection with swarm testing on or off (`--no-swarm`).
    pub fn swarm(mut self, on: bool) -> Selected {
        self.swarm = on;
        self
    }

    /// The worker's flags that select the variant (and the fault mix).
    pub fn worker_args(&self) -> Vec<String> {
        let mut args = vec!["--bug".into(), self.bug.clone()];
        if self.swarm {
            args.push("--swarm".into());
        }
        args
    }

    /// ` --bug X` (and ` --no-swarm`) for commands printed to people, so that a rerun draws
    /// the same fault mix; empty for the correct code with swarm testing.
    pub fn bug_flag(&self) -> String {
        let mut flag = String::new();
        if self.bug != "none" {
            flag.push_str(&format!(" --bug {}", self.bug));
        }
        if !self.swarm {
            flag.push_str(" --no-swarm");
        }
        flag
    }

    /// The regressions file: `<package>/sandtable-regressions/fuzz-<target>[-<bug>].txt`.
    pub fn regressions_file(&self, root: &Path) -> PathBuf {
        root.join(self.target.dir)
            .join("sandtable-regressions")
            .join(format!("fuzz-{}.txt", self.label().replace('/', "-")))
    }
}

/// `cargo xtask fuzz --list`.
pub fn list() -> String {
    let mut out = String::new();
    for t in TARGETS {
        out.push_str(&format!("{}  {}\n", t.name, t.about));
        for v in t.variants.iter().filter(|v| **v != "none") {
            out.push_str(&format!("  {}/{v}\n", t.name));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_with_either_spelling() {
        let a = Selected::resolve("raft/no-dedup", None).unwrap();
        let b = Selected::resolve("raft", Some("no-dedup")).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.label(), "raft/no-dedup");
        assert_eq!(Selected::resolve("raft", None).unwrap().bug, "none");
        assert!(Selected::resolve("raft/no-dedup", Some("no-sync-before-reply")).is_err());
        assert!(Selected::resolve("raft/nope", None).is_err());
        assert!(Selected::resolve("paxos", None).is_err());
    }

    /// Tidy: the variants listed here are exactly the names `raft_kv::Bug` parses.
    #[test]
    fn raft_variants_match_the_bug_enum() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join("examples/raft-kv/src/bug.rs")).unwrap();
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix("Bug::")?
                    .split_once("=> \"")?
                    .1
                    .strip_suffix("\",")
            })
            .collect();
        let raft = TARGETS.iter().find(|t| t.name == "raft").unwrap();
        assert_eq!(names, raft.variants.to_vec());
    }

    /// Tidy: the register worker takes exactly the variants listed here.
    #[test]
    fn register_variants_match_its_worker() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join("examples/register_worker.rs")).unwrap();
        let register = TARGETS.iter().find(|t| t.name == "register").unwrap();
        for v in register.variants {
            assert!(text.contains(&format!("\"{v}\" =>")), "{v}");
        }
    }

    #[test]
    fn the_list_names_every_variant() {
        let list = list();
        assert!(list.contains("raft/commit-beyond-match"), "{list}");
        assert!(!list.contains("raft/none"), "{list}");
    }

    #[test]
    fn swarm_testing_is_the_default_and_a_rerun_keeps_the_mix() {
        let swarm = Selected::resolve("raft/no-dedup", None).unwrap();
        assert!(swarm.worker_args().contains(&"--swarm".to_string()));
        assert_eq!(swarm.bug_flag(), " --bug no-dedup");
        let fixed = swarm.swarm(false);
        assert!(!fixed.worker_args().contains(&"--swarm".to_string()));
        assert_eq!(fixed.bug_flag(), " --bug no-dedup --no-swarm");
    }
}
