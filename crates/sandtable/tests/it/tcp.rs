//! Simulated TCP: handshake, ordered reliable streams over faulty links, partitions, crashes,
//! backpressure, determinism.

use std::cell::Cell;
use std::io::ErrorKind;
use std::rc::Rc;
use std::time::Duration;

use futures::io::{AsyncReadExt, AsyncWriteExt};
use sandtable::net::{TcpConfig, TcpListener, TcpStream};
use sandtable::prelude::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A node that echoes every connection on `port` until the peer shuts down, then closes.
fn echo_server(sim: &Sim, name: &str, port: u16) -> NodeId {
    sim.add_node(name, move || async move {
        let listener = TcpListener::bind(("0.0.0.0", port)).await.unwrap();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            spawn(async move {
                let (mut r, mut w) = stream.into_split();
                let mut buf = vec![0u8; 8192];
                loop {
                    match r.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if w.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            })
            .detach();
        }
    })
}

/// A node that reads every connection on `port` to its end and counts what it got.
fn sink_server(sim: &Sim, name: &str, port: u16, got: Rc<Cell<Option<Vec<u8>>>>) -> NodeId {
    sim.add_node(name, move || {
        let got = got.clone();
        async move {
            let listener = TcpListener::bind(("0.0.0.0", port)).await.unwrap();
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut all = Vec::new();
            stream.read_to_end(&mut all).await.unwrap();
            got.set(Some(all));
        }
    })
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn echo_round_trip_with_addresses_and_eof() {
    let sim = Sim::new(1);
    echo_server(&sim, "server", 80);
    let (reply, local, peer, server_ip) = sim
        .block_on("client", async {
            let mut s = TcpStream::connect("server:80").await.unwrap();
            s.write_all(b"hello").await.unwrap();
            s.shutdown().await.unwrap();
            let mut reply = Vec::new();
            s.read_to_end(&mut reply).await.unwrap();
            // EOF stays EOF.
            assert_eq!(s.read(&mut [0u8; 4]).await.unwrap(), 0);
            let server_ip = sandtable::net::lookup("server").unwrap();
            (
                reply,
                s.local_addr().unwrap(),
                s.peer_addr().unwrap(),
                server_ip,
            )
        })
        .unwrap();
    assert_eq!(reply, b"hello");
    assert_eq!(peer, std::net::SocketAddr::new(server_ip, 80));
    assert!(local.port() >= 49_152, "{local}");
    let s = sim.net().stats();
    assert_eq!(s.tcp_bytes, 10);
    assert_eq!(s.in_flight(), 0, "{s:?}");
}

#[test]
fn large_transfer_is_intact_over_a_lossy_reordering_duplicating_link() {
    let sim = Sim::builder()
        .seed(3)
        .link(
            LinkConfig::default()
                .latency(ms(1), ms(30))
                .loss(0.1)
                .duplicate(0.1),
        )
        .build();
    let got = Rc::new(Cell::new(None));
    let server = sink_server(&sim, "server", 9, got.clone());
    let data = pattern(5_000_000);
    let sent = data.clone();
    let client = sim.client("client", async move {
        let mut s = TcpStream::connect(("server", 9)).await.unwrap();
        for chunk in sent.chunks(100_000) {
            s.write_all(chunk).await.unwrap();
        }
        s.shutdown().await.unwrap();
    });
    sim.run_for(Duration::from_secs(600)).unwrap();
    let got = got.take().expect("the server read the whole stream");
    assert_eq!(got.len(), data.len());
    assert!(got == data, "bytes arrive in order, once");
    let up = sim.net().link_stats(client.node(), server);
    assert_eq!(up.tcp_bytes, 5_000_000);
    assert!(up.tcp_retransmits > 0 && up.dropped_loss > 0, "{up:?}");
    assert!(up.duplicated > 0, "{up:?}");
    assert_eq!(sim.net().stats().in_flight(), 0);
}

#[test]
fn connecting_to_a_port_nobody_listens_on_is_refused_after_a_round_trip() {
    let sim = Sim::builder()
        .link(LinkConfig::default().latency(ms(10), ms(10)))
        .build();
    sim.add_node("server", || async {});
    let (err, took) = sim
        .block_on("client", async {
            let t0 = Instant::now();
            let err = TcpStream::connect(("server", 81)).await.unwrap_err();
            (err, t0.elapsed())
        })
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    assert_eq!(took, ms(20));
}

#[test]
fn connect_under_a_partition_times_out_after_the_connect_timeout() {
    let sim = Sim::new(2);
    let server = echo_server(&sim, "server", 80);
    let (err, took) = sim
        .block_on("client", async move {
            let h = Handle::current();
            h.net().partition(&[h.current_node().unwrap()], &[server]);
            let t0 = Instant::now();
            let err = TcpStream::connect(("server", 80)).await.unwrap_err();
            (err, t0.elapsed())
        })
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_eq!(took, Duration::from_secs(10));
    assert!(sim.net().stats().dropped_partition >= 5);
}

#[test]
fn connect_timeout_is_configurable_and_a_crashed_host_times_out_too() {
    let sim = Sim::builder()
        .tcp(TcpConfig::default().connect_timeout(Duration::from_secs(3)))
        .build();
    let server = echo_server(&sim, "server", 80);
    sim.crash(server);
    let (err, took) = sim
        .block_on("client", async {
            let t0 = Instant::now();
            let err = TcpStream::connect(("server", 80)).await.unwrap_err();
            (err, t0.elapsed())
        })
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    assert_eq!(took, Duration::from_secs(3));
    assert!(sim.net().stats().dropped_crash > 0);
}

/// A client that streams `total` bytes to `server:9` in 10 KB writes, 10 ms apart.
fn streaming_client(sim: &Sim, total: usize) -> sandtable::ClientHandle<std::io::Result<()>> {
    sim.client("client", async move {
        let mut s = TcpStream::connect(("server", 9)).await?;
        for chunk in pattern(total).chunks(10_000) {
            s.write_all(chunk).await?;
            sleep(ms(10)).await;
        }
        s.shutdown().await
    })
}

#[test]
fn a_partition_that_heals_before_the_timeout_only_delays_the_stream() {
    let sim = Sim::new(4);
    let got = Rc::new(Cell::new(None));
    let server = sink_server(&sim, "server", 9, got.clone());
    let client = streaming_client(&sim, 300_000);
    sim.run_for(ms(100)).unwrap();
    sim.net().partition(&[client.node()], &[server]);
    sim.run_for(Duration::from_secs(8)).unwrap();
    assert!(got.take().is_none(), "held back by the partition");
    sim.net().heal_all();
    sim.run().unwrap();
    client.output().unwrap().unwrap();
    sim.run_for(Duration::from_secs(60)).unwrap();
    assert!(got.take().expect("the stream ended") == pattern(300_000));
    let s = sim.net().link_stats(client.node(), server);
    assert!(s.tcp_retransmits > 0 && s.dropped_partition > 0, "{s:?}");
}

#[test]
fn a_partition_longer_than_the_retransmission_timeout_breaks_both_ends() {
    let sim = Sim::new(5);
    let server_err = Rc::new(Cell::new(None));
    let e = server_err.clone();
    let server = sim.add_node("server", move || {
        let e = e.clone();
        async move {
            let listener = TcpListener::bind("0.0.0.0:9").await.unwrap();
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(err) => {
                        e.set(Some((err.kind(), Instant::now())));
                        break;
                    }
                }
            }
        }
    });
    let client = streaming_client(&sim, 10_000_000);
    sim.run_for(ms(100)).unwrap();
    sim.net().partition(&[client.node()], &[server]);
    let cut_at = sim.elapsed();
    sim.run().unwrap();
    sim.run_for(ms(1)).unwrap(); // the server's task runs at the instant the client ends
    let err = client.output().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    let (kind, at) = server_err.take().expect("the server's read failed");
    assert_eq!(kind, ErrorKind::TimedOut);
    let broken_after = Duration::from_nanos(at.as_nanos() as u64) - cut_at;
    assert!(
        broken_after >= Duration::from_secs(30) && broken_after < Duration::from_millis(30_020),
        "{broken_after:?}"
    );
}

