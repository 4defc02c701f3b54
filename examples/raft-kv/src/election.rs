//! Leader election (§5.2, §5.4.1): timeouts, RequestVote, counting votes.

use std::time::Duration;

use crate::bug::Bug;
use crate::message::{Command, Msg, NodeIdx};
use crate::probe::Event;
use crate::raft::{Dest, Raft, Role};

impl Raft {
    /// The election timeout fired: become a candidate of the next term and ask for votes.
    pub(crate) fn start_election(&mut self, now: Duration) {
        self.term += 1;
        self.role = Role::Candidate;
        self.leader = None;
        self.voted_for = Some(self.me);
        self.ready.hard_state = true;
        self.probe.emit_ref(self.me, Event::Term(self.term));
        self.votes.iter_mut().for_each(|v| *v = false);
        self.votes[self.me] = true;
        self.reset_election_timer(now);
        if self.majority() == 1 {
            self.become_leader(now);
            return;
        }
        let msg = Msg::Vote {
            term: self.term,
            from: self.me,
            last_index: self.log.last_index(),
            last_term: self.log.last_term(),
        };
        for peer in self.peers() {
            self.send(Dest::Peer(peer), msg.clone());
        }
    }

    /// Every other node's index.
    pub(crate) fn peers(&self) -> impl Iterator<Item = NodeIdx> + use<> {
        let me = self.me;
        (0..self.n).filter(move |&p| p != me)
    }

    /// RequestVote: grant at most one vote per term, and only to a candidate whose log is at
    /// least as up to date as ours (§5.4.1).
    pub(crate) fn on_vote(
        &mut self,
        now: Duration,
        term: u64,
        from: NodeIdx,
        last_index: u64,
        last_term: u64,
    ) {
        let up_to_date = (last_term, last_index) >= (self.log.last_term(), self.log.last_index());
        let log_ok = up_to_date || self.s.bug == Bug::VoteWithoutLogCheck;
        let free = self.voted_for.is_none() || self.voted_for == Some(from);
        let granted = term == self.term && free && log_ok;
        if granted {
            if self.voted_for.is_none() {
                self.voted_for = Some(from);
                self.ready.hard_state = true;
            }
            self.reset_election_timer(now);
        }
        let reply = Msg::VoteReply {
            term: self.term,
            from: self.me,
            granted,
        };
        self.send(Dest::Peer(from), reply);
    }

    /// A vote for us: with a majority, lead.
    pub(crate) fn on_vote_reply(&mut self, now: Duration, term: u64, from: NodeIdx, granted: bool) {
        if self.role != Role::Candidate || term != self.term || !granted {
            return;
        }
        self.votes[from] = true;
        if self.votes.iter().filter(|v| **v).count() >= self.majority() {
            self.become_leader(now);
        }
    }

    /// Won the election: initialise replication and append a no-op of the new term, whose
    /// commitment commits every earlier entry (§5.4.2).
    pub(crate) fn become_leader(&mut self, now: Duration) {
        self.role = Role::Leader;
        self.leader = Some(self.me);
        self.probe.emit_ref(self.me, Event::Leader(self.term));
        let next = self.log.last_index() + 1;
        self.next.iter_mut().for_each(|n| *n = next);
        self.matched.iter_mut().for_each(|m| *m = 0);
        self.matched[self.me] = self.log.last_index();
        self.snap_offset.iter_mut().for_each(|o| *o = 0);
        if self.s.bug != Bug::CommitPreviousTerm {
            self.append_new(Command::Noop);
        }
        self.heartbeat_at = now + self.s.heartbeat;
        self.broadcast_append();
        self.advance_commit();
    }
}
