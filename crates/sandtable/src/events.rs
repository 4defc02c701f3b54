//! The future of a run: one heap of timestamped events (timer firings, message deliveries,
//! scheduled actions), ordered by true virtual time and then by a run-unique sequence number.

use std::rc::Rc;

use slab::Slab;

use std::task::Waker;

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
    /// Transmit or deliver the TCP segment with this key.
    Segment(u32),
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
        Due::Segment(k) => (3, k),
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
        2 => Due::Action(key),
        _ => Due::Segment(key),
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
    heap: Wheel,
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

    /// The time of the earliest pending event (slower than [`Events::pop_until`]: for rare
    /// paths only).
    pub(crate) fn peek_time(&self) -> Option<u64> {
        self.heap.peek_time()
    }

    /// Takes out the earliest event if it is due at or before `limit`.
    pub(crate) fn pop_until(&mut self, limit: u64) -> Next {
        match self.heap.pop_until(limit) {
            Next128::Key(e) => Next::Event(unpack((e >> 64) as u64, e as u64)),
            Next128::Later => Next::Later,
            Next128::Empty => Next::Empty,
        }
    }

    /// Takes out the earliest event.
    #[cfg(test)]
    pub(crate) fn pop(&mut self) -> Option<Event> {
        match self.pop_until(u64::MAX) {
            Next::Event(e) => Some(e),
            _ => None,
        }
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

    /// Hints the processor to fetch the task that the next event wakes, if that is a timer
    /// found without moving anything: it is likely cold (one of many sleeping tasks), and it
    /// is needed right after the current event's task has run.
    #[inline]
    pub(crate) fn prefetch_next(&self) {
        let Some(next) = self.heap.peek_next() else {
            return;
        };
        if let Due::Timer(key) = unpack((next >> 64) as u64, next as u64).due {
            if let Some(waker) = self.timers.get(key as usize).and_then(|t| t.waker.as_ref()) {
                crate::executor::prefetch_address(waker.data() as *const i8);
            }
        }
    }

    /// Takes everything out, so the caller can drop it outside any borrow.
    pub(crate) fn clear(&mut self) -> (Vec<Waker>, Vec<Action>) {
        self.heap.clear();
        let wakers = self.timers.drain().filter_map(|t| t.waker).collect();
        let actions = self.actions.drain().collect();
        (wakers, actions)
    }
}

/// What [`Events::pop_until`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// The earliest event, taken out.
    Event(Event),
    /// Events are pending, but the earliest is later than the limit (nothing was taken).
    Later,
    /// No event is pending.
    Empty,
}

/// Bits of time per wheel level: 256 slots a level.
const LEVEL_BITS: u32 = 8;
const SLOTS: usize = 1 << LEVEL_BITS;
/// Most pending entries kept outside the wheel.
const FEW: usize = 32;
/// Words of a level's occupancy bitmap.
const WORDS: usize = SLOTS / 64;
/// Levels needed to cover all 64 bits of time.
const LEVELS: usize = 64_usize.div_ceil(LEVEL_BITS as usize);

