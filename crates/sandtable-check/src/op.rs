//! An [`Op`]: an invocation paired with its completion.

use std::fmt;

use crate::Value;

/// How an operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpStatus {
    /// Completed with `ok`: it took effect between invoke and completion.
    Ok,
    /// Completed with `fail`: it definitely did not take effect.
    Fail,
    /// Completed with `info`, or never completed: it may have taken effect
    /// at any point after its invocation, or never.
    Info,
}

/// One operation of a history: an invocation and its completion.
///
/// Operations are numbered (`id`) in invocation order, from 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Index in [`History::ops`](crate::History::ops).
    pub id: usize,
    /// The process that ran it.
    pub process: u64,
    /// The operation name.
    pub f: String,
    /// The key, if any.
    pub key: Option<Value>,
    /// The invocation's value.
    pub input: Value,
    /// The `ok` completion's value; `None` unless the status is `Ok`.
    pub output: Option<Value>,
    /// How it ended.
    pub status: OpStatus,
    /// Index of the invoke event in [`History::events`](crate::History::events).
    pub invoke_index: usize,
    /// Index of the completion event, if there is one.
    pub complete_index: Option<usize>,
    /// Source line of the invocation (event index + 1 when not parsed).
    pub invoke_line: usize,
    /// Source line of the completion, if there is one.
    pub complete_line: Option<usize>,
    /// The invocation's time, if recorded.
    pub invoke_time: Option<u64>,
    /// The completion's time, if recorded.
    pub complete_time: Option<u64>,
}

impl Op {
    /// The value a writing operation carries: the invocation's value, or the
    /// `ok` value when the invocation left it `null`.
    pub fn written(&self) -> &Value {
        match (&self.input, &self.output) {
            (Value::Null, Some(out)) => out,
            (input, _) => input,
        }
    }

    /// A one-line description such as `read x -> 2` or `write x 3 -> ?`.
    pub fn summary(&self) -> String {
        let mut s = self.f.clone();
        if let Some(k) = &self.key {
            s.push_str(&format!(" {k}"));
        }
        if !self.input.is_null() {
            s.push_str(&format!(" {}", &self.input));
        }
        match (self.status, &self.output) {
            (OpStatus::Ok, Some(out))
                if self.input.is_null() || (!out.is_null() && *out != self.input) =>
            {
                s.push_str(&format!(" -> {}", out));
            }
            (OpStatus::Ok, _) => {}
            (OpStatus::Fail, _) => s.push_str(" -> fail"),
            (OpStatus::Info, _) => s.push_str(" -> ? (info)"),
        }
        s
    }

    /// Where it sits in the source: `invoked at line 3, returned at line 7`.
    pub fn location(&self) -> String {
        match self.complete_line {
            Some(l) if self.status != OpStatus::Info => {
                format!("invoked at line {}, returned at line {l}", self.invoke_line)
            }
            Some(l) => format!("invoked at line {}, info at line {l}", self.invoke_line),
            None => format!("invoked at line {}, never returned", self.invoke_line),
        }
    }
}

impl fmt::Display for Op {
    /// `op #12 (process 3, read x -> 2, invoked at line 40, returned at line 44)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "op #{} (process {}, {}, {})",
            self.id,
            self.process,
            self.summary(),
            self.location()
        )
    }
}
