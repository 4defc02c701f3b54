//! Per-node simulated disk: files that survive a crash of their node while its memory does not.
//!
//! Writes are visible to reads at once but durable only after [`File::sync`]; a crash loses
//! unsynced writes or, seeded, keeps a torn prefix of them (see [`CrashBehavior`]). Every
//! operation takes virtual time, and storage faults (off by default) are errors the code under
//! test sees. Paths are plain strings, one flat namespace per node.

mod config;
pub(crate) mod store;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;

pub use config::{CrashBehavior, DiskConfig};

use crate::context;
use crate::node::NodeId;
use crate::time::sleep;
use crate::world::World;
use store::Disk;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
    Sync,
    Meta,
}

fn current(w: &World) -> io::Result<(NodeId, u32)> {
    let node = w.current.get().ok_or_else(|| {
        io::Error::other("the disk can only be used from a task of a simulated node")
    })?;
    Ok((node, w.nodes.borrow()[node.index()].incarnation))
}

/// Waits the operation's latency, then runs `f` on the node's disk with faults applied.
async fn op<R>(kind: Kind, f: impl FnOnce(&mut Disk) -> io::Result<R>) -> io::Result<R> {
    let latency = context::with("sandtable::disk", |w| -> io::Result<Duration> {
        let (node, _) = current(w)?;
        let mut nodes = w.nodes.borrow_mut();
        let disk = &mut nodes[node.index()].disk;
        let c = &disk.config;
        Ok(match kind {
            Kind::Read => c.read_latency,
            Kind::Sync => c.sync_latency,
            Kind::Meta => Duration::ZERO,
            Kind::Write => {
                let (p, extra, base) = (
                    c.latency_spike_probability,
                    c.latency_spike,
                    c.write_latency,
                );
                base + if p > 0.0 && disk.rng.random_bool(p) {
                    extra
                } else {
                    Duration::ZERO
                }
            }
        })
    })?;
    if !latency.is_zero() {
        sleep(latency).await;
    }
    // Either the operation's outcome, or the node to crash in the middle of it.
    let outcome = context::with("sandtable::disk", |w| -> io::Result<Result<R, NodeId>> {
        let (node, _) = current(w)?;
        let mut nodes = w.nodes.borrow_mut();
        let disk = &mut nodes[node.index()].disk;
        if disk.crash_on_io && matches!(kind, Kind::Write | Kind::Sync) {
            if kind == Kind::Write {
                // The write reaches the disk (unsynced); the crash decides what survives.
                let _ = f(disk);
            }
            return Ok(Err(node));
        }
        let (read_error, sync_error) = (disk.config.read_error, disk.config.sync_error);
        if kind == Kind::Read && read_error > 0.0 && disk.rng.random_bool(read_error) {
            return Err(io::Error::other("simulated disk read error"));
        }
        if kind == Kind::Sync && sync_error > 0.0 && disk.rng.random_bool(sync_error) {
            return Err(io::Error::other(
                "simulated disk sync failure: data is not durable",
            ));
        }
        f(disk).map(Ok)
    })?;
    match outcome {
        Ok(r) => Ok(r),
        Err(node) => {
            let what = if kind == Kind::Write { "write" } else { "sync" };
            tracing::debug!(target: "sandtable::disk", "crash during a {what}");
            crate::handle::Handle::current().crash(node);
            // The crash takes effect right after this poll; the issuer never sees the I/O end.
            std::future::pending().await
        }
    }
}

/// Flips one byte of `data` with the node's configured corruption probability.
fn maybe_corrupt(disk: &mut Disk, mut data: Vec<u8>) -> Vec<u8> {
    let p = disk.config.corrupt_read;
    if p > 0.0 && !data.is_empty() && disk.rng.random_bool(p) {
        let i = disk.rng.random_range(0..data.len());
        data[i] ^= 1 << disk.rng.random_range(0..8);
    }
    data
}

/// An open file of the current node. Handles do not survive a crash of the node.
#[derive(Debug, Clone)]
pub struct File {
    path: Arc<str>,
    incarnation: u32,
    /// A file of the real backend (then `incarnation` is unused).
    #[cfg(feature = "real")]
    real: Option<Arc<std::fs::File>>,
}

/// On the real backend, runs `$real` and returns its result from the enclosing function.
macro_rules! real {
    (let $pat:pat = $value:expr, $real:expr) => {
        #[cfg(feature = "real")]
        if let $pat = $value {
            return $real;
        }
    };
    ($cond:expr, $real:expr) => {
        #[cfg(feature = "real")]
        if $cond {
            return $real;
        }
    };
}

impl File {
    /// Creates the file, or truncates it if it exists (the truncation is itself unsynced).
    pub async fn create(path: &str) -> io::Result<File> {
        Self::open_with(path, true, true).await
    }

    /// Opens an existing file.
    pub async fn open(path: &str) -> io::Result<File> {
        Self::open_with(path, false, false).await
    }

    /// Opens the file, creating it empty if it does not exist.
    pub async fn open_or_create(path: &str) -> io::Result<File> {
        Self::open_with(path, true, false).await
    }

