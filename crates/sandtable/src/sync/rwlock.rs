//! `RwLock`: an async reader-writer lock, FIFO-fair.

use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};

use super::semaphore::{Semaphore, TryAcquireError};

/// An async reader-writer lock, fair in FIFO order (tokio's `RwLock`).
///
/// Built as tokio builds it: a [`Semaphore`] of `max_readers` permits, a reader takes one, a
/// writer takes all of them. So requests are served strictly in arrival order: a waiting
/// writer blocks readers that come after it (no writer starvation), and readers that arrive
/// together while nobody writes share the lock. `try_read`/`try_write` fail while anyone
/// waits. A `read()`/`write()` future dropped while waiting leaves the queue without losing
/// the turn of those behind it.
///
/// ```
/// use std::sync::Arc;
/// use sandtable::prelude::*;
/// use sandtable::sync::RwLock;
///
/// let sim = Sim::new(1);
/// sim.block_on("main", async {
///     let lock = Arc::new(RwLock::new(vec![1]));
///     {
///         let a = lock.read().await;
///         let b = lock.read().await; // readers share
///         assert_eq!(a.len() + b.len(), 2);
///         assert!(lock.try_write().is_err());
///     }
///     lock.write().await.push(2);
///     assert_eq!(*lock.read().await, [1, 2]);
/// }).unwrap();
/// ```
pub struct RwLock<T: ?Sized> {
    max_readers: u32,
    sem: Semaphore,
    value: UnsafeCell<T>,
}

// SAFETY: the semaphore hands out either one `&mut T` (all permits) or shared `&T`s (one
// permit each), never both; moving the lock between threads moves the `T`.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: shared `&T`s may be used from several threads at once (`T: Sync`) and a `&mut T`
// may be used from another thread than the one that created the value (`T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => d.field("data", &&*guard),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> Self {
        RwLock::new(T::default())
    }
}

impl<T> RwLock<T> {
    /// The most readers at once unless set by [`RwLock::with_max_readers`] (tokio's limit).
    pub const MAX_READERS: u32 = u32::MAX >> 3;

    /// An unlocked lock holding `value`.
    pub fn new(value: T) -> Self {
        RwLock::with_max_readers(value, Self::MAX_READERS)
    }

    /// An unlocked lock that lets at most `max_readers` (at least 1) read at once.
    pub fn with_max_readers(value: T, max_readers: u32) -> Self {
        assert!(max_readers >= 1, "an RwLock needs at least one reader");
        assert!(
            max_readers <= Self::MAX_READERS,
            "an RwLock allows at most RwLock::MAX_READERS readers"
        );
        RwLock {
            max_readers,
            sem: Semaphore::new(max_readers as usize),
            value: UnsafeCell::new(value),
        }
    }

    /// The value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Waits (FIFO) for shared access.
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        let permit = self.sem.acquire().await;
        permit
            .expect("an RwLock's semaphore is never closed")
            .forget();
        RwLockReadGuard { lock: self }
    }

    /// Waits (FIFO) for exclusive access.
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        let permit = self.sem.acquire_many(self.max_readers).await;
        permit
            .expect("an RwLock's semaphore is never closed")
            .forget();
        RwLockWriteGuard { lock: self }
    }

    /// Shared access if nobody writes and nobody waits.
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(TryAcquireError::NoPermits) => return Err(TryLockError(())),
            Err(TryAcquireError::Closed) => unreachable!("an RwLock's semaphore is never closed"),
        }
        Ok(RwLockReadGuard { lock: self })
    }

    /// Exclusive access if nobody holds the lock and nobody waits.
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire_many(self.max_readers) {
            Ok(permit) => permit.forget(),
            Err(TryAcquireError::NoPermits) => return Err(TryLockError(())),
            Err(TryAcquireError::Closed) => unreachable!("an RwLock's semaphore is never closed"),
        }
        Ok(RwLockWriteGuard { lock: self })
    }

    /// The value, through exclusive access to the lock itself (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

/// Shared access to an [`RwLock`]'s value; released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds a reader permit, so no writer holds all of them.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.add_permits(1);
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// Exclusive access to an [`RwLock`]'s value; released when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Turns exclusive access into shared access without letting a writer in between;
    /// readers waiting behind this writer (and no one behind a waiting writer) get in.
    pub fn downgrade(self) -> RwLockReadGuard<'a, T> {
        let lock = self.lock;
        std::mem::forget(self);
        lock.sem.add_permits(lock.max_readers as usize - 1);
        RwLockReadGuard { lock }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard holds every permit, so nobody else has access.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: this guard holds every permit, so nobody else has access.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.add_permits(self.lock.max_readers as usize);
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// `try_read`/`try_write` failed: the lock is held in a conflicting way, or others wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("operation would block")]
pub struct TryLockError(());