#[test]
fn a_server_crash_resets_the_client_and_a_restarted_server_accepts_again() {
    let sim = Sim::new(6);
    let server = echo_server(&sim, "server", 80);
    let out = sim
        .block_on("client", async move {
            let mut s = TcpStream::connect(("server", 80)).await.unwrap();
            s.write_all(b"one").await.unwrap();
            let mut buf = [0u8; 3];
            s.read_exact(&mut buf).await.unwrap();
            Handle::current().restart(server);
            let err = s.read(&mut buf).await.unwrap_err();
            let err2 = s.write_all(b"x").await.unwrap_err();
            // The restarted server listens again: a new connection works.
            let mut s2 = TcpStream::connect(("server", 80)).await.unwrap();
            s2.write_all(b"two").await.unwrap();
            s2.read_exact(&mut buf).await.unwrap();
            (err.kind(), err2.kind(), buf)
        })
        .unwrap();
    assert_eq!(
        out,
        (
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionReset,
            *b"two"
        )
    );
}

#[test]
fn a_client_crash_resets_the_server_end() {
    let sim = Sim::new(7);
    let seen = Rc::new(Cell::new(None));
    let s2 = seen.clone();
    sim.add_node("server", move || {
        let seen = s2.clone();
        async move {
            let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
            let (mut s, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 16];
            let first = s.read(&mut buf).await.unwrap();
            let err = s.read(&mut buf).await.unwrap_err();
            seen.set(Some((first, err.kind())));
        }
    });
    let client = sim.add_node("client", || async {
        let mut s = TcpStream::connect(("server", 80)).await.unwrap();
        s.write_all(b"hi").await.unwrap();
        std::future::pending::<()>().await;
    });
    sim.run_for(ms(100)).unwrap();
    sim.crash(client);
    sim.run_for(ms(100)).unwrap();
    assert_eq!(seen.take(), Some((2, ErrorKind::ConnectionReset)));
}

