//! The future of a run: one heap of timestamped events (timer firings, message deliveries,
//! scheduled actions), ordered by true virtual time and then by a run-unique sequence number.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::task::Waker;

use slab::Slab;

use crate::node::NodeId;
use crate::world::World;

/// What happens when an event comes due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Due {
    /// Wake the timer in this slot, if its sequence number still matches.
    Timer(u32),
    /// Deliver the in-flight packet with this key.
    Deliver(u32),
    /// Run the scheduled action with this key.
    Action(u32),
}

/// One heap entry: (true time, sequence, what).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Event {
    pub time: u64,
    pub seq: u64,
    pub due: Due,
}

/// A registered timer: which node's clock it follows and when, in that node's local time.
pub(crate) struct TimerSlot {
    pub node: NodeId,
    pub deadline_local: i64,
    /// Sequence number of the heap entry that currently stands for this timer.
    pub seq: u64,
    pub waker: Option<Waker>,
}

/// A piece of code to run at a virtual time, outside any task (e.g. a scheduled fault).
pub(crate) type Action = Box<dyn FnOnce(&Rc<World>)>;

#[derive(Default)]
pub(crate) struct Events {
    heap: BinaryHeap<Reverse<Event>>,
    next_seq: u64,
    pub timers: Slab<TimerSlot>,
    pub actions: Slab<Action>,
}

impl Events {
    /// Pushes an event and returns its sequence number.
    pub(crate) fn push(&mut self, time: u64, due: Due) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Event { time, seq, due }));
        seq
    }

    pub(crate) fn peek_time(&self) -> Option<u64> {
        self.heap.peek().map(|Reverse(e)| e.time)
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        self.heap.pop().map(|Reverse(e)| e)
    }

    /// Registers a timer that fires at true time `at`; returns its slot.
    pub(crate) fn add_timer(
        &mut self,
        node: NodeId,
        deadline_local: i64,
        at: u64,
        waker: Waker,
    ) -> u32 {
        let key = self.timers.vacant_key() as u32;
        let seq = self.push(at, Due::Timer(key));
        self.timers.insert(TimerSlot {
            node,
            deadline_local,
            seq,
            waker: Some(waker),
        });
        key
    }

    /// Re-keys every timer of `node` after its clock changed; old heap entries become stale.
    pub(crate) fn reschedule_node(&mut self, node: NodeId, true_time_of: impl Fn(i64) -> u64) {
        let slots: Vec<(u32, i64)> = self
            .timers
            .iter()
            .filter(|(_, t)| t.node == node)
            .map(|(k, t)| (k as u32, t.deadline_local))
            .collect();
        for (key, deadline) in slots {
            let seq = self.push(true_time_of(deadline), Due::Timer(key));
            self.timers[key as usize].seq = seq;
        }
    }

    /// The waker of a timer whose heap entry `seq` is current, taking it out of the slot.
    pub(crate) fn fire_timer(&mut self, key: u32, seq: u64) -> Option<Waker> {
        let slot = self.timers.get_mut(key as usize)?;
        if slot.seq != seq {
            return None;
        }
        slot.waker.take()
    }

    /// Takes everything out, so the caller can drop it outside any borrow.
    pub(crate) fn clear(&mut self) -> (Vec<Waker>, Vec<Action>) {
        self.heap.clear();
        let wakers = self.timers.drain().filter_map(|t| t.waker).collect();
        let actions = self.actions.drain().collect();
        (wakers, actions)
    }
}
