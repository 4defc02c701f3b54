//! Logs stamped with virtual time and node: a `tracing-subscriber` event formatter.
//!
//! `sandtable::trace::init()` installs it with `RUST_LOG` filtering; `SimFormat` can be used
//! in your own subscriber stack.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

use crate::context;

/// Formats `   1.234567890s n1 INFO target: message fields`: true virtual time, then the node
/// whose task emitted the event (`-` outside a task, e.g. the test driver).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimFormat;

/// The current virtual time (ns) and node name, if a simulation runs on this thread.
pub fn stamp() -> Option<(u64, Option<String>)> {
    let world = context::current()?;
    let node = world.current.get().and_then(|n| {
        world
            .names
            .try_borrow()
            .ok()
            .and_then(|names| names.get(n.index()).map(|s| s.to_string()))
    });
    Some((world.now.get(), node))
}

impl<S, N> FormatEvent<S, N> for SimFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        match stamp() {
            Some((t, node)) => write!(
                w,
                "{:>4}.{:09}s {:<8} ",
                t / 1_000_000_000,
                t % 1_000_000_000,
                node.as_deref().unwrap_or("-")
            )?,
            None => write!(w, "{:>15} {:<8} ", "(no sim)", "-")?,
        }
        let meta = event.metadata();
        write!(w, "{:>5} {}: ", meta.level(), meta.target())?;
        ctx.format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

thread_local! {
    /// The capture buffer of this thread, while `capture` runs.
    static CAPTURE: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

fn capturing() -> bool {
    CAPTURE.try_with(|c| c.borrow().is_some()).unwrap_or(false)
}

/// Writes into the current thread's capture buffer (if any).
struct CaptureWriter;

impl std::io::Write for CaptureWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let _ = CAPTURE.try_with(|c| c.borrow_mut().as_mut().map(|buf| buf.extend_from_slice(b)));
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The subscriber Sandtable installs globally: stderr filtered by `RUST_LOG` (default `warn`),
/// and a capture layer that records debug-level events of the threads inside [`capture`].
/// A per-event filter (not per-thread subscribers) makes capture reliable while many test
/// threads log at once.
fn subscriber(test_writer: bool) -> impl Subscriber + Send + Sync {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let env = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let stderr = tracing_subscriber::fmt::layer().event_format(SimFormat);
    let stderr = if test_writer {
        stderr
            .with_writer(tracing_subscriber::fmt::TestWriter::new)
            .boxed()
    } else {
        stderr.with_writer(std::io::stderr).boxed()
    };
    let capture = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .event_format(SimFormat)
        .with_writer(|| CaptureWriter)
        .with_filter(
            // A dynamic filter: its answer depends on the thread, so it must not be cached
            // per call site (a plain `filter_fn` would be).
            tracing_subscriber::filter::dynamic_filter_fn(|meta, _| {
                *meta.level() <= tracing::Level::DEBUG && capturing()
            })
            // Without a hint the global level would be capped by the stderr filter's.
            .with_max_level_hint(tracing::level_filters::LevelFilter::DEBUG),
        );
    tracing_subscriber::registry()
        .with(stderr.with_filter(env))
        .with(capture)
}

/// Runs `f` and returns the debug-level log lines it produced on this thread. Installs
/// Sandtable's global subscriber if no global subscriber is set yet; if another one is, falls
/// back to a subscriber scoped to this thread.
pub fn capture<R>(f: impl FnOnce() -> R) -> (String, R) {
    install(true);
    let previous = CAPTURE.with(|c| c.borrow_mut().replace(Vec::new()));
    let result = if INSTALLED.load(Ordering::Acquire) {
        f()
    } else {
        tracing::subscriber::with_default(subscriber(true), f)
    };
    let text = CAPTURE
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), previous))
        .unwrap_or_default();
    (String::from_utf8_lossy(&text).into_owned(), result)
}

/// Whether Sandtable's subscriber is the global default.
static INSTALLED: AtomicBool = AtomicBool::new(false);

fn install(test_writer: bool) -> bool {
    let ok = tracing::subscriber::set_global_default(subscriber(test_writer)).is_ok();
    if ok {
        INSTALLED.store(true, Ordering::Release);
    }
    ok
}

/// Installs a global subscriber with [`SimFormat`] writing to stderr, filtered by `RUST_LOG`
/// (default `warn`), which also serves [`capture`]. Returns false if a global subscriber was
/// already set.
pub fn init() -> bool {
    install(false)
}

/// Like [`init`] but writing through the test harness's capture (for `#[test]`s).
pub fn init_for_tests() -> bool {
    install(true)
}
