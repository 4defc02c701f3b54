//! [`CasRegister`]: a register with read, write and compare-and-set.

use crate::model::partition_by_key;
use crate::models::shape::{pair, read_value, unknown_f};
use crate::{Interner, Model, Op, Partition, ShapeError};

/// A compiled register operation; values are [`Interner`] ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// A read that returned this value.
    Read(u32),
    /// A read with unknown outcome: constrains nothing.
    UnknownRead,
    /// A write of this value.
    Write(u32),
    /// A compare-and-set from the first value to the second.
    Cas(u32, u32),
}

/// A single register per key (ops without a key share one register), holding
/// `null` initially.
///
/// Operations: `read` (invoke value `null`, `ok` value = the value read,
/// `null` meaning nothing written yet), `write` (value = the value written)
/// and `cas` (value = `[expected, new]`; `ok` means it swapped, `fail` means
/// it did not). Partitioned per key.
#[derive(Debug, Clone, Copy, Default)]
pub struct CasRegister;

impl Model for CasRegister {
    type State = u32;
    type Input = RegisterOp;

    fn name(&self) -> &str {
        "cas-register"
    }

    fn init(&self) -> u32 {
        Interner::NULL
    }

    fn prepare(&self, op: &Op, values: &mut Interner) -> Result<RegisterOp, ShapeError> {
        prepare_register(op, values, true)
            .map_err(|e| e.unwrap_or_else(|| unknown_f("cas-register", op, "read, write or cas")))
    }

    fn step(&self, state: &u32, input: &RegisterOp) -> Option<u32> {
        step_register(*state, *input)
    }

    fn is_noop(&self, input: &RegisterOp) -> bool {
        *input == RegisterOp::UnknownRead
    }

    fn needs(&self, input: &RegisterOp) -> Option<u32> {
        needs_register(*input)
    }

    fn sets(&self, input: &RegisterOp) -> Option<u32> {
        sets_register(*input)
    }

    fn is_read_only(&self, input: &RegisterOp) -> bool {
        matches!(input, RegisterOp::Read(_) | RegisterOp::UnknownRead)
    }

    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        partition_by_key(ops)
    }

    fn describe(&self, state: &u32, values: &Interner) -> String {
        values.value(*state).to_string()
    }

    fn why_not(&self, state: &u32, input: &RegisterOp, values: &Interner) -> String {
        why_not_register(*state, *input, values)
    }
}

/// Compiles a register op; `Err(None)` for an unknown `f`.
pub(crate) fn prepare_register(
    op: &Op,
    values: &mut Interner,
    cas: bool,
) -> Result<RegisterOp, Option<ShapeError>> {
    match op.f.as_str() {
        "read" | "r" => Ok(match read_value(op) {
            Some(v) => RegisterOp::Read(values.intern(v)),
            None => RegisterOp::UnknownRead,
        }),
        "write" | "w" => Ok(RegisterOp::Write(values.intern(op.written()))),
        "cas" if cas => {
            let (a, b) = pair(&op.input).map_err(Some)?;
            Ok(RegisterOp::Cas(values.intern(a), values.intern(b)))
        }
        _ => Err(None),
    }
}

#[inline]
/// The state a register operation needs: the value read, or the value a cas expects.
pub(crate) fn needs_register(input: RegisterOp) -> Option<u32> {
    match input {
        RegisterOp::Read(v) | RegisterOp::Cas(v, _) => Some(v),
        RegisterOp::UnknownRead | RegisterOp::Write(_) => None,
    }
}

/// The state a register operation leaves when it takes effect: the value written.
pub(crate) fn sets_register(input: RegisterOp) -> Option<u32> {
    match input {
        RegisterOp::Write(v) | RegisterOp::Cas(_, v) => Some(v),
        RegisterOp::Read(_) | RegisterOp::UnknownRead => None,
    }
}

pub(crate) fn step_register(state: u32, input: RegisterOp) -> Option<u32> {
    match input {
        RegisterOp::Read(v) => (v == state).then_some(state),
        RegisterOp::UnknownRead => Some(state),
        RegisterOp::Write(v) => Some(v),
        RegisterOp::Cas(from, to) => (from == state).then_some(to),
    }
}

pub(crate) fn why_not_register(state: u32, input: RegisterOp, values: &Interner) -> String {
    let s = values.value(state);
    match input {
        RegisterOp::Read(v) => format!(
            "model state is {s}, but the read returned {}",
            values.value(v)
        ),
        RegisterOp::Cas(from, _) => format!(
            "model state is {s}, but the cas expected {}",
            values.value(from)
        ),
        _ => format!("model state is {s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps() {
        assert_eq!(step_register(0, RegisterOp::Read(0)), Some(0));
        assert_eq!(step_register(0, RegisterOp::Read(1)), None);
        assert_eq!(step_register(0, RegisterOp::Write(1)), Some(1));
        assert_eq!(step_register(1, RegisterOp::Cas(1, 2)), Some(2));
        assert_eq!(step_register(1, RegisterOp::Cas(2, 3)), None);
    }
}
