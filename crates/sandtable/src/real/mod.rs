//! The real backend (cargo feature `real`): outside a simulation, the APIs protocol code calls —
//! `sandtable::{task, time, net, disk, rand}` — answer from tokio (a current-thread runtime with
//! a `LocalSet`, so `task::spawn` takes futures that are not `Send`), the OS clocks, real UDP and
//! TCP sockets, and files under a data directory with real `fsync` and atomic rename.
//!
//! Protocol code has no `cfg` switch and no backend parameter: the same `async fn` runs in a
//! [`Sim`](crate::Sim) and here. Which backend answers is decided per call: a simulation entered
//! on the thread wins; otherwise the [`Runtime`] running on the thread answers; with neither,
//! the call panics naming itself.
//!
//! ```no_run
//! use sandtable::real::{ClusterMap, Config, Runtime};
//!
//! let cluster: ClusterMap = "n1=127.0.0.1:7001,n2=127.0.0.1:7002".parse().unwrap();
//! let rt = Runtime::new(Config::new("n1").cluster(cluster).data_dir("./data/n1")).unwrap();
//! rt.block_on(async {
//!     // The same code a simulated node runs: names resolve through the cluster map.
//!     let socket = sandtable::net::UdpSocket::bind(("0.0.0.0", 7001)).await.unwrap();
//!     socket.send_to(b"hello", ("n2", 7002)).await.unwrap();
//! });
//! ```
//!
//! What the real backend does not have: fault injection (`Handle`, the nemesis, link models
//! and partitions need a simulation; `buggify!()` is always false here) and determinism (time
//! and scheduling are the machine's; [`Config::seed`] fixes only `sandtable::rand`'s stream).

pub(crate) mod disk;
pub(crate) mod net;
pub(crate) mod task;
pub(crate) mod time;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::str::FromStr;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;

/// Node names and their socket addresses: how `("n2", port)` and [`lookup`](crate::net::lookup)
/// resolve on a real network. A name resolves to its entry's IP address (the port is the
/// caller's, as with DNS); [`ClusterMap::addr`] gives the whole entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterMap {
    nodes: BTreeMap<String, SocketAddr>,
}

/// A cluster map that could not be read, naming the entry that was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cluster map entry {entry:?}: {why} (expected name=ip:port, entries separated by commas)")]
pub struct ClusterMapError {
    /// The offending entry.
    pub entry: String,
    /// What is wrong with it.
    pub why: String,
}

impl ClusterMap {
    /// An empty map.
    pub fn new() -> ClusterMap {
        ClusterMap::default()
    }

    /// Adds (or replaces) `name`'s address.
    pub fn insert(&mut self, name: impl Into<String>, addr: SocketAddr) -> &mut Self {
        self.nodes.insert(name.into(), addr);
        self
    }

    /// `name`'s address (IP and port), if the map has it.
    pub fn addr(&self, name: &str) -> Option<SocketAddr> {
        self.nodes.get(name).copied()
    }

    /// The names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.nodes.keys().map(String::as_str)
    }

    /// The entries, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, SocketAddr)> {
        self.nodes.iter().map(|(n, a)| (n.as_str(), *a))
    }

    /// The IP address of `name`, or an error that names it and the names the map has.
    pub fn resolve(&self, name: &str) -> io::Result<IpAddr> {
        self.addr(name).map(|a| a.ip()).ok_or_else(|| {
            let known: Vec<&str> = self.names().collect();
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "node name {name:?} is not in the cluster map (it has: {})",
                    if known.is_empty() {
                        "no names".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
            )
        })
    }
}

impl FromStr for ClusterMap {
    type Err = ClusterMapError;

    /// `n1=127.0.0.1:7001,n2=127.0.0.1:7002`: entries separated by commas or newlines, spaces
    /// around them ignored, `#` starting a comment to the end of the line (so a config file
    /// with one entry per line reads the same way).
    fn from_str(s: &str) -> Result<ClusterMap, ClusterMapError> {
        let mut map = ClusterMap::new();
        let entries = s
            .lines()
            .map(|line| line.split_once('#').map_or(line, |(before, _)| before))
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .filter(|e| !e.is_empty());
        for entry in entries {
            let bad = |why: &str| ClusterMapError {
                entry: entry.to_string(),
                why: why.to_string(),
            };
            let (name, addr) = entry.split_once('=').ok_or_else(|| bad("no '='"))?;
            let name = name.trim();
            if name.is_empty() {
                return Err(bad("the name is empty"));
            }
            let addr: SocketAddr = addr
                .trim()
                .parse()
                .map_err(|_| bad("the address is not ip:port"))?;
            if map.nodes.insert(name.to_string(), addr).is_some() {
                return Err(bad("the name appears twice"));
            }
        }
        Ok(map)
    }
}

impl ClusterMap {
    /// Reads a cluster map file (one `name=ip:port` per line, `#` comments), naming the file in
    /// any error.
    pub fn read(path: impl AsRef<Path>) -> io::Result<ClusterMap> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot read cluster map {}: {e}", path.display()),
            )
        })?;
        text.parse().map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("cluster map {}: {e}", path.display()),
            )
        })
    }

    /// A `--peers` flag's value: the map itself, or `@path` to read it from a file.
    pub fn from_flag(value: &str) -> Result<ClusterMap, String> {
        match value.strip_prefix('@') {
            Some(path) => ClusterMap::read(path).map_err(|e| e.to_string()),
            None => value.parse().map_err(|e: ClusterMapError| e.to_string()),
        }
    }
}

