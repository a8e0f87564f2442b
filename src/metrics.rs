//! Counters and latency histograms in Prometheus's text format, kept in atomics so recording
//! costs a few relaxed increments and no lock.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS: [f64; 12] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5];

/// A latency histogram with [`BUCKETS`].
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    #[must_use]
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of `name` with `labels` (`k="v",…` or empty).
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, c) in BUCKETS.iter().zip(&self.counts) {
            cumulative += c.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        #[allow(clippy::cast_precision_loss)]
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        if labels.is_empty() {
            let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
        } else {
            let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}\n{name}_count{{{labels}}} {count}");
        }
    }
}

/// A monotonically increasing count.
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    #[must_use]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Actions a [`Registry`] has room for (the dispatch table is smaller).
const MAX_ACTIONS: usize = 300;

/// Rows from here on count the Keystone front end's routes; the dispatch table stays below it.
pub const KEYSTONE_ROWS: usize = 256;

/// Outcomes requests are counted by.
const OUTCOMES: [&str; 3] = ["success", "client_error", "server_error"];

/// Request counts and latencies per action and outcome, and authentication failures by code.
/// Actions are identified by their row in the dispatch table, so recording needs no lookup.
pub struct Registry {
    names: Box<[std::sync::OnceLock<&'static str>]>,
    latency: Box<[[Histogram; OUTCOMES.len()]]>,
    /// Requests naming no known action.
    unknown: [Histogram; OUTCOMES.len()],
    auth_failures: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            names: (0..MAX_ACTIONS).map(|_| std::sync::OnceLock::new()).collect(),
            latency: (0..MAX_ACTIONS).map(|_| Default::default()).collect(),
            unknown: Default::default(),
            auth_failures: std::sync::Mutex::default(),
        }
    }
}

impl Registry {
    /// Records one request: the action (row and name) if it named a known one, its status and
    /// how long it took.
    pub fn record(&self, action: Option<(usize, &'static str)>, status: u16, took: Duration) {
        let outcome = match status {
            0..400 => 0,
            400..500 => 1,
            _ => 2,
        };
        match action.filter(|(i, _)| *i < MAX_ACTIONS) {
            Some((i, name)) => {
                self.names[i].get_or_init(|| name);
                self.latency[i][outcome].observe(took);
            }
            None => self.unknown[outcome].observe(took),
        }
    }

    /// Counts a request refused before it was authenticated (errors are rare: a lock is fine).
    pub fn auth_failure(&self, code: &'static str) {
        *self.auth_failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(code).or_default() += 1;
    }

    /// The request and authentication metrics in Prometheus's text format.
    pub fn render(&self, out: &mut String) {
        header(out, "iamd_request_duration_seconds", "histogram", "Requests by action and outcome.");
        for (i, name) in self.names.iter().enumerate() {
            let Some(name) = name.get() else { continue };
            for (o, outcome) in OUTCOMES.iter().enumerate() {
                let h = &self.latency[i][o];
                if h.count() > 0 {
                    h.render(out, "iamd_request_duration_seconds", &format!("action=\"{name}\",outcome=\"{outcome}\""));
                }
            }
        }
        for (o, outcome) in OUTCOMES.iter().enumerate() {
            if self.unknown[o].count() > 0 {
                self.unknown[o].render(
                    out,
                    "iamd_request_duration_seconds",
                    &format!("action=\"\",outcome=\"{outcome}\""),
                );
            }
        }
        header(out, "iamd_auth_failures_total", "counter", "Requests refused by authentication, by error code.");
        for (code, n) in self.auth_failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            let _ = writeln!(out, "iamd_auth_failures_total{{code=\"{code}\"}} {n}");
        }
    }
}

/// Request latencies by an operation name known only at run time (the S3 gateway's, named by
/// s3s), and refusals by error code. A read lock finds an operation seen before.
#[derive(Default)]
pub struct ByOperation {
    latency: std::sync::RwLock<std::collections::BTreeMap<String, std::sync::Arc<[Histogram; OUTCOMES.len()]>>>,
    refusals: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl ByOperation {
    /// Records one request: its operation ("" when refused before one was known), status and
    /// how long until its answer's headers.
    pub fn record(&self, operation: &str, status: u16, took: Duration) {
        let outcome = match status {
            0..400 => 0,
            400..500 => 1,
            _ => 2,
        };
        let seen = self.latency.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(operation).cloned();
        let h = seen.unwrap_or_else(|| {
            let mut map = self.latency.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(operation.to_owned()).or_default().clone()
        });
        h[outcome].observe(took);
    }

    /// Counts a request the gateway itself refused, by S3 error code (refusals are rare).
    pub fn refusal(&self, code: &str) {
        let mut map = self.refusals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                map.insert(code.to_owned(), 1);
            }
        }
    }

    /// `{prefix}_request_duration_seconds` by operation and outcome, `{prefix}_refusals_total`
    /// by code.
    pub fn render(&self, out: &mut String, prefix: &str, what: &str) {
        let name = format!("{prefix}_request_duration_seconds");
        header(
            out,
            &name,
            "histogram",
            &format!("{what} requests by operation and outcome, until the answer's headers."),
        );
        for (op, hs) in self.latency.read().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            for (h, outcome) in hs.iter().zip(OUTCOMES) {
                if h.count() > 0 {
                    h.render(out, &name, &format!("operation=\"{op}\",outcome=\"{outcome}\""));
                }
            }
        }
        let name = format!("{prefix}_refusals_total");
        header(out, &name, "counter", &format!("{what} requests refused by iamd, by S3 error code."));
        for (code, n) in self.refusals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter() {
            let _ = writeln!(out, "{name}{{code=\"{code}\"}} {n}");
        }
    }
}

/// Writes a `# TYPE` header.
pub fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(50));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(10));
        let mut out = String::new();
        h.render(&mut out, "x", "a=\"b\"");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.0001\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.005\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"2.5\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_count{a=\"b\"} 3\n"), "{out}");
    }

    #[test]
    fn operations_are_counted_by_name_and_outcome() {
        let m = ByOperation::default();
        m.record("GetObject", 200, Duration::from_millis(1));
        m.record("GetObject", 200, Duration::from_millis(1));
        m.record("GetObject", 403, Duration::from_millis(1));
        m.record("", 403, Duration::from_millis(1));
        m.refusal("AccessDenied");
        m.refusal("AccessDenied");
        let mut out = String::new();
        m.render(&mut out, "iamd_s3", "S3 gateway");
        assert!(
            out.contains("iamd_s3_request_duration_seconds_count{operation=\"GetObject\",outcome=\"success\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains(
                "iamd_s3_request_duration_seconds_count{operation=\"GetObject\",outcome=\"client_error\"} 1\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("iamd_s3_request_duration_seconds_count{operation=\"\",outcome=\"client_error\"} 1\n"),
            "{out}"
        );
        assert!(!out.contains("server_error"), "{out}");
        assert!(out.contains("iamd_s3_refusals_total{code=\"AccessDenied\"} 2\n"), "{out}");
    }
}
