//! Tasks on the real backend: the same `async_task` tasks and `JoinHandle` as in a simulation,
//! run by a driver task on the runtime's tokio `LocalSet`. Wakers may fire on any thread (tokio's
//! blocking pool, another runtime): they queue the runnable and notify the driver.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, Mutex};

use async_task::{Builder, Runnable};

use crate::executor::TaskMeta;
use crate::node::NodeId;
use crate::task::JoinHandle;

/// How many tasks the driver polls before it lets tokio's reactor and timers run.
const BATCH: usize = 64;

/// Runnables of this runtime's tasks, woken and waiting for the driver.
#[derive(Default)]
pub(crate) struct Queue {
    /// None once the runtime stopped: a later wake leaks its runnable instead of dropping a
    /// `!Send` future on a foreign thread.
    runnables: Mutex<Option<VecDeque<Runnable<TaskMeta>>>>,
    notify: tokio::sync::Notify,
}

impl Queue {
    pub(crate) fn new() -> Arc<Queue> {
        Arc::new(Queue {
            runnables: Mutex::new(Some(VecDeque::new())),
            notify: tokio::sync::Notify::new(),
        })
    }

    fn push(&self, runnable: Runnable<TaskMeta>) {
        let mut guard = self.runnables.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_mut() {
            Some(queue) => {
                queue.push_back(runnable);
                drop(guard);
                self.notify.notify_one();
            }
            None => std::mem::forget(runnable),
        }
    }

    fn pop(&self) -> Option<Runnable<TaskMeta>> {
        let mut guard = self.runnables.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_mut()?.pop_front()
    }

    /// Runs woken tasks until the runtime stops (this future is dropped).
    pub(crate) async fn drive(self: Arc<Self>) {
        loop {
            let mut ran = 0;
            while let Some(runnable) = self.pop() {
                runnable.run();
                ran += 1;
                if ran == BATCH {
                    ran = 0;
                    tokio::task::yield_now().await;
                }
            }
            self.notify.notified().await;
        }
    }

    /// Stops the queue (on the runtime's thread): queued runnables are dropped here, later
    /// wakes leak theirs.
    pub(crate) fn close(&self) {
        let queued = self
            .runnables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(queued);
    }
}

/// Spawns `future` on the thread's real runtime.
#[track_caller]
pub(crate) fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let _at = Location::caller();
    let (id, queue) = super::with("sandtable::task::spawn", |s| {
        let id = s.next_task.get();
        s.next_task.set(id + 1);
        (id, s.queue.clone())
    });
    let meta = TaskMeta {
        node: NodeId(u32::MAX),
        slot: u32::MAX,
        id,
    };
    // A panic reaches the joiner as `JoinError::Panic` (tokio's behaviour); the process's panic
    // hook has printed it already.
    let (runnable, task) = Builder::new()
        .metadata(meta)
        .propagate_panic(true)
        .spawn_local(move |_| future, move |r| queue.push(r));
    runnable.schedule();
    JoinHandle::new(task)
}
