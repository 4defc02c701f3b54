//! Multi-producer, single-consumer queues with tokio's API and semantics: `send(&self)`,
//! `try_send`, `try_recv`, an exact capacity, weak senders, and an unbounded variant.
//!
//! A bounded channel holds at most `capacity` values; a sender that finds it full waits, FIFO
//! among waiting senders, and a slot freed by the receiver is handed to the oldest waiter (a
//! waiter that gives up passes its slot on). `recv` returns `None` once every sender is gone
//! and the queue is empty; `send` fails (returning the value) once the receiver is gone or
//! closed. Like the rest of this module: wakers only, no clock, no randomness, `Send + Sync`.
//!
//! ```
//! use sandtable::prelude::*;
//! use sandtable::sync::mpsc;
//!
//! let sim = Sim::new(1);
//! let sum = sim.block_on("main", async {
//!     let (tx, mut rx) = mpsc::channel::<u32>(2);
//!     for i in 0..3 {
//!         let tx = tx.clone();
//!         spawn(async move { tx.send(i).await.unwrap() }).detach();
//!     }
//!     drop(tx);
//!     let mut sum = 0;
//!     while let Some(v) = rx.recv().await {
//!         sum += v;
//!     }
//!     sum
//! }).unwrap();
//! assert_eq!(sum, 3);
//! ```

use std::collections::{BTreeSet, VecDeque};
use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::wait_queue::{lock, WaitQueue, Wakers};

/// The value a `send` could not deliver: the receiver is gone or closed.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// Why `try_send` did not deliver.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The channel is at capacity.
    Full(T),
    /// The receiver is gone or closed.
    Closed(T),
}

/// Why `try_recv` returned nothing.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum TryRecvError {
    /// Nothing queued, but senders remain.
    Empty,
    /// Nothing queued and every sender is gone.
    Disconnected,
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("channel closed")
    }
}

impl<T> std::error::Error for SendError<T> {}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "Full(..)",
            TrySendError::Closed(_) => "Closed(..)",
        })
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrySendError::Full(_) => "no available capacity",
            TrySendError::Closed(_) => "channel closed",
        })
    }
}

impl<T> std::error::Error for TrySendError<T> {}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TryRecvError::Empty => "receiving on an empty channel",
            TryRecvError::Disconnected => "receiving on a closed channel",
        })
    }
}

impl std::error::Error for TryRecvError {}

struct State<T> {
    queue: VecDeque<T>,
    /// `None`: unbounded.
    capacity: Option<usize>,
    senders: usize,
    closed: bool,
    receiver: Option<Waker>,
    /// Senders waiting for a slot, oldest first.
    waiting: WaitQueue,
    /// Waiters handed a freed slot, not yet used.
    granted: BTreeSet<u64>,
}

impl<T> State<T> {
    fn used(&self) -> usize {
        self.queue.len() + self.granted.len()
    }

    fn has_room(&self) -> bool {
        self.capacity.is_none_or(|c| self.used() < c)
    }

    /// Hands free slots to the oldest waiters.
    fn grant(&mut self, wake: &mut Wakers) {
        while self.has_room() {
            let Some((id, waker)) = self.waiting.pop_first() else {
                break;
            };
            self.granted.insert(id);
            wake.push(waker);
        }
    }

    fn push(&mut self, value: T) -> Option<Waker> {
        self.queue.push_back(value);
        self.receiver.take()
    }
}

struct Chan<T>(Mutex<State<T>>);

fn new_chan<T>(capacity: Option<usize>) -> Arc<Chan<T>> {
    Arc::new(Chan(Mutex::new(State {
        queue: VecDeque::new(),
        capacity,
        senders: 1,
        closed: false,
        receiver: None,
        waiting: WaitQueue::default(),
        granted: BTreeSet::new(),
    })))
}

