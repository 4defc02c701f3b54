//! Durable state on the node's disk, through `sandtable::disk`:
//!
//! - `raft-hard`: the current term and vote, replaced atomically (write, sync, rename);
//! - `raft-snapshot`: the latest snapshot (its last index and term, and the state machine),
//!   replaced atomically;
//! - `raft-log`: the entries after the snapshot as checksummed records, appended and synced;
//!   a conflict truncates the file at the first replaced entry, a compaction rewrites it
//!   atomically. Recovery reads records up to the first torn or corrupt one.
//!
//! Every batch is synced before the shell sends the messages that depend on it.

use std::io;

use serde::{Deserialize, Serialize};

use sandtable::disk::{self, File};

use crate::bug::Bug;
use crate::log::Log;
use crate::message::{Entry, NodeIdx};
use crate::probe::Persistent;

const HARD: &str = "raft-hard";
const SNAPSHOT: &str = "raft-snapshot";
const LOG: &str = "raft-log";
const RECORD_HEADER: usize = 12; // u32 length + u64 checksum

/// What a node finds on its disk when it starts.
#[derive(Debug, Default)]
pub struct Recovered {
    /// The persisted term.
    pub term: u64,
    /// The persisted vote in that term.
    pub voted_for: Option<NodeIdx>,
    /// The log after the snapshot.
    pub log: Log,
    /// The snapshot's state machine bytes.
    pub snapshot: Option<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
struct HardState {
    term: u64,
    voted_for: Option<NodeIdx>,
}

#[derive(Serialize, Deserialize)]
struct SnapshotFile {
    last_index: u64,
    last_term: u64,
    data: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    index: u64,
    entry: Entry,
}

/// The open log file and where each of its records starts.
pub struct Storage {
    bug: Bug,
    log: File,
    /// Index of the file's first record, and each record's byte offset from there on.
    first_index: u64,
    offsets: Vec<u64>,
    len: u64,
    /// What the files hold, as far as this storage wrote and synced them.
    saved: Persistent,
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard())
        .expect("storage records always encode")
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .ok()
        .map(|(v, _)| v)
}

/// FNV-1a: enough to tell a torn or corrupted record from a whole one.
fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn frame(index: u64, entry: &Entry, out: &mut Vec<u8>) {
    let payload = encode(&Record {
        index,
        entry: entry.clone(),
    });
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
}

/// Parses whole records from the start of `bytes`: (index, entry, offset) each, stopping at
/// the first torn or corrupt one.
fn parse(bytes: &[u8]) -> Vec<(u64, Entry, u64)> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while bytes.len() >= at + RECORD_HEADER {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        let sum = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().expect("8 bytes"));
        let body = at + RECORD_HEADER;
        if bytes.len() < body + len || checksum(&bytes[body..body + len]) != sum {
            break;
        }
        let Some(rec) = decode::<Record>(&bytes[body..body + len]) else {
            break;
        };
        out.push((rec.index, rec.entry, at as u64));
        at = body + len;
    }
    out
}

