//! Delta debugging (Zeller's ddmin): the smallest subsequence of a list for which a test still
//! holds, 1-minimal (removing any one more element makes it pass).

/// Minimizes `items` while `fails` holds. `fails(items)` must hold on entry. Tests at most a
/// quadratic number of subsequences; each keeps the original order.
pub fn ddmin<T: Clone>(items: &[T], fails: &mut dyn FnMut(&[T]) -> bool) -> Vec<T> {
    let mut current: Vec<T> = items.to_vec();
    let mut n = 2;
    while current.len() >= 2 {
        let chunks = split(&current, n);
        if let Some(c) = chunks.iter().find(|c| fails(c)) {
            current = c.clone();
            n = 2;
            continue;
        }
        let complement = (0..chunks.len())
            .map(|skip| concat_except(&chunks, skip))
            .find(|c| n > 2 && fails(c));
        if let Some(c) = complement {
            current = c;
            n = (n - 1).max(2);
            continue;
        }
        if n >= current.len() {
            break;
        }
        n = (2 * n).min(current.len());
    }
    if current.len() == 1 && fails(&[]) {
        current.clear();
    }
    current
}

/// `items` cut into `n` nearly equal chunks.
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let end = start + (items.len() - start) / (n - i);
        chunks.push(items[start..end].to_vec());
        start = end;
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

fn concat_except<T: Clone>(chunks: &[Vec<T>], skip: usize) -> Vec<T> {
    chunks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != skip)
        .flat_map(|(_, c)| c.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_event_that_matters_is_found() {
        let events: Vec<u32> = (0..70).collect();
        let mut tests = 0;
        let min = ddmin(&events, &mut |s| {
            tests += 1;
            s.contains(&41)
        });
        assert_eq!(min, vec![41]);
        assert!(tests < 40, "{tests} tests");
    }

    #[test]
    fn two_events_that_matter_together_are_kept_in_order() {
        let events: Vec<u32> = (0..50).collect();
        let min = ddmin(&events, &mut |s| s.contains(&3) && s.contains(&44));
        assert_eq!(min, vec![3, 44]);
    }

    #[test]
    fn a_failure_needing_no_event_gives_the_empty_schedule() {
        let min = ddmin(&[1, 2, 3], &mut |_| true);
        assert!(min.is_empty());
    }

    #[test]
    fn the_result_is_one_minimal() {
        // Fails when at least three even events remain.
        let events: Vec<u32> = (0..20).collect();
        let fails = |s: &[u32]| s.iter().filter(|e| *e % 2 == 0).count() >= 3;
        let min = ddmin(&events, &mut |s| fails(s));
        assert_eq!(min.len(), 3);
        for i in 0..min.len() {
            let mut less = min.clone();
            less.remove(i);
            assert!(!fails(&less));
        }
    }
}
