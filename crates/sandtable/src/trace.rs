//! Logs stamped with virtual time and node: a `tracing-subscriber` event formatter.
//!
//! `sandtable::trace::init()` installs it with `RUST_LOG` filtering; `SimFormat` can be used
//! in your own subscriber stack.

use std::fmt;

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

/// Installs a global subscriber with [`SimFormat`] writing to stderr, filtered by `RUST_LOG`
/// (default `warn`). Returns false if a global subscriber was already set.
pub fn init() -> bool {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(SimFormat)
        .with_writer(std::io::stderr)
        .try_init()
        .is_ok()
}

/// Like [`init`] but writing through the test harness's capture (for `#[test]`s).
pub fn init_for_tests() -> bool {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(SimFormat)
        .with_test_writer()
        .try_init()
        .is_ok()
}
