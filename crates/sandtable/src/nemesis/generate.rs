//! `Nemesis`: turns a seed into a [`Schedule`] of faults over a run.

use std::rc::Rc;
use std::time::Duration;

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::schedule::{Fault, Schedule};
use crate::handle::Handle;
use crate::node::NodeId;

/// A protocol-aware target: given the running cluster, which nodes to hit.
pub type TargetHook = Rc<dyn Fn(&Handle) -> Vec<NodeId>>;

/// The kinds of fault a nemesis may inject.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Partition,
    OneWay,
    Crash,
    CrashWipe,
    CrashDuringIo,
    Pause,
    ClockStep(Duration),
    ClockDrift(f64),
    LinkDegrade,
    Isolate(usize),
    CrashTarget(usize),
}

/// A fault generator. Compose kinds with the builder methods; each fault is followed by its
/// recovery (heal, restart, resume, ...) before the next one starts.
///
/// ```
/// use std::time::Duration;
/// use sandtable::nemesis::Nemesis;
/// let n = Nemesis::new().partitions().crashes().clock_skew(Duration::from_millis(200))
///     .final_heal(Duration::from_secs(5));
/// let names: Vec<String> = (0..5).map(|i| format!("n{i}")).collect();
/// let schedule = n.generate(7, &names, Duration::from_secs(60));
/// assert_eq!(schedule, n.generate(7, &names, Duration::from_secs(60)));
/// assert!(!schedule.is_empty());
/// ```
#[derive(Clone)]
#[must_use]
pub struct Nemesis {
    kinds: Vec<Kind>,
    interval: (Duration, Duration),
    fault_duration: (Duration, Duration),
    quiet_start: Duration,
    final_heal: Option<Duration>,
    concurrency: usize,
    swarm: bool,
    pub(crate) hooks: Vec<(String, TargetHook)>,
}

impl Default for Nemesis {
    fn default() -> Self {
        Nemesis {
            kinds: Vec::new(),
            interval: (Duration::from_millis(500), Duration::from_secs(3)),
            fault_duration: (Duration::from_millis(500), Duration::from_secs(5)),
            quiet_start: Duration::from_secs(1),
            final_heal: None,
            concurrency: 1,
            swarm: false,
            hooks: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Nemesis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nemesis")
            .field("kinds", &self.kinds)
            .field("interval", &self.interval)
            .field("fault_duration", &self.fault_duration)
            .field("final_heal", &self.final_heal)
            .finish()
    }
}

impl Nemesis {
    /// A nemesis with no fault kinds (it generates nothing until some are added).
    pub fn new() -> Self {
        Self::default()
    }

    /// Shorthand for `Nemesis::new().partitions()`.
    pub fn partitions_only() -> Self {
        Self::new().partitions()
    }

    fn with(mut self, k: Kind) -> Self {
        self.kinds.push(k);
        self
    }

    /// Symmetric partitions: random halves, isolate one node, majority/minority, bridge, ring.
    pub fn partitions(self) -> Self {
        self.with(Kind::Partition)
    }

    /// One-way link cuts between two nodes.
    pub fn one_way_cuts(self) -> Self {
        self.with(Kind::OneWay)
    }

    /// Crash and restart.
    pub fn crashes(self) -> Self {
        self.with(Kind::Crash)
    }

    /// Crash in the middle of a disk write or sync (see [`Fault::CrashDuringIo`]), then
    /// restart: finds bugs in what a node does around its I/O, which a crash at a random
    /// instant rarely hits.
    pub fn crashes_during_io(self) -> Self {
        self.with(Kind::CrashDuringIo)
    }

    /// Crash losing every unsynced write, then restart.
    pub fn crash_wipes(self) -> Self {
        self.with(Kind::CrashWipe)
    }

    /// Pause and resume (a long GC pause).
    pub fn pauses(self) -> Self {
        self.with(Kind::Pause)
    }

    /// Clock steps of up to `max` forward or backward.
    pub fn clock_skew(self, max: Duration) -> Self {
        self.with(Kind::ClockStep(max))
    }

