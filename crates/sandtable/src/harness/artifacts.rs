//! Where a failing seed's evidence goes: `target/sandtable/<test>/<seed>/`, and the
//! regressions file that makes a seed that failed once run first forever after.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The cargo target directory of the running test binary.
pub(crate) fn target_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // A test binary lives in <target>/<profile>/deps/<name>-<hash>.
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.ancestors()
                .find(|p| p.file_name().is_some_and(|n| n == "target"))
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// A file-system-safe version of a test name.
pub(crate) fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(crate) fn seed_dir(test: &str, seed: u64) -> PathBuf {
    target_dir()
        .join("sandtable")
        .join(sanitize(test))
        .join(seed.to_string())
}

/// Writes each (file name, content) under `dir`, creating it.
pub(crate) fn write_all(dir: &Path, files: &[(&str, String)]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    for (name, content) in files {
        fs::write(dir.join(name), content)?;
    }
    Ok(())
}

/// The regressions file of a test, beside the package's manifest.
pub(crate) fn regressions_file(test: &str) -> PathBuf {
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("."));
    root.join("sandtable-regressions")
        .join(format!("{}.txt", sanitize(test)))
}

/// Seeds recorded in a regressions file (`seed N # note` lines; `#` comments).
pub(crate) fn read_regressions(path: &Path) -> Vec<u64> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| l.split('#').next())
        .filter_map(|l| l.trim().strip_prefix("seed "))
        .filter_map(crate::config::parse_seed)
        .collect()
}

/// Records `seed` in the regressions file unless it is there already.
pub(crate) fn add_regression(path: &Path, seed: u64, note: &str) -> io::Result<()> {
    if read_regressions(path).contains(&seed) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut text = fs::read_to_string(path).unwrap_or_else(|_| {
        "# Seeds that failed once. `cargo test` replays them first; commit this file.\n".to_string()
    });
    let note: String = note
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(120)
        .collect();
    text.push_str(&format!("seed {seed} # {note}\n"));
    fs::write(path, text)
}
