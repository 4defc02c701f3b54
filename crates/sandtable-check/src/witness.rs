//! Replaying a linearization the search found, independently of the search: a witness is
//! proof only once it replays, and it then outweighs any shortcut that said "impossible".

use crate::search::Problem;
use crate::Model;

/// Checks that `order` (local op indices) is a linearization of `problem`: every `ok`
/// operation appears once, an `info` operation at most once, no operation comes before one that
/// returned before it was invoked, and the model accepts every step. `Err` says what is wrong,
/// for the report of a checker bug.
pub(crate) fn replay<M: Model>(problem: &Problem<'_, M>, order: &[u32]) -> Result<(), String> {
    let n = problem.inputs.len();
    let mut placed = vec![false; n];
    for &op in order {
        let i = op as usize;
        if i >= n || placed[i] {
            return Err(format!("local op {op} is placed twice or does not exist"));
        }
        placed[i] = true;
    }
    if let Some(i) = (0..n).find(|&i| !placed[i] && problem.intervals[i].ret.is_some()) {
        return Err(format!("the ok operation at local index {i} is not placed"));
    }
    real_time(problem, order)?;
    let mut state = problem.model.init();
    for (k, &op) in order.iter().enumerate() {
        state = problem
            .model
            .step(&state, problem.inputs[op as usize])
            .ok_or_else(|| format!("the model rejects step {} (local op {op})", k + 1))?;
    }
    Ok(())
}

/// Whether `order` respects real time: at each position, every operation placed later (or
/// never: only `info` ones, which never return) returns after this one is invoked.
fn real_time<M: Model>(problem: &Problem<'_, M>, order: &[u32]) -> Result<(), String> {
    let iv = &problem.intervals;
    let mut later_min_ret = usize::MAX;
    for (k, &op) in order.iter().enumerate().rev() {
        let i = op as usize;
        if later_min_ret < iv[i].call {
            return Err(format!(
                "step {} (local op {op}) is placed after an operation that returned before it was invoked",
                k + 1
            ));
        }
        later_min_ret = later_min_ret.min(iv[i].ret.unwrap_or(usize::MAX));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entries::Interval;
    use crate::models::{CasRegister, RegisterOp};

    fn problem<'a>(
        inputs: &'a [RegisterOp],
        intervals: &[(usize, Option<usize>)],
    ) -> Problem<'a, CasRegister> {
        Problem {
            model: &CasRegister,
            inputs: inputs.iter().collect(),
            intervals: intervals
                .iter()
                .map(|&(call, ret)| Interval { call, ret })
                .collect(),
        }
    }

    #[test]
    fn a_linearization_replays_and_a_wrong_one_does_not() {
        // write 1 [0, 1], read 1 [2, 3]; an info write 2 invoked at 4.
        let inputs = [
            RegisterOp::Write(1),
            RegisterOp::Read(1),
            RegisterOp::Write(2),
        ];
        let p = problem(&inputs, &[(0, Some(1)), (2, Some(3)), (4, None)]);
        assert_eq!(replay(&p, &[0, 1]), Ok(()));
        assert_eq!(replay(&p, &[0, 1, 2]), Ok(()));
        let wrong = replay(&p, &[1, 0]).unwrap_err();
        assert!(wrong.contains("returned before it was invoked"), "{wrong}");
        assert!(replay(&p, &[0]).unwrap_err().contains("not placed"));
        assert!(replay(&p, &[0, 1, 1]).unwrap_err().contains("twice"));
        let rejected = problem(&inputs, &[(0, Some(3)), (1, Some(2)), (4, None)]);
        assert!(replay(&rejected, &[1, 0])
            .unwrap_err()
            .contains("model rejects step 1"));
    }
}
