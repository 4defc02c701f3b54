//! EDN histories (Jepsen's `history.edn`, Knossos test data, Porcupine's kv
//! logs): operation maps to [`Event`]s, and [`History::to_edn`].

use std::io::{Read, Write};

use crate::edn::{is_plain_keyword, write_str, Edn, EdnError, Node, Pos, Reader};
use crate::edn_flat::flat_event;
use crate::format::split_tuple;
use crate::{Event, EventType, Format, History, ParseError, ParseErrorKind, ParseOptions, Value};

/// Tags whose value is a jepsen.independent tuple: `#jepsen.independent/tuple
/// [k v]`, or the record form `#jepsen.independent.Tuple{:key k, :value v}`.
const TUPLE_TAG: &str = "jepsen.independent/tuple";
const TUPLE_RECORD: &str = "jepsen.independent.Tuple";

/// The operation-map keys read; all others (`:index`, `:error`, ...) are ignored.
const FIELDS: [&str; 6] = ["process", "type", "f", "key", "value", "time"];

const SUPPORTED: &str =
    "values are nil, integers, strings, keywords, and vectors, lists or sets of them";

pub(crate) fn edn_error(e: EdnError) -> ParseError {
    ParseError::at(e.pos.line, e.pos.column, ParseErrorKind::Edn(e.message))
}

fn at(pos: Pos, kind: ParseErrorKind) -> ParseError {
    ParseError::at(pos.line, pos.column, kind)
}

fn bad(pos: Pos, field: &'static str, message: String) -> ParseError {
    at(pos, ParseErrorKind::BadField { field, message })
}

/// The client events of an EDN history: operation maps one after another
/// (one per line, as Jepsen writes `history.edn`), or inside one top-level
/// vector or list (as Knossos' test data).
pub(crate) fn edn_events(text: &str, independent: bool) -> Result<Vec<Event>, ParseError> {
    // An independent tuple is left to the general reader.
    read_events(text, independent, !independent)
}

/// [`edn_events`], with the common operation maps read by [`flat_event`] if `fast`.
fn read_events(text: &str, independent: bool, fast: bool) -> Result<Vec<Event>, ParseError> {
    let mut reader = Reader::new(text);
    let mut open: Option<(u8, Pos)> = None;
    let mut events = Vec::new();
    loop {
        let next = reader.peek_form().map_err(edn_error)?;
        let pos = reader.pos();
        match (next, open) {
            (None, None) => return Ok(events),
            (None, Some((close, opened))) => {
                let message = format!(
                    "unexpected end of input: the top-level sequence opened at {opened} is not closed (expected `{}`)",
                    close as char
                );
                return Err(at(pos, ParseErrorKind::Edn(message)));
            }
            (Some(b), Some((close, _))) if b == close => {
                reader.consume();
                open = None;
            }
            (Some(b @ (b'[' | b'(')), None) => {
                reader.consume();
                open = Some((if b == b'[' { b']' } else { b')' }, pos));
            }
            (Some(b @ (b')' | b']' | b'}')), _) => {
                let message = match open {
                    Some((close, opened)) => format!(
                        "unexpected `{}`: expected `{}` to close the sequence opened at {opened}",
                        b as char, close as char
                    ),
                    None => format!("unexpected `{}`", b as char),
                };
                return Err(at(pos, ParseErrorKind::Edn(message)));
            }
            (Some(_), _) => {
                if let Some((len, event)) =
                    fast.then(|| flat_event(reader.rest(), pos.line)).flatten()
                {
                    reader.skip(len);
                    events.extend(event);
                    continue;
                }
                let node = reader.read().map_err(edn_error)?;
                if let Some(event) = event_from_node(&node, independent)? {
                    events.push(event);
                }
            }
        }
    }
}

