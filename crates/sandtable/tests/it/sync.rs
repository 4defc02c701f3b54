//! `sandtable::sync`: watch, Notify, RwLock and Semaphore — semantics, error cases,
//! cancellation, fairness and determinism under the random scheduler.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use sandtable::prelude::*;
use sandtable::sync::{watch, Notify, RwLock, Semaphore, TryAcquireError};
use sandtable::time::timeout;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `f` as a client of a fresh simulation (random scheduler, seed 1).
fn run<F: Future + 'static>(f: F) -> F::Output {
    Sim::new(1).block_on("main", f).unwrap()
}

/// Runs `f` with the FIFO scheduler, so tasks run in the order they were woken.
fn run_fifo<F: Future + 'static>(f: F) -> F::Output {
    Sim::builder()
        .seed(1)
        .fifo()
        .build()
        .block_on("main", f)
        .unwrap()
}

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::default()
}

fn push(log: &Log, event: impl Into<String>) {
    log.borrow_mut().push(event.into());
}

fn taken(log: &Log) -> Vec<String> {
    std::mem::take(&mut *log.borrow_mut())
}

/// A waker that counts its wake-ups, for polling futures by hand.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CountingWaker {
    fn new() -> (Arc<CountingWaker>, Waker) {
        let count = Arc::new(CountingWaker::default());
        (count.clone(), Waker::from(count))
    }

    fn wakes(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

fn poll<F: Future>(f: &mut Pin<Box<F>>, waker: &Waker) -> Poll<F::Output> {
    f.as_mut().poll(&mut Context::from_waker(waker))
}

// ---------------------------------------------------------------------------------------------
// Send + Sync
// ---------------------------------------------------------------------------------------------

fn assert_send_sync<T: Send + Sync>() {}
fn assert_send<T: Send>(_: &T) {}

#[test]
fn primitives_and_their_futures_are_send_and_sync() {
    assert_send_sync::<watch::Sender<u64>>();
    assert_send_sync::<watch::Receiver<u64>>();
    assert_send_sync::<Notify>();
    assert_send_sync::<RwLock<u64>>();
    assert_send_sync::<Semaphore>();
    assert_send_sync::<sandtable::sync::RwLockReadGuard<'static, u64>>();
    assert_send_sync::<sandtable::sync::RwLockWriteGuard<'static, u64>>();
    assert_send_sync::<sandtable::sync::SemaphorePermit<'static>>();
    assert_send_sync::<sandtable::sync::OwnedSemaphorePermit>();
    assert_send_sync::<sandtable::sync::Notified<'static>>();

    let (tx, mut rx) = watch::channel(0u64);
    assert_send(&tx.closed());
    assert_send(&rx.changed());
    assert_send(&rx.wait_for(|v| *v > 0));
    let notify = Notify::new();
    assert_send(&notify.notified());
    let lock = RwLock::new(0u64);
    assert_send(&lock.read());
    assert_send(&lock.write());
    let sem = Arc::new(Semaphore::new(1));
    assert_send(&sem.acquire());
    assert_send(&sem.clone().acquire_owned());
}

#[test]
fn they_work_outside_simulation_across_threads() {
    let (tx, mut rx) = watch::channel(0u64);
    let sem = Arc::new(Semaphore::new(0));
    let s = sem.clone();
    let sender = std::thread::spawn(move || {
        for v in 1..=100 {
            tx.send(v).unwrap();
        }
        s.add_permits(1);
    });
    futures::executor::block_on(async {
        assert_eq!(*rx.wait_for(|v| *v == 100).await.unwrap(), 100);
        sem.acquire().await.unwrap().forget();
    });
    sender.join().unwrap();
}

// ---------------------------------------------------------------------------------------------
// watch
// ---------------------------------------------------------------------------------------------

#[test]
fn watch_changed_skips_overwritten_values() {
    run(async {
        let (tx, mut rx) = watch::channel("a");
        assert!(
            !rx.has_changed().unwrap(),
            "a receiver has seen the initial value"
        );
        tx.send("b").unwrap();
        tx.send("c").unwrap();
        tx.send("d").unwrap();
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), "d");
        assert!(!rx.has_changed().unwrap(), "changed marks the value seen");
        let again = timeout(ms(10), rx.changed()).await;
        assert!(
            again.is_err(),
            "only the latest value is kept: nothing more to see"
        );
    });
}

