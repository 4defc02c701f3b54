//! The shell around the core: one task per node that receives, ticks, persists, then sends.
//! Ordinary async code against `sandtable::{net, time, disk, rand}` — no simulator types.

use std::io;
use std::net::SocketAddr;

use futures::FutureExt;
use sandtable::net::Endpoint;
use sandtable::time::{self, Instant};

use crate::message::{Msg, NodeIdx};
use crate::probe::{Event, Probe};
use crate::raft::{Dest, Raft, Ready};
use crate::settings::Settings;
use crate::storage::Storage;

/// Messages stepped before one persist-and-send round at most.
const MAX_BATCH: usize = 64;

/// One node of the cluster as its peers and clients address it: a name the network resolves
/// (the simulator's node name, or on a real network an entry of the cluster map) and the port
/// it listens on, for peers and clients alike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// The node's name.
    pub name: String,
    /// Its port.
    pub port: u16,
}

impl Peer {
    /// `names`, all listening on `port` (as simulated nodes do, each with its own address).
    pub fn all_on(names: &[String], port: u16) -> Vec<Peer> {
        names
            .iter()
            .map(|name| Peer {
                name: name.clone(),
                port,
            })
            .collect()
    }
}

/// Everything a node needs to start.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// This node's index in `nodes`.
    pub me: NodeIdx,
    /// Every node, in index order (the same order on every node).
    pub nodes: Vec<Peer>,
    /// Timing, sizes, and the planted bug.
    pub settings: Settings,
    /// The observer of this node's state changes.
    pub probe: Probe,
}

/// Runs one Raft node until its task is dropped (a crash) — recovering from its disk first.
/// An I/O error it cannot get past (the disk refuses to open its files) ends the node.
///
/// The same function runs a simulated node (`scenario.rs`) and a real process (the `raft-kv`
/// binary, on `sandtable::real`).
pub async fn run(config: NodeConfig) -> io::Result<()> {
    let me = config.nodes.get(config.me).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "node index {} is not among {} nodes",
                config.me,
                config.nodes.len()
            ),
        )
    })?;
    let ep = Endpoint::<Msg>::bind(("0.0.0.0", me.port)).await?;
    // Names resolve once, at start (a name missing from the network is an error here).
    let peers = config
        .nodes
        .iter()
        .map(|p| Ok(SocketAddr::new(sandtable::net::lookup(&p.name)?, p.port)))
        .collect::<io::Result<Vec<SocketAddr>>>()?;
    let (mut storage, recovered) = Storage::open(config.settings.bug).await?;
    let start = Instant::now();
    let seed: u64 = sandtable::rand::random();
    let n = config.nodes.len();
    let mut raft = Raft::new(
        config.me,
        n,
        config.settings.clone(),
        recovered,
        seed,
        config.probe.clone(),
        start.elapsed(),
    )
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    config
        .probe
        .emit_ref(config.me, Event::Synced(storage.saved()));
    loop {
        let wait = raft.next_deadline().saturating_sub(start.elapsed());
        match time::timeout(wait, ep.recv()).await {
            Ok(Ok((msg, from))) => raft.step(start.elapsed(), from, msg),
            Ok(Err(e)) => tracing::warn!("dropped a message: {e}"),
            Err(_elapsed) => {}
        }
        // Batch: step every message already waiting, so one sync and one round of appends
        // serve them all (as a real implementation's event loop does).
        for _ in 0..MAX_BATCH {
            match ep.recv().now_or_never() {
                Some(Ok((msg, from))) => raft.step(start.elapsed(), from, msg),
                Some(Err(e)) => tracing::warn!("dropped a message: {e}"),
                None => break,
            }
        }
        raft.tick(start.elapsed());
        let ready = raft.take_ready();
        if ready.is_empty() {
            continue;
        }
        if let Err(e) = persist(&mut storage, &raft, &ready).await {
            // Not durable: say nothing that depends on it, and owe the writes again.
            tracing::warn!(
                "persisting failed, holding back {} message(s): {e}",
                ready.messages.len()
            );
            raft.persist_failed(ready);
            config.probe.emit_ref(config.me, Event::PersistFailed);
            continue;
        }
        config
            .probe
            .emit_ref(config.me, Event::Synced(storage.saved()));
        send_all(&ep, &peers, ready, &config.probe, &raft).await;
    }
}

/// Makes a batch durable: snapshot, then log, then term and vote.
async fn persist(storage: &mut Storage, raft: &Raft, ready: &Ready) -> io::Result<()> {
    if let Some(snapshot) = &ready.snapshot {
        storage.save_snapshot(raft.log(), snapshot).await?;
    }
    if let Some(from) = ready.log_from {
        storage.save_log(raft.log(), from).await?;
    }
    if ready.hard_state {
        storage
            .save_hard_state(raft.term(), raft.voted_for())
            .await?;
    }
    Ok(())
}

/// Sends a batch's messages (telling `probe` first what they depend on: it must be on disk).
async fn send_all(
    ep: &Endpoint<Msg>,
    peers: &[SocketAddr],
    ready: Ready,
    probe: &Probe,
    raft: &Raft,
) {
    if !ready.messages.is_empty() {
        probe.emit_ref(raft.id(), Event::Sending(raft.persistent()));
    }
    for (dest, msg) in ready.messages {
        let sent = match dest {
            Dest::Peer(p) => ep.send(peers[p], &msg).await,
            Dest::Client(addr) => ep.send(addr, &msg).await,
        };
        if let Err(e) = sent {
            tracing::debug!("send failed: {e}");
        }
    }
}
