//! One server node: storage from its disk, openraft 0.9 started on it, and the request loop
//! that hands peers' RPCs to openraft and clients' operations to the leader's log.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use openraft::error::{CheckIsLeaderError, ClientWriteError, RaftError};
use openraft::{BasicNode, ServerState, SnapshotPolicy};

use crate::invariants::{Checker, MetricsView, Probe};

use crate::log_store::{LogBug, LogStore};
use crate::network::{NetworkFactory, Transport};
use crate::state_machine::StateMachine;
use crate::types::typ::{Raft, Snapshot};
use crate::types::{Op, SnapshotData};
use crate::wire::{ClientReply, Message, Reply, Request};

/// The port every node listens on.
pub const PORT: u16 = 7000;

/// A node's place in the cluster.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Its id (its index in `names`).
    pub id: u64,
    /// Every node's name, by id.
    pub names: Vec<String>,
    /// Purges wait for a durable snapshot (`log_store::PurgeGuard`; off only to show why).
    pub guard_purges: bool,
    /// The cluster's invariant checker.
    pub checker: Checker,
    /// A bug planted in the log store (none in the real test).
    pub log_bug: LogBug,
}

/// openraft's configuration for the simulated cluster (the same as `openraft-kv`'s): short
/// timeouts (virtual time is free), frequent snapshots, and few logs kept behind them, so
/// lagging nodes get snapshots.
pub fn raft_config() -> openraft::Config {
    openraft::Config {
        cluster_name: "openraft09-kv".to_string(),
        heartbeat_interval: 50,
        election_timeout_min: 300,
        election_timeout_max: 600,
        install_snapshot_timeout: 1000,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(40),
        max_in_snapshot_log_to_keep: 10,
        purge_batch_size: 1,
        ..Default::default()
    }
}

/// The node's address.
pub fn addr(name: &str) -> String {
    format!("{name}:{PORT}")
}

/// Runs a node until it crashes: everything is rebuilt from its disk at each start.
pub async fn run(config: NodeConfig) -> std::io::Result<()> {
    let probe = config.checker.probe(config.id);
    let sm = StateMachine::open(probe.clone()).await?;
    let guard = config.guard_purges.then(|| sm.durable_snapshot());
    let log = LogStore::open(guard, probe.clone(), config.log_bug).await?;
    let transport = Transport::bind(&format!("0.0.0.0:{PORT}")).await?;
    let (out, outgoing) = sandtable::sync::mpsc::unbounded_channel();
    sandtable::task::spawn(transport.clone().send_loop(outgoing)).detach();
    let raft_config = Arc::new(raft_config().validate().expect("a valid openraft config"));
    let network = NetworkFactory { out };
    let raft = Raft::new(config.id, raft_config, network, log, sm.clone())
        .await
        .map_err(std::io::Error::other)?;
    sandtable::task::spawn(watch_metrics(raft.clone(), probe)).detach();
    if config.id == 0 {
        let members: BTreeMap<u64, BasicNode> = (0..config.names.len() as u64)
            .map(|i| (i, BasicNode::new(addr(&config.names[i as usize]))))
            .collect();
        // Refused once the cluster is initialised (after a restart): that is fine.
        let _ = raft.initialize(members).await;
    }
    serve(transport, raft, sm).await
}

/// Reports every change of openraft's metrics to the checker, until the node stops. (0.9's
/// metrics carry no committed log id; the checker gets the applied one, and learns committed
/// ids from the log store's `save_committed` and the applied entries.)
async fn watch_metrics(raft: Raft, probe: Probe) {
    let mut metrics = raft.metrics();
    loop {
        let view = {
            let m = metrics.borrow();
            MetricsView {
                term: m.current_term,
                leader: m.state == ServerState::Leader,
                committed: None,
                applied: m.last_applied.map(|l| l.index),
            }
        };
        probe.metrics(view);
        if metrics.changed().await.is_err() {
            return;
        }
    }
}

async fn serve(transport: Rc<Transport>, raft: Raft, sm: StateMachine) -> std::io::Result<()> {
    loop {
        let (from, id, request) = transport.next_request().await?;
        let (transport, raft, sm) = (transport.clone(), raft.clone(), sm.clone());
        sandtable::task::spawn(async move {
            let reply = handle(&raft, &sm, request).await;
            transport.send(from, &Message::Reply(id, reply)).await;
        })
        .detach();
    }
}

async fn handle(raft: &Raft, sm: &StateMachine, request: Request) -> Reply {
    match request {
        Request::Append(rpc) => Reply::Append(raft.append_entries(rpc).await.ok()),
        Request::Vote(rpc) => Reply::Vote(raft.vote(rpc).await.ok()),
        Request::Snapshot(vote, meta, data) => {
            let snapshot = Snapshot {
                meta,
                snapshot: Box::new(SnapshotData::new(data)),
            };
            Reply::Snapshot(raft.install_full_snapshot(vote, snapshot).await.ok())
        }
        Request::Client(op) => Reply::Client(client_op(raft, sm, op).await),
    }
}

async fn client_op(raft: &Raft, sm: &StateMachine, op: Op) -> ClientReply {
    if let Op::Get(_) = op {
        // openraft 0.9's read: confirm leadership with a quorum, wait until the read index
        // is applied, then read the state machine.
        return match raft.ensure_linearizable().await {
            Ok(_) => ClientReply::Done(sm.data().apply_read(&op)),
            Err(RaftError::APIError(CheckIsLeaderError::ForwardToLeader(f))) => {
                ClientReply::NotLeader(f.leader_id)
            }
            Err(_) => ClientReply::NotLeader(None),
        };
    }
    match raft.client_write(op).await {
        Ok(r) => ClientReply::Done(r.data),
        Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
            ClientReply::NotLeader(f.leader_id)
        }
        Err(_) => ClientReply::Unknown,
    }
}
