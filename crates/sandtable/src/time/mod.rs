//! Virtual time, as seen by the current node: `Instant`, `SystemTime`, `sleep`, `timeout`,
//! `interval`. True virtual time belongs to the world; each node reads it through its own
//! clock (`local = offset + (1 + drift) × true`), so skew and drift change when its timers fire.

pub(crate) mod clock;
mod instant;
mod sleep;

pub use instant::{Instant, SystemTime, UNIX_EPOCH};
pub use sleep::{
    interval, sleep, sleep_until, timeout, timeout_at, Elapsed, Interval, Sleep, Timeout,
};

/// The current node's monotonic time.
pub fn now() -> Instant {
    Instant::now()
}
