//! The call site of an intercepted OS call: the first frame of its backtrace that is neither
//! the standard library nor this crate's interposer, and the frames from there up to the
//! executor's poll.

use std::backtrace::Backtrace;

/// Frames whose symbol starts with one of these are the machinery between the user's call and
/// the libc symbol, skipped when naming the site.
const MACHINERY: &[&str] = &[
    "sandtable::determinism",
    "std::",
    "core::",
    "alloc::",
    "<std::",
    "<core::",
    "<alloc::",
    "clock_gettime",
    "getrandom",
    "getentropy",
    "pthread_create",
    "__",
];

/// Frames whose symbol starts with one of these are the executor: the report stops there.
const EXECUTOR: &[&str] = &[
    "async_task::",
    "<async_task::",
    "sandtable::world::",
    "sandtable::executor::",
    "<sandtable::executor::",
    "sandtable::sim::",
];

/// Source paths of the same machinery: inlined frames often carry only a short name
/// (`{closure#0}`, `try_with<..>`, `get_or_init<..>`; always so with
/// `debug = "line-tables-only"`), so the file tells where they belong.
const MACHINERY_FILES: &[&str] = &[
    "/library/std/src/",
    "/library/core/src/",
    "/library/alloc/src/",
];

/// This crate's own machinery, by path inside the crate.
const OWN_MACHINERY: &[&str] = &["src/determinism/"];

/// The executor's sources (see [`MACHINERY_FILES`]): async-task's, and this crate's own.
const EXECUTOR_FILES: &[&str] = &["/async-task-"];
const OWN_EXECUTOR: &[&str] = &["src/world.rs", "src/executor.rs", "src/sim.rs"];

/// Frames shown in a report, from the site up.
const FRAMES_MAX: usize = 16;

/// A resolved backtrace reduced to what a report shows.
pub(crate) struct Trace {
    /// `symbol at file:line:col` of the first frame outside the machinery.
    pub site: String,
    /// The frames from the site up to the executor (at most [`FRAMES_MAX`]), one per line.
    pub frames: String,
}

struct Frame {
    symbol: String,
    at: Option<String>,
}

impl Frame {
    fn show(&self) -> String {
        match &self.at {
            Some(at) => format!("{} at {at}", self.symbol),
            None => self.symbol.clone(),
        }
    }

    /// Whether the frame's symbol starts with one of `prefixes`, its file contains one of
    /// `files`, or it is one of `own` of this crate's files.
    fn is_any(&self, prefixes: &[&str], files: &[&str], own: &[&str]) -> bool {
        if prefixes.iter().any(|p| self.symbol.starts_with(p)) {
            return true;
        }
        let Some(at) = &self.at else {
            return false;
        };
        let at = at.replace('\\', "/");
        if files.iter().any(|f| at.contains(f)) {
            return true;
        }
        own_path(&at).is_some_and(|path| own.iter().any(|o| path.starts_with(o)))
    }
}

/// The path of `at` inside this crate (`src/..`), if it is one of this crate's files. std
/// prints a file under the working directory as `./..`, so that is resolved first.
fn own_path(at: &str) -> Option<String> {
    let absolute = match at.strip_prefix("./") {
        Some(relative) => {
            let cwd = std::env::current_dir().ok()?;
            format!("{}/{relative}", cwd.to_string_lossy().replace('\\', "/"))
        }
        None => at.to_string(),
    };
    let root = format!("{}/", env!("CARGO_MANIFEST_DIR").replace('\\', "/"));
    absolute.strip_prefix(&root).map(str::to_string)
}

impl Trace {
    /// Resolves `backtrace` (symbols and, with debug info, file and line).
    pub(crate) fn of(backtrace: &Backtrace) -> Trace {
        Self::from_text(&backtrace.to_string())
    }

    /// Parses std's backtrace format: `  N: symbol` lines, each optionally followed by
    /// `at file:line:col`.
    fn from_text(text: &str) -> Trace {
        let frames = parse(text);
        let start = frames
            .iter()
            .position(|f| !f.is_any(MACHINERY, MACHINERY_FILES, OWN_MACHINERY));
        let Some(start) = start else {
            return Trace {
                site: "<unknown: no frame outside the standard library (build with debug info)>"
                    .to_string(),
                frames: text.to_string(),
            };
        };
        let shown: Vec<String> = frames[start..]
            .iter()
            .take_while(|f| !f.is_any(EXECUTOR, EXECUTOR_FILES, OWN_EXECUTOR))
            .take(FRAMES_MAX)
            .map(|f| format!("      {}", f.show()))
            .collect();
        Trace {
            site: frames[start].show(),
            frames: shown.join("\n"),
        }
    }
}

