//! A node's copy of the register: it takes a write only if the write is newer than what it
//! holds, so a slow write of an old leader, arriving after a newer leader wrote, is refused
//! (and tells that old leader that a newer one exists). The copy is durable: the shell
//! persists it before acknowledging.

use crate::message::{Stored, Version};

/// What a replica answers a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accept {
    /// It holds the write now; `durable` when its copy changed and must be persisted first.
    Taken {
        /// The copy changed.
        durable: bool,
    },
    /// It holds a newer version.
    Newer(Version),
}

/// One node's copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replica {
    stored: Stored,
}

impl Replica {
    /// A replica holding `stored` (from its disk).
    pub fn new(stored: Stored) -> Replica {
        Replica { stored }
    }

    /// The copy.
    pub fn stored(&self) -> Stored {
        self.stored
    }

    /// Takes `write` if it is not older than the copy.
    pub fn store(&mut self, write: Stored) -> Accept {
        if write.version < self.stored.version {
            return Accept::Newer(self.stored.version);
        }
        // One leader per epoch writes each sequence number once: an equal version is a
        // duplicate of the same write.
        let durable = write.version > self.stored.version;
        self.stored = write;
        Accept::Taken { durable }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(epoch: u64, seq: u64, value: i64) -> Stored {
        Stored {
            version: Version { epoch, seq },
            value: Some(value),
        }
    }

    #[test]
    fn newer_writes_replace_older_ones_are_refused() {
        let mut r = Replica::default();
        assert_eq!(r.store(at(1, 3, 10)), Accept::Taken { durable: true });
        assert_eq!(r.store(at(1, 3, 10)), Accept::Taken { durable: false });
        assert_eq!(r.store(at(2, 0, 10)), Accept::Taken { durable: true });
        assert_eq!(
            r.store(at(1, 9, 99)),
            Accept::Newer(Version { epoch: 2, seq: 0 })
        );
        assert_eq!(r.stored(), at(2, 0, 10));
    }
}
