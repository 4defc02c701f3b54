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

/// The value an operation carries into the object (a write's value, a `cas` pair, an element
/// added or appended): the invocation's. The `ok` completion may repeat it or leave it `null`
/// (and when the invocation left it `null`, the completion's is taken); a completion that
/// carries a different value contradicts its invocation, and the history is rejected rather
/// than checked half with one value and half with the other.
pub(crate) fn carried(op: &Op) -> Result<&Value, ShapeError> {
    match (&op.input, &op.output) {
        (Value::Null, Some(out)) => Ok(out),
        (input, Some(out)) if !out.is_null() && out != input => Err(ShapeError::new(format!(
            "the ok completion at line {} carries {out} but the invocation carries {input}: a completion must not contradict its invocation",
            op.complete_line.unwrap_or(op.invoke_line)
        ))),
        (input, _) => Ok(input),
    }
}
