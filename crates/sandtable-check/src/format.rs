//! [`Format`] and [`ParseOptions`]: which history format to read (JSON
//! Lines, EDN, Jepsen logs), format detection, and jepsen.independent tuples.

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use crate::edn_history::edn_events;
use crate::history::jsonl_events_str;
use crate::jepsen_log::{jepsen_log_events, op_fields};
use crate::{Event, EventType, History, ParseError, ParseErrorKind, TimeOrder, Value};

/// A history file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Recognise the format from the text ([`Format::detect`]).
    #[default]
    Auto,
    /// JSON Lines, one event per line ([`History::from_jsonl`]).
    Jsonl,
    /// EDN operation maps, as Jepsen's `history.edn` or Knossos
    /// ([`History::from_edn_str`]).
    Edn,
    /// A Jepsen text log (`jepsen.util - 3<TAB>:invoke<TAB>:read<TAB>nil`),
    /// as in Porcupine's etcd test data ([`History::from_jepsen_log_str`]).
    JepsenLog,
}

impl Format {
    /// The names [`Format::from_str`] accepts (and [`Format::as_str`] gives).
    pub const NAMES: &'static [&'static str] = &["auto", "jsonl", "edn", "jepsen-log"];

    /// The format's name: `auto`, `jsonl`, `edn` or `jepsen-log`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Jsonl => "jsonl",
            Format::Edn => "edn",
            Format::JepsenLog => "jepsen-log",
        }
    }

    /// Recognises the format of `text` from its first significant bytes
    /// (after whitespace and `;` comment lines): `{"` (a JSON string key) is
    /// JSON Lines; `{:`, `[`, `(` or `#` is EDN; text with a Jepsen log
    /// operation line (`jepsen.util - 0<TAB>:invoke...`) is a Jepsen log.
    /// `None` when the text is blank or none of these.
    ///
    /// ```
    /// use sandtable_check::Format;
    /// assert_eq!(Format::detect(r#"{"process":0,"type":"invoke","f":"read"}"#), Some(Format::Jsonl));
    /// assert_eq!(Format::detect("{:process 0, :type :invoke, :f :read}"), Some(Format::Edn));
    /// assert_eq!(Format::detect("INFO  jepsen.util - 0\t:invoke\t:read\tnil"), Some(Format::JepsenLog));
    /// assert_eq!(Format::detect("hello"), None);
    /// ```
    pub fn detect(text: &str) -> Option<Format> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let (at, first) = first_significant(text)?;
        if first == b'{' {
            let next = text[at + 1..].trim_start().bytes().next();
            return Some(if matches!(next, Some(b'"' | b'}')) {
                Format::Jsonl
            } else {
                Format::Edn
            });
        }
        if text.contains("jepsen.util") && text.lines().any(|l| op_fields(l).is_some()) {
            return Some(Format::JepsenLog);
        }
        matches!(first, b'[' | b'(' | b'#').then_some(Format::Edn)
    }
}

/// Byte offset and value of the first byte that is not whitespace, a comma
/// or inside a `;` comment.
fn first_significant(text: &str) -> Option<(usize, u8)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b',' => i += 1,
            b';' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b => return Some((i, b)),
        }
    }
    None
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    /// Parses `auto`, `jsonl`, `edn` or `jepsen-log`.
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "auto" => Ok(Format::Auto),
            "jsonl" | "json" => Ok(Format::Jsonl),
            "edn" => Ok(Format::Edn),
            "jepsen-log" => Ok(Format::JepsenLog),
            _ => Err(format!(
                "unknown format {s:?}; expected one of {}",
                Format::NAMES.join(", ")
            )),
        }
    }
}

/// How to read a history: its [`Format`], and whether values are
/// jepsen.independent tuples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// The format ([`Format::Auto`] by default).
    pub format: Format,
    /// Whether every operation's value is a jepsen.independent tuple
    /// `[key value]` (Jepsen's multi-key tests), to split into the event's
    /// `key` and `value`. An `info` or `fail` completion whose value is not a
    /// 2-element list keeps its value (its invocation carries the key); any
    /// other operation must carry a tuple. In EDN, values tagged
    /// `#jepsen.independent/tuple` are split even without this option.
    pub independent: bool,
    /// Whether to order the events by their `time` (stably) instead of taking the file order
    /// as the real-time order. Every event must then have a time. Off by default: Jepsen,
    /// Knossos and Porcupine histories are written in time order, and times taken from
    /// clients' clocks may disagree with the order in which a history was recorded.
    pub sort_by_time: bool,
}

impl ParseOptions {
    /// Automatic format detection, no tuple splitting.
    pub fn new() -> ParseOptions {
        ParseOptions::default()
    }

    /// Sets the format.
    pub fn format(mut self, format: Format) -> ParseOptions {
        self.format = format;
        self
    }

