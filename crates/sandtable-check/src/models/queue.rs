//! [`Queue`]: a FIFO queue with enqueue and dequeue.

use std::sync::Arc;

use crate::model::partition_by_key;
use crate::models::shape::{carried, read_value, unknown_f};
use crate::{Interner, Model, Op, Partition, ShapeError, Value};

/// A compiled queue operation; elements are [`Interner`] ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueOp {
    /// Enqueue this element.
    Enqueue(u32),
    /// A dequeue that returned this element (`None`: the queue was empty).
    Dequeue(Option<u32>),
    /// A dequeue with unknown outcome: removes the head, if any.
    UnknownDequeue,
}

/// A FIFO queue per key, empty initially: `enqueue` (value = the element,
/// not `null`) and `dequeue` (`ok` value = the element dequeued, `null` =
/// the queue was empty). Partitioned per key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Queue;

impl Model for Queue {
    /// Element ids, head first.
    type State = Arc<[u32]>;
    type Input = QueueOp;

    fn name(&self) -> &str {
        "queue"
    }

    fn init(&self) -> Arc<[u32]> {
        Arc::from(Vec::new())
    }

    fn prepare(&self, op: &Op, values: &mut Interner) -> Result<QueueOp, ShapeError> {
        match op.f.as_str() {
            "enqueue" | "enq" => match carried(op)? {
                Value::Null => Err(ShapeError::new("enqueue value must not be null")),
                v => Ok(QueueOp::Enqueue(values.intern(v))),
            },
            "dequeue" | "deq" => Ok(match read_value(op) {
                None => QueueOp::UnknownDequeue,
                Some(Value::Null) => QueueOp::Dequeue(None),
                Some(v) => QueueOp::Dequeue(Some(values.intern(v))),
            }),
            _ => Err(unknown_f("queue", op, "enqueue or dequeue")),
        }
    }

    fn step(&self, state: &Arc<[u32]>, input: &QueueOp) -> Option<Arc<[u32]>> {
        match *input {
            QueueOp::Enqueue(x) => {
                let mut next = Vec::with_capacity(state.len() + 1);
                next.extend_from_slice(state);
                next.push(x);
                Some(next.into())
            }
            QueueOp::Dequeue(None) => state.is_empty().then(|| state.clone()),
            QueueOp::Dequeue(Some(x)) => (state.first() == Some(&x)).then(|| state[1..].into()),
            QueueOp::UnknownDequeue if state.is_empty() => Some(state.clone()),
            QueueOp::UnknownDequeue => Some(state[1..].into()),
        }
    }

    fn is_read_only(&self, input: &QueueOp) -> bool {
        *input == QueueOp::Dequeue(None)
    }

    fn heap_bytes(&self, state: &Arc<[u32]>) -> usize {
        state.len() * 4 + 16
    }

    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        partition_by_key(ops)
    }

    fn describe(&self, state: &Arc<[u32]>, values: &Interner) -> String {
        let items: Vec<Value> = state.iter().map(|&id| values.value(id).clone()).collect();
        Value::List(items).to_string()
    }

    fn why_not(&self, state: &Arc<[u32]>, input: &QueueOp, values: &Interner) -> String {
        let queue = self.describe(state, values);
        match (*input, state.first()) {
            (QueueOp::Dequeue(None), _) => {
                format!("model queue is {queue}, but the dequeue found it empty")
            }
            (QueueOp::Dequeue(Some(x)), None) => {
                format!(
                    "model queue is empty, but the dequeue returned {}",
                    values.value(x)
                )
            }
            (QueueOp::Dequeue(Some(x)), Some(&head)) => format!(
                "model queue is {queue} with head {}, but the dequeue returned {}",
                values.value(head),
                values.value(x)
            ),
            _ => format!("model queue is {queue}"),
        }
    }
}
