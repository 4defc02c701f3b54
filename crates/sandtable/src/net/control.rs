//! Controlling the network from a test or a nemesis: partitions, link models, counters.

use std::rc::Rc;

use super::link::LinkConfig;
use super::stats::NetStats;
use crate::node::NodeId;
use crate::world::World;

/// A handle on the simulation's network. Get one from [`crate::Handle::net`].
#[derive(Clone)]
pub struct NetControl {
    pub(crate) world: Rc<World>,
}

impl NetControl {
    /// Cuts every link between `a` and `b` in both directions (a symmetric partition).
    pub fn partition(&self, a: &[NodeId], b: &[NodeId]) {
        let mut net = self.world.net.borrow_mut();
        for &x in a {
            for &y in b {
                net.set_blocked(x, y, true);
                net.set_blocked(y, x, true);
            }
        }
    }

    /// Splits the nodes into groups that cannot reach each other.
    pub fn partition_groups(&self, groups: &[&[NodeId]]) {
        for (i, a) in groups.iter().enumerate() {
            for b in &groups[i + 1..] {
                self.partition(a, b);
            }
        }
    }

    /// Cuts the link `from → to` only: `to` still reaches `from`.
    pub fn cut_one_way(&self, from: NodeId, to: NodeId) {
        self.world.net.borrow_mut().set_blocked(from, to, true);
    }

    /// Restores both directions between `a` and `b`.
    pub fn heal(&self, a: NodeId, b: NodeId) {
        let mut net = self.world.net.borrow_mut();
        net.set_blocked(a, b, false);
        net.set_blocked(b, a, false);
    }

    /// Restores every link.
    pub fn heal_all(&self) {
        self.world.net.borrow_mut().heal_all();
    }

    /// Whether messages `from → to` are currently cut.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.world.net.borrow().is_blocked(from, to)
    }

    /// Overrides the model of the directed link `from → to`.
    pub fn set_link(&self, from: NodeId, to: NodeId, config: LinkConfig) {
        self.world.net.borrow_mut().set_link(from, to, Some(config));
    }

    /// Overrides both directions between `a` and `b`.
    pub fn set_link_both(&self, a: NodeId, b: NodeId, config: LinkConfig) {
        self.set_link(a, b, config.clone());
        self.set_link(b, a, config);
    }

    /// Removes the override of `from → to`; the default model applies again.
    pub fn reset_link(&self, from: NodeId, to: NodeId) {
        self.world.net.borrow_mut().set_link(from, to, None);
    }

    /// Replaces the default model of all links without an override.
    pub fn set_default_link(&self, config: LinkConfig) {
        self.world.net.borrow_mut().set_default(config);
    }

    /// The model in force on `from → to`.
    pub fn link(&self, from: NodeId, to: NodeId) -> LinkConfig {
        self.world.net.borrow().link_config(from, to)
    }

    /// Counters for the whole run.
    pub fn stats(&self) -> NetStats {
        self.world.net.borrow().stats
    }

    /// Counters for the directed link `from → to`.
    pub fn link_stats(&self, from: NodeId, to: NodeId) -> NetStats {
        self.world.net.borrow().link_stats(from, to)
    }

    /// Counters for every link that carried traffic, sorted by (from, to).
    pub fn all_link_stats(&self) -> Vec<((NodeId, NodeId), NetStats)> {
        self.world.net.borrow().all_link_stats()
    }
}
