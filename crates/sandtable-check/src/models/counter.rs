//! [`Counter`]: an integer counter with add and read.

use crate::model::partition_by_key;
use crate::models::shape::{carried, int, read_value, unknown_f};
use crate::{Interner, Model, Op, Partition, ShapeError, Value};

/// A compiled counter operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CounterOp {
    /// Add this amount.
    Add(i64),
    /// A read that returned this value.
    Read(i64),
    /// A read with unknown outcome.
    UnknownRead,
}

/// An integer counter per key, 0 initially: `add` (value = the integer
/// added, may be negative) and `read` (`ok` value = the integer read; `null`
/// reads as 0). Partitioned per key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counter;

impl Model for Counter {
    type State = i64;
    type Input = CounterOp;

    fn name(&self) -> &str {
        "counter"
    }

    fn init(&self) -> i64 {
        0
    }

    fn prepare(&self, op: &Op, _: &mut Interner) -> Result<CounterOp, ShapeError> {
        match op.f.as_str() {
            "add" | "increment" | "incr" => Ok(CounterOp::Add(int(carried(op)?, "add value")?)),
            "read" | "r" => match read_value(op) {
                None => Ok(CounterOp::UnknownRead),
                Some(Value::Null) => Ok(CounterOp::Read(0)),
                Some(v) => Ok(CounterOp::Read(int(v, "read value")?)),
            },
            _ => Err(unknown_f("counter", op, "add or read")),
        }
    }

    fn step(&self, state: &i64, input: &CounterOp) -> Option<i64> {
        match *input {
            CounterOp::Add(n) => Some(state.wrapping_add(n)),
            CounterOp::Read(v) => (v == *state).then_some(*state),
            CounterOp::UnknownRead => Some(*state),
        }
    }

    fn is_noop(&self, input: &CounterOp) -> bool {
        *input == CounterOp::UnknownRead
    }

    fn is_read_only(&self, input: &CounterOp) -> bool {
        !matches!(input, CounterOp::Add(_))
    }

    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        partition_by_key(ops)
    }

    fn describe(&self, state: &i64, _: &Interner) -> String {
        state.to_string()
    }

    fn why_not(&self, state: &i64, input: &CounterOp, _: &Interner) -> String {
        match input {
            CounterOp::Read(v) => format!("model state is {state}, but the read returned {v}"),
            _ => format!("model state is {state}"),
        }
    }
}
