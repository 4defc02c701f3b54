//! A node's tunables: the lease, the clock assumption it rests on, and the timers around it.

use std::time::Duration;

/// Timing of one node. The defaults suit a LAN (and the simulator's default 1–5 ms links).
///
/// The protocol's one assumption is [`Settings::drift_bound`]: every node's monotonic clock
/// runs at a rate within `1 ± drift_bound` of true time (and never jumps). Under it a leader's
/// lease ([`Settings::leader_lease`], counted from when it *sent* the request) always ends, in
/// true time, before any voter that granted it stops excluding other candidates
/// ([`Settings::voter_hold`], counted from when the voter *received* it).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Settings {
    /// The lease a candidate asks for, `L`.
    pub lease: Duration,
    /// The assumed bound on clock drift, `δ` (0.1 = every clock within ±10% of true time).
    pub drift_bound: f64,
    /// How often a leader renews its lease (by its own clock); well under the lease, so that
    /// a few lost renewals do not cost the leadership.
    pub renew_every: Duration,
    /// How often a leader checks its lease when nothing else happens (and steps down once it
    /// has expired).
    pub tick: Duration,
    /// How long a candidate waits for a majority of grants before giving up the attempt.
    pub candidate_timeout: Duration,
    /// The pause between two candidacies of a node, drawn uniformly from `[min, max)`.
    pub retry: (Duration, Duration),
    /// Client writes a leader queues behind the one in flight at most (then it answers busy).
    pub max_queued_writes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lease: Duration::from_millis(500),
            drift_bound: 0.1,
            renew_every: Duration::from_millis(100),
            tick: Duration::from_millis(10),
            candidate_timeout: Duration::from_millis(50),
            retry: (Duration::from_millis(50), Duration::from_millis(250)),
            max_queued_writes: 16,
        }
    }
}

impl Settings {
    /// How long, by its own clock from the moment it sent the request, a node may act as
    /// leader on a majority of grants: `L·(1 − δ)`.
    pub fn leader_lease(&self) -> Duration {
        self.lease.mul_f64(1.0 - self.drift_bound)
    }

    /// How long, by its own clock from the moment it granted a lease, a voter grants no other
    /// candidate: `L·(1 + δ)`. Also how long a restarted node grants nothing (it may have
    /// granted a lease just before it crashed and forgotten it).
    pub fn voter_hold(&self) -> Duration {
        self.lease.mul_f64(1.0 + self.drift_bound)
    }

    /// These settings with the drift bound `δ`.
    pub fn with_drift_bound(mut self, drift_bound: f64) -> Self {
        self.drift_bound = drift_bound;
        self.validate();
        self
    }

    /// Panics on settings under which the protocol cannot work.
    #[track_caller]
    pub fn validate(&self) {
        assert!(
            (0.0..1.0).contains(&self.drift_bound),
            "the drift bound must be in [0, 1), got {}",
            self.drift_bound
        );
        assert!(
            self.renew_every < self.leader_lease(),
            "renewals ({:?}) must come before the lease ({:?}) ends",
            self.renew_every,
            self.leader_lease()
        );
        assert!(!self.tick.is_zero(), "the leader's tick must be positive");
        assert!(
            self.retry.0 < self.retry.1,
            "the retry range must not be empty"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_voter_holds_longer_than_the_leader_leads() {
        let s = Settings::default();
        assert_eq!(s.leader_lease(), Duration::from_millis(450));
        assert_eq!(s.voter_hold(), Duration::from_millis(550));
        s.validate();
    }

    /// The safety margin in true time: a leader whose clock runs at `1 − d` and a voter whose
    /// clock runs at `1 + d` stay ordered exactly while `d ≤ δ`.
    #[test]
    fn the_margin_closes_exactly_at_the_bound() {
        let s = Settings::default();
        let true_lease = |d: f64| s.leader_lease().as_secs_f64() / (1.0 - d);
        let true_hold = |d: f64| s.voter_hold().as_secs_f64() / (1.0 + d);
        assert!(true_lease(0.09) < true_hold(0.09));
        assert!((true_lease(0.1) - true_hold(0.1)).abs() < 1e-12);
        assert!(true_lease(0.11) > true_hold(0.11));
    }
}
