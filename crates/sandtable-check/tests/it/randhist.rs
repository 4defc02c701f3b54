//! Small random histories for property tests: a simulated object driven by
//! random interleavings, with some `info` ops and some corrupted results.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use sandtable_check::gen::Rng;
use sandtable_check::{Event, EventType, History, Value};

/// Which object to simulate.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Register,
    CasRegister,
    Kv,
    Set,
    Queue,
    Counter,
    KvAppend,
    Mutex,
    RwTxn,
    /// Transactions over registers where every write writes a fresh value.
    RwTxnUnique,
    AppendTxn,
}

/// Shape of a random history.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub processes: usize,
    pub ops: usize,
    pub info_per_mille: u32,
    pub corrupt_per_mille: u32,
}

struct Obj {
    kind: Kind,
    regs: BTreeMap<Value, Value>,
    set: BTreeSet<Value>,
    queue: VecDeque<Value>,
    counter: i64,
    locked: bool,
    /// Transactions' keys: a register (one element) or a list.
    txn: BTreeMap<i64, Vec<Value>>,
    strings: BTreeMap<Value, String>,
    next: i64,
}

fn int(rng: &mut Rng, n: u64) -> Value {
    Value::Int(rng.below(n) as i64)
}

impl Obj {
    /// A random operation: (f, key, invoke value).
    fn random_op(&mut self, rng: &mut Rng) -> (&'static str, Option<Value>, Value) {
        let key = match self.kind {
            Kind::Kv | Kind::KvAppend => Some(Value::from(["x", "y"][rng.below(2) as usize])),
            _ => None,
        };
        self.next += 1;
        let (f, v) = match (self.kind, rng.below(3)) {
            (Kind::Register | Kind::CasRegister | Kind::Kv, 0) => ("read", Value::Null),
            (Kind::Register, _) | (Kind::CasRegister | Kind::Kv, 1) => ("write", int(rng, 3)),
            (Kind::CasRegister | Kind::Kv, _) => {
                ("cas", Value::List(vec![int(rng, 3), int(rng, 3)]))
            }
            (Kind::Set, 0) => ("read", Value::Null),
            (Kind::Set, _) => ("add", int(rng, 4)),
            (Kind::Queue, 0) => ("dequeue", Value::Null),
            (Kind::Queue, _) => ("enqueue", Value::Int(self.next)),
            (Kind::Counter, 0) => ("read", Value::Null),
            (Kind::Counter, _) => ("add", Value::Int(rng.below(3) as i64 + 1)),
            (Kind::KvAppend, 0) => ("get", Value::Null),
            (Kind::KvAppend, 1) => ("put", Value::from(format!("p{}", self.next % 3))),
            (Kind::KvAppend, _) => ("append", Value::from(format!("a{}", self.next % 3))),
            (Kind::RwTxn | Kind::RwTxnUnique | Kind::AppendTxn, _) => {
                let micro = (0..1 + rng.below(3))
                    .map(|_| {
                        let key = Value::Int(rng.below(3) as i64);
                        let (f, v) = match (self.kind, rng.below(2)) {
                            (_, 0) => ("r", Value::Null),
                            (Kind::RwTxn, _) => ("w", int(rng, 3)),
                            (Kind::RwTxnUnique, _) => {
                                self.next += 1;
                                ("w", Value::Int(self.next))
                            }
                            _ => {
                                self.next += 1;
                                ("append", Value::Int(self.next))
                            }
                        };
                        Value::List(vec![Value::from(f), key, v])
                    })
                    .collect();
                ("txn", Value::List(micro))
            }
            (Kind::Mutex, 0) => ("release", Value::Null),
            (Kind::Mutex, _) => ("acquire", Value::Null),
        };
        (f, key, v)
    }

    /// Applies an op atomically: (completion type, completion value).
    fn apply(&mut self, f: &str, key: &Option<Value>, v: &Value) -> (EventType, Value) {
        let k = key.clone().unwrap_or(Value::Null);
        match (f, self.kind) {
            ("read", Kind::Set) => (
                EventType::Ok,
                Value::List(self.set.iter().cloned().collect()),
            ),
            ("read", Kind::Counter) => (EventType::Ok, Value::Int(self.counter)),
            ("read", _) => (
                EventType::Ok,
                self.regs.get(&k).cloned().unwrap_or(Value::Null),
            ),
            ("write", _) => {
                self.regs.insert(k, v.clone());
                (EventType::Ok, v.clone())
            }
            ("cas", _) => {
                let l = v.as_list().unwrap();
                if self.regs.get(&k).unwrap_or(&Value::Null) != &l[0] {
                    return (EventType::Fail, v.clone());
                }
                self.regs.insert(k, l[1].clone());
                (EventType::Ok, v.clone())
            }
            ("add", Kind::Set) => {
                self.set.insert(v.clone());
                (EventType::Ok, v.clone())
            }
            ("add", _) => {
                self.counter += v.as_int().unwrap();
                (EventType::Ok, v.clone())
            }
            ("enqueue", _) => {
                self.queue.push_back(v.clone());
                (EventType::Ok, v.clone())
            }
            ("dequeue", _) => (EventType::Ok, self.queue.pop_front().unwrap_or(Value::Null)),
            ("get", _) => (
                EventType::Ok,
                Value::from(self.strings.get(&k).cloned().unwrap_or_default()),
            ),
            ("put", _) => {
                self.strings.insert(k, v.as_str().unwrap().to_string());
                (EventType::Ok, v.clone())
            }
            ("append", _) => {
                let s = self.strings.entry(k).or_default();
                s.push_str(v.as_str().unwrap());
                (EventType::Ok, v.clone())
            }
            ("txn", _) => {
                let lists = matches!(self.kind, Kind::AppendTxn);
                let out = v
                    .as_list()
                    .unwrap()
                    .iter()
                    .map(|m| {
                        let [f, k, x] = m.as_list().unwrap() else {
                            unreachable!()
                        };
                        let key = k.as_int().unwrap();
                        let held = self.txn.entry(key).or_default();
                        match f.as_str().unwrap() {
                            "r" if lists => {
                                Value::List(vec![f.clone(), k.clone(), Value::List(held.clone())])
                            }
                            "r" => Value::List(vec![
                                f.clone(),
                                k.clone(),
                                held.first().cloned().unwrap_or(Value::Null),
                            ]),
                            "w" => {
                                *held = vec![x.clone()];
                                m.clone()
                            }
                            _ => {
                                held.push(x.clone());
                                m.clone()
                            }
                        }
                    })
                    .collect();
                (EventType::Ok, Value::List(out))
            }
            // A try-lock: acquiring a held lock (or releasing a free one) fails.
            ("acquire" | "release", _) => {
                let acquire = f == "acquire";
                if self.locked == acquire {
                    return (EventType::Fail, Value::Null);
                }
                self.locked = acquire;
                (EventType::Ok, Value::Null)
            }
            _ => unreachable!(),
        }
    }

