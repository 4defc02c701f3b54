//! Deterministic generators of linearizable histories, for benchmarks and
//! tests. Histories come from simulating a real register (or key-value store
//! of registers) with random interleavings of invocations, linearization
//! points and completions, including crashed (`info`) operations.

use crate::{Event, EventType, History, Value};

/// A small seeded PRNG (SplitMix64): no OS randomness, same seed, same output.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// `true` with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < u64::from(per_mille)
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterSpec {
    /// Concurrent client processes.
    pub processes: usize,
    /// Operations to invoke in total.
    pub ops: usize,
    /// Number of keys (1 = a single register, no `key` field).
    pub keys: usize,
    /// Distinct values written (small domains make the search harder). Ignored when
    /// `unique_values` is set.
    pub values: u64,
    /// Whether every write writes a fresh value (1, 2, 3, ...; as in Jepsen's register tests
    /// with unique writes). Such histories with many overlapping processes are hard for the
    /// search and decided by the zone analysis instead.
    pub unique_values: bool,
    /// Whether to issue `cas` operations (else only read and write).
    pub cas: bool,
    /// Chance, per mille, that an operation ends as `info` (crash/timeout).
    pub info_per_mille: u32,
    /// PRNG seed.
    pub seed: u64,
}

impl RegisterSpec {
    /// A single read/write register.
    pub fn register(processes: usize, ops: usize, seed: u64) -> RegisterSpec {
        RegisterSpec {
            processes,
            ops,
            keys: 1,
            values: 10,
            unique_values: false,
            cas: false,
            info_per_mille: 20,
            seed,
        }
    }

    /// A single read/write register where every write writes a fresh value.
    pub fn unique_register(processes: usize, ops: usize, seed: u64) -> RegisterSpec {
        RegisterSpec {
            unique_values: true,
            ..RegisterSpec::register(processes, ops, seed)
        }
    }

    /// An etcd-like workload: cas-registers per key, many `info` operations.
    pub fn etcd_like(processes: usize, ops: usize, keys: usize, seed: u64) -> RegisterSpec {
        RegisterSpec {
            processes,
            ops,
            keys,
            values: 5,
            unique_values: false,
            cas: true,
            info_per_mille: 150,
            seed,
        }
    }
}

#[derive(Debug, Clone)]
struct Pending {
    f: &'static str,
    key: usize,
    value: Value,
    /// `Some(outcome)` once linearized: the `ok` value, or `None` for a failed cas.
    done: Option<Option<Value>>,
}

struct Sim {
    spec: RegisterSpec,
    rng: Rng,
    regs: Vec<Value>,
    ids: Vec<u64>,
    pending: Vec<Option<Pending>>,
    events: Vec<Event>,
    invoked: usize,
    /// The last fresh value written (with `unique_values`).
    fresh: i64,
}

/// Generates a linearizable history by simulating registers.
pub fn register_history(spec: &RegisterSpec) -> History {
    let mut sim = Sim {
        rng: Rng::new(spec.seed),
        regs: vec![Value::Null; spec.keys.max(1)],
        ids: (0..spec.processes as u64).collect(),
        pending: vec![None; spec.processes],
        events: Vec::with_capacity(spec.ops * 2),
        invoked: 0,
        fresh: 0,
        spec: spec.clone(),
    };
    while sim.invoked < spec.ops || sim.pending.iter().any(Option::is_some) {
        let p = sim.rng.below(spec.processes as u64) as usize;
        sim.act(p);
    }
    History::from_events(sim.events).expect("generated histories are well-formed")
}

impl Sim {
    fn act(&mut self, p: usize) {
        match self.pending[p].take() {
            None if self.invoked < self.spec.ops => self.invoke(p),
            None => {}
            Some(op) if self.rng.chance(self.spec.info_per_mille / 2) => {
                self.emit(p, EventType::Info, &op, op.value.clone())
            }
            Some(op) if op.done.is_none() => self.linearize(p, op),
            Some(op) => self.complete(p, op),
        }
    }

    fn invoke(&mut self, p: usize) {
        self.invoked += 1;
        let key = self.rng.below(self.regs.len() as u64) as usize;
        let roll = self.rng.below(if self.spec.cas { 3 } else { 2 });
        let v = |rng: &mut Rng, n: u64| Value::Int(rng.below(n) as i64);
        let (f, value) = match roll {
            0 => ("read", Value::Null),
            1 if self.spec.unique_values => {
                self.fresh += 1;
                ("write", Value::Int(self.fresh))
            }
            1 => ("write", v(&mut self.rng, self.spec.values)),
            _ => (
                "cas",
                Value::List(vec![
                    v(&mut self.rng, self.spec.values),
                    v(&mut self.rng, self.spec.values),
                ]),
            ),
        };
        let op = Pending {
            f,
            key,
            value: value.clone(),
            done: None,
        };
        self.emit(p, EventType::Invoke, &op, value);
        self.pending[p] = Some(op);
    }

    fn linearize(&mut self, p: usize, mut op: Pending) {
        let reg = &mut self.regs[op.key];
        op.done = Some(match op.f {
            "read" => Some(reg.clone()),
            "write" => {
                *reg = op.value.clone();
                Some(op.value.clone())
            }
            _ => {
                let [from, to] = op
                    .value
                    .as_list()
                    .and_then(|l| <&[Value; 2]>::try_from(l).ok())
                    .expect("cas pair")
                    .clone();
                (*reg == from).then(|| {
                    *reg = to;
                    op.value.clone()
                })
            }
        });
        self.pending[p] = Some(op);
    }

    fn complete(&mut self, p: usize, op: Pending) {
        match op.done.clone().flatten() {
            Some(v) => self.emit(p, EventType::Ok, &op, v),
            None => self.emit(p, EventType::Fail, &op, op.value.clone()),
        }
    }

    fn emit(&mut self, p: usize, kind: EventType, op: &Pending, value: Value) {
        let key = (self.spec.keys > 1).then(|| Value::Str(format!("k{}", op.key)));
        let time = Some(self.events.len() as u64 * 1000);
        self.events.push(Event {
            process: self.ids[p],
            kind,
            f: op.f.to_string(),
            key,
            value,
            time,
            line: None,
        });
        if kind == EventType::Info {
            // Jepsen retires a crashed process; its slot continues as a new one.
            self.ids[p] += self.spec.processes as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let spec = RegisterSpec::etcd_like(5, 200, 3, 7);
        assert_eq!(register_history(&spec), register_history(&spec));
        let h = register_history(&spec);
        assert_eq!(h.len(), 200);
    }

    #[test]
    fn rng_below_is_in_range() {
        let mut r = Rng::new(1);
        assert!((0..1000).all(|_| r.below(7) < 7));
    }
}