    /// Clock drift of up to `max` (0.05 = 5%) fast or slow, reset after the fault.
    pub fn clock_drift(self, max: f64) -> Self {
        self.with(Kind::ClockDrift(max))
    }

    /// Slow, lossy links for a while.
    pub fn link_faults(self) -> Self {
        self.with(Kind::LinkDegrade)
    }

    /// Protocol-aware isolation: `hook` picks the nodes to cut off (e.g. the current leader).
    pub fn isolate_target(
        self,
        name: &str,
        hook: impl Fn(&Handle) -> Vec<NodeId> + 'static,
    ) -> Self {
        self.with_hook(name, Rc::new(hook), Kind::Isolate)
    }

    /// Protocol-aware crash: `hook` picks the nodes to crash; they restart after the fault.
    pub fn crash_target(self, name: &str, hook: impl Fn(&Handle) -> Vec<NodeId> + 'static) -> Self {
        self.with_hook(name, Rc::new(hook), Kind::CrashTarget)
    }

    fn with_hook(mut self, name: &str, hook: TargetHook, kind: fn(usize) -> Kind) -> Self {
        self.hooks.push((name.to_string(), hook));
        let i = self.hooks.len() - 1;
        self.with(kind(i))
    }

    /// Time between one fault's recovery and the next fault, uniform in `[min, max]`.
    pub fn interval(mut self, min: Duration, max: Duration) -> Self {
        assert!(min <= max, "nemesis interval: min {min:?} > max {max:?}");
        self.interval = (min, max);
        self
    }

    /// How long each fault lasts before its recovery, uniform in `[min, max]`.
    pub fn fault_duration(mut self, min: Duration, max: Duration) -> Self {
        assert!(
            min <= max,
            "nemesis fault duration: min {min:?} > max {max:?}"
        );
        self.fault_duration = (min, max);
        self
    }

    /// No fault before this much time has passed.
    pub fn quiet_start(mut self, d: Duration) -> Self {
        self.quiet_start = d;
        self
    }

    /// Up to `streams` faults at once: that many independent fault sequences, each with its
    /// own random stream, merged in time order (the first is the one-stream schedule, so
    /// raising this adds faults without changing the others). Bugs that need two failures to
    /// overlap — a leader lost while another node is down — need more than one. Panics on 0.
    pub fn concurrency(mut self, streams: usize) -> Self {
        assert!(streams > 0, "nemesis concurrency must be at least 1");
        self.concurrency = streams;
        self
    }

    /// Swarm testing (as FoundationDB and TigerBeetle do): each seed draws its own fault mix —
    /// which of the configured kinds are on and how often each comes, how dense and how long
    /// the faults are, how many streams overlap (up to [`Nemesis::concurrency`]) — from its own
    /// random stream, so a uniform mix does not hide bugs that need one kind absent or frequent.
    /// The mix is recorded in the schedule (`Schedule::mix`); the schedule's events replay as
    /// they are. Off, every seed uses the configured mix.
    pub fn swarm(mut self, on: bool) -> Self {
        self.swarm = on;
        self
    }

    /// The mix this seed draws under swarm testing, and its description.
    fn swarm_mix(&self, seed: u64) -> (Nemesis, String) {
        let mut rng = crate::rand::stream(seed, "nemesis-swarm", "");
        let mut distinct: Vec<Kind> = Vec::new();
        for k in &self.kinds {
            if !distinct.contains(k) {
                distinct.push(*k);
            }
        }
        let mut mix = self.clone();
        mix.swarm = false;
        mix.kinds.clear();
        let mut parts = Vec::new();
        for k in &distinct {
            if rng.random_bool(0.5) {
                let weight = rng.random_range(1..=3);
                mix.kinds.extend(std::iter::repeat_n(*k, weight));
                parts.push(format!("{k:?} x{weight}"));
            }
        }
        if mix.kinds.is_empty() && !distinct.is_empty() {
            let k = distinct[rng.random_range(0..distinct.len())];
            mix.kinds.push(k);
            parts.push(format!("{k:?} x1"));
        }
        let density = [0.3, 1.0, 2.5][rng.random_range(0..3)];
        let length = [0.5, 1.0, 2.0][rng.random_range(0..3)];
        let scale = |(a, b): (Duration, Duration), f: f64| (a.mul_f64(f), b.mul_f64(f));
        mix.interval = scale(self.interval, density);
        mix.fault_duration = scale(self.fault_duration, length);
        mix.concurrency = rng.random_range(1..=self.concurrency);
        let text = format!(
            "{}; gaps x{density}, durations x{length}, {} stream(s)",
            parts.join(", "),
            mix.concurrency
        );
        (mix, text)
    }

