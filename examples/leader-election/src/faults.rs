//! The faults of a run, as one [`Schedule`]: the environment's (partitions, crashes, pauses —
//! one at a time, then a final heal) and, independently and at the same time, each node's
//! clock (drift that changes every few seconds, and optional steps).
//!
//! A lease is at risk only when a clock misbehaves *while* the leader is cut off or stalled, so
//! the clocks get a nemesis of their own per node rather than a turn in the environment's.

use std::time::Duration;

use sandtable::nemesis::{Fault, Nemesis, Schedule, TargetHook};

/// How the nodes' clocks misbehave.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct ClockFaults {
    /// Each node's clock runs at a rate drawn from `1 ± drift_max` (0.1 = ±10%), redrawn every
    /// 0.5–3 s, back at the true rate for up to 0.2 s in between. Zero: clocks keep true time.
    pub drift_max: f64,
    /// Each node's clock is stepped now and then by up to this, forward or back (a forward
    /// step moves its monotonic clock; a backward one only its wall clock). Zero: never.
    pub step_max: Duration,
    /// Every drift is `+drift_max` or `−drift_max`, never in between: the worst case for a
    /// lease (a slow leader, fast voters) as often as the clocks can make it.
    pub extremes: bool,
}

impl ClockFaults {
    /// Drift up to `drift_max`, no steps.
    pub fn drift(drift_max: f64) -> ClockFaults {
        ClockFaults {
            drift_max,
            step_max: Duration::ZERO,
            extremes: false,
        }
    }

    /// Drift of exactly `±drift_max` (see [`ClockFaults::extremes`]), no steps.
    pub fn extreme_drift(drift_max: f64) -> ClockFaults {
        ClockFaults {
            extremes: true,
            ..ClockFaults::drift(drift_max)
        }
    }

    /// These faults with steps of up to `step_max` too.
    pub fn with_steps(mut self, step_max: Duration) -> ClockFaults {
        self.step_max = step_max;
        self
    }

    /// One node's clock nemesis, if its clock misbehaves at all.
    pub fn nemesis(&self) -> Option<Nemesis> {
        let mut n = Nemesis::new()
            .quiet_start(Duration::ZERO)
            .interval(Duration::ZERO, Duration::from_millis(200))
            .fault_duration(Duration::from_millis(500), Duration::from_secs(3));
        if self.drift_max == 0.0 && self.step_max.is_zero() {
            return None;
        }
        if self.drift_max > 0.0 {
            n = n.clock_drift(self.drift_max);
        }
        if !self.step_max.is_zero() {
            n = n.clock_skew(self.step_max);
        }
        Some(n)
    }
}

/// The name of the target hook that finds the current leader (see [`environment`]).
pub const LEADER: &str = "leader";

/// The environment's nemesis: every partition shape, crashes, pauses, and — Jepsen's hunt for
/// split brains — cutting off whichever node leads, found by `leader` (register the same hook
/// on the simulation under [`LEADER`]); then a final heal.
pub fn environment(leader: TargetHook) -> Nemesis {
    Nemesis::new()
        .isolate_target(LEADER, move |h| leader(h))
        .partitions()
        .crashes()
        .pauses()
        .interval(Duration::from_millis(200), Duration::from_millis(1500))
        .fault_duration(Duration::from_millis(300), Duration::from_secs(2))
        .final_heal(Duration::ZERO)
}