fn parse(text: &str) -> Vec<Frame> {
    let mut frames: Vec<Frame> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(at) = line.strip_prefix("at ") {
            if let Some(last) = frames.last_mut() {
                last.at.get_or_insert_with(|| at.to_string());
            }
            continue;
        }
        let Some((index, symbol)) = line.split_once(": ") else {
            continue;
        };
        if index.chars().all(|c| c.is_ascii_digit()) && !index.is_empty() {
            frames.push(Frame {
                symbol: symbol.to_string(),
                at: None,
            });
        }
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::Trace;

    const TEXT: &str = "   0: sandtable::determinism::record
             at ./src/determinism/mod.rs:150:33
   1: clock_gettime
             at ./src/determinism/interpose.rs:60:5
   2: std::sys::pal::unix::time::Timespec::now
             at /rustc/x/library/std/src/sys/pal/unix/time.rs:129:9
   3: std::time::SystemTime::elapsed
             at /rustc/x/library/std/src/time.rs:287:9
   4: it::third_party::elapsed_ms
             at ./tests/it/third_party.rs:10:13
   5: it::third_party::task::{{closure}}
             at ./tests/it/third_party.rs:20:5
   6: async_task::raw::RawTask<F,T,S,M>::run
   7: sandtable::world::World::poll_one
";

    #[test]
    fn the_site_is_the_first_frame_outside_std_and_the_interposer() {
        let trace = Trace::from_text(TEXT);
        assert_eq!(
            trace.site,
            "it::third_party::elapsed_ms at ./tests/it/third_party.rs:10:13"
        );
        assert_eq!(trace.frames.lines().count(), 2, "{}", trace.frames);
        assert!(trace.frames.contains("task::{{closure}}"));
    }

    /// Inlined frames under `debug = "line-tables-only"` carry short names: their files place
    /// them (std's sources, this crate's determinism module, the executor).
    fn short_names() -> String {
        let own = env!("CARGO_MANIFEST_DIR");
        format!(
            "   0: {{closure#0}}
             at {own}/src/determinism/mod.rs:259:33
   1: try_with<core::cell::RefCell<()>, ()>
             at /rustc/59807616e/library/std/src/thread/local.rs:513:12
   2: getrandom
             at {own}/src/determinism/interpose.rs:130:12
   3: get_or_init<core::cell::Cell<(u64, u64)>>
             at /rustc/59807616e/library/std/src/sys/thread_local/native/lazy.rs:62:27
   4: new
             at /home/u/.cargo/registry/src/index.crates.io-1/tokio-1.48.0/src/util/rand.rs:40:20
   5: {{closure#0}}
             at C:\\Users\\u\\app\\src\\main.rs:12:5
   6: run<F, T, S, M>
             at /home/u/.cargo/registry/src/index.crates.io-1/async-task-4.7.1/src/raw.rs:557:17
   7: poll_one
             at {own}/src/world.rs:900:9
"
        )
    }

    #[test]
    fn short_inlined_names_are_placed_by_their_files() {
        let trace = Trace::from_text(&short_names());
        assert!(trace.site.starts_with("new at "), "{}", trace.site);
        assert!(
            trace.site.contains("tokio-1.48.0/src/util/rand.rs:40"),
            "{}",
            trace.site
        );
        assert_eq!(trace.frames.lines().count(), 2, "{}", trace.frames);
    }

    #[test]
    fn another_crates_world_rs_or_determinism_module_is_not_this_crates() {
        let own = env!("CARGO_MANIFEST_DIR");
        let text = format!(
            "   0: getrandom
   1: {{closure#0}}
             at /home/u/game/src/determinism/dice.rs:3:1
   2: step
             at /home/u/game/src/world.rs:10:5
   3: poll_one
             at {own}/src/world.rs:900:9
"
        );
        let trace = Trace::from_text(&text);
        assert!(
            trace
                .site
                .starts_with("{closure#0} at /home/u/game/src/determinism/dice.rs"),
            "{}",
            trace.site
        );
        assert_eq!(trace.frames.lines().count(), 2, "{}", trace.frames);
    }

    #[test]
    fn without_a_user_frame_the_whole_trace_is_kept() {
        let trace = Trace::from_text("   0: std::time::SystemTime::elapsed\n");
        assert!(trace.site.starts_with("<unknown"));
    }
}