/// A bounded channel of `capacity` values (tokio's `mpsc::channel`). Panics on 0.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc bounded channel requires capacity > 0");
    let chan = new_chan(Some(capacity));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// An unbounded channel (tokio's `mpsc::unbounded_channel`).
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = new_chan(None);
    (
        UnboundedSender(Sender { chan: chan.clone() }),
        UnboundedReceiver(Receiver { chan }),
    )
}

/// The sending half of a bounded channel.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// A sender that does not keep the channel open; [`WeakSender::upgrade`] while a [`Sender`]
/// lives.
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving half of a bounded channel.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for a slot if the channel is full. Fails, returning the value,
    /// once the receiver is gone or closed. Cancel-safe: a dropped `send` passes any slot it
    /// was handed on to the next waiting sender.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut value = Some(value);
        let mut ticket = Ticket {
            chan: &self.chan,
            id: None,
        };
        poll_fn(|cx| ticket.poll_send(cx, &mut value)).await
    }

    /// Sends `value` if there is a free slot now.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let waker = {
            let mut s = lock(&self.chan.0);
            if s.closed {
                return Err(TrySendError::Closed(value));
            }
            if !s.waiting.is_empty() || !s.has_room() {
                return Err(TrySendError::Full(value));
            }
            s.push(value)
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// True once the receiver is gone or closed.
    pub fn is_closed(&self) -> bool {
        lock(&self.chan.0).closed
    }

    /// Free slots now.
    pub fn capacity(&self) -> usize {
        let s = lock(&self.chan.0);
        s.capacity.map_or(usize::MAX, |c| c - s.used().min(c))
    }

    /// The capacity the channel was created with.
    pub fn max_capacity(&self) -> usize {
        lock(&self.chan.0).capacity.unwrap_or(usize::MAX)
    }

    /// A weak sender for this channel.
    pub fn downgrade(&self) -> WeakSender<T> {
        WeakSender {
            chan: self.chan.clone(),
        }
    }

    /// True when both senders belong to the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

/// One `send`'s place among the waiting senders; leaving the queue on drop.
struct Ticket<'a, T> {
    chan: &'a Arc<Chan<T>>,
    id: Option<u64>,
}

impl<T> Ticket<'_, T> {
    fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        value: &mut Option<T>,
    ) -> Poll<Result<(), SendError<T>>> {
        let mut s = lock(&self.chan.0);
        let v = value.take().expect("polled after completion");
        if s.closed {
            let wake = self.leave(&mut s);
            drop(s);
            wake.wake();
            return Poll::Ready(Err(SendError(v)));
        }
        let granted = self.id.is_some_and(|id| s.granted.remove(&id));
        if granted || (s.waiting.is_empty() && s.has_room()) {
            self.id = None;
            let waker = s.push(v);
            drop(s);
            if let Some(w) = waker {
                w.wake();
            }
            return Poll::Ready(Ok(()));
        }
        *value = Some(v);
        s.waiting.register(&mut self.id, (), cx.waker());
        Poll::Pending
    }

    /// Leaves the queue; a slot already handed to this ticket goes to the next waiter.
    fn leave(&mut self, s: &mut State<T>) -> Wakers {
        let mut wake = Wakers::default();
        if let Some(id) = self.id.take() {
            s.waiting.remove(id);
            if s.granted.remove(&id) {
                s.grant(&mut wake);
            }
        }
        wake
    }
}

