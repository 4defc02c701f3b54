//! A node's view of time: `local = offset + (1 + drift) × true`, piecewise, with a monotonic
//! reading that never goes back and a wall reading that can be stepped in both directions.

const PPB: i128 = 1_000_000_000;

/// One node's clock. All values are nanoseconds; `true` time is the simulation's one real time.
#[derive(Clone, Debug)]
pub(crate) struct NodeClock {
    /// True time at which the current linear piece starts.
    anchor_true: u64,
    /// Monotonic local reading at `anchor_true`.
    anchor_mono: i64,
    /// Drift in parts per billion: +100_000_000 means the clock runs 10% fast.
    drift_ppb: i64,
    /// Wall clock minus monotonic clock (stepping the wall clock back only changes this).
    wall_minus_mono: i64,
}

impl NodeClock {
    /// A clock whose local reading at true time `now` is `now + offset_ns`, running at `1 + drift`.
    pub(crate) fn new(now: u64, offset_ns: i64, drift: f64) -> Self {
        NodeClock {
            anchor_true: now,
            anchor_mono: now as i64 + offset_ns,
            drift_ppb: drift_to_ppb(drift),
            wall_minus_mono: 0,
        }
    }

    /// Monotonic local time at true time `now` (`now` must not precede the anchor).
    #[inline]
    pub(crate) fn mono(&self, now: u64) -> i64 {
        if self.drift_ppb == 0 {
            return self.anchor_mono + (now - self.anchor_true) as i64;
        }
        let dt = (now - self.anchor_true) as i128;
        let scaled = dt + (dt * self.drift_ppb as i128).div_euclid(PPB);
        self.anchor_mono + scaled as i64
    }

    /// Wall-clock local time at true time `now`, in ns since the simulated epoch.
    pub(crate) fn wall(&self, now: u64) -> i64 {
        self.mono(now) + self.wall_minus_mono
    }

    /// The earliest true time at which the monotonic clock reads at least `local`.
    pub(crate) fn true_time_of(&self, local: i64, now: u64) -> u64 {
        if local <= self.mono(now) {
            return now;
        }
        if self.drift_ppb == 0 {
            return self.anchor_true + (local - self.anchor_mono) as u64;
        }
        let rate = PPB + self.drift_ppb as i128;
        let delta = (local - self.anchor_mono) as i128;
        let mut t = self.anchor_true as i128 + (delta * PPB + rate - 1) / rate;
        // Integer rounding can land a tick off either way; settle on the exact earliest tick.
        while self.mono(t as u64) < local {
            t += 1;
        }
        while t > now as i128 && self.mono((t - 1) as u64) >= local {
            t -= 1;
        }
        t.clamp(now as i128, u64::MAX as i128) as u64
    }

    /// Changes the drift from true time `now` on, keeping the reading continuous.
    pub(crate) fn set_drift(&mut self, now: u64, drift: f64) {
        self.reanchor(now);
        self.drift_ppb = drift_to_ppb(drift);
    }

    /// Current drift as a fraction (0.1 = 10% fast).
    pub(crate) fn drift(&self) -> f64 {
        self.drift_ppb as f64 / PPB as f64
    }

    /// Steps the clock by `delta_ns`: forward moves both readings (timers fire early), backward
    /// moves only the wall clock, since a monotonic clock never goes back.
    pub(crate) fn step(&mut self, now: u64, delta_ns: i64) {
        self.reanchor(now);
        if delta_ns >= 0 {
            self.anchor_mono += delta_ns;
        } else {
            self.wall_minus_mono += delta_ns;
        }
    }

    /// Local wall time minus true time at `now`: the node's current skew.
    pub(crate) fn offset(&self, now: u64) -> i64 {
        self.wall(now) - now as i64
    }

    fn reanchor(&mut self, now: u64) {
        self.anchor_mono = self.mono(now);
        self.anchor_true = now;
    }
}

fn drift_to_ppb(drift: f64) -> i64 {
    assert!(
        drift.is_finite() && drift > -0.5 && drift < 10.0,
        "clock drift must be a finite fraction in (-0.5, 10.0), got {drift}"
    );
    (drift * PPB as f64).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_plus_scaled_true_time() {
        let c = NodeClock::new(0, 5_000, 0.1);
        assert_eq!(c.mono(0), 5_000);
        assert_eq!(c.mono(1_000_000), 5_000 + 1_100_000);
    }

    #[test]
    fn fast_clock_reaches_deadline_early_in_true_time() {
        let c = NodeClock::new(0, 0, 0.1);
        // 110 ms local elapse after 100 ms true.
        assert_eq!(c.true_time_of(110_000_000, 0), 100_000_000);
        let slow = NodeClock::new(0, 0, -0.1);
        assert_eq!(slow.true_time_of(90_000_000, 0), 100_000_000);
    }

    #[test]
    fn inverse_is_exact_lower_bound() {
        for drift in [0.0, 0.013, -0.27, 1.5] {
            let c = NodeClock::new(7, 123, drift);
            for local in [124i64, 999, 1_000_003, 77_777_777_777] {
                let t = c.true_time_of(local, 7);
                assert!(c.mono(t) >= local, "reading at t reaches the deadline");
                assert!(
                    t == 7 || c.mono(t - 1) < local,
                    "t is the earliest such time"
                );
            }
        }
    }

    #[test]
    fn drift_change_keeps_reading_continuous() {
        let mut c = NodeClock::new(0, 0, 0.5);
        let before = c.mono(1_000);
        c.set_drift(1_000, 0.0);
        assert_eq!(c.mono(1_000), before);
        assert_eq!(c.mono(2_000), before + 1_000);
    }

    #[test]
    fn backward_step_moves_wall_not_mono() {
        let mut c = NodeClock::new(0, 0, 0.0);
        c.step(1_000, -500);
        assert_eq!(c.mono(1_000), 1_000);
        assert_eq!(c.wall(1_000), 500);
        c.step(1_000, 300);
        assert_eq!(c.mono(1_000), 1_300);
        assert_eq!(c.wall(1_000), 800);
        assert_eq!(c.offset(1_000), -200);
    }
}
