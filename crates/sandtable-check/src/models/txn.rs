//! [`Txn`]: transactions over many keys — Jepsen's `rw-register` (Knossos's `multi-register`)
//! and `list-append` workloads, checked for strict serializability: every transaction is one
//! atomic operation of a map of registers (or lists), and the whole history must be
//! linearizable.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::Partition;
use crate::models::shape::unknown_f;
use crate::{Interner, Model, Op, OpStatus, ShapeError, Value};

/// One step of a transaction; keys and values are [`Interner`] ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MicroOp {
    /// A read of `key` that returned `seen` (the list, or the register's value as a one-element
    /// list; empty for `nil`), or `None` when the transaction's outcome is unknown.
    Read {
        /// The key.
        key: u32,
        /// What the read returned.
        seen: Option<Seen>,
    },
    /// `key` := `value` (`None`: `nil`, the key becomes unset).
    Write {
        /// The key.
        key: u32,
        /// The value written.
        value: Option<u32>,
    },
    /// `value` appended to the list at `key`.
    Append {
        /// The key.
        key: u32,
        /// The element appended.
        value: u32,
    },
}

/// What a read returned: the elements, and their hash as a [`List`] would have it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Seen {
    items: Arc<[u32]>,
    hash: u64,
}

/// A persistent list (newest element first, sharing its tail with the lists it was appended
/// to), with its length and a hash of its contents kept in every node: appending, hashing and
/// comparing two lists with a shared tail take O(1) or close to it, whatever the length.
#[derive(Debug, Clone)]
struct Node {
    value: u32,
    len: u32,
    hash: u64,
    prev: Option<Arc<Node>>,
}

fn extend_hash(hash: u64, value: u32) -> u64 {
    (hash ^ (u64::from(value) + 1)).wrapping_mul(0x100_0000_01b3)
}

/// A key's content: `None` when unset (or empty).
type List = Option<Arc<Node>>;

fn push(list: &List, value: u32) -> List {
    let (len, hash) = list.as_ref().map_or((0, 0), |n| (n.len, n.hash));
    Some(Arc::new(Node {
        value,
        len: len + 1,
        hash: extend_hash(hash, value),
        prev: list.clone(),
    }))
}

fn list_hash(list: &List) -> u64 {
    list.as_ref().map_or(0, |n| n.hash)
}

fn list_len(list: &List) -> usize {
    list.as_ref().map_or(0, |n| n.len as usize)
}

/// Whether two lists hold the same elements (shared tails are recognised at once).
fn same(a: &List, b: &List) -> bool {
    let (mut a, mut b) = (a.as_ref(), b.as_ref());
    loop {
        match (a, b) {
            (None, None) => return true,
            (Some(x), Some(y)) => {
                if Arc::ptr_eq(x, y) {
                    return true;
                }
                if x.len != y.len || x.hash != y.hash || x.value != y.value {
                    return false;
                }
                (a, b) = (x.prev.as_ref(), y.prev.as_ref());
            }
            _ => return false,
        }
    }
}

/// Whether `list` holds exactly what a read saw.
fn holds(list: &List, seen: &Seen) -> bool {
    if list_len(list) != seen.items.len() || list_hash(list) != seen.hash {
        return false;
    }
    let mut node = list.as_ref();
    for &v in seen.items.iter().rev() {
        match node {
            Some(n) if n.value == v => node = n.prev.as_ref(),
            _ => return false,
        }
    }
    true
}

fn to_vec(list: &List) -> Vec<u32> {
    let mut out = Vec::with_capacity(list_len(list));
    let mut node = list.as_ref();
    while let Some(n) = node {
        out.push(n.value);
        node = n.prev.as_ref();
    }
    out.reverse();
    out
}

/// The model's state: key → list (a register holds a one-element list); unset keys are
/// absent. It keeps an order-independent hash of its entries, updated on every change, so that
/// hashing it is O(1).
#[derive(Debug, Clone)]
pub struct TxnState {
    map: Arc<BTreeMap<u32, Arc<Node>>>,
    hash: u64,
}

fn entry_hash(key: u32, list: &List) -> u64 {
    extend_hash(list_hash(list) ^ 0x9e37_79b9_7f4a_7c15, key).rotate_left(17)
}

impl TxnState {
    fn get(&self, key: u32) -> List {
        self.map.get(&key).cloned()
    }

