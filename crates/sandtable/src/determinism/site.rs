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

    fn starts_with_any(&self, prefixes: &[&str]) -> bool {
        prefixes.iter().any(|p| self.symbol.starts_with(p))
    }
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
        let start = frames.iter().position(|f| !f.starts_with_any(MACHINERY));
        let Some(start) = start else {
            return Trace {
                site: "<unknown: no frame outside the standard library (build with debug info)>"
                    .to_string(),
                frames: text.to_string(),
            };
        };
        let shown: Vec<String> = frames[start..]
            .iter()
            .take_while(|f| !f.starts_with_any(EXECUTOR))
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

    #[test]
    fn without_a_user_frame_the_whole_trace_is_kept() {
        let trace = Trace::from_text("   0: std::time::SystemTime::elapsed\n");
        assert!(trace.site.starts_with("<unknown"));
    }
}
