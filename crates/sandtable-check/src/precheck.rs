//! A quick, sound pre-check run before the search: an `ok` operation that needs a state no
//! order of the other operations can produce in time (a read of a value nothing wrote before the
//! read returned; a read of the initial value after a completed write, with nothing to restore
//! it) makes the partition non-linearizable at once, however many processes are concurrent.

use std::collections::HashMap;

use crate::explanation::{Blocked, Context, Explanation};
use crate::{Model, Shortcut, Timed};

/// The two earliest invocations (event index, local op) of operations that set each state.
struct Setters<S> {
    by_state: HashMap<S, [(usize, usize); 2]>,
    /// The earliest return of an `ok` operation that sets some state (it surely took effect).
    first_ok_return: Option<(usize, usize)>,
}

fn setters<M: Model>(cx: &Context<'_, M>) -> Setters<M::State> {
    let p = cx.problem;
    let mut by_state: HashMap<M::State, [(usize, usize); 2]> = HashMap::new();
    let mut first_ok_return = None;
    for (local, input) in p.inputs.iter().enumerate() {
        let Some(state) = p.model.sets(input) else {
            continue;
        };
        let iv = &p.intervals[local];
        let entry = by_state
            .entry(state)
            .or_insert([(usize::MAX, usize::MAX); 2]);
        if iv.call < entry[0].0 {
            entry[1] = entry[0];
            entry[0] = (iv.call, local);
        } else if iv.call < entry[1].0 {
            entry[1] = (iv.call, local);
        }
        if let Some(ret) = iv.ret {
            if first_ok_return.is_none_or(|(r, _)| ret < r) {
                first_ok_return = Some((ret, local));
            }
        }
    }
    Setters {
        by_state,
        first_ok_return,
    }
}

/// Whether some operation other than `local`, invoked before `before`, sets `state`.
fn set_in_time<S: std::hash::Hash + Eq>(
    s: &Setters<S>,
    state: &S,
    local: usize,
    before: usize,
) -> bool {
    s.by_state
        .get(state)
        .is_some_and(|e| e.iter().any(|&(call, l)| l != local && call < before))
}

/// The first (by return) operation no order can place, explained, and which proof found it;
/// `None` if there is none.
pub(crate) fn precheck<M: Model>(cx: &Context<'_, M>) -> Option<(Explanation, Shortcut)> {
    let p = cx.problem;
    let timed: Vec<Timed<'_, M::Input>> = p
        .inputs
        .iter()
        .zip(&p.intervals)
        .enumerate()
        .map(|(local, (input, iv))| Timed {
            input: *input,
            id: cx.ids[local],
            call: iv.call,
            ret: iv.ret,
        })
        .collect();
    if let Some((local, reason)) = p.model.impossible(&timed, cx.values) {
        return Some((impossible(cx, local, reason), Shortcut::ModelProof));
    }
    let init = p.model.init();
    let setters = setters(cx);
    let mut order: Vec<usize> = (0..p.inputs.len())
        .filter(|&l| p.intervals[l].ret.is_some())
        .collect();
    order.sort_by_key(|&l| p.intervals[l].ret);
    order.into_iter().find_map(|local| {
        let needed = p.model.needs(p.inputs[local])?;
        let iv = &p.intervals[local];
        let ret = iv.ret.expect("only ok operations are checked");
        let described = p.model.describe(&needed, cx.values);
        let reason = if needed != init {
            (!set_in_time(&setters, &needed, local, ret)).then(|| {
                format!("it needs the state to be {described}, but no operation invoked before it returned could have set that value")
            })?
        } else {
            let (_, setter) = setters.first_ok_return.filter(|&(r, l)| r < iv.call && l != local)?;
            (!set_in_time(&setters, &needed, local, ret)).then(|| {
                format!(
                    "it needs the initial state {described}, but op #{} had already taken effect before it was invoked, and no operation invoked in time sets {described} again",
                    cx.ids[setter]
                )
            })?
        };
        Some((impossible(cx, local, reason), Shortcut::PreCheck))
    })
}

fn impossible<M: Model>(cx: &Context<'_, M>, local: usize, reason: String) -> Explanation {
    let op = cx.ops[cx.ids[local]].clone();
    cx.impossible(op.clone(), vec![Blocked { op, reason }], None)
}
