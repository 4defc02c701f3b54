//! [`Explanation`]: why a history is not linearizable, for people.

use std::fmt;

use crate::search::Problem;
use crate::{Interner, Model, Op, Value};

/// How many steps of the partial linearization an explanation keeps.
pub const MAX_PREFIX_SHOWN: usize = 200;
/// How many of those the text form prints.
const PREFIX_PRINTED: usize = 10;

/// One step of the partial linearization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linearized {
    /// The operation.
    pub op: Op,
    /// The model state after it, described.
    pub state: String,
}

/// An operation that could not be linearized next, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The operation.
    pub op: Op,
    /// Why the model rejects it in the state reached (e.g. "model state is
    /// 1, but the read returned 2").
    pub reason: String,
}

/// Why a partition (key) has no linearization: the longest linearizable
/// prefix the search found, and the operations none of which can come next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The model's name.
    pub model: String,
    /// The failing partition's key, if the model is keyed.
    pub key: Option<Value>,
    /// Operations checked in the partition (`fail` ops and no-ops excluded).
    pub partition_ops: usize,
    /// Length of the longest linearizable prefix.
    pub prefix_len: usize,
    /// Its last (up to [`MAX_PREFIX_SHOWN`]) steps, in linearization order.
    pub prefix: Vec<Linearized>,
    /// The model state after the prefix, described.
    pub state: String,
    /// The unlinearized `ok` operation that returns first: something must be
    /// linearized before its return, and nothing can be.
    pub deadline: Op,
    /// The operations that could come next in real-time order (invoked
    /// before `deadline` returned), each with the reason it cannot.
    pub blocked: Vec<Blocked>,
    /// Set when the pre-check found an operation that no order can place at all (then
    /// `blocked` holds just that operation, and there is no prefix), or when the zone analysis
    /// of a register proved it and the search did not finish (then `conflict` says why,
    /// `blocked` holds the operations involved, each with its part, and there is no prefix).
    pub impossible: bool,
    /// Why no order exists, by the zone analysis of a register whose values are each written
    /// once: the two values whose stretches of time must overlap, naming the operations that
    /// force them. Set when that analysis found the violation, with or without a prefix
    /// (but not on the pre-check's explanations, which name the one impossible operation).
    pub conflict: Option<String>,
}

impl Explanation {
    /// Ids of the operations in the failing window: those that could not be
    /// linearized next.
    pub fn window(&self) -> Vec<usize> {
        self.blocked.iter().map(|b| b.op.id).collect()
    }

    fn subject(&self) -> String {
        match &self.key {
            Some(k) => format!("key {k}"),
            None => "history".to_string(),
        }
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: not linearizable ({} model, {} operations checked).",
            self.subject(),
            self.model,
            self.partition_ops
        )?;
        if let (true, Some(conflict)) = (self.impossible, &self.conflict) {
            writeln!(f, "{conflict}")?;
            writeln!(f, "The operations involved:")?;
            for b in &self.blocked {
                writeln!(f, "  {}: {}", b.op, b.reason)?;
            }
            return Ok(());
        }
        if self.impossible {
            writeln!(f, "No order of the operations can place this one:")?;
            for b in &self.blocked {
                writeln!(f, "  {}: {}", b.op, b.reason)?;
            }
            return Ok(());
        }
        writeln!(f, "Longest linearizable prefix ({} ops):", self.prefix_len)?;
        let first = self.prefix_len - self.prefix.len();
        let skip = self.prefix.len().saturating_sub(PREFIX_PRINTED);
        if first + skip > 0 {
            writeln!(f, "  ... {} earlier ops", first + skip)?;
        }
        for (i, step) in self.prefix.iter().enumerate().skip(skip) {
            writeln!(
                f,
                "  {}. {} => state {}",
                first + i + 1,
                step.op,
                step.state
            )?;
        }
        if self.prefix_len == 0 {
            writeln!(f, "  (none)")?;
        }
        writeln!(
            f,
            "Then no operation can be linearized next (model state {}), yet op #{} must take effect before it returns at line {}:",
            self.state,
            self.deadline.id,
            self.deadline.complete_line.unwrap_or(0)
        )?;
        for b in &self.blocked {
            writeln!(f, "  {}: {}", b.op, b.reason)?;
        }
        if let Some(conflict) = &self.conflict {
            writeln!(f, "Why no order exists: {conflict}")?;
        }
        Ok(())
    }
}

