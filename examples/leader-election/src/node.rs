//! The shell around the core: one task per node that receives, ticks, persists, then sends.
//! Ordinary async code against `sandtable::{net, time, disk, rand}` — no simulator types.

use std::io;

use sandtable::net::Endpoint;
use sandtable::time::{self, Instant};

use crate::core::{Core, Dest, Ready};
use crate::message::{Msg, NodeIdx};
use crate::probe::Probe;
use crate::settings::Settings;
use crate::storage;

/// Everything a node needs to start.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// This node's index in `nodes`.
    pub me: NodeIdx,
    /// Every node's name (resolved by the network), in index order.
    pub nodes: Vec<String>,
    /// The port every node listens on, for peers and clients alike.
    pub port: u16,
    /// The lease and its timers.
    pub settings: Settings,
    /// The observer of this node's leadership.
    pub probe: Probe,
}

/// Runs one node until its task is dropped (a crash) — recovering its promise and its copy
/// of the register from its disk first. Returns only on an I/O error it cannot get past (the
/// port is taken, the state file is unreadable).
pub async fn run(config: NodeConfig) -> io::Result<()> {
    let ep = Endpoint::<Msg>::bind(("0.0.0.0", config.port)).await?;
    let durable = storage::load().await?;
    let start = Instant::now();
    let seed: u64 = sandtable::rand::random();
    let mut core = Core::new(
        config.me,
        config.nodes.len(),
        config.settings.clone(),
        durable,
        seed,
        config.probe.clone(),
        start.elapsed(),
    );
    loop {
        let wait = core.next_deadline().saturating_sub(start.elapsed());
        match time::timeout(wait, ep.recv()).await {
            Ok(Ok((msg, from))) => core.step(start.elapsed(), from, msg),
            Ok(Err(e)) => tracing::debug!("dropped a message: {e}"),
            Err(_elapsed) => {}
        }
        core.tick(start.elapsed());
        let ready = core.take_ready();
        if ready.is_empty() {
            continue;
        }
        if ready.persist {
            if let Err(e) = storage::save(&core.durable()).await {
                // Not durable: promise nothing that depends on it.
                tracing::warn!(
                    "persisting failed, holding back {} message(s): {e}",
                    ready.messages.len()
                );
                continue;
            }
        }
        send_all(&ep, &config, ready).await;
    }
}

async fn send_all(ep: &Endpoint<Msg>, config: &NodeConfig, ready: Ready) {
    for (dest, msg) in ready.messages {
        let sent = match dest {
            Dest::Node(n) => ep.send((config.nodes[n].as_str(), config.port), &msg).await,
            Dest::Client(addr) => ep.send(addr, &msg).await,
        };
        if let Err(e) = sent {
            tracing::debug!("send failed: {e}");
        }
    }
}