#[test]
fn watch_borrow_does_not_mark_seen_and_borrow_and_update_does() {
    run(async {
        let (tx, mut rx) = watch::channel(1);
        tx.send(2).unwrap();
        {
            let r = rx.borrow();
            assert_eq!((*r, r.has_changed()), (2, true));
        }
        assert!(rx.has_changed().unwrap());
        {
            let r = rx.borrow_and_update();
            assert_eq!((*r, r.has_changed()), (2, true));
        }
        assert!(!rx.has_changed().unwrap());
        assert!(!rx.borrow_and_update().has_changed());
        let r = tx.borrow();
        assert_eq!((*r, r.has_changed()), (2, false));
    });
}

#[test]
fn watch_send_fails_once_every_receiver_is_dropped() {
    run(async {
        let (tx, rx) = watch::channel(0);
        let rx2 = rx.clone();
        assert_eq!(tx.receiver_count(), 2);
        drop(rx);
        tx.send(1).unwrap();
        drop(rx2);
        assert!(tx.is_closed());
        assert_eq!(tx.receiver_count(), 0);
        let err = tx.send(2).unwrap_err();
        assert_eq!(err.0, 2, "the value is given back");
        assert_eq!(err.to_string(), "channel closed");
        assert_eq!(*tx.borrow(), 1, "a failed send leaves the value");
        assert_eq!(
            tx.send_replace(3),
            1,
            "send_replace works without receivers"
        );
        tx.send_modify(|v| *v += 1);
        assert_eq!(*tx.borrow(), 4);
        let rx = tx.subscribe();
        assert!(!tx.is_closed());
        assert_eq!(*rx.borrow(), 4);
        assert!(
            !rx.has_changed().unwrap(),
            "a subscriber has seen the current value"
        );
        tx.send(5).unwrap();
        assert!(rx.has_changed().unwrap());
    });
}

#[test]
fn watch_changed_returns_the_last_unseen_value_then_errs_once_senders_are_gone() {
    run(async {
        let (tx, mut rx) = watch::channel(0);
        let tx2 = tx.clone();
        assert_eq!(tx.sender_count(), 2);
        tx.send(7).unwrap();
        drop(tx);
        drop(tx2);
        assert!(
            rx.has_changed().is_err(),
            "has_changed errs once closed, as in tokio"
        );
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), 7);
        assert_eq!(
            rx.changed().await.unwrap_err().to_string(),
            "channel closed"
        );
    });
}

#[test]
fn watch_a_waiting_receiver_wakes_when_the_sender_is_dropped() {
    run(async {
        let (tx, mut rx) = watch::channel(0);
        let waiter = spawn(async move { rx.changed().await });
        sleep(ms(5)).await;
        drop(tx);
        assert!(waiter.await.unwrap().is_err());
    });
}

#[test]
fn watch_clones_share_the_seen_version() {
    run(async {
        let (tx, mut rx) = watch::channel(0);
        tx.send(1).unwrap();
        let mut unseen = rx.clone();
        rx.borrow_and_update();
        let mut seen = rx.clone();
        assert!(unseen.has_changed().unwrap());
        assert!(!seen.has_changed().unwrap());
        unseen.changed().await.unwrap();
        assert!(timeout(ms(5), seen.changed()).await.is_err());
        assert!(rx.same_channel(&seen));
        assert!(!rx.same_channel(&watch::channel(0).1));
    });
}

#[test]
fn watch_mark_changed_and_mark_unchanged() {
    run(async {
        let (tx, mut rx) = watch::channel(0);
        rx.mark_changed();
        assert!(rx.has_changed().unwrap());
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), 0);
        tx.send(1).unwrap();
        rx.mark_unchanged();
        assert!(!rx.has_changed().unwrap());
        assert!(timeout(ms(5), rx.changed()).await.is_err());
    });
}

#[test]
fn watch_send_if_modified_notifies_only_when_modified() {
    run(async {
        let (tx, mut rx) = watch::channel(10);
        assert!(!tx.send_if_modified(|v| {
            *v += 0;
            false
        }));
        assert!(timeout(ms(5), rx.changed()).await.is_err());
        assert!(tx.send_if_modified(|v| {
            *v += 1;
            true
        }));
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), 11);
        tx.send_modify(|v| *v *= 2);
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow_and_update(), 22);
    });
}