    /// Sets `key` to `list` in `map` (a working copy), keeping `hash` up to date.
    fn set(map: &mut BTreeMap<u32, Arc<Node>>, hash: &mut u64, key: u32, list: List) {
        let old = map.get(&key).cloned();
        *hash = hash
            .wrapping_sub(entry_hash(key, &old))
            .wrapping_add(entry_hash(key, &list));
        match list {
            Some(node) => map.insert(key, node),
            None => map.remove(&key),
        };
    }
}

impl PartialEq for TxnState {
    fn eq(&self, other: &TxnState) -> bool {
        self.hash == other.hash
            && (Arc::ptr_eq(&self.map, &other.map)
                || (self.map.len() == other.map.len()
                    && self
                        .map
                        .iter()
                        .zip(other.map.iter())
                        .all(|((ka, a), (kb, b))| {
                            ka == kb && same(&Some(a.clone()), &Some(b.clone()))
                        })))
    }
}

impl Eq for TxnState {}

impl std::hash::Hash for TxnState {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.hash.hash(state);
    }
}

/// Transactions (`f` = `txn`; value = a list of micro-operations `[f key value]`) over a map of
/// registers or lists, empty initially.
///
/// - [`Txn::rw_register`] (model names `rw-register`, `multi-register`): micro-operations
///   `[:r k v]` / `[:read k v]` (a read of `k` that returned `v`, `nil` if unset) and
///   `[:w k v]` / `[:write k v]`.
/// - [`Txn::list_append`] (model name `list-append`): `[:r k [v1 v2 ...]]` (the whole list;
///   `nil` and `[]` are the empty list) and `[:append k v]`.
///
/// The invocation carries the writes (its reads are usually `nil`), the `ok` completion the
/// values read. A transaction is atomic and takes effect between its invocation and its
/// completion, so a history is accepted exactly when it is strictly serializable. Transactions
/// touching disjoint sets of keys (transitively) are checked separately.
///
/// ```
/// use sandtable_check::{check, models::Txn, CheckOptions, History, Format, Verdict};
///
/// // T1 appends 1 to x and 2 to y; T2, after T1 finished, sees y's append but not x's.
/// let h = History::parse("
/// {:process 0, :type :invoke, :f :txn, :value [[:append :x 1] [:append :y 2]]}
/// {:process 0, :type :ok, :f :txn, :value [[:append :x 1] [:append :y 2]]}
/// {:process 1, :type :invoke, :f :txn, :value [[:r :x nil] [:r :y nil]]}
/// {:process 1, :type :ok, :f :txn, :value [[:r :x []] [:r :y [2]]]}
/// ", Format::Edn).unwrap();
/// let r = check(&h, &Txn::list_append(), &CheckOptions::default());
/// assert_eq!(r.verdict, Verdict::NotLinearizable);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Txn {
    lists: bool,
}

impl Txn {
    /// Registers: `r` / `w` micro-operations.
    pub fn rw_register() -> Txn {
        Txn { lists: false }
    }

    /// Lists: `r` / `append` micro-operations.
    pub fn list_append() -> Txn {
        Txn { lists: true }
    }
}

/// The micro-operations of a transaction's value.
fn micro_ops(v: &Value) -> Result<&[Value], ShapeError> {
    v.as_list().ok_or_else(|| {
        ShapeError::new(format!(
            "a txn value must be a list of micro-operations such as [[\"r\", \"x\", null], [\"w\", \"x\", 1]], found {v}"
        ))
    })
}

/// `[f key value]` of one micro-operation.
fn triple(m: &Value) -> Result<(&str, &Value, &Value), ShapeError> {
    match m.as_list() {
        Some([f, k, v]) if f.as_str().is_some() => Ok((f.as_str().unwrap_or_default(), k, v)),
        _ => Err(ShapeError::new(format!(
            "a micro-operation must be [f key value], found {m}"
        ))),
    }
}

impl Txn {
    fn is_read(f: &str) -> bool {
        matches!(f, "r" | "read")
    }

