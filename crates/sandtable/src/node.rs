//! Nodes: named groups of tasks with their own clock, RNG, sockets and lifecycle.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::rc::Rc;

use rand_chacha::ChaCha8Rng;

use crate::disk::store::Disk;
use crate::executor::SimRunnable;
use crate::net::socket::Bindings;
use crate::time::clock::NodeClock;

/// Identifies a node within one simulation. Cheap to copy; stable across crash and restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The node's index in creation order (0 for the first node).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node#{}", self.0)
    }
}

/// Whether a node is running, crashed, or paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Its tasks run and its timers fire.
    Running,
    /// Its tasks exist but are not polled (a long GC pause, a stopped VM).
    Paused,
    /// It has no tasks; its memory is gone. `restart` runs its init again.
    Crashed,
}

pub(crate) type BoxFuture = Pin<Box<dyn Future<Output = ()>>>;
pub(crate) type InitFn = Rc<dyn Fn() -> BoxFuture>;

/// The simulator's record of one node.
pub(crate) struct Node {
    pub name: Rc<str>,
    pub ip: IpAddr,
    pub state: NodeState,
    /// Bumped at every crash; packets addressed to an older incarnation are lost.
    pub incarnation: u32,
    /// Absent for client nodes, which run one future once.
    pub init: Option<InitFn>,
    pub clock: NodeClock,
    /// The node's stream; taken out while a `with_rng` closure runs (no borrow held).
    pub rng: Option<Box<ChaCha8Rng>>,
    /// Runnables that were picked while the node was paused, re-queued on resume.
    pub parked: Vec<SimRunnable>,
    pub bindings: Bindings,
    /// Survives crashes (minus unsynced writes); memory does not.
    pub disk: Disk,
    pub restarts: u32,
}

/// The address the simulator gives the node with this index: 127.1.x.y (never routed anywhere:
/// simulated packets never leave the process).
pub(crate) fn ip_for_index(index: u32) -> IpAddr {
    let n = index + 1;
    IpAddr::V4(Ipv4Addr::new(127, 1, (n >> 8) as u8, (n & 0xff) as u8))
}
