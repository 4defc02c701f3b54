//! The same replicated store built from the `crdts` crate's types, unmodified: a `GCounter`, a
//! `PNCounter`, an `Orswot` (members are `(element, tag)` pairs, so a remove reports the tags it
//! observed, as the OR-Set check needs), an `LWWReg` and a `Map` of `MVReg`s. Replicas answer
//! the same clients as the hand-written store ([`crate::workload`], port [`PORT`]) and gossip
//! their full state with bincode ([`sandtable::net::Endpoint`]) on port [`GOSSIP_PORT`].
//!
//! `Orswot` (and `Map`'s deferred removes) keep std `HashMap`/`HashSet`s with per-process
//! random hash keys, so the bytes a replica gossips — serde writes a map in its iteration
//! order — differ from one run to the next even on the same seed. Sandtable's determinism
//! check sees it at the first gossip (the payload is in the fingerprint). Two ways to make such
//! code deterministic: act only on sorted views (here: [`ThirdPartyStore::members`] and the
//! tags a remove reports are `BTreeSet`s), and for what the crate itself iterates, seed the
//! std hash keys — build the simulation with [`sandtable::OsCalls::Simulate`] on a fresh thread,
//! whose first `RandomState` then draws its keys from the seed (see the tests).

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use crdts::{CmRDT, CvRDT, GCounter, LWWReg, MVReg, Map, Orswot, PNCounter};
use sandtable::net::Endpoint;
use sandtable::time::{self, SystemTime};
use sandtable::{disk, BoxError, Sim};
use serde::{Deserialize, Serialize};

use crate::check::{CheckError, Histories};
use crate::lattice::ReplicaId;
use crate::lww::Stamp;
use crate::message::Msg;
use crate::orset::Tag;
use crate::store::{Element, Op, Reply};
use crate::workload::{ClientLoop, Record};

/// The port clients send operations to (the hand-written store's protocol).
pub const PORT: u16 = 7000;
/// The port replicas gossip on and answer the final read.
pub const GOSSIP_PORT: u16 = 7001;

/// Keys of the map of multi-value registers (a write of `v` goes to key `v % MAP_KEYS`).
const MAP_KEYS: u64 = 4;

/// A replica's state: one of each `crdts` type.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThirdPartyStore {
    /// Grow-only counter.
    pub gcounter: GCounter<ReplicaId>,
    /// Up-and-down counter.
    pub pncounter: PNCounter<ReplicaId>,
    /// Observed-remove set without tombstones, of `(element, tag)` pairs.
    pub set: Orswot<(Element, Tag), ReplicaId>,
    /// Last-writer-wins register; the marker is (wall clock ns, replica, value), unique per
    /// write as `LWWReg` requires.
    pub register: LWWReg<u64, (i128, ReplicaId, u64)>,
    /// A map of multi-value registers (concurrent writes to a key are all kept).
    pub map: Map<u8, MVReg<u64, ReplicaId>, ReplicaId>,
}

/// What travels on [`GOSSIP_PORT`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum GossipMsg {
    /// The sender's full state; with `answer`, the receiver sends its merged state back.
    Gossip {
        /// The sender's state.
        state: ThirdPartyStore,
        /// Whether to answer.
        answer: bool,
    },
    /// A request for the replica's state.
    Read {
        /// Echoed in the answer.
        id: u64,
    },
    /// The answer to a read.
    State {
        /// The read's id.
        id: u64,
        /// The replica's state.
        state: ThirdPartyStore,
    },
}

fn number(big: impl ToString) -> i64 {
    big.to_string().parse().unwrap_or(i64::MAX)
}