    /// A plausible but possibly wrong result.
    fn corrupt(&self, rng: &mut Rng, f: &str, kind: EventType, value: Value) -> (EventType, Value) {
        match f {
            "cas" | "acquire" | "release" => (
                if kind == EventType::Ok {
                    EventType::Fail
                } else {
                    EventType::Ok
                },
                value,
            ),
            "read" if matches!(self.kind, Kind::Set) => (
                kind,
                Value::List((0..4).filter(|_| rng.chance(500)).map(Value::Int).collect()),
            ),
            "read" | "dequeue" => (
                kind,
                if rng.chance(200) {
                    Value::Null
                } else {
                    int(rng, 5)
                },
            ),
            "txn" => {
                // Change what one read saw.
                let mut micro = value.as_list().unwrap().to_vec();
                let reads: Vec<usize> = (0..micro.len())
                    .filter(|&i| micro[i].as_list().unwrap()[0] == Value::from("r"))
                    .collect();
                if !reads.is_empty() {
                    let i = reads[rng.below(reads.len() as u64) as usize];
                    let mut m = micro[i].as_list().unwrap().to_vec();
                    m[2] = match &m[2] {
                        Value::List(l) if !l.is_empty() && rng.chance(500) => {
                            Value::List(l[..l.len() - 1].to_vec())
                        }
                        Value::List(l) => {
                            let mut l = l.clone();
                            l.push(Value::Int(rng.below(6) as i64 + 1));
                            Value::List(l)
                        }
                        _ => int(rng, 3),
                    };
                    micro[i] = Value::List(m);
                }
                (kind, Value::List(micro))
            }
            "get" => (
                kind,
                Value::from(["", "p0", "a1", "p1a2"][rng.below(4) as usize]),
            ),
            _ => (kind, value),
        }
    }
}

#[derive(Clone)]
struct Pending {
    f: &'static str,
    key: Option<Value>,
    value: Value,
    result: Option<(EventType, Value)>,
}

/// Generates a history of `shape` for `kind` from `seed`.
pub fn history(kind: Kind, shape: Shape, seed: u64) -> History {
    let mut rng = Rng::new(seed);
    let mut obj = Obj {
        kind,
        regs: BTreeMap::new(),
        set: BTreeSet::new(),
        queue: VecDeque::new(),
        counter: 0,
        locked: false,
        txn: BTreeMap::new(),
        strings: BTreeMap::new(),
        next: 0,
    };
    let mut ids: Vec<u64> = (0..shape.processes as u64).collect();
    let mut pending: Vec<Option<Pending>> = vec![None; shape.processes];
    let mut events = Vec::new();
    let mut invoked = 0;
    let emit = |events: &mut Vec<Event>, p: u64, kind, op: &Pending, value| {
        events.push(Event {
            process: p,
            kind,
            f: op.f.to_string(),
            key: op.key.clone(),
            value,
            time: None,
            line: None,
        });
    };
    while invoked < shape.ops || pending.iter().any(Option::is_some) {
        let p = rng.below(shape.processes as u64) as usize;
        match pending[p].take() {
            None if invoked < shape.ops => {
                invoked += 1;
                let (f, key, value) = obj.random_op(&mut rng);
                let op = Pending {
                    f,
                    key,
                    value: value.clone(),
                    result: None,
                };
                emit(&mut events, ids[p], EventType::Invoke, &op, value);
                pending[p] = Some(op);
            }
            None => {}
            Some(op) if rng.chance(shape.info_per_mille) => {
                emit(&mut events, ids[p], EventType::Info, &op, op.value.clone());
                ids[p] += shape.processes as u64;
            }
            Some(mut op) if op.result.is_none() => {
                let (k, v) = obj.apply(op.f, &op.key, &op.value);
                op.result = Some(if rng.chance(shape.corrupt_per_mille) {
                    obj.corrupt(&mut rng, op.f, k, v)
                } else {
                    (k, v)
                });
                pending[p] = Some(op);
            }
            Some(op) => {
                let (k, v) = op.result.clone().unwrap();
                emit(&mut events, ids[p], k, &op, v);
            }
        }
    }
    History::from_events(events).unwrap()
}
