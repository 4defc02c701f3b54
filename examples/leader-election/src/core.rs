//! The core of a node: every decision, no I/O. The shell ([`crate::node`]) feeds it messages
//! and ticks with the node's local time (a `Duration` since it started, by its own clock) and
//! carries out the [`Ready`] batch it leaves: persist first, then send.
//!
//! A node plays three parts at once: a [`Voter`] (grants leases), a [`Replica`] (holds a copy
//! of the register), and its role — follower, candidate or leader (`leader.rs`).

use std::net::SocketAddr;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::leader::{Asker, Leader, WriteProgress};
use crate::lease::Lease;
use crate::message::{Msg, NodeIdx, Op, OpResult, Refusal, Stored, Version};
use crate::probe::{Event, Probe};
use crate::replica::{Accept, Replica};
use crate::settings::Settings;
use crate::voter::{Promise, Vote, Voter};

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dest {
    /// A node of the cluster (possibly this one: it votes and stores like the others).
    Node(NodeIdx),
    /// A client, at the address its request came from.
    Client(SocketAddr),
}

/// What the shell must do after a step: make the durable state durable (if `persist`), then
/// send `messages` — never the other way round, since a grant or an acknowledgement promises
/// what is on disk.
#[derive(Debug, Default)]
pub struct Ready {
    /// The durable state changed.
    pub persist: bool,
    /// Messages to send.
    pub messages: Vec<(Dest, Msg)>,
}

impl Ready {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        !self.persist && self.messages.is_empty()
    }
}

/// What a node keeps on its disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    /// The voter's promise.
    pub promise: Promise,
    /// The replica's copy.
    pub stored: Stored,
}

#[derive(Debug)]
enum Role {
    Follower,
    Candidate { lease: Lease, deadline: Duration },
    Leader(Box<Leader>),
}

/// One node's state machine.
#[derive(Debug)]
pub struct Core {
    me: NodeIdx,
    nodes: usize,
    settings: Settings,
    probe: Probe,
    voter: Voter,
    replica: Replica,
    role: Role,
    /// The highest epoch seen anywhere: a candidacy asks for the next one.
    max_epoch: u64,
    next_attempt: Duration,
    next_renew: Duration,
    next_tick: Duration,
    rng: ChaCha8Rng,
    ready: Ready,
}

impl Core {
    /// Node `me` of `nodes`, starting at local time `now` from what its disk held. `seed`
    /// drives its random choices (retry delays).
    pub fn new(
        me: NodeIdx,
        nodes: usize,
        settings: Settings,
        durable: Durable,
        seed: u64,
        probe: Probe,
        now: Duration,
    ) -> Core {
        settings.validate();
        assert!(me < nodes, "node {me} is not one of {nodes}");
        let mut core = Core {
            me,
            nodes,
            voter: Voter::new(durable.promise, now, settings.voter_hold()),
            replica: Replica::new(durable.stored),
            role: Role::Follower,
            max_epoch: durable.promise.epoch.max(durable.stored.version.epoch),
            next_attempt: now,
            next_renew: now,
            next_tick: now,
            rng: ChaCha8Rng::seed_from_u64(seed),
            ready: Ready::default(),
            settings,
            probe,
        };
        core.next_attempt = now + core.backoff();
        core
    }

    /// What must be on disk.
    pub fn durable(&self) -> Durable {
        Durable {
            promise: self.voter.promise(),
            stored: self.replica.stored(),
        }
    }

