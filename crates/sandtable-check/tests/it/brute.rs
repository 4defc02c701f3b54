//! An exhaustive, memo-free linearizability check written independently of
//! the crate's search: depth-first over every order consistent with
//! real-time, with each `info` op either placed somewhere or left out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use sandtable_check::{History, OpStatus, Value};

/// One operation as the brute force sees it.
#[derive(Debug, Clone)]
pub struct BOp {
    pub call: usize,
    /// `None` for unknown outcome.
    pub ret: Option<usize>,
    pub f: String,
    pub key: Value,
    pub input: Value,
    pub output: Option<Value>,
}

/// A sequential specification over plain `Value`s.
pub trait Spec {
    type S: Clone;
    fn init(&self) -> Self::S;
    fn apply(&self, s: &Self::S, op: &BOp) -> Option<Self::S>;
}

/// The brute-force verdict.
pub fn linearizable<P: Spec>(h: &History, spec: &P) -> bool {
    let ops: Vec<BOp> = h
        .ops()
        .iter()
        .filter(|op| op.status != OpStatus::Fail)
        .map(|op| BOp {
            call: op.invoke_index,
            ret: if op.status == OpStatus::Ok {
                op.complete_index
            } else {
                None
            },
            f: op.f.clone(),
            key: op.key.clone().unwrap_or(Value::Null),
            input: op.input.clone(),
            output: op.output.clone(),
        })
        .collect();
    let mut done = vec![false; ops.len()];
    dfs(&ops, &mut done, &spec.init(), spec)
}

fn dfs<P: Spec>(ops: &[BOp], done: &mut [bool], s: &P::S, spec: &P) -> bool {
    let deadline = ops
        .iter()
        .zip(done.iter())
        .filter(|(_, d)| !**d)
        .filter_map(|(op, _)| op.ret)
        .min();
    let Some(deadline) = deadline else {
        return true; // every ok op placed; remaining info ops never happened
    };
    for i in 0..ops.len() {
        if done[i] || ops[i].call > deadline {
            continue;
        }
        if let Some(next) = spec.apply(s, &ops[i]) {
            done[i] = true;
            let found = dfs(ops, done, &next, spec);
            done[i] = false;
            if found {
                return true;
            }
        }
    }
    false
}

/// Registers per key: read, write, cas.
pub struct Registers;

impl Spec for Registers {
    type S = BTreeMap<Value, Value>;
    fn init(&self) -> Self::S {
        BTreeMap::new()
    }
    fn apply(&self, s: &Self::S, op: &BOp) -> Option<Self::S> {
        let cur = s.get(&op.key).cloned().unwrap_or(Value::Null);
        let mut next = s.clone();
        match op.f.as_str() {
            "read" => match &op.output {
                None => Some(next),
                Some(v) => (*v == cur).then_some(next),
            },
            "write" => {
                next.insert(op.key.clone(), op.input.clone());
                Some(next)
            }
            "cas" => {
                let l = op.input.as_list().unwrap();
                if l[0] != cur {
                    return None;
                }
                next.insert(op.key.clone(), l[1].clone());
                Some(next)
            }
            f => panic!("unexpected {f}"),
        }
    }
}

/// A grow-only set.
pub struct SetSpec;

impl Spec for SetSpec {
    type S = BTreeSet<Value>;
    fn init(&self) -> Self::S {
        BTreeSet::new()
    }
    fn apply(&self, s: &Self::S, op: &BOp) -> Option<Self::S> {
        let mut next = s.clone();
        match (op.f.as_str(), &op.output) {
            ("add", _) => {
                next.insert(op.input.clone());
                Some(next)
            }
            ("read", None) => Some(next),
            ("read", Some(v)) => {
                let seen: BTreeSet<Value> = v.as_list().unwrap_or(&[]).iter().cloned().collect();
                (seen == *s).then_some(next)
            }
            (f, _) => panic!("unexpected {f}"),
        }
    }
}

