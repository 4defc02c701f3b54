//! [`Txn`]: transactions over many keys — Jepsen's `rw-register` (Knossos's `multi-register`)
//! and `list-append` workloads, checked for strict serializability: every transaction is one
//! atomic operation of a map of registers (or lists), and the whole history must be
//! linearizable.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{Partition, Timed};
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
        /// Where reads saw the element, if some read did: the length the list must have when
        /// it is appended (see [`Model::survey`]).
        at: Option<u32>,
    },
}

/// What a read returned: the elements, and their hash as the state's lists keep it.
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

/// Shards of the state's map: a change copies one shard and the shard table, not the map.
const SHARDS: usize = 64;

type Shard = Arc<BTreeMap<u32, Arc<Node>>>;

/// The model's state: key → list (a register holds a one-element list); unset keys are
/// absent. The map is split in 64 persistent shards by key, so a transaction copies
/// only the shards it changes however many keys the history has, and the state keeps an
/// order-independent hash of its entries, updated on every change, so hashing it is O(1).
#[derive(Debug, Clone)]
pub struct TxnState {
    shards: Arc<[Shard]>,
    hash: u64,
}

fn entry_hash(key: u32, list: &List) -> u64 {
    extend_hash(list_hash(list) ^ 0x9e37_79b9_7f4a_7c15, key).rotate_left(17)
}

fn shard_of(key: u32) -> usize {
    key as usize % SHARDS
}

impl TxnState {
    fn get(shards: &[Shard], key: u32) -> List {
        shards[shard_of(key)].get(&key).cloned()
    }

    /// Sets `key` to `list` in `shards` (a working copy), keeping `hash` up to date.
    fn set(shards: &mut [Shard], hash: &mut u64, key: u32, list: List) {
        let shard = Arc::make_mut(&mut shards[shard_of(key)]);
        let old = shard.get(&key).cloned();
        *hash = hash
            .wrapping_sub(entry_hash(key, &old))
            .wrapping_add(entry_hash(key, &list));
        match list {
            Some(node) => shard.insert(key, node),
            None => shard.remove(&key),
        };
    }

    /// Every entry, by key id.
    fn entries(&self) -> Vec<(u32, List)> {
        let mut all: Vec<(u32, List)> = self
            .shards
            .iter()
            .flat_map(|s| s.iter().map(|(&k, l)| (k, Some(l.clone()))))
            .collect();
        all.sort_by_key(|(k, _)| *k);
        all
    }
}

impl PartialEq for TxnState {
    fn eq(&self, other: &TxnState) -> bool {
        self.hash == other.hash
            && (Arc::ptr_eq(&self.shards, &other.shards)
                || self.shards.iter().zip(other.shards.iter()).all(|(a, b)| {
                    Arc::ptr_eq(a, b)
                        || (a.len() == b.len()
                            && a.iter().zip(b.iter()).all(|((ka, la), (kb, lb))| {
                                ka == kb && same(&Some(la.clone()), &Some(lb.clone()))
                            }))
                }))
    }
}

impl Eq for TxnState {}

impl std::hash::Hash for TxnState {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.hash.hash(state);
    }
}

