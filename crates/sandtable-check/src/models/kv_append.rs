//! [`KvAppend`]: a string key-value store with get, put and append.

use std::sync::Arc;

use crate::model::partition_by_key;
use crate::models::shape::{carried, read_value, unknown_f};
use crate::{Interner, Model, Op, Partition, ShapeError, Value};

/// A compiled key-value operation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KvAppendOp {
    /// A get that returned this string.
    Get(Arc<str>),
    /// A get with unknown outcome.
    UnknownGet,
    /// Replace the value.
    Put(Arc<str>),
    /// Append to the value.
    Append(Arc<str>),
}

/// A string value per key, `""` initially (like the MIT 6.824 key-value
/// lab): `get` (`ok` value = the string read; `null` reads as `""`), `put`
/// and `append` (value = the string). Partitioned per key.
#[derive(Debug, Clone, Copy, Default)]
pub struct KvAppend;

fn string(v: &Value, what: &str) -> Result<Arc<str>, ShapeError> {
    match v {
        Value::Null => Ok(Arc::from("")),
        Value::Str(s) => Ok(Arc::from(s.as_str())),
        other => Err(ShapeError::new(format!(
            "{what} must be a string, found {other}"
        ))),
    }
}

impl Model for KvAppend {
    type State = Arc<str>;
    type Input = KvAppendOp;

    fn name(&self) -> &str {
        "kv-append"
    }

    fn init(&self) -> Arc<str> {
        Arc::from("")
    }

    fn prepare(&self, op: &Op, _: &mut Interner) -> Result<KvAppendOp, ShapeError> {
        match op.f.as_str() {
            "get" => match read_value(op) {
                None => Ok(KvAppendOp::UnknownGet),
                Some(v) => Ok(KvAppendOp::Get(string(v, "get value")?)),
            },
            "put" => Ok(KvAppendOp::Put(string(carried(op)?, "put value")?)),
            "append" => Ok(KvAppendOp::Append(string(carried(op)?, "append value")?)),
            _ => Err(unknown_f("kv-append", op, "get, put or append")),
        }
    }

    fn step(&self, state: &Arc<str>, input: &KvAppendOp) -> Option<Arc<str>> {
        match input {
            KvAppendOp::Get(v) => (v == state).then(|| state.clone()),
            KvAppendOp::UnknownGet => Some(state.clone()),
            KvAppendOp::Put(v) => Some(v.clone()),
            KvAppendOp::Append(v) => {
                let mut s = String::with_capacity(state.len() + v.len());
                s.push_str(state);
                s.push_str(v);
                Some(Arc::from(s))
            }
        }
    }

    /// Answered without building the string in between: only a get can fail.
    fn enables(&self, state: &Arc<str>, input: &KvAppendOp, then: &KvAppendOp) -> bool {
        let KvAppendOp::Get(v) = then else {
            // Puts, appends and unknown gets succeed in every state.
            return !matches!(input, KvAppendOp::Get(w) if w != state);
        };
        match input {
            KvAppendOp::Append(a) => {
                v.len() == state.len() + a.len() && v.starts_with(&**state) && v.ends_with(&**a)
            }
            KvAppendOp::Put(a) => a == v,
            KvAppendOp::Get(w) => w == state && v == state,
            KvAppendOp::UnknownGet => v == state,
        }
    }

