//! A count of the work evaluations do (wildcard-matching steps, value comparisons), so that a
//! caller can bound what one request asks for: Simulate* evaluates policies and ARNs the request
//! itself supplies, and one adversarial pattern against one long ARN costs their two lengths
//! multiplied. Per thread, so evaluation stays a plain function of its input.

use std::cell::Cell;

thread_local! {
    static SPENT: Cell<u64> = const { Cell::new(0) };
    static LIMIT: Cell<u64> = const { Cell::new(u64::MAX) };
}

/// The work done beyond the limit is cut short: a match that would exceed it stops and fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkExceeded;

pub(crate) fn charge(steps: usize) {
    let steps = u64::try_from(steps).unwrap_or(u64::MAX);
    SPENT.with(|s| s.set(s.get().saturating_add(steps)));
}

/// How many steps may still be taken before the limit.
pub(crate) fn remaining() -> usize {
    let left = LIMIT.with(Cell::get).saturating_sub(SPENT.with(Cell::get));
    usize::try_from(left).unwrap_or(usize::MAX)
}

/// Runs `f` with at most `limit` steps of work, and says how many it took. Past the limit,
/// matches fail early, so `f`'s answer is meaningless and is not returned.
///
/// # Errors
/// [`WorkExceeded`] when `f` needed more than `limit` steps.
pub fn bounded<T>(limit: u64, f: impl FnOnce() -> T) -> Result<(T, u64), WorkExceeded> {
    let saved = (SPENT.with(|s| s.replace(0)), LIMIT.with(|l| l.replace(limit)));
    let out = f();
    let spent = SPENT.with(|s| s.replace(saved.0));
    LIMIT.with(|l| l.set(saved.1));
    if spent > limit { Err(WorkExceeded) } else { Ok((out, spent)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::glob::Pattern;

    #[test]
    fn a_quadratic_match_is_cut_at_the_limit_and_counted() {
        // `*aaa…ab` against `aaa…`: the `*` is retried at each of ~1,000 positions, and each
        // retry compares ~1,000 `a`s again.
        let pattern = Pattern::wildcard(&format!("*{}b", "a".repeat(1000)));
        let text = "a".repeat(2000);
        let (matched, spent) = bounded(u64::MAX, || pattern.matches(&text)).unwrap();
        assert!(!matched);
        assert!(spent > 900_000, "{spent}");
        assert_eq!(bounded(10_000, || pattern.matches(&text)).map(|_| ()), Err(WorkExceeded));
        let (matched, spent) = bounded(10_000, || Pattern::wildcard("iam:List*").matches("iam:ListUsers")).unwrap();
        assert!(matched && spent < 100, "{spent}");
        // Outside `bounded`, nothing is limited.
        assert!(Pattern::wildcard(&"*a".repeat(50)).matches(&"a".repeat(60)));
    }
}
