//! A single-value channel that keeps only the latest value (tokio's `watch`).
//!
//! Senders replace the value and bump its version; each [`Receiver`] remembers the version it
//! last saw, so [`Receiver::changed`] completes once per *new* version, skipping values that
//! were overwritten before it looked. A receiver starts having seen the value it was created
//! with. The channel is closed for receivers when every [`Sender`] is dropped and for senders
//! when every `Receiver` is dropped.
//!
//! ```
//! use sandtable::prelude::*;
//! use sandtable::sync::watch;
//!
//! let sim = Sim::new(1);
//! let seen = sim.block_on("main", async {
//!     let (tx, mut rx) = watch::channel(0u64);
//!     let watcher = spawn(async move {
//!         let mut seen = Vec::new();
//!         while rx.changed().await.is_ok() {
//!             seen.push(*rx.borrow_and_update());
//!         }
//!         seen
//!     });
//!     for v in 1..=3 {
//!         tx.send(v).unwrap();
//!         sleep(std::time::Duration::from_millis(1)).await;
//!     }
//!     tx.send(4).unwrap();
//!     tx.send(5).unwrap(); // overwrites 4 before the watcher runs
//!     drop(tx);
//!     watcher.await.unwrap()
//! }).unwrap();
//! assert_eq!(seen, [1, 2, 3, 5]);
//! ```
//!
//! A [`Ref`] holds a read lock on the value: keep it short, and never hold one across an
//! `.await` or while sending on the same channel (the send would wait for it forever).

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::task::{Context, Poll};

use super::wait_queue::{lock, WaitQueue};

/// Creates a channel holding `init`; the receiver starts having seen it.
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        version: AtomicU64::new(0),
        state: Mutex::new(State {
            senders: 1,
            receivers: 1,
            changed: WaitQueue::default(),
            closed: WaitQueue::default(),
        }),
    });
    let rx = Receiver {
        shared: shared.clone(),
        seen: 0,
    };
    (Sender { shared }, rx)
}

struct Shared<T> {
    value: RwLock<T>,
    /// Bumped by one per change, only while the value's write lock is held, so a reader
    /// holding the read lock sees the version of the value it reads.
    version: AtomicU64,
    state: Mutex<State>,
}

struct State {
    senders: usize,
    receivers: usize,
    /// `Receiver::changed` futures waiting for a new version or the last sender's drop.
    changed: WaitQueue,
    /// `Sender::closed` futures waiting for the last receiver's drop.
    closed: WaitQueue,
}

impl<T> Shared<T> {
    fn read(&self) -> RwLockReadGuard<'_, T> {
        self.value.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Changes the value if `modify` says it did, bumps the version and wakes receivers.
    fn modify_if(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        {
            let mut value = self.value.write().unwrap_or_else(PoisonError::into_inner);
            if !modify(&mut value) {
                return false;
            }
            self.version.fetch_add(1, Ordering::AcqRel);
        }
        // Waiters check the version under the state lock, so taking them after the bump
        // cannot miss one.
        let woken = lock(&self.state).changed.take_all();
        woken.wake();
        true
    }
}

/// The sending half: replaces the value. `Clone`; the channel closes for receivers when the
/// last sender is dropped.
///
/// ```
/// use sandtable::prelude::*;
/// use sandtable::sync::watch;
///
/// let sim = Sim::new(1);
/// sim.block_on("main", async {
///     let (tx, rx) = watch::channel(vec![1]);
///     // Notify only when something changed.
///     assert!(!tx.send_if_modified(|v| if v.contains(&1) { false } else { v.push(1); true }));
///     spawn(async move {
///         sleep(std::time::Duration::from_millis(5)).await;
///         drop(rx);
///     })
///     .detach();
///     tx.closed().await; // the last receiver is gone
///     assert_eq!(tx.send(vec![2]).unwrap_err().0, [2]);
/// }).unwrap();
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// A sender with no receiver yet (use [`Sender::subscribe`]); sends fail until one exists.
    pub fn new(init: T) -> Sender<T> {
        channel(init).0
    }

    /// Replaces the value and notifies the receivers. Fails, giving the value back and
    /// leaving the channel unchanged, if every receiver was dropped.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if lock(&self.shared.state).receivers == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Replaces the value even with no receiver, notifies the receivers, returns the old value.
    pub fn send_replace(&self, value: T) -> T {
        let mut value = Some(value);
        let mut old = None;
        self.shared.modify_if(|v| {
            old = Some(std::mem::replace(v, value.take().expect("called once")));
            true
        });
        old.expect("the closure ran")
    }

    /// Changes the value in place (even with no receiver) and notifies the receivers.
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        self.shared.modify_if(|v| {
            modify(v);
            true
        });
    }

    /// Runs `modify` on the value; notifies the receivers only if it returns true (it should
    /// return whether it changed the value). Returns what `modify` returned.
    pub fn send_if_modified(&self, modify: impl FnOnce(&mut T) -> bool) -> bool {
        self.shared.modify_if(modify)
    }

    /// The current value (its [`Ref::has_changed`] is always false).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.read(),
            has_changed: false,
        }
    }

    /// A new receiver that has seen the current value.
    pub fn subscribe(&self) -> Receiver<T> {
        lock(&self.shared.state).receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.shared.version(),
        }
    }

    /// How many receivers exist.
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared.state).receivers
    }

    /// How many senders exist (this one included).
    pub fn sender_count(&self) -> usize {
        lock(&self.shared.state).senders
    }

    /// True when every receiver was dropped.
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }

    /// Completes once every receiver was dropped.
    pub async fn closed(&self) {
        Closed {
            shared: &self.shared,
            id: None,
        }
        .await
    }

    /// True if both belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).senders += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let woken = {
            let mut st = lock(&self.shared.state);
            st.senders -= 1;
            if st.senders > 0 {
                return;
            }
            st.changed.take_all()
        };
        woken.wake();
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("value", &*self.borrow())
            .field("version", &self.shared.version())
            .finish()
    }
}