#[test]
fn watch_wait_for_checks_the_current_value_then_new_ones() {
    run(async {
        let (tx, mut rx) = watch::channel(3);
        assert_eq!(*rx.wait_for(|v| *v == 3).await.unwrap(), 3);
        let tx = Arc::new(tx);
        let t = tx.clone();
        spawn(async move {
            for v in 4..=9 {
                sleep(ms(1)).await;
                t.send(v).unwrap();
            }
        })
        .detach();
        {
            let r = rx.wait_for(|v| *v >= 6).await.unwrap();
            assert_eq!((*r, r.has_changed()), (6, true));
        }
        assert!(!rx.has_changed().unwrap(), "wait_for marks its value seen");
        sleep(ms(10)).await;
        drop(tx);
        // The senders are gone, but 9 is unseen: it is still checked.
        assert_eq!(*rx.wait_for(|v| *v == 9).await.unwrap(), 9);
        assert!(rx.wait_for(|v| *v == 100).await.is_err());
    });
}

#[test]
fn watch_closed_completes_when_the_last_receiver_is_dropped() {
    let when = run(async {
        let (tx, rx) = watch::channel(());
        let rx2 = rx.clone();
        spawn(async move {
            sleep(ms(3)).await;
            drop(rx);
            sleep(ms(4)).await;
            drop(rx2);
        })
        .detach();
        let start = Instant::now();
        tx.closed().await;
        assert!(tx.is_closed());
        tx.closed().await; // completes at once when already closed
        start.elapsed()
    });
    assert_eq!(when, ms(7));
}

#[test]
fn watch_receivers_are_woken_in_registration_order() {
    let order = run_fifo(async {
        let (tx, rx) = watch::channel(0);
        let log = log();
        let mut tasks = Vec::new();
        for name in ["a", "b", "c", "d"] {
            let (mut rx, log) = (rx.clone(), log.clone());
            tasks.push(spawn(async move {
                rx.changed().await.unwrap();
                push(&log, name);
            }));
            sleep(ms(1)).await; // registers before the next one
        }
        tx.send(1).unwrap();
        for t in tasks {
            t.await.unwrap();
        }
        taken(&log)
    });
    assert_eq!(order, ["a", "b", "c", "d"]);
}

#[test]
fn watch_dropped_futures_deregister_their_wakers() {
    let (tx, mut rx) = watch::channel(0);
    let (count, waker) = CountingWaker::new();
    let mut changed = Box::pin(rx.changed());
    assert!(poll(&mut changed, &waker).is_pending());
    drop(changed);
    let mut closed = Box::pin(tx.closed());
    assert!(poll(&mut closed, &waker).is_pending());
    drop(closed);
    tx.send(1).unwrap();
    drop(rx);
    drop(tx);
    assert_eq!(count.wakes(), 0, "nobody was left registered to wake");
}

#[test]
fn watch_changed_cancelled_by_a_timeout_loses_nothing() {
    run(async {
        let (tx, mut rx) = watch::channel(0);
        assert!(timeout(ms(5), rx.changed()).await.is_err());
        tx.send(1).unwrap();
        rx.changed().await.unwrap();
        assert_eq!(*rx.borrow(), 1);
    });
}

// ---------------------------------------------------------------------------------------------
// Notify
// ---------------------------------------------------------------------------------------------

#[test]
fn notify_one_without_waiters_stores_a_single_permit() {
    run(async {
        let notify = Notify::new();
        notify.notify_one();
        notify.notify_one();
        notify.notified().await; // the permit, at once
        assert!(
            timeout(ms(5), notify.notified()).await.is_err(),
            "two calls stored one permit"
        );
    });
}

#[test]
fn notify_one_wakes_one_waiter_in_fifo_order() {
    let order = run(async {
        let notify = Arc::new(Notify::new());
        let log = log();
        for name in ["a", "b", "c"] {
            let (n, log) = (notify.clone(), log.clone());
            spawn(async move {
                n.notified().await;
                push(&log, name);
            })
            .detach();
            sleep(ms(1)).await;
        }
        for _ in 0..3 {
            notify.notify_one();
            sleep(ms(1)).await;
            push(&log, "|");
        }
        taken(&log)
    });
    assert_eq!(order, ["a", "|", "b", "|", "c", "|"]);
}

