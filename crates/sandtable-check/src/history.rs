//! [`History`]: validated events paired into operations; JSONL I/O.

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::{Event, EventType, Op, OpStatus, ParseError, ParseErrorKind, Value};

/// A well-formed history: its events in order and the operations they form.
///
/// Every completion follows an invocation by the same process with the same
/// `f`, and no process has two operations in flight. Invocations left without
/// a completion at the end are operations with unknown outcome (`info`).
///
/// Cloning is cheap: the events and operations are shared (a check's result keeps the history
/// it checked, and a history can have millions of operations).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    events: Arc<Vec<Event>>,
    ops: Arc<Vec<Op>>,
}

impl History {
    /// Validates `events` and pairs them into operations.
    pub fn from_events(events: Vec<Event>) -> Result<History, ParseError> {
        let ops = pair(&events)?;
        Ok(History {
            events: Arc::new(events),
            ops: Arc::new(ops),
        })
    }

    /// Parses JSON Lines: one event per line.
    ///
    /// Blank lines are ignored, as are unknown fields. Events whose `process`
    /// is not an integer (such as Jepsen's `"nemesis"`) are skipped.
    pub fn from_jsonl<R: Read>(reader: R) -> Result<History, ParseError> {
        History::from_events(jsonl_events(reader)?)
    }

    /// Parses JSON Lines from a string.
    pub fn from_jsonl_str(s: &str) -> Result<History, ParseError> {
        History::from_jsonl(s.as_bytes())
    }

    /// Writes JSON Lines: one event per line.
    pub fn to_jsonl<W: Write>(&self, mut writer: W) -> std::io::Result<()> {
        for e in self.events.iter() {
            serde_json::to_writer(&mut writer, e)?;
            writer.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The history as a JSON Lines string.
    pub fn to_jsonl_string(&self) -> String {
        let mut out = Vec::new();
        self.to_jsonl(&mut out)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// The events in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The operations, in invocation order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether there are no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The first place where the events' times go backwards in file order, if any (events
    /// without a time are skipped). The checker takes the file order as the real-time order;
    /// a history whose times disagree was perhaps merged from several logs (see
    /// [`ParseOptions::sort_by_time`](crate::ParseOptions::sort_by_time)).
    pub fn time_order_violation(&self) -> Option<TimeOrder> {
        TimeOrder::of(&self.events)
    }
}

/// Two consecutive timed events whose times go backwards: `(line, time)` of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOrder {
    /// The earlier event in the file.
    pub previous: (usize, u64),
    /// The event after it, with the earlier time.
    pub next: (usize, u64),
}

impl TimeOrder {
    pub(crate) fn of(events: &[Event]) -> Option<TimeOrder> {
        let mut timed = events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| Some((e.line.unwrap_or(i + 1), e.time?)));
        let mut previous = timed.next()?;
        for next in timed {
            if next.1 < previous.1 {
                return Some(TimeOrder { previous, next });
            }
            previous = next;
        }
        None
    }
}

/// The client events of a JSON Lines history, not yet paired.
pub(crate) fn jsonl_events<R: Read>(reader: R) -> Result<Vec<Event>, ParseError> {
    let mut events = Vec::new();
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| ParseError::new(i + 1, ParseErrorKind::Io(e.to_string())))?;
        if let Some(event) = parse_line(&line, i + 1)? {
            events.push(event);
        }
    }
    Ok(events)
}

/// The client events of JSON Lines text, not yet paired.
pub(crate) fn jsonl_events_str(text: &str) -> Result<Vec<Event>, ParseError> {
    let mut events = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    for (i, line) in text.lines().enumerate() {
        if let Some(event) = parse_line(line, i + 1)? {
            events.push(event);
        }
    }
    Ok(events)
}