#[test]
fn when_the_reset_is_lost_the_peer_learns_at_its_retransmission_timeout() {
    let sim = Sim::builder()
        .tcp(TcpConfig::default().retransmission_timeout(Duration::from_secs(5)))
        .build();
    let server = echo_server(&sim, "server", 80);
    let (kind, took) = sim
        .block_on("client", async move {
            let h = Handle::current();
            let mut s = TcpStream::connect(("server", 80)).await.unwrap();
            // The crash's RST meets a partition; the server stays down.
            h.net().partition(&[h.current_node().unwrap()], &[server]);
            h.crash(server);
            sleep(ms(10)).await;
            h.net().heal_all();
            let t0 = Instant::now();
            s.write_all(b"anyone?").await.unwrap();
            let err = s.read(&mut [0u8; 8]).await.unwrap_err();
            (err.kind(), t0.elapsed())
        })
        .unwrap();
    assert_eq!(kind, ErrorKind::TimedOut);
    assert_eq!(took, Duration::from_secs(5));
}

#[test]
fn half_close_the_server_shuts_down_and_the_client_still_writes() {
    let sim = Sim::new(8);
    let got = Rc::new(Cell::new(None));
    let g = got.clone();
    sim.add_node("server", move || {
        let g = g.clone();
        async move {
            let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(b"bye").await.unwrap();
            s.shutdown().await.unwrap();
            assert_eq!(
                s.write_all(b"more").await.unwrap_err().kind(),
                ErrorKind::BrokenPipe
            );
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).await.unwrap();
            g.set(Some(rest));
        }
    });
    let read = sim
        .block_on("client", async {
            let mut s = TcpStream::connect(("server", 80)).await.unwrap();
            let mut all = Vec::new();
            s.read_to_end(&mut all).await.unwrap();
            s.write_all(b"after eof").await.unwrap();
            s.close().await.unwrap();
            all
        })
        .unwrap();
    sim.run_for(ms(100)).unwrap();
    assert_eq!(read, b"bye");
    assert_eq!(got.take().unwrap(), b"after eof");
}