/// The `ok` operations as (return event, index in `ops`), in the order they returned.
fn by_return<I>(ops: &[Timed<'_, I>]) -> Vec<(usize, usize)> {
    let mut done: Vec<(usize, usize)> = ops
        .iter()
        .enumerate()
        .filter_map(|(local, op)| Some((op.ret?, local)))
        .collect();
    done.sort_unstable();
    done
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
#[derive(Debug, Clone)]
pub struct Txn {
    lists: bool,
    /// Per key, each element's index in the lists that reads returned: known from the whole
    /// history ([`Model::survey`]) when every element is appended to its key at most once.
    positions: Option<Arc<BTreeMap<Value, BTreeMap<Value, u32>>>>,
    /// Whether every value is written to its key at most once, none of them `nil` (known from
    /// the whole history, for `rw-register`).
    unique_writes: bool,
}

impl Txn {
    /// Registers: `r` / `w` micro-operations.
    pub fn rw_register() -> Txn {
        Txn {
            lists: false,
            positions: None,
            unique_writes: false,
        }
    }

    /// Lists: `r` / `append` micro-operations.
    pub fn list_append() -> Txn {
        Txn {
            lists: true,
            positions: None,
            unique_writes: false,
        }
    }

    /// The elements' positions that reads reveal, if every element is appended at most once
    /// per key (by operations that did not fail): then an element seen at index `i` was
    /// appended to a list of exactly `i` elements, in every order where that read succeeds.
    fn positions(ops: &[Op]) -> Option<BTreeMap<Value, BTreeMap<Value, u32>>> {
        if !Txn::unique_updates(ops, &["append"]) {
            return None;
        }
        let mut positions: BTreeMap<Value, BTreeMap<Value, u32>> = BTreeMap::new();
        for op in ops.iter().filter(|op| op.status != OpStatus::Fail) {
            let Some(out) = op.output.as_ref().and_then(Value::as_list) else {
                continue;
            };
            for m in out {
                if let Ok((f, k, Value::List(seen))) = triple(m) {
                    if Txn::is_read(f) {
                        let at = positions.entry(k.clone()).or_default();
                        for (i, v) in seen.iter().enumerate() {
                            at.entry(v.clone()).or_insert(i as u32);
                        }
                    }
                }
            }
        }
        Some(positions)
    }

    /// Anomalies of list-append histories that need no search (when every element is appended
    /// once per key): a read that returns an element twice, an element nobody appended, an
    /// element whose append was invoked only after the read returned, a read missing an
    /// element appended by a transaction that returned before the read was invoked, and two
    /// reads of a key that disagree on the order of its elements.
    fn list_anomaly(
        &self,
        ops: &[Timed<'_, Vec<MicroOp>>],
        values: &Interner,
    ) -> Option<(usize, String)> {
        self.positions.as_ref()?;
        // Per key: element → (appending op, its invocation); and per position, the appends.
        let mut appender: BTreeMap<(u32, u32), (usize, usize)> = BTreeMap::new();
        let mut by_position: BTreeMap<u32, Vec<(u32, usize, usize)>> = BTreeMap::new();
        for (local, op) in ops.iter().enumerate() {
            for m in op.input {
                if let MicroOp::Append { key, value, at } = *m {
                    appender.insert((key, value), (local, op.call));
                    if let (Some(at), Some(ret)) = (at, op.ret) {
                        by_position.entry(key).or_default().push((at, ret, local));
                    }
                }
            }
        }
        // Earliest return among the ok appends at position >= p, per key (suffix minima).
        let earliest: BTreeMap<u32, Vec<(u32, usize, usize)>> = by_position
            .into_iter()
            .map(|(key, mut appends)| {
                appends.sort_unstable_by_key(|a| std::cmp::Reverse(a.0));
                let mut best: Option<(usize, usize)> = None;
                let suffix = appends
                    .into_iter()
                    .map(|(at, ret, local)| {
                        if best.is_none_or(|(r, _)| ret < r) {
                            best = Some((ret, local));
                        }
                        let (ret, local) = best.expect("just set");
                        (at, ret, local)
                    })
                    .collect();
                (key, suffix)
            })
            .collect();
        let mut longest: BTreeMap<u32, (&[u32], usize)> = BTreeMap::new();
        let reads = by_return(ops);
        let v = |id: u32| values.value(id);
        for (ret, local) in reads {
            let op = &ops[local];
            for m in op.input {
                let MicroOp::Read {
                    key,
                    seen: Some(seen),
                } = m
                else {
                    continue;
                };
                let items = &seen.items[..];
                let k = v(*key);
                let mut distinct = std::collections::BTreeSet::new();
                for &x in items {
                    if !distinct.insert(x) {
                        return Some((
                            local,
                            format!(
                                "it read {} twice in key {k}, where each element is appended once",
                                v(x)
                            ),
                        ));
                    }
                    match appender.get(&(*key, x)) {
                        None => {
                            return Some((local, format!("it read {} in key {k}, which no transaction appended to it", v(x))))
                        }
                        Some(&(by, call)) if call > ret => {
                            return Some((local, format!(
                                "it read {} in key {k}, appended by op #{}, which was invoked only after this read returned",
                                v(x), ops[by].id
                            )))
                        }
                        Some(_) => {}
                    }
                }
                if let Some(suffix) = earliest.get(key) {
                    // The appends at positions >= items.len(): suffix is sorted by position,
                    // descending; find the last entry with position >= len.
                    let n = suffix.partition_point(|&(at, _, _)| at as usize >= items.len());
                    if n > 0 {
                        let (_, done, by) = suffix[n - 1];
                        if done < op.call && by != local {
                            let appended = ops[by].input.iter().find_map(|m| match *m {
                                MicroOp::Append {
                                    key: k2,
                                    value,
                                    at: Some(at),
                                } if k2 == *key && at as usize >= items.len() => Some((value, at)),
                                _ => None,
                            });
                            if let Some((x, at)) = appended {
                                return Some((local, format!(
                                    "it read {} element(s) of key {k}, but op #{} had appended {} at position {at} and returned before this read was invoked",
                                    items.len(), ops[by].id, v(x)
                                )));
                            }
                        }
                    }
                }
                match longest.get(key) {
                    Some(&(other, _)) if other.len() >= items.len() => {
                        if other[..items.len()] != *items {
                            return Some((local, format!(
                                "it read key {k} as {}, which is not a prefix of {} read by an earlier-returning transaction: the two disagree on the order of the appends",
                                self.show(items, values), self.show(other, values)
                            )));
                        }
                    }
                    Some(&(other, _)) if items[..other.len()] != *other => {
                        return Some((local, format!(
                            "it read key {k} as {}, which does not extend {} read by an earlier-returning transaction: the two disagree on the order of the appends",
                            self.show(items, values), self.show(other, values)
                        )));
                    }
                    _ => {
                        longest.insert(*key, (items, local));
                    }
                }
            }
        }
        None
    }

    /// Anomalies of rw-register histories that need no search (when every value is written to
    /// its key once, none `nil`): a read of a value nobody wrote, of a value whose write was
    /// invoked only after the read returned, of `nil` after a write of the key returned before
    /// the read was invoked, and a stale read — of a value `v` when another write of the key
    /// began after `v`'s write returned and itself returned before the read began.
    fn register_anomaly(
        &self,
        ops: &[Timed<'_, Vec<MicroOp>>],
        values: &Interner,
    ) -> Option<(usize, String)> {
        if !self.unique_writes {
            return None;
        }
        // Per (key, value): the writing op. Per key: the ok writes as (call, ret, op), by call,
        // with the earliest return among the writes invoked at or after each one.
        let mut writer: BTreeMap<(u32, u32), usize> = BTreeMap::new();
        let mut writes: BTreeMap<u32, Vec<(usize, usize, usize)>> = BTreeMap::new();
        for (local, op) in ops.iter().enumerate() {
            for m in op.input {
                if let MicroOp::Write {
                    key,
                    value: Some(value),
                } = *m
                {
                    writer.insert((key, value), local);
                    if let Some(ret) = op.ret {
                        writes.entry(key).or_default().push((op.call, ret, local));
                    }
                }
            }
        }
        for list in writes.values_mut() {
            list.sort_unstable();
            let mut best: Option<(usize, usize)> = None;
            for w in list.iter_mut().rev() {
                if best.is_none_or(|(r, _)| w.1 < r) {
                    best = Some((w.1, w.2));
                }
                (w.1, w.2) = best.expect("just set");
            }
        }
        // The earliest-returning ok write of `key` among those invoked after event `after`
        // (all of them for `None`): its return and its op.
        let first_done_after = |key: u32, after: Option<usize>| -> Option<(usize, usize)> {
            let list = writes.get(&key)?;
            let i = after.map_or(0, |a| list.partition_point(|w| w.0 <= a));
            list.get(i).map(|w| (w.1, w.2))
        };
        let reads = by_return(ops);
        let v = |id: u32| values.value(id);
        for (ret, local) in reads {
            let op = &ops[local];
            // Reads after the transaction's own write of the key see that write.
            let mut written = std::collections::BTreeSet::new();
            for m in op.input {
                match m {
                    MicroOp::Write { key, .. } => {
                        written.insert(*key);
                    }
                    MicroOp::Read {
                        key,
                        seen: Some(seen),
                    } if !written.contains(key) => {
                        let k = v(*key);
                        let Some(&value) = seen.items.first() else {
                            if let Some((done, by)) = first_done_after(*key, None) {
                                if done < op.call && by != local {
                                    return Some((local, format!(
                                        "it read nil from key {k}, but op #{} had written it and returned before this read was invoked",
                                        ops[by].id
                                    )));
                                }
                            }
                            continue;
                        };
                        let Some(&by) = writer.get(&(*key, value)) else {
                            return Some((
                                local,
                                format!(
                                    "it read {} from key {k}, which no transaction wrote to it",
                                    v(value)
                                ),
                            ));
                        };
                        if ops[by].call > ret {
                            return Some((local, format!(
                                "it read {} from key {k}, written by op #{}, which was invoked only after this read returned",
                                v(value), ops[by].id
                            )));
                        }
                        let Some(written_at) = ops[by].ret else {
                            continue;
                        };
                        if let Some((done, other)) = first_done_after(*key, Some(written_at)) {
                            if done < op.call && other != local {
                                return Some((local, format!(
                                    "it read {} from key {k}, but after op #{} wrote that and returned, op #{} began, wrote key {k} and returned, all before this read was invoked (a stale read)",
                                    v(value), ops[by].id, ops[other].id
                                )));
                            }
                        }
                    }
                    MicroOp::Read { .. } | MicroOp::Append { .. } => {}
                }
            }
        }
        None
    }
    /// Whether every (key, value) that the micro-operations named `kinds` carry is carried by
    /// one micro-operation at most, of the operations that did not fail, and none is `nil`.
    fn unique_updates(ops: &[Op], kinds: &[&str]) -> bool {
        let mut seen: BTreeMap<(&Value, &Value), ()> = BTreeMap::new();
        for op in ops.iter().filter(|op| op.status != OpStatus::Fail) {
            let invoked = match (op.input.as_list(), &op.output) {
                (Some(l), _) if !l.is_empty() => l,
                (_, Some(out)) => out.as_list().unwrap_or(&[]),
                _ => &[],
            };
            for m in invoked {
                if let Ok((f, k, v)) = triple(m) {
                    if kinds.contains(&f) && (v.is_null() || seen.insert((k, v), ()).is_some()) {
                        return false;
                    }
                }
            }
        }
        true
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
        let mut next: Option<(Vec<Shard>, u64)> = None;
        for (i, m) in input.iter().enumerate() {
            let get = |key: u32| match &next {
                Some((shards, _)) => TxnState::get(shards, key),
                None => TxnState::get(&state.shards, key),
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
                    let (shards, hash) =
                        next.get_or_insert_with(|| (state.shards.to_vec(), state.hash));
                    TxnState::set(shards, hash, *key, list);
                }
                MicroOp::Append { key, value, at } => {
                    let held = get(*key);
                    if at.is_some_and(|at| list_len(&held) != at as usize) {
                        return Err((i, held));
                    }
                    let list = push(&held, *value);
                    let (shards, hash) =
                        next.get_or_insert_with(|| (state.shards.to_vec(), state.hash));
                    TxnState::set(shards, hash, *key, list);
                }
            }
        }
        Ok(match next {
            Some((shards, hash)) => TxnState {
                shards: Arc::from(shards),
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

    fn survey(&self, ops: &[Op]) -> Option<Txn> {
        Some(if self.lists {
            Txn {
                positions: Txn::positions(ops).map(Arc::new),
                ..self.clone()
            }
        } else {
            Txn {
                unique_writes: Txn::unique_updates(ops, &["w", "write"]),
                ..self.clone()
            }
        })
    }

    /// Anomalies proved without search: for list-append, elements read twice, never appended,
    /// appended too late, stale reads and reads that disagree on order; for rw-register with
    /// unique writes, stale reads, `nil` after a completed write, and values never written or
    /// written too late.
    fn impossible(
        &self,
        ops: &[Timed<'_, Vec<MicroOp>>],
        values: &Interner,
    ) -> Option<(usize, String)> {
        if self.lists {
            self.list_anomaly(ops, values)
        } else {
            self.register_anomaly(ops, values)
        }
    }

    fn init(&self) -> TxnState {
        TxnState {
            shards: (0..SHARDS).map(|_| Arc::new(BTreeMap::new())).collect(),
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
                let (fi, ki, vi) = triple(inv)?;
                // What a transaction writes is the invocation's: a completion that writes
                // something else contradicts it (reads are the completion's to fill in).
                if fi != f || ki != k || (!Txn::is_read(f) && vi != v) {
                    return Err(ShapeError::new(format!(
                        "micro-operation {i} is {inv} in the invocation but {m} in the completion at line {}: a completion must not contradict its invocation",
                        op.complete_line.unwrap_or(op.invoke_line)
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
                        at: self
                            .positions
                            .as_ref()
                            .and_then(|p| p.get(k)?.get(v).copied()),
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

    /// A step copies the shard table and the shards it changes; most of the map is shared.
    fn heap_bytes(&self, _: &TxnState) -> usize {
        SHARDS * 8 + 16 + 256
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
            .entries()
            .into_iter()
            .map(|(k, l)| format!("{} {}", values.value(k), self.show(&to_vec(&l), values)))
            .collect();
        format!("{{{}}}", entries.join(", "))
    }

    fn why_not(&self, state: &TxnState, input: &Vec<MicroOp>, values: &Interner) -> String {
        if let Err((i, held)) = self.run(state, input) {
            let (key, but) = match &input[i] {
                MicroOp::Read {
                    key,
                    seen: Some(seen),
                } => (
                    key,
                    format!("the transaction read {}", self.show(&seen.items, values)),
                ),
                MicroOp::Append {
                    key,
                    value,
                    at: Some(at),
                } => (
                    key,
                    format!(
                        "reads show {} appended after {at} element(s)",
                        values.value(*value)
                    ),
                ),
                _ => return format!("model state is {}", self.describe(state, values)),
            };
            return format!(
                "key {} holds {}, but {but}",
                values.value(*key),
                self.show(&to_vec(&held), values)
            );
        }
        format!("model state is {}", self.describe(state, values))
    }
}
