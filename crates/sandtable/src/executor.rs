//! The task table and the ready queue: which tasks exist, on which node, and which can run.

use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use async_task::{Builder, Runnable, Task};

use crate::node::NodeId;

/// Hints the processor to bring a task's header and the start of its future into cache.
#[inline(always)]
pub(crate) fn prefetch(runnable: &SimRunnable) {
    // The metadata lives in the task's header, inside its allocation.
    let p = runnable.metadata() as *const TaskMeta as *const i8;
    prefetch_address(p);
    prefetch_address(p.wrapping_add(64));
}

#[inline(always)]
pub(crate) fn prefetch_address(p: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint: it never faults and has no visible effect, whatever
    // the address (callers pass addresses inside live allocations anyway).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Metadata carried by every runnable: the owning node and a run-unique task id.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TaskMeta {
    pub node: NodeId,
    /// The task's key in the [`TaskTable`].
    pub slot: u32,
    pub id: u64,
}

pub(crate) type SimRunnable = Runnable<TaskMeta>;

/// Woken tasks waiting to be polled.
///
/// Wakers may be called from any thread, but in a simulation they are called from the
/// simulator's own thread: those pushes go straight into an unsynchronized queue, and only a
/// push from another thread takes the mutex (drained on the next access). Every other method is
/// only called by the `World`, which is `!Send` and so lives on the owner thread.
pub(crate) struct ReadyQueue {
    owner: usize,
    local: UnsafeCell<VecDeque<SimRunnable>>,
    /// Runnables woken from other threads; `None` once the simulation was shut down.
    remote: Mutex<Option<Vec<SimRunnable>>>,
    remote_pending: AtomicBool,
}

// SAFETY: `local` is only accessed from the owner thread (checked in `push`, and by
// construction for the other methods, which only the `!Send` `World` calls); everything else
// is `Sync` on its own. Accesses to `local` never nest: no user code runs while it is borrowed.
unsafe impl Sync for ReadyQueue {}
unsafe impl Send for ReadyQueue {}

thread_local! {
    static THREAD_MARK: u8 = const { 0 };
}

/// A number unique to the current thread among live threads: the address of a thread-local.
fn thread_mark() -> usize {
    THREAD_MARK.with(|m| m as *const u8 as usize)
}

impl Default for ReadyQueue {
    fn default() -> Self {
        ReadyQueue {
            owner: thread_mark(),
            local: UnsafeCell::default(),
            remote: Mutex::new(Some(Vec::new())),
            remote_pending: AtomicBool::new(false),
        }
    }
}

impl ReadyQueue {
    pub(crate) fn push(&self, runnable: SimRunnable) {
        if thread_mark() == self.owner {
            // SAFETY: owner thread, and no other borrow of `local` is alive (see the type docs).
            unsafe { (*self.local.get()).push_back(runnable) };
        } else {
            let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
            match remote.as_mut() {
                Some(remote) => {
                    remote.push(runnable);
                    self.remote_pending.store(true, Ordering::Release);
                }
                // The simulation is gone: its task may hold `!Send` values, so it may be
                // neither run nor dropped on this thread. Leaking it is the safe choice (the
                // tasks were all cancelled at shutdown, so this only happens in a race with it).
                None => std::mem::forget(runnable),
            }
        }
    }

    /// The owner thread's queue, with any runnables woken from other threads appended.
    #[allow(clippy::mut_from_ref)]
    fn queue(&self) -> &mut VecDeque<SimRunnable> {
        debug_assert_eq!(
            thread_mark(),
            self.owner,
            "the ready queue is used off its thread"
        );
        // SAFETY: owner thread; callers hold the reference only within one method call, during
        // which no user code runs, so no second reference to `local` exists.
        let local = unsafe { &mut *self.local.get() };
        // A plain load first: the swap is a locked instruction, and remote wakes are rare.
        if self.remote_pending.load(Ordering::Relaxed)
            && self.remote_pending.swap(false, Ordering::Acquire)
        {
            let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
            local.extend(remote.iter_mut().flat_map(|r| r.drain(..)));
        }
        local
    }

    /// Removes a runnable chosen at random among the oldest ones, in O(1).
    ///
    /// `choose(n)` picks among the `n` oldest runnables, `n` at most `window`: the chosen one
    /// changes place with the oldest, which is then taken, so the window stays made of the
    /// oldest tasks and a huge ready queue is walked from its (cache-warm) front.
    ///
    /// `entrant` is shown the runnable that enters the window with this take (to prefetch it).
    pub(crate) fn take(
        &self,
        window: usize,
        choose: impl FnOnce(usize) -> usize,
        entrant: impl FnOnce(&SimRunnable),
    ) -> Option<SimRunnable> {
        let q = self.queue();
        match q.len().min(window) {
            0 => None,
            1 => q.pop_front(),
            n => {
                // The task that enters the window with this take is polled some time from now,
                // at an unpredictable position: fetch its memory while the others run.
                if let Some(next) = q.get(window) {
                    entrant(next);
                }
                q.swap(0, choose(n));
                q.pop_front()
            }
        }
    }

    /// Removes the oldest runnable (FIFO scheduling).
    pub(crate) fn take_front(&self) -> Option<SimRunnable> {
        self.queue().pop_front()
    }

