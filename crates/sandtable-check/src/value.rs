//! The dynamic [`Value`] carried by history events.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// A value in a history: the `key` or `value` of an event.
///
/// Serialises to the natural JSON: `null`, an integer, a string or an array.
/// Values are totally ordered (`Null < Int < Str < List`) so they can key
/// ordered maps deterministically.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Value {
    /// JSON `null`: nothing, or "nothing written yet" for a read.
    #[default]
    Null,
    /// A 64-bit signed integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A list of values, e.g. `[expected, new]` for a `cas`.
    List(Vec<Value>),
}

impl Value {
    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The integer, if this is an [`Value::Int`].
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The string, if this is a [`Value::Str`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is a [`Value::List`].
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Converts a `serde_json::Value`, rejecting floats, booleans and objects.
    pub fn from_json(json: &serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as J;
        match json {
            J::Null => Ok(Value::Null),
            J::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .ok_or_else(|| format!("number {n} is not a 64-bit signed integer")),
            J::String(s) => Ok(Value::Str(s.clone())),
            J::Array(items) => items
                .iter()
                .map(Value::from_json)
                .collect::<Result<_, _>>()
                .map(Value::List),
            J::Bool(b) => Err(format!("boolean {b} is not a supported value")),
            J::Object(_) => Err("an object is not a supported value".to_string()),
        }
    }
}

impl fmt::Display for Value {
    /// Displays as compact JSON, except that strings are shown bare when they
    /// are a top-level value (so a key `"x"` reads as `x`); the empty string
    /// shows as `""`, so that it cannot be mistaken for nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) if s.is_empty() => f.write_str("\"\""),
            Value::Str(s) => f.write_str(s),
            other => write_json(other, f),
        }
    }
}

fn write_json(v: &Value, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match v {
        Value::Null => f.write_str("null"),
        Value::Int(i) => write!(f, "{i}"),
        Value::Str(s) => write!(f, "{s:?}"),
        Value::List(items) => {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write_json(item, f)?;
            }
            f.write_str("]")
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Str(v) => s.serialize_str(v),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null, an integer, a string or an array")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} does not fit in i64")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Int(i64::from(v))
            }
        }
    )*};
}
from_int!(i64, i32, i16, i8, u32, u16, u8);

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Str(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Str(v)
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Str(v.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl From<()> for Value {
    fn from(_: ()) -> Value {
        Value::Null
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(Value::from(3i64), Value::Int(3));
        assert_eq!(Value::from("a"), Value::Str("a".into()));
        assert_eq!(Value::from(None::<i64>), Value::Null);
        assert_eq!(Value::from(Some(2)), Value::Int(2));
        assert_eq!(
            Value::from(vec![1, 2]),
            Value::List(vec![Value::Int(1), Value::Int(2)])
        );
    }

    #[test]
    fn json_round_trip() {
        let v = Value::from(vec![Value::from(1), Value::from("x"), Value::Null]);
        let s = serde_json::to_string(&v).unwrap();
        assert_eq!(s, r#"[1,"x",null]"#);
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), v);
    }

    #[test]
    fn from_json_rejects_floats_and_objects() {
        let j: serde_json::Value = serde_json::from_str("1.5").unwrap();
        assert!(Value::from_json(&j).is_err());
        let j: serde_json::Value = serde_json::from_str("{}").unwrap();
        assert!(Value::from_json(&j).is_err());
        let j: serde_json::Value = serde_json::from_str("[1,[2,\"a\"]]").unwrap();
        assert!(Value::from_json(&j).is_ok());
    }

    #[test]
    fn display() {
        assert_eq!(Value::from("x").to_string(), "x");
        assert_eq!(Value::from(vec![1, 2]).to_string(), "[1,2]");
        assert_eq!(Value::from(vec!["a"]).to_string(), "[\"a\"]");
    }
}
