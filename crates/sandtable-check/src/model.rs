//! The [`Model`] trait: the sequential specification a history is checked against.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::hash::Hash;

use thiserror::Error;

use crate::{Interner, Op, Value};

/// An operation's value does not fit the model (e.g. a `cas` whose value is
/// not `[expected, new]`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct ShapeError {
    /// What was wrong.
    pub message: String,
}

impl ShapeError {
    /// A new shape error.
    pub fn new(message: impl Into<String>) -> ShapeError {
        ShapeError {
            message: message.into(),
        }
    }
}

/// How an operation acts on a register-like model (see [`Model::register_access`]): the
/// capability behind the checker's polynomial decision procedure for registers whose written
/// values are unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterAccess<S> {
    /// Succeeds exactly when the state is this one, and leaves it unchanged (a read).
    Read(S),
    /// Succeeds in every state and replaces it with this one (a blind write).
    Write(S),
}

/// A group of operations that can be checked independently of the others
/// (P-compositionality), e.g. all operations on one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// The key the operations share, if partitioned by key.
    pub key: Option<Value>,
    /// Operation ids ([`Op::id`]), ascending.
    pub ops: Vec<usize>,
}

/// An operation as [`Model::impossible`] sees it: its compiled input, its id, and the event
/// indices of its invocation and of its `ok` completion (`None` for unknown outcome).
#[derive(Debug, Clone, Copy)]
pub struct Timed<'a, I> {
    /// The compiled operation.
    pub input: &'a I,
    /// Its id ([`Op::id`]).
    pub id: usize,
    /// Event index of the invocation.
    pub call: usize,
    /// Event index of the `ok` completion.
    pub ret: Option<usize>,
}

/// A sequential object: what a history must be equivalent to.
///
/// The checker calls [`prepare`](Model::prepare) once per `ok` or `info`
/// operation to validate and compile it into a compact `Input`, then searches
/// with [`step`](Model::step). `fail` operations are removed before
/// `prepare`. An `info` operation (unknown outcome) has `op.output == None`;
/// the checker may place it at any point after its invocation, or nowhere, so
/// `step` should model it as "took effect" (e.g. an `info` write writes).
///
/// Keep `State` small and cheap to hash and clone: the search memoises
/// `(set of linearized ops, state)` pairs. Use [`Interner`] to turn values
/// into `u32` ids, and `Arc` for large states.
pub trait Model: Sync {
    /// The object's state.
    type State: Clone + Eq + Hash + Send + Debug;
    /// A compiled operation (with its outcome). Equal inputs must behave
    /// identically in [`step`](Model::step).
    type Input: Eq + Hash + Send + Sync + Debug;

    /// The model's name, e.g. `cas-register`.
    fn name(&self) -> &str;

    /// The initial state.
    fn init(&self) -> Self::State;

    /// Validates and compiles an `ok` or `info` operation.
    fn prepare(&self, op: &Op, values: &mut Interner) -> Result<Self::Input, ShapeError>;

    /// The state after applying `input` to `state`, or `None` if the
    /// operation's recorded outcome is impossible in `state`.
    fn step(&self, state: &Self::State, input: &Self::Input) -> Option<Self::State>;

    /// Whether the operation constrains nothing and changes nothing, so it
    /// can be dropped (e.g. a read with unknown outcome). Default: `false`.
    fn is_noop(&self, input: &Self::Input) -> bool {
        let _ = input;
        false
    }

    /// Whether the operation never changes the state, in any state (e.g. an
    /// `ok` read). The search places such an operation as soon as it fits,
    /// without trying other orders, which is sound only if this holds.
    /// Default: `false`.
    fn is_read_only(&self, input: &Self::Input) -> bool {
        let _ = input;
        false
    }

    /// Whether `input` can take effect in `state` and `then` right after it: the search asks
    /// this of every candidate, to try first those after which the operation that must come
    /// next fits. Override it when that can be answered without building the state in
    /// between (a string append followed by a read). It must agree with two
    /// [`step`](Model::step)s, which is the default.
    fn enables(&self, state: &Self::State, input: &Self::Input, then: &Self::Input) -> bool {
        self.step(state, input)
            .is_some_and(|next| self.step(&next, then).is_some())
    }

