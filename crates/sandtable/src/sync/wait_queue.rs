//! The FIFO queue of waiting futures shared by every primitive of this module, and the lock
//! helper they all use.
//!
//! Waiters are keyed by a per-queue sequence number, so the queue's order is registration order
//! (a `BTreeMap`: ordered, no hashing) and a cancelled future removes exactly its own entry.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

/// Locks `mutex`, ignoring poisoning: the state behind these locks is updated by short,
/// non-panicking code of this module, so a panic elsewhere never leaves it half-changed.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Futures waiting for something, oldest first, each with a payload `D` (what it waits for).
pub(super) struct WaitQueue<D = ()> {
    next_id: u64,
    entries: BTreeMap<u64, Entry<D>>,
}

struct Entry<D> {
    data: D,
    waker: Option<Waker>,
}

impl<D> std::fmt::Debug for WaitQueue<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitQueue")
            .field("waiting", &self.entries.len())
            .finish()
    }
}

impl<D> Default for WaitQueue<D> {
    fn default() -> Self {
        WaitQueue {
            next_id: 0,
            entries: BTreeMap::new(),
        }
    }
}

impl<D> WaitQueue<D> {
    /// Appends a waiter and returns its id.
    pub(super) fn push(&mut self, data: D, waker: Option<&Waker>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let waker = waker.cloned();
        self.entries.insert(id, Entry { data, waker });
        id
    }

    /// Stores `waker` for waiter `id`, keeping its place. False if `id` is no longer queued.
    pub(super) fn set_waker(&mut self, id: u64, waker: &Waker) -> bool {
        let Some(entry) = self.entries.get_mut(&id) else {
            return false;
        };
        match &mut entry.waker {
            Some(w) => w.clone_from(waker),
            none => *none = Some(waker.clone()),
        }
        true
    }

    /// Re-registers a waiter: keeps its place if it is still queued, else queues it last.
    pub(super) fn register(&mut self, id: &mut Option<u64>, data: D, waker: &Waker) {
        if let Some(i) = *id {
            if self.set_waker(i, waker) {
                return;
            }
        }
        *id = Some(self.push(data, Some(waker)));
    }

    /// Takes waiter `id` out of the queue (a cancelled future). None if it was not queued.
    pub(super) fn remove(&mut self, id: u64) -> Option<D> {
        self.entries.remove(&id).map(|e| e.data)
    }

    /// The oldest waiter's id and payload.
    pub(super) fn first(&self) -> Option<(u64, &D)> {
        self.entries.first_key_value().map(|(id, e)| (*id, &e.data))
    }

    /// Takes the oldest waiter out: its id and the waker to call once the lock is released.
    pub(super) fn pop_first(&mut self) -> Option<(u64, Option<Waker>)> {
        self.entries.pop_first().map(|(id, e)| (id, e.waker))
    }

    /// Takes every waiter out; wake them with [`WakeAll::wake`] once the lock is released.
    pub(super) fn take_all(&mut self) -> WakeAll<D> {
        WakeAll(std::mem::take(&mut self.entries))
    }

    /// True when nobody waits.
    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Waiters taken out of a queue, to be woken (oldest first) after the lock is released.
#[must_use = "the waiters must be woken"]
pub(super) struct WakeAll<D>(BTreeMap<u64, Entry<D>>);

impl<D> WakeAll<D> {
    /// Wakes every waiter in registration order.
    pub(super) fn wake(self) {
        for entry in self.0.into_values() {
            if let Some(w) = entry.waker {
                w.wake();
            }
        }
    }
}

/// Wakers collected under a lock, woken in order after it is released.
#[derive(Default)]
#[must_use = "the waiters must be woken"]
pub(super) struct Wakers(Vec<Waker>);

impl Wakers {
    /// Adds a waker (a waiter registered without one, by `Notified::enable`, has none).
    pub(super) fn push(&mut self, waker: Option<Waker>) {
        self.0.extend(waker);
    }

    /// Wakes them in the order they were added.
    pub(super) fn wake(self) {
        for w in self.0 {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Flag(AtomicUsize);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn ids_are_fifo_and_removal_is_exact() {
        let flag = Arc::new(Flag(AtomicUsize::new(0)));
        let waker = Waker::from(flag.clone());
        let mut q = WaitQueue::default();
        let a = q.push('a', Some(&waker));
        let b = q.push('b', None);
        let c = q.push('c', Some(&waker));
        assert_eq!(q.remove(b), Some('b'));
        assert_eq!(q.remove(b), None);
        assert_eq!(q.first(), Some((a, &'a')));
        let mut again = Some(a);
        q.register(&mut again, 'x', &waker);
        assert_eq!(again, Some(a), "a queued waiter keeps its place");
        assert_eq!(q.pop_first().map(|(id, _)| id), Some(a));
        let mut gone = Some(a);
        q.register(&mut gone, 'a', &waker);
        assert!(gone.is_some_and(|id| id > c), "a woken waiter queues last");
        q.take_all().wake();
        assert!(q.is_empty());
        assert_eq!(flag.0.load(Ordering::SeqCst), 2);
    }
}
