//! `Semaphore`: a FIFO-fair counting semaphore.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::wait_queue::{lock, WaitQueue, Wakers};

/// A counting semaphore with FIFO fairness (tokio's `Semaphore`).
///
/// Waiters are served strictly in arrival order: a waiter asking for more permits than are
/// available blocks every later waiter, even ones asking for fewer, and `try_acquire` fails
/// while anyone waits. Released permits go to the oldest waiters first.
///
/// A waiting `acquire` future that is dropped leaves the queue (letting the next waiter in if
/// it was blocking it); one that was granted its permits but dropped before completing gives
/// them back. [`close`](Semaphore::close) fails every waiting and future `acquire`.
///
/// ```
/// use std::sync::Arc;
/// use sandtable::prelude::*;
/// use sandtable::sync::Semaphore;
///
/// let sim = Sim::new(1);
/// let most = sim.block_on("main", async {
///     let sem = Arc::new(Semaphore::new(2));
///     let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
///     let mut tasks = Vec::new();
///     for _ in 0..5 {
///         let (sem, inside) = (sem.clone(), inside.clone());
///         tasks.push(spawn(async move {
///             let _permit = sem.acquire().await.unwrap();
///             let now = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
///             sleep(std::time::Duration::from_millis(10)).await;
///             inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
///             now
///         }));
///     }
///     let mut most = 0;
///     for t in tasks {
///         most = most.max(t.await.unwrap());
///     }
///     most
/// }).unwrap();
/// assert_eq!(most, 2);
/// ```
pub struct Semaphore {
    state: Mutex<State>,
}

struct State {
    /// Permits nobody holds and no waiter was granted.
    available: usize,
    closed: bool,
    /// Waiters and how many permits each needs, oldest first.
    waiting: WaitQueue<usize>,
    /// Waiters that were given their permits but have not completed yet.
    granted: BTreeSet<u64>,
}

impl State {
    /// Returns `n` permits and hands them to the oldest waiters that now fit.
    fn release(&mut self, n: usize) -> Wakers {
        self.available = self
            .available
            .checked_add(n)
            .filter(|&a| a <= Semaphore::MAX_PERMITS)
            .expect("a semaphore holds at most Semaphore::MAX_PERMITS permits");
        self.grant()
    }

    /// Grants permits to waiters in order while the oldest one fits.
    fn grant(&mut self) -> Wakers {
        let mut wakers = Wakers::default();
        while let Some((_, &need)) = self.waiting.first() {
            if need > self.available {
                break;
            }
            self.available -= need;
            let (id, waker) = self.waiting.pop_first().expect("the first waiter exists");
            self.granted.insert(id);
            wakers.push(waker);
        }
        wakers
    }

    fn try_take(&mut self, n: usize) -> Result<(), TryAcquireError> {
        if self.closed {
            Err(TryAcquireError::Closed)
        } else if self.waiting.is_empty() && self.available >= n {
            self.available -= n;
            Ok(())
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }
}

impl std::fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Semaphore")
            .field("available", &st.available)
            .field("waiting", &st.waiting)
            .field("closed", &st.closed)
            .finish()
    }
}

