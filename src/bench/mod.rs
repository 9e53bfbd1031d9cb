//! `kubeling bench ...`: benchmarks that report ratios against limits measured in the same run.
//!
//! A number like "4,000 creates/s" says as much about the laptop as about the code. So every
//! benchmark here also measures a *reference* on the same machine, in the same run, and
//! reports the ratio: API server creates/s against raw etcd puts/s of the same bytes; a LIST
//! from the watch cache against the same LIST read from etcd. A faster or slower machine moves
//! both sides, and the ratio stays put; a ratio that drops after a change is a regression in
//! our code. docs/benchmarks.md explains each number and records a run.
//!
//! # Layout
//! - `mod.rs`: arguments, the report (table, markdown, JSON) and PASS / BELOW TARGET.
//! - [`harness`]: the private etcd + API server, the HTTP client, the load driver, percentiles.
//! - [`procfs`]: a process's memory and CPU time, from `/proc`.
//! - [`apiserver`]: `kubeling bench apiserver`: its settings and the order of its phases.
//! - [`creates`]: creates/s through the API server beside raw etcd puts/s.
//! - [`floor`]: `kubeling bench floor`, the least any API server must do, to measure beside ours.
//! - [`watch`]: watch delivery latency to many watchers under a steady write rate.
//! - [`list`]: LIST from the watch cache against LIST from etcd; the API server's memory.
//! - [`scheduler`](mod@scheduler): `kubeling bench scheduler`, scheduler_perf's workloads.

mod apiserver;
mod creates;
mod floor;
mod harness;
mod list;
mod procfs;
mod scheduler;
mod watch;

use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;

/// Arguments of `kubeling bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub which: Which,
}

/// The benchmarks there are.
#[derive(clap::Subcommand, Debug)]
pub enum Which {
    /// The API server against raw etcd: creates/s, watch latency, LIST, memory.
    Apiserver(ApiserverBench),
    /// The scheduler (scheduler_perf SchedulingBasic, affinity, spread) against raw bindings/s.
    Scheduler(ApiserverBench),
    /// The least an API server must do (HTTP + one etcd transaction), served for
    /// `bench apiserver` to measure beside the API server; not run by hand.
    #[command(hide = true)]
    Floor(floor::FloorArgs),
}

/// `kubeling bench apiserver|scheduler [--quick] [--json FILE]`
#[derive(clap::Args, Debug)]
pub struct ApiserverBench {
    /// A small, fast run (under a minute) for CI smoke tests; its numbers are rougher.
    #[arg(long)]
    pub quick: bool,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Run a benchmark.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.which {
        Which::Floor(args) => floor::run(args).await,
        Which::Scheduler(opts) => {
            if cfg!(debug_assertions) {
                println!(
                    "note: this is a debug build; its numbers only show that the benchmark runs."
                );
            }
            let settings = if opts.quick {
                scheduler::Settings::quick()
            } else {
                scheduler::Settings::full()
            };
            let started = std::time::Instant::now();
            let mut report = Report {
                benchmark: "scheduler".into(),
                mode: if opts.quick { "quick" } else { "full" }.into(),
                ..Report::default()
            };
            scheduler::run(&settings, &mut report).await?;
            report.seconds = started.elapsed().as_secs_f64();
            report.print();
            write_json(&report, opts.json.as_deref())
        }
        Which::Apiserver(opts) => {
            if cfg!(debug_assertions) {
                // The API server child is this same binary, so it is unoptimized too.
                println!(
                    "note: this is a debug build; its numbers only show that the benchmark runs. \
                     For real numbers: cargo build --release && ./target/release/kubeling bench apiserver"
                );
            }
            let settings = if opts.quick {
                apiserver::Settings::quick()
            } else {
                apiserver::Settings::full()
            };
            let report = apiserver::run(&settings).await?;
            report.print();
            write_json(&report, opts.json.as_deref())
        }
    }
}

fn write_json(report: &Report, path: Option<&std::path::Path>) -> anyhow::Result<()> {
    if let Some(path) = path {
        let text = serde_json::to_string_pretty(&report.to_json())?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("results written to {}", path.display());
    }
    Ok(())
}

/// A goal a number should reach. Targets are reported, never asserted: machines are noisy,
/// and a benchmark that fails CI on a busy runner teaches people to ignore it.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
}

impl Target {
    fn met(self, value: f64) -> bool {
        match self {
            Target::AtLeast(t) => value >= t,
            Target::AtMost(t) => value <= t,
        }
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Target::AtLeast(t) => format!(">= {}{unit}", number(t)),
            Target::AtMost(t) => format!("<= {}{unit}", number(t)),
        }
    }
}

