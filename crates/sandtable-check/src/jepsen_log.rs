//! Jepsen's text logs (`jepsen.log`, as in Porcupine's etcd test data):
//! operations are the lines `... jepsen.util - PROCESS<TAB>:TYPE<TAB>:F<TAB>VALUE`.

use std::io::Read;

use crate::edn::{Pos, Reader};
use crate::edn_history::{edn_error, key_and_value};
use crate::{Event, EventType, Format, History, ParseError, ParseErrorKind, ParseOptions};

/// What precedes the operation fields: older Jepsen (`INFO  jepsen.util - `)
/// and newer logback patterns (`[jepsen worker 0] jepsen.util: `).
const MARKERS: [&str; 2] = ["jepsen.util - ", "jepsen.util: "];

/// The byte offset where the operation fields start, if `line` is an
/// operation line: a marker, then at least three fields (separated by tabs, or by runs of
/// spaces in logs that were re-spaced) of which the second is a keyword (`:invoke`). Other log
/// lines are ignored.
pub(crate) fn op_fields(line: &str) -> Option<usize> {
    MARKERS.iter().find_map(|marker| {
        let start = line.find(marker)? + marker.len();
        let fields = split_fields(line, start);
        (fields.len() >= 3 && fields[1].1.starts_with(':')).then_some(start)
    })
}

/// The fields from `start` on, each as (byte offset in `line`, trimmed text). Tab-separated
/// when the line has a tab; otherwise separated by runs of spaces, the value being the rest
/// of the line after the third field.
fn split_fields(line: &str, start: usize) -> Vec<(usize, &str)> {
    let mut fields = Vec::with_capacity(5);
    let rest = &line[start..];
    if rest.contains('\t') {
        let mut offset = start;
        for field in rest.split('\t') {
            let trimmed = field.trim_start();
            fields.push((offset + field.len() - trimmed.len(), trimmed.trim_end()));
            offset += field.len() + 1;
        }
        return fields;
    }
    let mut at = start;
    while fields.len() < 3 {
        let field = &line[at..];
        let trimmed = field.trim_start();
        if trimmed.is_empty() {
            return fields;
        }
        let from = at + field.len() - trimmed.len();
        let len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        fields.push((from, &line[from..from + len]));
        at = from + len;
    }
    let value = line[at..].trim_start();
    if !value.is_empty() {
        fields.push((line.len() - value.len(), value.trim_end()));
    }
    fields
}

/// 1-based character column of byte offset `at` in `line`.
fn column(line: &str, at: usize) -> usize {
    line[..at].chars().count() + 1
}

/// The client events of a Jepsen log.
pub(crate) fn jepsen_log_events(text: &str, independent: bool) -> Result<Vec<Event>, ParseError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(start) = op_fields(line) {
            if let Some(event) = parse_op(line, i + 1, start, independent)? {
                events.push(event);
            }
        }
    }
    Ok(events)
}

/// One operation line; `None` for the nemesis and other non-client processes.
fn parse_op(
    line: &str,
    n: usize,
    start: usize,
    independent: bool,
) -> Result<Option<Event>, ParseError> {
    // (byte offset of the trimmed field in `line`, trimmed field)
    let fields = split_fields(line, start);
    // Without tabs, nothing separates the value from later fields (an error): read one value.
    let tabbed = line[start..].contains('\t');
    let err = |at: usize, kind| ParseError::at(n, column(line, at), kind);
    let (at, process) = fields[0];
    let process = if !process.is_empty() && process.bytes().all(|b| b.is_ascii_digit()) {
        process.parse::<u64>().map_err(|_| {
            let message = format!("{process} is not a 64-bit process number");
            err(
                at,
                ParseErrorKind::BadField {
                    field: "process",
                    message,
                },
            )
        })?
    } else if process.len() > 1
        && process.starts_with('-')
        && process[1..].bytes().all(|b| b.is_ascii_digit())
    {
        let message = format!("{process} is not a non-negative integer");
        return Err(err(
            at,
            ParseErrorKind::BadField {
                field: "process",
                message,
            },
        ));
    } else {
        // :nemesis and other non-client actors: not part of the model.
        return Ok(None);
    };
    let (at, kind) = fields[1];
    let name = kind.trim_start_matches(':');
    let kind = EventType::parse(name)
        .ok_or_else(|| err(at, ParseErrorKind::UnknownType(name.to_string())))?;
    let (at, f) = fields[2];
    let f = f.strip_prefix(':').unwrap_or(f);
    if f.is_empty() {
        let message = "expected the operation name (`:read`) in the third field".to_string();
        return Err(err(at, ParseErrorKind::JepsenLog(message)));
    }
    // Fields after the value (newer Jepsen logs the :error there) are ignored.
    let value = match fields.get(3) {
        Some(&(at, text)) if !text.is_empty() => {
            let origin = Pos {
                line: n,
                column: column(line, at),
            };
            let mut reader = Reader::at(text, origin);
            reader.skip_ws().map_err(edn_error)?;
            let node = reader.read().map_err(edn_error)?;
            if tabbed && !reader.at_end().map_err(edn_error)? {
                let pos = reader.pos();
                let message = format!(
                    "unexpected text after the value {}: expected one EDN value in the fourth field",
                    node.edn.describe()
                );
                return Err(ParseError::at(
                    pos.line,
                    pos.column,
                    ParseErrorKind::JepsenLog(message),
                ));
            }
            Some(node)
        }
        _ => None,
    };
    let event_pos = Pos {
        line: n,
        column: column(line, start),
    };
    let (key, value) = key_and_value(kind, None, value.as_ref(), independent, event_pos)?;
    Ok(Some(Event {
        process,
        kind,
        f: f.to_string(),
        key,
        value,
        time: None,
        line: Some(n),
    }))
}

impl History {
    /// Parses a Jepsen text log (such as the etcd logs in Porcupine's test
    /// data): the lines `INFO  jepsen.util - 3<TAB>:invoke<TAB>:read<TAB>nil`
    /// are operations (process, type, f, EDN value); all other lines are
    /// ignored, as are operations of non-integer processes (`:nemesis`).
    pub fn from_jepsen_log_str(text: &str) -> Result<History, ParseError> {
        History::parse(text, Format::JepsenLog)
    }

    /// Parses a Jepsen text log from a reader; see [`History::from_jepsen_log_str`].
    pub fn from_jepsen_log<R: Read>(reader: R) -> Result<History, ParseError> {
        History::from_reader(reader, &ParseOptions::new().format(Format::JepsenLog))
    }
}
