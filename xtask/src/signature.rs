//! A failure's signature: what stays the same when one bug fails on many seeds, so a sweep
//! reports one line per bug instead of one per seed.

/// The signature of a failing seed: the check that caught it (`caught_by`, when the target
/// names one), else the message's first line with every number replaced by `N` and a leading
/// `seed N:` dropped.
pub fn signature(caught_by: &str, message: &str) -> String {
    if !caught_by.is_empty() && caught_by != "other" {
        return caught_by.to_string();
    }
    let first = message.lines().next().unwrap_or("").trim();
    let normalized = strip_numbers(first);
    let normalized = normalized
        .strip_prefix("seed N:")
        .map_or(normalized.as_str(), str::trim_start)
        .to_string();
    normalized.chars().take(160).collect()
}

/// `s` with each run of digits (and a `0x` hex number) replaced by `N`.
fn strip_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            out.push(c);
            continue;
        }
        if c == '0' && chars.peek() == Some(&'x') {
            chars.next();
            while chars.peek().is_some_and(char::is_ascii_hexdigit) {
                chars.next();
            }
        }
        while chars
            .peek()
            .is_some_and(|d| d.is_ascii_digit() || *d == '.')
        {
            chars.next();
        }
        out.push('N');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_that_caught_it_is_the_signature() {
        let m = "seed 3: invariant `log matching` violated at virtual time 5.3s";
        assert_eq!(signature("log matching", m), "log matching");
    }

    #[test]
    fn numbers_and_seeds_are_stripped() {
        let a = signature(
            "",
            "seed 12: worker died (exit status: 101) at 0x7ffe12 after 3.5s",
        );
        let b = signature(
            "other",
            "seed 9: worker died (exit status: 101) at 0xdead after 17s",
        );
        assert_eq!(a, "worker died (exit status: N) at N after Ns");
        assert_eq!(a, b);
    }

    #[test]
    fn different_bugs_are_different_groups() {
        assert_ne!(
            signature("", "node n1 panicked: index out of bounds"),
            signature("", "node n1 panicked: attempt to subtract with overflow")
        );
    }
}
