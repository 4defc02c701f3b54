//! The model of one directed link: latency, loss, duplication, ordering.

use std::time::Duration;

/// How long a message takes on a link.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Latency {
    /// Always the same delay.
    Fixed(Duration),
    /// Uniform between `min` and `max` inclusive; jitter reorders messages unless the link is FIFO.
    Uniform {
        /// Smallest delay.
        min: Duration,
        /// Largest delay.
        max: Duration,
    },
}

impl Latency {
    /// Smallest and largest delay in nanoseconds.
    pub(crate) fn bounds_ns(&self) -> (u64, u64) {
        match *self {
            Latency::Fixed(d) => (nanos(d), nanos(d)),
            Latency::Uniform { min, max } => (nanos(min), nanos(max)),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The delivery model of a link. Build with the methods; the default is a healthy LAN:
/// 1–5 ms uniform latency, no loss, no duplication, not FIFO.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LinkConfig {
    /// Delay distribution.
    pub latency: Latency,
    /// Probability in [0, 1] that a message is lost.
    pub loss: f64,
    /// Probability in [0, 1] that a message is delivered twice.
    pub duplicate: f64,
    /// Deliver in send order (a message never overtakes an earlier one on this link).
    pub fifo: bool,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            latency: Latency::Uniform {
                min: Duration::from_millis(1),
                max: Duration::from_millis(5),
            },
            loss: 0.0,
            duplicate: 0.0,
            fifo: false,
        }
    }
}

impl LinkConfig {
    /// Uniform latency between `min` and `max`. Panics if `min > max`.
    #[track_caller]
    pub fn latency(mut self, min: Duration, max: Duration) -> Self {
        assert!(
            min <= max,
            "link latency: min {min:?} is larger than max {max:?}"
        );
        self.latency = if min == max {
            Latency::Fixed(min)
        } else {
            Latency::Uniform { min, max }
        };
        self
    }

    /// Loss probability. Panics unless `0 <= p <= 1`.
    #[track_caller]
    pub fn loss(mut self, p: f64) -> Self {
        self.loss = probability("loss", p);
        self
    }

    /// Duplication probability. Panics unless `0 <= p <= 1`.
    #[track_caller]
    pub fn duplicate(mut self, p: f64) -> Self {
        self.duplicate = probability("duplicate", p);
        self
    }

    /// FIFO delivery on or off.
    pub fn fifo(mut self, fifo: bool) -> Self {
        self.fifo = fifo;
        self
    }
}

#[track_caller]
fn probability(what: &str, p: f64) -> f64 {
    assert!(
        (0.0..=1.0).contains(&p),
        "link {what} probability must be within [0, 1], got {p}"
    );
    p
}
