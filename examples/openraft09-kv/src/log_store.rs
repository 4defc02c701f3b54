//! openraft 0.9's log storage (`RaftLogStorage`, storage v2) on the node's simulated disk.
//!
//! The log is an append-only file of framed records (an entry, a truncation, a purge) replayed
//! at start; the vote is its own file, replaced atomically. `append` reports the entries
//! flushed to openraft only after `sync`, and `save_vote` returns only once the vote is
//! durable: the two promises openraft's correctness rests on.
//!
//! Every change is reported to the node's [`Probe`] once it is done (an append once synced),
//! and the log replayed at start replaces what the checker knew of the log.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io;
use std::ops::RangeBounds;
use std::sync::{Arc, Mutex};

use openraft::storage::{LogFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{AnyError, OptionalSend, StorageIOError};
use sandtable::disk;
use serde::{Deserialize, Serialize};

use crate::invariants::{Logged, Probe};
use crate::record;
use crate::types::typ::{Entry, LogId, StorageError, Vote};
use crate::types::{entry_id, TypeConfig};

const LOG_FILE: &str = "raft.log";
const VOTE_FILE: &str = "raft.vote";
const COMMITTED_FILE: &str = "raft.committed";

/// One change to the log, as written to the log file.
#[derive(Serialize, Deserialize)]
enum Record {
    Entry(Entry),
    /// openraft 0.9's `truncate`: removes this index and everything after it.
    TruncateSince(u64),
    Purge(LogId),
}

/// The log as memory holds it, rebuilt from the file at start.
#[derive(Debug, Default)]
struct Log {
    entries: BTreeMap<u64, Entry>,
    last_purged: Option<LogId>,
    vote: Option<Vote>,
}

impl Log {
    fn apply(&mut self, record: Record) {
        match record {
            Record::Entry(e) => {
                self.entries.insert(e.log_id.index, e);
            }
            Record::TruncateSince(index) => {
                self.entries.split_off(&index);
            }
            Record::Purge(upto) => {
                self.entries = self.entries.split_off(&(upto.index + 1));
                self.last_purged = Some(upto);
            }
        }
    }
}

pub use crate::log_bug::LogBug;

/// How long a purge waits for the snapshot covering it to be durable.
pub const PURGE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Makes a purge wait until the state machine's snapshot on disk covers it.
///
/// openraft 0.9.25 needs it: a follower installing a leader's snapshot sends the install to
/// its state-machine task and, in the same step, purges its log up to the snapshot with no
/// condition (`Command::PurgeLog`'s condition is `None`, under a `TODO`). The purge can reach
/// the disk first; a crash in between leaves `purge_upto > snapshot_last_log_id`, and the node
/// panics at every restart on openraft's own state check (`raft_state/mod.rs:194`). The sweep
/// finds it (see the README); without a guard the example reproduces it.
pub type PurgeGuard = Option<sandtable::sync::watch::Receiver<Option<LogId>>>;

/// The log store (and, cloned, its reader).
#[derive(Clone, Debug)]
pub struct LogStore {
    log: Arc<Mutex<Log>>,
    guard: PurgeGuard,
    probe: Probe,
    bug: LogBug,
}

/// What the checker is told of `entry`.
fn logged(entry: &Entry) -> Logged {
    let encoding = serde_json::to_vec(entry).expect("an entry encodes");
    Logged::new(entry_id(&entry.log_id), &encoding)
}

fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

fn log_error(e: &io::Error) -> StorageError {
    StorageIOError::write_logs(AnyError::new(e)).into()
}

impl LogStore {
    /// Opens the node's log: replays the log file (cutting off a torn tail) and reads the vote.
    /// With a `guard`, purges wait for the snapshot (see [`PurgeGuard`]). The vote and the log
    /// read are reported to `probe` (a new incarnation of the node starts). `bug` is planted.
    pub async fn open(guard: PurgeGuard, probe: Probe, bug: LogBug) -> io::Result<LogStore> {
        let mut log = Log::default();
        let file = disk::File::open_or_create(LOG_FILE).await?;
        let bytes = file.read_all().await?;
        let (payloads, valid) = record::unframe(&bytes);
        for p in payloads {
            log.apply(serde_json::from_slice(p).map_err(invalid)?);
        }
        if valid < bytes.len() {
            file.set_len(valid as u64).await?;
            file.sync().await?;
        }
        if disk::exists(VOTE_FILE).await? {
            log.vote =
                Some(serde_json::from_slice(&disk::read(VOTE_FILE).await?).map_err(invalid)?);
        }
        probe.started(log.vote.map(|v| v.leader_id().term));
        let entries: Vec<Logged> = log.entries.values().map(logged).collect();
        probe.log_recovered(log.last_purged.as_ref().map(entry_id), &entries);
        Ok(LogStore {
            log: Arc::new(Mutex::new(log)),
            guard,
            probe,
            bug,
        })
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().expect("no panic while the log is locked")
    }

    /// Appends records to the log file; with `sync`, durably.
    async fn write(&self, records: &[Record], sync: bool) -> io::Result<()> {
        let mut bytes = Vec::new();
        for r in records {
            bytes.extend(record::frame(&serde_json::to_vec(r).map_err(invalid)?));
        }
        let file = disk::File::open_or_create(LOG_FILE).await?;
        // BUG: with `LogBug::SyncBeforeWrite` the sync comes first, so it makes durable only the
        // batches before this one; `append` then reports these entries flushed while they may
        // still be lost in a crash.
        let sync_first = self.bug == LogBug::SyncBeforeWrite;
        if sync && sync_first {
            file.sync().await?;
        }
        file.append(&bytes).await?;
        if sync && !sync_first {
            file.sync().await?;
        }
        Ok(())
    }

    /// Writes one record durably, then applies it in memory.
    async fn change(&mut self, record: Record, sync: bool) -> Result<(), StorageError> {
        let written = self.write(std::slice::from_ref(&record), sync).await;
        written.map_err(|e| log_error(&e))?;
        self.log().apply(record);
        Ok(())
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        Ok(self
            .log()
            .entries
            .range(range)
            .map(|(_, e)| e.clone())
            .collect())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let log = self.log();
        let last = log.entries.values().next_back().map(|e| e.log_id);
        Ok(LogState {
            last_purged_log_id: log.last_purged,
            last_log_id: last.or(log.last_purged),
        })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(vote).expect("a vote encodes");
        disk::write_atomic(VOTE_FILE, &bytes)
            .await
            .map_err(|e| StorageIOError::write_vote(AnyError::new(&e)))?;
        self.log().vote = Some(*vote);
        let leader = vote.leader_id();
        // An uncommitted vote's `voted_for` may be empty; only committed votes name a leader.
        let voted_for = leader.voted_for.unwrap_or(u64::MAX);
        self.probe
            .vote_saved(leader.term, voted_for, vote.is_committed());
        Ok(())
    }

    /// Saved durably, as in openraft-kv (a restarted leader must not serve reads from its
    /// snapshot's older state before it relearns the commit index).
    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(&committed).expect("a log id encodes");
        disk::write_atomic(COMMITTED_FILE, &bytes)
            .await
            .map_err(|e| log_error(&e))?;
        if let Some(committed) = committed {
            self.probe.committed(entry_id(&committed));
        }
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, StorageError> {
        let read = async {
            if !disk::exists(COMMITTED_FILE).await? {
                return Ok(None);
            }
            serde_json::from_slice(&disk::read(COMMITTED_FILE).await?).map_err(invalid)
        };
        read.await
            .map_err(|e: io::Error| StorageIOError::read(AnyError::new(&e)).into())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        Ok(self.log().vote)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let records: Vec<Record> = entries.into_iter().map(Record::Entry).collect();
        let written = self.write(&records, true).await;
        if written.is_ok() {
            let mut appended = Vec::with_capacity(records.len());
            let mut log = self.log();
            for r in records {
                if let Record::Entry(e) = &r {
                    appended.push(logged(e));
                }
                log.apply(r);
            }
            self.probe.appended(&appended);
        }
        let reported = written
            .as_ref()
            .map(|_| ())
            .map_err(|e| io::Error::new(e.kind(), e.to_string()));
        callback.log_io_completed(reported);
        written.map_err(|e| log_error(&e))
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.change(Record::TruncateSince(log_id.index), true)
            .await?;
        self.probe.truncated(log_id.index);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        if let Some(mut durable) = self.guard.clone() {
            let covered = sandtable::time::timeout(PURGE_WAIT, async move {
                durable.wait_for(|s| *s >= Some(log_id)).await.is_ok()
            });
            if !matches!(covered.await, Ok(true)) {
                let e = io::Error::other("no durable snapshot covers the purge");
                return Err(log_error(&e));
            }
        }
        // Not synced: a purge lost in a crash only leaves entries a snapshot already covers.
        self.change(Record::Purge(log_id), false).await?;
        self.probe.purged(entry_id(&log_id));
        Ok(())
    }
}
