//! The same node code as three real processes on loopback: the `raft-kv` binary (which runs
//! `raft_kv::node::run`, as the simulation does) under a `raft-kv-client` load, with nodes killed
//! by SIGKILL mid-run and restarted on their data directories. The recorded history must be
//! linearizable, datagrams that are not messages are dropped with a warning, and no child
//! process may outlive the test, also when it fails.

use std::fs::File;
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sandtable::lin::{self, models, History};

const NODES: [&str; 3] = ["n1", "n2", "n3"];

/// Three nodes and a load client; every child is killed and reaped on drop.
struct Cluster {
    dir: PathBuf,
    peers: String,
    nodes: Vec<Option<Child>>,
    pids: Vec<u32>,
    load: Option<Child>,
}

impl Cluster {
    fn start(dir: PathBuf) -> Cluster {
        // Free ports, chosen now (bound and released: the OS does not hand them out again soon).
        let ports: Vec<u16> = NODES
            .iter()
            .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
            .collect::<Vec<_>>()
            .iter()
            .map(|s| s.local_addr().unwrap().port())
            .collect();
        let peers = NODES
            .iter()
            .zip(&ports)
            .map(|(n, p)| format!("{n}=127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let mut cluster = Cluster {
            dir,
            peers,
            nodes: NODES.iter().map(|_| None).collect(),
            pids: Vec::new(),
            load: None,
        };
        for i in 0..NODES.len() {
            cluster.start_node(i);
        }
        cluster
    }

    /// Sends each node datagrams that are not messages: a node must drop them with a warning.
    fn send_garbage(&self) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        for entry in self.peers.split(',') {
            let addr = entry.split_once('=').unwrap().1;
            for garbage in [&[0xffu8; 3][..], &[7u8; 1000][..], &[][..]] {
                socket.send_to(garbage, addr).unwrap();
            }
        }
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.log"))
    }

    fn start_node(&mut self, i: usize) {
        let name = NODES[i];
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.log(name))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_raft-kv"))
            .args(["--id", name, "--peers", &self.peers, "--data"])
            .arg(self.dir.join("data").join(name))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the raft-kv binary starts");
        self.pids.push(child.id());
        self.nodes[i] = Some(child);
    }

    /// SIGKILL: no chance to flush or sync anything.
    fn kill_node(&mut self, i: usize) {
        let mut child = self.nodes[i].take().expect("the node runs");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    fn start_load(&mut self, clients: u32, seconds: f64, history: &Path) {
        let log = File::create(self.log("client")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_raft-kv-client"))
            .args(["--peers", &self.peers, "load", "--clients"])
            .arg(clients.to_string())
            .arg("--duration")
            .arg(seconds.to_string())
            .arg("--history")
            .arg(history)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the raft-kv-client binary starts");
        self.pids.push(child.id());
        self.load = Some(child);
    }

    /// Waits for the load to end (at most `within`); true if it exited successfully.
    fn wait_load(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        let child = self.load.as_mut().expect("the load runs");
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.load = None;
                return status.success();
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for name in NODES.iter().chain(&["client"]) {
            let text = std::fs::read_to_string(self.log(name)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            out += &format!("--- {name} (last lines)\n");
            for line in tail.iter().rev() {
                out += line;
                out += "\n";
            }
        }
        out
    }

    fn stop(&mut self) {
        for child in self.nodes.iter_mut().chain(std::iter::once(&mut self.load)) {
            if let Some(mut c) = child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// True while process `pid` exists (reaped children do not).
fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn three_processes_survive_kill_9_and_stay_linearizable() {
    let dir = std::env::temp_dir().join(format!("raft-kv-real-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let history_file = dir.join("history.jsonl");
    let mut cluster = Cluster::start(dir.clone());
    let pids_seen;
    {
        // A panic below still drops `cluster`, which kills and reaps every child.
        std::thread::sleep(Duration::from_millis(500));
        cluster.start_load(4, 9.0, &history_file);
        // Kill each of two nodes mid-run (one of them likely the leader), restart it on its
        // data directory, and let the cluster go on.
        for node in [0, 1] {
            std::thread::sleep(Duration::from_secs(2));
            cluster.send_garbage();
            cluster.kill_node(node);
            std::thread::sleep(Duration::from_millis(700));
            cluster.start_node(node);
        }
        let finished = cluster.wait_load(Duration::from_secs(30));
        assert!(
            finished,
            "the load client did not finish cleanly\n{}",
            cluster.logs()
        );
        cluster.stop();
        pids_seen = cluster.pids.clone();
    }
    #[cfg(target_os = "linux")]
    for pid in &pids_seen {
        assert!(!alive(*pid), "process {pid} outlived the test");
    }
    let history = History::from_jsonl(File::open(&history_file).unwrap()).unwrap();
    let ok = history
        .events()
        .iter()
        .filter(|e| e.kind == lin::EventType::Ok)
        .count();
    assert!(
        ok > 50,
        "only {ok} operations succeeded\n{}",
        cluster.logs()
    );
    if let Err(e) = lin::linearizable(&history, &models::Kv) {
        panic!(
            "the real cluster's history is not linearizable: {e}\n{}",
            cluster.logs()
        );
    }
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}
