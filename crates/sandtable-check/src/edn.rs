//! A small EDN reader and value writer: enough of EDN (and of what Clojure's
//! `pr` prints) to read Jepsen and Knossos histories, with 1-based
//! line:column positions in every node and error.
//!
//! Supported: `nil`, `true`/`false`, integers (`42`, `-7`, `42N`), floats
//! (kept as text), ratios, characters, strings with escapes, keywords,
//! symbols, lists, vectors, maps, sets `#{}`, tagged literals `#tag form`
//! (records print as `#ns.Record{...}`), symbolic values (`##Inf`), the
//! discard `#_ form`, comments `;` and commas as whitespace.

use std::fmt;

/// A 1-based position in the source text (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// An EDN form.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    /// An integer that does not fit in an `i64`, as written.
    BigInt(String),
    /// Any other number (float, decimal, ratio, `##Inf`, ...), as written.
    Float(String),
    Char(char),
    Str(String),
    /// A keyword's name, without the leading colon.
    Keyword(String),
    Symbol(String),
    List(Vec<Node>),
    Vector(Vec<Node>),
    Set(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// A tagged literal `#tag form`; the tag without `#`.
    Tagged(String, Box<Node>),
}

/// A form and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub pos: Pos,
    pub edn: Edn,
}

impl Edn {
    /// What kind of form this is, for error messages ("a vector").
    pub fn describe(&self) -> String {
        match self {
            Edn::Nil => "nil".to_string(),
            Edn::Bool(b) => format!("boolean {b}"),
            Edn::Int(i) => format!("integer {i}"),
            Edn::BigInt(s) => format!("integer {s}"),
            Edn::Float(s) => format!("number {s}"),
            Edn::Char(c) => format!("character {c:?}"),
            Edn::Str(s) => format!("string {s:?}"),
            Edn::Keyword(k) => format!("keyword :{k}"),
            Edn::Symbol(s) => format!("symbol {s}"),
            Edn::List(_) => "a list".to_string(),
            Edn::Vector(_) => "a vector".to_string(),
            Edn::Set(_) => "a set".to_string(),
            Edn::Map(_) => "a map".to_string(),
            Edn::Tagged(tag, inner) => format!("#{tag} {}", inner.edn.describe()),
        }
    }
}

/// A syntax error at a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EdnError {
    pub pos: Pos,
    pub message: String,
}

/// Nesting deeper than this is rejected (instead of overflowing the stack).
pub(crate) const MAX_DEPTH: usize = 200;

/// A cursor over EDN text that reads one form at a time.
pub(crate) struct Reader<'a> {
    text: &'a str,
    i: usize,
    line: usize,
    column: usize,
    /// How many collections or tags the reader is inside.
    depth: usize,
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b'\x0c'
            | b','
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'"'
            | b';'
    )
}

