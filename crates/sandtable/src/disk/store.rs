//! The contents of one node's disk: what reads see, what is durable, and what a crash keeps.

use std::collections::BTreeMap;
use std::io;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::config::{CrashBehavior, DiskConfig};
use crate::fingerprint::{hash_bytes, EventKind};

/// Mixes a change to a file's contents into the run's fingerprint: the data is part of the run.
fn fingerprint(path: &str, offset: u64, data: &[u8]) {
    let value = hash_bytes(path.as_bytes()).rotate_left(7) ^ offset ^ hash_bytes(data);
    crate::context::try_with(|w| w.mix(EventKind::Disk, value));
}

/// One change not yet synced.
#[derive(Clone, Debug)]
enum Change {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

impl Change {
    fn apply(&self, to: &mut Vec<u8>) {
        match self {
            Change::Write { offset, data } => {
                let start = *offset as usize;
                let end = start + data.len();
                if to.len() < end {
                    to.resize(end, 0);
                }
                to[start..end].copy_from_slice(data);
            }
            Change::SetLen(len) => to.resize(*len as usize, 0),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct FileState {
    /// What reads see.
    data: Vec<u8>,
    /// Content as of the last successful sync.
    durable: Vec<u8>,
    /// Changes since that sync, in order.
    unsynced: Vec<Change>,
}

/// A node's files. File creation, rename and removal are durable at once (as if the directory
/// were synced); file contents are durable only after `sync`.
pub(crate) struct Disk {
    files: BTreeMap<String, FileState>,
    pub config: DiskConfig,
    pub rng: ChaCha8Rng,
    /// Armed by a `CrashDuringIo` fault: the node crashes in its next write or sync.
    pub crash_on_io: bool,
}

pub(crate) fn not_found(path: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no such file: {path:?}"))
}

impl Disk {
    pub(crate) fn new(config: DiskConfig, rng: ChaCha8Rng) -> Self {
        Disk {
            files: BTreeMap::new(),
            config,
            rng,
            crash_on_io: false,
        }
    }

    pub(crate) fn create(&mut self, path: &str, truncate: bool) {
        let f = self.files.entry(path.to_string()).or_default();
        if truncate && !f.data.is_empty() {
            let c = Change::SetLen(0);
            c.apply(&mut f.data);
            f.unsynced.push(c);
        }
    }

    pub(crate) fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    fn file(&mut self, path: &str) -> io::Result<&mut FileState> {
        self.files.get_mut(path).ok_or_else(|| not_found(path))
    }

    pub(crate) fn len(&self, path: &str) -> io::Result<u64> {
        self.files
            .get(path)
            .map(|f| f.data.len() as u64)
            .ok_or_else(|| not_found(path))
    }

    pub(crate) fn read(&mut self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let f = self.file(path)?;
        let start = (offset as usize).min(f.data.len());
        let end = start.saturating_add(len).min(f.data.len());
        Ok(f.data[start..end].to_vec())
    }

    pub(crate) fn write(&mut self, path: &str, offset: u64, data: &[u8]) -> io::Result<()> {
        let f = self.file(path)?;
        fingerprint(path, offset, data);
        let c = Change::Write {
            offset,
            data: data.to_vec(),
        };
        c.apply(&mut f.data);
        f.unsynced.push(c);
        Ok(())
    }

    pub(crate) fn set_len(&mut self, path: &str, len: u64) -> io::Result<()> {
        let f = self.file(path)?;
        fingerprint(path, len, b"set_len");
        let c = Change::SetLen(len);
        c.apply(&mut f.data);
        f.unsynced.push(c);
        Ok(())
    }

    pub(crate) fn sync(&mut self, path: &str) -> io::Result<()> {
        let f = self.file(path)?;
        f.durable = f.data.clone();
        f.unsynced.clear();
        Ok(())
    }

    pub(crate) fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        let f = self.files.remove(from).ok_or_else(|| not_found(from))?;
        self.files.insert(to.to_string(), f);
        Ok(())
    }

    pub(crate) fn remove(&mut self, path: &str) -> io::Result<()> {
        self.files
            .remove(path)
            .map(drop)
            .ok_or_else(|| not_found(path))
    }

    pub(crate) fn list(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    /// Applies crash semantics: each file keeps its durable content plus, when torn writes are
    /// on, a seeded prefix of its unsynced changes (the last one possibly cut short).
    pub(crate) fn crash(&mut self, behaviour: Option<CrashBehavior>) {
        self.crash_on_io = false;
        let torn = behaviour.unwrap_or(self.config.crash) == CrashBehavior::Torn;
        for (path, f) in self.files.iter_mut() {
            if f.unsynced.is_empty() {
                continue;
            }
            let mut kept = std::mem::take(&mut f.durable);
            if torn {
                let n = self.rng.random_range(0..=f.unsynced.len());
                f.unsynced[..n].iter().for_each(|c| c.apply(&mut kept));
                fingerprint(path, n as u64, b"torn: changes kept");
                if let Some(Change::Write { offset, data }) = f.unsynced.get(n) {
                    let cut = self.rng.random_range(0..=data.len());
                    fingerprint(path, cut as u64, b"torn: bytes of the next write kept");
                    Change::Write {
                        offset: *offset,
                        data: data[..cut].to_vec(),
                    }
                    .apply(&mut kept);
                }
            }
            f.data = kept.clone();
            f.durable = kept;
            f.unsynced.clear();
        }
    }
}
