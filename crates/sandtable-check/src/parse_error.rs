//! [`ParseError`]: why a history was rejected, and where.

use std::fmt;

use thiserror::Error;

use crate::{EventType, Value};

/// A malformed history, with the 1-based line (or event number) at fault,
/// and the column when it is known (EDN and Jepsen logs).
///
/// Displays as `line 3, column 17: ...` (or `line 3: ...`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub struct ParseError {
    /// 1-based line of the input (or event number, for built histories).
    pub line: usize,
    /// 1-based column (in characters) of the offending text, if known.
    pub column: Option<usize>,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}, column {column}: {}", self.line, self.kind),
            None => write!(f, "line {}: {}", self.line, self.kind),
        }
    }
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
    /// A completion whose `key` differs from its invocation's.
    #[error(
        "completion has key {got} but the invocation at line {invoke_line} has key {expected}"
    )]
    KeyMismatch {
        /// The invocation's key.
        expected: Value,
        /// The completion's key.
        got: Value,
        /// Line of the invocation.
        invoke_line: usize,
    },
    /// Reading the input failed.
    #[error("I/O error: {0}")]
    Io(String),
    /// EDN syntax error (the column is in [`ParseError::column`]).
    #[error("invalid EDN: {0}")]
    Edn(String),
    /// An EDN form that should be an operation map is something else.
    #[error("expected an operation map such as {{:process 0, :type :invoke, :f :read, :value nil}}, found {0}")]
    NotAMap(String),
    /// A Jepsen log line that looks like an operation but is malformed.
    #[error("malformed Jepsen log operation: {0}")]
    JepsenLog(String),
    /// The events could not be paired, and their times show the file is not in time order:
    /// the error met pairing them in file order, and the first event earlier than the one
    /// before it.
    #[error("{error}\n  note: the events are not in time order (line {line} has time {time}, before line {previous_line}'s {previous_time}); the file order is taken as the real-time order; --sort-by-time (ParseOptions::sort_by_time) orders events by their times instead")]
    NotInTimeOrder {
        /// The pairing error, as it would be reported in file order.
        error: Box<ParseErrorKind>,
        /// The first event whose time is earlier than its predecessor's.
        line: usize,
        /// Its time.
        time: u64,
        /// The line of the event before it.
        previous_line: usize,
        /// That event's time.
        previous_time: u64,
    },
    /// Sorting by time was asked for, but an event has no time.
    #[error("--sort-by-time needs a time on every event; this one has none")]
    MissingTime,
    /// [`Format::Auto`](crate::Format::Auto) could not recognise the input.
    #[error("cannot tell the history format from {0}: expected JSON Lines (`{{\"process\":...`), EDN (`{{:process ...`, `[`, `(` or `#`) or a Jepsen log (lines with `jepsen.util - `); choose the format explicitly (--format jsonl|edn|jepsen-log)")]
    UnknownFormat(String),
}

impl ParseError {
    /// A new error at `line`.
    pub fn new(line: usize, kind: ParseErrorKind) -> ParseError {
        ParseError {
            line,
            column: None,
            kind,
        }
    }

    /// A new error at `line`, `column`.
    pub fn at(line: usize, column: usize, kind: ParseErrorKind) -> ParseError {
        ParseError {
            line,
            column: Some(column),
            kind,
        }
    }
}