    /// Sets whether values are jepsen.independent tuples `[key value]`.
    pub fn independent(mut self, independent: bool) -> ParseOptions {
        self.independent = independent;
        self
    }

    /// Sets whether the events are ordered by their `time` (see [`ParseOptions::sort_by_time`]).
    pub fn sort_by_time(mut self, sort: bool) -> ParseOptions {
        self.sort_by_time = sort;
        self
    }
}

/// Splits the tuple `value = [k, v]` into `(Some(k), v)` (a `nil` key is no
/// key). `info`/`fail` completions may carry something else (their
/// invocation has the key). The error says what was wrong.
pub(crate) fn split_tuple(
    kind: EventType,
    key: Option<Value>,
    value: Value,
) -> Result<(Option<Value>, Value), String> {
    match value {
        Value::List(items) if items.len() == 2 => {
            if key.is_some() {
                return Err("has both a key and an independent tuple [key value]".to_string());
            }
            let [k, v]: [Value; 2] = items.try_into().expect("two elements");
            Ok(((!k.is_null()).then_some(k), v))
        }
        value if matches!(kind, EventType::Info | EventType::Fail) => Ok((key, value)),
        value => Err(format!(
            "expected an independent tuple [key value] (--independent), found {}",
            describe(&value)
        )),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Int(i) => format!("the integer {i}"),
        Value::Str(s) => format!("the string {s:?}"),
        Value::List(l) => format!("a list of {} elements {v}", l.len()),
    }
}

/// Splits independent tuples of already parsed events (JSON Lines).
fn split_events(events: &mut [Event]) -> Result<(), ParseError> {
    for (i, e) in events.iter_mut().enumerate() {
        let (key, value) = split_tuple(e.kind, e.key.take(), std::mem::take(&mut e.value))
            .map_err(|message| {
                let kind = ParseErrorKind::BadField {
                    field: "value",
                    message,
                };
                ParseError::new(e.line.unwrap_or(i + 1), kind)
            })?;
        e.key = key;
        e.value = value;
    }
    Ok(())
}

/// Reads all of `reader` as UTF-8, naming the line and column of bad bytes.
pub(crate) fn read_text<R: Read>(mut reader: R) -> Result<String, ParseError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| ParseError::new(1, ParseErrorKind::Io(e.to_string())))?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let good = std::str::from_utf8(good).expect("valid prefix");
        let line_start = good.rfind('\n').map_or(0, |i| i + 1);
        ParseError::at(
            good.matches('\n').count() + 1,
            good[line_start..].chars().count() + 1,
            ParseErrorKind::Io("invalid UTF-8: a history must be UTF-8 text".to_string()),
        )
    })
}

impl History {
    /// Parses `text` in `format` ([`Format::Auto`]: detected).
    ///
    /// ```
    /// use sandtable_check::{models, History, Format, Verdict, check, CheckOptions};
    ///
    /// let edn = "{:process 0, :type :invoke, :f :write, :value 1}
    /// {:process 0, :type :ok, :f :write, :value 1}
    /// {:process 1, :type :invoke, :f :read, :value nil}
    /// {:process 1, :type :ok, :f :read, :value 0}";
    /// let h = History::parse(edn, Format::Auto).unwrap();
    /// let r = check(&h, &models::CasRegister, &CheckOptions::default());
    /// assert_eq!(r.verdict, Verdict::NotLinearizable);
    /// ```
    pub fn parse(text: &str, format: Format) -> Result<History, ParseError> {
        History::parse_with(text, &ParseOptions::new().format(format))
    }

    /// Parses `text` with `options` (format, independent tuples).
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<History, ParseError> {
        History::from_parsed_events(events_of(text, options)?, options)
    }

    /// Reads a whole history from `reader` (UTF-8) with `options`.
    pub fn from_reader<R: Read>(reader: R, options: &ParseOptions) -> Result<History, ParseError> {
        let text = read_text(reader)?;
        let events = events_of(&text, options)?;
        // The text can be as big as the history: let it go before the operations are built.
        drop(text);
        History::from_parsed_events(events, options)
    }

    /// Orders (if asked) and pairs the events of a parsed text.
    fn from_parsed_events(
        mut events: Vec<Event>,
        options: &ParseOptions,
    ) -> Result<History, ParseError> {
        if options.sort_by_time {
            if let Some(e) = events.iter().find(|e| e.time.is_none()) {
                return Err(ParseError::new(
                    e.line.unwrap_or(1),
                    ParseErrorKind::MissingTime,
                ));
            }
            events.sort_by_key(|e| e.time);
            return History::from_events(events);
        }
        let disorder = TimeOrder::of(&events);
        History::from_events(events).map_err(|error| match disorder {
            Some(TimeOrder { previous, next }) => ParseError {
                kind: ParseErrorKind::NotInTimeOrder {
                    error: Box::new(error.kind),
                    line: next.0,
                    time: next.1,
                    previous_line: previous.0,
                    previous_time: previous.1,
                },
                ..error
            },
            None => error,
        })
    }
}