impl ThirdPartyStore {
    /// Applies a client's operation as replica `me` whose wall clock reads `wall_ns`.
    pub fn apply(&mut self, me: ReplicaId, op: &Op, wall_ns: i128) -> Reply {
        match *op {
            Op::Increment(n) => self.gcounter.apply(self.gcounter.inc_many(me, n)),
            Op::Change(d) if d >= 0 => self.pncounter.apply(self.pncounter.inc_many(me, d as u64)),
            Op::Change(d) => self
                .pncounter
                .apply(self.pncounter.dec_many(me, d.unsigned_abs())),
            Op::Add(e, tag) => {
                let ctx = self.set.read_ctx().derive_add_ctx(me);
                self.set.apply(self.set.add((e, tag), ctx));
            }
            Op::Remove(e) => {
                let read = self.set.read();
                // Sorted: the reply (and the op) must not depend on the HashSet's order.
                let observed: BTreeSet<(Element, Tag)> =
                    read.val.iter().filter(|m| m.0 == e).copied().collect();
                let ctx = read.derive_rm_ctx();
                self.set
                    .apply(self.set.rm_all(observed.iter().copied(), ctx));
                return Reply::Removed(observed.into_iter().map(|(_, t)| t).collect());
            }
            Op::Write(v) => {
                self.register.update(v, (wall_ns, me, v));
                let ctx = self.map.read_ctx().derive_add_ctx(me);
                let key = (v % MAP_KEYS) as u8;
                self.map
                    .apply(self.map.update(key, ctx, |reg, ctx| reg.write(v, ctx)));
                let stamp = Stamp {
                    wall_ns,
                    replica: me,
                };
                return Reply::Written(stamp, self.register.val == v);
            }
        }
        Reply::Done
    }

    /// Joins `other` into this state.
    pub fn merge(&mut self, other: &Self) {
        self.gcounter.merge(other.gcounter.clone());
        self.pncounter.merge(other.pncounter.clone());
        self.set.merge(other.set.clone());
        self.register.merge(other.register.clone());
        self.map.merge(other.map.clone());
    }

    /// The set's elements, sorted.
    pub fn members(&self) -> BTreeSet<Element> {
        self.set.read().val.into_iter().map(|(e, _)| e).collect()
    }

    /// Every key's register values, sorted: what the replicas must agree on.
    pub fn map_values(&self) -> Vec<(u8, BTreeSet<u64>)> {
        (0..MAP_KEYS as u8)
            .filter_map(|k| {
                let values = self.map.get(&k).val?.read().val;
                Some((k, values.into_iter().collect()))
            })
            .collect()
    }
}

/// A replica: one task answers clients (apply to a copy, persist it, adopt it, reply), another
/// gossips every `interval` (jittered) to a random peer and merges what it receives.
pub async fn run(me: ReplicaId, nodes: Vec<String>, interval: Duration) -> io::Result<()> {
    let store = Rc::new(RefCell::new(load().await?));
    let peers = nodes
        .iter()
        .map(|n| Ok(SocketAddr::new(sandtable::net::lookup(n)?, GOSSIP_PORT)))
        .collect::<io::Result<Vec<_>>>()?;
    let gossip = Endpoint::<GossipMsg>::bind(("0.0.0.0", GOSSIP_PORT)).await?;
    let gossiper = sandtable::task::spawn(gossip_loop(me, gossip, peers, store.clone(), interval));
    let clients = Endpoint::<Msg>::bind(("0.0.0.0", PORT)).await?;
    loop {
        let Ok((msg, from)) = clients.recv().await else {
            continue;
        };
        if let Msg::Request { id, op } = msg {
            let mut next = store.borrow().clone();
            let reply = next.apply(me, &op, SystemTime::now().unix_nanos());
            if let Err(e) = save(&next).await {
                tracing::warn!("could not persist, not answering: {e}");
                continue;
            }
            store.borrow_mut().merge(&next);
            let _ = clients.send(from, &Msg::Reply { id, reply }).await;
        }
        if gossiper.is_finished() {
            return Ok(());
        }
    }
}