#[test]
fn notify_waiters_wakes_every_waiter_in_order_and_stores_no_permit() {
    let order = run_fifo(async {
        let notify = Arc::new(Notify::new());
        let log = log();
        let mut tasks = Vec::new();
        for name in ["a", "b", "c"] {
            let (n, log) = (notify.clone(), log.clone());
            tasks.push(spawn(async move {
                n.notified().await;
                push(&log, name);
            }));
            sleep(ms(1)).await;
        }
        notify.notify_waiters();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(
            timeout(ms(5), notify.notified()).await.is_err(),
            "notify_waiters stores no permit"
        );
        taken(&log)
    });
    assert_eq!(order, ["a", "b", "c"]);
}

#[test]
fn notify_waiters_releases_futures_created_before_it_even_if_not_polled() {
    run(async {
        let notify = Notify::new();
        let before = notify.notified();
        notify.notify_waiters();
        let after = notify.notified();
        before.await;
        assert!(timeout(ms(5), after).await.is_err());
    });
}

#[test]
fn notify_waiters_does_not_consume_a_stored_permit() {
    run(async {
        let notify = Notify::new();
        let before = notify.notified();
        notify.notify_one(); // no waiter registered: a permit
        notify.notify_waiters();
        before.await; // released by notify_waiters
        notify.notified().await; // the permit is still there
    });
}

#[test]
fn notify_enable_registers_without_polling() {
    let notify = Notify::new();
    let mut first = Box::pin(notify.notified());
    let mut second = Box::pin(notify.notified());
    assert!(!second.as_mut().enable());
    assert!(!first.as_mut().enable());
    notify.notify_one(); // goes to `second`, registered first
    let (_, waker) = CountingWaker::new();
    assert!(poll(&mut first, &waker).is_pending());
    assert!(second.as_mut().enable(), "already notified");
    assert!(poll(&mut second, &waker).is_ready());
}

#[test]
fn notify_a_chosen_waiter_that_is_dropped_passes_the_notification_on() {
    let order = run(async {
        let notify = Arc::new(Notify::new());
        let log = log();
        let mut tasks = Vec::new();
        for name in ["a", "b"] {
            let (n, log) = (notify.clone(), log.clone());
            tasks.push(spawn(async move {
                n.notified().await;
                push(&log, name);
            }));
            sleep(ms(1)).await;
        }
        notify.notify_one(); // chooses "a"...
        tasks[0].abort(); // ...which is dropped before it runs
        sleep(ms(1)).await;
        taken(&log)
    });
    assert_eq!(order, ["b"]);
}

#[test]
fn notify_a_dropped_chosen_waiter_with_nobody_behind_stores_the_permit() {
    let notify = Notify::new();
    let (count, waker) = CountingWaker::new();
    let mut chosen = Box::pin(notify.notified());
    assert!(poll(&mut chosen, &waker).is_pending());
    notify.notify_one();
    assert_eq!(count.wakes(), 1);
    drop(chosen);
    let mut next = Box::pin(notify.notified());
    assert!(poll(&mut next, &waker).is_ready(), "the permit was kept");
}

#[test]
fn notify_a_dropped_waiting_future_deregisters() {
    run(async {
        let notify = Notify::new();
        assert!(timeout(ms(5), notify.notified()).await.is_err());
        notify.notify_one(); // nobody waits any more: stored as a permit, not lost
        notify.notified().await;
    });
    let notify = Notify::new();
    let (count, waker) = CountingWaker::new();
    let mut waiting = Box::pin(notify.notified());
    assert!(poll(&mut waiting, &waker).is_pending());
    drop(waiting);
    notify.notify_one();
    notify.notify_waiters();
    assert_eq!(count.wakes(), 0);
}

// ---------------------------------------------------------------------------------------------
// Semaphore
// ---------------------------------------------------------------------------------------------

#[test]
fn semaphore_counts_permits() {
    let sem = Semaphore::new(3);
    assert_eq!(sem.available_permits(), 3);
    let one = sem.try_acquire().unwrap();
    let two = sem.try_acquire_many(2).unwrap();
    assert_eq!((one.num_permits(), two.num_permits()), (1, 2));
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    drop(two);
    assert_eq!(sem.available_permits(), 2);
    one.forget();
    assert_eq!(
        sem.available_permits(),
        2,
        "a forgotten permit is not given back"
    );
    sem.add_permits(5);
    assert_eq!(sem.available_permits(), 7);
    let owned = Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap();
    assert_eq!(owned.semaphore().available_permits(), 0);
    drop(owned);
}