/// A hierarchical timing wheel over nanosecond times, exact (no rounding).
///
/// An entry sits at the level of the highest 8-bit digit in which its time differs from
/// `elapsed` (a lower bound of every pending time), in the slot of that digit. Entries of the
/// lowest non-empty level's first occupied slot are the earliest; at level 0 a slot is one
/// nanosecond, so its entries are due together and leave in the order they came (their
/// sequence order: a slot only ever receives entries with higher sequence numbers than the ones
/// it holds, whether pushed or cascaded, since a slot is cascaded only when every lower level is
/// empty). Reaching a slot above level 0 moves `elapsed` to the slot's earliest entry, which
/// becomes due, and cascades the others one level down or more: an entry moves at most 7 times
/// in its life, typically once or twice for timers milliseconds away, and a lone entry not at
/// all. Pushes and pops are O(1) but for one pass over a slot when it is reached.
///
/// Times pushed must not be earlier than `elapsed`, which never passes a time the caller has
/// not reached: `pop_until(limit)` cascades only slots starting at or before `limit`.
struct Wheel {
    elapsed: u64,
    /// While few entries are pending (at most [`FEW`]), they are kept here unsorted instead,
    /// where a pass over one or two cache lines finds the earliest: a sparse run (a ping-pong,
    /// a handful of nodes) never touches the wheel's slots. More entries move everything into
    /// the wheel, until it is empty again.
    few: Vec<u128>,
    spread: bool,
    /// Entries due at exactly `elapsed`, in sequence order, from `due_head` on.
    due: Vec<u128>,
    due_head: usize,
    /// Bit `l` set when level `l` has an occupied slot.
    levels: u8,
    /// Per level, bit `s` set when slot `s` is non-empty.
    occupied: [[u64; WORDS]; LEVELS],
    /// Each slot keeps its own buffer (buffers never move between slots, so a large one made
    /// by a burst stays where the bursts land instead of spreading capacity over every slot).
    slots: Vec<Vec<u128>>,
    len: usize,
}

impl Default for Wheel {
    fn default() -> Self {
        Wheel {
            elapsed: 0,
            few: Vec::with_capacity(FEW),
            spread: false,
            due: Vec::new(),
            due_head: 0,
            levels: 0,
            occupied: [[0; WORDS]; LEVELS],
            slots: (0..LEVELS * SLOTS).map(|_| Vec::new()).collect(),
            len: 0,
        }
    }
}

impl Wheel {
    fn push(&mut self, key: u128) {
        let time = (key >> 64) as u64;
        assert!(
            time >= self.elapsed,
            "sandtable bug: an event was scheduled at {time} ns, before the wheel's time {} ns",
            self.elapsed
        );
        self.len += 1;
        if !self.spread {
            if self.few.len() < FEW {
                self.few.push(key);
                return;
            }
            self.spread = true;
            let mut few = std::mem::take(&mut self.few);
            few.sort_unstable();
            for k in few.drain(..) {
                self.file((k >> 64) as u64, k);
            }
            self.few = few;
        }
        self.file(time, key);
    }

    #[inline]
    fn file(&mut self, time: u64, key: u128) {
        if time == self.elapsed {
            self.due.push(key);
        } else {
            self.put(time, key);
        }
    }

    /// Files an entry later than `elapsed` by the highest digit in which they differ.
    #[inline]
    fn put(&mut self, time: u64, key: u128) {
        let diff = time ^ self.elapsed;
        debug_assert!(diff != 0 && time > self.elapsed);
        let level = (63 - diff.leading_zeros()) / LEVEL_BITS;
        let slot = ((time >> (level * LEVEL_BITS)) as usize) & (SLOTS - 1);
        let level = level as usize;
        self.slots[level * SLOTS + slot].push(key);
        self.occupied[level][slot / 64] |= 1 << (slot % 64);
        self.levels |= 1 << level;
    }

    /// Takes out the earliest key if its time is at most `limit`.
    fn pop_until(&mut self, limit: u64) -> Next128 {
        if !self.spread {
            let Some((i, &key)) = self.few.iter().enumerate().min_by_key(|(_, k)| **k) else {
                return Next128::Empty;
            };
            let time = (key >> 64) as u64;
            if time > limit {
                return Next128::Later;
            }
            self.few.swap_remove(i);
            self.elapsed = time;
            self.len -= 1;
            return Next128::Key(key);
        }
        let next = self.pop_spread(limit);
        if self.len == 0 {
            self.spread = false;
        }
        next
    }