    async fn open_with(path: &str, create: bool, truncate: bool) -> io::Result<File> {
        real!(crate::real::here(), {
            let file = crate::real::disk::open(path, create, truncate).await?;
            Ok(File {
                path: Arc::from(path),
                incarnation: 0,
                real: Some(file),
            })
        });
        let incarnation = context::with("sandtable::disk::File", |w| current(w).map(|(_, i)| i))?;
        op(Kind::Meta, |d| {
            if create {
                d.create(path, truncate);
            } else if !d.exists(path) {
                return Err(store::not_found(path));
            }
            Ok(())
        })
        .await?;
        Ok(File {
            path: Arc::from(path),
            incarnation,
            #[cfg(feature = "real")]
            real: None,
        })
    }

    fn check(&self) -> io::Result<()> {
        let now = context::with("sandtable::disk::File", |w| current(w).map(|(_, i)| i))?;
        if now != self.incarnation {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                format!(
                    "file handle {:?} is from before a crash of this node",
                    self.path
                ),
            ));
        }
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Reads up to `len` bytes at `offset` (fewer at the end of the file).
    pub async fn read_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        real!(let Some(f) = &self.real, crate::real::disk::read_at(f, offset, len).await);
        self.check()?;
        op(Kind::Read, |d| {
            let data = d.read(&self.path, offset, len)?;
            Ok(maybe_corrupt(d, data))
        })
        .await
    }

    /// Reads the whole file.
    pub async fn read_all(&self) -> io::Result<Vec<u8>> {
        self.read_at(0, usize::MAX).await
    }

    /// Writes `data` at `offset`, extending the file with zeros if needed. Not durable until sync.
    pub async fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        real!(let Some(f) = &self.real, crate::real::disk::write_at(f, offset, data).await);
        self.check()?;
        op(Kind::Write, |d| d.write(&self.path, offset, data)).await
    }

    /// Appends `data`; returns the offset it was written at.
    pub async fn append(&self, data: &[u8]) -> io::Result<u64> {
        real!(let Some(f) = &self.real, crate::real::disk::append(f, data).await);
        self.check()?;
        op(Kind::Write, |d| {
            let at = d.len(&self.path)?;
            d.write(&self.path, at, data).map(|()| at)
        })
        .await
    }

    /// Truncates or extends the file to `len` bytes. Not durable until sync.
    pub async fn set_len(&self, len: u64) -> io::Result<()> {
        real!(let Some(f) = &self.real, crate::real::disk::set_len(f, len).await);
        self.check()?;
        op(Kind::Write, |d| d.set_len(&self.path, len)).await
    }

    /// Makes every write so far durable.
    pub async fn sync(&self) -> io::Result<()> {
        real!(let Some(f) = &self.real, crate::real::disk::sync(f).await);
        self.check()?;
        op(Kind::Sync, |d| d.sync(&self.path)).await
    }

    /// Current length in bytes.
    pub fn len(&self) -> io::Result<u64> {
        real!(let Some(f) = &self.real, crate::real::disk::len(f));
        self.check()?;
        context::with("sandtable::disk::File::len", |w| {
            let (node, _) = current(w)?;
            w.nodes.borrow()[node.index()].disk.len(&self.path)
        })
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> io::Result<bool> {
        self.len().map(|n| n == 0)
    }
}

/// Renames a file (durable at once).
pub async fn rename(from: &str, to: &str) -> io::Result<()> {
    real!(
        crate::real::here(),
        crate::real::disk::rename(from, to).await
    );
    op(Kind::Meta, |d| d.rename(from, to)).await
}

/// Removes a file (durable at once).
pub async fn remove(path: &str) -> io::Result<()> {
    real!(crate::real::here(), crate::real::disk::remove(path).await);
    op(Kind::Meta, |d| d.remove(path)).await
}

/// Every file of the current node, sorted.
pub async fn list() -> io::Result<Vec<String>> {
    real!(crate::real::here(), crate::real::disk::list().await);
    op(Kind::Meta, |d| Ok(d.list())).await
}

/// Whether `path` exists on the current node.
pub async fn exists(path: &str) -> io::Result<bool> {
    real!(crate::real::here(), crate::real::disk::exists(path).await);
    op(Kind::Meta, |d| Ok(d.exists(path))).await
}

/// Reads a whole file.
pub async fn read(path: &str) -> io::Result<Vec<u8>> {
    File::open(path).await?.read_all().await
}

/// Creates (or truncates) `path`, writes `data` and syncs it: durable when this returns Ok.
///
/// Not atomic: a crash before the sync may leave the file empty or torn — the previous
/// content included (truncation is itself an unsynced change). To replace a file's content
/// safely, use [`write_atomic`].
pub async fn write_synced(path: &str, data: &[u8]) -> io::Result<()> {
    let f = File::create(path).await?;
    f.write_at(0, data).await?;
    f.sync().await
}

/// Replaces `path`'s content with `data` atomically and durably: writes and syncs
/// `<path>.tmp`, then renames it over `path`. After a crash, `path` holds either its previous
/// content or `data`, never a mix.
pub async fn write_atomic(path: &str, data: &[u8]) -> io::Result<()> {
    let tmp = format!("{path}.tmp");
    write_synced(&tmp, data).await?;
    rename(&tmp, path).await
}