#[test]
fn a_writer_blocks_while_the_readers_window_is_full() {
    let window = 64 * 1024;
    let sim = Sim::new(9);
    let start_reading = Rc::new(Cell::new(false));
    let got = Rc::new(Cell::new(0usize));
    let (go, g) = (start_reading.clone(), got.clone());
    sim.add_node("server", move || {
        let (go, g) = (go.clone(), g.clone());
        async move {
            let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
            let (mut s, _) = listener.accept().await.unwrap();
            while !go.get() {
                sleep(ms(10)).await;
            }
            let mut buf = vec![0u8; 4096];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                g.set(g.get() + n);
            }
        }
    });
    let written = Rc::new(Cell::new(0usize));
    let w = written.clone();
    let client = sim.client("client", async move {
        let mut s = TcpStream::connect(("server", 80)).await.unwrap();
        for _ in 0..100 {
            s.write_all(&[7u8; 10_000]).await.unwrap();
            w.set(w.get() + 10_000);
        }
        s.shutdown().await.unwrap();
    });
    sim.run_for(Duration::from_secs(5)).unwrap();
    // Six 10 KB writes fit in the 64 KiB window; the seventh waits for room for a useful
    // segment rather than sending a sliver.
    assert_eq!(written.get(), 60_000);
    assert_eq!(sim.net().stats().tcp_bytes, 60_000);
    assert!(60_000 <= window);
    assert_eq!(got.get(), 0);
    start_reading.set(true);
    sim.run().unwrap();
    assert!(client.output().is_some());
    sim.run_for(ms(100)).unwrap();
    assert_eq!(got.get(), 1_000_000);
}

#[test]
fn split_halves_read_and_write_from_two_tasks() {
    let sim = Sim::new(10);
    echo_server(&sim, "server", 80);
    let data = pattern(1_000_000);
    let sent = data.clone();
    let echoed = sim
        .block_on("client", async move {
            let s = TcpStream::connect(("server", 80)).await.unwrap();
            let (mut r, mut w) = s.into_split();
            // 1 MB does not fit in the windows: reading must go on while writing.
            let writer = spawn(async move {
                for chunk in sent.chunks(30_000) {
                    w.write_all(chunk).await.unwrap();
                }
                w.shutdown().await.unwrap();
            });
            let reader = spawn(async move {
                let mut all = Vec::new();
                r.read_to_end(&mut all).await.unwrap();
                all
            });
            writer.await.unwrap();
            reader.await.unwrap()
        })
        .unwrap();
    assert!(echoed == data);
}

#[test]
fn listeners_report_address_in_use_and_closing_one_refuses_new_connections() {
    let sim = Sim::new(11);
    let (first, second, after_close) = sim
        .block_on("n", async {
            let l = TcpListener::bind("0.0.0.0:80").await.unwrap();
            let again = TcpListener::bind("0.0.0.0:80").await.unwrap_err().kind();
            let udp = UdpSocket::bind("0.0.0.0:80").await;
            assert!(udp.is_ok(), "TCP and UDP ports are apart");
            let me = l.local_addr().unwrap();
            let c = TcpStream::connect(me).await.unwrap();
            let (accepted, peer) = l.accept().await.unwrap();
            assert_eq!(peer, c.local_addr().unwrap());
            assert_eq!(accepted.peer_addr().unwrap(), c.local_addr().unwrap());
            drop(l);
            let refused = TcpStream::connect(me).await.unwrap_err().kind();
            (me.port(), again, refused)
        })
        .unwrap();
    assert_eq!(first, 80);
    assert_eq!(second, ErrorKind::AddrInUse);
    assert_eq!(after_close, ErrorKind::ConnectionRefused);
}

fn lossy_run(seed: u64) -> (u64, NetStats) {
    let sim = Sim::builder()
        .seed(seed)
        .link(
            LinkConfig::default()
                .latency(ms(1), ms(20))
                .loss(0.05)
                .duplicate(0.05),
        )
        .build();
    echo_server(&sim, "server", 80);
    for c in 0..3 {
        sim.client(format!("client{c}"), async move {
            let s = TcpStream::connect(("server", 80)).await.unwrap();
            let (mut r, mut w) = s.into_split();
            let data = pattern(200_000 + c * 1000);
            let expected = data.clone();
            let writer = spawn(async move {
                w.write_all(&data).await.unwrap();
                w.shutdown().await.unwrap();
            });
            let mut all = Vec::new();
            r.read_to_end(&mut all).await.unwrap();
            writer.await.unwrap();
            assert!(all == expected);
        });
    }
    sim.run().unwrap();
    (sim.fingerprint(), sim.net().stats())
}

