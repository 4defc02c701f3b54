//! The thread-local link between free functions (`time::sleep`, `net::UdpSocket::bind`, `spawn`)
//! and the simulation that is running on this thread.

use std::cell::RefCell;
use std::rc::Rc;

use crate::world::World;

thread_local! {
    static CURRENT: RefCell<Option<Rc<World>>> = const { RefCell::new(None) };
}

/// Restores the previously entered world when dropped, so simulations may nest.
pub(crate) struct EnterGuard {
    previous: Option<Rc<World>>,
}

/// Makes `world` the current simulation of this thread until the guard is dropped.
pub(crate) fn enter(world: &Rc<World>) -> EnterGuard {
    let previous = CURRENT.with(|c| c.borrow_mut().replace(world.clone()));
    EnterGuard { previous }
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // The thread-local may already be gone during thread teardown; nothing to restore then.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs `f` with the current world, panicking with a clear message outside a simulation.
#[track_caller]
pub(crate) fn with<R>(what: &str, f: impl FnOnce(&Rc<World>) -> R) -> R {
    let world = current().unwrap_or_else(|| {
        panic!("sandtable: `{what}` was called outside a simulation (no `Sim` is running on this thread)")
    });
    f(&world)
}

/// The current world, if a simulation is running on this thread.
pub(crate) fn current() -> Option<Rc<World>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// True when called from inside a simulation on this thread.
pub(crate) fn in_simulation() -> bool {
    CURRENT.try_with(|c| c.borrow().is_some()).unwrap_or(false)
}
