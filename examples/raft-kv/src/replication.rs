//! Log replication (§5.3, §5.4.2): AppendEntries, the consistency check, conflict truncation,
//! and commitment by counting replicas of current-term entries.

use std::time::Duration;

use crate::bug::Bug;
use crate::message::{Command, Entry, Msg, NodeIdx};
use crate::probe::Event;
use crate::raft::{Dest, Raft, Role};

impl Raft {
    /// The leader appends a new entry of its term.
    pub(crate) fn append_new(&mut self, command: Command) {
        let entry = Entry {
            term: self.term,
            command,
        };
        let index = self.log.push(entry);
        self.mark_log_dirty(index);
        self.matched[self.me] = index;
        let entry = self.log.get(index).expect("just pushed");
        self.probe.emit_ref(
            self.me,
            Event::Appended {
                index,
                entry,
                kept_suffix: false,
            },
        );
    }

    pub(crate) fn mark_log_dirty(&mut self, from: u64) {
        let f = self.ready.log_from.get_or_insert(from);
        *f = (*f).min(from);
    }

    /// Sends every peer what it lacks (or a heartbeat).
    pub(crate) fn broadcast_append(&mut self) {
        for peer in self.peers() {
            self.send_append(peer);
        }
    }

    /// Sends `peer` the entries from its `next` index, or the snapshot if they are compacted.
    pub(crate) fn send_append(&mut self, peer: NodeIdx) {
        let next = self.next[peer].max(1);
        let prev_index = next - 1;
        let Some(prev_term) = self.log.term_at(prev_index) else {
            self.send_snapshot_chunk(peer);
            return;
        };
        let entries = self.log.slice(next, self.s.max_entries_per_append).to_vec();
        // Pipelining: assume these arrive; a loss shows up as a rejected consistency check
        // (at the latest on the next heartbeat), which sets `next` back.
        self.next[peer] = next + entries.len() as u64;
        let msg = Msg::Append {
            term: self.term,
            from: self.me,
            prev_index,
            prev_term,
            entries,
            commit: self.commit,
        };
        self.send(Dest::Peer(peer), msg);
    }

    /// AppendEntries on a follower.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_append(
        &mut self,
        now: Duration,
        term: u64,
        from: NodeIdx,
        prev_index: u64,
        prev_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
    ) {
        let stale = term < self.term;
        if stale && self.s.bug != Bug::AcceptStaleTerm {
            self.reply_append(from, false, 0);
            return;
        }
        if !stale {
            self.become_follower(term, Some(from));
        }
        if self.s.bug != Bug::NoTimerResetOnAppend {
            self.reset_election_timer(now);
        }
        // Entries the snapshot covers are committed, hence equal to the leader's: skip them.
        let base = self.log.base_index();
        let (prev_index, prev_term, entries) = if prev_index < base {
            let skip = ((base - prev_index) as usize).min(entries.len());
            let prev_term = if skip == 0 {
                prev_term
            } else {
                entries[skip - 1].term
            };
            (
                prev_index + skip as u64,
                prev_term,
                entries[skip..].to_vec(),
            )
        } else {
            (prev_index, prev_term, entries)
        };
        if prev_index < base {
            self.reply_append(from, true, base);
            return;
        }
        // The consistency check (§5.3).
        if self.log.term_at(prev_index) != Some(prev_term) {
            let retry = self.conflict_hint(prev_index);
            self.reply_append(from, false, retry);
            return;
        }
        let last_new = prev_index + entries.len() as u64;
        self.store_entries(prev_index + 1, entries);
        let commit_bound = if self.s.bug == Bug::CommitBeyondMatch {
            self.log.last_index() // BUG: entries past `last_new` were not checked against the leader's
        } else {
            last_new
        };
        let commit = leader_commit.min(commit_bound);
        if commit > self.commit {
            self.set_commit(commit);
        }
        self.reply_append(from, true, last_new);
    }

    /// Where the leader should retry after a failed consistency check at `prev_index`: past
    /// our end, or the first index of the conflicting term (one round trip per term, §5.3).
    fn conflict_hint(&self, prev_index: u64) -> u64 {
        let last = self.log.last_index();
        if prev_index > last {
            return last + 1;
        }
        let Some(t) = self.log.term_at(prev_index) else {
            return self.log.base_index() + 1;
        };
        let mut i = prev_index;
        while i > self.log.base_index() + 1 && self.log.term_at(i - 1) == Some(t) {
            i -= 1;
        }
        i
    }

    /// Stores `entries` from `index`: an entry already present with the same term is kept;
    /// the first conflicting one and everything after it are replaced (§5.3, step 3).
    fn store_entries(&mut self, mut index: u64, entries: Vec<Entry>) {
        for entry in entries {
            match self.log.term_at(index) {
                Some(t) if t == entry.term => {}
                existing => {
                    let conflict = existing.is_some();
                    let kept_suffix = conflict && self.s.bug == Bug::NoTruncateOnConflict;
                    if kept_suffix {
                        // BUG: overwrites the conflicting entry but keeps the stale ones after it.
                        self.log.replace(index, entry);
                    } else {
                        if conflict {
                            self.log.truncate_from(index);
                        }
                        self.log.push(entry);
                    }
                    self.mark_log_dirty(index);
                    let stored = self.log.get(index).expect("just stored");
                    let event = Event::Appended {
                        index,
                        entry: stored,
                        kept_suffix,
                    };
                    self.probe.emit_ref(self.me, event);
                }
            }
            index += 1;
        }
    }

    fn reply_append(&mut self, to: NodeIdx, success: bool, index: u64) {
        let reply = Msg::AppendReply {
            term: self.term,
            from: self.me,
            success,
            index,
        };
        self.send(Dest::Peer(to), reply);
    }

    /// AppendEntries' answer on the leader.
    pub(crate) fn on_append_reply(&mut self, term: u64, from: NodeIdx, success: bool, index: u64) {
        if self.role != Role::Leader || term != self.term {
            return;
        }
        if success {
            if index > self.matched[from] {
                self.matched[from] = index;
            }
            self.next[from] = self.next[from].max(index + 1);
            self.advance_commit();
            if self.next[from] <= self.log.last_index() {
                self.send_append(from);
            }
        } else {
            // Never below what is known to match.
            self.next[from] = index.max(self.matched[from] + 1).max(1);
            self.send_append(from);
        }
    }

    /// Commits the highest index stored on a majority — only if it is of the current term
    /// (§5.4.2: an older entry is committed indirectly, by a current-term entry after it).
    pub(crate) fn advance_commit(&mut self) {
        let mut n = self.log.last_index();
        while n > self.commit {
            let current_term = self.log.term_at(n) == Some(self.term);
            let countable = current_term || self.s.bug == Bug::CommitPreviousTerm;
            let replicas = self.matched.iter().filter(|&&m| m >= n).count();
            if countable && replicas >= self.majority() {
                self.set_commit(n);
                return;
            }
            n -= 1;
        }
    }

    /// Moves the commit index forward and applies what it covers.
    pub(crate) fn set_commit(&mut self, index: u64) {
        debug_assert!(index > self.commit);
        self.commit = index;
        self.probe.emit_ref(self.me, Event::Commit(index));
        self.apply_committed();
    }
}
