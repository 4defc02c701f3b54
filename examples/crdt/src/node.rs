//! The replica's shell: one task that answers clients, gossips its state to a random peer
//! every interval, and merges the states it receives. Ordinary async code against
//! `sandtable::{net, time, rand, disk}` — no simulator types.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use sandtable::net::Endpoint;
use sandtable::time::{self, Instant, SystemTime};

use crate::bug::Bug;
use crate::lattice::{Crdt, ReplicaId};
use crate::message::Msg;
use crate::storage;
use crate::store::{Op, Store};

/// Everything a replica needs to start.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// This replica's index in `nodes` (its replica id).
    pub me: ReplicaId,
    /// Every replica's name, in index order.
    pub nodes: Vec<String>,
    /// The port every replica listens on.
    pub port: u16,
    /// Time between two gossip rounds (each round jittered by up to half of it).
    pub gossip_interval: Duration,
    /// The planted bug.
    pub bug: Bug,
}

/// A running replica.
struct Node {
    config: NodeConfig,
    ep: Endpoint<Msg>,
    peers: Vec<SocketAddr>,
    store: Store,
}

/// Runs one replica until its task is dropped (a crash), starting from the state on its disk.
pub async fn run(config: NodeConfig) -> io::Result<()> {
    let ep = Endpoint::<Msg>::bind(("0.0.0.0", config.port)).await?;
    let peers = config
        .nodes
        .iter()
        .map(|name| Ok(SocketAddr::new(sandtable::net::lookup(name)?, config.port)))
        .collect::<io::Result<Vec<_>>>()?;
    let store = if config.bug == Bug::AckBeforeDurable {
        Store::default()
    } else {
        storage::load().await?
    };
    let mut node = Node {
        config,
        ep,
        peers,
        store,
    };
    let mut next_gossip = Instant::now() + node.jitter();
    loop {
        if Instant::now() >= next_gossip {
            node.gossip().await;
            next_gossip = Instant::now() + node.jitter();
        }
        let wait = next_gossip.saturating_duration_since(Instant::now());
        match time::timeout(wait, node.ep.recv()).await {
            Ok(Ok((msg, from))) => node.handle(msg, from).await,
            Ok(Err(e)) => tracing::debug!("dropped a message: {e}"),
            Err(_elapsed) => {}
        }
    }
}

impl Node {
    /// The gossip interval, jittered to between one half and one and a half of it.
    fn jitter(&self) -> Duration {
        let base = self.config.gossip_interval.as_nanos() as u64;
        Duration::from_nanos(sandtable::rand::random_range(base / 2..=base + base / 2))
    }

    /// Sends the full state to one random peer, asking for its state back.
    async fn gossip(&self) {
        let others = self.peers.len().saturating_sub(1);
        if others == 0 {
            return;
        }
        let mut i = sandtable::rand::random_range(0..others);
        if i >= self.config.me as usize {
            i += 1;
        }
        self.send(
            self.peers[i],
            &Msg::Gossip {
                state: self.store.clone(),
                answer: true,
            },
        )
        .await;
    }

    async fn handle(&mut self, msg: Msg, from: SocketAddr) {
        match msg {
            Msg::Request { id, op } => self.request(id, op, from).await,
            Msg::Gossip { state, answer } => {
                self.store.join(&state, self.config.bug);
                if answer && self.store != state {
                    let state = self.store.clone();
                    self.send(
                        from,
                        &Msg::Gossip {
                            state,
                            answer: false,
                        },
                    )
                    .await;
                }
            }
            Msg::Read { id } => {
                let state = self.store.clone();
                self.send(from, &Msg::State { id, state }).await;
            }
            Msg::Reply { .. } | Msg::State { .. } => {}
        }
    }

    /// Applies a client's operation to a copy of the state, makes the copy durable, and only
    /// then adopts it and answers: nothing undurable is gossiped or acknowledged, so a replica
    /// never forgets (after a crash) an increment of its own entry that another replica saw.
    async fn request(&mut self, id: u64, op: Op, from: SocketAddr) {
        let wall_ns = SystemTime::now().unix_nanos();
        let (me, bug) = (self.config.me, self.config.bug);
        if bug == Bug::AckBeforeDurable {
            let reply = self.store.apply(me, &op, wall_ns, bug);
            return self.send(from, &Msg::Reply { id, reply }).await;
        }
        let mut next = self.store.clone();
        let reply = next.apply(me, &op, wall_ns, bug);
        if let Err(e) = storage::save(&next).await {
            tracing::warn!("could not persist, not answering: {e}");
            return;
        }
        self.store = next;
        self.send(from, &Msg::Reply { id, reply }).await;
    }

    async fn send(&self, to: SocketAddr, msg: &Msg) {
        if let Err(e) = self.ep.send(to, msg).await {
            tracing::debug!("send to {to} failed: {e}");
        }
    }
}
