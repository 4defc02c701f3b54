//! The task table and the ready queue: which tasks exist, on which node, and which can run.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::sync::{Arc, Mutex};
use std::task::Waker;

use async_task::{Builder, Runnable, Task};
use slab::Slab;

use crate::node::NodeId;

/// Metadata carried by every runnable: the owning node and a run-unique task id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TaskMeta {
    pub node: NodeId,
    pub id: u64,
}

pub(crate) type SimRunnable = Runnable<TaskMeta>;

/// Woken tasks waiting to be polled. Wakers may be called from any thread, hence the mutex;
/// the simulator itself only ever touches it from its own thread, so the lock is uncontended.
#[derive(Default)]
pub(crate) struct ReadyQueue {
    queue: Mutex<VecDeque<SimRunnable>>,
}

impl ReadyQueue {
    pub(crate) fn push(&self, runnable: SimRunnable) {
        self.lock().push_back(runnable);
    }

    /// Removes the runnable at `index` (0 = oldest); swap-removes so the cost is O(1).
    pub(crate) fn take(&self, choose: impl FnOnce(usize) -> usize) -> Option<SimRunnable> {
        let mut q = self.lock();
        match q.len() {
            0 => None,
            1 => q.pop_front(),
            n => {
                let i = choose(n);
                q.swap_remove_back(i)
            }
        }
    }

    /// Removes the oldest runnable (FIFO scheduling).
    pub(crate) fn take_front(&self) -> Option<SimRunnable> {
        self.lock().pop_front()
    }

    /// Takes out every runnable that belongs to `node`, keeping the order of the rest.
    pub(crate) fn extract_node(&self, node: NodeId) -> Vec<SimRunnable> {
        let mut q = self.lock();
        let (mine, rest): (VecDeque<_>, VecDeque<_>) =
            q.drain(..).partition(|r| r.metadata().node == node);
        *q = rest;
        mine.into_iter().collect()
    }

    /// Takes out the runnable of task `id`, if it is queued.
    pub(crate) fn extract_task(&self, id: u64) -> Option<SimRunnable> {
        let mut q = self.lock();
        let i = q.iter().position(|r| r.metadata().id == id)?;
        q.remove(i)
    }

    /// Takes out everything (used when the simulation is dropped).
    pub(crate) fn drain(&self) -> Vec<SimRunnable> {
        self.lock().drain(..).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<SimRunnable>> {
        // A panic while holding this lock would be a simulator bug; the data stays consistent
        // (a plain VecDeque), so recover the guard rather than cascade the poison.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One live task: the node it belongs to, where it was spawned, and a waker to cancel it.
pub(crate) struct TaskEntry {
    pub node: NodeId,
    pub id: u64,
    pub spawned_at: &'static Location<'static>,
    pub waker: Waker,
}

/// All live tasks of a run, keyed by slab index; ids are never reused within a run.
#[derive(Default)]
pub(crate) struct TaskTable {
    pub tasks: Slab<TaskEntry>,
    pub next_id: u64,
}

impl TaskTable {
    /// Wakers of every live task of `node`, so the caller can schedule and then drop them.
    pub(crate) fn wakers_of(&self, node: NodeId) -> Vec<Waker> {
        self.tasks
            .iter()
            .filter(|(_, t)| t.node == node)
            .map(|(_, t)| t.waker.clone())
            .collect()
    }

    pub(crate) fn count_of(&self, node: NodeId) -> usize {
        self.tasks.iter().filter(|(_, t)| t.node == node).count()
    }
}

/// Creates the task: the future is wrapped so that its slab entry is removed when it is dropped
/// (completed, cancelled, or killed with its node).
pub(crate) fn create<F>(
    table: &mut TaskTable,
    ready: &Arc<ReadyQueue>,
    node: NodeId,
    spawned_at: &'static Location<'static>,
    future: F,
) -> (SimRunnable, Task<F::Output, TaskMeta>)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let key = table.tasks.vacant_key();
    let id = table.next_id;
    table.next_id += 1;
    // The guard is created outside the async block so that it is dropped even when the
    // future is dropped before its first poll.
    let guard = RemoveOnDrop(key);
    let wrapped = async move {
        let _guard = guard;
        future.await
    };
    let queue = ready.clone();
    let (runnable, task) = Builder::new()
        .metadata(TaskMeta { node, id })
        .spawn_local(move |_| wrapped, move |r| queue.push(r));
    let entry = TaskEntry {
        node,
        id,
        spawned_at,
        waker: runnable.waker(),
    };
    let inserted = table.tasks.insert(entry);
    debug_assert_eq!(inserted, key, "slab handed out the vacant key it announced");
    (runnable, task)
}

/// Removes a task's entry from the table of the current world when the task's future is dropped.
struct RemoveOnDrop(usize);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(world) = crate::context::current() {
            world.tasks.borrow_mut().tasks.try_remove(self.0);
        }
    }
}
