//! The cluster and its workload, written once for any runtime: three nodes, one initialises the
//! cluster, a leader is awaited, then `clients` concurrent clients make `writes` writes in all
//! through the leader (following `ForwardToLeader`, timing out and moving on), while the fault
//! task isolates a seeded node for a while. At the end every node has applied the same log, and
//! the run's fingerprint covers every node's state, log ids and vote, and the virtual time taken.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use openraft::errors::{ClientWriteError, RaftError};
use openraft::type_config::async_runtime::WatchReceiver;
use openraft::{AsyncRuntime, BasicNode, Instant, SnapshotPolicy};
use rand::RngExt;

use crate::fingerprint::Fnv;
use crate::log_store::LogStore;
use crate::network::{latency, NetworkFactory, Router};
use crate::state_machine::StateMachine;
use crate::types::{Op, Raft};

/// Nodes in the cluster.
pub const NODES: u64 = 3;
/// Keys the clients write.
const KEYS: u64 = 8;
/// A client gives up on a node after this long and tries the next one.
const CLIENT_TIMEOUT: Duration = Duration::from_millis(1000);
/// A client told there is no leader yet waits this long.
const NO_LEADER_WAIT: Duration = Duration::from_millis(50);
/// The isolation starts within this long of the first write...
const FAULT_START_MAX_MS: u64 = 500;
/// ...and lasts this long (more than the longest election timeout, so an isolated leader is
/// replaced).
const FAULT_DURATION: Duration = Duration::from_millis(1500);
/// The limit on every wait for the cluster (a leader, convergence).
const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// What a run does.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Client writes, in all.
    pub writes: u64,
    /// Concurrent clients.
    pub clients: u64,
    /// Whether a node is isolated for a while.
    pub fault: bool,
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outcome {
    /// Writes acknowledged to clients (all of them, once the run ends).
    pub acked: u64,
    /// The last log index every node applied (writes, retried writes, blanks, membership).
    pub applied: u64,
    /// Messages between nodes (requests and replies), and those lost.
    pub sent: u64,
    /// Messages lost to the isolation.
    pub lost: u64,
    /// Virtual time the run took, in milliseconds.
    pub virtual_ms: u64,
    /// A hash of every node's final state, log ids and vote, and the virtual time taken.
    pub fingerprint: u64,
}

/// openraft's configuration, the same on both runtimes: examples/openraft-kv's timeouts.
pub fn raft_config() -> openraft::Config {
    openraft::Config {
        cluster_name: "peers-openraft".to_string(),
        heartbeat_interval: 50,
        election_timeout_min: 300,
        election_timeout_max: 600,
        install_snapshot_timeout: 1000,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(100),
        max_in_snapshot_log_to_keep: 10,
        ..Default::default()
    }
}

/// One node: its Raft handle and its storage (read at the end for the fingerprint).
struct Node<Rt: AsyncRuntime> {
    raft: Raft<Rt>,
    log: LogStore,
    sm: StateMachine,
}

/// Runs the cluster and its workload to the end on the runtime `Rt` (inside its `block_on`).
pub async fn run<Rt: AsyncRuntime>(workload: Workload) -> Outcome {
    let start = Rt::Instant::now();
    let router = Arc::new(Router::<Rt>::default());
    let nodes = start_nodes(&router).await;
    let members: BTreeMap<u64, BasicNode> = (0..NODES)
        .map(|i| (i, BasicNode::new(format!("n{i}"))))
        .collect();
    nodes[0]
        .raft
        .initialize(members)
        .await
        .expect("a fresh cluster initialises");
    let leader = leader_of(&nodes[0].raft).await;

    let rafts: Vec<Raft<Rt>> = nodes.iter().map(|n| n.raft.clone()).collect();
    let fault = workload
        .fault
        .then(|| Rt::spawn(isolate_one::<Rt>(router.clone())));
    let clients: Vec<_> = (0..workload.clients)
        .map(|c| {
            let share = workload.writes / workload.clients
                + u64::from(c < workload.writes % workload.clients);
            Rt::spawn(client::<Rt>(rafts.clone(), c, share, leader))
        })
        .collect();
    let mut acked = 0;
    for c in clients {
        acked += c.await.expect("a client task finishes");
    }
    if let Some(fault) = fault {
        fault.await.expect("the fault task finishes");
    }

    let applied = converge(&rafts).await;
    let virtual_ms = start.elapsed().as_millis() as u64;
    let fingerprint = fingerprint(&nodes, virtual_ms);
    for n in &nodes {
        n.raft.shutdown().await.expect("a node shuts down");
    }
    router.clear();
    Outcome {
        acked,
        applied,
        sent: router.sent.load(Relaxed),
        lost: router.lost.load(Relaxed),
        virtual_ms,
        fingerprint,
    }
}

