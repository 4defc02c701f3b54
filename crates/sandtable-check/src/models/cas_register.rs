//! [`CasRegister`]: a register with read, write and compare-and-set.

use crate::models::shape::{carried, pair, read_value};
use crate::{Interner, Op, RegisterAccess, ShapeError};

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

/// Implements [`Model`] for one of the register-family models (`register`, `cas-register`,
/// `kv`): they share states and operations and differ only in their name and whether `cas`
/// is allowed.
macro_rules! register_family_model {
    ($model:ty, $name:literal, cas: $cas:literal, expected: $expected:literal) => {
        impl $crate::Model for $model {
            type State = u32;
            type Input = $crate::models::cas_register::RegisterOp;

            fn name(&self) -> &str {
                $name
            }

            fn init(&self) -> u32 {
                $crate::Interner::NULL
            }

            fn prepare(
                &self,
                op: &$crate::Op,
                values: &mut $crate::Interner,
            ) -> Result<Self::Input, $crate::ShapeError> {
                $crate::models::cas_register::prepare_register(op, values, $cas).map_err(|e| {
                    e.unwrap_or_else(|| $crate::models::shape::unknown_f($name, op, $expected))
                })
            }

            fn step(&self, state: &u32, input: &Self::Input) -> Option<u32> {
                $crate::models::cas_register::step_register(*state, *input)
            }

            fn is_noop(&self, input: &Self::Input) -> bool {
                *input == $crate::models::cas_register::RegisterOp::UnknownRead
            }

            fn needs(&self, input: &Self::Input) -> Option<u32> {
                $crate::models::cas_register::needs_register(*input)
            }

            fn sets(&self, input: &Self::Input) -> Option<u32> {
                $crate::models::cas_register::sets_register(*input)
            }

            fn register_access(&self, input: &Self::Input) -> Option<$crate::RegisterAccess<u32>> {
                $crate::models::cas_register::register_access(*input)
            }

            fn is_read_only(&self, input: &Self::Input) -> bool {
                use $crate::models::cas_register::RegisterOp;
                matches!(input, RegisterOp::Read(_) | RegisterOp::UnknownRead)
            }

            fn partition(&self, ops: &[$crate::Op]) -> Vec<$crate::Partition> {
                $crate::model::partition_by_key(ops)
            }

            fn describe(&self, state: &u32, values: &$crate::Interner) -> String {
                values.value(*state).to_string()
            }

            fn why_not(
                &self,
                state: &u32,
                input: &Self::Input,
                values: &$crate::Interner,
            ) -> String {
                $crate::models::cas_register::why_not_register(*state, *input, values)
            }
        }
    };
}
pub(crate) use register_family_model;

register_family_model!(CasRegister, "cas-register", cas: true, expected: "read, write or cas");

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
        "write" | "w" => Ok(RegisterOp::Write(values.intern(carried(op).map_err(Some)?))),
        "cas" if cas => {
            let (a, b) = pair(carried(op).map_err(Some)?).map_err(Some)?;
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

/// A read or a blind write, for the zone analysis; `None` for a cas or an unknown read.
pub(crate) fn register_access(input: RegisterOp) -> Option<RegisterAccess<u32>> {
    match input {
        RegisterOp::Read(v) => Some(RegisterAccess::Read(v)),
        RegisterOp::Write(v) => Some(RegisterAccess::Write(v)),
        RegisterOp::Cas(..) | RegisterOp::UnknownRead => None,
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