impl<T> Drop for Ticket<'_, T> {
    fn drop(&mut self) {
        if self.id.is_some() {
            let wake = {
                let mut s = lock(&self.chan.0);
                self.leave(&mut s)
            };
            wake.wake();
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.chan.0).senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut s = lock(&self.chan.0);
            s.senders -= 1;
            if s.senders == 0 {
                s.receiver.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> WeakSender<T> {
    /// A sender, if any other sender still keeps the channel open.
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let mut s = lock(&self.chan.0);
        if s.senders == 0 {
            return None;
        }
        s.senders += 1;
        Some(Sender {
            chan: self.chan.clone(),
        })
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Receiver<T> {
    /// The next value; `None` once every sender is gone (or the channel closed) and nothing is
    /// queued. Cancel-safe.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The next value if one is queued.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let (value, wake) = {
            let mut s = lock(&self.chan.0);
            match s.queue.pop_front() {
                Some(v) => {
                    let mut wake = Wakers::default();
                    s.grant(&mut wake);
                    (Ok(v), wake)
                }
                None if s.senders == 0 || s.closed => {
                    (Err(TryRecvError::Disconnected), Wakers::default())
                }
                None => (Err(TryRecvError::Empty), Wakers::default()),
            }
        };
        wake.wake();
        value
    }

    /// Polls for the next value (for hand-written futures).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let (value, wake) = {
            let mut s = lock(&self.chan.0);
            match s.queue.pop_front() {
                Some(v) => {
                    let mut wake = Wakers::default();
                    s.grant(&mut wake);
                    (Poll::Ready(Some(v)), wake)
                }
                None if s.senders == 0 || s.closed => (Poll::Ready(None), Wakers::default()),
                None => {
                    s.receiver = Some(cx.waker().clone());
                    (Poll::Pending, Wakers::default())
                }
            }
        };
        wake.wake();
        value
    }

    /// Closes the channel: senders fail from now on; queued values can still be received.
    pub fn close(&mut self) {
        let waiting = {
            let mut s = lock(&self.chan.0);
            s.closed = true;
            s.granted.clear();
            s.waiting.take_all()
        };
        waiting.wake();
    }

    /// Values queued now.
    pub fn len(&self) -> usize {
        lock(&self.chan.0).queue.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
        // Values still queued are dropped with the channel's last handle.
    }
}

/// The sending half of an unbounded channel.
pub struct UnboundedSender<T>(Sender<T>);

/// A weak [`UnboundedSender`].
pub struct WeakUnboundedSender<T>(WeakSender<T>);

/// The receiving half of an unbounded channel.
pub struct UnboundedReceiver<T>(Receiver<T>);

impl<T> UnboundedSender<T> {
    /// Sends `value` at once; fails, returning it, once the receiver is gone or closed.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.0.try_send(value).map_err(|e| match e {
            TrySendError::Closed(v) | TrySendError::Full(v) => SendError(v),
        })
    }

    /// True once the receiver is gone or closed.
    pub fn is_closed(&self) -> bool {
        self.0.is_closed()
    }

    /// A weak sender for this channel.
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        WeakUnboundedSender(self.0.downgrade())
    }

    /// True when both senders belong to the same channel.
    pub fn same_channel(&self, other: &UnboundedSender<T>) -> bool {
        self.0.same_channel(&other.0)
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        UnboundedSender(self.0.clone())
    }
}

impl<T> WeakUnboundedSender<T> {
    /// A sender, if any other sender still keeps the channel open.
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        self.0.upgrade().map(UnboundedSender)
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        WeakUnboundedSender(self.0.clone())
    }
}

impl<T> UnboundedReceiver<T> {
    /// The next value; `None` once every sender is gone and nothing is queued.
    pub async fn recv(&mut self) -> Option<T> {
        self.0.recv().await
    }

    /// The next value if one is queued.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.0.try_recv()
    }

    /// Polls for the next value.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.0.poll_recv(cx)
    }

    /// Closes the channel: senders fail from now on.
    pub fn close(&mut self) {
        self.0.close()
    }

    /// Values queued now.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

macro_rules! debug_by_name {
    ($($t:ident),*) => {$(
        impl<T> fmt::Debug for $t<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(stringify!($t))
            }
        }
    )*};
}
debug_by_name!(
    Sender,
    WeakSender,
    Receiver,
    UnboundedSender,
    WeakUnboundedSender,
    UnboundedReceiver
);