/// The receiving half: reads the latest value and waits for new ones. A clone has seen
/// what the original has seen.
///
/// ```
/// use sandtable::prelude::*;
/// use sandtable::sync::watch;
///
/// let sim = Sim::new(1);
/// sim.block_on("main", async {
///     let (tx, mut rx) = watch::channel(0u64);
///     spawn(async move {
///         for term in 1..=5 {
///             sleep(std::time::Duration::from_millis(1)).await;
///             tx.send(term).unwrap();
///         }
///     })
///     .detach();
///     assert_eq!(*rx.wait_for(|term| *term >= 3).await.unwrap(), 3);
///     rx.changed().await.unwrap();
///     assert_eq!(*rx.borrow_and_update(), 4);
/// }).unwrap();
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen.
    seen: u64,
}

impl<T> Receiver<T> {
    /// The current value, without marking it seen.
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let has_changed = self.shared.version() != self.seen;
        Ref { guard, has_changed }
    }

    /// The current value, marking it seen.
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.read();
        let version = self.shared.version();
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether a value this receiver has not seen is there. Errs once every sender was
    /// dropped, even if such a value is there (as tokio does; `changed` still returns it).
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        if lock(&self.shared.state).senders == 0 {
            return Err(RecvError(()));
        }
        Ok(self.shared.version() != self.seen)
    }

    /// Marks the current value unseen, so `changed` completes at once.
    pub fn mark_changed(&mut self) {
        self.seen = self.shared.version().wrapping_sub(1);
    }

    /// Marks the current value seen.
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.version();
    }

    /// Waits for a value this receiver has not seen and marks it seen (read it with
    /// [`borrow`](Receiver::borrow)). Values overwritten meanwhile are skipped. Errs when
    /// every sender was dropped and no unseen value is left.
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        Changed {
            shared: &self.shared,
            seen: &mut self.seen,
            id: None,
        }
        .await
    }

    /// Waits until the value satisfies `predicate` and returns it, marked seen. The current
    /// value is checked first, then every new one (values overwritten before this task ran are
    /// skipped). Errs when every sender was dropped and the last value did not satisfy it.
    /// The returned [`Ref::has_changed`] tells whether the value was unseen when checked.
    pub async fn wait_for(
        &mut self,
        mut predicate: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        let mut closed = false;
        loop {
            {
                let guard = self.shared.read();
                let version = self.shared.version();
                let has_changed = version != self.seen;
                self.seen = version;
                if (!closed || has_changed) && predicate(&guard) {
                    return Ok(Ref { guard, has_changed });
                }
            }
            if closed {
                return Err(RecvError(()));
            }
            // Wait on a copy of `seen`, so the check above still sees the new value as unseen
            // and reports it in `Ref::has_changed`.
            let mut seen = self.seen;
            let changed = Changed {
                shared: &self.shared,
                seen: &mut seen,
                id: None,
            };
            closed = changed.await.is_err();
        }
    }

    /// True if both belong to the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        lock(&self.shared.state).receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let woken = {
            let mut st = lock(&self.shared.state);
            st.receivers -= 1;
            if st.receivers > 0 {
                return;
            }
            st.closed.take_all()
        };
        woken.wake();
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("value", &*self.borrow())
            .field("seen", &self.seen)
            .finish()
    }
}

/// Waits for a version other than `seen`; deregisters when dropped.
struct Changed<'a, T> {
    shared: &'a Shared<T>,
    seen: &'a mut u64,
    id: Option<u64>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut st = lock(&this.shared.state);
        let version = this.shared.version();
        let result = if version != *this.seen {
            *this.seen = version;
            Ok(())
        } else if st.senders == 0 {
            Err(RecvError(()))
        } else {
            st.changed.register(&mut this.id, (), cx.waker());
            return Poll::Pending;
        };
        if let Some(id) = this.id.take() {
            st.changed.remove(id);
        }
        Poll::Ready(result)
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            lock(&self.shared.state).changed.remove(id);
        }
    }
}

/// Waits for the last receiver's drop; deregisters when dropped.
struct Closed<'a, T> {
    shared: &'a Shared<T>,
    id: Option<u64>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut st = lock(&this.shared.state);
        if st.receivers > 0 {
            st.closed.register(&mut this.id, (), cx.waker());
            return Poll::Pending;
        }
        if let Some(id) = this.id.take() {
            st.closed.remove(id);
        }
        Poll::Ready(())
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            lock(&self.shared.state).closed.remove(id);
        }
    }
}

/// A borrowed value of a watch channel: holds its read lock until dropped.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> Ref<'_, T> {
    /// Whether the receiver had not seen this value before borrowing it (always false for
    /// [`Sender::borrow`]).
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// `send` failed because every receiver was dropped; the value is given back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

impl<T> std::fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendError").finish_non_exhaustive()
    }
}

impl<T> std::fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("channel closed")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// `changed` or `wait_for` failed: every sender was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("channel closed")]
pub struct RecvError(());
