//! Counting futures and small helpers shared by the tests.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// Shared counters of a [`Counted`] future.
#[derive(Clone, Default)]
pub struct Counts {
    pub polls: Rc<Cell<u32>>,
    pub drops: Rc<Cell<u32>>,
}

/// Wraps a future and counts its polls and drops.
pub struct Counted<F> {
    inner: Pin<Box<F>>,
    counts: Counts,
}

pub fn counted<F: Future>(counts: &Counts, f: F) -> Counted<F> {
    Counted {
        inner: Box::pin(f),
        counts: counts.clone(),
    }
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.counts.polls.set(self.counts.polls.get() + 1);
        self.inner.as_mut().poll(cx)
    }
}

impl<F> Drop for Counted<F> {
    fn drop(&mut self) {
        self.counts.drops.set(self.counts.drops.get() + 1);
    }
}

/// A guard that records its drop in a shared flag.
pub struct DropFlag(pub Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}
