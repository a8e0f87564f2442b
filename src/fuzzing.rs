//! Test builds only: the runner every property test (`*/tests/fuzz.rs`, `protocol/fuzz.rs`) goes
//! through, so one pair of variables sizes and seeds them all and each prints what it ran.
//!
//! - `IAMD_FUZZ_CASES=N` runs every property N times (the long run, README "Testing"); unset,
//!   each runs its own default, sized so that all of them together take well under a minute in
//!   a debug build.
//! - `IAMD_FUZZ_SEED=S` (a u64) changes the generator's seed. The default is fixed, so a CI
//!   failure reproduces on any machine; a failure prints its seed and the shrunk input.

use std::sync::atomic::{AtomicU64, Ordering};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseResult, TestRunner};

/// The seed when `IAMD_FUZZ_SEED` is unset.
const DEFAULT_SEED: u64 = 0x1a3d_2026;

fn env_u64(name: &str) -> Option<u64> {
    let raw = std::env::var(name).ok()?;
    match raw.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={raw:?} is not a whole number"),
    }
}

/// Runs `test` on `default_cases` values of `strategy` (or `IAMD_FUZZ_CASES`), printing
/// `fuzz <name>: <n> cases` to stderr, and panics with the shrunk failing input on a failure.
pub(crate) fn run<S: Strategy>(name: &str, default_cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S::Value: std::fmt::Debug,
{
    let cases = env_u64("IAMD_FUZZ_CASES").map_or(default_cases, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let seed = env_u64("IAMD_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let config = Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        // Shrunk failures are printed, not written beside the sources.
        failure_persistence: None,
        // A generated value is never refused (no prop_assume), so a reject is a bug in the test.
        max_global_rejects: 0,
        ..Config::default()
    };
    let ran = AtomicU64::new(0);
    let started = std::time::Instant::now();
    let result = TestRunner::new(config).run(&strategy, |value| {
        ran.fetch_add(1, Ordering::Relaxed);
        test(value)
    });
    let ran = ran.into_inner();
    eprintln!("fuzz {name}: {ran} cases in {:.1} s (seed {seed})", started.elapsed().as_secs_f64());
    if let Err(e) = result {
        panic!("fuzz {name} failed (IAMD_FUZZ_SEED={seed}): {e}");
    }
}