    /// What a read returned, as the list the state is compared with.
    fn seen(&self, v: &Value, values: &mut Interner) -> Result<Seen, ShapeError> {
        let items: Arc<[u32]> = match (v, self.lists) {
            (Value::Null, _) => Arc::from(Vec::new()),
            (v, false) => Arc::from(vec![values.intern(v)]),
            (Value::List(items), true) => items.iter().map(|x| values.intern(x)).collect(),
            (v, true) => {
                return Err(ShapeError::new(format!(
                    "a list-append read must return a list (or nil), found {v}"
                )))
            }
        };
        let hash = items.iter().fold(0, |h, &x| extend_hash(h, x));
        Ok(Seen { items, hash })
    }

    fn show(&self, items: &[u32], values: &Interner) -> String {
        if self.lists {
            Value::List(items.iter().map(|&x| values.value(x).clone()).collect()).to_string()
        } else {
            items
                .first()
                .map_or(Value::Null, |&x| values.value(x).clone())
                .to_string()
        }
    }

    /// Runs `input` from `state`: the next state, or the first read that fails (its index in
    /// `input`, what its key held).
    fn run(&self, state: &TxnState, input: &[MicroOp]) -> Result<TxnState, (usize, List)> {
        let mut next: Option<(BTreeMap<u32, Arc<Node>>, u64)> = None;
        for (i, m) in input.iter().enumerate() {
            let get = |key: u32| match &next {
                Some((map, _)) => map.get(&key).cloned(),
                None => state.get(key),
            };
            match m {
                MicroOp::Read { seen: None, .. } => {}
                MicroOp::Read {
                    key,
                    seen: Some(seen),
                } => {
                    let held = get(*key);
                    if !holds(&held, seen) {
                        return Err((i, held));
                    }
                }
                MicroOp::Write { key, value } => {
                    let list = value.and_then(|v| push(&None, v));
                    let (map, hash) =
                        next.get_or_insert_with(|| ((*state.map).clone(), state.hash));
                    TxnState::set(map, hash, *key, list);
                }
                MicroOp::Append { key, value } => {
                    let list = push(&get(*key), *value);
                    let (map, hash) =
                        next.get_or_insert_with(|| ((*state.map).clone(), state.hash));
                    TxnState::set(map, hash, *key, list);
                }
            }
        }
        Ok(match next {
            Some((map, hash)) => TxnState {
                map: Arc::new(map),
                hash,
            },
            None => state.clone(),
        })
    }

    fn expected(&self) -> &'static str {
        if self.lists {
            "txn with micro-operations r and append"
        } else {
            "txn with micro-operations r and w"
        }
    }
}

impl Model for Txn {
    type State = TxnState;
    type Input = Vec<MicroOp>;

    fn name(&self) -> &str {
        if self.lists {
            "list-append"
        } else {
            "rw-register"
        }
    }

    fn init(&self) -> TxnState {
        TxnState {
            map: Arc::new(BTreeMap::new()),
            hash: 0,
        }
    }

    fn prepare(&self, op: &Op, values: &mut Interner) -> Result<Vec<MicroOp>, ShapeError> {
        if !matches!(op.f.as_str(), "txn" | "transaction") {
            return Err(unknown_f(self.name(), op, self.expected()));
        }
        let invoked = micro_ops(&op.input)?;
        let completed = match (&op.output, op.status) {
            (Some(out), OpStatus::Ok) => {
                let out = micro_ops(out)?;
                if out.len() != invoked.len() && !invoked.is_empty() {
                    return Err(ShapeError::new(format!(
                        "the completion lists {} micro-operations but the invocation {}",
                        out.len(),
                        invoked.len()
                    )));
                }
                Some(out)
            }
            _ => None,
        };
        // The completion has the reads' values; the invocation the writes (Jepsen repeats
        // them in the completion). A completion may stand alone if the invocation was nil.
        let steps = completed.unwrap_or(invoked);
        let mut compiled = Vec::with_capacity(steps.len());
        for (i, m) in steps.iter().enumerate() {
            let (f, k, v) = triple(m)?;
            if let Some(inv) = invoked.get(i) {
                let (fi, ki, _) = triple(inv)?;
                if fi != f || ki != k {
                    return Err(ShapeError::new(format!(
                        "micro-operation {i} is {inv} in the invocation but {m} in the completion"
                    )));
                }
            }
            let key = values.intern(k);
            compiled.push(match f {
                f if Txn::is_read(f) => MicroOp::Read {
                    key,
                    seen: match completed {
                        Some(_) => Some(self.seen(v, values)?),
                        None => None,
                    },
                },
                "w" | "write" if !self.lists => MicroOp::Write {
                    key,
                    value: (!v.is_null()).then(|| values.intern(v)),
                },
                "append" if self.lists => {
                    if v.is_null() {
                        return Err(ShapeError::new("an appended element must not be nil"));
                    }
                    MicroOp::Append {
                        key,
                        value: values.intern(v),
                    }
                }
                other => {
                    return Err(ShapeError::new(format!(
                        "unknown micro-operation {other:?} for the {} model (expected {})",
                        self.name(),
                        if self.lists { "r or append" } else { "r or w" }
                    )))
                }
            });
        }
        Ok(compiled)
    }