    /// End with every fault removed and `settle` of calm, so recovery can be asserted.
    pub fn final_heal(mut self, settle: Duration) -> Self {
        self.final_heal = Some(settle);
        self
    }

    /// The schedule for a run of `duration` over `nodes`, from `seed` alone.
    pub fn generate(&self, seed: u64, nodes: &[String], duration: Duration) -> Schedule {
        if self.swarm {
            let (mix, text) = self.swarm_mix(seed);
            let mut schedule = mix.generate(seed, nodes, duration);
            schedule.mix = Some(text);
            return schedule;
        }
        let mut schedule = Schedule::default();
        let end = duration.saturating_sub(self.final_heal.unwrap_or_default());
        for stream in 0..self.concurrency {
            let name = if stream == 0 {
                String::new()
            } else {
                stream.to_string()
            };
            let mut rng = crate::rand::stream(seed, "nemesis", &name);
            self.generate_stream(&mut rng, nodes, end, &mut schedule);
        }
        if self.final_heal.is_some() {
            schedule.push(end, Fault::RecoverAll);
        }
        schedule
    }

    /// One sequence of faults, each followed by its recovery before the next starts.
    fn generate_stream(
        &self,
        rng: &mut ChaCha8Rng,
        nodes: &[String],
        end: Duration,
        schedule: &mut Schedule,
    ) {
        if self.kinds.is_empty() || nodes.is_empty() {
            return;
        }
        let mut t = self.quiet_start;
        loop {
            t += between(rng, self.interval);
            let length = between(rng, self.fault_duration);
            if t + length >= end {
                break;
            }
            let kind = self.kinds[rng.random_range(0..self.kinds.len())];
            self.emit(rng, kind, nodes, t, t + length, schedule);
            t += length;
        }
    }

