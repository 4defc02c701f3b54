//! What a node tells an observer about its leadership, at the exact step each change happens.
//! In a real deployment the probe is empty; in a simulation it feeds the cluster-wide check
//! that no two nodes lead at once ([`crate::invariants`]), which stamps each event with true
//! virtual time — the one clock no node can read.

use std::fmt;
use std::rc::Rc;

use crate::message::NodeIdx;

/// One observable change in a node's leadership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The node holds a majority's lease under `epoch`: it leads from now.
    Elected {
        /// The lease's epoch.
        epoch: u64,
    },
    /// The node relies on its lease right now: it serves a read from it, acknowledges a write,
    /// or finds it still running at a tick. Its leadership lasts at least until now.
    Holding {
        /// The lease's epoch.
        epoch: u64,
    },
    /// The node found its lease expired (or superseded) and stopped leading.
    SteppedDown {
        /// The lease's epoch.
        epoch: u64,
    },
}

type ProbeFn = dyn Fn(NodeIdx, Event);

/// An observer of one node (or none). Cheap to clone.
#[derive(Clone, Default)]
pub struct Probe(Option<Rc<ProbeFn>>);

impl Probe {
    /// No observer: events cost a branch.
    pub fn none() -> Probe {
        Probe(None)
    }

    /// An observer calling `f` with the node's index and each event.
    pub fn new(f: impl Fn(NodeIdx, Event) + 'static) -> Probe {
        Probe(Some(Rc::new(f)))
    }

    /// Reports `event` of node `me`.
    #[inline]
    pub fn emit(&self, me: NodeIdx, event: Event) {
        if let Some(f) = &self.0 {
            f(me, event);
        }
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
