//! openraft's log storage, in memory: entries by index, the vote, the committed id, the purge point.
//!
//! One implementation for every runtime (`impl<Rt> RaftLogStorage<Cfg<Rt>>`); nothing here
//! awaits, so `append` reports the entries flushed before it returns.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io;
use std::ops::RangeBounds;
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::{IOFlushed, LogState, RaftLogReader, RaftLogStorage};
use openraft::{AsyncRuntime, OptionalSend};

use crate::types::{Cfg, Entry, LogId, Vote};

/// The log as a node holds it.
#[derive(Debug, Default)]
pub struct Log {
    /// Entries by index.
    pub entries: BTreeMap<u64, Entry>,
    /// The last entry purged (covered by a snapshot).
    pub last_purged: Option<LogId>,
    /// The vote last saved.
    pub vote: Option<Vote>,
    /// The committed id last saved.
    pub committed: Option<LogId>,
}

impl Log {
    /// The id of the last entry (or of the purge point, if the log is empty).
    pub fn last_log_id(&self) -> Option<LogId> {
        let last = self.entries.values().next_back().map(|e| e.log_id);
        last.or(self.last_purged)
    }
}

/// The log store (and, cloned, its reader).
#[derive(Clone, Debug, Default)]
pub struct LogStore {
    log: Arc<Mutex<Log>>,
}

impl LogStore {
    /// The log, locked (never across an await).
    pub fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().expect("no panic while the log is locked")
    }
}

impl<Rt: AsyncRuntime> RaftLogReader<Cfg<Rt>> for LogStore {
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

impl<Rt: AsyncRuntime> RaftLogStorage<Cfg<Rt>> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<Cfg<Rt>>, io::Error> {
        let log = self.log();
        Ok(LogState {
            last_purged_log_id: log.last_purged,
            last_log_id: log.last_log_id(),
        })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), io::Error> {
        self.log().vote = Some(*vote);
        Ok(())
    }

    async fn append<I>(&mut self, entries: I, callback: IOFlushed<Cfg<Rt>>) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        {
            let mut log = self.log();
            for e in entries {
                log.entries.insert(e.log_id.index, e);
            }
        }
        callback.io_completed(Ok(()));
        Ok(())
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), io::Error> {
        self.log().committed = committed;
        Ok(())
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, io::Error> {
        Ok(self.log().committed)
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogId>) -> Result<(), io::Error> {
        let from = last_log_id.map_or(0, |l| l.index + 1);
        self.log().entries.split_off(&from);
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        let mut log = self.log();
        log.entries = log.entries.split_off(&(log_id.index + 1));
        log.last_purged = Some(log_id);
        Ok(())
    }
}
