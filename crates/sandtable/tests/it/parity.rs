//! One test source, two backends: each `parity!` body runs as a simulated node called `main`
//! and on the real backend (tokio, loopback sockets, a temporary data directory) as a node of
//! the same name, so the two cannot drift apart. Built with the `real` feature (the workspace
//! enables it).

use std::time::Duration;

use futures::AsyncReadExt;
use sandtable::net::{Endpoint, NetError, TcpListener, TcpStream, UdpSocket, MAX_DATAGRAM};
use sandtable::prelude::*;
use sandtable::real::{ClusterMap, Config, Runtime};
use sandtable::sync::{mpsc, Notify, Semaphore};
use sandtable::task::JoinError;
use sandtable::{disk, time};

/// Defines `name::simulated` and `name::real`, both running `body` as node `main`.
macro_rules! parity {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn simulated() {
                let sim = sandtable::Sim::new(7);
                sim.block_on("main", $body)
                    .expect("the simulation completes");
            }

            #[test]
            fn real() {
                super::run_real(stringify!($name), $body);
            }
        }
    };
}

fn run_real<F: std::future::Future<Output = ()>>(name: &str, body: F) {
    let dir = std::env::temp_dir().join(format!("sandtable-parity-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cluster = ClusterMap::new();
    cluster.insert("main", "127.0.0.1:0".parse().unwrap());
    let rt = Runtime::new(Config::new("main").cluster(cluster).data_dir(&dir).seed(7))
        .expect("the runtime starts");
    rt.block_on(body);
    drop(rt);
    let _ = std::fs::remove_dir_all(&dir);
}

parity!(sleep_waits_at_least_its_duration, async {
    let start = Instant::now();
    time::sleep(Duration::from_millis(20)).await;
    assert!(start.elapsed() >= Duration::from_millis(20));
    let deadline = Instant::now() + Duration::from_millis(5);
    time::sleep_until(deadline).await;
    assert!(Instant::now() >= deadline);
});

parity!(
    timeout_ends_a_pending_future_and_passes_a_ready_one,
    async {
        let pending = time::timeout(Duration::from_millis(10), std::future::pending::<()>()).await;
        assert!(pending.is_err(), "a future that never completes times out");
        let ready = time::timeout(Duration::from_secs(5), async { 7 }).await;
        assert_eq!(ready, Ok(7));
        let past = time::timeout_at(Instant::now(), async { 1 }).await;
        assert_eq!(
            past,
            Ok(1),
            "a deadline already past still polls the future once"
        );
    }
);

parity!(interval_ticks_a_period_apart, async {
    let mut interval = time::interval(Duration::from_millis(10));
    let first = interval.tick().await;
    let second = interval.tick().await;
    let third = interval.tick().await;
    // A late tick pushes the next one a full period on: never closer than the period, and in
    // virtual time (nothing is ever late) exactly the period.
    assert!(second - first >= Duration::from_millis(10));
    assert!(third - second >= Duration::from_millis(10));
    if sandtable::in_simulation() {
        assert_eq!(second - first, Duration::from_millis(10));
        assert_eq!(third - second, Duration::from_millis(10));
    }
    assert!(Instant::now() >= third);
});

parity!(system_time_is_after_the_epoch, async {
    let now = time::SystemTime::now();
    assert!(now.duration_since(time::UNIX_EPOCH).unwrap() > Duration::from_secs(1_000_000_000));
});

parity!(spawn_join_abort_and_yield, async {
    let h = spawn(async {
        yield_now().await;
        21 * 2
    });
    assert_eq!(h.await, Ok(42));
    let mut never = spawn(std::future::pending::<()>());
    assert!(!never.is_finished());
    never.abort();
    assert_eq!(never.await, Err(JoinError::Cancelled));
    let blocking = sandtable::task::spawn_blocking(|| 5);
    assert_eq!(blocking.await, Ok(5));
});

parity!(udp_round_trip_by_node_name, async {
    let server = UdpSocket::bind(("0.0.0.0", 0)).await.unwrap();
    let port = server.local_addr().unwrap().port();
    let echo = spawn(async move {
        let mut buf = [0u8; 64];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        server.send_to(&buf[..n], from).await.unwrap();
    });
    let client = UdpSocket::bind("0.0.0.0:0").await.unwrap();
    client.send_to(b"ping", ("main", port)).await.unwrap();
    let (reply, _) = time::timeout(Duration::from_secs(5), client.recv_vec())
        .await
        .expect("the echo arrives")
        .unwrap();
    assert_eq!(reply, b"ping");
    echo.await.unwrap();
});

parity!(udp_refuses_a_datagram_larger_than_udp_allows, async {
    let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
    let big = vec![0u8; MAX_DATAGRAM + 1];
    let err = socket.send_to(&big, ("main", port)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("larger than UDP allows"), "{err}");
    let largest = vec![1u8; MAX_DATAGRAM];
    socket.send_to(&largest, ("main", port)).await.unwrap();
    let (got, _) = socket.recv_vec().await.unwrap();
    assert_eq!(got.len(), MAX_DATAGRAM);
});

parity!(endpoint_messages_and_a_malformed_datagram, async {
    let ep = Endpoint::<(u32, String)>::bind("0.0.0.0:0").await.unwrap();
    let port = ep.local_addr().port();
    let raw = UdpSocket::bind("0.0.0.0:0").await.unwrap();
    raw.send_to(&[0xff, 0xff, 0xff], ("main", port))
        .await
        .unwrap();
    let garbage = ep.recv().await;
    assert!(
        matches!(garbage, Err(NetError::Decode { .. })),
        "{garbage:?}"
    );
    ep.send(("main", port), &(3, "three".to_string()))
        .await
        .unwrap();
    let (msg, _) = ep.recv().await.unwrap();
    assert_eq!(msg, (3, "three".to_string()));
});

parity!(an_unknown_name_is_a_clear_error, async {
    let err = sandtable::net::lookup("no-such-node").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("no-such-node"), "{err}");
});

parity!(tcp_connect_write_read_shutdown, async {
    let listener = TcpListener::bind(("0.0.0.0", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.unwrap();
        stream.write_all(&got).await.unwrap();
        stream.shutdown().await.unwrap();
    });
    let mut stream = TcpStream::connect(("main", port)).await.unwrap();
    let payload: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    stream.write_all(&payload).await.unwrap();
    stream.shutdown().await.unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, payload);
    server.await.unwrap();
});

