//! `Notify`: wake one waiting task, or all of them, without sending data.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use super::wait_queue::{lock, WaitQueue};

/// Notifies one task, or all waiting tasks, of an event (tokio's `Notify`).
///
/// Semantics, exactly:
/// - [`notify_one`](Notify::notify_one) wakes the oldest registered [`Notified`] future; if
///   none is registered it stores **one** permit (several calls still store one), which the
///   next `notified().await` consumes at once.
/// - [`notify_waiters`](Notify::notify_waiters) completes every `Notified` future *created*
///   before the call (polled or not) and stores no permit.
/// - A future registers when first polled (or by [`Notified::enable`]); waiters are woken in
///   registration order.
/// - A `Notified` that `notify_one` chose but that is dropped before it completes passes the
///   notification on to the next waiter (or back to the permit), so none is lost.
/// - On its first poll a future completes if `notify_waiters` ran since its creation, else
///   by consuming a stored permit, else it waits. (The first check comes first so a future
///   released by `notify_waiters` leaves the permit for someone else.)
///
/// ```
/// use std::sync::Arc;
/// use sandtable::prelude::*;
/// use sandtable::sync::Notify;
///
/// let sim = Sim::new(1);
/// sim.block_on("main", async {
///     let notify = Arc::new(Notify::new());
///     let n = notify.clone();
///     let waiter = spawn(async move { n.notified().await; "woken" });
///     notify.notify_one(); // a permit if the waiter has not registered yet
///     assert_eq!(waiter.await.unwrap(), "woken");
/// }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct Notify {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// One stored `notify_one` for the next future to come.
    permit: bool,
    /// Calls of `notify_waiters` so far: a future created at an older value is released.
    generation: u64,
    waiting: WaitQueue,
    /// Waiters `notify_one` chose, taken out of `waiting`, not yet completed.
    chosen: BTreeSet<u64>,
}

impl State {
    /// Gives one notification to the oldest waiter, or stores it as the permit.
    fn notify_one(&mut self) -> Option<Waker> {
        match self.waiting.pop_first() {
            Some((id, waker)) => {
                self.chosen.insert(id);
                waker
            }
            None => {
                self.permit = true;
                None
            }
        }
    }
}

impl Notify {
    /// A `Notify` with no permit and no waiter.
    pub fn new() -> Notify {
        Notify::default()
    }

    /// A future that completes when notified; see the type's documentation for when.
    pub fn notified(&self) -> Notified<'_> {
        let generation = lock(&self.state).generation;
        Notified {
            notify: self,
            generation,
            id: None,
            done: false,
        }
    }

    /// Wakes the oldest waiter, or stores a permit if nobody waits.
    pub fn notify_one(&self) {
        let waker = lock(&self.state).notify_one();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Completes every `Notified` future created before this call. Stores no permit.
    pub fn notify_waiters(&self) {
        let woken = {
            let mut st = lock(&self.state);
            st.generation += 1;
            st.waiting.take_all()
        };
        woken.wake();
    }
}

/// The future of [`Notify::notified`]. Dropping it deregisters it, passing on a notification
/// it was given but did not consume.
#[derive(Debug)]
#[must_use = "a Notified does nothing unless awaited"]
pub struct Notified<'a> {
    notify: &'a Notify,
    generation: u64,
    id: Option<u64>,
    done: bool,
}

impl Notified<'_> {
    /// Registers this future as a waiter without polling it, so a later `notify_one` can pick
    /// it. Returns true if it is already notified (the next poll completes).
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().poll_with(None).is_ready()
    }

    fn poll_with(&mut self, waker: Option<&Waker>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let mut st = lock(&self.notify.state);
        let released = st.generation != self.generation;
        let ready = match self.id {
            Some(id) if st.chosen.remove(&id) => true,
            Some(id) if released => {
                st.waiting.remove(id);
                true
            }
            Some(id) => {
                if let Some(w) = waker {
                    st.waiting.set_waker(id, w);
                }
                false
            }
            None if released => true,
            None if st.permit => {
                st.permit = false;
                true
            }
            None => {
                self.id = Some(st.waiting.push((), waker));
                false
            }
        };
        if ready {
            self.id = None;
            self.done = true;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.get_mut().poll_with(Some(cx.waker()))
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let waker = {
            let mut st = lock(&self.notify.state);
            if st.waiting.remove(id).is_some() || !st.chosen.remove(&id) {
                return;
            }
            st.notify_one()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}