fn closer_name(close: u8) -> &'static str {
    match close {
        b']' => "vector",
        b')' => "list",
        _ => "map or set",
    }
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text` (line 1, column 1).
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader::at(text, Pos { line: 1, column: 1 })
    }

    /// A reader for `text` that starts at `origin` of some larger source.
    pub fn at(text: &'a str, origin: Pos) -> Reader<'a> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Reader {
            text,
            i: 0,
            line: origin.line,
            column: origin.column,
            depth: 0,
        }
    }

    /// The current position.
    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    /// The text not read yet.
    pub fn rest(&self) -> &'a str {
        &self.text[self.i..]
    }

    /// Consumes the next `n` bytes, which end a character.
    pub fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.bump();
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.i).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.i + ahead).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xC0 != 0x80 {
            // Count characters, not bytes: continuation bytes do not move the column.
            self.column += 1;
        }
        Some(b)
    }

    fn error<T>(&self, pos: Pos, message: impl Into<String>) -> Result<T, EdnError> {
        Err(EdnError {
            pos,
            message: message.into(),
        })
    }

    /// Skips whitespace, commas, `;` comments and `#_` discarded forms.
    pub fn skip_ws(&mut self) -> Result<(), EdnError> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b',' => {
                    self.bump();
                }
                b';' => {
                    while !matches!(self.peek(), None | Some(b'\n')) {
                        self.bump();
                    }
                }
                b'#' if self.peek_at(1) == Some(b'_') => {
                    let pos = self.pos();
                    self.bump();
                    self.bump();
                    self.skip_ws()?;
                    if self.peek().is_none() {
                        return self.error(pos, "`#_` must be followed by a form to discard");
                    }
                    self.nested(Reader::read)?;
                }
                _ => break,
            }
        }
        Ok(())
    }

    /// Whether only whitespace and comments are left.
    pub fn at_end(&mut self) -> Result<bool, EdnError> {
        self.skip_ws()?;
        Ok(self.peek().is_none())
    }

    /// The next byte after whitespace, without consuming it.
    pub fn peek_form(&mut self) -> Result<Option<u8>, EdnError> {
        self.skip_ws()?;
        Ok(self.peek())
    }

    /// Consumes one byte (after [`peek_form`](Self::peek_form)).
    pub fn consume(&mut self) {
        self.bump();
    }

    /// Runs `f` one nesting level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, EdnError>,
    ) -> Result<T, EdnError> {
        if self.depth >= MAX_DEPTH {
            return self.error(
                self.pos(),
                format!("nesting deeper than {MAX_DEPTH} levels"),
            );
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// Reads the next form; whitespace must already be skipped.
    pub fn read(&mut self) -> Result<Node, EdnError> {
        let pos = self.pos();
        let Some(b) = self.peek() else {
            return self.error(pos, "unexpected end of input, expected a value");
        };
        let edn = match b {
            b'(' => {
                self.bump();
                Edn::List(self.read_seq(b')', pos)?)
            }
            b'[' => {
                self.bump();
                Edn::Vector(self.read_seq(b']', pos)?)
            }
            b'{' => {
                self.bump();
                self.read_map(pos)?
            }
            b')' | b']' | b'}' => {
                return self.error(pos, format!("unexpected `{}`", b as char));
            }
            b'"' => {
                self.bump();
                Edn::Str(self.read_string(pos)?)
            }
            b'\\' => {
                self.bump();
                Edn::Char(self.read_char(pos)?)
            }
            b'#' => {
                self.bump();
                self.read_dispatch(pos)?
            }
            b':' => {
                let token = self.read_token();
                let name = token.trim_start_matches(':');
                if name.is_empty() {
                    return self.error(pos, format!("invalid keyword `{token}`"));
                }
                Edn::Keyword(name.to_string())
            }
            _ => {
                let token = self.read_token();
                self.classify(token)
            }
        };
        Ok(Node { pos, edn })
    }

    /// Reads forms up to `close`; the opening bracket is consumed.
    fn read_seq(&mut self, close: u8, open: Pos) -> Result<Vec<Node>, EdnError> {
        self.nested(|r| r.read_items(close, open))
    }

    fn read_items(&mut self, close: u8, open: Pos) -> Result<Vec<Node>, EdnError> {
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            match self.peek() {
                None => {
                    return self.error(
                        self.pos(),
                        format!(
                            "unexpected end of input: the {} opened at {open} is not closed (expected `{}`)",
                            closer_name(close),
                            close as char
                        ),
                    )
                }
                Some(b) if b == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(b @ (b')' | b']' | b'}')) => {
                    return self.error(
                        self.pos(),
                        format!(
                            "unexpected `{}`: expected `{}` to close the {} opened at {open}",
                            b as char,
                            close as char,
                            closer_name(close)
                        ),
                    )
                }
                Some(_) => items.push(self.read()?),
            }
        }
    }

    fn read_map(&mut self, pos: Pos) -> Result<Edn, EdnError> {
        let items = self.read_seq(b'}', pos)?;
        if items.len() % 2 == 1 {
            let last = &items[items.len() - 1];
            return self.error(
                last.pos,
                format!(
                    "the map opened at {pos} has a key without a value ({} at {})",
                    last.edn.describe(),
                    last.pos
                ),
            );
        }
        let mut pairs = Vec::with_capacity(items.len() / 2);
        let mut it = items.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            pairs.push((k, v));
        }
        Ok(Edn::Map(pairs))
    }

    fn read_dispatch(&mut self, pos: Pos) -> Result<Edn, EdnError> {
        match self.peek() {
            Some(b'{') => {
                self.bump();
                Ok(Edn::Set(self.read_seq(b'}', pos)?))
            }
            Some(b'#') => {
                self.bump();
                let token = self.read_token();
                match token {
                    "Inf" | "-Inf" | "NaN" => Ok(Edn::Float(format!("##{token}"))),
                    _ => self.error(pos, format!("unknown symbolic value `##{token}`")),
                }
            }
            Some(b'"') => {
                // A Clojure regex literal: keep its source as a tagged string.
                self.bump();
                let s = self.read_string(pos)?;
                Ok(Edn::Tagged(
                    "regex".to_string(),
                    Box::new(self.node(pos, Edn::Str(s))),
                ))
            }
            Some(b) if b.is_ascii_alphabetic() || b == b':' => {
                let tag = self.read_token().to_string();
                self.skip_ws()?;
                if self.peek().is_none() {
                    return self.error(pos, format!("tag `#{tag}` must be followed by a value"));
                }
                let inner = self.nested(Reader::read)?;
                Ok(Edn::Tagged(tag, Box::new(inner)))
            }
            Some(b) if !is_delimiter(b) => {
                let token = self.read_token();
                self.error(pos, format!("unsupported dispatch `#{token}`"))
            }
            _ => self.error(pos, "`#` must be followed by `{`, `_` or a tag"),
        }
    }

    fn node(&self, pos: Pos, edn: Edn) -> Node {
        Node { pos, edn }
    }

    /// Consumes a run of non-delimiter bytes (at least the current one).
    fn read_token(&mut self) -> &'a str {
        let start = self.i;
        self.bump();
        while let Some(b) = self.peek() {
            if is_delimiter(b) {
                break;
            }
            self.bump();
        }
        &self.text[start..self.i]
    }

    fn classify(&self, token: &str) -> Edn {
        let bytes = token.as_bytes();
        let numeric = bytes[0].is_ascii_digit()
            || (matches!(bytes[0], b'+' | b'-') && bytes.get(1).is_some_and(u8::is_ascii_digit));
        if numeric {
            return self.number(token);
        }
        match token {
            "nil" => Edn::Nil,
            "true" => Edn::Bool(true),
            "false" => Edn::Bool(false),
            _ => Edn::Symbol(token.to_string()),
        }
    }

    /// Decimal (`42`, `-7`, `42N`) and hexadecimal (`0x1F`) integers; any
    /// other numeric token (floats, ratios, `08`, ...) is kept as written.
    fn number(&self, token: &str) -> Edn {
        let negative = token.starts_with('-');
        let unsigned = token.trim_start_matches(['+', '-']);
        let unsigned = unsigned.strip_suffix('N').unwrap_or(unsigned);
        let (digits, radix) = match unsigned.strip_prefix("0x").or(unsigned.strip_prefix("0X")) {
            Some(hex) => (hex, 16),
            None => (unsigned, 10),
        };
        let plain = !digits.is_empty()
            && digits
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && (radix == 16 || b.is_ascii_digit()))
            && (radix == 16 || digits.len() == 1 || !digits.starts_with('0'));
        if !plain {
            return Edn::Float(token.to_string());
        }
        match i128::from_str_radix(digits, radix).map(|v| if negative { -v } else { v }) {
            Ok(v) => i64::try_from(v).map_or_else(|_| Edn::BigInt(token.to_string()), Edn::Int),
            Err(_) => Edn::BigInt(token.to_string()),
        }
    }

    fn read_string(&mut self, open: Pos) -> Result<String, EdnError> {
        let mut out = String::new();
        loop {
            let start = self.i;
            while !matches!(self.peek(), None | Some(b'"' | b'\\')) {
                self.bump();
            }
            out.push_str(&self.text[start..self.i]);
            let esc_pos = self.pos();
            match self.bump() {
                None => {
                    return self.error(
                        self.pos(),
                        format!("unexpected end of input: the string opened at {open} is not closed (expected `\"`)"),
                    )
                }
                Some(b'"') => return Ok(out),
                Some(_) => {}
            }
            let c = match self.bump() {
                Some(b'n') => '\n',
                Some(b't') => '\t',
                Some(b'r') => '\r',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'u') => self.read_unicode_escape(esc_pos)?,
                Some(other) if other.is_ascii() => {
                    return self.error(
                        esc_pos,
                        format!("unknown escape `\\{}` in string", other as char),
                    )
                }
                _ => return self.error(esc_pos, "unknown escape in string"),
            };
            out.push(c);
        }
    }

    fn hex4(&mut self, esc_pos: Pos) -> Result<u32, EdnError> {
        let digits = self.text.get(self.i..self.i + 4).unwrap_or("");
        match u32::from_str_radix(digits, 16) {
            Ok(v) if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
                for _ in 0..4 {
                    self.bump();
                }
                Ok(v)
            }
            _ => self.error(esc_pos, "`\\u` must be followed by 4 hex digits"),
        }
    }

    /// After `\u`: 4 hex digits, combining a surrogate pair `\uD83D\uDE00`.
    fn read_unicode_escape(&mut self, esc_pos: Pos) -> Result<char, EdnError> {
        let hi = self.hex4(esc_pos)?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if self.peek() != Some(b'\\') || self.peek_at(1) != Some(b'u') {
                return self.error(esc_pos, "unpaired surrogate in `\\u` escape");
            }
            self.bump();
            self.bump();
            let lo = self.hex4(esc_pos)?;
            if !(0xDC00..0xE000).contains(&lo) {
                return self.error(esc_pos, "unpaired surrogate in `\\u` escape");
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).map_or_else(
            || self.error(esc_pos, "invalid code point in `\\u` escape"),
            Ok,
        )
    }

    /// After `\`: a character literal (`\a`, `\newline`, `\u00e9`).
    fn read_char(&mut self, pos: Pos) -> Result<char, EdnError> {
        let Some(first) = self.text[self.i..].chars().next() else {
            return self.error(pos, "unexpected end of input after `\\`");
        };
        let start = self.i;
        for _ in 0..first.len_utf8() {
            self.bump();
        }
        while self.peek().is_some_and(|b| !is_delimiter(b)) {
            self.bump();
        }
        let token = &self.text[start..self.i];
        if token.len() == first.len_utf8() {
            return Ok(first);
        }
        let named = match token {
            "newline" => Some('\n'),
            "space" => Some(' '),
            "tab" => Some('\t'),
            "return" => Some('\r'),
            "formfeed" => Some('\u{c}'),
            "backspace" => Some('\u{8}'),
            _ => None,
        };
        let unicode = || {
            let hex = token.strip_prefix('u').filter(|h| h.len() == 4)?;
            u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
        };
        named.or_else(unicode).map_or_else(
            || self.error(pos, format!("invalid character `\\{token}`")),
            Ok,
        )
    }
}