impl Semaphore {
    /// The most permits a semaphore can hold (as in tokio, leaving headroom for counting).
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// A semaphore with `permits` permits. Panics above [`Semaphore::MAX_PERMITS`].
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Semaphore::MAX_PERMITS,
            "a semaphore holds at most Semaphore::MAX_PERMITS permits"
        );
        Semaphore {
            state: Mutex::new(State {
                available: permits,
                closed: false,
                waiting: WaitQueue::default(),
                granted: BTreeSet::new(),
            }),
        }
    }

    /// Permits that could be taken right now: 0 while anyone waits (whatever is free is
    /// reserved for the oldest waiter, as in tokio).
    pub fn available_permits(&self) -> usize {
        let st = lock(&self.state);
        if st.waiting.is_empty() {
            st.available
        } else {
            0
        }
    }

    /// Adds `n` permits, waking the waiters they satisfy (oldest first). Panics if the total
    /// would exceed [`Semaphore::MAX_PERMITS`].
    pub fn add_permits(&self, n: usize) {
        let wakers = lock(&self.state).release(n);
        wakers.wake();
    }

    /// Closes the semaphore: every waiting and later `acquire` fails with [`AcquireError`],
    /// every `try_acquire` with [`TryAcquireError::Closed`]. Permits already held stay valid.
    pub fn close(&self) {
        let woken = {
            let mut st = lock(&self.state);
            st.closed = true;
            st.waiting.take_all()
        };
        woken.wake();
    }

    /// True once [`close`](Semaphore::close) was called.
    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Waits for one permit, in FIFO order.
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits at once, in FIFO order.
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        let permits = n as usize;
        Acquire::new(self, permits).await?;
        Ok(SemaphorePermit { sem: self, permits })
    }

    /// Takes one permit if one is free and nobody waits.
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody waits.
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        let permits = n as usize;
        lock(&self.state).try_take(permits)?;
        Ok(SemaphorePermit { sem: self, permits })
    }

    /// [`acquire`](Semaphore::acquire) for a shared semaphore: the permit owns an `Arc`.
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Semaphore::acquire_many) for a shared semaphore.
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        let permits = n as usize;
        Acquire::new(&self, permits).await?;
        Ok(OwnedSemaphorePermit { sem: self, permits })
    }

    /// [`try_acquire`](Semaphore::try_acquire) for a shared semaphore.
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Semaphore::try_acquire_many) for a shared semaphore.
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        let permits = n as usize;
        lock(&self.state).try_take(permits)?;
        Ok(OwnedSemaphorePermit { sem: self, permits })
    }

    fn poll_acquire(
        &self,
        id: &mut Option<u64>,
        need: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), AcquireError>> {
        let mut st = lock(&self.state);
        let result = match *id {
            Some(i) if st.granted.remove(&i) => Ok(()),
            Some(i) if st.waiting.set_waker(i, cx.waker()) => return Poll::Pending,
            // Neither granted nor queued: `close` took it out of the queue.
            Some(_) => Err(AcquireError(())),
            None => match st.try_take(need) {
                Ok(()) => Ok(()),
                Err(TryAcquireError::Closed) => Err(AcquireError(())),
                Err(TryAcquireError::NoPermits) => {
                    *id = Some(st.waiting.push(need, Some(cx.waker())));
                    return Poll::Pending;
                }
            },
        };
        *id = None;
        Poll::Ready(result)
    }

    /// A waiting acquire was dropped: leave the queue, or give back permits it was granted.
    fn cancel_acquire(&self, id: u64, need: usize) {
        let wakers = {
            let mut st = lock(&self.state);
            if st.waiting.remove(id).is_some() {
                // It may have been the oldest waiter, blocking others that fit.
                st.grant()
            } else if st.granted.remove(&id) {
                st.release(need)
            } else {
                return;
            }
        };
        wakers.wake();
    }

    fn release(&self, n: usize) {
        if n > 0 {
            self.add_permits(n);
        }
    }
}

/// Waits in the semaphore's queue; deregisters (or returns granted permits) when dropped.
struct Acquire<'a> {
    sem: &'a Semaphore,
    need: usize,
    id: Option<u64>,
}

impl<'a> Acquire<'a> {
    fn new(sem: &'a Semaphore, need: usize) -> Self {
        Acquire {
            sem,
            need,
            id: None,
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.sem.poll_acquire(&mut this.id, this.need, cx)
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.sem.cancel_acquire(id, self.need);
        }
    }
}

/// Permits borrowed from a [`Semaphore`], given back when dropped.
#[must_use = "the permits are released as soon as the permit is dropped"]
#[derive(Debug)]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// Keeps the permits out of the semaphore for good (they are not given back).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

/// Permits of a shared (`Arc`) [`Semaphore`], given back when dropped; `'static`, so it can
/// move into a spawned task.
#[must_use = "the permits are released as soon as the permit is dropped"]
#[derive(Debug)]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good (they are not given back).
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// How many permits this holds.
    pub fn num_permits(&self) -> usize {
        self.permits
    }

    /// The semaphore the permits came from.
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.release(self.permits);
    }
}

/// `acquire` failed: the semaphore is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("semaphore closed")]
pub struct AcquireError(());

/// Why `try_acquire` failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TryAcquireError {
    /// The semaphore is closed.
    #[error("semaphore closed")]
    Closed,
    /// Not enough permits are free, or others wait first.
    #[error("no permits available")]
    NoPermits,
}
