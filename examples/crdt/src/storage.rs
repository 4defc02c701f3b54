//! The replica's state on its disk (`sandtable::disk`): one file, replaced atomically (written
//! and synced beside, then renamed over), so a crash at any point leaves either the previous
//! state or the new one.

use std::io;

use sandtable::disk;

use crate::store::Store;

const STATE: &str = "crdt-state";

/// Makes `store` durable: when this returns `Ok`, a restart recovers it.
pub async fn save(store: &Store) -> io::Result<()> {
    let bytes = sandtable::net::encode(store).map_err(io::Error::other)?;
    disk::write_atomic(STATE, &bytes).await
}

/// The state saved last, or an empty one on a fresh disk.
pub async fn load() -> io::Result<Store> {
    if !disk::exists(STATE).await? {
        return Ok(Store::default());
    }
    let bytes = disk::read(STATE).await?;
    sandtable::net::decode(&bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}