impl Storage {
    /// Opens the node's files and recovers its state.
    pub async fn open(bug: Bug) -> io::Result<(Storage, Recovered)> {
        let mut rec = Recovered::default();
        if bug != Bug::TermNotPersisted {
            if let Some(h) = read_opt(HARD).await?.and_then(|b| decode::<HardState>(&b)) {
                rec.term = h.term;
                rec.voted_for = h.voted_for;
            }
        }
        let (mut base_index, mut base_term) = (0, 0);
        if let Some(s) = read_opt(SNAPSHOT)
            .await?
            .and_then(|b| decode::<SnapshotFile>(&b))
        {
            (base_index, base_term) = (s.last_index, s.last_term);
            rec.snapshot = Some(s.data);
        }
        let log = File::open_or_create(LOG).await?;
        let bytes = log.read_all().await?;
        let records = parse(&bytes);
        let mut entries = Vec::new();
        let mut storage = Storage {
            bug,
            log,
            first_index: base_index + 1,
            offsets: Vec::new(),
            len: 0,
            saved: Persistent {
                term: rec.term,
                voted_for: rec.voted_for,
                last: (0, 0),
            },
        };
        for (index, entry, offset) in records {
            if index <= base_index {
                continue; // covered by the snapshot (a crash came before the log's rewrite)
            }
            if index != base_index + 1 + entries.len() as u64 {
                break; // a gap: nothing after it is trusted
            }
            if storage.offsets.is_empty() {
                storage.first_index = index;
            }
            storage.offsets.push(offset);
            entries.push(entry);
        }
        // Everything past the last good record is garbage: cut it so appends follow it.
        storage.len = match storage.offsets.last() {
            Some(&last) => last + record_len(&bytes, last),
            None => 0,
        };
        if storage.offsets.is_empty() || storage.first_index != base_index + 1 {
            storage.rewrite(base_index, &[]).await?;
            entries.clear();
        } else if storage.len != bytes.len() as u64 {
            storage.log.set_len(storage.len).await?;
        }
        rec.log = Log::new(base_index, base_term, entries);
        storage.saved.last = (rec.log.last_index(), rec.log.last_term());
        Ok((storage, rec))
    }

    /// Persists the term and vote.
    pub async fn save_hard_state(
        &mut self,
        term: u64,
        voted_for: Option<NodeIdx>,
    ) -> io::Result<()> {
        if self.bug == Bug::TermNotPersisted {
            return Ok(()); // BUG: kept in memory only
        }
        let bytes = encode(&HardState { term, voted_for });
        self.replace(HARD, &bytes).await?;
        (self.saved.term, self.saved.voted_for) = (term, voted_for);
        Ok(())
    }

    /// The term, vote and log end the files hold (what this storage wrote and synced).
    pub fn saved(&self) -> Persistent {
        self.saved
    }

    /// Persists a snapshot (the log's base is its last index and term).
    pub async fn save_snapshot(&mut self, log: &Log, data: &[u8]) -> io::Result<()> {
        let file = SnapshotFile {
            last_index: log.base_index(),
            last_term: log.base_term(),
            data: data.to_vec(),
        };
        self.replace(SNAPSHOT, &encode(&file)).await
    }

    /// Persists the log's entries from `from` on (everything before is already on disk).
    pub async fn save_log(&mut self, log: &Log, from: u64) -> io::Result<()> {
        self.write_log(log, from).await?;
        self.saved.last = (log.last_index(), log.last_term());
        Ok(())
    }

    async fn write_log(&mut self, log: &Log, from: u64) -> io::Result<()> {
        if from < self.first_index || log.base_index() + 1 != self.first_index {
            return self.rewrite(log.base_index(), log.entries()).await;
        }
        let keep = (from - self.first_index) as usize;
        if keep < self.offsets.len() {
            self.len = self.offsets[keep];
            self.offsets.truncate(keep);
            self.log.set_len(self.len).await?;
        }
        let mut buf = Vec::new();
        let first = self.first_index + self.offsets.len() as u64;
        for (index, entry) in (first..).zip(log.slice(first, usize::MAX)) {
            self.offsets.push(self.len + buf.len() as u64);
            frame(index, entry, &mut buf);
        }
        self.log.write_at(self.len, &buf).await?;
        self.len += buf.len() as u64;
        self.sync_log().await
    }

    async fn sync_log(&self) -> io::Result<()> {
        if self.bug == Bug::NoSyncBeforeReply {
            return Ok(()); // BUG: the reply goes out before the entries are durable
        }
        self.log.sync().await
    }