/// Context for explaining one failing partition.
pub(crate) struct Context<'a, M: Model> {
    pub(crate) problem: &'a Problem<'a, M>,
    /// Global op id of each local op.
    pub(crate) ids: &'a [usize],
    pub(crate) ops: &'a [Op],
    pub(crate) values: &'a Interner,
    pub(crate) key: Option<Value>,
}

impl<M: Model> Context<'_, M> {
    /// An explanation proved without search: no prefix, the initial state, the operations no
    /// order can place (`blocked`) with `deadline` closing the window, and the zone conflict
    /// if there is one.
    pub(crate) fn impossible(
        &self,
        deadline: Op,
        blocked: Vec<Blocked>,
        conflict: Option<String>,
    ) -> Explanation {
        let model = self.problem.model;
        Explanation {
            model: model.name().to_string(),
            key: self.key.clone(),
            partition_ops: self.ids.len(),
            prefix_len: 0,
            prefix: Vec::new(),
            state: model.describe(&model.init(), self.values),
            deadline,
            blocked,
            impossible: true,
            conflict,
        }
    }
}

/// Builds the explanation from the deepest partial linearization.
pub(crate) fn explain<M: Model>(cx: &Context<'_, M>, deepest: &[u32]) -> Explanation {
    let model = cx.problem.model;
    let mut state = model.init();
    let mut placed = vec![false; cx.ids.len()];
    let mut prefix = Vec::new();
    let keep_from = deepest.len().saturating_sub(MAX_PREFIX_SHOWN);
    for (i, &local) in deepest.iter().enumerate() {
        placed[local as usize] = true;
        state = model
            .step(&state, cx.problem.inputs[local as usize])
            .expect("the deepest prefix replays");
        if i >= keep_from {
            let op = cx.ops[cx.ids[local as usize]].clone();
            prefix.push(Linearized {
                op,
                state: model.describe(&state, cx.values),
            });
        }
    }
    let deadline = first_return(cx, &placed);
    let bound = cx.problem.intervals[deadline].ret.unwrap_or(usize::MAX);
    let blocked = (0..cx.ids.len())
        .filter(|&l| !placed[l] && cx.problem.intervals[l].call < bound)
        .map(|l| Blocked {
            op: cx.ops[cx.ids[l]].clone(),
            reason: reason(cx, &state, l),
        })
        .collect();
    Explanation {
        model: model.name().to_string(),
        key: cx.key.clone(),
        partition_ops: cx.ids.len(),
        prefix_len: deepest.len(),
        prefix,
        state: model.describe(&state, cx.values),
        deadline: cx.ops[cx.ids[deadline]].clone(),
        blocked,
        impossible: false,
        conflict: None,
    }
}

/// The unplaced `ok` operation with the earliest return.
fn first_return<M: Model>(cx: &Context<'_, M>, placed: &[bool]) -> usize {
    (0..cx.ids.len())
        .filter(|&l| !placed[l])
        .filter_map(|l| cx.problem.intervals[l].ret.map(|r| (r, l)))
        .min()
        .map_or(0, |(_, l)| l)
}

fn reason<M: Model>(cx: &Context<'_, M>, state: &M::State, local: usize) -> String {
    let model = cx.problem.model;
    let input = cx.problem.inputs[local];
    match model.step(state, input) {
        None => model.why_not(state, input, cx.values),
        Some(next) => format!(
            "it could take effect here (state would become {}), but no linearization of the rest follows",
            model.describe(&next, cx.values)
        ),
    }
}
