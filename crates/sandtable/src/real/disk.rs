//! Files of the real backend: plain files in the runtime's data directory, each operation run on
//! tokio's blocking pool. `sync` is `fsync`; creating, renaming and removing a file also syncs
//! the directory, so the name change itself is durable (what the simulated disk promises).

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Runs `f` on tokio's blocking pool.
async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> io::Result<R> + Send + 'static,
) -> io::Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| io::Error::other(format!("sandtable::disk: the I/O thread failed: {e}")))?
}

fn path_of(name: &str) -> io::Result<PathBuf> {
    super::file_path(&super::data_dir()?, name)
}

/// Makes the directory's entries (a created, renamed or removed name) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn named(e: io::Error, name: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{name:?}: {e}"))
}

/// Opens (or creates, or truncates) `name`.
pub(crate) async fn open(
    name: &str,
    create: bool,
    truncate: bool,
) -> io::Result<Arc<std::fs::File>> {
    let path = path_of(name)?;
    let owned = name.to_string();
    blocking(move || {
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(truncate)
            .open(&path)
            .map_err(|e| named(e, &owned))?;
        if create && !existed {
            if let Some(dir) = path.parent() {
                sync_dir(dir)?;
            }
        }
        Ok(Arc::new(file))
    })
    .await
}

pub(crate) async fn read_at(
    file: &Arc<std::fs::File>,
    offset: u64,
    len: usize,
) -> io::Result<Vec<u8>> {
    let file = file.clone();
    blocking(move || {
        let size = file.metadata()?.len();
        let end = size.min(offset.saturating_add(len as u64));
        let mut buf = vec![0u8; end.saturating_sub(offset) as usize];
        file.read_exact_at(&mut buf, offset)?;
        Ok(buf)
    })
    .await
}

pub(crate) async fn write_at(
    file: &Arc<std::fs::File>,
    offset: u64,
    data: &[u8],
) -> io::Result<()> {
    let (file, data) = (file.clone(), data.to_vec());
    blocking(move || file.write_all_at(&data, offset)).await
}

pub(crate) async fn append(file: &Arc<std::fs::File>, data: &[u8]) -> io::Result<u64> {
    let (file, data) = (file.clone(), data.to_vec());
    blocking(move || {
        let at = file.metadata()?.len();
        file.write_all_at(&data, at)?;
        Ok(at)
    })
    .await
}

pub(crate) async fn set_len(file: &Arc<std::fs::File>, len: u64) -> io::Result<()> {
    let file = file.clone();
    blocking(move || file.set_len(len)).await
}

pub(crate) async fn sync(file: &Arc<std::fs::File>) -> io::Result<()> {
    let file = file.clone();
    blocking(move || file.sync_all()).await
}

pub(crate) fn len(file: &std::fs::File) -> io::Result<u64> {
    Ok(file.metadata()?.len())
}

pub(crate) async fn rename(from: &str, to: &str) -> io::Result<()> {
    let (a, b) = (path_of(from)?, path_of(to)?);
    let what = format!("renaming {from:?} to {to:?}");
    blocking(move || {
        std::fs::rename(&a, &b).map_err(|e| io::Error::new(e.kind(), format!("{what}: {e}")))?;
        match b.parent() {
            Some(dir) => sync_dir(dir),
            None => Ok(()),
        }
    })
    .await
}

pub(crate) async fn remove(name: &str) -> io::Result<()> {
    let path = path_of(name)?;
    let owned = name.to_string();
    blocking(move || {
        std::fs::remove_file(&path).map_err(|e| named(e, &owned))?;
        match path.parent() {
            Some(dir) => sync_dir(dir),
            None => Ok(()),
        }
    })
    .await
}

pub(crate) async fn list() -> io::Result<Vec<String>> {
    let dir = super::data_dir()?;
    blocking(move || {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                if let Some(name) = entry.file_name().to_str() {
                    names.push(name.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    })
    .await
}

pub(crate) async fn exists(name: &str) -> io::Result<bool> {
    let path = path_of(name)?;
    blocking(move || path.try_exists()).await
}