parity!(tcp_connect_to_a_closed_port_is_refused, async {
    let port = {
        let listener = TcpListener::bind(("0.0.0.0", 0)).await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let err = TcpStream::connect(("main", port)).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
});

parity!(disk_write_sync_rename_read_list_remove, async {
    let f = disk::File::create("log").await.unwrap();
    assert_eq!(f.append(b"hello ").await.unwrap(), 0);
    assert_eq!(f.append(b"world").await.unwrap(), 6);
    f.sync().await.unwrap();
    assert_eq!(f.len().unwrap(), 11);
    assert_eq!(f.read_at(6, 100).await.unwrap(), b"world");
    f.set_len(5).await.unwrap();
    assert_eq!(f.read_all().await.unwrap(), b"hello");
    disk::write_atomic("state", b"v1").await.unwrap();
    disk::write_atomic("state", b"v2").await.unwrap();
    assert_eq!(disk::read("state").await.unwrap(), b"v2");
    assert_eq!(disk::list().await.unwrap(), vec!["log", "state"]);
    disk::rename("log", "log.old").await.unwrap();
    assert!(!disk::exists("log").await.unwrap());
    disk::remove("log.old").await.unwrap();
    assert_eq!(disk::list().await.unwrap(), vec!["state"]);
    let missing = disk::File::open("missing").await.unwrap_err();
    assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
});

parity!(sync_primitives_across_tasks, async {
    let (tx, mut rx) = mpsc::channel::<u32>(1);
    let producer = spawn(async move {
        for i in 0..5 {
            tx.send(i).await.unwrap();
            time::sleep(Duration::from_millis(1)).await;
        }
    });
    let mut got = Vec::new();
    while let Some(v) = rx.recv().await {
        got.push(v);
    }
    assert_eq!(got, vec![0, 1, 2, 3, 4]);
    producer.await.unwrap();

    let notify = std::rc::Rc::new(Notify::new());
    let waiter = {
        let notify = notify.clone();
        spawn(async move { notify.notified().await })
    };
    yield_now().await;
    notify.notify_one();
    waiter.await.unwrap();

    let permits = std::sync::Arc::new(Semaphore::new(1));
    let held = permits.clone().acquire_owned().await.unwrap();
    assert!(permits.try_acquire().is_err());
    drop(held);
    assert!(permits.try_acquire().is_ok());
});

parity!(node_random_stream_answers, async {
    let a: u64 = sandtable::rand::random();
    let b: u64 = sandtable::rand::random();
    assert_ne!(a, b);
    let x = sandtable::rand::random_range(10..20u32);
    assert!((10..20).contains(&x));
});

#[test]
fn the_real_backend_refuses_fault_injection_and_never_buggifies() {
    let rt = Runtime::new(Config::new("main")).unwrap();
    rt.block_on(async {
        assert!(!sandtable::buggify!());
        assert!(sandtable::Handle::try_current().is_none());
        let panicked = std::panic::catch_unwind(|| sandtable::Handle::current()).unwrap_err();
        let msg = message(&*panicked);
        assert!(msg.contains("needs a simulation"), "{msg}");
    });
}

#[test]
fn the_disk_needs_a_data_directory_and_plain_file_names() {
    let rt = Runtime::new(Config::new("main")).unwrap();
    let err = rt.block_on(disk::File::create("x")).unwrap_err();
    assert!(err.to_string().contains("data directory"), "{err}");
    let dir = std::env::temp_dir().join(format!("sandtable-parity-names-{}", std::process::id()));
    let rt = Runtime::new(Config::new("main").data_dir(&dir)).unwrap();
    for bad in ["../escape", "a/b", "", ".."] {
        let err = rt.block_on(disk::File::create(bad)).unwrap_err();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::InvalidInput,
            "{bad:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn outside_both_backends_a_call_names_itself() {
    let panicked = std::panic::catch_unwind(Instant::now).unwrap_err();
    let msg = message(&*panicked);
    assert!(
        msg.contains("Instant::now") && msg.contains("real runtime"),
        "{msg}"
    );
}

#[test]
fn a_cluster_map_reads_and_reports_bad_entries() {
    let map: ClusterMap = "n1=127.0.0.1:7001, n2=127.0.0.1:7002".parse().unwrap();
    assert_eq!(map.addr("n2"), Some("127.0.0.1:7002".parse().unwrap()));
    assert_eq!(map.to_string(), "n1=127.0.0.1:7001,n2=127.0.0.1:7002");
    for (bad, why) in [
        ("n1", "no '='"),
        ("=127.0.0.1:1", "name is empty"),
        ("n1=localhost", "not ip:port"),
        ("n1=127.0.0.1:1,n1=127.0.0.1:2", "twice"),
    ] {
        let err = bad.parse::<ClusterMap>().unwrap_err();
        assert!(err.to_string().contains(why), "{bad}: {err}");
    }
    let file = std::env::temp_dir().join(format!("sandtable-cluster-{}", std::process::id()));
    std::fs::write(
        &file,
        "# the cluster\nn1=127.0.0.1:7001\nn2=127.0.0.1:7002  # second\n",
    )
    .unwrap();
    assert_eq!(ClusterMap::read(&file).unwrap(), map);
    assert_eq!(
        ClusterMap::from_flag(&format!("@{}", file.display())).unwrap(),
        map
    );
    std::fs::write(&file, "n1=127.0.0.1:7001\nn2\n").unwrap();
    let err = ClusterMap::read(&file).unwrap_err().to_string();
    assert!(
        err.contains("\"n2\"") && err.contains(&file.display().to_string()),
        "{err}"
    );
    let _ = std::fs::remove_file(&file);
    let err = map.resolve("n3").unwrap_err();
    assert!(err.to_string().contains("n1, n2"), "{err}");
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