/// The client events of `text`, in file order (none for blank text).
fn events_of(text: &str, options: &ParseOptions) -> Result<Vec<Event>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let format = match options.format {
        Format::Auto => match Format::detect(text) {
            Some(format) => format,
            None => return unknown_format(text).map(|_| Vec::new()),
        },
        format => format,
    };
    let independent = options.independent;
    Ok(match format {
        Format::Edn => edn_events(text, independent)?,
        Format::JepsenLog => jepsen_log_events(text, independent)?,
        Format::Jsonl | Format::Auto => {
            let mut events = jsonl_events_str(text)?;
            if independent {
                split_events(&mut events)?;
            }
            events
        }
    })
}

/// Blank text is an empty history; anything else unrecognised is an error
/// at its first significant character.
fn unknown_format(text: &str) -> Result<History, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some((at, _)) = first_significant(text) else {
        return Ok(History::default());
    };
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let snippet: String = text[at..]
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(40)
        .collect();
    Err(ParseError::at(
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
        ParseErrorKind::UnknownFormat(format!("{snippet:?}")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        let d = Format::detect;
        assert_eq!(d("\n  {\"process\":0}"), Some(Format::Jsonl));
        assert_eq!(d("{ \"process\" :0}"), Some(Format::Jsonl));
        assert_eq!(d("{:process 0}"), Some(Format::Edn));
        assert_eq!(d("; a comment\n[{:process 0}]"), Some(Format::Edn));
        assert_eq!(d("(\n{:process 0})"), Some(Format::Edn));
        assert_eq!(d("#jepsen.history.Op{:process 0}"), Some(Format::Edn));
        assert_eq!(
            d("INFO  jepsen.core - start\nINFO  jepsen.util - 1\t:invoke\t:read\tnil\n"),
            Some(Format::JepsenLog)
        );
        assert_eq!(
            d("2020-06-02 18:03:19,811{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 3\t:invoke\t:read\tnil"),
            Some(Format::JepsenLog)
        );
        assert_eq!(d("INFO  jepsen.util - no operations here"), None);
        assert_eq!(d(""), None);
        assert_eq!(d(" \n; only a comment\n"), None);
        assert_eq!(d("\u{feff}{\"process\":0}"), Some(Format::Jsonl));
        let bom = "\u{feff}{\"process\":0,\"type\":\"invoke\",\"f\":\"read\"}";
        assert_eq!(History::parse(bom, Format::Auto).unwrap().len(), 1);
    }

    #[test]
    fn names_round_trip() {
        for name in Format::NAMES {
            assert_eq!(name.parse::<Format>().unwrap().as_str(), *name);
        }
        let e = "yaml".parse::<Format>().unwrap_err();
        assert!(e.contains("auto, jsonl, edn, jepsen-log"), "{e}");
    }

    #[test]
    fn auto_on_blank_is_empty_and_on_garbage_is_an_error() {
        assert!(History::parse(" \n", Format::Auto).unwrap().is_empty());
        let e = History::parse("\n\n   hello world", Format::Auto).unwrap_err();
        assert_eq!((e.line, e.column), (3, Some(4)));
        let m = e.to_string();
        assert!(
            m.starts_with("line 3, column 4: cannot tell the history format from \"hello world\""),
            "{m}"
        );
        assert!(m.contains("--format"), "{m}");
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let bytes = b"{:process 0}\n{:f \"\xff\"}".to_vec();
        let e = History::from_reader(&bytes[..], &ParseOptions::new()).unwrap_err();
        assert_eq!((e.line, e.column), (2, Some(6)));
        assert!(e.to_string().contains("invalid UTF-8"), "{e}");
    }

    #[test]
    fn splits_tuples() {
        let ok = split_tuple(EventType::Invoke, None, Value::from(vec![1, 2])).unwrap();
        assert_eq!(ok, (Some(Value::from(1)), Value::from(2)));
        let info = split_tuple(EventType::Info, None, Value::from("timed-out")).unwrap();
        assert_eq!(info, (None, Value::from("timed-out")));
        let e = split_tuple(EventType::Ok, None, Value::from(3)).unwrap_err();
        assert!(
            e.contains("expected an independent tuple [key value]"),
            "{e}"
        );
        let e = split_tuple(
            EventType::Ok,
            Some(Value::from("k")),
            Value::from(vec![1, 2]),
        )
        .unwrap_err();
        assert!(e.contains("both a key and an independent tuple"), "{e}");
    }
}
