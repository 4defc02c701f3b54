//! The application: key-value operations, their results, and the state they apply to.
//! Independent of openraft's version (`openraft09-kv` compiles this file too; `LogId` and
//! `StoredMembership` are each line's own).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::types::typ::{LogId, StoredMembership};

/// A key-value operation, as clients send it and as the log carries writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Read a key (served by a linearizable read on the leader, never logged).
    Get(u64),
    /// Write a value.
    Put(u64, i64),
    /// Compare-and-set: `Cas(key, from, to)`.
    Cas(u64, i64, i64),
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

/// What applying an operation gave.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpResult {
    /// A read's value.
    Value(Option<i64>),
    /// A put was applied.
    Written,
    /// A cas was applied; whether it swapped.
    Swapped(bool),
}

/// What the state machine holds: the data, and how far the log was applied to it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Data {
    /// The last log id applied.
    pub last_applied: Option<LogId>,
    /// The last membership applied.
    pub membership: StoredMembership,
    /// The key-value map.
    pub kv: BTreeMap<u64, i64>,
}

impl Data {
    /// A read's answer from the applied state.
    pub fn apply_read(&self, op: &Op) -> OpResult {
        match *op {
            Op::Get(k) => OpResult::Value(self.kv.get(&k).copied()),
            _ => panic!("apply_read is for reads"),
        }
    }

    pub(crate) fn apply(&mut self, op: &Op) -> OpResult {
        match *op {
            Op::Get(k) => OpResult::Value(self.kv.get(&k).copied()),
            Op::Put(k, v) => {
                self.kv.insert(k, v);
                OpResult::Written
            }
            Op::Cas(k, from, to) => {
                let swapped = self.kv.get(&k) == Some(&from);
                if swapped {
                    self.kv.insert(k, to);
                }
                OpResult::Swapped(swapped)
            }
        }
    }
}