    fn pop_spread(&mut self, limit: u64) -> Next128 {
        loop {
            if let Some(&key) = self.due.get(self.due_head) {
                if self.elapsed > limit {
                    return Next128::Later;
                }
                self.due_head += 1;
                if self.due_head == self.due.len() {
                    self.due.clear();
                    self.due_head = 0;
                    release_if_large(&mut self.due);
                }
                self.len -= 1;
                return Next128::Key(key);
            }
            if self.levels == 0 {
                return Next128::Empty;
            }
            let level = self.levels.trailing_zeros() as usize;
            let slot = self.first_slot(level);
            let index = level * SLOTS + slot;
            // At level 0 the slot is one nanosecond: `elapsed`'s higher digits and the slot's.
            // Above, the earliest entry of the slot, found by one pass over it.
            let start = if level == 0 {
                self.elapsed & !(SLOTS as u64 - 1) | slot as u64
            } else {
                let entries = self.slots[index].iter();
                entries.map(|k| (k >> 64) as u64).min().unwrap_or(u64::MAX)
            };
            if start > limit {
                return Next128::Later;
            }
            self.occupied[level][slot / 64] &= !(1 << (slot % 64));
            if self.occupied[level] == [0; WORDS] {
                self.levels &= !(1 << level);
            }
            self.elapsed = start;
            if level == 0 {
                // Every entry of a level-0 slot is due at `start`, already in sequence order.
                let bucket = &mut self.slots[index];
                self.due.extend_from_slice(bucket);
                bucket.clear();
                release_if_large(bucket);
                continue;
            }
            // Cascade: every entry of the slot becomes due or moves to a lower level (they all
            // differ from `start` only below this level).
            let mut bucket = std::mem::take(&mut self.slots[index]);
            for &key in &bucket {
                let time = (key >> 64) as u64;
                if time == start {
                    self.due.push(key);
                } else {
                    self.put(time, key);
                }
            }
            bucket.clear();
            release_if_large(&mut bucket);
            self.slots[index] = bucket;
        }
    }

    /// The earliest entry, found without moving anything, if that takes looking at no more
    /// than `scan` entries (the next due one, the unsorted front, or the first occupied slot).
    #[inline]
    fn earliest(&self, scan: usize) -> Option<u128> {
        let candidates: &[u128] = if !self.spread {
            &self.few
        } else if let Some(&key) = self.due.get(self.due_head) {
            return Some(key);
        } else if self.levels == 0 {
            return None;
        } else {
            let level = self.levels.trailing_zeros() as usize;
            &self.slots[level * SLOTS + self.first_slot(level)]
        };
        if candidates.len() > scan {
            return None;
        }
        candidates.iter().min().copied()
    }

    /// The entry next to be popped, if that is cheap to find: a hint for prefetching.
    #[inline]
    fn peek_next(&self) -> Option<u128> {
        self.earliest(4)
    }

    /// The earliest time (a scan of one slot): for the rare callers that need the exact time
    /// of an event beyond a limit.
    fn peek_time(&self) -> Option<u64> {
        self.earliest(usize::MAX).map(|k| (k >> 64) as u64)
    }

    /// The first occupied slot of a non-empty level.
    #[inline]
    fn first_slot(&self, level: usize) -> usize {
        let words = &self.occupied[level];
        let w = words
            .iter()
            .position(|&w| w != 0)
            .expect("an occupied level has an occupied slot");
        w * 64 + words[w].trailing_zeros() as usize
    }

    fn clear(&mut self) {
        for (level, words) in self.occupied.iter_mut().enumerate() {
            for (w, occupied) in words.iter_mut().enumerate() {
                while *occupied != 0 {
                    let slot = w * 64 + occupied.trailing_zeros() as usize;
                    self.slots[level * SLOTS + slot].clear();
                    *occupied &= *occupied - 1;
                }
            }
        }
        self.few.clear();
        self.spread = false;
        self.due.clear();
        self.due_head = 0;
        self.levels = 0;
        self.len = 0;
    }
}

/// Frees an emptied buffer that a burst made large. Slots keep small buffers for reuse, but
/// a slot far ahead that once held every pending entry (the first slot past a power-of-256
/// boundary) must not keep that capacity for the rest of the run.
#[inline]
fn release_if_large(bucket: &mut Vec<u128>) {
    if bucket.capacity() > RETAINED {
        *bucket = Vec::new();
    }
}

