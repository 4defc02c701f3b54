//! [`ParseError`]: why a history was rejected, and where.

use thiserror::Error;

use crate::EventType;

/// A malformed history, with the 1-based line (or event number) at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    /// 1-based line of the input (or event number, for built histories).
    pub line: usize,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

/// What was wrong with a line of a history.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    /// The line is not valid JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// The line is JSON but not an object.
    #[error("expected a JSON object, found {0}")]
    NotAnObject(String),
    /// A required field is absent.
    #[error("missing field {0:?}")]
    MissingField(&'static str),
    /// A field has the wrong type or an unsupported value.
    #[error("field {field:?}: {message}")]
    BadField {
        /// The field name.
        field: &'static str,
        /// What was wrong with it.
        message: String,
    },
    /// `type` is not one of invoke, ok, fail, info.
    #[error("unknown event type {0:?} (expected invoke, ok, fail or info)")]
    UnknownType(String),
    /// A completion for a process that has no operation in flight.
    #[error("{kind} {f:?} for process {process}, which has no operation in flight (completion without invoke)")]
    CompletionWithoutInvoke {
        /// The completion type.
        kind: EventType,
        /// The operation name.
        f: String,
        /// The process.
        process: u64,
    },
    /// An invocation for a process that already has one in flight.
    #[error("process {process} invokes {f:?} but its operation invoked at line {pending_line} is still in flight (a process runs one operation at a time)")]
    TwoInFlight {
        /// The process.
        process: u64,
        /// The new operation's name.
        f: String,
        /// Line of the pending invocation.
        pending_line: usize,
    },
    /// A completion whose `f` differs from its invocation's.
    #[error(
        "completion has f {got:?} but the invocation at line {invoke_line} has f {expected:?}"
    )]
    FMismatch {
        /// The invocation's f.
        expected: String,
        /// The completion's f.
        got: String,
        /// Line of the invocation.
        invoke_line: usize,
    },
    /// Reading the input failed.
    #[error("I/O error: {0}")]
    Io(String),
}

impl ParseError {
    /// A new error at `line`.
    pub fn new(line: usize, kind: ParseErrorKind) -> ParseError {
        ParseError { line, kind }
    }
}