/// Converts an operation map (possibly a tagged record such as
/// `#jepsen.history.Op{...}`); `None` for non-client operations.
fn event_from_node(node: &Node, independent: bool) -> Result<Option<Event>, ParseError> {
    let map = match &node.edn {
        Edn::Map(map) => Some(map),
        Edn::Tagged(_, inner) => match &inner.edn {
            Edn::Map(map) => Some(map),
            _ => None,
        },
        _ => None,
    };
    let Some(map) = map else {
        return Err(at(node.pos, ParseErrorKind::NotAMap(node.edn.describe())));
    };
    let mut fields: [Option<&Node>; FIELDS.len()] = [None; FIELDS.len()];
    for (k, v) in map {
        let Edn::Keyword(name) = &k.edn else {
            continue;
        };
        if let Some(i) = FIELDS.iter().position(|f| f == name) {
            if fields[i].is_some() {
                return Err(bad(k.pos, FIELDS[i], format!("duplicate key :{name}")));
            }
            fields[i] = Some(v);
        }
    }
    let [process, kind, f, key, value, time] = fields;
    let missing = |field| at(node.pos, ParseErrorKind::MissingField(field));
    let Some(process) = process else {
        return Err(missing("process"));
    };
    let process = match (as_u64(&process.edn), &process.edn) {
        (Some(p), _) => p,
        (None, Edn::Int(_) | Edn::BigInt(_)) => {
            let message = format!(
                "{} is not a non-negative 64-bit integer",
                process.edn.describe()
            );
            return Err(bad(process.pos, "process", message));
        }
        // Jepsen's :nemesis and other non-client actors: not part of the model.
        _ => return Ok(None),
    };
    let kind = match kind {
        None => return Err(missing("type")),
        Some(t) => match name_of(t) {
            Some(name) => EventType::parse(name)
                .ok_or_else(|| at(t.pos, ParseErrorKind::UnknownType(name.to_string())))?,
            None => return Err(at(t.pos, ParseErrorKind::UnknownType(t.edn.describe()))),
        },
    };
    let f = match f {
        None => return Err(missing("f")),
        Some(f) => match name_of(f) {
            Some(name) => name.to_string(),
            None => {
                let message = format!("expected a keyword or a string, found {}", f.edn.describe());
                return Err(bad(f.pos, "f", message));
            }
        },
    };
    let key = key
        .map(|k| to_value(k).map_err(|(pos, m)| bad(pos, "key", m)))
        .transpose()?
        .filter(|k| !k.is_null());
    let (key, value) = key_and_value(kind, key, value, independent, node.pos)?;
    let time = match time.map(|t| (t, as_u64(&t.edn))) {
        None => None,
        Some((t, _)) if t.edn == Edn::Nil => None,
        Some((_, Some(t))) => Some(t),
        Some((t, None)) => {
            let message = format!(
                "{} is not a non-negative integer (nanoseconds)",
                t.edn.describe()
            );
            return Err(bad(t.pos, "time", message));
        }
    };
    Ok(Some(Event {
        process,
        kind,
        f,
        key,
        value,
        time,
        line: Some(node.pos.line),
    }))
}

/// A non-negative integer that fits in a `u64`.
fn as_u64(edn: &Edn) -> Option<u64> {
    match edn {
        Edn::Int(i) => u64::try_from(*i).ok(),
        Edn::BigInt(s) => s.trim_start_matches('+').trim_end_matches('N').parse().ok(),
        _ => None,
    }
}

/// A keyword's, string's or symbol's name.
fn name_of(node: &Node) -> Option<&str> {
    match &node.edn {
        Edn::Keyword(s) | Edn::Str(s) | Edn::Symbol(s) => Some(s),
        _ => None,
    }
}

/// The event's key and value: an independent tuple (tagged, or any value
/// when `independent`) is split into both.
pub(crate) fn key_and_value(
    kind: EventType,
    key: Option<Value>,
    value: Option<&Node>,
    independent: bool,
    event_pos: Pos,
) -> Result<(Option<Value>, Value), ParseError> {
    let Some(node) = value else {
        if independent && matches!(kind, EventType::Invoke | EventType::Ok) {
            let message = "expected an independent tuple [key value] (--independent), but the operation has no :value".to_string();
            return Err(bad(event_pos, "value", message));
        }
        return Ok((key, Value::Null));
    };
    if let Some(tuple) = tuple_parts(node) {
        let (k, v) = tuple.map_err(|(pos, m)| bad(pos, "value", m))?;
        if key.is_some() {
            let message = "has both a :key and an independent tuple [key value]".to_string();
            return Err(bad(node.pos, "value", message));
        }
        return Ok(((!k.is_null()).then_some(k), v));
    }
    let value = to_value(node).map_err(|(pos, m)| bad(pos, "value", m))?;
    if independent {
        split_tuple(kind, key, value).map_err(|m| bad(node.pos, "value", m))
    } else {
        Ok((key, value))
    }
}

/// `Some` if `node` is a tagged independent tuple: its key and value.
fn tuple_parts(node: &Node) -> Option<Result<(Value, Value), (Pos, String)>> {
    let Edn::Tagged(tag, inner) = &node.edn else {
        return None;
    };
    let pair = match (tag.as_str(), &inner.edn) {
        (TUPLE_TAG, Edn::Vector(items) | Edn::List(items)) if items.len() == 2 => {
            (&items[0], &items[1])
        }
        (TUPLE_RECORD, Edn::Map(map)) => {
            let get = |name: &str| {
                map.iter()
                    .find(|(k, _)| matches!(&k.edn, Edn::Keyword(n) if n == name))
                    .map(|(_, v)| v)
            };
            match (get("key"), get("value")) {
                (Some(k), Some(v)) => (k, v),
                _ => {
                    let message = format!("#{tag} needs :key and :value");
                    return Some(Err((inner.pos, message)));
                }
            }
        }
        (TUPLE_TAG, other) => {
            let message = format!(
                "#{tag} must be followed by a 2-element vector [key value], found {}",
                other.describe()
            );
            return Some(Err((inner.pos, message)));
        }
        _ => return None,
    };
    Some(to_value(pair.0).and_then(|k| Ok((k, to_value(pair.1)?))))
}