#[test]
fn the_same_seed_gives_the_same_fingerprint() {
    let (a, stats_a) = lossy_run(12);
    let (b, stats_b) = lossy_run(12);
    assert_eq!(a, b);
    assert_eq!(stats_a, stats_b);
    assert!(stats_a.tcp_retransmits > 0, "{stats_a:?}");
    let (c, _) = lossy_run(13);
    assert_ne!(a, c);
}

/// Many seeds of echo clients under partitions, crashes, pauses and a lossy, duplicating,
/// jittery link: no panic inside the simulator, every connection either fails with an error or
/// carries its bytes back intact and in order, and the run ends (no stall) once faults heal.
#[test]
fn echo_streams_survive_or_fail_cleanly_under_the_nemesis() {
    use sandtable::nemesis::Nemesis;
    let mut intact = 0u64;
    let mut failed = 0u64;
    for seed in 0..300u64 {
        let sim = Sim::builder()
            .seed(seed)
            .link(
                LinkConfig::default()
                    .latency(ms(1), ms(20))
                    .loss(0.05)
                    .duplicate(0.05),
            )
            .build();
        echo_server(&sim, "server", 80);
        let outcome = Rc::new(Cell::new((0u64, 0u64)));
        for c in 0..3u64 {
            let outcome = outcome.clone();
            sim.client(format!("c{c}"), async move {
                for round in 0..5u64 {
                    let data = pattern(20_000 + (c * 7 + round) as usize * 1_000);
                    let attempt = async {
                        let s = TcpStream::connect(("server", 80)).await?;
                        let (mut r, mut w) = s.into_split();
                        let send = async {
                            w.write_all(&data).await?;
                            w.close().await
                        };
                        let mut back = Vec::new();
                        let recv = r.read_to_end(&mut back);
                        let (sent, got) = futures::join!(send, recv);
                        sent?;
                        got?;
                        Ok::<_, std::io::Error>(back)
                    };
                    let result = time::timeout(Duration::from_secs(120), attempt).await;
                    let (ok, err) = outcome.get();
                    match result {
                        Ok(Ok(back)) => {
                            assert!(
                                back == data,
                                "seed {seed}: client c{c} round {round}: an echoed stream came \
                                 back altered ({} bytes of {})",
                                back.len(),
                                data.len()
                            );
                            outcome.set((ok + 1, err));
                        }
                        Ok(Err(_)) | Err(_) => outcome.set((ok, err + 1)),
                    }
                    sleep(ms(500)).await;
                }
            });
        }
        sim.nemesis(
            &Nemesis::new()
                .partitions()
                .one_way_cuts()
                .crashes()
                .crash_wipes()
                .pauses()
                .link_faults(),
            Duration::from_secs(20),
        )
        .unwrap();
        sim.run().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let (ok, err) = outcome.get();
        assert_eq!(ok + err, 15, "seed {seed}: every attempt ended");
        intact += ok;
        failed += err;
    }
    eprintln!("{intact} streams intact, {failed} failed");
    assert!(
        intact > 1_000 && failed > 0,
        "both outcomes occur: {intact} intact, {failed} failed"
    );
}

/// Bytes (and the FIN) that arrive while the connection still waits in the accept queue are
/// kept for the reader, as a real backlog does (found by the nemesis sweep above: a paused
/// server lost a whole request).
#[test]
fn data_sent_before_accept_is_kept() {
    let sim = Sim::new(3);
    let got = Rc::new(Cell::new(None));
    let got2 = got.clone();
    sim.add_node("server", move || {
        let got = got2.clone();
        async move {
            let listener = TcpListener::bind("0.0.0.0:80").await.unwrap();
            sleep(Duration::from_secs(1)).await; // the client is done writing by now
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut all = Vec::new();
            stream.read_to_end(&mut all).await.unwrap();
            got.set(Some(all));
        }
    });
    let data = pattern(40_000);
    let sent = data.clone();
    sim.block_on("client", async move {
        let mut s = TcpStream::connect(("server", 80)).await.unwrap();
        s.write_all(&sent).await.unwrap();
        s.close().await.unwrap();
        sleep(Duration::from_secs(2)).await;
    })
    .unwrap();
    assert_eq!(got.take().map(|v| v.len()), Some(data.len()));
}
