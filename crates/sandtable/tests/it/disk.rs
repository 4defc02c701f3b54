use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use sandtable::disk::{self, CrashBehavior, DiskConfig, File};
use sandtable::prelude::*;

/// Writes "durable" and syncs, then writes "-volatile" without syncing, crashes the node and
/// returns what the file holds after the restart.
fn after_crash(seed: u64, crash: CrashBehavior) -> Vec<u8> {
    let sim = Sim::new(seed);
    let seen = Rc::new(RefCell::new(None));
    let s = seen.clone();
    let node = sim
        .node("db")
        .disk(DiskConfig::default().crash(crash))
        .build(move || {
            let s = s.clone();
            async move {
                if disk::exists("log").await.unwrap() {
                    *s.borrow_mut() = Some(disk::read("log").await.unwrap());
                    return;
                }
                let f = File::create("log").await.unwrap();
                f.append(b"durable").await.unwrap();
                f.sync().await.unwrap();
                f.append(b"-volatile").await.unwrap();
                std::future::pending::<()>().await;
            }
        });
    sim.run_for(Duration::from_secs(1)).unwrap();
    sim.restart(node);
    sim.run_for(Duration::from_secs(1)).unwrap();
    let v = seen
        .borrow_mut()
        .take()
        .expect("the restarted node read its log");
    v
}

#[test]
fn unsynced_writes_are_lost_and_synced_ones_kept() {
    assert_eq!(after_crash(1, CrashBehavior::LoseUnsynced), b"durable");
}

#[test]
fn torn_writes_keep_a_prefix_and_vary_by_seed() {
    let full = b"durable-volatile";
    let outcomes: std::collections::BTreeSet<Vec<u8>> = (0..40)
        .map(|seed| after_crash(seed, CrashBehavior::Torn))
        .collect();
    for o in &outcomes {
        assert!(o.starts_with(b"durable"), "synced data survives: {o:?}");
        assert!(
            full.starts_with(o),
            "what survives is a prefix of what was written: {o:?}"
        );
    }
    assert!(
        outcomes.len() >= 4,
        "seeds explore lost, torn and whole outcomes: {outcomes:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.len() > 7 && o.len() < full.len()),
        "some write is torn"
    );
    assert_eq!(
        after_crash(17, CrashBehavior::Torn),
        after_crash(17, CrashBehavior::Torn)
    );
}

#[test]
fn disk_operations_take_virtual_time() {
    let sim = Sim::new(1);
    let took = sim
        .block_on("c", async {
            let t0 = Instant::now();
            disk::write_synced("f", b"x").await.unwrap();
            t0.elapsed()
        })
        .unwrap();
    let c = DiskConfig::default();
    assert_eq!(took, c.write_latency + c.sync_latency);
}

#[test]
fn storage_faults_are_errors_the_code_sees() {
    let sim = Sim::new(2);
    let c = sim.add_node("n", || async {});
    sim.set_disk_config(c, DiskConfig::default().sync_errors(1.0).read_errors(0.5));
    let (sync, reads) = {
        let out = Rc::new(RefCell::new(None));
        let o = out.clone();
        sim.spawn_on(c, async move {
            let f = File::create("x").await.unwrap();
            f.write_at(0, b"abc").await.unwrap();
            let sync = f.sync().await.unwrap_err().to_string();
            let mut errors = 0;
            for _ in 0..100 {
                errors += f.read_all().await.is_err() as u32;
            }
            *o.borrow_mut() = Some((sync, errors));
        })
        .detach();
        sim.run_for(Duration::from_secs(1)).unwrap();
        let v = out.borrow_mut().take().unwrap();
        v
    };
    assert!(sync.contains("sync failure"), "{sync}");
    assert!(
        (25..75).contains(&reads),
        "about half the reads fail: {reads}"
    );
}

#[test]
fn corrupt_reads_flip_a_byte_but_leave_the_data_intact() {
    let sim = Sim::new(3);
    let (corrupted, intact) = sim
        .block_on("c", async {
            let f = File::create("x").await.unwrap();
            f.write_at(0, &[0u8; 64]).await.unwrap();
            let h = Handle::current();
            h.set_disk_config(
                h.current_node().unwrap(),
                DiskConfig::default().corrupt_reads(1.0),
            );
            let bad = f.read_all().await.unwrap();
            h.set_disk_config(h.current_node().unwrap(), DiskConfig::default());
            let good = f.read_all().await.unwrap();
            (bad.iter().filter(|b| **b != 0).count(), good == [0u8; 64])
        })
        .unwrap();
    assert_eq!(corrupted, 1);
    assert!(intact);
}

#[test]
fn files_can_be_listed_renamed_and_removed() {
    let sim = Sim::new(1);
    let listing = sim
        .block_on("c", async {
            disk::write_synced("b", b"1").await.unwrap();
            disk::write_synced("a", b"2").await.unwrap();
            disk::rename("b", "c").await.unwrap();
            disk::remove("a").await.unwrap();
            let missing = File::open("a").await.unwrap_err().kind();
            (
                disk::list().await.unwrap(),
                missing,
                disk::read("c").await.unwrap(),
            )
        })
        .unwrap();
    assert_eq!(
        listing,
        (
            vec!["c".to_string()],
            std::io::ErrorKind::NotFound,
            b"1".to_vec()
        )
    );
}