    /// Appends only make the string longer: a get of `v` stays possible only if `v` extends
    /// the current string, or a put of a string that `v` extends may still replace it.
    fn may_enable<'i>(
        &self,
        state: &Arc<str>,
        then: &KvAppendOp,
        mut between: impl Iterator<Item = &'i KvAppendOp>,
    ) -> bool {
        match then {
            KvAppendOp::Get(v) => {
                v.starts_with(&**state)
                    || between.any(|op| matches!(op, KvAppendOp::Put(p) if v.starts_with(&**p)))
            }
            _ => true,
        }
    }

    fn resets(&self, input: &KvAppendOp) -> bool {
        matches!(input, KvAppendOp::Put(_))
    }

    /// After an append of `a`, until a put, the string contains `a`; after a put of `a`, it
    /// starts with `a`.
    fn hides(&self, writer: &KvAppendOp, reader: &KvAppendOp) -> bool {
        match (writer, reader) {
            (KvAppendOp::Append(a), KvAppendOp::Get(v)) => !v.contains(&**a),
            (KvAppendOp::Put(a), KvAppendOp::Get(v)) => !v.starts_with(&**a),
            _ => false,
        }
    }

    fn is_noop(&self, input: &KvAppendOp) -> bool {
        *input == KvAppendOp::UnknownGet
    }

    fn is_read_only(&self, input: &KvAppendOp) -> bool {
        matches!(input, KvAppendOp::Get(_) | KvAppendOp::UnknownGet)
    }

    fn heap_bytes(&self, state: &Arc<str>) -> usize {
        state.len() + 16
    }

    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        partition_by_key(ops)
    }

    fn describe(&self, state: &Arc<str>, _: &Interner) -> String {
        format!("{state:?}")
    }

    fn why_not(&self, state: &Arc<str>, input: &KvAppendOp, _: &Interner) -> String {
        match input {
            KvAppendOp::Get(v) => format!("model value is {state:?}, but the get returned {v:?}"),
            _ => format!("model value is {state:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enables_agrees_with_two_steps() {
        let s = |t: &str| Arc::<str>::from(t);
        let states = [s(""), s("x 1 y"), s("x 1 yx 2 y")];
        let ops = [
            KvAppendOp::Append(s("x 2 y")),
            KvAppendOp::Append(s("")),
            KvAppendOp::Put(s("x 2 y")),
            KvAppendOp::Put(s("x 1 yx 2 y")),
            KvAppendOp::Get(s("x 1 yx 2 y")),
            KvAppendOp::Get(s("x 2 y")),
            KvAppendOp::Get(s("")),
            KvAppendOp::UnknownGet,
        ];
        let model = KvAppend;
        let mut enabled = 0;
        for state in &states {
            for a in &ops {
                for b in &ops {
                    let two = model
                        .step(state, a)
                        .is_some_and(|next| model.step(&next, b).is_some());
                    assert_eq!(model.enables(state, a, b), two, "{state:?} {a:?} {b:?}");
                    enabled += usize::from(two);
                }
            }
        }
        assert!(enabled > 20, "the cases cover both answers: {enabled}");
    }

    /// Every state reachable from `from` by at most `depth` steps of `ops` (repeats allowed).
    fn reachable(from: &[Arc<str>], ops: &[&KvAppendOp], depth: usize) -> Vec<Arc<str>> {
        let mut all = from.to_vec();
        let mut layer = from.to_vec();
        for _ in 0..depth {
            layer = layer
                .iter()
                .flat_map(|s| ops.iter().filter_map(|op| KvAppend.step(s, op)))
                .collect();
            all.extend(layer.iter().cloned());
        }
        all
    }

    fn samples() -> (Vec<Arc<str>>, Vec<KvAppendOp>) {
        let s = |t: &str| Arc::<str>::from(t);
        let states = vec![s(""), s("a"), s("ab"), s("b"), s("ba")];
        let ops = vec![
            KvAppendOp::Append(s("a")),
            KvAppendOp::Append(s("b")),
            KvAppendOp::Append(s("ab")),
            KvAppendOp::Put(s("b")),
            KvAppendOp::Put(s("ab")),
            KvAppendOp::Get(s("")),
            KvAppendOp::Get(s("a")),
            KvAppendOp::Get(s("ab")),
            KvAppendOp::Get(s("aab")),
            KvAppendOp::Get(s("bab")),
            KvAppendOp::UnknownGet,
        ];
        (states, ops)
    }

    #[test]
    fn hides_only_what_no_later_state_shows() {
        let (states, ops) = samples();
        let others: Vec<&KvAppendOp> = ops.iter().filter(|op| !KvAppend.resets(op)).collect();
        let mut hidden = 0;
        for writer in &ops {
            let after: Vec<Arc<str>> = states
                .iter()
                .filter_map(|s| KvAppend.step(s, writer))
                .collect();
            let later = reachable(&after, &others, 3);
            for reader in &ops {
                if KvAppend.hides(writer, reader) {
                    hidden += 1;
                    for s in &later {
                        assert!(
                            KvAppend.step(s, reader).is_none(),
                            "{writer:?} {reader:?} {s:?}"
                        );
                    }
                }
            }
        }
        assert!(hidden > 10, "the cases cover hiding: {hidden}");
    }

    #[test]
    fn may_enable_says_no_only_to_dead_ends() {
        let (states, ops) = samples();
        let mut refused = 0;
        // Each subset of the operations as the ones that may come in between.
        for mask in 0..1u32 << ops.len() {
            let between: Vec<&KvAppendOp> = (0..ops.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| &ops[i])
                .collect();
            for state in &states {
                let later = reachable(std::slice::from_ref(state), &between, 3);
                for then in &ops {
                    if !KvAppend.may_enable(state, then, between.iter().copied()) {
                        refused += 1;
                        for s in &later {
                            assert!(KvAppend.step(s, then).is_none(), "{state:?} {then:?} {s:?}");
                        }
                    }
                }
            }
        }
        assert!(refused > 1000, "the cases cover refusals: {refused}");
    }
}
