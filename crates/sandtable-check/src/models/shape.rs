//! Helpers shared by the built-in models for validating operation shapes.

use crate::{Op, OpStatus, ShapeError, Value};

/// The unknown-`f` error, listing what the model accepts.
pub(crate) fn unknown_f(model: &str, op: &Op, expected: &str) -> ShapeError {
    ShapeError::new(format!(
        "unknown operation {:?} for the {model} model (expected {expected})",
        op.f
    ))
}

/// The value read by an `ok` op; `None` for unknown outcome.
pub(crate) fn read_value(op: &Op) -> Option<&Value> {
    match op.status {
        OpStatus::Ok => op.output.as_ref(),
        _ => None,
    }
}

/// The integer an op carries in `v`, or an error naming `what`.
pub(crate) fn int(v: &Value, what: &str) -> Result<i64, ShapeError> {
    v.as_int()
        .ok_or_else(|| ShapeError::new(format!("{what} must be an integer, found {v}")))
}

/// `[expected, new]` of a `cas`.
pub(crate) fn pair(v: &Value) -> Result<(&Value, &Value), ShapeError> {
    match v.as_list() {
        Some([a, b]) => Ok((a, b)),
        _ => Err(ShapeError::new(format!(
            "cas value must be [expected, new], found {v}"
        ))),
    }
}