/// One measured number.
#[derive(Debug, Clone)]
pub struct Metric {
    /// Stable name for the JSON output, e.g. `creates_per_sec_apiserver_32`.
    pub key: String,
    /// What it is, for people.
    pub label: String,
    pub value: f64,
    /// Printed after the value: `/s`, ` ms`, ` MiB`, `x`, or nothing.
    pub unit: &'static str,
    pub target: Option<Target>,
}

impl Metric {
    pub fn new(key: &str, label: &str, value: f64, unit: &'static str) -> Self {
        Metric {
            key: key.to_string(),
            label: label.to_string(),
            value,
            unit,
            target: None,
        }
    }

    pub fn with_target(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    fn verdict(&self) -> &'static str {
        match self.target {
            Some(t) if t.met(self.value) => "PASS",
            Some(_) => "BELOW TARGET",
            None => "",
        }
    }
}

/// Everything one run measured, in the order it was measured.
#[derive(Debug, Default)]
pub struct Report {
    /// `apiserver` or `scheduler`.
    pub benchmark: String,
    pub mode: String,
    pub metrics: Vec<Metric>,
    /// Plain sentences that put two numbers side by side (the ratios), printed as they are.
    pub summary: Vec<String>,
    /// Seconds the whole run took.
    pub seconds: f64,
}

impl Report {
    pub fn push(&mut self, metric: Metric) {
        self.metrics.push(metric);
    }

    /// The aligned table, the ratio sentences, then the same table as markdown.
    pub fn print(&self) {
        let width = self
            .metrics
            .iter()
            .map(|m| m.label.len())
            .max()
            .unwrap_or(0);
        println!();
        println!(
            "kubeling bench {} ({}, {:.0} s)",
            self.benchmark, self.mode, self.seconds
        );
        for m in &self.metrics {
            let target = m.target.map(|t| t.describe(m.unit)).unwrap_or_default();
            println!(
                "  {:width$}  {:>12}  {:>12}  {}",
                m.label,
                format!("{}{}", number(m.value), m.unit),
                target,
                m.verdict()
            );
        }
        println!();
        for line in &self.summary {
            println!("{line}");
        }
        println!();
        println!("```markdown");
        println!("| measurement | value | target | |");
        println!("|---|---:|---|---|");
        for m in &self.metrics {
            let target = m.target.map(|t| t.describe(m.unit)).unwrap_or_default();
            println!(
                "| {} | {}{} | {} | {} |",
                m.label,
                number(m.value),
                m.unit,
                target,
                m.verdict()
            );
        }
        println!("```");
    }

    pub fn to_json(&self) -> serde_json::Value {
        let metrics: serde_json::Map<String, serde_json::Value> = self
            .metrics
            .iter()
            .map(|m| {
                let (op, target) = match m.target {
                    Some(Target::AtLeast(t)) => (">=", Some(t)),
                    Some(Target::AtMost(t)) => ("<=", Some(t)),
                    None => ("", None),
                };
                let value = json!({
                    "label": m.label, "value": m.value, "unit": m.unit.trim(),
                    "target": target.map(|t| json!({"op": op, "value": t})),
                    "pass": m.target.map(|t| t.met(m.value)),
                });
                (m.key.clone(), value)
            })
            .collect();
        json!({"benchmark": self.benchmark, "mode": self.mode, "seconds": self.seconds,
               "metrics": metrics, "summary": self.summary})
    }
}

/// A number as people read it: 4100, 0.79, 12.3.
pub fn number(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_say_pass_or_below_target() {
        let ok = Metric::new("r", "ratio", 0.79, "").with_target(Target::AtLeast(0.6));
        let low = Metric::new("r", "ratio", 0.41, "").with_target(Target::AtLeast(0.6));
        let fast = Metric::new("t", "p50", 12.0, " ms").with_target(Target::AtMost(50.0));
        assert_eq!(
            (ok.verdict(), low.verdict(), fast.verdict()),
            ("PASS", "BELOW TARGET", "PASS")
        );
        assert_eq!(Metric::new("x", "x", 1.0, "").verdict(), "");
    }

    #[test]
    fn numbers_keep_a_readable_precision() {
        assert_eq!(number(4123.4), "4123");
        assert_eq!(number(23.44), "23.4");
        assert_eq!(number(0.789), "0.79");
    }
}
