//! Spawning tasks on the current node, yielding, and joining.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_task::FallibleTask;

use crate::context;
use crate::executor::TaskMeta;

/// Spawns `future` as a new task of the current node. It dies with the node.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let at = Location::caller();
    let mut future = Some(future);
    let spawned = context::try_with(|w| {
        let node = w
            .current
            .get()
            .expect("sandtable::task::spawn must be called from a task of a simulated node; use Handle::spawn_on from outside");
        w.spawn_on(node, at, future.take().expect("taken once"))
    });
    match spawned {
        Some(handle) => handle,
        None => spawn_outside(future.take().expect("not taken outside a simulation")),
    }
}

/// Outside a simulation: a task of the real backend, or the panic naming the call.
#[cold]
#[track_caller]
fn spawn_outside<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    #[cfg(feature = "real")]
    if crate::real::here() {
        return crate::real::task::spawn(future);
    }
    drop(future);
    context::outside("sandtable::task::spawn")
}

/// Same as [`spawn`]: the simulator is single-threaded, so every task is local.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn(future)
}

/// Runs a blocking closure as a task of the current node, tokio's `spawn_blocking` shape. A
/// simulation has no threads: the closure runs on the simulator's thread when the task is
/// first polled (so what it does is ordered and seeded like everything else, and it stalls
/// virtual time's progress only for its real running time). Code that must not block a
/// runtime thread keeps its shape; tests keep determinism. On the real backend it runs the same
/// way, on the runtime's thread (the closure need not be `Send`): keep it short.
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + 'static,
    R: 'static,
{
    spawn(async move { f() })
}

/// Lets other ready tasks run before this one continues.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}

/// Why a joined task has no output.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The task was aborted, or its node crashed, before it finished.
    #[error("task was cancelled (aborted, or its node crashed)")]
    Cancelled,
    /// The task panicked (only with `SimBuilder::task_panics_to_joiner`; by default a panic
    /// fails the run).
    #[error("task panicked: {0}")]
    Panic(String),
}

impl JoinError {
    /// True when the task was cancelled (tokio's `is_cancelled`).
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// True when the task panicked (tokio's `is_panic`).
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panic(_))
    }
}

/// Awaits a task's output. Dropping the handle detaches the task (it keeps running);
/// [`JoinHandle::abort`] cancels it.
#[must_use = "dropping a JoinHandle detaches the task; call .detach() to say so"]
pub struct JoinHandle<T> {
    task: Option<FallibleTask<T, TaskMeta>>,
    /// The task's id, or [`NEVER_RAN`] (a plain `u64` keeps the handle at two words).
    id: u64,
}

/// The id of a handle whose task never ran (ids count up from 0, so this one is never used).
const NEVER_RAN: u64 = u64::MAX;

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("task", &self.id())
            .finish()
    }
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: async_task::Task<T, TaskMeta>) -> Self {
        let id = task.metadata().id;
        JoinHandle {
            task: Some(task.fallible()),
            id,
        }
    }

    /// A handle to a task that never ran (spawned on a crashed node).
    pub(crate) fn cancelled() -> Self {
        JoinHandle {
            task: None,
            id: NEVER_RAN,
        }
    }

    /// Cancels the task. Its future (and everything it owns) is dropped right away unless the
    /// task is the one calling `abort` on itself, in which case it is dropped after this poll.
    pub fn abort(&mut self) {
        // Dropping the task handle cancels it and queues its runnable so the future can be
        // dropped; take that runnable out and drop it now, so destructors run at once.
        drop(self.task.take());
        if let Some(id) = self.id() {
            let runnable = context::try_with(|w| w.ready.extract_task(id)).flatten();
            drop(runnable);
        }
    }

    /// True once the task finished or was cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Lets the task run on without anyone awaiting it.
    pub fn detach(mut self) {
        if let Some(t) = self.task.take() {
            t.detach();
        }
    }

    /// The run-unique id of the task (None if it never ran).
    pub fn id(&self) -> Option<u64> {
        (self.id != NEVER_RAN).then_some(self.id)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(task) = self.task.as_mut() else {
            return Poll::Ready(Err(JoinError::Cancelled));
        };
        // A task spawned with panics propagated re-raises its panic here: catch it.
        let polled =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Pin::new(task).poll(cx)));
        let polled = match polled {
            Ok(p) => p,
            Err(payload) => {
                self.task = None;
                return Poll::Ready(Err(JoinError::Panic(panic_message(&*payload))));
            }
        };
        match polled {
            Poll::Ready(Some(v)) => {
                self.task = None;
                Poll::Ready(Ok(v))
            }
            Poll::Ready(None) => {
                self.task = None;
                Poll::Ready(Err(JoinError::Cancelled))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic payload>".to_string())
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.detach();
        }
    }
}
