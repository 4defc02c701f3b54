//! The future of a run: one heap of timestamped events (timer firings, message deliveries,
//! scheduled actions), ordered by true virtual time and then by a run-unique sequence number.

use std::cell::Cell;
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

/// A due event, as the loop sees it: (true time, sequence, what).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub time: u64,
    pub seq: u64,
    pub due: Due,
}

/// Bits of a heap entry's second word: sequence number, then kind, then slab key. Keeping an
/// entry at 16 bytes makes the heap (the busiest structure of a timer-heavy run) a third smaller.
const KEY_BITS: u32 = 22;
const KIND_BITS: u32 = 2;
/// Most pending events of one kind (timers, packets in flight, actions) at any moment.
pub(crate) const MAX_PENDING: u32 = 1 << KEY_BITS;

fn pack(seq: u64, due: Due) -> u64 {
    let (kind, key) = match due {
        Due::Timer(k) => (0, k),
        Due::Deliver(k) => (1, k),
        Due::Action(k) => (2, k),
    };
    assert!(
        key < MAX_PENDING,
        "more than {MAX_PENDING} timers, packets in flight or actions are pending at once: \
         a runaway simulation (or raise the limit in events.rs)"
    );
    seq << (KIND_BITS + KEY_BITS) | (kind << KEY_BITS) | key as u64
}

fn unpack(time: u64, word: u64) -> Event {
    let key = (word & (MAX_PENDING as u64 - 1)) as u32;
    let due = match (word >> KEY_BITS) & 0b11 {
        0 => Due::Timer(key),
        1 => Due::Deliver(key),
        _ => Due::Action(key),
    };
    Event {
        time,
        seq: word >> (KIND_BITS + KEY_BITS),
        due,
    }
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
    /// (true time, packed sequence/kind/key): ordered by time, then sequence.
    heap: RadixHeap,
    next_seq: u64,
    pub timers: Slab<TimerSlot>,
    pub actions: Slab<Action>,
}

impl Events {
    /// Pushes an event and returns its sequence number.
    pub(crate) fn push(&mut self, time: u64, due: Due) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap
            .push((time as u128) << 64 | pack(seq, due) as u128);
        seq
    }

    pub(crate) fn peek_time(&self) -> Option<u64> {
        self.heap.peek().map(|e| (e >> 64) as u64)
    }

    pub(crate) fn pop(&mut self) -> Option<Event> {
        self.heap.pop().map(|e| unpack((e >> 64) as u64, e as u64))
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

/// A monotone priority queue of 128-bit keys (a radix heap): every key pushed is at least the
/// last key popped, which holds here because nothing is ever scheduled in the past. Keys sit in
/// buckets by the highest bit in which they differ from the last popped key; popping empties
/// the lowest non-empty bucket into lower ones. Pushes are O(1), and a key moves down at most
/// 128 times in its life — with few, predictable branches, unlike a binary heap's sift-down.
struct RadixHeap {
    last: u128,
    /// Bit i set when `buckets[i]` is non-empty (bucket 0 holds keys equal to `last`).
    occupied: [u64; 3],
    buckets: Vec<Vec<u128>>,
    /// The minimum found by the last `peek`, until the next pop.
    min: Cell<Option<u128>>,
}

impl Default for RadixHeap {
    fn default() -> Self {
        RadixHeap {
            last: 0,
            occupied: [0; 3],
            buckets: (0..129).map(|_| Vec::new()).collect(),
            min: Cell::new(None),
        }
    }
}

impl RadixHeap {
    fn bucket_of(&self, key: u128) -> usize {
        let diff = key ^ self.last;
        if diff == 0 {
            0
        } else {
            128 - diff.leading_zeros() as usize
        }
    }

    fn put(&mut self, key: u128) {
        let b = self.bucket_of(key);
        self.buckets[b].push(key);
        self.occupied[b / 64] |= 1 << (b % 64);
    }

    fn push(&mut self, key: u128) {
        if self.min.get().is_some_and(|m| key < m) {
            self.min.set(Some(key));
        }
        assert!(
            key >= self.last,
            "sandtable bug: an event was scheduled before the current virtual time"
        );
        self.put(key);
    }

    fn lowest_occupied(&self) -> Option<usize> {
        (0..3)
            .find(|&w| self.occupied[w] != 0)
            .map(|w| w * 64 + self.occupied[w].trailing_zeros() as usize)
    }

    /// Makes bucket 0 hold the minimum (keys are unique, so exactly it) and returns it.
    fn settle(&mut self) -> Option<u128> {
        let b = self.lowest_occupied()?;
        if b != 0 {
            let keys = std::mem::take(&mut self.buckets[b]);
            self.occupied[b / 64] &= !(1 << (b % 64));
            self.last = *keys.iter().min().expect("an occupied bucket has keys");
            for &k in &keys {
                self.put(k);
            }
            // Give the emptied bucket its allocation back for reuse.
            let mut keys = keys;
            keys.clear();
            self.buckets[b] = keys;
        }
        self.buckets[0].last().copied()
    }

    /// The minimum, without moving anything: `last` must stay the last key *popped*, since a
    /// run may stop before the minimum (at a deadline) and later schedule earlier events.
    fn peek(&self) -> Option<u128> {
        if let Some(min) = self.min.get() {
            return Some(min);
        }
        let b = self.lowest_occupied()?;
        let min = self.buckets[b].iter().min().copied();
        self.min.set(min);
        min
    }

    fn pop(&mut self) -> Option<u128> {
        self.min.set(None);
        self.settle()?;
        let key = self.buckets[0].pop();
        if self.buckets[0].is_empty() {
            self.occupied[0] &= !1;
        }
        key
    }

    fn clear(&mut self) {
        self.min.set(None);
        self.buckets.iter_mut().for_each(Vec::clear);
        self.occupied = [0; 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_entries_round_trip_and_order_by_time_then_sequence() {
        for due in [
            Due::Timer(0),
            Due::Deliver(MAX_PENDING - 1),
            Due::Action(12345),
        ] {
            let e = unpack(77, pack(1 << 39, due));
            assert_eq!(
                e,
                Event {
                    time: 77,
                    seq: 1 << 39,
                    due
                }
            );
        }
        let mut events = Events::default();
        events.push(5, Due::Action(9));
        events.push(3, Due::Deliver(1));
        events.push(5, Due::Timer(2));
        let order: Vec<(u64, Due)> = std::iter::from_fn(|| events.pop())
            .map(|e| (e.time, e.due))
            .collect();
        assert_eq!(
            order,
            [
                (3, Due::Deliver(1)),
                (5, Due::Action(9)),
                (5, Due::Timer(2))
            ]
        );
    }

    #[test]
    fn the_radix_heap_pops_in_order() {
        let mut h = RadixHeap::default();
        let mut x: u64 = 12345;
        let mut all = Vec::new();
        for _ in 0..5000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Monotone, as the simulator guarantees: never below the last key popped.
            let k = h.last + ((x >> 20) as u128 % 1000) * 1000 + all.len() as u128;
            all.push(k);
            h.push(k);
            if x.is_multiple_of(3) {
                all.sort_unstable();
                assert_eq!(h.pop(), Some(all.remove(0)));
            }
        }
        all.sort_unstable();
        let rest: Vec<u128> = std::iter::from_fn(|| h.pop()).collect();
        assert_eq!(rest, all);
    }

    #[test]
    #[should_panic(expected = "runaway simulation")]
    fn too_many_pending_events_is_a_clear_error() {
        pack(0, Due::Timer(MAX_PENDING));
    }
}
