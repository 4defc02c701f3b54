//! The thread-local link between free functions (`time::sleep`, `net::UdpSocket::bind`, `spawn`)
//! and the simulation that is running on this thread.
//!
//! Two thread-locals: the owning `Rc` (for callers that need to keep the world) and a raw
//! pointer to the same world for the hot path, which only borrows it for the call.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::world::World;

thread_local! {
    static CURRENT: RefCell<Option<Rc<World>>> = const { RefCell::new(None) };
    static CURRENT_PTR: Cell<*const World> = const { Cell::new(std::ptr::null()) };
}

/// Restores the previously entered world when dropped, so simulations may nest.
pub(crate) struct EnterGuard {
    previous: Option<Rc<World>>,
}

/// Makes `world` the current simulation of this thread until the guard is dropped.
pub(crate) fn enter(world: &Rc<World>) -> EnterGuard {
    let previous = CURRENT.with(|c| c.borrow_mut().replace(world.clone()));
    CURRENT_PTR.with(|p| p.set(Rc::as_ptr(world)));
    EnterGuard { previous }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let ptr = previous.as_ref().map_or(std::ptr::null(), Rc::as_ptr);
        // The thread-locals may already be gone during thread teardown; nothing to restore then.
        let _ = CURRENT_PTR.try_with(|p| p.set(ptr));
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs `f` with the current world, panicking with a clear message outside a simulation.
#[track_caller]
#[inline]
pub(crate) fn with<R>(what: &str, f: impl FnOnce(&World) -> R) -> R {
    match try_with(f) {
        Some(r) => r,
        None => outside(what),
    }
}

/// The panic of an API called where no backend answers.
#[cold]
#[track_caller]
pub(crate) fn outside(what: &str) -> ! {
    #[cfg(feature = "real")]
    panic!(
        "sandtable: `{what}` was called outside a simulation and outside a real runtime \
         (neither a `Sim` nor a `sandtable::real::Runtime` is running on this thread)"
    );
    #[cfg(not(feature = "real"))]
    panic!(
        "sandtable: `{what}` was called outside a simulation (no `Sim` is running on this \
         thread; the `real` feature runs the same code on a real network)"
    );
}

/// Runs `f` with the current world, or returns None outside a simulation.
#[inline]
pub(crate) fn try_with<R>(f: impl FnOnce(&World) -> R) -> Option<R> {
    let ptr = CURRENT_PTR.try_with(Cell::get).ok()?;
    // SAFETY: a non-null pointer was set by `enter` from an `Rc` that `CURRENT` keeps alive
    // until the matching guard restores the previous pointer; guards are dropped in LIFO order
    // on this thread, so the world outlives every use of the pointer here.
    (!ptr.is_null()).then(|| f(unsafe { &*ptr }))
}

/// The current world, if a simulation is running on this thread.
pub(crate) fn current() -> Option<Rc<World>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// True when called from inside a simulation on this thread.
pub(crate) fn in_simulation() -> bool {
    CURRENT_PTR
        .try_with(|p| !p.get().is_null())
        .unwrap_or(false)
}