    fn step(&self, state: &TxnState, input: &Vec<MicroOp>) -> Option<TxnState> {
        self.run(state, input).ok()
    }

    fn is_noop(&self, input: &Vec<MicroOp>) -> bool {
        input
            .iter()
            .all(|m| matches!(m, MicroOp::Read { seen: None, .. }))
    }

    fn is_read_only(&self, input: &Vec<MicroOp>) -> bool {
        input.iter().all(|m| matches!(m, MicroOp::Read { .. }))
    }

    /// Transactions are grouped by the keys they touch, transitively: groups share no key,
    /// so each is an independent object.
    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        let keys_of = |op: &Op| -> Vec<Value> {
            let list = match (&op.output, op.input.as_list()) {
                (_, Some(l)) if !l.is_empty() => l,
                (Some(out), _) => out.as_list().unwrap_or(&[]),
                _ => &[],
            };
            list.iter()
                .filter_map(|m| triple(m).ok().map(|(_, k, _)| k.clone()))
                .collect()
        };
        // Union-find over keys; ops without parsable keys get a group of their own.
        let mut index: BTreeMap<Value, usize> = BTreeMap::new();
        let mut parent: Vec<usize> = Vec::new();
        fn find(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut op_root = Vec::with_capacity(ops.len());
        for op in ops {
            let mut root = None;
            for k in keys_of(op) {
                let i = *index.entry(k).or_insert_with(|| {
                    parent.push(parent.len());
                    parent.len() - 1
                });
                let i = find(&mut parent, i);
                match root {
                    None => root = Some(i),
                    Some(r) if r != i => parent[i] = r,
                    Some(_) => {}
                }
            }
            op_root.push(root);
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut keys: BTreeMap<usize, Vec<Value>> = BTreeMap::new();
        for (k, &i) in &index {
            let r = find(&mut parent, i);
            keys.entry(r).or_default().push(k.clone());
        }
        let mut alone = Vec::new();
        for (op, root) in ops.iter().zip(op_root) {
            match root {
                Some(r) => groups.entry(find(&mut parent, r)).or_default().push(op.id),
                None => alone.push(op.id),
            }
        }
        let mut parts: Vec<Partition> = groups
            .into_iter()
            .map(|(r, ops)| {
                let mut ks = keys.remove(&r).unwrap_or_default();
                Partition {
                    key: Some(if ks.len() == 1 {
                        ks.remove(0)
                    } else {
                        Value::List(ks)
                    }),
                    ops,
                }
            })
            .collect();
        parts.extend(alone.into_iter().map(|id| Partition {
            key: None,
            ops: vec![id],
        }));
        parts.sort_by_key(|p| p.ops[0]);
        parts
    }

    fn describe(&self, state: &TxnState, values: &Interner) -> String {
        let entries: Vec<String> = state
            .map
            .iter()
            .map(|(&k, l)| {
                let items = to_vec(&Some(l.clone()));
                format!("{} {}", values.value(k), self.show(&items, values))
            })
            .collect();
        format!("{{{}}}", entries.join(", "))
    }

    fn why_not(&self, state: &TxnState, input: &Vec<MicroOp>, values: &Interner) -> String {
        if let Err((i, held)) = self.run(state, input) {
            if let MicroOp::Read {
                key,
                seen: Some(seen),
            } = &input[i]
            {
                return format!(
                    "key {} holds {}, but the transaction read {}",
                    values.value(*key),
                    self.show(&to_vec(&held), values),
                    self.show(&seen.items, values)
                );
            }
        }
        format!("model state is {}", self.describe(state, values))
    }
}
