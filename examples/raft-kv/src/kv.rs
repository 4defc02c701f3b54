//! The replicated state machine: a key-value map with client sessions, so a request retried
//! across leader changes is applied once (§8 of the Raft paper, "client interaction").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::message::{Command, Op, OpResult};

/// The key-value store and the last answer of every client session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KvStore {
    data: BTreeMap<u64, i64>,
    /// Per client: the last sequence number applied and its result.
    sessions: BTreeMap<u64, (u64, OpResult)>,
}

impl KvStore {
    /// Applies `command` and returns the client's result (for a client command). With `dedup`,
    /// a sequence number already applied returns the recorded result instead of running again.
    pub fn apply(&mut self, command: &Command, dedup: bool) -> Option<(u64, u64, OpResult)> {
        let Command::Client { client, seq, op } = command else {
            return None;
        };
        if dedup {
            if let Some((last, result)) = self.sessions.get(client) {
                if *seq == *last {
                    return Some((*client, *seq, result.clone()));
                }
                if *seq < *last {
                    return None; // an old retry: its client has moved on
                }
            }
        }
        let result = self.run(op);
        self.sessions.insert(*client, (*seq, result.clone()));
        Some((*client, *seq, result))
    }

    /// Runs `op` on the map.
    fn run(&mut self, op: &Op) -> OpResult {
        match *op {
            Op::Get(k) => OpResult::Value(self.data.get(&k).copied()),
            Op::Put(k, v) => {
                self.data.insert(k, v);
                OpResult::Written
            }
            Op::Cas(k, from, to) => {
                let swapped = self.data.get(&k) == Some(&from);
                if swapped {
                    self.data.insert(k, to);
                }
                OpResult::Swapped(swapped)
            }
        }
    }

    /// A read of local state, outside the log (only [`crate::Bug::StaleLocalReads`] does this).
    pub fn read_local(&self, key: u64) -> OpResult {
        OpResult::Value(self.data.get(&key).copied())
    }

    /// The map alone, its sessions forgotten (only [`crate::Bug::SnapshotWithoutSessions`]).
    pub fn without_sessions(&self) -> KvStore {
        KvStore {
            data: self.data.clone(),
            sessions: BTreeMap::new(),
        }
    }

    /// The store as bytes, for a snapshot.
    pub fn to_bytes(&self) -> Vec<u8> {
        bincode::serde::encode_to_vec(self, bincode::config::standard())
            .expect("a BTreeMap of integers always encodes")
    }

    /// The store from a snapshot's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<KvStore, bincode::error::DecodeError> {
        bincode::serde::decode_from_slice(bytes, bincode::config::standard()).map(|(s, _)| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(client: u64, seq: u64, k: u64, v: i64) -> Command {
        Command::Client {
            client,
            seq,
            op: Op::Put(k, v),
        }
    }

    #[test]
    fn a_retried_request_is_applied_once() {
        let mut kv = KvStore::default();
        let cas = Command::Client {
            client: 1,
            seq: 2,
            op: Op::Cas(5, 1, 2),
        };
        kv.apply(&put(1, 1, 5, 1), true);
        assert_eq!(kv.apply(&cas, true).unwrap().2, OpResult::Swapped(true));
        // The retry finds 2, not 1, but answers as the first application did.
        assert_eq!(kv.apply(&cas, true).unwrap().2, OpResult::Swapped(true));
        assert_eq!(kv.read_local(5), OpResult::Value(Some(2)));
        // An older retry is ignored.
        assert_eq!(kv.apply(&put(1, 1, 5, 9), true), None);
        assert_eq!(kv.read_local(5), OpResult::Value(Some(2)));
    }

    #[test]
    fn without_dedup_a_retry_runs_again() {
        let mut kv = KvStore::default();
        kv.apply(&put(1, 1, 5, 1), false);
        kv.apply(&put(2, 1, 5, 7), false);
        kv.apply(&put(1, 1, 5, 1), false);
        assert_eq!(kv.read_local(5), OpResult::Value(Some(1)));
    }

    #[test]
    fn snapshots_round_trip() {
        let mut kv = KvStore::default();
        kv.apply(&put(1, 1, 5, 1), true);
        let back = KvStore::from_bytes(&kv.to_bytes()).unwrap();
        assert_eq!(back, kv);
    }
}
