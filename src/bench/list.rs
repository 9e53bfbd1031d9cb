//! Phases 3 and 4: LIST of many pods, from the watch cache and from etcd, and what holding
//! them costs the API server in memory.
//!
//! The same LIST can be served two ways (see `apiserver/src/registry/list.rs`):
//!
//! - `GET .../pods?resourceVersion=0`: "anything recent is fine", answered from the watch
//!   cache's memory, where every object is already encoded as JSON;
//! - `GET .../pods`: "the latest, please", a consistent read, so the API server ranges over
//!   etcd, decodes every object, and encodes it again.
//!
//! Informers (every controller's and kubelet's) start with the first kind of LIST, which is
//! why upstream built the watch cache. A raw etcd range read of the same keys from this
//! process is printed beside them: the cost of the data itself, before any API server work.
//! And the floor server (`floor.rs`) sends the very same answer from memory: the cost of the
//! HTTP transfer alone, which no cache can go below.
//!
//! Memory is read from `/proc/PID/status` of the API server child: `VmRSS` just before the
//! pods are created and again once the watch cache holds them all.

use super::apiserver::{Settings, MIB};
use super::harness::{drive, percentile, Http, LoadResult, Stop};
use super::procfs::memory_of;
use super::{Metric, Report, Target};
use anyhow::Context;
use etcd_client::GetOptions;
use std::time::{Duration, Instant};

const CACHED: &str = "/api/v1/namespaces/bench-list/pods?resourceVersion=0";
const FRESH: &str = "/api/v1/namespaces/bench-list/pods";
const PREFIX: &str = "/registry/pods/bench-list/";

pub async fn run(
    settings: &Settings,
    http: &Http,
    floor: &Http,
    etcd: &etcd_client::Client,
    apiserver_pid: u32,
    report: &mut Report,
) -> anyhow::Result<()> {
    let pods = settings.pods;
    println!(
        "\n[3/4] LIST of {pods} pods ({} timed runs of each)",
        settings.list_runs
    );
    let before = memory_of(apiserver_pid, "VmRSS")?;
    let load = create_pods(http, pods).await?;
    report.push(Metric::new(
        "pod_creates_per_sec_32",
        "pod creates/s while loading, 32 clients",
        load.rate(),
        "/s",
    ));
    let answer = wait_for_cache(http, load.ok).await?;
    let body_len = answer.len();
    // The floor server holds the very same answer, to send it from memory (see `floor.rs`).
    let (status, _) = floor
        .send("PUT", "/held", "application/json", answer.to_vec())
        .await?;
    anyhow::ensure!(
        status == 200,
        "the floor server did not take the LIST answer"
    );
    let with_pods = memory_of(apiserver_pid, "VmRSS")?;
    report.push(Metric::new(
        "list_body_mib",
        &format!("LIST answer size, {pods} pods"),
        body_len as f64 / MIB,
        " MiB",
    ));
    time_lists(settings, http, floor, etcd, load.ok, report).await?;

    println!("\n[4/4] API server memory");
    let peak = memory_of(apiserver_pid, "VmHWM")?;
    let per_pod = with_pods.saturating_sub(before) as f64 / 1024.0 / load.ok.max(1) as f64;
    let mut push = |key: &str, label: &str, value: f64, unit: &'static str| {
        report.push(Metric::new(key, label, value, unit));
    };
    let held = format!("API server RSS holding {pods} pods");
    push(
        "rss_before_pods_mib",
        "API server RSS before loading pods",
        before as f64 / MIB,
        " MiB",
    );
    push("rss_with_pods_mib", &held, with_pods as f64 / MIB, " MiB");
    push("rss_per_pod_kib", "RSS growth per pod", per_pod, " KiB");
    push(
        "rss_peak_mib",
        "API server peak RSS (VmHWM) over the run",
        peak as f64 / MIB,
        " MiB",
    );
    let line = format!(
        "API server RSS: {:.1} MiB before the pods, {:.1} MiB holding {pods} pods ({per_pod:.2} KiB per pod); peak {:.1} MiB",
        before as f64 / MIB,
        with_pods as f64 / MIB,
        peak as f64 / MIB
    );
    println!("  {line}");
    report.summary.push(line);
    Ok(())
}

