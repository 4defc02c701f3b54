//! [`Recorder`]: builds a history while a test runs.

use std::sync::{Arc, Mutex, MutexGuard};

use rustc_hash::FxHashMap;

use crate::{Event, EventType, History, Value};

/// A token for an invoked operation, returned by [`Recorder::invoke`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OpId(usize);

/// Records events from concurrent clients into a [`History`].
///
/// Cheap to clone and `Send`: clones share one log. Each process must run one
/// operation at a time; after completing an operation with `info` a process
/// may invoke again (it counts as a fresh operation).
///
/// # Panics
///
/// Misuse is a bug in the test, so it panics at the call that misbehaves:
/// invoking while the process has an operation in flight, or completing an
/// operation twice.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    inner: Arc<Mutex<Log>>,
}

#[derive(Debug, Default)]
struct Log {
    events: Vec<Event>,
    in_flight: FxHashMap<u64, usize>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records an invocation and returns the token to complete it with.
    pub fn invoke(
        &self,
        process: u64,
        f: &str,
        key: Option<Value>,
        value: Value,
        time_ns: Option<u64>,
    ) -> OpId {
        let mut log = self.log();
        let index = log.events.len();
        if let Some(&pending) = log.in_flight.get(&process) {
            panic!(
                "Recorder: process {process} invokes {f:?} while its {:?} (event {pending}) is still in flight",
                log.events[pending].f
            );
        }
        log.in_flight.insert(process, index);
        log.events.push(Event {
            process,
            kind: EventType::Invoke,
            f: f.to_string(),
            key,
            value,
            time: time_ns,
            line: None,
        });
        OpId(index)
    }

    /// Records that the operation completed and took effect, with `value`
    /// (what a read returned; the written value for a write).
    pub fn ok(&self, id: OpId, value: Value, time_ns: Option<u64>) {
        self.complete(id, EventType::Ok, Some(value), time_ns);
    }

    /// Records that the operation definitely did not take effect.
    pub fn fail(&self, id: OpId, time_ns: Option<u64>) {
        self.complete(id, EventType::Fail, None, time_ns);
    }

    /// Records that the outcome is unknown (timeout, crash).
    pub fn info(&self, id: OpId, time_ns: Option<u64>) {
        self.complete(id, EventType::Info, None, time_ns);
    }

    fn complete(&self, id: OpId, kind: EventType, value: Option<Value>, time: Option<u64>) {
        let mut log = self.log();
        let invoke = log.events[id.0].clone();
        if log.in_flight.get(&invoke.process) != Some(&id.0) {
            panic!(
                "Recorder: operation {id:?} ({:?}) was already completed",
                invoke.f
            );
        }
        log.in_flight.remove(&invoke.process);
        log.events.push(Event {
            kind,
            value: value.unwrap_or(invoke.value),
            time,
            line: None,
            ..invoke
        });
    }

    /// Number of events recorded so far.
    pub fn len(&self) -> usize {
        self.log().events.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of the history so far. Operations still in flight count as
    /// having unknown outcome.
    pub fn history(&self) -> History {
        let events = self.log().events.clone();
        History::from_events(events).expect("the recorder enforces well-formed histories")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OpStatus;

    #[test]
    fn records_a_history() {
        let rec = Recorder::new();
        let a = rec.invoke(0, "write", None, Value::from(1), Some(10));
        let other = rec.clone();
        let b = other.invoke(1, "read", None, Value::Null, None);
        rec.ok(a, Value::from(1), Some(20));
        other.ok(b, Value::from(1), None);
        let c = rec.invoke(0, "cas", Some("x".into()), vec![1, 2].into(), None);
        rec.info(c, None);
        let h = rec.history();
        assert_eq!(h.events().len(), 6);
        assert_eq!(h.ops()[1].output, Some(Value::from(1)));
        assert_eq!(h.ops()[2].status, OpStatus::Info);
        assert_eq!(h.events()[5].value, Value::from(vec![1, 2]));
    }

    #[test]
    #[should_panic(expected = "still in flight")]
    fn two_in_flight_panics() {
        let rec = Recorder::new();
        rec.invoke(0, "read", None, Value::Null, None);
        rec.invoke(0, "read", None, Value::Null, None);
    }

    #[test]
    fn is_send() {
        fn assert_send<T: Send + Sync>() {}
        assert_send::<Recorder>();
    }
}
