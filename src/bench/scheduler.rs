//! `kubeling bench scheduler`: a clone of upstream's scheduler_perf `SchedulingBasic`, plus
//! its pod-affinity and topology-spreading workloads, through the real API server.
//!
//! ```text
//!  1. API server (etcd or memory store) as a child process; N nodes created as API objects
//!     (4 CPU, 32 Gi, 110 pods, spread over 10 zones).
//!  2. The reference: bind the initial pods ourselves, POSTing pods/binding with 16 clients
//!     as fast as the API server takes them. No scheduler can bind faster than this.
//!  3. The scheduler, in this process; create the measured pods (100m CPU, 500 Mi) and time
//!     how long until every one is bound.
//! ```
//! Reported: pods/s, the scheduling algorithm's latency p50/p99, and pods/s as a fraction of
//! the raw binding rate of step 2 (the ratio that stays meaningful on any machine).
//! Upstream: `test/integration/scheduler_perf/` (`config/performance-config.yaml`).

use super::harness::{drive, spawn_apiserver_with, wait_ready, Http, Stop, WorkDir};
use super::{Metric, Report, Target};
use anyhow::Context;
use apiserver::etcd_process::{free_port, EtcdProcess};
use scheduler::metrics::AttemptResult;
use serde_json::json;
use std::time::{Duration, Instant};

/// Sizes of one run.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub nodes: usize,
    pub initial_pods: usize,
    pub measured_pods: usize,
    /// Sizes for the affinity and topology-spread workloads (they cost more per pod).
    pub extra_nodes: usize,
    pub extra_pods: usize,
}

impl Settings {
    /// scheduler_perf's SchedulingBasic 5000Nodes_10000Pods.
    pub fn full() -> Settings {
        Settings {
            nodes: 5000,
            initial_pods: 1000,
            measured_pods: 10_000,
            extra_nodes: 500,
            extra_pods: 1000,
        }
    }

    /// CI's smoke size.
    pub fn quick() -> Settings {
        Settings {
            nodes: 500,
            initial_pods: 200,
            measured_pods: 1000,
            extra_nodes: 100,
            extra_pods: 200,
        }
    }
}

/// Which pods a workload creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    Basic,
    /// Every pod requires affinity (by zone) to pods labelled `color=blue`.
    PodAffinity,
    /// Every pod must spread evenly over zones (maxSkew 1, DoNotSchedule).
    TopologySpread,
}

/// The API server child (and its etcd), stopped in field order when dropped.
struct Server {
    _apiserver: super::harness::ApiserverChild,
    _etcd: Option<EtcdProcess>,
    base: String,
    _dir: WorkDir,
}

async fn start_server(store: &str) -> anyhow::Result<Server> {
    let dir = WorkDir::create()?;
    let port = free_port();
    let mut args = vec!["apiserver".to_string(), "--port".into(), port.to_string()];
    let etcd = if store == "etcd" {
        let (client, peer) = (free_port(), free_port());
        let etcd = EtcdProcess::start(&dir.path, client, peer).context("cannot start etcd")?;
        args.extend(["--etcd-servers".to_string(), etcd.endpoint.clone()]);
        Some(etcd)
    } else {
        args.extend(["--store".to_string(), "memory".into()]);
        None
    };
    let log = dir.path.join("apiserver.log");
    let apiserver = spawn_apiserver_with(&log, &args)?;
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base, apiserver.pid(), &log, Duration::from_secs(30)).await?;
    Ok(Server {
        _apiserver: apiserver,
        _etcd: etcd,
        base,
        _dir: dir,
    })
}

fn node_json(i: usize) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": format!("node-{i}"),
        "labels": {"kubernetes.io/hostname": format!("node-{i}"),
                   "topology.kubernetes.io/zone": format!("zone-{}", i % 10)}}})
}

fn node_status() -> serde_json::Value {
    let r = json!({"cpu": "4", "memory": "32Gi", "pods": "110"});
    json!({"status": {"capacity": r, "allocatable": r}})
}