async fn gossip_loop(
    me: ReplicaId,
    ep: Endpoint<GossipMsg>,
    peers: Vec<SocketAddr>,
    store: Rc<RefCell<ThirdPartyStore>>,
    interval: Duration,
) {
    let base = interval.as_nanos() as u64;
    let mut next = time::Instant::now();
    loop {
        if time::Instant::now() >= next && peers.len() > 1 {
            let mut i = sandtable::rand::random_range(0..peers.len() - 1);
            if i >= me as usize {
                i += 1;
            }
            let state = store.borrow().clone();
            let _ = ep
                .send(
                    peers[i],
                    &GossipMsg::Gossip {
                        state,
                        answer: true,
                    },
                )
                .await;
            next = time::Instant::now()
                + Duration::from_nanos(sandtable::rand::random_range(base / 2..=base + base / 2));
        }
        let wait = next.saturating_duration_since(time::Instant::now());
        let Ok(Ok((msg, from))) = time::timeout(wait, ep.recv()).await else {
            continue;
        };
        match msg {
            GossipMsg::Gossip { state, answer } => {
                let merged = {
                    let mut s = store.borrow_mut();
                    s.merge(&state);
                    (answer && *s != state).then(|| s.clone())
                };
                if let Some(state) = merged {
                    let msg = GossipMsg::Gossip {
                        state,
                        answer: false,
                    };
                    let _ = ep.send(from, &msg).await;
                }
            }
            GossipMsg::Read { id } => {
                let state = store.borrow().clone();
                let _ = ep.send(from, &GossipMsg::State { id, state }).await;
            }
            GossipMsg::State { .. } => {}
        }
    }
}

const STATE_FILE: &str = "crdts-state";

async fn save(store: &ThirdPartyStore) -> io::Result<()> {
    let bytes = sandtable::net::encode(store).map_err(io::Error::other)?;
    disk::write_atomic(STATE_FILE, &bytes).await
}

async fn load() -> io::Result<ThirdPartyStore> {
    if !disk::exists(STATE_FILE).await? {
        return Ok(ThirdPartyStore::default());
    }
    let bytes = disk::read(STATE_FILE).await?;
    sandtable::net::decode(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Reads every replica's state over [`GOSSIP_PORT`], retrying until `give_up`.
async fn read_all(
    nodes: &[String],
    give_up: Duration,
) -> io::Result<Vec<(String, Option<ThirdPartyStore>)>> {
    let ep = Endpoint::<GossipMsg>::bind("0.0.0.0:0").await?;
    let mut states = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let deadline = time::Instant::now() + give_up;
        let mut state = None;
        while state.is_none() && time::Instant::now() < deadline {
            let id = i as u64;
            if ep
                .send((node.as_str(), GOSSIP_PORT), &GossipMsg::Read { id })
                .await
                .is_ok()
            {
                if let Ok(Ok((GossipMsg::State { id: got, state: s }, _))) =
                    time::timeout(Duration::from_millis(100), ep.recv()).await
                {
                    state = (got == id).then_some(s);
                }
            }
        }
        states.push((node.clone(), state));
    }
    Ok(states)
}

/// What a run of the third-party store did and found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThirdPartyReport {
    /// Operations acknowledged.
    pub acknowledged: usize,
    /// Operations left unanswered.
    pub unknown: usize,
    /// The converged G-Counter and PN-Counter values.
    pub counters: (i64, i64),
    /// The converged set.
    pub members: BTreeSet<Element>,
    /// Whether the LWW register lost an acknowledged write to clock skew (reported, not failed).
    pub register_lost_write: bool,
}

