//! The node-local clock readings: monotonic `Instant` and wall-clock `SystemTime`.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::context;
use crate::world::World;

/// A reading of the current node's monotonic clock (ns). It never goes back, even when the
/// node's wall clock is stepped backwards. Readings of different nodes are not comparable.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub(crate) i64);

impl Instant {
    /// The current node's monotonic time (true virtual time outside a node's task).
    pub fn now() -> Instant {
        match context::try_with(|w| Instant(local_mono(w))) {
            Some(now) => now,
            None => real_now(),
        }
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0).max(0) as u64)
    }

    /// Time from `earlier` to `self`, or None if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        (self.0 >= earlier.0).then(|| Duration::from_nanos((self.0 - earlier.0) as u64))
    }

    /// Time from `earlier` to `self` (zero if `earlier` is later, as std does since 1.60).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// Time elapsed since this reading, on the current node's clock.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + d`, or None on overflow.
    pub fn checked_add(&self, d: Duration) -> Option<Instant> {
        i64::try_from(d.as_nanos())
            .ok()
            .and_then(|n| self.0.checked_add(n))
            .map(Instant)
    }

    /// `self - d`, or None on overflow.
    pub fn checked_sub(&self, d: Duration) -> Option<Instant> {
        i64::try_from(d.as_nanos())
            .ok()
            .and_then(|n| self.0.checked_sub(n))
            .map(Instant)
    }

    /// The raw reading in nanoseconds (for logs and tests).
    pub fn as_nanos(&self) -> i64 {
        self.0
    }
}

/// Outside a simulation: the real backend's monotonic clock, or the panic naming the call.
#[cold]
#[track_caller]
fn real_now() -> Instant {
    #[cfg(feature = "real")]
    if crate::real::here() {
        return crate::real::time::now();
    }
    context::outside("sandtable::time::Instant::now")
}

pub(crate) fn local_mono(w: &World) -> i64 {
    let now = w.now.get();
    match w.current.get() {
        Some(node) => w.nodes.borrow()[node.index()].clock.mono(now),
        None => now as i64,
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant({:.9}s)", self.0 as f64 / 1e9)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.checked_add(d)
            .expect("overflow when adding a duration to an Instant")
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        self.checked_sub(d)
            .expect("overflow when subtracting a duration from an Instant")
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, other: Instant) -> Duration {
        self.saturating_duration_since(other)
    }
}

/// A reading of the current node's wall clock, which fault injection may step backwards.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SystemTime(i128);

/// 1970-01-01T00:00:00Z.
pub const UNIX_EPOCH: SystemTime = SystemTime(0);

impl SystemTime {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: SystemTime = UNIX_EPOCH;

    /// The current node's wall-clock time.
    pub fn now() -> SystemTime {
        #[cfg(feature = "real")]
        if crate::real::here() {
            return SystemTime(crate::real::time::system_now_unix_ns());
        }
        context::with("sandtable::time::SystemTime::now", |w| {
            let now = w.now.get();
            let wall = match w.current.get() {
                Some(node) => w.nodes.borrow()[node.index()].clock.wall(now),
                None => now as i64,
            };
            SystemTime(w.config.epoch_unix_ns as i128 + wall as i128)
        })
    }

    /// Time since `earlier`, or an error holding how far `earlier` is ahead.
    pub fn duration_since(&self, earlier: SystemTime) -> Result<Duration, Duration> {
        let d = self.0 - earlier.0;
        let n = |x: i128| Duration::from_nanos(u64::try_from(x).unwrap_or(u64::MAX));
        if d >= 0 {
            Ok(n(d))
        } else {
            Err(n(-d))
        }
    }

    /// Nanoseconds since the Unix epoch (negative before it).
    pub fn unix_nanos(&self) -> i128 {
        self.0
    }
}

impl fmt::Debug for SystemTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SystemTime(unix {:.9}s)", self.0 as f64 / 1e9)
    }
}

impl From<SystemTime> for std::time::SystemTime {
    fn from(t: SystemTime) -> Self {
        let d = Duration::from_nanos(t.0.unsigned_abs().min(u64::MAX as u128) as u64);
        if t.0 >= 0 {
            std::time::UNIX_EPOCH + d
        } else {
            std::time::UNIX_EPOCH - d
        }
    }
}

impl Add<Duration> for SystemTime {
    type Output = SystemTime;
    fn add(self, d: Duration) -> SystemTime {
        SystemTime(self.0 + d.as_nanos() as i128)
    }
}
