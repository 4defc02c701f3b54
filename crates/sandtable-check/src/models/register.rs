//! [`Register`]: a read/write register.

use crate::model::partition_by_key;
use crate::models::cas_register::{
    needs_register, prepare_register, sets_register, step_register, why_not_register, RegisterOp,
};
use crate::models::shape::unknown_f;
use crate::{Interner, Model, Op, Partition, ShapeError};

/// A read/write register per key (ops without a key share one), holding
/// `null` initially. Like [`CasRegister`](crate::models::CasRegister)
/// without `cas`. Partitioned per key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Register;

impl Model for Register {
    type State = u32;
    type Input = RegisterOp;

    fn name(&self) -> &str {
        "register"
    }

    fn init(&self) -> u32 {
        Interner::NULL
    }

    fn prepare(&self, op: &Op, values: &mut Interner) -> Result<RegisterOp, ShapeError> {
        prepare_register(op, values, false)
            .map_err(|e| e.unwrap_or_else(|| unknown_f("register", op, "read or write")))
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