    /// Takes out every runnable that belongs to `node`, keeping the order of the rest.
    pub(crate) fn extract_node(&self, node: NodeId) -> Vec<SimRunnable> {
        let q = self.queue();
        let (mine, rest): (VecDeque<_>, VecDeque<_>) =
            q.drain(..).partition(|r| r.metadata().node == node);
        *q = rest;
        mine.into_iter().collect()
    }

    /// Takes out the runnable of task `id`, if it is queued.
    pub(crate) fn extract_task(&self, id: u64) -> Option<SimRunnable> {
        let q = self.queue();
        let i = q.iter().position(|r| r.metadata().id == id)?;
        q.remove(i)
    }

    /// Takes out everything and closes the queue to other threads (used when the simulation is
    /// dropped: a runnable woken from another thread afterwards is leaked, never run or dropped
    /// there).
    pub(crate) fn close(&self) -> Vec<SimRunnable> {
        let mut all: Vec<_> = self.queue().drain(..).collect();
        let remote = self.remote.lock().unwrap_or_else(|e| e.into_inner()).take();
        all.extend(remote.into_iter().flatten());
        all
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
    pub tasks: TaskSlab,
    pub next_id: u64,
}

/// A slab of task entries (keys are reused, lowest-freed-last, as in the `slab` crate) whose
/// entry addresses are known, so the entry of a task about to run can be prefetched.
#[derive(Default)]
pub(crate) struct TaskSlab {
    entries: Vec<Option<TaskEntry>>,
    free: Vec<usize>,
}

impl TaskSlab {
    /// The key the next `insert` returns.
    pub(crate) fn vacant_key(&self) -> usize {
        self.free.last().copied().unwrap_or(self.entries.len())
    }

    pub(crate) fn insert(&mut self, entry: TaskEntry) -> usize {
        match self.free.pop() {
            Some(key) => {
                self.entries[key] = Some(entry);
                key
            }
            None => {
                self.entries.push(Some(entry));
                self.entries.len() - 1
            }
        }
    }

    pub(crate) fn try_remove(&mut self, key: usize) -> Option<TaskEntry> {
        let entry = self.entries.get_mut(key)?.take()?;
        self.free.push(key);
        Some(entry)
    }

    /// Live entries in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &TaskEntry)> {
        let entries = self.entries.iter().enumerate();
        entries.filter_map(|(k, e)| e.as_ref().map(|e| (k, e)))
    }

    /// Hints the processor to fetch the entry at `key`.
    #[inline(always)]
    pub(crate) fn prefetch(&self, key: u32) {
        if (key as usize) < self.entries.len() {
            prefetch_address(self.entries.as_ptr().wrapping_add(key as usize) as *const i8);
        }
    }
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
    (node, spawned_at): (NodeId, &'static Location<'static>),
    propagate_panic: bool,
    future: F,
) -> (SimRunnable, Task<F::Output, TaskMeta>)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let key = table.tasks.vacant_key();
    let id = table.next_id;
    table.next_id += 1;
    let wrapped = Wrapped {
        inner: ManuallyDrop::new(future),
        key,
    };
    let queue = ready.clone();
    let builder = Builder::new()
        .propagate_panic(propagate_panic)
        .metadata(TaskMeta {
            node,
            slot: u32::try_from(key).expect("fewer than 2^32 live tasks"),
            id,
        });
    // SAFETY: `spawn_local`'s conditions, upheld by the simulator instead of checked on every
    // poll (async-task's check costs a thread-local lookup per poll and 8 bytes per task):
    // - the future is `'static`, and the schedule function is `Send + Sync + 'static`;
    // - the runnable is only run on the thread that owns the world (`ReadyQueue` hands
    //   runnables to the `!Send` world alone);
    // - it is only dropped there too: a waker called from another thread pushes into the
    //   queue's remote list, which the owner drains; at shutdown every task is cancelled on the
    //   owner thread and the queue is closed, after which a remote push leaks the runnable.
    let (runnable, task) =
        unsafe { builder.spawn_unchecked(move |_| wrapped, move |r| queue.push(r)) };
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

/// The future a task runs: the user's, in a plain struct (an `async` block would keep the
/// captured values twice, making every task's allocation larger), with the task's key in the
/// [`TaskTable`].
///
/// Its destructor removes the task's table entry, and catches a panic in the user future's
/// destructor when the task is dropped without finishing (its node crashed, or it was aborted):
/// `async-task` would abort the whole process on such a panic; here it fails the run like any
/// other panic in a task.
struct Wrapped<F> {
    inner: ManuallyDrop<F>,
    key: usize,
}

impl<F: Future> Future for Wrapped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: never moved out, dropped in place.
        unsafe { self.map_unchecked_mut(|s| &mut *s.inner) }.poll(cx)
    }
}

impl<F> Drop for Wrapped<F> {
    fn drop(&mut self) {
        // SAFETY: dropped exactly once, here, in place.
        let result = panic::catch_unwind(AssertUnwindSafe(|| unsafe {
            ManuallyDrop::drop(&mut self.inner)
        }));
        crate::context::try_with(|world| {
            let entry = world.tasks.borrow_mut().tasks.try_remove(self.key);
            if let (Err(payload), Some(entry)) = (result, entry) {
                world.record_panic(entry.node, entry.id, payload);
            }
        });
    }
}
