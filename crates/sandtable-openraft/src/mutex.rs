//! openraft's async mutex on `sandtable::sync::Mutex` (waker-based, no threads).

use std::future::Future;

use openraft_rt::{mutex, OptionalSend};

/// An async mutex.
pub struct SimMutex<T>(sandtable::sync::Mutex<T>);

impl<T: OptionalSend + 'static> mutex::Mutex<T> for SimMutex<T> {
    type Guard<'a> = sandtable::sync::MutexGuard<'a, T>;

    fn new(value: T) -> Self {
        SimMutex(sandtable::sync::Mutex::new(value))
    }

    fn lock(&self) -> impl Future<Output = Self::Guard<'_>> + OptionalSend {
        self.0.lock()
    }
}