    /// Whether `then` may still take effect after `state` when only operations like those of
    /// `between` (each any number of times, in any order, or not at all) take effect first.
    /// The search asks this of the `ok` operation that must come next (the one returning
    /// first) after each candidate, with the other candidates as `between`, and drops the
    /// candidate at once when the answer is no, instead of trying every order of the others
    /// before finding out. Override it when a dead end is cheap to see (a string that only
    /// appends change never gets shorter). It must be sound: `false` only when no such
    /// sequence leads to a state in which `then` takes effect. Default: `true`.
    fn may_enable<'i>(
        &self,
        state: &Self::State,
        then: &Self::Input,
        between: impl Iterator<Item = &'i Self::Input>,
    ) -> bool
    where
        Self: Sized,
        Self::Input: 'i,
    {
        let _ = (state, then, between);
        true
    }

    /// Whether `input` may replace the state with one that does not depend on the state before
    /// (a put, a blind write): see [`Model::hides`]. Default: `false`.
    fn resets(&self, input: &Self::Input) -> bool {
        let _ = input;
        false
    }

    /// Whether `reader` fails in every state reached from one in which `writer` has just taken
    /// effect, through any operations none of which [`resets`](Model::resets) (a get of a
    /// string that does not contain a string appended before). The search then drops a
    /// branch in which an `ok` writer is still to be placed, an `ok` reader invoked after the
    /// writer returned hides from it, and no reset is left that could come between them. It
    /// must be sound: `true` only when no such state lets `reader` take effect. Default:
    /// `false`.
    fn hides(&self, writer: &Self::Input, reader: &Self::Input) -> bool {
        let _ = (writer, reader);
        false
    }

    /// The state an operation needs to find when it takes effect, if it needs a single one (a
    /// read of `v` needs `v`; a cas from `a` needs `a`). With [`Model::sets`] this enables a
    /// quick, sound pre-check that rejects operations no order can satisfy (a value read that
    /// nothing could have written) before the search. Default: `None`.
    fn needs(&self, input: &Self::Input) -> Option<Self::State> {
        let _ = input;
        None
    }

    /// The state an operation leaves behind when it takes effect, if that does not depend on
    /// the state before (a write of `v`, a successful cas to `v`). Default: `None`.
    fn sets(&self, input: &Self::Input) -> Option<Self::State> {
        let _ = input;
        None
    }

    /// Whether the model is a register (its state is the last value written, the initial state
    /// meaning "nothing written yet") and `input` a plain read or blind write of it; `None`
    /// for anything else (a `cas`, an append, ...). When every operation of a partition is a
    /// read or a write and no two writes write the same state (nor the initial one), the checker
    /// decides the partition in O(n log n) by the zone analysis of Gibbons and Korach, without
    /// search. Operations for which [`Model::is_noop`] holds are ignored. Implementations must
    /// make `step` agree: a `Read(s)` succeeds exactly in state `s` and keeps it, a `Write(s)`
    /// always succeeds and leads to `s`. Default: `None` (not a register).
    fn register_access(&self, input: &Self::Input) -> Option<RegisterAccess<Self::State>> {
        let _ = input;
        None
    }

    /// Called once with every operation of the history before anything else; a model may
    /// return a copy of itself that knows the whole history, to prune the search (for
    /// example, the order of list appends that the reads reveal). Whatever it learns must only
    /// rule out orders in which some operation would fail anyway, so that verdicts do not
    /// change. Default: `None` (the model as it is).
    fn survey(&self, ops: &[Op]) -> Option<Self>
    where
        Self: Sized,
    {
        let _ = ops;
        None
    }

    /// A model-specific proof that no order exists, found without search: the index in `ops`
    /// of an operation that no order can place, and why (values are described through
    /// `values`). It must be sound: `Some` only when the search would find no linearization.
    /// `ops` are a partition's operations (no `fail`), each with its invocation's and `ok`
    /// completion's event indices. Default: `None`.
    fn impossible(
        &self,
        ops: &[Timed<'_, Self::Input>],
        values: &Interner,
    ) -> Option<(usize, String)>
    where
        Self: Sized,
    {
        let _ = (ops, values);
        None
    }

    /// Approximately how many heap bytes `state` owns, for the memory budget: the search's
    /// cache keeps one state per configuration, and a state that holds a string or a list can
    /// be far bigger than the configuration's own bookkeeping. Count what a step allocates
    /// (not what it shares with the state before). Default: 0 (a state without heap data).
    fn heap_bytes(&self, state: &Self::State) -> usize {
        let _ = state;
        0
    }

    /// Splits the operations into independent groups. Default: one group.
    fn partition(&self, ops: &[Op]) -> Vec<Partition> {
        vec![Partition {
            key: None,
            ops: ops.iter().map(|op| op.id).collect(),
        }]
    }

    /// Describes a state for people, e.g. `1` or `[1, 2]`.
    fn describe(&self, state: &Self::State, values: &Interner) -> String;

    /// Why `input` cannot be applied in `state` (only called when
    /// [`step`](Model::step) returned `None`).
    fn why_not(&self, state: &Self::State, input: &Self::Input, values: &Interner) -> String {
        let _ = input;
        format!(
            "it is impossible when the model state is {}",
            self.describe(state, values)
        )
    }
}

/// Groups operations by their `key` (ops without a key form one group),
/// ordered by key.
pub fn partition_by_key(ops: &[Op]) -> Vec<Partition> {
    let mut groups: BTreeMap<Option<&Value>, Vec<usize>> = BTreeMap::new();
    for op in ops {
        groups.entry(op.key.as_ref()).or_default().push(op.id);
    }
    groups
        .into_iter()
        .map(|(key, ops)| Partition {
            key: key.cloned(),
            ops,
        })
        .collect()
}
