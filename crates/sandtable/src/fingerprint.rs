//! The run fingerprint: a running hash over every decision that shapes a run.

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