impl fmt::Display for ClusterMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, addr)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{name}={addr}")?;
        }
        Ok(())
    }
}

/// What a real node needs: its name, the cluster map, where its files live, and optionally the
/// seed of its `sandtable::rand` stream.
#[derive(Clone, Debug)]
pub struct Config {
    name: String,
    cluster: ClusterMap,
    data_dir: Option<PathBuf>,
    seed: Option<u64>,
}

impl Config {
    /// A node called `name` with an empty cluster map, no data directory (the disk API then
    /// refuses, naming the missing setting) and an OS-seeded random stream.
    pub fn new(name: impl Into<String>) -> Config {
        Config {
            name: name.into(),
            cluster: ClusterMap::new(),
            data_dir: None,
            seed: None,
        }
    }

    /// The names this node can resolve.
    pub fn cluster(mut self, cluster: ClusterMap) -> Config {
        self.cluster = cluster;
        self
    }

    /// The directory `sandtable::disk` paths are relative to (created if missing).
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Config {
        self.data_dir = Some(dir.into());
        self
    }

    /// Seeds `sandtable::rand` (default: from the OS).
    pub fn seed(mut self, seed: u64) -> Config {
        self.seed = Some(seed);
        self
    }
}

/// What the free functions find on a thread that runs a [`Runtime`].
pub(crate) struct State {
    pub name: String,
    pub cluster: ClusterMap,
    pub data_dir: Option<PathBuf>,
    /// Lent out by `rand::with_rng` while its closure runs (None then).
    pub rng: RefCell<Option<Box<ChaCha8Rng>>>,
    pub next_task: Cell<u64>,
    /// Woken tasks, for the driver.
    pub queue: std::sync::Arc<task::Queue>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<State>>> = const { RefCell::new(None) };
}

/// A real node: a tokio current-thread runtime with a `LocalSet`, and the node's settings.
pub struct Runtime {
    tokio: tokio::runtime::Runtime,
    state: Rc<State>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("name", &self.state.name)
            .field("cluster", &self.state.cluster)
            .field("data_dir", &self.state.data_dir)
            .finish()
    }
}

impl Runtime {
    /// Starts the runtime; creates the data directory if one is set.
    pub fn new(config: Config) -> io::Result<Runtime> {
        time::base(); // the process's monotonic origin, before anything reads it
        if let Some(dir) = &config.data_dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot create the data directory {}: {e}", dir.display()),
                )
            })?;
        }
        let rng = match config.seed {
            Some(seed) => ChaCha8Rng::seed_from_u64(seed),
            None => ChaCha8Rng::from_os_rng(),
        };
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Runtime {
            tokio,
            state: Rc::new(State {
                name: config.name,
                cluster: config.cluster,
                data_dir: config.data_dir,
                rng: RefCell::new(Some(Box::new(rng))),
                next_task: Cell::new(0),
                queue: task::Queue::new(),
            }),
        })
    }

    /// Runs `future` (and every task it spawns) on this thread until it completes. Tasks still
    /// running then are dropped with the runtime's `LocalSet`.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            !crate::in_simulation(),
            "sandtable::real::Runtime::block_on was called inside a simulation"
        );
        let _enter = Enter::new(self.state.clone());
        let local = tokio::task::LocalSet::new();
        let queue = self.state.queue.clone();
        let driver = local.spawn_local(queue.drive());
        let out = local.block_on(&self.tokio, future);
        driver.abort();
        out
    }

    /// This node's name.
    pub fn name(&self) -> &str {
        &self.state.name
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // Tasks still queued are dropped on this thread; later wakes leak theirs.
        let _enter = Enter::new(self.state.clone());
        self.state.queue.close();
    }
}

/// Makes `state` the thread's real runtime until dropped (restoring the previous one).
struct Enter {
    previous: Option<Rc<State>>,
}

impl Enter {
    fn new(state: Rc<State>) -> Enter {
        Enter {
            previous: CURRENT.with(|c| c.borrow_mut().replace(state)),
        }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = previous);
    }
}

/// Runs `f` with the thread's real runtime, or returns None when there is none.
pub(crate) fn try_with<R>(f: impl FnOnce(&State) -> R) -> Option<R> {
    let state = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()?;
    Some(f(&state))
}

/// True when the real backend answers on this thread: a runtime runs it and no simulation is
/// entered (a simulation always wins).
pub(crate) fn here() -> bool {
    !crate::context::in_simulation() && CURRENT.try_with(|c| c.borrow().is_some()).unwrap_or(false)
}

/// Runs `f` with the thread's real runtime, panicking with `what` when there is none.
#[track_caller]
pub(crate) fn with<R>(what: &str, f: impl FnOnce(&State) -> R) -> R {
    try_with(f).unwrap_or_else(|| crate::context::outside(what))
}

/// The name of the node this thread runs as a real process, if any.
pub fn node_name() -> Option<String> {
    try_with(|s| s.name.clone())
}

/// The data directory of the real runtime on this thread.
pub(crate) fn data_dir() -> io::Result<PathBuf> {
    with("sandtable::disk", |s| s.data_dir.clone()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "sandtable::disk on the real backend needs a data directory \
             (sandtable::real::Config::data_dir)",
        )
    })
}

/// `dir/name` for a disk path, refusing paths that would leave the data directory.
pub(crate) fn file_path(dir: &Path, name: &str) -> io::Result<PathBuf> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "disk path {name:?}: sandtable::disk paths are plain file names \
                 (one flat namespace per node, no '/')"
            ),
        ));
    }
    Ok(dir.join(name))
}