async fn start_nodes<Rt: AsyncRuntime>(router: &Arc<Router<Rt>>) -> Vec<Node<Rt>> {
    let config = Arc::new(raft_config().validate().expect("a valid openraft config"));
    let mut nodes = Vec::new();
    for id in 0..NODES {
        let (log, sm) = (LogStore::default(), StateMachine::default());
        let network = NetworkFactory {
            from: id,
            router: router.clone(),
        };
        let raft = Raft::<Rt>::new(id, config.clone(), network, log.clone(), sm.clone())
            .await
            .expect("a node starts");
        router.add(id, raft.clone());
        nodes.push(Node { raft, log, sm });
    }
    nodes
}

/// Waits until `raft` knows a leader, and returns it.
async fn leader_of<Rt: AsyncRuntime>(raft: &Raft<Rt>) -> u64 {
    let metrics = raft
        .wait(Some(WAIT_LIMIT))
        .metrics(|m| m.current_leader.is_some(), "a leader")
        .await
        .expect("a leader is elected");
    metrics.current_leader.expect("waited for")
}

/// A client: `writes` writes of seeded keys, each retried until acknowledged. Returns the count.
async fn client<Rt: AsyncRuntime>(
    rafts: Vec<Raft<Rt>>,
    client: u64,
    writes: u64,
    leader: u64,
) -> u64 {
    let mut target = leader;
    for i in 0..writes {
        let key = Rt::thread_rng().random_range(0..KEYS);
        let op = Op {
            key,
            value: client << 32 | i,
        };
        loop {
            latency::<Rt>().await;
            let reply = Rt::timeout(CLIENT_TIMEOUT, rafts[target as usize].client_write(op)).await;
            latency::<Rt>().await;
            match reply {
                Ok(Ok(_)) => break,
                Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f)))) => {
                    match f.leader_id {
                        Some(l) if l != target => target = l,
                        _ => {
                            Rt::sleep(NO_LEADER_WAIT).await;
                            target = (target + 1) % NODES;
                        }
                    }
                }
                Ok(Err(e)) => panic!("client {client}: write failed: {e}"),
                Err(_timeout) => target = (target + 1) % NODES,
            }
        }
    }
    writes
}

/// The fault: after a seeded delay, isolates a seeded node for [`FAULT_DURATION`], then heals.
async fn isolate_one<Rt: AsyncRuntime>(router: Arc<Router<Rt>>) {
    let delay_ms = Rt::thread_rng().random_range(0..FAULT_START_MAX_MS);
    Rt::sleep(Duration::from_millis(delay_ms)).await;
    let node = Rt::thread_rng().random_range(0..NODES);
    router.isolate(Some(node));
    Rt::sleep(FAULT_DURATION).await;
    router.isolate(None);
}

/// Waits until every node has applied the highest log index any node holds, until that index
/// stays put; returns it.
async fn converge<Rt: AsyncRuntime>(rafts: &[Raft<Rt>]) -> u64 {
    loop {
        let target = rafts
            .iter()
            .filter_map(|r| r.metrics().borrow_watched().last_log_index)
            .max()
            .expect("the cluster has a log");
        for r in rafts {
            r.wait(Some(WAIT_LIMIT))
                .applied_index_at_least(Some(target), "converge")
                .await
                .expect("every node catches up");
        }
        let highest = rafts
            .iter()
            .filter_map(|r| r.metrics().borrow_watched().last_log_index)
            .max();
        if highest == Some(target) {
            return target;
        }
    }
}

/// Every node's map, last applied id, last log id, committed id and vote, and the virtual time.
fn fingerprint<Rt: AsyncRuntime>(nodes: &[Node<Rt>], virtual_ms: u64) -> u64 {
    let mut h = Fnv::default();
    virtual_ms.hash(&mut h);
    for n in nodes {
        let data = n.sm.data();
        data.kv.hash(&mut h);
        format!("{:?}", data.last_applied).hash(&mut h);
        let log = n.log.log();
        format!("{:?} {:?} {:?}", log.last_log_id(), log.committed, log.vote).hash(&mut h);
    }
    h.finish()
}