/// Writes `s` as an EDN string literal (quoted, escaped).
pub(crate) fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether `name` can be written as the keyword `:name` and read back as itself.
pub(crate) fn is_plain_keyword(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let symbolic = |c: char| matches!(c, '-' | '_' | '*' | '!' | '?' | '<' | '>' | '=' | '+');
    let starts_ok = first.is_ascii_alphabetic() || symbolic(first);
    let second_ok = !matches!(first, '-' | '+')
        || !name[1..].chars().next().is_some_and(|c| c.is_ascii_digit());
    starts_ok && second_ok && chars.all(|c| c.is_ascii_alphanumeric() || symbolic(c) || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<Edn, EdnError> {
        let mut r = Reader::new(s);
        r.skip_ws()?;
        let node = r.read()?;
        assert!(r.at_end()?, "trailing input in {s:?}");
        Ok(node.edn)
    }

    fn err(s: &str) -> (usize, usize, String) {
        let e = read(s).unwrap_err();
        (e.pos.line, e.pos.column, e.message)
    }

    #[test]
    fn scalars() {
        assert_eq!(read("nil").unwrap(), Edn::Nil);
        assert_eq!(read("true").unwrap(), Edn::Bool(true));
        assert_eq!(read("-42").unwrap(), Edn::Int(-42));
        assert_eq!(read("+7").unwrap(), Edn::Int(7));
        assert_eq!(read("12N").unwrap(), Edn::Int(12));
        assert_eq!(read("0x1F").unwrap(), Edn::Int(31));
        assert_eq!(read("-0").unwrap(), Edn::Int(0));
        assert_eq!(read("007").unwrap(), Edn::Float("007".into()));
        assert_eq!(read("12abc").unwrap(), Edn::Float("12abc".into()));
        assert_eq!(read("-9223372036854775808").unwrap(), Edn::Int(i64::MIN));
        assert_eq!(
            read("99999999999999999999").unwrap(),
            Edn::BigInt("99999999999999999999".into())
        );
        assert_eq!(read("1.5").unwrap(), Edn::Float("1.5".into()));
        assert_eq!(read("1e3").unwrap(), Edn::Float("1e3".into()));
        assert_eq!(read("1/2").unwrap(), Edn::Float("1/2".into()));
        assert_eq!(read("##Inf").unwrap(), Edn::Float("##Inf".into()));
        assert_eq!(
            read(":timed-out").unwrap(),
            Edn::Keyword("timed-out".into())
        );
        assert_eq!(read(":a/b").unwrap(), Edn::Keyword("a/b".into()));
        assert_eq!(read("foo.bar").unwrap(), Edn::Symbol("foo.bar".into()));
        assert_eq!(read("\\a").unwrap(), Edn::Char('a'));
        assert_eq!(read("\\newline").unwrap(), Edn::Char('\n'));
        assert_eq!(read("\\u00e9").unwrap(), Edn::Char('é'));
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            read(r#""a\"b\\c\n\t\u00e9\uD83D\uDE00 é""#).unwrap(),
            Edn::Str("a\"b\\c\n\té😀 é".into())
        );
        assert_eq!(
            read("\"two\nlines\"").unwrap(),
            Edn::Str("two\nlines".into())
        );
    }

    #[test]
    fn collections_comments_commas_discard() {
        let e = read("[1, (2 3) #{4} {:a nil} ; comment\n #_ ignored 5]").unwrap();
        let Edn::Vector(items) = e else {
            panic!("{e:?}")
        };
        assert_eq!(items.len(), 5);
        assert!(matches!(items[1].edn, Edn::List(ref l) if l.len() == 2));
        assert!(matches!(items[2].edn, Edn::Set(_)));
        assert!(matches!(items[3].edn, Edn::Map(ref m) if m.len() == 1));
        assert_eq!(items[4].edn, Edn::Int(5));
        assert_eq!(
            items[4].pos,
            Pos {
                line: 2,
                column: 13
            }
        );
    }

    #[test]
    fn tagged_literals() {
        let e = read("#jepsen.history.Op{:index 0}").unwrap();
        assert!(matches!(e, Edn::Tagged(ref t, ref m)
            if t == "jepsen.history.Op" && matches!(m.edn, Edn::Map(_))));
        let e = read("#jepsen.independent/tuple [1 2]").unwrap();
        assert!(matches!(e, Edn::Tagged(ref t, _) if t == "jepsen.independent/tuple"));
        let e = read("#object[java.lang.Object 0x1 \"x\"]").unwrap();
        assert!(matches!(e, Edn::Tagged(ref t, _) if t == "object"));
    }

    #[test]
    fn columns_count_characters() {
        let mut r = Reader::new("\"éé\" x");
        r.skip_ws().unwrap();
        r.read().unwrap();
        r.skip_ws().unwrap();
        assert_eq!(r.pos(), Pos { line: 1, column: 6 });
    }

    #[test]
    fn errors_name_line_column_and_expectation() {
        let (l, c, m) = err("[1 2");
        assert_eq!((l, c), (1, 5));
        assert!(
            m.contains("vector opened at line 1, column 1") && m.contains("`]`"),
            "{m}"
        );
        let (l, c, m) = err("{:a 1\n :b)");
        assert_eq!((l, c), (2, 4));
        assert!(
            m.contains("unexpected `)`") && m.contains("expected `}`"),
            "{m}"
        );
        let (_, _, m) = err("{:a 1 :b}");
        assert!(m.contains("key without a value"), "{m}");
        let (l, c, m) = err("\n  \"abc");
        assert_eq!((l, c), (2, 7));
        assert!(m.contains("string opened at line 2, column 3"), "{m}");
        let (_, c, m) = err("\"a\\qb\"");
        assert_eq!(c, 3);
        assert!(m.contains("unknown escape `\\q`"), "{m}");
        let (_, _, m) = err("#");
        assert!(m.contains("`#` must be followed"), "{m}");
        let (_, _, m) = err("\"\\u12\"");
        assert!(m.contains("4 hex digits"), "{m}");
        let (_, _, m) = err("\"\\uD800\"");
        assert!(m.contains("unpaired surrogate"), "{m}");
        let (_, _, m) = err(":");
        assert!(m.contains("invalid keyword"), "{m}");
        let (_, _, m) = err("\\bogus");
        assert!(m.contains("invalid character"), "{m}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for deep in [
            "[".repeat(100_000),
            "#_[".repeat(100_000),
            "#t ".repeat(100_000),
        ] {
            let (_, _, m) = err(&deep);
            assert!(m.contains("nesting deeper"), "{m}");
        }
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(read(&ok).is_ok());
    }

    #[test]
    fn writes_strings_that_read_back() {
        for s in [
            "",
            "plain",
            "q\"uote",
            "back\\slash",
            "nl\ntab\t",
            "\u{1}\u{7f}",
            "é😀",
        ] {
            let mut out = String::new();
            write_str(&mut out, s);
            assert_eq!(read(&out).unwrap(), Edn::Str(s.to_string()), "{out}");
        }
    }

    #[test]
    fn plain_keywords() {
        for k in ["read", "cas", "timed-out", "a.b", "ok?", "x1"] {
            assert!(is_plain_keyword(k), "{k}");
            assert_eq!(read(&format!(":{k}")).unwrap(), Edn::Keyword(k.into()));
        }
        for k in ["", "1a", "-1", "a b", "a/b", "a:b", "é", "a,b"] {
            assert!(!is_plain_keyword(k), "{k}");
        }
    }
}