/// A small valid pod: one container with a name and an image.
fn pod(name: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","labels":{{"app":"bench"}}}},"spec":{{"containers":[{{"name":"app","image":"busybox"}}]}}}}"#
    )
    .into_bytes()
}

/// Create the namespace `bench-list` and `count` pods in it, from 32 clients.
async fn create_pods(http: &Http, count: u64) -> anyhow::Result<LoadResult> {
    let ns = br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench-list"}}"#;
    http.post_json("/api/v1/namespaces", ns.to_vec(), 201)
        .await?;
    let http = http.clone();
    let load = drive(32, Stop::Count(count), move |n| {
        let http = http.clone();
        async move {
            let path = "/api/v1/namespaces/bench-list/pods";
            http.post_json(path, pod(&format!("p-{n:05}")), 201).await
        }
    })
    .await;
    load.check("creating pods")?;
    println!(
        "  created {} pods in {:.1} s ({:.0}/s, 32 clients)",
        load.ok,
        load.elapsed.as_secs_f64(),
        load.rate()
    );
    Ok(load)
}

/// The watch cache follows etcd a moment behind: wait until it holds all `count` pods.
/// Returns the LIST answer.
async fn wait_for_cache(http: &Http, count: u64) -> anyhow::Result<bytes::Bytes> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body = get_body(http, CACHED).await?;
        let n = count_items(&body)?;
        if n as u64 >= count {
            return Ok(body);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the watch cache holds {n} of {count} pods after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Time the four reads, interleaved so that a noisy second hurts all four alike.
async fn time_lists(
    settings: &Settings,
    http: &Http,
    floor: &Http,
    etcd: &etcd_client::Client,
    count: u64,
    report: &mut Report,
) -> anyhow::Result<()> {
    // One untimed LIST from etcd first: if it fails (say, an answer too big for the gRPC
    // client), that is a finding to report, not a reason to lose every other result.
    let etcd_error = match get_body(http, FRESH).await {
        Ok(body) => {
            let n = count_items(&body)?;
            anyhow::ensure!(
                n as u64 >= count,
                "LIST from etcd returned {n} of {count} pods"
            );
            None
        }
        Err(e) => Some(format!("{e:#}")),
    };
    // One answer with every pod can exceed gRPC's default 4 MiB message limit.
    let mut kv = etcd.kv_client().max_decoding_message_size(512 << 20);
    let (mut cache_us, mut etcd_us, mut raw_us) = (Vec::new(), Vec::new(), Vec::new());
    let mut floor_us = Vec::new();
    for _ in 0..settings.list_runs {
        cache_us.push(timed_read(http, CACHED).await?.as_micros() as u64);
        if etcd_error.is_none() {
            etcd_us.push(timed_read(http, FRESH).await?.as_micros() as u64);
        }
        floor_us.push(timed_read(floor, "/held").await?.as_micros() as u64);
        let started = Instant::now();
        let resp = kv
            .get(PREFIX, Some(GetOptions::new().with_prefix()))
            .await
            .context("raw etcd range read")?;
        raw_us.push(started.elapsed().as_micros() as u64);
        let found = resp.kvs().len() as u64;
        anyhow::ensure!(
            found >= count,
            "raw etcd range returned {found} of {count} pods"
        );
    }

    let ms = |v: &mut Vec<u64>, p| percentile(v, p) as f64 / 1000.0;
    let (cache_ms, raw_ms) = (ms(&mut cache_us, 50.0), ms(&mut raw_us, 50.0));
    let floor_ms = ms(&mut floor_us, 50.0);
    let pods = settings.pods;
    report.push(
        Metric::new(
            "list_cache_p50_ms",
            "LIST p50 from the watch cache (rv=0)",
            cache_ms,
            " ms",
        )
        .with_target(Target::AtMost(50.0)),
    );
    let cache_p99 = ms(&mut cache_us, 99.0);
    report.push(Metric::new(
        "list_cache_p99_ms",
        "LIST p99 from the watch cache (rv=0)",
        cache_p99,
        " ms",
    ));
    let line = match &etcd_error {
        None => {
            let etcd_ms = ms(&mut etcd_us, 50.0);
            let speedup = etcd_ms / cache_ms.max(1e-6);
            report.push(Metric::new("list_etcd_p50_ms", "LIST p50 from etcd (no rv)", etcd_ms, " ms"));
            report.push(
                Metric::new("list_speedup", "LIST speedup, watch cache vs etcd", speedup, "x")
                    .with_target(Target::AtLeast(20.0)),
            );
            // The floor: the same answer sent from memory. No cache can beat it, so etcd's
            // time over it is the largest speedup any watch cache could show here.
            let ceiling = etcd_ms / floor_ms.max(1e-6);
            report.push(Metric::new(
                "list_speedup_ceiling",
                "ceiling: LIST from etcd vs the answer sent from memory",
                ceiling,
                "x",
            ));
            format!(
                "LIST {pods} pods p50: watch cache {cache_ms:.1} ms (target <= 50) ; from etcd {etcd_ms:.1} ms ; \
                 speedup {speedup:.1}x (target >= 20) ; raw etcd range {raw_ms:.1} ms ; \
                 the same answer from memory (floor server) {floor_ms:.1} ms, so the ceiling is {ceiling:.1}x"
            )
        }
        Some(e) => format!(
            "LIST {pods} pods p50: watch cache {cache_ms:.1} ms ; LIST from etcd FAILED: {e} ; raw etcd range {raw_ms:.1} ms ; \
             the same answer from memory {floor_ms:.1} ms"
        ),
    };
    report.push(Metric::new(
        "list_floor_p50_ms",
        "LIST answer sent from memory by the floor server, p50",
        floor_ms,
        " ms",
    ));
    report.push(Metric::new(
        "list_raw_etcd_p50_ms",
        "raw etcd range read p50 (reference)",
        raw_ms,
        " ms",
    ));
    println!("  {line}");
    report.summary.push(line);
    Ok(())
}

/// How many items a list answer holds (parsed outside the timed part).
fn count_items(body: &[u8]) -> anyhow::Result<usize> {
    let list: serde_json::Value =
        serde_json::from_slice(body).context("the LIST answer is not JSON")?;
    list.get("items")
        .and_then(serde_json::Value::as_array)
        .map(Vec::len)
        .context("the LIST answer has no items array")
}

/// Time one GET until the last byte of its body has arrived; fail unless it answers 200.
/// The body is read frame by frame and dropped as it comes: the clock measures serving and
/// transfer, not this client gluing megabytes into one buffer. Both LISTs are timed this way.
async fn timed_read(http: &Http, path: &str) -> anyhow::Result<Duration> {
    use http_body_util::BodyExt;
    let started = Instant::now();
    let resp = http.start("GET", path, "", Vec::new()).await?;
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let read_all = async {
        while let Some(frame) = body.frame().await {
            frame.context("reading a LIST answer")?;
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(Duration::from_secs(60), read_all)
        .await
        .with_context(|| format!("GET {path}: body not read within 60 s"))??;
    let took = started.elapsed();
    anyhow::ensure!(status == 200, "GET {path}: status {status}");
    Ok(took)
}

/// GET `path` and return its whole body (for checking what a LIST holds, outside the timed
/// runs); fail unless it answers 200.
async fn get_body(http: &Http, path: &str) -> anyhow::Result<bytes::Bytes> {
    let (status, body) = http.send("GET", path, "", Vec::new()).await?;
    if status != 200 {
        anyhow::bail!(
            "GET {path}: status {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
    }
    Ok(body)
}
