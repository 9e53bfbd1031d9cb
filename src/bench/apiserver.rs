//! `kubeling bench apiserver`: what the API server costs on top of etcd, measured in one run.
//!
//! | phase | what | the reference it is compared with |
//! |---|---|---|
//! | creates | `POST` of 1 KiB ConfigMaps, 1 and 32 clients | etcd `put` of the same bytes, same clients; also a create-if-absent etcd transaction, and the floor server ([`super::floor`]) |
//! | watch | delivery latency to many watchers at a steady write rate | (absolute; see [`super::watch`]) |
//! | LIST | all pods of a namespace, from the watch cache (`resourceVersion=0`) | the same LIST read from etcd, a raw etcd range read, and the same answer sent from memory by the floor server |
//! | memory | the API server's resident memory before and after loading the pods | |
//!
//! Why the ratio to raw etcd is the number to watch: etcd is the floor under every write (an
//! API server cannot create objects faster than etcd can store them), and etcd runs on the
//! same cores and the same disk in the same minute as our API server. Divide by it and the
//! machine cancels out; what remains is what *our* layers cost — HTTP, JSON decoding,
//! validation, the namespace check, the guarded transaction, and encoding the answer.
//!
//! Targets are printed beside the numbers as PASS or BELOW TARGET but never fail the run:
//! a shared CI machine is too noisy for that. docs/benchmarks.md records a full run.

use super::harness::{Cluster, Http};
use super::procfs::memory_of;
use super::{Metric, Report};
use anyhow::Context;
use std::time::{Duration, Instant};

/// How big each phase is. `full()` is what docs/benchmarks.md reports; `quick()` is CI's.
#[derive(Debug, Clone)]
pub struct Settings {
    pub mode: &'static str,
    /// How long each kind of create request runs, in 1-second rounds (see [`super::creates`]).
    pub create_duration: Duration,
    /// Bytes in each ConfigMap's `data` value.
    pub payload_bytes: usize,
    pub watchers: usize,
    /// Writes per second during the watch phase, and for how long.
    pub watch_rate: u64,
    pub watch_duration: Duration,
    /// Pods loaded for the LIST phase, and how many times each LIST is timed.
    pub pods: u64,
    pub list_runs: usize,
}

impl Settings {
    pub fn full() -> Self {
        Settings {
            mode: "full",
            create_duration: Duration::from_secs(5),
            payload_bytes: 1024,
            watchers: 100,
            watch_rate: 500,
            watch_duration: Duration::from_secs(10),
            pods: 10_000,
            list_runs: 20,
        }
    }

    pub fn quick() -> Self {
        Settings {
            mode: "quick",
            create_duration: Duration::from_secs(2),
            payload_bytes: 1024,
            watchers: 10,
            watch_rate: 100,
            watch_duration: Duration::from_secs(2),
            pods: 1_000,
            list_runs: 5,
        }
    }
}

/// Bytes in a mebibyte, for printing memory.
pub const MIB: f64 = 1024.0 * 1024.0;

/// Run every phase against a fresh cluster and collect the report.
pub async fn run(settings: &Settings) -> anyhow::Result<Report> {
    let started = Instant::now();
    let cluster = Cluster::start().await?;
    println!(
        "started etcd (pid {}) at {} and the API server (pid {}) at {}; work dir {}",
        cluster.etcd.pid().unwrap_or(0),
        cluster.etcd.endpoint,
        cluster.apiserver.pid(),
        cluster.base,
        cluster.dir.path.display()
    );
    let http = Http::new(&cluster.base);
    let floor = Http::new(&cluster.floor_base);
    let etcd = etcd_client::Client::connect([cluster.etcd.endpoint.as_str()], None)
        .await
        .context("cannot connect to the benchmark's etcd")?;
    let mut report = Report {
        benchmark: "apiserver".into(),
        mode: settings.mode.to_string(),
        ..Report::default()
    };
    let idle = memory_of(cluster.apiserver.pid(), "VmRSS")?;
    report.push(Metric::new(
        "rss_idle_mib",
        "API server RSS, idle after start",
        idle as f64 / MIB,
        " MiB",
    ));

    let pids = [
        ("apiserver", cluster.apiserver.pid()),
        ("floor", cluster.floor.pid()),
        ("etcd", cluster.etcd.pid().context("etcd is not running")?),
        ("bench client", std::process::id()),
    ];
    super::creates::run(settings, &http, &floor, &etcd, &pids, &mut report).await?;
    super::watch::run(settings, &http, &pids, &mut report).await?;
    super::list::run(
        settings,
        &http,
        &floor,
        &etcd,
        cluster.apiserver.pid(),
        &mut report,
    )
    .await?;

    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
