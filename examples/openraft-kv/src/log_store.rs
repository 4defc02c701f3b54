//! openraft's log storage on the node's simulated disk.
//!
//! The log is an append-only file of framed records (an entry, a truncation, a purge) replayed
//! at start; the vote and the committed log id are files of their own, replaced atomically. `append` reports the entries
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

use openraft::storage::{IOFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::vote::RaftLeaderId;
use openraft::OptionalSend;
use sandtable::disk;
use serde::{Deserialize, Serialize};

use crate::invariants::{Logged, Probe};
use crate::record;
use crate::types::typ::{Entry, LogId, Vote};
use crate::types::{entry_id, TypeConfig};

const LOG_FILE: &str = "raft.log";
const VOTE_FILE: &str = "raft.vote";
const COMMITTED_FILE: &str = "raft.committed";

/// One change to the log, as written to the log file.
#[derive(Serialize, Deserialize)]
enum Record {
    Entry(Entry),
    TruncateAfter(Option<LogId>),
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
            Record::TruncateAfter(last) => {
                let from = last.map_or(0, |l| l.index + 1);
                self.entries.split_off(&from);
            }
            Record::Purge(upto) => {
                self.entries = self.entries.split_off(&(upto.index + 1));
                self.last_purged = Some(upto);
            }
        }
    }
}

pub use crate::log_bug::LogBug;

/// The log store (and, cloned, its reader).
#[derive(Clone, Debug)]
pub struct LogStore {
    log: Arc<Mutex<Log>>,
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

impl LogStore {
    /// Opens the node's log: replays the log file (cutting off a torn tail) and reads the vote;
    /// reports both to `probe` (a new incarnation of the node starts). `bug` is planted.
    pub async fn open(probe: Probe, bug: LogBug) -> io::Result<LogStore> {
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
        probe.started(log.vote.map(|v| v.leader_id().term()));
        let entries: Vec<Logged> = log.entries.values().map(logged).collect();
        probe.log_recovered(log.last_purged.as_ref().map(entry_id), &entries);
        Ok(LogStore {
            log: Arc::new(Mutex::new(log)),
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
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        Ok(self
            .log()
            .entries
            .range(range)
            .map(|(_, e)| e.clone())
            .collect())
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, io::Error> {
        Ok(self.log().vote)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, io::Error> {
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

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), io::Error> {
        disk::write_atomic(VOTE_FILE, &serde_json::to_vec(vote).map_err(invalid)?).await?;
        self.log().vote = Some(*vote);
        let leader = vote.leader_id();
        let committed = vote.is_committed();
        self.probe
            .vote_saved(leader.term(), *leader.node_id(), committed);
        Ok(())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: IOFlushed<TypeConfig>,
    ) -> Result<(), io::Error>
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
        callback.io_completed(reported);
        written
    }

    /// Saved durably: without it a restarted node (even one that is leader again at once, its
    /// committed vote restored) serves reads from its snapshot's older state until it relearns
    /// the commit index — openraft's `save_committed` docs say so, and seed 28 of the sweep
    /// caught it as a stale ReadIndex read.
    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), io::Error> {
        let bytes = serde_json::to_vec(&committed).map_err(invalid)?;
        disk::write_atomic(COMMITTED_FILE, &bytes).await?;
        if let Some(committed) = committed {
            self.probe.committed(entry_id(&committed));
        }
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, io::Error> {
        if !disk::exists(COMMITTED_FILE).await? {
            return Ok(None);
        }
        serde_json::from_slice(&disk::read(COMMITTED_FILE).await?).map_err(invalid)
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogId>) -> Result<(), io::Error> {
        self.write(&[Record::TruncateAfter(last_log_id)], true)
            .await?;
        self.log().apply(Record::TruncateAfter(last_log_id));
        self.probe.truncated(last_log_id.map_or(0, |l| l.index + 1));
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        // Not synced: a purge lost in a crash only leaves entries a snapshot already covers.
        self.write(&[Record::Purge(log_id)], false).await?;
        self.log().apply(Record::Purge(log_id));
        self.probe.purged(entry_id(&log_id));
        Ok(())
    }
}
