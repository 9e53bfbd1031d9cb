//! `/metrics` in Prometheus text format, and the one log line per request.
//!
//! Three families, named as upstream names them (`endpoints/metrics/metrics.go`):
//! `apiserver_request_total{verb,resource,code}`,
//! `apiserver_request_duration_seconds{verb,resource}` (a histogram) and
//! `apiserver_registered_watchers{resource}` (watches open right now).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Histogram bucket upper bounds, in seconds.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    watchers: Mutex<BTreeMap<String, i64>>,
}

impl Metrics {
    /// Count one finished request.
    pub fn observe(&self, verb: &str, resource: &str, code: u16, took: Duration) {
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *requests
            .entry((verb.to_string(), resource.to_string(), code))
            .or_default() += 1;
        drop(requests);
        let mut latency = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = latency
            .entry((verb.to_string(), resource.to_string()))
            .or_default();
        if h.counts.is_empty() {
            h.counts = vec![0; BUCKETS.len()];
        }
        let secs = took.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// A watch opened (+1) or closed (-1).
    pub fn watchers(&self, resource: &str, delta: i64) {
        let mut w = self.watchers.lock().unwrap_or_else(|p| p.into_inner());
        *w.entry(resource.to_string()).or_default() += delta;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP apiserver_request_total Counter of apiserver requests broken out by verb, resource and HTTP response code.\n# TYPE apiserver_request_total counter\n");
        for ((verb, resource, code), n) in self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(out, "apiserver_request_total{{verb=\"{verb}\",resource=\"{resource}\",code=\"{code}\"}} {n}");
        }
        out.push_str("# HELP apiserver_request_duration_seconds Response latency distribution in seconds for each verb and resource.\n# TYPE apiserver_request_duration_seconds histogram\n");
        for ((verb, resource), h) in self
            .latency
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let labels = format!("verb=\"{verb}\",resource=\"{resource}\"");
            for (bound, n) in BUCKETS.iter().zip(&h.counts) {
                let _ = writeln!(
                    out,
                    "apiserver_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "apiserver_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "apiserver_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "apiserver_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out.push_str("# HELP apiserver_registered_watchers Number of currently registered watchers for a given resource.\n# TYPE apiserver_registered_watchers gauge\n");
        for (resource, n) in self
            .watchers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "apiserver_registered_watchers{{resource=\"{resource}\"}} {n}"
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_verb_resource_and_code() {
        let m = Metrics::default();
        m.observe("GET", "pods", 200, Duration::from_millis(3));
        m.observe("GET", "pods", 200, Duration::from_millis(30));
        m.watchers("pods", 1);
        let text = m.render();
        assert!(
            text.contains("apiserver_request_total{verb=\"GET\",resource=\"pods\",code=\"200\"} 2")
        );
        assert!(text.contains("apiserver_request_duration_seconds_bucket{verb=\"GET\",resource=\"pods\",le=\"0.005\"} 1"));
        assert!(text.contains(
            "apiserver_request_duration_seconds_count{verb=\"GET\",resource=\"pods\"} 2"
        ));
        assert!(text.contains("apiserver_registered_watchers{resource=\"pods\"} 1"));
    }
}
