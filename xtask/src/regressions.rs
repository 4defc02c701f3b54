//! A target's regressions file: every seed a sweep saw fail, one `seed N # signature` line each
//! (the format the harness reads), deduplicated, so the seeds can be rerun and committed.

use std::fs;
use std::io;
use std::path::Path;

/// The seeds in a regressions file, in file order (`#` starts a comment).
pub fn read(path: &Path) -> Vec<u64> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| l.split('#').next())
        .filter_map(|l| l.trim().strip_prefix("seed "))
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Appends each `(seed, note)` not in the file yet; returns how many were added.
pub fn append(path: &Path, seeds: &[(u64, String)]) -> io::Result<usize> {
    let mut known = read(path);
    let mut text = fs::read_to_string(path).unwrap_or_else(|_| {
        "# Seeds that failed in `cargo xtask fuzz`; rerun with `cargo xtask repro`.\n".to_string()
    });
    let mut added = 0;
    for (seed, note) in seeds {
        if known.contains(seed) {
            continue;
        }
        known.push(*seed);
        let note: String = note
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(120)
            .collect();
        text.push_str(&format!("seed {seed} # {note}\n"));
        added += 1;
    }
    if added > 0 {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text)?;
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_order_and_drops_duplicates() {
        let dir = std::env::temp_dir().join(format!("xtask-regr-{}", std::process::id()));
        let path = dir.join("fuzz-raft.txt");
        let _ = fs::remove_file(&path);
        assert_eq!(read(&path), Vec::<u64>::new());
        let first = vec![(7, "checker".to_string()), (3, "liveness".to_string())];
        assert_eq!(append(&path, &first).unwrap(), 2);
        let again = vec![
            (3, "liveness".into()),
            (11, "x\nsecond line".into()),
            (11, "x".into()),
        ];
        assert_eq!(append(&path, &again).unwrap(), 1);
        assert_eq!(read(&path), vec![7, 3, 11]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("seed 11 # x\n"), "{text}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
