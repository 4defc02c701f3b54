//! Real clocks: `Instant` readings are nanoseconds since the process's monotonic origin, and
//! sleeping is tokio's timer.

use std::sync::OnceLock;

use crate::time::Instant;

static BASE: OnceLock<std::time::Instant> = OnceLock::new();

/// The process's monotonic origin (set by the first runtime, or the first reading).
pub(crate) fn base() -> std::time::Instant {
    *BASE.get_or_init(std::time::Instant::now)
}

/// The OS monotonic clock, as a Sandtable `Instant`.
pub(crate) fn now() -> Instant {
    Instant(base().elapsed().as_nanos() as i64)
}

/// The OS wall clock, in nanoseconds since the Unix epoch (negative before it).
pub(crate) fn system_now_unix_ns() -> i128 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// The tokio instant of a Sandtable `Instant` (readings before the origin clamp to it).
pub(crate) fn to_tokio(at: Instant) -> tokio::time::Instant {
    let since = std::time::Duration::from_nanos(at.0.max(0) as u64);
    tokio::time::Instant::from_std(base() + since)
}

/// A tokio sleep until `at`.
pub(crate) fn sleep_until(at: Instant) -> std::pin::Pin<Box<tokio::time::Sleep>> {
    Box::pin(tokio::time::sleep_until(to_tokio(at)))
}