/// Runs `scenario`'s workload and nemesis against replicas of [`ThirdPartyStore`], heals, lets
/// gossip settle, reads every replica and checks convergence with `sandtable::lin`.
pub fn run_scenario(
    scenario: &crate::scenario::Scenario,
    sim: &Sim,
) -> Result<ThirdPartyReport, BoxError> {
    let names = scenario.node_names();
    sim.net()
        .set_default_link(sandtable::net::LinkConfig::default().loss(scenario.loss));
    for me in 0..names.len() {
        let (nodes, interval) = (names.clone(), scenario.gossip_interval);
        sim.add_node(names[me].clone(), move || {
            let nodes = nodes.clone();
            async move {
                if let Err(e) = run(me as ReplicaId, nodes, interval).await {
                    tracing::warn!("replica stopped: {e}");
                }
            }
        });
    }
    let clients: Vec<_> = (0..scenario.clients as u32)
        .map(|index| {
            let client = ClientLoop {
                index,
                nodes: names.clone(),
                port: PORT,
                until: scenario.faults_for,
            };
            sim.client(format!("c{index}"), client.run())
        })
        .collect();
    let read_at = scenario.faults_for + scenario.settle;
    let reader = sim.client("reader", {
        let names = names.clone();
        async move {
            time::sleep(read_at).await;
            read_all(&names, Duration::from_secs(2)).await
        }
    });
    sim.nemesis(&scenario.nemesis(), scenario.faults_for)?;
    sim.run()?;
    let mut records: Vec<Record> = Vec::new();
    for c in &clients {
        records.extend(c.output().ok_or("a client did not finish")??);
    }
    let states = reader
        .output()
        .ok_or("the reader did not finish")??
        .into_iter()
        .map(|(name, s)| {
            s.map(|s| (name.clone(), s))
                .ok_or(format!("replica {name} never answered"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    check(&states, &Histories::from_records(&records), &records)
}

fn on<T>(
    what: &'static str,
    r: Result<T, sandtable::lin::ConvergenceError>,
) -> Result<T, CheckError> {
    r.map_err(|error| CheckError {
        what,
        error: Box::new(error),
    })
}

/// The convergence checks of `sandtable::lin` on the final states.
fn check(
    states: &[(String, ThirdPartyStore)],
    h: &Histories,
    records: &[Record],
) -> Result<ThirdPartyReport, BoxError> {
    use sandtable::lin::{check_counter, check_register, check_set, replicas_agree};
    let view = |f: &dyn Fn(&ThirdPartyStore) -> String| -> Vec<(&str, String)> {
        states.iter().map(|(n, s)| (n.as_str(), f(s))).collect()
    };
    on(
        "G-Counter",
        replicas_agree(&view(&|s| s.gcounter.read().to_string())),
    )?;
    on(
        "PN-Counter",
        replicas_agree(&view(&|s| s.pncounter.read().to_string())),
    )?;
    on(
        "Orswot",
        replicas_agree(&view(&|s| format!("{:?}", s.members()))),
    )?;
    on(
        "LWWReg",
        replicas_agree(&view(&|s| format!("{:?}", s.register))),
    )?;
    on(
        "Map<MVReg>",
        replicas_agree(&view(&|s| format!("{:?}", s.map_values()))),
    )?;
    let store = &states[0].1;
    let (g, pn) = (
        number(store.gcounter.read()),
        number(store.pncounter.read()),
    );
    on("G-Counter", check_counter(g, &h.gcounter))?;
    on("PN-Counter", check_counter(pn, &h.pncounter))?;
    on("Orswot", check_set(&store.members(), &h.set))?;
    let value = (store.register.marker != Default::default()).then_some(&store.register.val);
    let register = check_register(value, &h.register);
    if let Err(e @ sandtable::lin::ConvergenceError::UnwrittenValue { .. }) = register {
        return Err(on::<()>("LWWReg", Err(e)).unwrap_err().into());
    }
    let written: BTreeSet<u64> = h.register.iter().map(|w| w.value).collect();
    for (key, values) in store.map_values() {
        if let Some(v) = values.iter().find(|v| !written.contains(v)) {
            return Err(format!("Map<MVReg>: key {key} holds {v}, which no client wrote").into());
        }
    }
    let (acknowledged, unknown) = crate::check::outcomes(records);
    Ok(ThirdPartyReport {
        acknowledged,
        unknown,
        counters: (g, pn),
        members: store.members(),
        register_lost_write: register.is_err(),
    })
}
