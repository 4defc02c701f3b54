//! The run fingerprint: a running hash over every decision that shapes a run, and over the data
//! the run produces (datagram payloads, disk writes, a crash's torn prefix; in checking mode also
//! how far each node's random stream has been drawn), so that two runs that differ only in bytes
//! differ in their fingerprints too.

use std::cell::{Cell, RefCell};
use std::fmt;

/// What kind of decision an event in the fingerprint was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventKind {
    /// A task was chosen and polled (value: task id).
    Poll,
    /// A timer fired (value: timer sequence number).
    Timer,
    /// A message was delivered to a socket (value: packet id).
    Deliver,
    /// A message was dropped (value: packet id).
    Drop,
    /// A message was sent (value: packet id).
    Send,
    /// A node was crashed, restarted, paused or resumed (value: node index).
    Node,
    /// A scheduled action ran (value: action sequence number).
    Action,
    /// A `buggify` decision or another user-visible random choice (value: the choice).
    Choice,
    /// The bytes of the datagram just sent or dropped at send (value: a 64-bit hash of them).
    Payload,
    /// Data written to a node's disk, or what a crash kept of unsynced writes (value: a hash
    /// of the file name, offset and bytes, or of the seeded tear).
    Disk,
    /// How far the polled node's random stream has been drawn, when a poll drew from it
    /// (value: the stream's word position; mixed only in the determinism checking mode,
    /// [`OsCalls::Report`](crate::OsCalls) or [`OsCalls::Simulate`](crate::OsCalls)).
    Rng,
}

/// One recorded event: when it happened (true virtual time, ns), what, and its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedEvent {
    /// True virtual time in nanoseconds.
    pub time_ns: u64,
    /// The kind of decision.
    pub kind: EventKind,
    /// The value mixed into the fingerprint.
    pub value: u64,
}

impl fmt::Display for LoggedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>12.6}s {:?} {}",
            self.time_ns as f64 / 1e9,
            self.kind,
            self.value
        )
    }
}

/// The running hash and, when asked for, the full event log used to locate divergence.
#[derive(Default)]
pub(crate) struct Fingerprint {
    hash: Cell<u64>,
    count: Cell<u64>,
    /// Whether `log` is kept: checked before touching the `RefCell` on the hot path.
    recording: bool,
    log: RefCell<Option<Vec<LoggedEvent>>>,
}

const K: u64 = 0x9E37_79B9_7F4A_7C15;

impl Fingerprint {
    pub(crate) fn new(record: bool) -> Self {
        Fingerprint {
            hash: Cell::new(0xcbf2_9ce4_8422_2325),
            count: Cell::new(0),
            recording: record,
            log: RefCell::new(record.then(Vec::new)),
        }
    }

    #[inline]
    pub(crate) fn mix(&self, time_ns: u64, kind: EventKind, value: u64) {
        let x = value ^ ((kind as u64) << 56) ^ time_ns.rotate_left(17);
        let h = (self.hash.get().rotate_left(5) ^ x).wrapping_mul(K);
        self.hash.set(h);
        self.count.set(self.count.get() + 1);
        if !self.recording {
            return;
        }
        if let Some(log) = self.log.borrow_mut().as_mut() {
            log.push(LoggedEvent {
                time_ns,
                kind,
                value,
            });
        }
    }

    pub(crate) fn value(&self) -> u64 {
        self.hash.get()
    }

    pub(crate) fn count(&self) -> u64 {
        self.count.get()
    }

    pub(crate) fn take_log(&self) -> Option<Vec<LoggedEvent>> {
        self.log.borrow_mut().take()
    }
}

/// A fast, seedless 64-bit hash of `data` (8 bytes per step, then a final avalanche): what the
/// fingerprint records of a payload or a disk write. Not a cryptographic hash; stable across
/// processes, runs and versions of the standard library.
#[inline]
pub(crate) fn hash_bytes(data: &[u8]) -> u64 {
    const M: u64 = 0xff51_afd7_ed55_8ccd;
    let mut h = (data.len() as u64).wrapping_mul(K);
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("chunks of 8"));
        h = (h ^ w).wrapping_mul(M).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut tail = [0u8; 8];
        tail[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(tail))
            .wrapping_mul(M)
            .rotate_left(29);
    }
    // murmur3's finaliser: every input bit reaches every output bit.
    h ^= h >> 33;
    h = h.wrapping_mul(M);
    h ^ (h >> 33)
}

/// Where two event logs first differ: the index and the two events (None where a log ended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// Index of the first differing event.
    pub index: usize,
    /// The event in the first log at that index.
    pub left: Option<LoggedEvent>,
    /// The event in the second log at that index.
    pub right: Option<LoggedEvent>,
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show =
            |e: &Option<LoggedEvent>| e.map_or("<end of run>".to_string(), |e| e.to_string());
        write!(
            f,
            "runs diverge at event #{}: first run had [{}], second run had [{}]",
            self.index,
            show(&self.left),
            show(&self.right)
        )
    }
}

/// Finds the first event at which two recorded runs differ, or None if they are identical.
pub fn first_divergence(a: &[LoggedEvent], b: &[LoggedEvent]) -> Option<Divergence> {
    let index = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len()).then(|| a.len().min(b.len())))?;
    Some(Divergence {
        index,
        left: a.get(index).copied(),
        right: b.get(index).copied(),
    })
}

#[cfg(test)]
mod tests {
    use super::hash_bytes;

    #[test]
    fn the_payload_hash_is_pinned_and_sees_every_byte() {
        // Pinned: the fingerprint of a run must not change with the toolchain or the process.
        assert_eq!(hash_bytes(b""), hash_bytes(&[]));
        assert_eq!(hash_bytes(b"ping"), 0xa575_be18_f541_2275);
        let base = b"0123456789abcdefXYZ".to_vec();
        for i in 0..base.len() {
            for bit in 0..8 {
                let mut v = base.clone();
                v[i] ^= 1 << bit;
                assert_ne!(hash_bytes(&v), hash_bytes(&base), "byte {i} bit {bit}");
            }
        }
        // A trailing zero is data too.
        assert_ne!(hash_bytes(b"ab"), hash_bytes(b"ab\0"));
    }
}
