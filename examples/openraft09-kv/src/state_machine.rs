//! The key-value state machine (openraft 0.9's `RaftStateMachine`, storage v2), with its
//! snapshots on the node's simulated disk.
//!
//! The applied state lives in memory and is lost in a crash; a snapshot (built by openraft's
//! policy, or installed from the leader) is written atomically and durably before openraft is
//! told about it, and a restarted node starts from it (openraft then re-applies the log).

use std::io;
use std::sync::{Arc, Mutex};

use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::{AnyError, EntryPayload, OptionalSend, StorageIOError};
use sandtable::disk;
use serde::{Deserialize, Serialize};

use crate::invariants::Probe;
use crate::types::typ::{Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership};
use crate::types::{entry_id, OpResult, SnapshotData, TypeConfig};

const SNAPSHOT_FILE: &str = "sm.snapshot";

pub use crate::kv::Data;

/// A snapshot as stored on disk.
#[derive(Serialize, Deserialize)]
struct Stored {
    meta: SnapshotMeta,
    data: Vec<u8>,
}

/// The state machine (cheap to clone: the node's server reads it for linearizable reads).
#[derive(Clone)]
pub struct StateMachine {
    data: Arc<Mutex<Data>>,
    /// The last log id of the snapshot on disk. Snapshot writes hold it, one at a time, so a
    /// snapshot built from older state that finishes writing after a newer one was installed
    /// does not replace it (openraft may have purged the log up to the newer one).
    stored: Arc<sandtable::sync::Mutex<Option<LogId>>>,
    /// The same, published for the log store (see [`crate::log_store::PurgeGuard`]).
    durable: sandtable::sync::watch::Sender<Option<LogId>>,
    probe: Probe,
}

impl std::fmt::Debug for StateMachine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateMachine").finish_non_exhaustive()
    }
}

fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

fn sm_error(e: &io::Error) -> StorageError {
    StorageIOError::read_state_machine(AnyError::new(e)).into()
}

fn snapshot_error(meta: &SnapshotMeta, e: &io::Error) -> StorageError {
    StorageIOError::write_snapshot(Some(meta.signature()), AnyError::new(e)).into()
}

impl StateMachine {
    /// Opens the node's state machine: the last durable snapshot, or empty. What it applies
    /// is reported to `probe`.
    pub async fn open(probe: Probe) -> io::Result<StateMachine> {
        let sm = StateMachine {
            data: Arc::default(),
            stored: Arc::default(),
            durable: sandtable::sync::watch::channel(None).0,
            probe,
        };
        if let Some(stored) = read_stored().await? {
            *sm.data() = serde_json::from_slice(&stored.data).map_err(invalid)?;
            *sm.stored.lock().await = stored.meta.last_log_id;
            sm.durable.send_replace(stored.meta.last_log_id);
        }
        Ok(sm)
    }

    /// Follows the last log id of the snapshot on disk.
    pub fn durable_snapshot(&self) -> sandtable::sync::watch::Receiver<Option<LogId>> {
        self.durable.subscribe()
    }

    /// The applied state, locked.
    pub fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data
            .lock()
            .expect("no panic while the state machine is locked")
    }
}

async fn read_stored() -> io::Result<Option<Stored>> {
    if !disk::exists(SNAPSHOT_FILE).await? {
        return Ok(None);
    }
    let bytes = disk::read(SNAPSHOT_FILE).await?;
    Ok(Some(serde_json::from_slice(&bytes).map_err(invalid)?))
}

async fn write_stored(stored: &Stored) -> io::Result<()> {
    disk::write_atomic(SNAPSHOT_FILE, &serde_json::to_vec(stored).map_err(invalid)?).await
}

impl StateMachine {
    /// Writes `stored` durably unless the snapshot on disk is newer (then `Ok(false)`).
    async fn store(&self, stored: &Stored, replace_newer: bool) -> io::Result<bool> {
        let mut last = self.stored.lock().await;
        if !replace_newer && stored.meta.last_log_id < *last {
            return Ok(false);
        }
        write_stored(stored).await?;
        *last = stored.meta.last_log_id;
        self.durable.send_replace(*last);
        Ok(true)
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        let (bytes, last_log_id, last_membership) = {
            let data = self.data();
            let bytes = serde_json::to_vec(&*data).expect("the state machine encodes");
            (bytes, data.last_applied, data.membership.clone())
        };
        let meta = SnapshotMeta {
            last_log_id,
            last_membership,
            snapshot_id: format!("{last_log_id:?}"),
        };
        let stored = Stored {
            meta: meta.clone(),
            data: bytes.clone(),
        };
        match self.store(&stored, false).await {
            Ok(true) => {}
            // A newer snapshot was installed while this one was built: that one stands.
            Ok(false) => {
                let current = self.get_current_snapshot().await?;
                return Ok(current.expect("a newer snapshot is on disk"));
            }
            Err(e) => return Err(snapshot_error(&meta, &e)),
        }
        Ok(Snapshot {
            meta,
            snapshot: Box::new(SnapshotData::new(bytes)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let data = self.data();
        Ok((data.last_applied, data.membership.clone()))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<OpResult>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut data = self.data();
        let results = entries
            .into_iter()
            .map(|entry| {
                let encoded = serde_json::to_vec(&entry).expect("an entry encodes");
                self.probe.applied(entry_id(&entry.log_id), &encoded);
                data.last_applied = Some(entry.log_id);
                match entry.payload {
                    EntryPayload::Blank => OpResult::Written,
                    EntryPayload::Normal(op) => data.apply(&op),
                    EntryPayload::Membership(m) => {
                        data.membership = StoredMembership::new(Some(entry.log_id), m);
                        OpResult::Written
                    }
                }
            })
            .collect();
        Ok(results)
    }

    async fn get_snapshot_builder(&mut self) -> StateMachine {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<SnapshotData>, StorageError> {
        Ok(Box::new(SnapshotData::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<SnapshotData>,
    ) -> Result<(), StorageError> {
        let bytes = snapshot.into_inner();
        let data: Data =
            serde_json::from_slice(&bytes).map_err(|e| snapshot_error(meta, &invalid(e)))?;
        let stored = Stored {
            meta: meta.clone(),
            data: bytes,
        };
        // openraft decides what to install; the disk follows it.
        if let Err(e) = self.store(&stored, true).await {
            return Err(snapshot_error(meta, &e));
        }
        *self.data() = data;
        self.probe
            .snapshot_installed(meta.last_log_id.map(|l| l.index));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        let stored = read_stored().await.map_err(|e| sm_error(&e))?;
        Ok(stored.map(|s| Snapshot {
            meta: s.meta,
            snapshot: Box::new(SnapshotData::new(s.data)),
        }))
    }
}