fn pod_json(name: &str, scheduler: &str, workload: Workload) -> serde_json::Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"color": "blue", "app": "bench"}},
        "spec": {"schedulerName": scheduler, "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
            "resources": {"requests": {"cpu": "100m", "memory": "500Mi"}}}]}});
    match workload {
        Workload::Basic => {}
        Workload::PodAffinity => {
            pod["spec"]["affinity"] = json!({"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"color": "blue"}}, "topologyKey": "topology.kubernetes.io/zone"}]}});
        }
        Workload::TopologySpread => {
            pod["spec"]["topologySpreadConstraints"] = json!([{"maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "bench"}}}]);
        }
    }
    pod
}

async fn create_nodes(http: &Http, n: usize) -> anyhow::Result<()> {
    let h = http.clone();
    let created = drive(32, Stop::Count(n as u64), move |i| {
        let h = h.clone();
        async move {
            let body = serde_json::to_vec(&node_json(i as usize))?;
            h.post_json("/api/v1/nodes", body, 201).await?;
            let path = format!("/api/v1/nodes/node-{i}/status");
            let patch = serde_json::to_vec(&node_status())?;
            let (code, body) = h
                .send("PATCH", &path, "application/merge-patch+json", patch)
                .await?;
            anyhow::ensure!(
                code == 200,
                "PATCH {path}: {code} {}",
                String::from_utf8_lossy(&body)
            );
            Ok(())
        }
    })
    .await;
    created.check("creating nodes")
}

async fn create_pods(
    http: &Http,
    prefix: &str,
    n: usize,
    scheduler: &str,
    w: Workload,
) -> anyhow::Result<()> {
    let (h, prefix, scheduler) = (http.clone(), prefix.to_string(), scheduler.to_string());
    let created = drive(16, Stop::Count(n as u64), move |i| {
        let (h, name, scheduler) = (h.clone(), format!("{prefix}-{i}"), scheduler.clone());
        async move {
            let body = serde_json::to_vec(&pod_json(&name, &scheduler, w))?;
            h.post_json("/api/v1/namespaces/default/pods", body, 201)
                .await
        }
    })
    .await;
    created.check("creating pods")
}

/// Bind `n` pods named `prefix-i` ourselves, as fast as the API server allows: the reference.
async fn raw_bindings(http: &Http, prefix: &str, n: usize, nodes: usize) -> anyhow::Result<f64> {
    let (h, prefix) = (http.clone(), prefix.to_string());
    let bound = drive(16, Stop::Count(n as u64), move |i| {
        let (h, name) = (h.clone(), format!("{prefix}-{i}"));
        async move {
            let body = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                "target": {"kind": "Node", "name": format!("node-{}", i as usize % nodes)}});
            let path = format!("/api/v1/namespaces/default/pods/{name}/binding");
            h.post_json(&path, serde_json::to_vec(&body)?, 201).await
        }
    })
    .await;
    bound.check("raw bindings")?;
    Ok(bound.rate())
}

/// What one workload measured.
struct Outcome {
    pods_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    binding_rate: f64,
}

async fn run_workload(
    store: &str,
    w: Workload,
    nodes: usize,
    initial: usize,
    measured: usize,
) -> anyhow::Result<Outcome> {
    let server = start_server(store).await?;
    let http = Http::new(&server.base);
    create_nodes(&http, nodes).await?;
    // Initial pods belong to a scheduler that does not exist; we bind them by hand, and that
    // is the raw binding rate.
    create_pods(&http, "initial", initial, "kubeling-bench-binder", w).await?;
    let binding_rate = raw_bindings(&http, "initial", initial, nodes).await?;

    let mut config = machinery::client::Config::new(&server.base)?;
    // scheduler_perf lifts the client's rate limit too: the API server is what is measured.
    config.qps = 100_000.0;
    config.burst = 100_000;
    let client = machinery::client::Client::new(config);
    let options = scheduler::run::Options {
        config: scheduler::config::KubeSchedulerConfiguration::default_config(),
        scheduler_name: None,
        address: None,
        leader_elect: false,
        identity: "bench".into(),
    };
    let shared = scheduler::run::build_shared(&options, Some(client.clone()))?;
    let task = tokio::spawn(scheduler::run::schedule(shared.clone(), client));

    let started = Instant::now();
    create_pods(&http, "measured", measured, "default-scheduler", w).await?;
    let deadline = started + Duration::from_secs(600);
    while shared.metrics.attempts(AttemptResult::Scheduled) < measured as u64 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {measured} pods were scheduled within 10 minutes",
            shared.metrics.attempts(AttemptResult::Scheduled)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    task.abort();
    Ok(Outcome {
        pods_per_sec: measured as f64 / elapsed,
        p50_ms: shared.metrics.algorithm_percentile_us(50.0) as f64 / 1000.0,
        p99_ms: shared.metrics.algorithm_percentile_us(99.0) as f64 / 1000.0,
        binding_rate,
    })
}

/// Run every workload and collect the report.
pub async fn run(s: &Settings, report: &mut Report) -> anyhow::Result<()> {
    let runs = [
        (
            "basic",
            "memory",
            Workload::Basic,
            s.nodes,
            s.initial_pods,
            s.measured_pods,
        ),
        (
            "basic",
            "etcd",
            Workload::Basic,
            s.nodes,
            s.initial_pods,
            s.measured_pods,
        ),
        (
            "affinity",
            "memory",
            Workload::PodAffinity,
            s.extra_nodes,
            s.extra_pods / 2,
            s.extra_pods,
        ),
        (
            "spread",
            "memory",
            Workload::TopologySpread,
            s.extra_nodes,
            s.extra_pods / 2,
            s.extra_pods,
        ),
    ];
    for (name, store, workload, nodes, initial, measured) in runs {
        println!("  {name} ({store} store): {nodes} nodes, {initial} initial + {measured} measured pods ...");
        let o = run_workload(store, workload, nodes, initial, measured).await?;
        let key = format!("{name}_{store}");
        let label = format!("{name}, {store}, {nodes} nodes");
        let mut pods = Metric::new(
            &format!("{key}_pods_per_sec"),
            &format!("{label}: pods/s"),
            o.pods_per_sec,
            "/s",
        );
        if workload == Workload::Basic {
            // Upstream's CI floor for SchedulingBasic 5000 nodes, on a much larger machine.
            pods = pods.with_target(Target::AtLeast(680.0));
        }
        report.push(pods);
        report.push(Metric::new(
            &format!("{key}_algorithm_p50_ms"),
            &format!("{label}: algorithm p50"),
            o.p50_ms,
            " ms",
        ));
        report.push(Metric::new(
            &format!("{key}_algorithm_p99_ms"),
            &format!("{label}: algorithm p99"),
            o.p99_ms,
            " ms",
        ));
        report.push(Metric::new(
            &format!("{key}_raw_bindings_per_sec"),
            &format!("{label}: raw pods/binding writes/s"),
            o.binding_rate,
            "/s",
        ));
        report.push(Metric::new(
            &format!("{key}_ratio"),
            &format!("{label}: pods/s ÷ raw bindings/s"),
            o.pods_per_sec / o.binding_rate.max(1e-9),
            "",
        ));
        report.summary.push(format!(
            "{label}: scheduled {:.0} pods/s = {:.2} of the {:.0} bindings/s the API server takes when nobody has to decide anything.",
            o.pods_per_sec,
            o.pods_per_sec / o.binding_rate.max(1e-9),
            o.binding_rate
        ));
    }
    Ok(())
}