/// The fields of an event line that matter, each `Some` when present (even if `null`).
#[derive(Default, serde::Deserialize)]
struct Fields {
    #[serde(default, deserialize_with = "present")]
    process: Option<serde_json::Value>,
    #[serde(rename = "type", default, deserialize_with = "present")]
    kind: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    f: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    key: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    value: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    time: Option<serde_json::Value>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

impl Fields {
    /// Reads the fields straight from the text, without building a map of every field (a
    /// million-line history is parsed twice as fast); a line this cannot read (not an
    /// object, a duplicate field, bad JSON) goes through the general path, which words the
    /// error.
    fn of(text: &str, n: usize) -> Result<Fields, ParseError> {
        // (Only an object: serde would also read a struct from an array.)
        if text.starts_with('{') {
            if let Ok(fields) = serde_json::from_str::<Fields>(text) {
                return Ok(fields);
            }
        }
        let err = |kind| ParseError::new(n, kind);
        let json: serde_json::Value =
            serde_json::from_str(text).map_err(|e| err(ParseErrorKind::Json(e.to_string())))?;
        let obj = json
            .as_object()
            .ok_or_else(|| err(ParseErrorKind::NotAnObject(kind_of(&json).to_string())))?;
        let get = |field: &str| obj.get(field).cloned();
        Ok(Fields {
            process: get("process"),
            kind: get("type"),
            f: get("f"),
            key: get("key"),
            value: get("value"),
            time: get("time"),
        })
    }
}

/// Parses one line into an event; `None` for blank lines and non-client events.
fn parse_line(line: &str, n: usize) -> Result<Option<Event>, ParseError> {
    let text = line.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let err = |kind| ParseError::new(n, kind);
    let fields = Fields::of(text, n)?;
    let process = match &fields.process {
        None => return Err(err(ParseErrorKind::MissingField("process"))),
        Some(serde_json::Value::Number(p)) => p.as_u64().ok_or_else(|| {
            err(ParseErrorKind::BadField {
                field: "process",
                message: format!("{p} is not a non-negative integer"),
            })
        })?,
        // Jepsen's nemesis and other non-client actors: not part of the model.
        Some(_) => return Ok(None),
    };
    let kind = match &fields.kind {
        None => return Err(err(ParseErrorKind::MissingField("type"))),
        Some(serde_json::Value::String(t)) => {
            EventType::parse(t).ok_or_else(|| err(ParseErrorKind::UnknownType(t.clone())))?
        }
        Some(other) => return Err(err(ParseErrorKind::UnknownType(other.to_string()))),
    };
    let f = match fields.f {
        None => return Err(err(ParseErrorKind::MissingField("f"))),
        Some(serde_json::Value::String(f)) => f,
        Some(other) => {
            return Err(err(ParseErrorKind::BadField {
                field: "f",
                message: format!("expected a string, found {}", kind_of(&other)),
            }))
        }
    };
    let value_field = |field: &'static str, v: &Option<serde_json::Value>| {
        v.as_ref()
            .map(|v| {
                Value::from_json(v)
                    .map_err(|message| err(ParseErrorKind::BadField { field, message }))
            })
            .transpose()
    };
    let key = value_field("key", &fields.key)?.filter(|k| !k.is_null());
    let value = value_field("value", &fields.value)?.unwrap_or(Value::Null);
    let time = match &fields.time {
        None | Some(serde_json::Value::Null) => None,
        Some(t) => Some(t.as_u64().ok_or_else(|| {
            err(ParseErrorKind::BadField {
                field: "time",
                message: format!("{t} is not a non-negative integer (nanoseconds)"),
            })
        })?),
    };
    Ok(Some(Event {
        process,
        kind,
        f,
        key,
        value,
        time,
        line: Some(n),
    }))
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Pairs invocations with completions, checking the process discipline.
fn pair(events: &[Event]) -> Result<Vec<Op>, ParseError> {
    let mut ops: Vec<Op> = Vec::new();
    let mut in_flight: FxHashMap<u64, usize> = FxHashMap::default();
    for (index, e) in events.iter().enumerate() {
        let line = e.line.unwrap_or(index + 1);
        if e.kind == EventType::Invoke {
            if let Some(&pending) = in_flight.get(&e.process) {
                let kind = ParseErrorKind::TwoInFlight {
                    process: e.process,
                    f: e.f.clone(),
                    pending_line: ops[pending].invoke_line,
                };
                return Err(ParseError::new(line, kind));
            }
            in_flight.insert(e.process, ops.len());
            ops.push(invoked(ops.len(), index, line, e));
            continue;
        }
        let Some(id) = in_flight.remove(&e.process) else {
            let kind = ParseErrorKind::CompletionWithoutInvoke {
                kind: e.kind,
                f: e.f.clone(),
                process: e.process,
            };
            return Err(ParseError::new(line, kind));
        };
        complete(&mut ops[id], index, line, e)?;
    }
    Ok(ops)
}

fn invoked(id: usize, index: usize, line: usize, e: &Event) -> Op {
    Op {
        id,
        process: e.process,
        f: e.f.clone(),
        key: e.key.clone(),
        input: e.value.clone(),
        output: None,
        status: OpStatus::Info,
        invoke_index: index,
        complete_index: None,
        invoke_line: line,
        complete_line: None,
        invoke_time: e.time,
        complete_time: None,
    }
}

fn complete(op: &mut Op, index: usize, line: usize, e: &Event) -> Result<(), ParseError> {
    if op.f != e.f {
        let kind = ParseErrorKind::FMismatch {
            expected: op.f.clone(),
            got: e.f.clone(),
            invoke_line: op.invoke_line,
        };
        return Err(ParseError::new(line, kind));
    }
    op.status = match e.kind {
        EventType::Ok => OpStatus::Ok,
        EventType::Fail => OpStatus::Fail,
        _ => OpStatus::Info,
    };
    if op.status == OpStatus::Ok {
        op.output = Some(e.value.clone());
    }
    match (&op.key, &e.key) {
        (None, _) => op.key = e.key.clone(),
        (Some(expected), Some(got)) if expected != got => {
            let kind = ParseErrorKind::KeyMismatch {
                expected: expected.clone(),
                got: got.clone(),
                invoke_line: op.invoke_line,
            };
            return Err(ParseError::new(line, kind));
        }
        _ => {}
    }
    op.complete_index = Some(index);
    op.complete_line = Some(line);
    op.complete_time = e.time;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<History, ParseError> {
        History::from_jsonl_str(s)
    }

    #[test]
    fn pairs_and_marks_pending_as_info() {
        let h = parse(
            r#"{"process":0,"type":"invoke","f":"write","value":1}
{"process":1,"type":"invoke","f":"read","value":null}

{"process":0,"type":"ok","f":"write","value":1,"extra":true}
{"process":"nemesis","type":"info","f":"partition","value":{"a":1}}
"#,
        )
        .unwrap();
        assert_eq!(h.ops().len(), 2);
        assert_eq!(h.ops()[0].status, OpStatus::Ok);
        assert_eq!(h.ops()[0].complete_line, Some(4));
        assert_eq!(h.ops()[1].status, OpStatus::Info);
        assert_eq!(h.ops()[1].complete_line, None);
    }

    #[test]
    fn rejects_with_line_numbers() {
        let e = parse("{\"process\":0,\"type\":\"ok\",\"f\":\"read\"}").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.to_string().contains("without invoke"), "{e}");
        let e = parse("\n{nope").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("{\"process\":0,\"type\":\"begin\",\"f\":\"read\"}").unwrap_err();
        assert!(matches!(e.kind, ParseErrorKind::UnknownType(_)));
        let two = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}";
        assert!(matches!(
            parse(two).unwrap_err().kind,
            ParseErrorKind::TwoInFlight {
                pending_line: 1,
                ..
            }
        ));
        let key_mismatch = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"x\"}\n{\"process\":0,\"type\":\"ok\",\"f\":\"read\",\"key\":\"y\"}";
        let e = parse(key_mismatch).unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(
            e.to_string(),
            "line 2: completion has key y but the invocation at line 1 has key x"
        );
        let mismatch = "{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}\n{\"process\":0,\"type\":\"ok\",\"f\":\"write\"}";
        assert!(matches!(
            parse(mismatch).unwrap_err().kind,
            ParseErrorKind::FMismatch { .. }
        ));
        let float = "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1.5}";
        assert!(matches!(
            parse(float).unwrap_err().kind,
            ParseErrorKind::BadField { field: "value", .. }
        ));
    }

    #[test]
    fn process_reused_after_info() {
        let h = parse(
            r#"{"process":0,"type":"invoke","f":"write","value":1}
{"process":0,"type":"info","f":"write","value":1}
{"process":0,"type":"invoke","f":"read","value":null}
{"process":0,"type":"ok","f":"read","value":1}"#,
        )
        .unwrap();
        assert_eq!(h.ops().len(), 2);
        assert_eq!(h.ops()[0].status, OpStatus::Info);
    }

    #[test]
    fn the_fast_and_the_general_line_readers_agree() {
        // `null` is present, not missing: a process `null` is a non-client, skipped.
        assert_eq!(
            parse_line(r#"{"process":null,"type":"invoke","f":"x"}"#, 1),
            Ok(None)
        );
        // A duplicate field is read by the general path: the last one counts.
        let e = parse_line(r#"{"process":1,"process":2,"type":"ok","f":"x"}"#, 1);
        assert_eq!(e.unwrap().unwrap().process, 2);
        let e = parse_line("[1]", 7).unwrap_err();
        assert_eq!(
            (e.line, e.kind),
            (7, ParseErrorKind::NotAnObject("an array".into()))
        );
        let e = parse_line(r#"{"type":"ok","f":"x"}"#, 1).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::MissingField("process"));
        let ok = parse_line(
            r#"{"process":3,"type":"ok","f":"cas","value":[1,2],"time":5}"#,
            4,
        );
        let ev = ok.unwrap().unwrap();
        assert_eq!((ev.process, ev.time, ev.line), (3, Some(5), Some(4)));
        assert_eq!(ev.value, Value::List(vec![Value::Int(1), Value::Int(2)]));
    }

    #[test]
    fn a_clone_shares_the_events_and_operations() {
        let h = parse("{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}").unwrap();
        let copy = h.clone();
        assert!(std::ptr::eq(h.ops().as_ptr(), copy.ops().as_ptr()));
        assert!(std::ptr::eq(h.events().as_ptr(), copy.events().as_ptr()));
    }

    #[test]
    fn jsonl_round_trip() {
        let text = "{\"process\":0,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"x\",\"value\":[1,2],\"time\":5}\n{\"process\":0,\"type\":\"fail\",\"f\":\"cas\",\"key\":\"x\",\"value\":[1,2]}\n";
        let h = parse(text).unwrap();
        assert_eq!(h.to_jsonl_string(), text);
    }
}
