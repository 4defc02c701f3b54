//! Sleeping, timeouts and intervals, all by the current node's clock.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::instant::Instant;
use crate::context;
use crate::node::NodeId;
use crate::world::World;

/// Waits until `duration` has elapsed on the current node's clock.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(Instant::now() + duration)
}

/// Waits until the current node's clock reads `deadline`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(deadline)
}

/// A timer future. Dropping it cancels the timer.
#[derive(Debug)]
#[must_use = "a Sleep does nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// The registered timer slot, once polled.
    slot: Option<u32>,
    /// On the real backend: tokio's timer, once polled.
    #[cfg(feature = "real")]
    real: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl Sleep {
    fn new(deadline: Instant) -> Sleep {
        Sleep {
            deadline,
            slot: None,
            #[cfg(feature = "real")]
            real: None,
        }
    }

    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed on the current node's clock.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline (the timer is re-registered at the next poll).
    pub fn reset(&mut self, deadline: Instant) {
        self.cancel();
        self.deadline = deadline;
        #[cfg(feature = "real")]
        {
            self.real = None;
        }
    }

    fn cancel(&mut self) {
        if self.slot.is_some() {
            context::try_with(|w| self.cancel_in(w));
        }
    }

    fn cancel_in(&mut self, w: &World) {
        if let Some(slot) = self.slot.take() {
            if let Ok(mut events) = w.events.try_borrow_mut() {
                events.timers.try_remove(slot as usize);
            }
        }
    }

    /// Registers the timer, or refreshes its waker if it is already registered.
    fn register(
        &mut self,
        w: &World,
        cx: &mut Context<'_>,
        fire_at: impl FnOnce() -> u64,
        node: NodeId,
    ) {
        let mut events = w.events.borrow_mut();
        if let Some(slot) = self.slot.and_then(|k| events.timers.get_mut(k as usize)) {
            if let Some(waker) = slot.waker.as_mut() {
                if !waker.will_wake(cx.waker()) {
                    *waker = cx.waker().clone();
                }
                return;
            }
        }
        if let Some(stale) = self.slot.take() {
            events.timers.try_remove(stale as usize);
        }
        let waker = cx.waker().clone();
        self.slot = Some(events.add_timer(node, self.deadline.0, fire_at(), waker));
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // A Sleep polled in a simulation is the simulation's; only outside one can it be the
        // real backend's (checked there, so the simulated path does not pay for it).
        match context::try_with(|w| this.poll_sim(w, cx)) {
            Some(polled) => polled,
            None => this.poll_real(cx),
        }
    }
}

impl Sleep {
    fn poll_sim(&mut self, w: &World, cx: &mut Context<'_>) -> Poll<()> {
        let this = self;
        {
            let node = w
                .current
                .get()
                .expect("sandtable::time::sleep must be awaited in a task of a simulated node");
            let now = w.now.get();
            let clock = &w.nodes.borrow()[node.index()].clock;
            if clock.mono(now) >= this.deadline.0 {
                this.cancel_in(w);
                Poll::Ready(())
            } else {
                let deadline = this.deadline.0;
                let fire = || w.config.timer_fire_time(clock.true_time_of(deadline, now));
                this.register(w, cx, fire, node);
                Poll::Pending
            }
        }
    }

    /// Outside a simulation: tokio's timer on the real backend, or the panic naming the call.
    #[cold]
    fn poll_real(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        #[cfg(feature = "real")]
        if let Some(real) = self.real.as_mut() {
            return real.as_mut().poll(cx);
        }
        #[cfg(feature = "real")]
        if crate::real::here() {
            let real = self
                .real
                .insert(crate::real::time::sleep_until(self.deadline));
            return real.as_mut().poll(cx);
        }
        let _ = cx;
        context::outside("sandtable::time::sleep")
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The future did not complete within its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("deadline has elapsed")]
pub struct Elapsed(());

/// Runs `future` for at most `duration` of the current node's clock.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

/// Runs `future` until `deadline` (an instant of the current node's clock) at most, as tokio's
/// `timeout_at`: a deadline already past still polls the future once.
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

/// A future with a deadline; see [`timeout`].
#[derive(Debug)]
#[must_use = "a Timeout does nothing unless awaited"]
pub struct Timeout<F> {
    future: F,
    sleep: Sleep,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is structurally pinned (never moved out); `sleep` is Unpin.
        let this = unsafe { self.get_unchecked_mut() };
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        if let Poll::Ready(v) = future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        Pin::new(&mut this.sleep)
            .poll(cx)
            .map(|()| Err(Elapsed(())))
    }
}

/// Ticks every `period` on the current node's clock; the first tick is immediate.
pub fn interval(period: Duration) -> Interval {
    assert!(!period.is_zero(), "interval period must be non-zero");
    Interval {
        next: Instant::now(),
        period,
    }
}

/// A periodic timer; see [`interval`]. A late tick delays the following ones by a full period
/// from when it fired (no bursts of catch-up ticks).
#[derive(Debug)]
pub struct Interval {
    next: Instant,
    period: Duration,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    pub async fn tick(&mut self) -> Instant {
        let at = self.next;
        sleep_until(at).await;
        let now = Instant::now();
        let next = at + self.period;
        self.next = if next < now { now + self.period } else { next };
        at
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }
}
