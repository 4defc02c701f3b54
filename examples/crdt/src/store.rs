//! A replica's whole state — one of each CRDT — and the operations clients send. Pure: the
//! node shell reads the wall clock and passes it in.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::bug::Bug;
use crate::gcounter::GCounter;
use crate::lattice::{Crdt, ReplicaId};
use crate::lww::{LwwRegister, Stamp};
use crate::orset::{OrSet, Tag};
use crate::pncounter::PnCounter;

/// The set's elements (few, so adds and removes of one element interleave).
pub type Element = u8;

/// A client's operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Adds to the G-Counter.
    Increment(u64),
    /// Adds to (positive) or subtracts from (negative) the PN-Counter.
    Change(i64),
    /// Adds an element to the OR-Set under a unique tag.
    Add(Element, Tag),
    /// Removes an element from the OR-Set, as the replica sees it.
    Remove(Element),
    /// Writes a value to the LWW register.
    Write(u64),
}

/// A replica's answer to an [`Op`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Applied.
    Done,
    /// The tags the remove observed (and so removed).
    Removed(BTreeSet<Tag>),
    /// The write's stamp, and whether it is the register's value right after it.
    Written(Stamp, bool),
}

/// One replica's state: a G-Counter, a PN-Counter, an OR-Set and an LWW register.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Store {
    /// The grow-only counter.
    pub gcounter: GCounter,
    /// The up-and-down counter.
    pub pncounter: PnCounter,
    /// The observed-remove set.
    pub set: OrSet<Element>,
    /// The last-writer-wins register.
    pub register: LwwRegister<u64>,
}

impl Store {
    /// Applies `op` as replica `me`, whose wall clock reads `wall_ns`.
    pub fn apply(&mut self, me: ReplicaId, op: &Op, wall_ns: i128, bug: Bug) -> Reply {
        match *op {
            Op::Increment(n) => self.gcounter.increment(me, n),
            Op::Change(d) => self.pncounter.change(me, d),
            Op::Add(e, tag) => self.set.add(e, tag),
            Op::Remove(e) => return Reply::Removed(self.set.remove(&e, bug)),
            Op::Write(v) => {
                let stamp = Stamp {
                    wall_ns,
                    replica: me,
                };
                return Reply::Written(stamp, self.register.write(v, stamp));
            }
        }
        Reply::Done
    }
}

impl Crdt for Store {
    fn join(&mut self, other: &Self, bug: Bug) {
        self.gcounter.join(&other.gcounter, bug);
        self.pncounter.join(&other.pncounter, bug);
        self.set.join(&other.set, bug);
        self.register.join(&other.register, bug);
    }
}
