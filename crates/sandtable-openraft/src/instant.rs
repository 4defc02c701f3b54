//! `SimInstant`: the node's monotonic clock as openraft's `Instant` (the trait is each crate's
//! `OpenraftInstant`: `sandtable-openraft09` compiles this file too, for openraft 0.9).

use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

/// A reading of the current node's monotonic clock (`sandtable::time::Instant`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimInstant(pub sandtable::time::Instant);

impl Add<Duration> for SimInstant {
    type Output = SimInstant;
    fn add(self, rhs: Duration) -> SimInstant {
        SimInstant(self.0 + rhs)
    }
}

impl AddAssign<Duration> for SimInstant {
    fn add_assign(&mut self, rhs: Duration) {
        self.0 += rhs;
    }
}

impl Sub<Duration> for SimInstant {
    type Output = SimInstant;
    fn sub(self, rhs: Duration) -> SimInstant {
        SimInstant(self.0 - rhs)
    }
}

impl SubAssign<Duration> for SimInstant {
    fn sub_assign(&mut self, rhs: Duration) {
        self.0 -= rhs;
    }
}

impl Sub<SimInstant> for SimInstant {
    type Output = Duration;
    fn sub(self, rhs: SimInstant) -> Duration {
        self.0 - rhs.0
    }
}

impl crate::OpenraftInstant for SimInstant {
    fn now() -> SimInstant {
        SimInstant(sandtable::time::Instant::now())
    }
}