/// A node that, every 100 ms, overwrites `log` with one byte `i` and syncs it, counting the
/// rounds that completed. Returns (sim, node, completed rounds, what each incarnation read at
/// its start).
#[allow(clippy::type_complexity)]
fn writer_node() -> (
    Sim,
    NodeId,
    Rc<RefCell<u8>>,
    Rc<RefCell<Vec<Option<Vec<u8>>>>>,
) {
    let sim = Sim::new(1);
    let done = Rc::new(RefCell::new(0u8));
    let seen = Rc::new(RefCell::new(Vec::new()));
    let (d, s) = (done.clone(), seen.clone());
    let node = sim
        .node("db")
        .disk(DiskConfig::default().crash(CrashBehavior::LoseUnsynced))
        .build(move || {
            let (d, s) = (d.clone(), s.clone());
            async move {
                let found = disk::read("log").await.ok();
                s.borrow_mut().push(found);
                let f = File::open_or_create("log").await.unwrap();
                for i in 1u8.. {
                    sleep(Duration::from_millis(100)).await;
                    f.write_at(0, &[i]).await.unwrap();
                    f.sync().await.unwrap();
                    *d.borrow_mut() = i;
                }
            }
        });
    (sim, node, done, seen)
}

#[test]
fn a_crash_during_io_waits_for_the_next_write_and_the_writer_never_sees_it_finish() {
    use sandtable::nemesis::Fault;
    let (sim, node, done, seen) = writer_node();
    sim.run_for(Duration::from_millis(250)).unwrap();
    assert_eq!(*done.borrow(), 2);
    sim.inject(&Fault::CrashDuringIo { node: "db".into() });
    // Armed, but nothing happens before the node's next write ends, at 302.08 ms (the start
    // reads for 20 µs; each round sleeps 100 ms, writes for 20 µs and syncs for 1 ms).
    sim.run_for(Duration::from_millis(52)).unwrap();
    assert_eq!(sim.state(node), NodeState::Running);
    sim.run_for(Duration::from_millis(1)).unwrap();
    assert_eq!(
        sim.state(node),
        NodeState::Crashed,
        "crashed inside the write"
    );
    assert_eq!(*done.borrow(), 2, "the third round never completed");
    sim.restart(node);
    sim.run_for(Duration::from_millis(1)).unwrap();
    assert_eq!(
        seen.borrow().last().cloned().flatten(),
        Some(vec![2]),
        "the unsynced third write was lost with the crash"
    );
    // The trap fired once: the restarted node writes on undisturbed.
    sim.run_for(Duration::from_millis(1000)).unwrap();
    assert_eq!(sim.state(node), NodeState::Running);
    assert!(*done.borrow() >= 9);
}

#[test]
fn a_crash_during_io_armed_mid_sync_stops_that_sync_from_taking_effect() {
    use sandtable::nemesis::Fault;
    let (sim, node, done, seen) = writer_node();
    // The second round syncs from 201.06 ms to 202.06 ms: arm mid-sync.
    sim.run_for(Duration::from_micros(201_500)).unwrap();
    assert_eq!(*done.borrow(), 1);
    sim.inject(&Fault::CrashDuringIo { node: "db".into() });
    sim.run_for(Duration::from_millis(1)).unwrap();
    assert_eq!(sim.state(node), NodeState::Crashed);
    assert_eq!(*done.borrow(), 1, "the sync never returned");
    sim.restart(node);
    sim.run_for(Duration::from_millis(1)).unwrap();
    assert_eq!(seen.borrow().last().cloned().flatten(), Some(vec![1]));
}

#[test]
fn recover_all_disarms_a_crash_during_io_that_has_not_fired() {
    use sandtable::nemesis::Fault;
    let (sim, node, done, _) = writer_node();
    sim.run_for(Duration::from_millis(50)).unwrap();
    sim.inject(&Fault::CrashDuringIo { node: "db".into() });
    sim.inject(&Fault::RecoverAll);
    sim.run_for(Duration::from_millis(500)).unwrap();
    assert_eq!(sim.state(node), NodeState::Running);
    assert_eq!(*done.borrow(), 5);
}

#[test]
fn disk_futures_and_files_are_send() {
    // Runtimes with multi-threaded bounds (openraft's default) await these in `Send` futures.
    fn send<T: Send>(_: &T) {}
    let sim = Sim::new(1);
    sim.block_on("main", async {
        let create = sandtable::disk::File::create("f");
        send(&create);
        let f = create.await.unwrap();
        send(&f);
        let write = f.write_at(0, b"x");
        send(&write);
        write.await.unwrap();
        let sync = f.sync();
        send(&sync);
        sync.await.unwrap();
        let read = sandtable::disk::read("f");
        send(&read);
        assert_eq!(read.await.unwrap(), b"x");
        let atomic = sandtable::disk::write_atomic("g", b"y");
        send(&atomic);
        atomic.await.unwrap();
    })
    .unwrap();
}