    /// Whether the node leads (holds a lease it has not yet seen expire).
    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }

    /// The batch of work left by the last steps.
    pub fn take_ready(&mut self) -> Ready {
        std::mem::take(&mut self.ready)
    }

    /// The local time at which [`Core::tick`] has something to do.
    pub fn next_deadline(&self) -> Duration {
        match &self.role {
            Role::Follower => self.next_attempt,
            Role::Candidate { deadline, .. } => *deadline,
            Role::Leader(l) => {
                let until = l.lease.until().expect("a leader holds a lease");
                self.next_tick.min(self.next_renew).min(until)
            }
        }
    }

    fn backoff(&mut self) -> Duration {
        let (min, max) = self.settings.retry;
        self.rng.random_range(min..max)
    }

    fn send(&mut self, to: Dest, msg: Msg) {
        self.ready.messages.push((to, msg));
    }

    fn broadcast(&mut self, msg: Msg) {
        for node in 0..self.nodes {
            self.send(Dest::Node(node), msg.clone());
        }
    }

    fn emit(&self, event: Event) {
        self.probe.emit(self.me, event);
    }

    /// Time passes: a leader checks and renews its lease, a candidate gives up in time, a
    /// follower stands when no one holds its vote.
    pub fn tick(&mut self, now: Duration) {
        match &mut self.role {
            Role::Leader(_) => self.leader_tick(now),
            Role::Candidate { deadline, lease } => {
                if now >= *deadline {
                    let epoch = lease.epoch();
                    self.role = Role::Follower;
                    self.next_attempt = now + self.backoff();
                    self.release(epoch);
                }
            }
            Role::Follower => self.follower_tick(now),
        }
    }

    fn follower_tick(&mut self, now: Duration) {
        if now < self.next_attempt {
            return;
        }
        if self.voter.free_for(self.me, now) {
            self.next_attempt = now + self.backoff();
            self.stand(now);
        } else {
            // Another node holds this vote: stand as soon as the hold ends, jittered so that
            // nodes whose holds end together do not all stand at once.
            let jitter = self.rng.random_range(Duration::ZERO..self.settings.retry.0);
            self.next_attempt = self.voter.held_until() + jitter;
        }
    }

    fn leader_tick(&mut self, now: Duration) {
        let Some(leader) = self.leader(now) else {
            return;
        };
        let epoch = leader.lease.epoch();
        if now >= self.next_tick {
            self.next_tick = now + self.settings.tick;
            self.emit(Event::Holding { epoch });
        }
        if now >= self.next_renew {
            self.next_renew = now + self.settings.renew_every;
            let Role::Leader(leader) = &mut self.role else {
                unreachable!("checked by `leader`")
            };
            let round = leader.lease.start_round(now);
            let mut out = Vec::new();
            leader.resend(&mut out);
            self.ready.messages.extend(out);
            let from = self.me;
            self.broadcast(Msg::LeaseRequest {
                from,
                epoch,
                round,
                renew: true,
            });
        }
    }

    /// Starts a candidacy under a fresh epoch.
    fn stand(&mut self, now: Duration) {
        self.max_epoch += 1;
        let epoch = self.max_epoch;
        let mut lease = Lease::new(epoch, self.nodes, self.settings.leader_lease());
        let round = lease.start_round(now);
        self.role = Role::Candidate {
            lease,
            deadline: now + self.settings.candidate_timeout,
        };
        tracing::debug!(epoch, "stands");
        let from = self.me;
        self.broadcast(Msg::LeaseRequest {
            from,
            epoch,
            round,
            renew: false,
        });
    }

    /// The leader's state if the node leads at `now`; a leader whose lease has run out steps
    /// down here, before it can act on it.
    fn leader(&mut self, now: Duration) -> Option<&mut Leader> {
        let expired = match &self.role {
            Role::Leader(l) => !l.lease.valid(now),
            _ => return None,
        };
        if expired {
            self.step_down(now);
            return None;
        }
        match &mut self.role {
            Role::Leader(l) => Some(l),
            _ => unreachable!("checked above"),
        }
    }

    fn step_down(&mut self, now: Duration) {
        let Role::Leader(leader) = std::mem::replace(&mut self.role, Role::Follower) else {
            return;
        };
        let epoch = leader.lease.epoch();
        tracing::debug!(epoch, "steps down");
        self.emit(Event::SteppedDown { epoch });
        for (asker, refusal) in leader.abandon() {
            self.answer(asker, Err(refusal));
        }
        self.next_attempt = now + self.backoff();
        self.release(epoch);
    }

    /// Tells every voter (this node's too) that the lease under `epoch` is given up, so that
    /// a split vote or a lost leadership does not hold the votes for a whole hold.
    fn release(&mut self, epoch: u64) {
        let from = self.me;
        self.broadcast(Msg::Release { from, epoch });
    }

    fn answer(&mut self, asker: Asker, result: Result<OpResult, Refusal>) {
        let msg = Msg::Reply {
            id: asker.id,
            result,
        };
        self.send(Dest::Client(asker.addr), msg);
    }

    /// Handles one message that arrived from `addr`.
    pub fn step(&mut self, now: Duration, addr: SocketAddr, msg: Msg) {
        match msg {
            Msg::LeaseRequest {
                from,
                epoch,
                round,
                renew,
            } => self.on_lease_request(now, from, epoch, round, renew),
            Msg::LeaseReply {
                from,
                epoch,
                round,
                granted,
                promised,
            } => {
                self.max_epoch = self.max_epoch.max(promised);
                if granted {
                    self.on_grant(now, from, epoch, round);
                }
            }
            Msg::Release { from, epoch } => self.voter.release(now, from, epoch),
            Msg::ReadState { from, epoch } => {
                let stored = self.replica.stored();
                let me = self.me;
                self.send(
                    Dest::Node(from),
                    Msg::ReadStateReply {
                        from: me,
                        epoch,
                        stored,
                    },
                );
            }
            Msg::ReadStateReply {
                from,
                epoch,
                stored,
            } => self.on_state(now, from, epoch, stored),
            Msg::Store { from, stored } => self.on_store(from, stored),
            Msg::StoreReply {
                from,
                version,
                accepted,
                holds,
            } => self.on_store_reply(now, from, version, accepted, holds),
            Msg::Request { id, op } => self.on_request(now, Asker { addr, id }, op),
            Msg::Reply { .. } => {}
        }
    }

    fn on_lease_request(
        &mut self,
        now: Duration,
        from: NodeIdx,
        epoch: u64,
        round: u64,
        renew: bool,
    ) {
        self.max_epoch = self.max_epoch.max(epoch);
        let granted = match self.voter.request(now, from, epoch, renew) {
            Vote::Granted { durable } => {
                self.ready.persist |= durable;
                true
            }
            Vote::Refused => false,
        };
        let reply = Msg::LeaseReply {
            from: self.me,
            epoch,
            round,
            granted,
            promised: self.voter.promise().epoch,
        };
        self.send(Dest::Node(from), reply);
    }

    fn on_grant(&mut self, now: Duration, from: NodeIdx, epoch: u64, round: u64) {
        let won = match &mut self.role {
            Role::Candidate { lease, .. } if lease.epoch() == epoch => {
                lease.granted(round, from, now)
            }
            Role::Leader(leader) if leader.lease.epoch() == epoch => {
                leader.lease.granted(round, from, now);
                false
            }
            _ => false,
        };
        if won {
            let Role::Candidate { lease, .. } = std::mem::replace(&mut self.role, Role::Follower)
            else {
                unreachable!("only a candidate wins")
            };
            self.lead(now, lease);
        }
    }

    fn lead(&mut self, now: Duration, lease: Lease) {
        tracing::debug!(epoch = lease.epoch(), until = ?lease.until(), "leads");
        self.emit(Event::Elected {
            epoch: lease.epoch(),
        });
        let mut out = Vec::new();
        let leader = Leader::new(
            self.me,
            self.nodes,
            lease,
            self.settings.max_queued_writes,
            &mut out,
        );
        self.ready.messages.extend(out);
        self.role = Role::Leader(Box::new(leader));
        self.next_renew = now + self.settings.renew_every;
        self.next_tick = now + self.settings.tick;
    }

    fn on_state(&mut self, now: Duration, from: NodeIdx, epoch: u64, stored: Stored) {
        self.max_epoch = self.max_epoch.max(stored.version.epoch);
        let Some(leader) = self.leader(now) else {
            return;
        };
        if leader.lease.epoch() != epoch {
            return;
        }
        let mut out = Vec::new();
        leader.on_state(from, stored, &mut out);
        self.ready.messages.extend(out);
    }

    fn on_store(&mut self, from: NodeIdx, stored: Stored) {
        self.max_epoch = self.max_epoch.max(stored.version.epoch);
        let (accepted, holds) = match self.replica.store(stored) {
            Accept::Taken { durable } => {
                self.ready.persist |= durable;
                (true, stored.version)
            }
            Accept::Newer(newer) => (false, newer),
        };
        let reply = Msg::StoreReply {
            from: self.me,
            version: stored.version,
            accepted,
            holds,
        };
        self.send(Dest::Node(from), reply);
    }

    fn on_store_reply(
        &mut self,
        now: Duration,
        from: NodeIdx,
        version: Version,
        accepted: bool,
        holds: Version,
    ) {
        self.max_epoch = self.max_epoch.max(holds.epoch);
        let Some(leader) = self.leader(now) else {
            return;
        };
        let epoch = leader.lease.epoch();
        let mut out = Vec::new();
        let progress = leader.on_store_reply(from, version, accepted, holds, &mut out);
        self.ready.messages.extend(out);
        match progress {
            WriteProgress::Pending => {}
            WriteProgress::Committed(asker) => {
                self.emit(Event::Holding { epoch });
                if let Some(asker) = asker {
                    self.answer(asker, Ok(OpResult::Written));
                }
            }
            WriteProgress::Superseded(_) => self.step_down(now),
        }
    }

    fn on_request(&mut self, now: Duration, asker: Asker, op: Op) {
        let me = self.me;
        let Some(leader) = self.leader(now) else {
            let hint = self.voter.holder(now).filter(|h| *h != me);
            return self.answer(asker, Err(Refusal::NotLeader { hint }));
        };
        let epoch = leader.lease.epoch();
        match op {
            Op::Read => {
                let result = leader.read();
                if result.is_ok() {
                    // A lease read: the lease, not a round trip, makes it current.
                    self.emit(Event::Holding { epoch });
                }
                self.answer(asker, result);
            }
            Op::Write(value) => {
                let mut out = Vec::new();
                let queued = leader.write(asker, value, &mut out);
                self.ready.messages.extend(out);
                if let Err(refusal) = queued {
                    self.answer(asker, Err(refusal));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Delivers every message between three cores until none is left, at `now`.
    fn settle(cores: &mut [Core], now: Duration) {
        let client: SocketAddr = "10.0.0.9:1".parse().expect("an address");
        loop {
            let mut moved = false;
            for i in 0..cores.len() {
                let ready = cores[i].take_ready();
                for (dest, msg) in ready.messages {
                    moved = true;
                    if let Dest::Node(n) = dest {
                        cores[n].step(now, client, msg);
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    fn cluster() -> Vec<Core> {
        (0..3)
            .map(|i| {
                let settings = Settings::default();
                Core::new(
                    i,
                    3,
                    settings,
                    Durable::default(),
                    i as u64,
                    Probe::none(),
                    ms(0),
                )
            })
            .collect()
    }

    #[test]
    fn a_node_stands_only_once_its_startup_hold_is_over_and_then_leads() {
        let mut cores = cluster();
        cores[0].tick(ms(300));
        settle(&mut cores, ms(300));
        assert!(
            !cores[0].is_leader(),
            "everyone still holds after a (re)start"
        );
        cores[0].next_attempt = ms(600);
        cores[0].tick(ms(600));
        settle(&mut cores, ms(600));
        assert!(cores[0].is_leader());
        assert_eq!(cores[1].voter.holder(ms(600)), Some(0));
        cores[1].next_attempt = ms(700);
        cores[1].tick(ms(700));
        assert!(
            matches!(cores[1].role, Role::Follower),
            "its vote is held by n0"
        );
    }

    #[test]
    fn a_leader_without_renewals_steps_down_when_its_lease_ends() {
        let mut cores = cluster();
        cores[0].next_attempt = ms(600);
        cores[0].tick(ms(600));
        settle(&mut cores, ms(600));
        assert_eq!(cores[0].next_deadline(), ms(610));
        cores[0].next_renew = ms(10_000); // renewals lost
        cores[0].next_tick = ms(10_000);
        cores[0].tick(ms(1049));
        assert!(cores[0].is_leader());
        cores[0].tick(ms(1050));
        assert!(!cores[0].is_leader(), "600 + 450 ms");
    }
}
