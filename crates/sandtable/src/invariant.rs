//! Cluster-wide invariants: properties of the whole system that must hold after every step.
//!
//! A test registers a check with [`Handle::invariant`](crate::Handle::invariant); the world runs
//! every check after each task poll and each scheduled action (a crash, a partition), so a
//! violation fails the run at the step that caused it — with the seed, the virtual time and the
//! node whose task had just run — rather than at the end. Checks should be cheap: a common shape
//! is a probe in the protocol code that records events into shared state, and an invariant that
//! examines only what changed since it last ran.

use std::cell::{Cell, RefCell};

type Check = Box<dyn FnMut() -> Result<(), String>>;

/// The registered checks of one simulation.
#[derive(Default)]
pub(crate) struct Invariants {
    checks: RefCell<Vec<(String, Check)>>,
    count: Cell<usize>,
}

impl Invariants {
    /// True when any check is registered (the loop's only cost otherwise).
    #[inline]
    pub(crate) fn any(&self) -> bool {
        self.count.get() > 0
    }

    pub(crate) fn add(&self, name: String, check: Check) {
        self.checks.borrow_mut().push((name, check));
        self.count.set(self.count.get() + 1);
    }

    /// Removes every check (at shutdown: a check may hold a `Handle`).
    pub(crate) fn take(&self) -> Vec<(String, Check)> {
        self.count.set(0);
        std::mem::take(&mut *self.checks.borrow_mut())
    }

    /// Runs every check in registration order; the first failure is returned as
    /// (name, message). No borrow is held while a check runs, so a check may register another.
    pub(crate) fn check_all(&self) -> Result<(), (String, String)> {
        let mut checks = std::mem::take(&mut *self.checks.borrow_mut());
        let mut result = Ok(());
        for (name, check) in checks.iter_mut() {
            if let Err(message) = check() {
                result = Err((name.clone(), message));
                break;
            }
        }
        let mut slot = self.checks.borrow_mut();
        let added = std::mem::take(&mut *slot);
        checks.extend(added);
        *slot = checks;
        result
    }
}

/// When each participant of a run (a client, a node) last made progress, for liveness checks:
/// participants call [`Progress::made`] when they complete something, and
/// [`Handle::require_progress`](crate::Handle::require_progress) fails the run when one of
/// them makes none within a bound after a given instant (typically the final heal).
#[derive(Clone, Default)]
pub struct Progress(
    std::rc::Rc<RefCell<std::collections::BTreeMap<String, Option<std::time::Duration>>>>,
);

impl Progress {
    /// An empty tracker.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Adds a participant that is expected to make progress (before it has made any).
    pub fn expect(&self, name: impl Into<String>) {
        self.0.borrow_mut().entry(name.into()).or_insert(None);
    }

    /// Records that `name` made progress now (true virtual time); outside a simulation it
    /// does nothing.
    pub fn made(&self, name: &str) {
        let Some(h) = crate::Handle::try_current() else {
            return;
        };
        let now = h.elapsed();
        let mut map = self.0.borrow_mut();
        match map.get_mut(name) {
            Some(t) => *t = Some(now),
            None => {
                map.insert(name.to_string(), Some(now));
            }
        }
    }

    /// When `name` last made progress.
    pub fn last(&self, name: &str) -> Option<std::time::Duration> {
        self.0.borrow().get(name).copied().flatten()
    }

    /// The participants that made no progress at or after `since`, with their last progress.
    pub fn stalled_since(
        &self,
        since: std::time::Duration,
    ) -> Vec<(String, Option<std::time::Duration>)> {
        self.0
            .borrow()
            .iter()
            .filter(|(_, t)| t.is_none_or(|t| t < since))
            .map(|(n, t)| (n.clone(), *t))
            .collect()
    }
}
