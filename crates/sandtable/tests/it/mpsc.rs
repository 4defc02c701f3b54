//! `sandtable::sync::mpsc`: tokio's shape and semantics — exact capacity, FIFO waiting senders,
//! cancellation passing a slot on, closing, weak senders, the unbounded variant.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use sandtable::prelude::*;
use sandtable::sync::mpsc::{self, TryRecvError, TrySendError};
use sandtable::time::timeout;

fn run<F: Future + 'static>(f: F) -> F::Output {
    Sim::new(1).block_on("main", f).unwrap()
}

#[test]
fn capacity_is_exact_whatever_the_number_of_senders() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<u32>(2);
        let others: Vec<_> = (0..5).map(|_| tx.clone()).collect();
        assert_eq!((tx.capacity(), tx.max_capacity()), (2, 2));
        tx.try_send(1).unwrap();
        others[3].try_send(2).unwrap();
        assert!(matches!(tx.try_send(3), Err(TrySendError::Full(3))));
        assert_eq!(tx.capacity(), 0);
        assert_eq!(rx.try_recv(), Ok(1));
        tx.try_send(3).unwrap();
        assert_eq!(rx.len(), 2);
    });
}

#[test]
fn waiting_senders_go_in_order_and_recv_ends_when_senders_are_gone() {
    let got = run(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.send(0).await.unwrap();
        for i in 1..=4 {
            let tx = tx.clone();
            spawn(async move {
                sleep(Duration::from_millis(i as u64)).await; // queue up in this order
                tx.send(i).await.unwrap();
            })
            .detach();
        }
        drop(tx);
        sleep(Duration::from_millis(10)).await;
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        got
    });
    assert_eq!(got, [0, 1, 2, 3, 4]);
}

#[test]
fn a_cancelled_send_passes_its_slot_to_the_next_waiter() {
    let log = run(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let (tx, mut rx) = mpsc::channel::<&str>(1);
        tx.send("first").await.unwrap();
        let (a, b) = (tx.clone(), tx.clone());
        let l = log.clone();
        let impatient = spawn(async move {
            let r = timeout(Duration::from_millis(5), a.send("impatient")).await;
            l.borrow_mut()
                .push(format!("impatient gave up: {}", r.is_err()));
        });
        let l = log.clone();
        let patient = spawn(async move {
            sleep(Duration::from_millis(1)).await;
            b.send("patient").await.unwrap();
            l.borrow_mut().push("patient sent".to_string());
        });
        sleep(Duration::from_millis(10)).await; // the impatient one timed out
        assert_eq!(rx.recv().await, Some("first"));
        patient.await.unwrap();
        impatient.await.unwrap();
        assert_eq!(rx.try_recv(), Ok("patient"));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
        drop(tx);
        assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
        let log = log.borrow().clone();
        log
    });
    assert_eq!(log, ["impatient gave up: true", "patient sent"]);
}

#[test]
fn a_closed_receiver_fails_senders_and_hands_back_the_value() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<String>(1);
        tx.send("kept".into()).await.unwrap();
        let waiting = {
            let tx = tx.clone();
            spawn(async move { tx.send("blocked".into()).await })
        };
        yield_now().await;
        rx.close();
        assert!(tx.is_closed());
        let err = waiting.await.unwrap().unwrap_err();
        assert_eq!(err.0, "blocked");
        assert!(matches!(tx.try_send("late".into()), Err(TrySendError::Closed(s)) if s == "late"));
        assert_eq!(
            rx.recv().await.as_deref(),
            Some("kept"),
            "queued values still arrive"
        );
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn weak_senders_do_not_keep_the_channel_open() {
    run(async {
        let (tx, mut rx) = mpsc::channel::<u8>(4);
        let weak = tx.downgrade();
        let strong = weak.upgrade().expect("a sender is alive");
        strong.send(1).await.unwrap();
        drop((tx, strong));
        assert!(weak.upgrade().is_none(), "no strong sender is left");
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, None);
    });
}

#[test]
fn unbounded_senders_never_wait() {
    run(async {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        for i in 0..10_000 {
            tx.send(i).unwrap();
        }
        assert_eq!(rx.len(), 10_000);
        let weak = tx.downgrade();
        drop(tx);
        assert!(weak.upgrade().is_none());
        let mut n = 0;
        while rx.recv().await.is_some() {
            n += 1;
        }
        assert_eq!(n, 10_000);
        let (tx, rx) = mpsc::unbounded_channel::<u32>();
        drop(rx);
        assert_eq!(tx.send(7).unwrap_err().0, 7);
    });
}

#[test]
fn handles_are_send_and_sync() {
    fn both<T: Send + Sync>() {}
    both::<mpsc::Sender<String>>();
    both::<mpsc::WeakSender<String>>();
    both::<mpsc::Receiver<String>>();
    both::<mpsc::UnboundedSender<String>>();
    both::<mpsc::UnboundedReceiver<String>>();
}

#[test]
#[should_panic(expected = "capacity > 0")]
fn a_zero_capacity_is_refused() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
fn a_slot_handed_to_a_send_that_is_then_dropped_goes_to_the_next() {
    let got = run(async {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.send(0).await.unwrap();
        let (a, b) = (tx.clone(), tx.clone());
        let mut first = spawn(async move { a.send(1).await });
        let second = spawn(async move {
            sleep(Duration::from_millis(1)).await;
            b.send(2).await
        });
        sleep(Duration::from_millis(2)).await; // both wait, `first` oldest
        assert_eq!(rx.recv().await, Some(0)); // the freed slot is handed to `first`...
        first.abort(); // ...which is dropped before it could use it
        second.await.unwrap().unwrap();
        let got = vec![rx.recv().await, rx.try_recv().ok()];
        got
    });
    assert_eq!(got, [Some(2), None]);
}