#[test]
fn semaphore_limits_concurrency_and_serves_fifo() {
    let (order, most) = run(async {
        let sem = Arc::new(Semaphore::new(2));
        let log = log();
        let inside = Rc::new(RefCell::new((0, 0)));
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (sem, log, inside) = (sem.clone(), log.clone(), inside.clone());
            tasks.push(spawn(async move {
                let _permit = sem.acquire_owned().await.unwrap();
                push(&log, format!("t{i}"));
                {
                    let mut c = inside.borrow_mut();
                    c.0 += 1;
                    c.1 = c.1.max(c.0);
                }
                sleep(ms(10)).await;
                inside.borrow_mut().0 -= 1;
            }));
            sleep(ms(1)).await; // arrive in order
        }
        for t in tasks {
            t.await.unwrap();
        }
        let most = inside.borrow().1;
        (taken(&log), most)
    });
    assert_eq!(order, ["t0", "t1", "t2", "t3", "t4", "t5"]);
    assert_eq!(most, 2);
}

#[test]
fn semaphore_a_large_request_at_the_head_blocks_later_small_ones() {
    let order = run(async {
        let sem = Arc::new(Semaphore::new(2));
        let held = sem.try_acquire_many(2).unwrap();
        let log = log();
        let mut tasks = Vec::new();
        for (name, n) in [("big", 3), ("small", 1)] {
            let (sem, log) = (sem.clone(), log.clone());
            tasks.push(spawn(async move {
                let p = sem.acquire_many(n).await.unwrap();
                push(&log, name);
                sleep(ms(1)).await;
                drop(p);
            }));
            sleep(ms(1)).await;
        }
        sem.add_permits(1); // 1 free, but "big" (needs 3) is first
        sleep(ms(1)).await;
        assert_eq!(
            sem.available_permits(),
            0,
            "reserved for the waiter at the head"
        );
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(sem.available_permits(), 3);
        taken(&log)
    });
    assert_eq!(order, ["big", "small"]);
}

#[test]
fn semaphore_close_fails_waiting_and_later_acquires() {
    run(async {
        let sem = Arc::new(Semaphore::new(1));
        let held = sem.try_acquire().unwrap();
        let s = sem.clone();
        let waiter = spawn(async move { s.acquire().await.map(|p| p.forget()) });
        sleep(ms(1)).await;
        sem.close();
        assert!(sem.is_closed());
        assert!(waiter.await.unwrap().is_err());
        assert!(sem.acquire().await.is_err());
        assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
        assert_eq!(held.num_permits(), 1, "held permits stay valid");
        drop(held);
        sem.add_permits(1);
        assert_eq!(sem.available_permits(), 2);
        assert_eq!(
            sem.acquire().await.unwrap_err().to_string(),
            "semaphore closed"
        );
    });
}

#[test]
fn semaphore_a_cancelled_head_waiter_lets_the_next_one_in() {
    let order = run(async {
        let sem = Arc::new(Semaphore::new(1));
        let log = log();
        let (s, l) = (sem.clone(), log.clone());
        spawn(async move {
            // Needs 2 of the 1 permit: blocks the queue until its timeout drops it.
            let r = timeout(ms(10), s.acquire_many(2)).await;
            push(&l, format!("big timed out: {}", r.is_err()));
        })
        .detach();
        sleep(ms(1)).await;
        let (s, l) = (sem.clone(), log.clone());
        let small = spawn(async move {
            let _p = s.acquire().await.unwrap();
            push(&l, "small");
        });
        small.await.unwrap();
        assert_eq!(sem.available_permits(), 1);
        taken(&log)
    });
    assert_eq!(order, ["big timed out: true", "small"]);
}

#[test]
fn semaphore_permits_granted_to_a_dropped_waiter_go_to_the_next() {
    let got = run(async {
        let sem = Arc::new(Semaphore::new(0));
        let log = log();
        let mut tasks = Vec::new();
        for name in ["a", "b"] {
            let (s, l) = (sem.clone(), log.clone());
            tasks.push(spawn(async move {
                s.acquire().await.unwrap().forget();
                push(&l, name);
            }));
            sleep(ms(1)).await;
        }
        sem.add_permits(1); // granted to "a"...
        tasks[0].abort(); // ...which is dropped before it runs
        tasks.pop().unwrap().await.unwrap();
        taken(&log)
    });
    assert_eq!(got, ["b"]);
}

