//! One line of a history: an [`Event`] and its [`EventType`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Value;

/// What an event says about its operation (Jepsen's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// The operation started.
    Invoke,
    /// The operation completed and took effect.
    Ok,
    /// The operation definitely did not take effect.
    Fail,
    /// Unknown outcome: it may have taken effect at any point after its
    /// invocation, or never.
    Info,
}

impl EventType {
    /// Parses Jepsen's names (`invoke`, `ok`, `fail`, `info`).
    pub fn parse(s: &str) -> Option<EventType> {
        match s {
            "invoke" => Some(EventType::Invoke),
            "ok" => Some(EventType::Ok),
            "fail" => Some(EventType::Fail),
            "info" => Some(EventType::Info),
            _ => None,
        }
    }

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Invoke => "invoke",
            EventType::Ok => "ok",
            EventType::Fail => "fail",
            EventType::Info => "info",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event of a history, exactly as a JSONL line carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The (sequential) client process that issued the operation.
    pub process: u64,
    /// Invocation or one of the completions.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// The operation name, e.g. `read`, `write`, `cas`.
    pub f: String,
    /// The key the operation touches, if the model is keyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    /// The operation's value (see the crate docs for the conventions).
    #[serde(default)]
    pub value: Value,
    /// Optional timestamp in nanoseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<u64>,
    /// The 1-based line in the source file, if the event was parsed.
    #[serde(skip)]
    pub line: Option<usize>,
}

impl Event {
    /// A new event with no key, no time and no source line.
    pub fn new(process: u64, kind: EventType, f: &str, value: impl Into<Value>) -> Event {
        Event {
            process,
            kind,
            f: f.to_string(),
            key: None,
            value: value.into(),
            time: None,
            line: None,
        }
    }

    /// Sets the key.
    pub fn with_key(mut self, key: impl Into<Value>) -> Event {
        self.key = Some(key.into());
        self
    }

    /// Sets the time.
    pub fn with_time(mut self, time_ns: u64) -> Event {
        self.time = Some(time_ns);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_with_jepsen_field_names() {
        let e = Event::new(0, EventType::Invoke, "cas", vec![1, 2]).with_key("x");
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(
            s,
            r#"{"process":0,"type":"invoke","f":"cas","key":"x","value":[1,2]}"#
        );
    }

    #[test]
    fn parses_type_names() {
        for t in ["invoke", "ok", "fail", "info"] {
            assert_eq!(EventType::parse(t).unwrap().as_str(), t);
        }
        assert_eq!(EventType::parse("done"), None);
    }
}
