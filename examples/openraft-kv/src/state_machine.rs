//! The key-value state machine, with its snapshots on the node's simulated disk.
//!
//! The applied state lives in memory and is lost in a crash; a snapshot (built by openraft's
//! policy, or installed from the leader) is written atomically and durably before openraft is
//! told about it, and a restarted node starts from it (openraft then re-applies the log).

use std::io;
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use openraft::storage::{EntryResponder, RaftSnapshotBuilder, RaftStateMachine};
use openraft::{EntryPayload, OptionalSend};
use sandtable::disk;
use serde::{Deserialize, Serialize};

use crate::invariants::Probe;
use crate::types::typ::{LogId, Snapshot, SnapshotMeta, StoredMembership};
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
#[derive(Clone, Debug)]
pub struct StateMachine {
    data: Arc<Mutex<Data>>,
    probe: Probe,
}

fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl StateMachine {
    /// Opens the node's state machine: the last durable snapshot, or empty. What it applies
    /// is reported to `probe`.
    pub async fn open(probe: Probe) -> io::Result<StateMachine> {
        let sm = StateMachine {
            data: Arc::default(),
            probe,
        };
        if let Some(stored) = read_stored().await? {
            *sm.data() = serde_json::from_slice(&stored.data).map_err(invalid)?;
        }
        Ok(sm)
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

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    type SnapshotData = SnapshotData;

    async fn build_snapshot(&mut self) -> Result<Snapshot, io::Error> {
        let (bytes, last_log_id, last_membership) = {
            let data = self.data();
            let bytes = serde_json::to_vec(&*data).map_err(invalid)?;
            (bytes, data.last_applied, data.membership.clone())
        };
        let meta = SnapshotMeta {
            last_log_id,
            last_membership,
        };
        write_stored(&Stored {
            meta: meta.clone(),
            data: bytes.clone(),
        })
        .await?;
        Ok(Snapshot {
            meta,
            snapshot: SnapshotData::new(bytes),
        })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotData = SnapshotData;
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), io::Error> {
        let data = self.data();
        Ok((data.last_applied, data.membership.clone()))
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> Result<(), io::Error>
    where
        Strm: futures::Stream<Item = Result<EntryResponder<TypeConfig>, io::Error>>
            + Unpin
            + OptionalSend,
    {
        while let Some((entry, responder)) = entries.try_next().await? {
            let encoded = serde_json::to_vec(&entry).map_err(invalid)?;
            self.probe.applied(entry_id(&entry.log_id), &encoded);
            let result = {
                let mut data = self.data();
                data.last_applied = Some(entry.log_id);
                match &entry.payload {
                    EntryPayload::Blank => OpResult::Written,
                    EntryPayload::Normal(op) => data.apply(op),
                    EntryPayload::Membership(m) => {
                        data.membership = StoredMembership::new(Some(entry.log_id), m.clone());
                        OpResult::Written
                    }
                }
            };
            if let Some(responder) = responder {
                responder.send(result);
            }
        }
        Ok(())
    }

    async fn get_snapshot_builder(&mut self) -> StateMachine {
        self.clone()
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: SnapshotData,
    ) -> Result<(), io::Error> {
        let bytes = snapshot.into_inner();
        let data: Data = serde_json::from_slice(&bytes).map_err(invalid)?;
        write_stored(&Stored {
            meta: meta.clone(),
            data: bytes,
        })
        .await?;
        *self.data() = data;
        self.probe
            .snapshot_installed(meta.last_log_id.map(|l| l.index));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, io::Error> {
        Ok(read_stored().await?.map(|s| Snapshot {
            meta: s.meta,
            snapshot: SnapshotData::new(s.data),
        }))
    }
}
