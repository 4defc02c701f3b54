//! [`Interner`]: maps values to small integer ids for fast model states.

use rustc_hash::FxHashMap;

use crate::Value;

/// Assigns each distinct [`Value`] a dense `u32` id, in first-seen order
/// (so ids are deterministic for a given history). Id 0 is always `null`.
#[derive(Debug, Clone)]
pub struct Interner {
    ids: FxHashMap<Value, u32>,
    values: Vec<Value>,
}

impl Default for Interner {
    fn default() -> Interner {
        Interner::new()
    }
}

impl Interner {
    /// The id of `null`.
    pub const NULL: u32 = 0;

    /// An interner holding only `null`.
    pub fn new() -> Interner {
        let mut ids = FxHashMap::default();
        ids.insert(Value::Null, Interner::NULL);
        Interner {
            ids,
            values: vec![Value::Null],
        }
    }

    /// The id of `value`, assigning a new one if unseen.
    pub fn intern(&mut self, value: &Value) -> u32 {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = u32::try_from(self.values.len()).expect("fewer than 2^32 distinct values");
        self.ids.insert(value.clone(), id);
        self.values.push(value.clone());
        id
    }

    /// The value with id `id`.
    ///
    /// # Panics
    ///
    /// If `id` was not returned by this interner.
    pub fn value(&self, id: u32) -> &Value {
        &self.values[id as usize]
    }

    /// Number of distinct values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether only `null` is interned.
    pub fn is_empty(&self) -> bool {
        self.values.len() == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_in_order() {
        let mut i = Interner::new();
        assert_eq!(i.intern(&Value::Null), 0);
        assert_eq!(i.intern(&Value::from(7)), 1);
        assert_eq!(i.intern(&Value::from("a")), 2);
        assert_eq!(i.intern(&Value::from(7)), 1);
        assert_eq!(i.value(2), &Value::from("a"));
    }
}
