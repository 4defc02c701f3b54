//! The durable state on the node's disk, through `sandtable::disk`: one small file, `state`,
//! holding the voter's promise and the replica's copy, replaced atomically (write, sync,
//! rename) before any message that depends on it is sent.

use std::io;

use serde::{Deserialize, Serialize};

use sandtable::disk;

use crate::core::Durable;
use crate::message::{NodeIdx, Stored};
use crate::voter::Promise;

const STATE: &str = "state";

#[derive(Serialize, Deserialize)]
struct File {
    epoch: u64,
    holder: Option<NodeIdx>,
    stored: Stored,
}

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// What the disk holds (the initial state if nothing was ever saved).
pub async fn load() -> io::Result<Durable> {
    let bytes = match disk::read(STATE).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Durable::default()),
        Err(e) => return Err(e),
    };
    let (file, _): (File, usize) = bincode::serde::decode_from_slice(&bytes, config())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(Durable {
        promise: Promise {
            epoch: file.epoch,
            holder: file.holder,
        },
        stored: file.stored,
    })
}

/// Makes `durable` what the disk holds, atomically.
pub async fn save(durable: &Durable) -> io::Result<()> {
    let file = File {
        epoch: durable.promise.epoch,
        holder: durable.promise.holder,
        stored: durable.stored,
    };
    let bytes =
        bincode::serde::encode_to_vec(&file, config()).expect("the state file always encodes");
    disk::write_atomic(STATE, &bytes).await
}
