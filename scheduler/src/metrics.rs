//! The scheduler's Prometheus metrics, with upstream's names:
//! `scheduler_schedule_attempts_total{result,profile}`,
//! `scheduler_scheduling_algorithm_duration_seconds` (a histogram) and
//! `scheduler_pending_pods{queue}`. Upstream: `pkg/scheduler/metrics/metrics.go`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets: 1 ms doubling to about 16 s (upstream's
/// `ExponentialBuckets(0.001, 2, 15)`).
fn buckets() -> Vec<f64> {
    (0..15).map(|i| 0.001 * 2f64.powi(i)).collect()
}

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    attempts: BTreeMap<(String, String), u64>,
    algorithm: Histogram,
    preemption_attempts: u64,
    preemption_victims: u64,
    /// Raw algorithm latencies in microseconds (the first `MAX_SAMPLES`), for exact
    /// percentiles in benchmarks; the histogram above is what Prometheus reads.
    samples_us: Vec<u32>,
}

const MAX_SAMPLES: usize = 200_000;

/// Counters and histograms, shared by the run loop and the HTTP server.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// How a scheduling attempt ended, as the `result` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptResult {
    Scheduled,
    Unschedulable,
    Error,
}

impl AttemptResult {
    fn label(self) -> &'static str {
        match self {
            AttemptResult::Scheduled => "scheduled",
            AttemptResult::Unschedulable => "unschedulable",
            AttemptResult::Error => "error",
        }
    }
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn attempt(&self, result: AttemptResult, profile: &str) {
        *self
            .lock()
            .attempts
            .entry((result.label().to_string(), profile.to_string()))
            .or_default() += 1;
    }

    pub fn algorithm_duration(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let mut inner = self.lock();
        let h = &mut inner.algorithm;
        if h.counts.is_empty() {
            h.counts = vec![0; buckets().len()];
        }
        for (i, bound) in buckets().iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
        if inner.samples_us.len() < MAX_SAMPLES {
            inner
                .samples_us
                .push(d.as_micros().min(u32::MAX as u128) as u32);
        }
    }

    /// The `p`-th percentile (0-100) of the algorithm latencies seen so far, in microseconds.
    pub fn algorithm_percentile_us(&self, p: f64) -> u64 {
        let mut samples = self.lock().samples_us.clone();
        if samples.is_empty() {
            return 0;
        }
        samples.sort_unstable();
        let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
        u64::from(samples[rank.clamp(1, samples.len()) - 1])
    }

    pub fn preemption(&self, victims: usize) {
        let mut inner = self.lock();
        inner.preemption_attempts += 1;
        inner.preemption_victims += victims as u64;
    }

    /// How many attempts ended with `result` (all profiles).
    pub fn attempts(&self, result: AttemptResult) -> u64 {
        self.lock()
            .attempts
            .iter()
            .filter(|((r, _), _)| r == result.label())
            .map(|(_, n)| n)
            .sum()
    }

    /// The Prometheus text format. `pending` is (active, backoff, unschedulable).
    pub fn render(&self, pending: (usize, usize, usize)) -> String {
        let inner = self.lock();
        let mut out = String::new();
        let _ = writeln!(out, "# HELP scheduler_schedule_attempts_total Number of attempts to schedule pods, by the result.");
        let _ = writeln!(out, "# TYPE scheduler_schedule_attempts_total counter");
        for ((result, profile), n) in &inner.attempts {
            let _ = writeln!(
                out,
                "scheduler_schedule_attempts_total{{profile=\"{profile}\",result=\"{result}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# HELP scheduler_scheduling_algorithm_duration_seconds Scheduling algorithm latency in seconds.");
        let _ = writeln!(
            out,
            "# TYPE scheduler_scheduling_algorithm_duration_seconds histogram"
        );
        let h = &inner.algorithm;
        for (i, bound) in buckets().iter().enumerate() {
            let c = h.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(
                out,
                "scheduler_scheduling_algorithm_duration_seconds_bucket{{le=\"{bound}\"}} {c}"
            );
        }
        let _ = writeln!(
            out,
            "scheduler_scheduling_algorithm_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "scheduler_scheduling_algorithm_duration_seconds_sum {}",
            h.sum
        );
        let _ = writeln!(
            out,
            "scheduler_scheduling_algorithm_duration_seconds_count {}",
            h.count
        );
        let _ = writeln!(
            out,
            "# HELP scheduler_pending_pods Number of pending pods, by the queue type."
        );
        let _ = writeln!(out, "# TYPE scheduler_pending_pods gauge");
        for (queue, n) in [
            ("active", pending.0),
            ("backoff", pending.1),
            ("unschedulable", pending.2),
        ] {
            let _ = writeln!(out, "scheduler_pending_pods{{queue=\"{queue}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP scheduler_preemption_attempts_total Total preemption attempts in the cluster till now");
        let _ = writeln!(out, "# TYPE scheduler_preemption_attempts_total counter");
        let _ = writeln!(
            out,
            "scheduler_preemption_attempts_total {}",
            inner.preemption_attempts
        );
        let _ = writeln!(
            out,
            "# HELP scheduler_preemption_victims Number of selected preemption victims"
        );
        let _ = writeln!(out, "# TYPE scheduler_preemption_victims counter");
        let _ = writeln!(
            out,
            "scheduler_preemption_victims {}",
            inner.preemption_victims
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_and_latency_appear_in_the_prometheus_text() {
        let m = Metrics::default();
        m.attempt(AttemptResult::Scheduled, "default-scheduler");
        m.attempt(AttemptResult::Scheduled, "default-scheduler");
        m.algorithm_duration(Duration::from_micros(1500));
        let text = m.render((1, 2, 3));
        assert!(text.contains(
            "scheduler_schedule_attempts_total{profile=\"default-scheduler\",result=\"scheduled\"} 2"
        ));
        assert!(
            text.contains("scheduler_scheduling_algorithm_duration_seconds_bucket{le=\"0.001\"} 0")
        );
        assert!(
            text.contains("scheduler_scheduling_algorithm_duration_seconds_bucket{le=\"0.002\"} 1")
        );
        assert!(text.contains("scheduler_pending_pods{queue=\"unschedulable\"} 3"));
    }
}
