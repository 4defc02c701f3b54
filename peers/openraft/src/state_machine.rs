//! The key-value state machine, in memory, with its current snapshot in memory too.
//!
//! One implementation for every runtime (`impl<Rt> RaftStateMachine<Cfg<Rt>>`).

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use futures::TryStreamExt;
use openraft::storage::{EntryResponder, RaftSnapshotBuilder, RaftStateMachine};
use openraft::{AsyncRuntime, EntryPayload, OptionalSend};

use crate::types::{Cfg, LogId, Snapshot, SnapshotData, SnapshotMeta, StoredMembership};

/// What the state machine holds.
#[derive(Debug, Default)]
pub struct Data {
    /// The last entry applied.
    pub last_applied: Option<LogId>,
    /// The membership last applied.
    pub membership: StoredMembership,
    /// The key-value map.
    pub kv: BTreeMap<u64, u64>,
    /// The current snapshot: its metadata and the map's encoding.
    snapshot: Option<(SnapshotMeta, Vec<u8>)>,
}

/// The state machine (cheap to clone: openraft's snapshot builder is a clone).
#[derive(Clone, Debug, Default)]
pub struct StateMachine {
    data: Arc<Mutex<Data>>,
}

fn invalid(e: serde_json::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl StateMachine {
    /// The state, locked (never across an await).
    pub fn data(&self) -> MutexGuard<'_, Data> {
        self.data
            .lock()
            .expect("no panic while the state machine is locked")
    }
}

impl<Rt: AsyncRuntime> RaftSnapshotBuilder<Cfg<Rt>> for StateMachine {
    type SnapshotData = SnapshotData;

    async fn build_snapshot(&mut self) -> Result<Snapshot, io::Error> {
        let mut data = self.data();
        let bytes = serde_json::to_vec(&data.kv).map_err(invalid)?;
        let meta = SnapshotMeta {
            last_log_id: data.last_applied,
            last_membership: data.membership.clone(),
        };
        data.snapshot = Some((meta.clone(), bytes.clone()));
        Ok(Snapshot {
            meta,
            snapshot: SnapshotData::new(bytes),
        })
    }
}

impl<Rt: AsyncRuntime> RaftStateMachine<Cfg<Rt>> for StateMachine {
    type SnapshotData = SnapshotData;
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), io::Error> {
        let data = self.data();
        Ok((data.last_applied, data.membership.clone()))
    }

    async fn apply<Strm>(&mut self, mut entries: Strm) -> Result<(), io::Error>
    where
        Strm: futures::Stream<Item = Result<EntryResponder<Cfg<Rt>>, io::Error>>
            + Unpin
            + OptionalSend,
    {
        while let Some((entry, responder)) = entries.try_next().await? {
            {
                let mut data = self.data();
                data.last_applied = Some(entry.log_id);
                match &entry.payload {
                    EntryPayload::Blank => {}
                    EntryPayload::Normal(op) => {
                        data.kv.insert(op.key, op.value);
                    }
                    EntryPayload::Membership(m) => {
                        data.membership = StoredMembership::new(Some(entry.log_id), m.clone());
                    }
                }
            }
            if let Some(responder) = responder {
                responder.send(entry.log_id.index);
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
        let kv = serde_json::from_slice(&bytes).map_err(invalid)?;
        let mut data = self.data();
        data.kv = kv;
        data.last_applied = meta.last_log_id;
        data.membership = meta.last_membership.clone();
        data.snapshot = Some((meta.clone(), bytes));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, io::Error> {
        Ok(self.data().snapshot.clone().map(|(meta, bytes)| Snapshot {
            meta,
            snapshot: SnapshotData::new(bytes),
        }))
    }
}