/// A FIFO queue.
pub struct QueueSpec;

impl Spec for QueueSpec {
    type S = VecDeque<Value>;
    fn init(&self) -> Self::S {
        VecDeque::new()
    }
    fn apply(&self, s: &Self::S, op: &BOp) -> Option<Self::S> {
        let mut next = s.clone();
        match (op.f.as_str(), &op.output) {
            ("enqueue", _) => {
                next.push_back(op.input.clone());
                Some(next)
            }
            ("dequeue", None) => {
                next.pop_front();
                Some(next)
            }
            ("dequeue", Some(Value::Null)) => s.is_empty().then_some(next),
            ("dequeue", Some(v)) => (next.pop_front().as_ref() == Some(v)).then_some(next),
            (f, _) => panic!("unexpected {f}"),
        }
    }
}

/// Transactions over a map of registers (one-element lists) or lists.
pub struct TxnSpec {
    pub lists: bool,
}

impl Spec for TxnSpec {
    type S = BTreeMap<Value, Vec<Value>>;
    fn init(&self) -> Self::S {
        BTreeMap::new()
    }
    fn apply(&self, s: &Self::S, op: &BOp) -> Option<Self::S> {
        let mut next = s.clone();
        let micro = op.output.as_ref().unwrap_or(&op.input).as_list().unwrap();
        for m in micro {
            let [f, k, v] = m.as_list().unwrap() else {
                panic!("bad micro-op {m}")
            };
            let held = next.entry(k.clone()).or_default();
            match f.as_str().unwrap() {
                "r" if op.output.is_none() => {}
                "r" if self.lists => {
                    let seen = v.as_list().map_or(&[][..], |l| l);
                    if held.as_slice() != seen {
                        return None;
                    }
                }
                "r" => {
                    if held.first().unwrap_or(&Value::Null) != v {
                        return None;
                    }
                }
                "w" => *held = vec![v.clone()],
                "append" => held.push(v.clone()),
                f => panic!("unexpected {f}"),
            }
        }
        Some(next)
    }
}

/// A lock without an owner (Knossos's mutex).
pub struct MutexSpec;

impl Spec for MutexSpec {
    type S = bool;
    fn init(&self) -> bool {
        false
    }
    fn apply(&self, held: &bool, op: &BOp) -> Option<bool> {
        match op.f.as_str() {
            "acquire" => (!held).then_some(true),
            "release" => held.then_some(false),
            f => panic!("unexpected {f}"),
        }
    }
}

/// An integer counter.
pub struct CounterSpec;

impl Spec for CounterSpec {
    type S = i64;
    fn init(&self) -> i64 {
        0
    }
    fn apply(&self, s: &i64, op: &BOp) -> Option<i64> {
        match (op.f.as_str(), &op.output) {
            ("add", _) => Some(s + op.input.as_int().unwrap()),
            ("read", None) => Some(*s),
            ("read", Some(v)) => (v.as_int().unwrap_or(0) == *s).then_some(*s),
            (f, _) => panic!("unexpected {f}"),
        }
    }
}

/// Strings per key: get, put, append.
pub struct AppendSpec;

impl Spec for AppendSpec {
    type S = BTreeMap<Value, String>;
    fn init(&self) -> Self::S {
        BTreeMap::new()
    }
    fn apply(&self, s: &Self::S, op: &BOp) -> Option<Self::S> {
        let cur = s.get(&op.key).cloned().unwrap_or_default();
        let mut next = s.clone();
        let arg = op.input.as_str().unwrap_or("").to_string();
        match (op.f.as_str(), &op.output) {
            ("get", None) => Some(next),
            ("get", Some(v)) => (v.as_str().unwrap_or("") == cur).then_some(next),
            ("put", _) => {
                next.insert(op.key.clone(), arg);
                Some(next)
            }
            ("append", _) => {
                next.insert(op.key.clone(), cur + &arg);
                Some(next)
            }
            (f, _) => panic!("unexpected {f}"),
        }
    }
}