/// Most entries an empty buffer keeps room for.
const RETAINED: usize = 256;

enum Next128 {
    Key(u128),
    Later,
    Empty,
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
            Due::Segment(7),
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

    /// The wheel against a sorted list, with the simulator's access pattern: pushes never
    /// earlier than the last pop, many equal times (FIFO among them), spans from 1 ns to hours,
    /// and `pop_until` limits that stop short of the minimum.
    #[test]
    fn the_wheel_pops_in_time_then_push_order() {
        let mut w = Wheel::default();
        let mut x: u64 = 12345;
        let mut model: std::collections::BTreeSet<u128> = Default::default();
        let mut now = 0u64;
        let mut seq = 0u64;
        let (mut spread_seen, mut few_again) = (false, false);
        for round in 0..30_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = x >> 33;
            // Phases that fill the wheel and phases that drain it (back to the few-entry mode).
            let pushes = if (round / 2_000) % 2 == 0 { 3 } else { 1 };
            if r % 5 < pushes {
                let delta = match r % 7 {
                    0 => 0,
                    1 => r % 64,
                    2 => r % 100_000,
                    3 => r % 10_000_000,
                    4 => r % 1_000_000_000_000,
                    5 => (r % 3) << 40,
                    _ => r % 1_000,
                };
                let key = ((now + delta) as u128) << 64 | seq as u128;
                seq += 1;
                model.insert(key);
                w.push(key);
            } else {
                let limit = if round % 11 == 0 {
                    now + (r % 1_000_000)
                } else {
                    u64::MAX
                };
                let expected = match model.first() {
                    None => Next128::Empty,
                    Some(&k) if (k >> 64) as u64 > limit => Next128::Later,
                    Some(_) => Next128::Key(model.pop_first().expect("not empty")),
                };
                let got = w.pop_until(limit);
                match (&got, &expected) {
                    (Next128::Key(a), Next128::Key(b)) => {
                        assert_eq!(a, b);
                        now = (a >> 64) as u64;
                    }
                    (Next128::Later, Next128::Later) => {
                        assert_eq!(w.peek_time(), model.first().map(|k| (k >> 64) as u64));
                        now = limit;
                    }
                    (Next128::Empty, Next128::Empty) => {}
                    _ => panic!("round {round}: wheel and model disagree"),
                }
                assert_eq!(w.len, model.len());
                spread_seen |= w.spread;
                few_again |= spread_seen && !w.spread;
                assert!(w.elapsed <= now, "the wheel never runs ahead of the caller");
            }
        }
        assert!(
            spread_seen && few_again,
            "both modes and the way back were exercised"
        );
        let model: Vec<u128> = model.into_iter().collect();
        let rest: Vec<u128> = std::iter::from_fn(|| match w.pop_until(u64::MAX) {
            Next128::Key(k) => Some(k),
            _ => None,
        })
        .collect();
        assert_eq!(rest, model);
        now = rest.last().map_or(now, |k| (k >> 64) as u64);
        w.push(((now + 5) as u128) << 64);
        w.clear();
        assert!(matches!(w.pop_until(u64::MAX), Next128::Empty));
    }

    #[test]
    fn the_wheel_reaches_the_end_of_time() {
        let mut w = Wheel::default();
        for t in [u64::MAX, 1 << 63, 3, u64::MAX - 1] {
            w.push((t as u128) << 64);
        }
        let times: Vec<u64> = std::iter::from_fn(|| match w.pop_until(u64::MAX) {
            Next128::Key(k) => Some((k >> 64) as u64),
            _ => None,
        })
        .collect();
        assert_eq!(times, [3, 1 << 63, u64::MAX - 1, u64::MAX]);
    }

    #[test]
    #[should_panic(expected = "runaway simulation")]
    fn too_many_pending_events_is_a_clear_error() {
        pack(0, Due::Timer(MAX_PENDING));
    }
}