/// A seed for node `index`'s clock nemesis, distinct from the run's and from every other
/// node's (SplitMix64's finaliser over both).
fn clock_seed(seed: u64, index: usize) -> u64 {
    let mut z = seed ^ (index as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The run's whole schedule over `nodes` for `duration`, from `seed` alone, in time order:
/// the `environment`'s faults (if any), each node's clock faults, and a final heal.
pub fn schedule(
    seed: u64,
    nodes: &[String],
    duration: Duration,
    environment: Option<Nemesis>,
    clocks: ClockFaults,
) -> Schedule {
    let environment = environment.unwrap_or_else(|| Nemesis::new().final_heal(Duration::ZERO));
    let mut events = environment.generate(seed, nodes, duration).events;
    if let Some(clock) = clocks.nemesis() {
        for (i, name) in nodes.iter().enumerate() {
            let own = clock.generate(clock_seed(seed, i), std::slice::from_ref(name), duration);
            events.extend(own.events);
        }
    }
    events.sort_by_key(|e| e.at_ns); // stable: a fault keeps its place before its recovery
    let mut schedule = Schedule::default();
    for e in events {
        let fault = match e.fault {
            Fault::ClockDrift { node, drift } if clocks.extremes && drift != 0.0 => {
                let drift = clocks.drift_max.copysign(drift);
                Fault::ClockDrift { node, drift }
            }
            fault => fault,
        };
        schedule.push(Duration::from_nanos(e.at_ns), fault);
    }
    schedule
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        (0..3).map(|i| format!("n{i}")).collect()
    }

    #[test]
    fn the_schedule_is_a_function_of_the_seed() {
        let clocks = ClockFaults::drift(0.1).with_steps(Duration::from_millis(5));
        let a = schedule(
            7,
            &names(),
            Duration::from_secs(10),
            Some(environment(std::rc::Rc::new(|_| Vec::new()))),
            clocks,
        );
        assert_eq!(
            a,
            schedule(
                7,
                &names(),
                Duration::from_secs(10),
                Some(environment(std::rc::Rc::new(|_| Vec::new()))),
                clocks
            )
        );
        assert_ne!(
            a,
            schedule(
                8,
                &names(),
                Duration::from_secs(10),
                Some(environment(std::rc::Rc::new(|_| Vec::new()))),
                clocks
            )
        );
        assert!(a.events.windows(2).all(|w| w[0].at_ns <= w[1].at_ns));
    }

    #[test]
    fn every_clock_drifts_within_its_bound_and_ends_at_the_true_rate() {
        let s = schedule(
            3,
            &names(),
            Duration::from_secs(10),
            None,
            ClockFaults::drift(0.1),
        );
        for name in names() {
            let drifts: Vec<f64> = s
                .events
                .iter()
                .filter_map(|e| match &e.fault {
                    Fault::ClockDrift { node, drift } if *node == name => Some(*drift),
                    _ => None,
                })
                .collect();
            assert!(drifts.len() >= 4, "{name} drifts now and then: {drifts:?}");
            assert!(drifts.iter().all(|d| d.abs() <= 0.1));
            assert_eq!(drifts.last(), Some(&0.0));
        }
        assert!(matches!(
            s.events.last().map(|e| &e.fault),
            Some(Fault::RecoverAll)
        ));
    }

    #[test]
    fn extreme_drift_is_at_the_bound_or_zero() {
        let s = schedule(
            3,
            &names(),
            Duration::from_secs(10),
            None,
            ClockFaults::extreme_drift(0.1),
        );
        let drifts: Vec<f64> = s
            .events
            .iter()
            .filter_map(|e| match &e.fault {
                Fault::ClockDrift { drift, .. } => Some(*drift),
                _ => None,
            })
            .collect();
        assert!(drifts.contains(&0.1) && drifts.contains(&-0.1));
        assert!(drifts.iter().all(|d| [0.0, 0.1, -0.1].contains(d)));
    }

    #[test]
    fn no_clock_faults_no_clock_events() {
        let s = schedule(
            3,
            &names(),
            Duration::from_secs(10),
            Some(environment(std::rc::Rc::new(|_| Vec::new()))),
            ClockFaults::drift(0.0),
        );
        assert!(s
            .events
            .iter()
            .all(|e| !matches!(e.fault, Fault::ClockDrift { .. } | Fault::ClockStep { .. })));
    }
}