    fn emit(
        &self,
        rng: &mut ChaCha8Rng,
        kind: Kind,
        nodes: &[String],
        at: Duration,
        until: Duration,
        s: &mut Schedule,
    ) {
        let pick = |rng: &mut ChaCha8Rng| nodes[rng.random_range(0..nodes.len())].clone();
        match kind {
            Kind::Partition => {
                let (shape, cut) = partition(rng, nodes);
                s.push(at, Fault::Partition { shape, cut });
                s.push(until, Fault::HealAll);
            }
            Kind::OneWay if nodes.len() >= 2 => {
                let mut two = nodes.to_vec();
                two.shuffle(rng);
                let (from, to) = (two[0].clone(), two[1].clone());
                s.push(
                    at,
                    Fault::Partition {
                        shape: format!("one-way {from}->{to}"),
                        cut: vec![(from, to)],
                    },
                );
                s.push(until, Fault::HealAll);
            }
            Kind::OneWay => {}
            Kind::Crash | Kind::CrashWipe | Kind::CrashDuringIo => {
                let node = pick(rng);
                let f = match kind {
                    Kind::Crash => Fault::Crash { node: node.clone() },
                    Kind::CrashWipe => Fault::CrashWipe { node: node.clone() },
                    _ => Fault::CrashDuringIo { node: node.clone() },
                };
                s.push(at, f);
                s.push(until, Fault::Restart { node });
            }
            Kind::Pause => {
                let node = pick(rng);
                s.push(at, Fault::Pause { node: node.clone() });
                s.push(until, Fault::Resume { node });
            }
            Kind::ClockStep(max) => {
                let max_ns = u64::try_from(max.as_nanos())
                    .unwrap_or(u64::MAX)
                    .min(i64::MAX as u64) as i64;
                let delta_ns = rng.random_range(-max_ns..=max_ns);
                s.push(
                    at,
                    Fault::ClockStep {
                        node: pick(rng),
                        delta_ns,
                    },
                );
            }
            Kind::ClockDrift(max) => {
                let node = pick(rng);
                s.push(
                    at,
                    Fault::ClockDrift {
                        node: node.clone(),
                        drift: rng.random_range(-max..=max),
                    },
                );
                s.push(until, Fault::ClockDrift { node, drift: 0.0 });
            }
            Kind::LinkDegrade if nodes.len() >= 2 => {
                let mut two = nodes.to_vec();
                two.shuffle(rng);
                let (from, to) = (two[0].clone(), two[1].clone());
                let latency_min_ns = rng.random_range(10_000_000..100_000_000);
                let latency_max_ns = latency_min_ns * 2;
                let loss = rng.random_range(0.1..0.6);
                s.push(
                    at,
                    Fault::LinkDegrade {
                        from: from.clone(),
                        to: to.clone(),
                        latency_min_ns,
                        latency_max_ns,
                        loss,
                    },
                );
                s.push(until, Fault::LinkRestore { from, to });
            }
            Kind::LinkDegrade => {}
            Kind::Isolate(i) => {
                s.push(
                    at,
                    Fault::IsolateTarget {
                        hook: self.hooks[i].0.clone(),
                    },
                );
                s.push(until, Fault::HealAll);
            }
            Kind::CrashTarget(i) => {
                s.push(
                    at,
                    Fault::CrashTarget {
                        hook: self.hooks[i].0.clone(),
                    },
                );
                s.push(until, Fault::RecoverAll);
            }
        }
    }
}

fn between(rng: &mut ChaCha8Rng, (min, max): (Duration, Duration)) -> Duration {
    let (a, b) = (min.as_nanos() as u64, max.as_nanos() as u64);
    Duration::from_nanos(if a == b { a } else { rng.random_range(a..=b) })
}

/// Cuts both directions between every node of `a` and every node of `b`.
fn cut_between(a: &[String], b: &[String]) -> Vec<(String, String)> {
    let mut cut = Vec::new();
    for x in a {
        for y in b {
            cut.push((x.clone(), y.clone()));
            cut.push((y.clone(), x.clone()));
        }
    }
    cut
}

fn set(nodes: &[String]) -> String {
    format!("{{{}}}", nodes.join(","))
}

/// One of five partition shapes over a shuffled node order.
fn partition(rng: &mut ChaCha8Rng, nodes: &[String]) -> (String, Vec<(String, String)>) {
    let mut order = nodes.to_vec();
    order.shuffle(rng);
    let n = order.len();
    if n < 2 {
        return ("none (one node)".into(), Vec::new());
    }
    match rng.random_range(0..5) {
        0 => {
            let k = rng.random_range(1..n);
            let (a, b) = order.split_at(k);
            (format!("halves {} | {}", set(a), set(b)), cut_between(a, b))
        }
        1 => {
            let (a, b) = order.split_at(1);
            (format!("isolate {}", a[0]), cut_between(a, b))
        }
        2 => {
            let (a, b) = order.split_at(n / 2);
            (
                format!("majority {} | minority {}", set(b), set(a)),
                cut_between(a, b),
            )
        }
        3 if n >= 3 => {
            let bridge = order[0].clone();
            let rest = &order[1..];
            let (a, b) = rest.split_at(rest.len() / 2);
            (
                format!("bridge {bridge} between {} and {}", set(a), set(b)),
                cut_between(a, b),
            )
        }
        _ => {
            let mut cut = Vec::new();
            for i in 0..n {
                for j in 0..n {
                    let adjacent = (i + 1) % n == j || (j + 1) % n == i;
                    if i != j && !adjacent {
                        cut.push((order[i].clone(), order[j].clone()));
                    }
                }
            }
            (format!("ring {}", order.join("-")), cut)
        }
    }
}