    /// Writes the whole log file anew (after a compaction or snapshot install), atomically.
    /// The bookkeeping changes only once the new file is in place and open: after a failure
    /// it still describes the file on disk, so the retry rewrites again.
    async fn rewrite(&mut self, base_index: u64, entries: &[Entry]) -> io::Result<()> {
        let mut buf = Vec::new();
        let mut offsets = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            offsets.push(buf.len() as u64);
            frame(base_index + 1 + i as u64, entry, &mut buf);
        }
        self.replace(LOG, &buf).await?;
        self.log = File::open(LOG).await?;
        self.first_index = base_index + 1;
        self.offsets = offsets;
        self.len = buf.len() as u64;
        Ok(())
    }

    /// Replaces a file's content: atomically and durably, unless the planted bug skips the sync.
    async fn replace(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        if self.bug == Bug::NoSyncBeforeReply {
            let tmp = format!("{path}.tmp");
            let f = File::create(&tmp).await?;
            f.write_at(0, bytes).await?;
            return disk::rename(&tmp, path).await; // BUG: renamed before its data is synced
        }
        disk::write_atomic(path, bytes).await
    }
}

fn record_len(bytes: &[u8], at: u64) -> u64 {
    let at = at as usize;
    let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("parsed before")) as u64;
    RECORD_HEADER as u64 + len
}

async fn read_opt(path: &str) -> io::Result<Option<Vec<u8>>> {
    if !disk::exists(path).await? {
        return Ok(None);
    }
    disk::read(path).await.map(Some)
}

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::time::Duration;

    use futures::future::LocalBoxFuture;
    use sandtable::Sim;

    use super::*;
    use crate::message::Command;

    /// Runs `write` on a fresh node's storage, restarts the node, and returns what `read`
    /// makes of the state the restarted node recovers.
    fn across_a_restart<T: 'static>(
        write: impl Fn(Storage) -> LocalBoxFuture<'static, ()> + 'static,
        read: impl Fn(&Recovered) -> T + 'static,
    ) -> Option<T> {
        let sim = Sim::new(1);
        let seen = Rc::new(RefCell::new(None));
        let written = Rc::new(Cell::new(false));
        let (s, write, read) = (seen.clone(), Rc::new(write), Rc::new(read));
        let node = sim.add_node("n0", move || {
            let (s, written, write, read) =
                (s.clone(), written.clone(), write.clone(), read.clone());
            async move {
                let (storage, rec) = Storage::open(Bug::None).await.expect("opens");
                if written.replace(true) {
                    *s.borrow_mut() = Some(read(&rec));
                    return;
                }
                write(storage).await;
                std::future::pending::<()>().await;
            }
        });
        sim.run_for(Duration::from_secs(1)).unwrap();
        sim.restart(node);
        sim.run_for(Duration::from_secs(1)).unwrap();
        seen.take()
    }

    fn at(term: u64) -> Entry {
        Entry {
            term,
            command: Command::Noop,
        }
    }

    #[test]
    fn term_vote_and_log_survive_a_restart() {
        let recovered = across_a_restart(
            |mut storage| {
                Box::pin(async move {
                    let log = Log::new(0, 0, vec![at(7), at(7)]);
                    storage.save_log(&log, 1).await.expect("the log is written");
                    storage.save_hard_state(7, Some(2)).await.expect("saved");
                })
            },
            |rec| {
                (
                    rec.term,
                    rec.voted_for,
                    (rec.log.last_index(), rec.log.last_term()),
                )
            },
        );
        assert_eq!(recovered, Some((7, Some(2), (2, 7))), "term, vote, log");
    }

    #[test]
    fn a_truncated_suffix_does_not_come_back_after_a_restart() {
        let recovered = across_a_restart(
            |mut storage| {
                Box::pin(async move {
                    // Four entries of term 1, then a leader of term 2 replaces them from index
                    // 3 with one entry of the same size: the file must end after it.
                    let log = Log::new(0, 0, vec![at(1), at(1), at(1), at(1)]);
                    storage.save_log(&log, 1).await.expect("written");
                    let log = Log::new(0, 0, vec![at(1), at(1), at(2)]);
                    storage
                        .save_log(&log, 3)
                        .await
                        .expect("truncated and written");
                })
            },
            |rec| {
                rec.log
                    .entries()
                    .iter()
                    .map(|e| e.term)
                    .collect::<Vec<u64>>()
            },
        );
        assert_eq!(recovered, Some(vec![1, 1, 2]));
    }
}
