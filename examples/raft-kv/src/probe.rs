//! What a node tells an observer as it goes: elections, log changes, commits, applications.
//! The node calls the probe at the exact point each change happens; in a real deployment the
//! probe is empty, in a simulation it feeds the cluster-wide safety checks
//! ([`crate::invariants`]).

use std::fmt;
use std::rc::Rc;

use crate::kv::KvStore;
use crate::message::{Entry, NodeIdx};

/// What a node's messages may depend on and must therefore be on disk before any of them
/// leaves: its term, its vote, and its log's last entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Persistent {
    /// The current term.
    pub term: u64,
    /// The vote cast in it.
    pub voted_for: Option<NodeIdx>,
    /// The log's last (index, term).
    pub last: (u64, u64),
}

impl fmt::Display for Persistent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let vote = self
            .voted_for
            .map_or("none".to_string(), |v| format!("n{v}"));
        let (index, term) = self.last;
        write!(
            f,
            "term {}, vote {vote}, log to index {index} (term {term})",
            self.term
        )
    }
}

/// One observable change in a node.
#[derive(Debug)]
pub enum Event<'a> {
    /// The node (re)started with this durable state: its log now starts after `base_index`.
    Recovered {
        /// Its current term after recovery.
        term: u64,
        /// The index its snapshot covers.
        base_index: u64,
    },
    /// The node's current term changed.
    Term(u64),
    /// The node's storage holds this state (after a batch was persisted, or at recovery).
    Synced(Persistent),
    /// The shell is about to send messages that depend on this state.
    Sending(Persistent),
    /// The shell could not make a batch durable (a write or sync failed); it sends nothing of it.
    PersistFailed,
    /// The node became leader of `term`.
    Leader(u64),
    /// The node stored `entry` at `index` (replacing anything from `index` on, unless a bug keeps it).
    Appended {
        /// Where.
        index: u64,
        /// What.
        entry: &'a Entry,
        /// True when entries after `index` were kept (only a planted bug does this).
        kept_suffix: bool,
    },
    /// The node installed a snapshot covering `index`; its log now starts after it.
    SnapshotInstalled {
        /// The snapshot's last index.
        index: u64,
        /// Its term.
        term: u64,
        /// Whether the entries after `index` were kept (the log held the snapshot's last entry).
        kept_suffix: bool,
    },
    /// The node's commit index is now `index`.
    Commit(u64),
    /// The node applied the entry at `index` to its state machine, which is now `state`.
    Applied {
        /// Where.
        index: u64,
        /// The state machine after applying it (every replica must reach the same one).
        state: &'a KvStore,
    },
}

type ProbeFn = dyn Fn(NodeIdx, Event<'_>);

/// An observer of one node (or none). Cheap to clone.
#[derive(Clone, Default)]
pub struct Probe(Option<Rc<ProbeFn>>);

impl Probe {
    /// No observer: events cost a branch.
    pub fn none() -> Probe {
        Probe(None)
    }

    /// An observer calling `f` with the node's index and each event.
    pub fn new(f: impl Fn(NodeIdx, Event<'_>) + 'static) -> Probe {
        Probe(Some(Rc::new(f)))
    }

    /// Reports an event that borrows the node's state.
    #[inline]
    pub fn emit_ref(&self, me: NodeIdx, event: Event<'_>) {
        if let Some(f) = &self.0 {
            f(me, event);
        }
    }

    /// True when an observer is attached.
    pub fn is_attached(&self) -> bool {
        self.0.is_some()
    }
}

impl fmt::Debug for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Probe(attached)"
        } else {
            "Probe(none)"
        })
    }
}