/// Converts an EDN form to a [`Value`]: keywords and symbols become strings
/// (without the colon), sets become sorted lists, tags are ignored.
pub(crate) fn to_value(node: &Node) -> Result<Value, (Pos, String)> {
    let unsupported = |what: String| Err((node.pos, format!("{what} ({SUPPORTED})")));
    Ok(match &node.edn {
        Edn::Nil => Value::Null,
        Edn::Int(i) => Value::Int(*i),
        Edn::Str(s) | Edn::Keyword(s) | Edn::Symbol(s) => Value::Str(s.clone()),
        Edn::Char(c) => Value::Str(c.to_string()),
        Edn::List(items) | Edn::Vector(items) => {
            Value::List(items.iter().map(to_value).collect::<Result<_, _>>()?)
        }
        Edn::Set(items) => {
            let mut items: Vec<Value> = items.iter().map(to_value).collect::<Result<_, _>>()?;
            items.sort();
            items.dedup();
            Value::List(items)
        }
        Edn::Tagged(_, inner) => to_value(inner)?,
        Edn::BigInt(s) => return unsupported(format!("integer {s} does not fit in 64 bits")),
        Edn::Float(s) => return unsupported(format!("number {s} is not a supported integer")),
        Edn::Bool(b) => return unsupported(format!("boolean {b} is not a supported value")),
        Edn::Map(_) => return unsupported("a map is not a supported value".to_string()),
    })
}

/// Appends `v` as EDN.
fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("nil"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Str(s) => write_str(out, s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, item);
            }
            out.push(']');
        }
    }
}

/// One event as a Jepsen operation map, with its `:index`.
fn event_to_edn(out: &mut String, e: &Event, index: usize) {
    out.push_str(&format!("{{:process {}, :type :{}, :f ", e.process, e.kind));
    if is_plain_keyword(&e.f) {
        out.push(':');
        out.push_str(&e.f);
    } else {
        write_str(out, &e.f);
    }
    if let Some(key) = &e.key {
        out.push_str(", :key ");
        write_value(out, key);
    }
    out.push_str(", :value ");
    write_value(out, &e.value);
    if let Some(time) = e.time {
        out.push_str(&format!(", :time {time}"));
    }
    out.push_str(&format!(", :index {index}}}\n"));
}

impl History {
    /// Parses an EDN history (Jepsen's `history.edn`, Knossos): operation
    /// maps such as `{:process 0, :type :invoke, :f :cas, :value [1 2]}`,
    /// one per line or inside a top-level vector.
    ///
    /// Keywords become strings (`:read` → `"read"`), `nil` becomes null,
    /// sets become sorted lists; tagged records (`#jepsen.history.Op{...}`)
    /// are read as their map; a `#jepsen.independent/tuple [k v]` value is
    /// split into key `k` and value `v`. Operations whose `:process` is not
    /// an integer (`:nemesis`) are skipped; unknown keys are ignored.
    /// Errors name the line and column.
    pub fn from_edn_str(text: &str) -> Result<History, ParseError> {
        History::parse(text, Format::Edn)
    }

    /// Parses an EDN history from a reader; see [`History::from_edn_str`].
    pub fn from_edn<R: Read>(reader: R) -> Result<History, ParseError> {
        History::from_reader(reader, &ParseOptions::new().format(Format::Edn))
    }

    /// Writes the history as EDN, one Jepsen operation map per line
    /// (`{:process 0, :type :invoke, :f :read, :value nil, :index 0}`), for
    /// Jepsen and Knossos tools. [`History::from_edn_str`] reads it back.
    pub fn to_edn<W: Write>(&self, mut writer: W) -> std::io::Result<()> {
        let mut line = String::new();
        for (index, e) in self.events().iter().enumerate() {
            line.clear();
            event_to_edn(&mut line, e, index);
            writer.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// The history as an EDN string; see [`History::to_edn`].
    pub fn to_edn_string(&self) -> String {
        let mut out = String::new();
        for (index, e) in self.events().iter().enumerate() {
            event_to_edn(&mut out, e, index);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_reads_the_test_data_as_the_general_reader_does() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
        let mut files = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "edn") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for independent in [false, true] {
                let general = read_events(&text, independent, false);
                assert_eq!(edn_events(&text, independent), general, "{path:?}");
            }
            files += 1;
        }
        assert!(files >= 10, "{files} files");
    }

    #[test]
    fn errors_come_from_the_general_reader() {
        let text = "{:process 0, :type :invoke, :f :read}\n{:process -1, :type :ok, :f :read}\n";
        let e = edn_events(text, false).unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(edn_events(text, false), read_events(text, false, false));
    }
}
