//! The bug knob: each variant is a one-line mistake a Raft implementer makes, switched on at run
//! time so that one build sweeps them all. Every `if self.bug == Bug::…` sits at the line a real
//! implementation would get wrong.

use std::fmt;
use std::str::FromStr;

/// Which planted bug the nodes run with (`Bug::None` for the correct protocol).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Bug {
    /// The correct protocol.
    #[default]
    None,
    /// RequestVote is granted without the candidate's log being at least as up to date (§5.4.1).
    VoteWithoutLogCheck,
    /// The leader commits entries of earlier terms by counting replicas (the paper's Figure 8);
    /// like the implementations that make this mistake, it opens its term without a no-op entry.
    CommitPreviousTerm,
    /// Votes and appended entries are written but not synced before the reply that depends on them.
    NoSyncBeforeReply,
    /// The current term and vote are kept in memory only: a restart forgets them.
    TermNotPersisted,
    /// The leader answers reads from its local state without confirming it is still leader.
    StaleLocalReads,
    /// Client retries are applied again: no duplicate suppression by session.
    NoDedup,
    /// A follower appends after the matching prefix without truncating a conflicting suffix.
    NoTruncateOnConflict,
    /// A follower accepts AppendEntries from a leader of an older term.
    AcceptStaleTerm,
    /// Election timeouts are all the same (not randomized): split votes forever.
    FixedElectionTimeout,
    /// A follower advances its commit index to the leader's without bounding it by the entries
    /// it has verified to match the leader's log.
    CommitBeyondMatch,
    /// A follower does not restart its election timer when AppendEntries arrives from the
    /// leader: it keeps deposing a healthy leader (a liveness bug the clients barely notice).
    NoTimerResetOnAppend,
    /// A snapshot holds the map but not the client sessions: a node restored from it (a restart,
    /// or a follower sent the snapshot) would apply a retried request again.
    SnapshotWithoutSessions,
}

impl Bug {
    /// Every planted bug (not `None`).
    pub const ALL: [Bug; 12] = [
        Bug::VoteWithoutLogCheck,
        Bug::CommitPreviousTerm,
        Bug::NoSyncBeforeReply,
        Bug::TermNotPersisted,
        Bug::StaleLocalReads,
        Bug::NoDedup,
        Bug::NoTruncateOnConflict,
        Bug::AcceptStaleTerm,
        Bug::FixedElectionTimeout,
        Bug::CommitBeyondMatch,
        Bug::NoTimerResetOnAppend,
        Bug::SnapshotWithoutSessions,
    ];

    /// The variant's name in kebab case, as `--bug` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Bug::None => "none",
            Bug::VoteWithoutLogCheck => "vote-without-log-check",
            Bug::CommitPreviousTerm => "commit-previous-term",
            Bug::NoSyncBeforeReply => "no-sync-before-reply",
            Bug::TermNotPersisted => "term-not-persisted",
            Bug::StaleLocalReads => "stale-local-reads",
            Bug::NoDedup => "no-dedup",
            Bug::NoTruncateOnConflict => "no-truncate-on-conflict",
            Bug::AcceptStaleTerm => "accept-stale-term",
            Bug::FixedElectionTimeout => "fixed-election-timeout",
            Bug::CommitBeyondMatch => "commit-beyond-match",
            Bug::NoTimerResetOnAppend => "no-timer-reset-on-append",
            Bug::SnapshotWithoutSessions => "snapshot-without-sessions",
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--bug` name that is not one of [`Bug`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownBug(pub String);

impl fmt::Display for UnknownBug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = std::iter::once(Bug::None)
            .chain(Bug::ALL)
            .map(Bug::name)
            .collect();
        write!(
            f,
            "unknown bug `{}`; expected one of: {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownBug {}

impl FromStr for Bug {
    type Err = UnknownBug;
    fn from_str(s: &str) -> Result<Bug, UnknownBug> {
        std::iter::once(Bug::None)
            .chain(Bug::ALL)
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBug(s.to_string()))
    }
}