/// Two nodes wait on shared primitives ("a" first); a client hands out one permit and one
/// notification, then crashes "a" before it runs: both pass on to "b".
#[test]
fn a_crashed_nodes_permit_and_notification_pass_to_the_next_waiter() {
    let sim = Sim::new(3);
    let sem = Arc::new(Semaphore::new(0));
    let notify = Arc::new(Notify::new());
    let log = log();
    for (name, delay) in [("a", 0), ("b", 1)] {
        let (sem, notify, log) = (sem.clone(), notify.clone(), log.clone());
        sim.add_node(name, move || {
            let (sem, notify, log) = (sem.clone(), notify.clone(), log.clone());
            async move {
                sleep(ms(delay)).await;
                let (permit, ()) = futures::join!(sem.acquire(), notify.notified());
                permit.unwrap().forget();
                push(&log, name);
            }
        });
    }
    let (s, n) = (sem.clone(), notify.clone());
    sim.block_on("client", async move {
        sleep(ms(2)).await;
        s.add_permits(1);
        n.notify_one();
        let h = Handle::current();
        h.crash(h.lookup("a").unwrap());
        sleep(ms(1)).await;
    })
    .unwrap();
    assert_eq!(taken(&log), ["b"]);
    assert_eq!(sem.available_permits(), 0);
}

#[test]
fn semaphore_a_dropped_waiting_acquire_deregisters() {
    let sem = Semaphore::new(0);
    let (count, waker) = CountingWaker::new();
    let mut waiting = Box::pin(sem.acquire());
    assert!(poll(&mut waiting, &waker).is_pending());
    assert_eq!(sem.available_permits(), 0);
    drop(waiting);
    sem.add_permits(1);
    assert_eq!(count.wakes(), 0);
    assert_eq!(sem.available_permits(), 1, "nobody took the permit");
}

// ---------------------------------------------------------------------------------------------
// RwLock
// ---------------------------------------------------------------------------------------------

#[test]
fn rwlock_readers_share_and_writers_exclude() {
    run(async {
        let lock = RwLock::new(5);
        let r1 = lock.read().await;
        let r2 = lock.try_read().unwrap();
        assert_eq!(*r1 + *r2, 10);
        assert_eq!(
            lock.try_write().unwrap_err().to_string(),
            "operation would block"
        );
        drop((r1, r2));
        let mut w = lock.write().await;
        *w += 1;
        assert!(lock.try_read().is_err());
        assert!(lock.try_write().is_err());
        drop(w);
        assert_eq!(*lock.try_write().unwrap(), 6);
        assert_eq!(format!("{lock:?}"), "RwLock { data: 6 }");
        let mut lock = lock;
        *lock.get_mut() += 1;
        assert_eq!(lock.into_inner(), 7);
    });
}

#[test]
fn rwlock_a_waiting_writer_blocks_later_readers() {
    // FIFO scheduler: the two readers are let in together, and run in the order woken.
    let order = run_fifo(async {
        let lock = Arc::new(RwLock::new(0));
        let log = log();
        let first = lock.read().await;
        let mut tasks = Vec::new();
        for (name, write) in [("w", true), ("r1", false), ("r2", false)] {
            let (lock, log) = (lock.clone(), log.clone());
            tasks.push(spawn(async move {
                if write {
                    let mut g = lock.write().await;
                    push(&log, name);
                    sleep(ms(5)).await;
                    *g += 1;
                } else {
                    let g = lock.read().await;
                    push(&log, format!("{name} sees {}", *g));
                    sleep(ms(5)).await;
                }
            }));
            sleep(ms(1)).await;
        }
        assert!(lock.try_read().is_err(), "a writer waits: no new reader");
        push(&log, "first done");
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        taken(&log)
    });
    assert_eq!(order, ["first done", "w", "r1 sees 1", "r2 sees 1"]);
}

