//! [`Mutex`]: a lock with acquire and release, as Knossos's `mutex` model.

use crate::model::partition_by_key;
use crate::models::shape::unknown_f;
use crate::{Interner, Model, Op, Partition, ShapeError};

/// A compiled mutex operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MutexOp {
    /// Take the lock: only possible while it is free.
    Acquire,
    /// Give the lock back: only possible while it is held.
    Release,
}

/// A lock per key, free initially: `acquire` succeeds only while the lock is free and
/// `release` only while it is held (values are ignored; `lock` and `unlock` are accepted too).
/// As in Knossos's `mutex` model, the holder is not tracked: a release by another process than
/// the acquirer is allowed (Jepsen gives a crashed client's successor a new process id, so an
/// owner check would reject correct histories). Partitioned per key.
///
/// Two clients holding the lock at once shows as a history where no order fits:
///
/// ```
/// use sandtable_check::{check, models::Mutex, CheckOptions, Recorder, Value, Verdict};
///
/// let rec = Recorder::new();
/// let a = rec.invoke(0, "acquire", None, Value::Null, None);
/// let b = rec.invoke(1, "acquire", None, Value::Null, None);
/// rec.ok(a, Value::Null, None);
/// rec.ok(b, Value::Null, None); // both hold the lock: no order of the two fits
/// let result = check(&rec.history(), &Mutex, &CheckOptions::default());
/// assert_eq!(result.verdict, Verdict::NotLinearizable);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Mutex;

impl Model for Mutex {
    /// Whether the lock is held.
    type State = bool;
    type Input = MutexOp;

    fn name(&self) -> &str {
        "mutex"
    }

    fn init(&self) -> bool {
        false
    }

    fn prepare(&self, op: &Op, _: &mut Interner) -> Result<MutexOp, ShapeError> {
        match op.f.as_str() {
            "acquire" | "lock" => Ok(MutexOp::Acquire),
            "release" | "unlock" => Ok(MutexOp::Release),
            _ => Err(unknown_f("mutex", op, "acquire or release")),
        }
    }

    fn step(&self, held: &bool, input: &MutexOp) -> Option<bool> {
        match input {
            MutexOp::Acquire => (!held).then_some(true),
            MutexOp::Release => held.then_some(false),
        }
    }

    fn needs(&self, input: &MutexOp) -> Option<bool> {
        Some(*input == MutexOp::Release)
    }

    fn sets(&self, input: &MutexOp) -> Option<bool> {
        Some(*input == MutexOp::Acquire)
    }

    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        partition_by_key(ops)
    }

    fn describe(&self, held: &bool, _: &Interner) -> String {
        if *held { "held" } else { "free" }.to_string()
    }

    fn why_not(&self, held: &bool, input: &MutexOp, _: &Interner) -> String {
        match input {
            MutexOp::Acquire => "the lock is held, but the acquire succeeded".to_string(),
            MutexOp::Release if !held => "the lock is free, but the release succeeded".to_string(),
            MutexOp::Release => "the lock is held".to_string(),
        }
    }
}
