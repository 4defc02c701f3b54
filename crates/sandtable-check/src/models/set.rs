//! [`Set`]: a grow-only set with add and read.

use std::sync::Arc;

use crate::model::partition_by_key;
use crate::models::shape::{carried, read_value, unknown_f};
use crate::{Interner, Model, Op, Partition, ShapeError, Value};

/// A compiled set operation; elements are [`Interner`] ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetOp {
    /// Add this element.
    Add(u32),
    /// A read that returned exactly these elements (sorted, deduplicated).
    Read(Arc<[u32]>),
    /// A read with unknown outcome.
    UnknownRead,
}

/// A set per key, empty initially: `add` (value = the element) and `read`
/// (`ok` value = the whole set as a list, in any order; `null` = empty).
/// Partitioned per key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Set;

impl Model for Set {
    /// Sorted element ids.
    type State = Arc<[u32]>;
    type Input = SetOp;

    fn name(&self) -> &str {
        "set"
    }

    fn init(&self) -> Arc<[u32]> {
        Arc::from(Vec::new())
    }

    fn prepare(&self, op: &Op, values: &mut Interner) -> Result<SetOp, ShapeError> {
        match op.f.as_str() {
            "add" => Ok(SetOp::Add(values.intern(carried(op)?))),
            "read" | "r" => match read_value(op) {
                None => Ok(SetOp::UnknownRead),
                Some(Value::Null) => Ok(SetOp::Read(Arc::from(Vec::new()))),
                Some(Value::List(items)) => {
                    let mut ids: Vec<u32> = items.iter().map(|v| values.intern(v)).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    Ok(SetOp::Read(ids.into()))
                }
                Some(v) => Err(ShapeError::new(format!(
                    "set read value must be a list, found {v}"
                ))),
            },
            _ => Err(unknown_f("set", op, "add or read")),
        }
    }

    fn step(&self, state: &Arc<[u32]>, input: &SetOp) -> Option<Arc<[u32]>> {
        match input {
            SetOp::Add(x) => match state.binary_search(x) {
                Ok(_) => Some(state.clone()),
                Err(at) => {
                    let mut next = Vec::with_capacity(state.len() + 1);
                    next.extend_from_slice(&state[..at]);
                    next.push(*x);
                    next.extend_from_slice(&state[at..]);
                    Some(next.into())
                }
            },
            SetOp::Read(seen) => (seen == state).then(|| state.clone()),
            SetOp::UnknownRead => Some(state.clone()),
        }
    }

    fn is_noop(&self, input: &SetOp) -> bool {
        *input == SetOp::UnknownRead
    }

    fn is_read_only(&self, input: &SetOp) -> bool {
        !matches!(input, SetOp::Add(_))
    }

    fn heap_bytes(&self, state: &Arc<[u32]>) -> usize {
        state.len() * 4 + 16
    }

    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        partition_by_key(ops)
    }

    fn describe(&self, state: &Arc<[u32]>, values: &Interner) -> String {
        render(state, values)
    }

    fn why_not(&self, state: &Arc<[u32]>, input: &SetOp, values: &Interner) -> String {
        let SetOp::Read(seen) = input else {
            return format!("model state is {}", render(state, values));
        };
        let missing: Vec<u32> = state
            .iter()
            .copied()
            .filter(|x| !seen.contains(x))
            .collect();
        let extra: Vec<u32> = seen
            .iter()
            .copied()
            .filter(|x| !state.contains(x))
            .collect();
        let mut why = format!(
            "model state is {}, but the read returned {}",
            render(state, values),
            render(seen, values)
        );
        if !missing.is_empty() {
            why.push_str(&format!(" (missing {})", render(&missing, values)));
        }
        if !extra.is_empty() {
            why.push_str(&format!(" (not yet added: {})", render(&extra, values)));
        }
        why
    }
}

/// Renders element ids as a JSON-ish list of their values, sorted by value.
fn render(ids: &[u32], values: &Interner) -> String {
    let mut items: Vec<&Value> = ids.iter().map(|&id| values.value(id)).collect();
    items.sort();
    Value::List(items.into_iter().cloned().collect()).to_string()
}
