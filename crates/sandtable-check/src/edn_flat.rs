//! The common case of an EDN history read fast: an operation map on one line whose values are
//! `nil`, decimal integers, keywords and strings without escapes (as Jepsen and Porcupine
//! write them), read straight into an [`Event`] without building a form per field. Anything
//! else (a vector value, a tag, an escape, a duplicate key, a map over several lines, a field
//! the general reader would reject) is left to the general reader, which words the errors.

use crate::{Event, EventType, Value};

/// A value as the fast path reads it.
#[derive(Clone, Copy)]
enum Flat<'a> {
    Nil,
    Int(i64),
    /// A keyword's name or a string's contents: both read as a string value.
    Name(&'a str),
}

impl Flat<'_> {
    fn value(self) -> Value {
        match self {
            Flat::Nil => Value::Null,
            Flat::Int(i) => Value::Int(i),
            Flat::Name(s) => Value::Str(s.to_string()),
        }
    }
}

/// The operation map at the start of `text` (which ends the line), read on line `line`: the
/// bytes it takes and the event (`None` for a non-client operation); `None` if it is not in
/// the fast path's shape, or if the general reader should word an error about it.
pub(crate) fn flat_event(text: &str, line: usize) -> Option<(usize, Option<Event>)> {
    let b = text.as_bytes();
    let mut i = 1;
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut fields: [Option<Flat<'_>>; 6] = [None; 6];
    loop {
        i = skip_ws(b, i);
        match *b.get(i)? {
            b'}' => break,
            b':' => {}
            _ => return None,
        }
        let (name, next) = keyword(text, i + 1)?;
        let (value, next) = value(text, skip_ws(b, next))?;
        i = next;
        let slot = ["process", "type", "f", "key", "value", "time"]
            .iter()
            .position(|f| *f == name);
        if let Some(slot) = slot {
            if fields[slot].replace(value).is_some() {
                return None;
            }
        }
    }
    let [process, kind, f, key, value, time] = fields;
    let done = i + 1;
    let process = match process? {
        Flat::Int(p) => u64::try_from(p).ok()?,
        // Jepsen's :nemesis and other non-client actors: not part of the model.
        _ => return Some((done, None)),
    };
    let Flat::Name(kind) = kind? else {
        return None;
    };
    let kind = EventType::parse(kind)?;
    let Flat::Name(f) = f? else {
        return None;
    };
    let time = match time {
        None | Some(Flat::Nil) => None,
        Some(Flat::Int(t)) => Some(u64::try_from(t).ok()?),
        Some(Flat::Name(_)) => return None,
    };
    let event = Event {
        process,
        kind,
        f: f.to_string(),
        key: key.map(Flat::value).filter(|k| !k.is_null()),
        value: value.map_or(Value::Null, Flat::value),
        time,
        line: Some(line),
    };
    Some((done, Some(event)))
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b',' | b'\t')) {
        i += 1;
    }
    i
}

/// Whether `b` ends a token where the fast path may meet it.
fn ends_token(b: Option<&u8>) -> bool {
    matches!(b, Some(b' ' | b',' | b'\t' | b'}'))
}

/// A plain keyword's name (letters, digits, `-`, `_`) starting at `i`, and where it ends.
fn keyword(text: &str, i: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    let end = i + b[i..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
        .count();
    (end > i && !b[i].is_ascii_digit() && ends_token(b.get(end))).then(|| (&text[i..end], end))
}

/// The value starting at `i`, and where it ends.
fn value(text: &str, i: usize) -> Option<(Flat<'_>, usize)> {
    let b = text.as_bytes();
    match *b.get(i)? {
        b':' => keyword(text, i + 1).map(|(name, end)| (Flat::Name(name), end)),
        b'"' => {
            let len = b[i + 1..].iter().position(|&c| c == b'"')?;
            let s = &text[i + 1..i + 1 + len];
            (!s.contains(['\\', '\n', '\r'])).then_some((Flat::Name(s), i + len + 2))
        }
        b'n' if text[i..].starts_with("nil") && ends_token(b.get(i + 3)) => {
            Some((Flat::Nil, i + 3))
        }
        b'-' | b'0'..=b'9' => {
            let digits_from = i + usize::from(b[i] == b'-');
            let end = digits_from
                + b[digits_from..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
            let digits = end - digits_from;
            // No leading zeros (`08` is not a decimal integer in EDN), no `N`, no fraction.
            if digits == 0 || (digits > 1 && b[digits_from] == b'0') || !ends_token(b.get(end)) {
                return None;
            }
            text[i..end].parse().ok().map(|n| (Flat::Int(n), end))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_porcupine_line() {
        let line = r#"{:process 6, :type :invoke, :f :append, :key "0", :value "x 6 0 y"} ; c"#;
        let (len, event) = flat_event(line, 3).unwrap();
        assert_eq!(&line[len..], " ; c");
        let e = event.unwrap();
        assert_eq!(
            (e.process, e.kind, e.f.as_str()),
            (6, EventType::Invoke, "append")
        );
        assert_eq!(e.key, Some(Value::from("0")));
        assert_eq!(e.value, Value::from("x 6 0 y"));
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn leaves_everything_else_to_the_general_reader() {
        for line in [
            r#"{:process 0, :type :ok, :f :cas, :value [1 2]}"#,
            r#"{:process 0, :type :ok, :f :read, :value "a\"b"}"#,
            r#"{:process 0, :process 1, :type :ok, :f :read}"#,
            r#"{:process 0, :type :ok, :f :read, :value 08}"#,
            r#"{:process 0, :type :ok, :f :read, :value 5N}"#,
            r#"{:process -1, :type :ok, :f :read}"#,
            r#"{:process 0, :type :done, :f :read}"#,
            r#"{:process 0, :type :ok}"#,
            r#"{:process 0, :type :ok, :f :read, :time :t}"#,
            r#"{:process 0, :type :ok, :f :read,"#,
            r#"#jepsen.history.Op{:process 0, :type :ok, :f :read}"#,
        ] {
            assert!(flat_event(line, 1).is_none(), "{line}");
        }
    }

    #[test]
    fn a_non_client_process_is_skipped() {
        let line = "{:process :nemesis, :type :info, :f :start}";
        assert_eq!(flat_event(line, 1), Some((line.len(), None)));
    }
}