#[test]
fn rwlock_downgrade_lets_waiting_readers_in_but_not_writers() {
    run(async {
        let lock = Arc::new(RwLock::new(0));
        let mut w = lock.write().await;
        let l = lock.clone();
        let reader = spawn(async move { *l.read().await });
        sleep(ms(1)).await;
        *w = 1;
        let r = w.downgrade();
        assert_eq!(reader.await.unwrap(), 1);
        assert!(lock.try_write().is_err());
        assert_eq!(*r, 1);
        drop(r);
        assert!(lock.try_write().is_ok());
    });
}

#[test]
fn rwlock_max_readers_bounds_shared_access() {
    let lock = RwLock::with_max_readers((), 2);
    let a = lock.try_read().unwrap();
    let _b = lock.try_read().unwrap();
    assert!(lock.try_read().is_err());
    drop(a);
    assert!(lock.try_read().is_ok());
}

#[test]
fn rwlock_a_writer_cancelled_while_waiting_lets_readers_behind_it_in() {
    let order = run(async {
        let lock = Arc::new(RwLock::new(0));
        let log = log();
        let held = lock.read().await;
        let (l, lg) = (lock.clone(), log.clone());
        spawn(async move {
            let r = timeout(ms(10), l.write()).await;
            push(&lg, format!("writer timed out: {}", r.is_err()));
        })
        .detach();
        sleep(ms(1)).await;
        let (l, lg) = (lock.clone(), log.clone());
        let reader = spawn(async move {
            let _g = l.read().await;
            push(&lg, "reader");
        });
        reader.await.unwrap();
        drop(held);
        taken(&log)
    });
    assert_eq!(order, ["writer timed out: true", "reader"]);
}

#[test]
fn rwlock_a_dropped_waiting_write_deregisters() {
    let lock = RwLock::new(0);
    let (count, waker) = CountingWaker::new();
    let held = lock.try_read().unwrap();
    let mut waiting = Box::pin(lock.write());
    assert!(poll(&mut waiting, &waker).is_pending());
    assert!(lock.try_read().is_err());
    drop(waiting);
    assert!(lock.try_read().is_ok(), "the queue is empty again");
    drop(held);
    assert_eq!(count.wakes(), 0);
}

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

/// Eight tasks contend on every primitive under the random scheduler; returns what happened,
/// in order, and the run's fingerprint.
fn contention(seed: u64) -> (Vec<String>, u64) {
    let sim = Sim::new(seed);
    let log = log();
    let l = log.clone();
    sim.block_on("main", async move {
        let sem = Arc::new(Semaphore::new(2));
        let lock = Arc::new(RwLock::new(0u32));
        let notify = Arc::new(Notify::new());
        let (tx, rx) = watch::channel(0u32);
        let tx = Arc::new(tx);
        let mut tasks = Vec::new();
        for i in 0..8u32 {
            let (sem, lock, notify, tx, mut rx, log) = (
                sem.clone(),
                lock.clone(),
                notify.clone(),
                tx.clone(),
                rx.clone(),
                l.clone(),
            );
            tasks.push(spawn(async move {
                for round in 0..4 {
                    let permit = sem.acquire().await.unwrap();
                    push(&log, format!("t{i} sem"));
                    yield_now().await;
                    drop(permit);
                    if (i + round) % 3 == 0 {
                        *lock.write().await += 1;
                        push(&log, format!("t{i} write"));
                    } else {
                        let v = *lock.read().await;
                        push(&log, format!("t{i} read {v}"));
                    }
                    tx.send_modify(|v| *v += 1);
                    if rx.changed().await.is_ok() {
                        push(&log, format!("t{i} saw {}", *rx.borrow_and_update()));
                    }
                    notify.notify_one();
                    if timeout(Duration::from_micros(50), notify.notified())
                        .await
                        .is_ok()
                    {
                        push(&log, format!("t{i} notified"));
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    })
    .unwrap();
    let events = taken(&log);
    (events, sim.fingerprint())
}

#[test]
fn contention_is_deterministic_per_seed() {
    let (a, fa) = contention(11);
    let (b, fb) = contention(11);
    assert_eq!(a, b);
    assert_eq!(fa, fb);
    assert!(
        a.len() >= 8 * 4 * 3,
        "every task did every step: {}",
        a.len()
    );
    let others: std::collections::BTreeSet<Vec<String>> =
        (0..6).map(|seed| contention(seed).0).collect();
    assert!(others.len() > 1, "seeds explore different interleavings");
}
