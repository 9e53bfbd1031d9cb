//! Phase 2: how long a change takes to reach many watchers while writes keep coming.
//!
//! ```text
//!  paced writer ──POST/PATCH──► API server ──► etcd
//!  (stamps "sent" time)             │  ◄── one etcd watch (the watch cache)
//!                                   └──► watch stream 1 .. N ──► "received" time
//! ```
//!
//! Each write carries the moment it was sent, as nanoseconds since a clock shared by the
//! whole benchmark process, in the annotation `kubeling.dev/bench-sent-ns`. Every watcher
//! subtracts it from the moment the event arrived. So one sample is the full path a
//! controller experiences: the write through the API server into etcd, etcd's watch back to
//! the watch cache, and the fan-out to every watcher's HTTP stream. The write's own latency
//! is reported beside it, so the two can be told apart.
//!
//! The writer is *open-loop*: write i is due at `i / rate` seconds, whether or not earlier
//! writes have finished (up to a limit in flight). A closed-loop writer would slow down
//! whenever the server did and hide exactly the queueing we want to see.

use super::apiserver::Settings;
use super::harness::{percentile, Http};
use super::procfs::CpuMeter;
use super::{Metric, Report, Target};
use anyhow::Context;
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Semaphore};

/// The annotation carrying the send time.
const SENT: &str = "kubeling.dev/bench-sent-ns";
/// Writes allowed in flight at once; beyond that the writer falls behind its schedule.
const MAX_IN_FLIGHT: usize = 64;
/// How long watchers may take, after the last write, to receive everything.
const GRACE: Duration = Duration::from_secs(10);

/// What the watchers are told while they run.
#[derive(Clone, Copy, Debug, Default)]
struct Signal {
    /// How many events each should receive (known once the writer is done).
    expected: Option<u64>,
    /// Stop now, whatever has arrived.
    stop: bool,
}

/// One watcher's result.
struct Received {
    /// Receive time minus send time of each event, in microseconds.
    latencies_us: Vec<u64>,
    events: u64,
}

pub async fn run(
    settings: &Settings,
    http: &Http,
    pids: &[(&'static str, u32)],
    report: &mut Report,
) -> anyhow::Result<()> {
    let (watchers, rate) = (settings.watchers, settings.watch_rate);
    println!(
        "\n[2/4] watch latency: {watchers} watchers, {rate} writes/s for {:?}",
        settings.watch_duration
    );
    let ns = br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench-watch"}}"#;
    http.post_json("/api/v1/namespaces", ns.to_vec(), 201)
        .await?;
    let base = "/api/v1/namespaces/bench-watch/configmaps";
    let rv = list_resource_version(http, base).await?;

    // The clock every timestamp is measured on: one Instant, read by writer and watchers.
    let epoch = Instant::now();
    let (signal_tx, signal_rx) = watch::channel(Signal::default());
    let mut tasks = Vec::with_capacity(watchers);
    for _ in 0..watchers {
        let path = format!("{base}?watch=true&resourceVersion={rv}");
        let resp = http.start("GET", &path, "", Vec::new()).await?;
        anyhow::ensure!(resp.status() == 200, "GET {path}: status {}", resp.status());
        let body = resp.into_body();
        tasks.push(tokio::spawn(receive(body, epoch, signal_rx.clone())));
    }

    let cpu = CpuMeter::start(pids)?;
    let writes = write(settings, http, base, epoch).await;
    anyhow::ensure!(
        writes.ok > 0,
        "every write failed: {}",
        writes.first_error.as_deref().unwrap_or("")
    );
    // Tell the watchers how many events to expect, and give them a while to see them all.
    signal_tx.send_replace(Signal {
        expected: Some(writes.ok),
        stop: false,
    });
    let deadline = tokio::time::Instant::now() + GRACE;
    let mut received = Vec::with_capacity(tasks.len());
    for mut task in tasks {
        let finished = match tokio::time::timeout_at(deadline, &mut task).await {
            Ok(result) => result,
            Err(_) => {
                signal_tx.send_replace(Signal {
                    expected: Some(writes.ok),
                    stop: true,
                });
                task.await
            }
        };
        received.push(finished.context("a watcher task panicked")?);
    }
    let cpu = cpu.used()?;
    record(settings, writes, received, &cpu, report);
    Ok(())
}

/// What the paced writer did.
struct Writes {
    ok: u64,
    failed: u64,
    /// Latency of each successful write, in microseconds.
    latencies_us: Vec<u64>,
    first_error: Option<String>,
}

/// Print the phase's results and add them to the report.
fn record(
    settings: &Settings,
    mut writes: Writes,
    received: Vec<Received>,
    cpu: &[(&'static str, Duration)],
    report: &mut Report,
) {
    let (watchers, rate) = (settings.watchers, settings.watch_rate);
    let achieved = writes.ok as f64 / settings.watch_duration.as_secs_f64();
    let delivered: u64 = received.iter().map(|r| r.events).sum();
    let wanted = writes.ok * watchers as u64;
    let delivered_pct = 100.0 * delivered as f64 / wanted.max(1) as f64;
    let mut all: Vec<u64> = received.into_iter().flat_map(|r| r.latencies_us).collect();
    let ms = |v: &mut Vec<u64>, q| percentile(v, q) as f64 / 1000.0;
    let (p50, p99, max) = (ms(&mut all, 50.0), ms(&mut all, 99.0), ms(&mut all, 100.0));
    let w = &mut writes.latencies_us;
    let (w50, w99) = (ms(w, 50.0), ms(w, 99.0));
    let line = format!(
        "watch delivery to {watchers} watchers at {achieved:.0} writes/s (asked {rate}): p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.1} ms ; \
         {delivered} of {wanted} events delivered ({delivered_pct:.1}%) ; the writes alone: p50 {w50:.2} ms, p99 {w99:.2} ms"
    );
    // CPU per delivered event: each write is stored once but sent to every watcher.
    let per_event: Vec<(&str, f64)> = cpu
        .iter()
        .map(|(name, used)| (*name, used.as_micros() as f64 / delivered.max(1) as f64))
        .collect();
    // The floor server (floor.rs) idles through this phase: leave out whoever did nothing.
    let cpu_line = per_event
        .iter()
        .filter(|(_, us)| *us >= 0.05)
        .map(|(name, us)| format!("{name} {us:.1} µs"))
        .collect::<Vec<_>>()
        .join(", ");
    println!("  {line}");
    println!("    CPU per delivered event: {cpu_line}");
    if let Some(e) = &writes.first_error {
        println!("    {} writes failed; first error: {e}", writes.failed);
    }
    report.summary.push(line);
    report
        .summary
        .push(format!("CPU per delivered watch event: {cpu_line}"));

    let mut push = |key: &str, label: &str, value: f64, unit: &'static str| {
        report.push(Metric::new(key, label, value, unit));
    };
    push(
        "watch_writes_per_sec",
        "watch phase writes/s achieved",
        achieved,
        "/s",
    );
    let label = |what: &str| format!("watch delivery {what}, {watchers} watchers");
    push("watch_latency_p50_ms", &label("p50"), p50, " ms");
    push("watch_latency_p99_ms", &label("p99"), p99, " ms");
    push(
        "watch_write_p99_ms",
        "watch phase write p99 (part of the above)",
        w99,
        " ms",
    );
    if let Some((_, us)) = per_event.iter().find(|(name, _)| *name == "apiserver") {
        let label = "apiserver CPU per delivered watch event";
        push("watch_cpu_us_per_event_apiserver", label, *us, " µs");
    }
    report.push(
        Metric::new(
            "watch_delivered_percent",
            "watch events delivered",
            delivered_pct,
            "%",
        )
        .with_target(Target::AtLeast(100.0)),
    );
}

/// The resourceVersion of an (empty) list: watching from it sees every later change.
async fn list_resource_version(http: &Http, path: &str) -> anyhow::Result<String> {
    let (status, body) = http.send("GET", path, "", Vec::new()).await?;
    anyhow::ensure!(status == 200, "GET {path}: status {status}");
    let list: serde_json::Value = serde_json::from_slice(&body).context("list is not JSON")?;
    list.pointer("/metadata/resourceVersion")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .context("the list has no metadata.resourceVersion")
}

/// The paced writer: `rate × duration` writes, write i due at `i / rate` s. The first
/// `rate / 5` writes create objects `w-0 ..`; later ones merge-patch them in turn, so the
/// watchers see both ADDED and MODIFIED events.
async fn write(settings: &Settings, http: &Http, base: &str, epoch: Instant) -> Writes {
    let rate = settings.watch_rate.max(1);
    let total = rate * settings.watch_duration.as_secs().max(1);
    let objects = (rate / 5).max(1);
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let start = tokio::time::Instant::now();
    let mut writes = Vec::with_capacity(total as usize);
    for i in 0..total {
        tokio::time::sleep_until(start + Duration::from_nanos(i * 1_000_000_000 / rate)).await;
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            break;
        };
        let (http, base) = (http.clone(), base.to_string());
        writes.push(tokio::spawn(async move {
            let _permit = permit;
            let name = format!("w-{}", i % objects);
            let sent = epoch.elapsed().as_nanos();
            let annotations = format!(r#"{{"{SENT}":"{sent}"}}"#);
            let result = if i < objects {
                let body = format!(
                    r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}","annotations":{annotations}}},"data":{{"n":"{i}"}}}}"#
                );
                http.post_json(&base, body.into_bytes(), 201).await
            } else {
                let body = format!(
                    r#"{{"metadata":{{"annotations":{annotations}}},"data":{{"n":"{i}"}}}}"#
                );
                let path = format!("{base}/{name}");
                let ct = "application/merge-patch+json";
                match http.send("PATCH", &path, ct, body.into_bytes()).await {
                    Ok((200, _)) => Ok(()),
                    Ok((code, b)) => Err(anyhow::anyhow!(
                        "PATCH {path}: status {code}: {}",
                        String::from_utf8_lossy(&b[..b.len().min(300)])
                    )),
                    Err(e) => Err(e),
                }
            };
            let took = (epoch.elapsed().as_nanos() - sent) / 1000;
            result.map(|()| took as u64)
        }));
    }
    let mut done = Writes {
        ok: 0,
        failed: 0,
        latencies_us: Vec::with_capacity(writes.len()),
        first_error: None,
    };
    for w in writes {
        let error = match w.await {
            Ok(Ok(us)) => {
                done.ok += 1;
                done.latencies_us.push(us);
                continue;
            }
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) => e.to_string(),
        };
        done.failed += 1;
        done.first_error.get_or_insert(error);
    }
    done
}

/// One watcher: read newline-delimited events, timing each against its send stamp.
async fn receive(
    mut body: hyper::body::Incoming,
    epoch: Instant,
    mut signal: watch::Receiver<Signal>,
) -> Received {
    let mut got = Received {
        latencies_us: Vec::new(),
        events: 0,
    };
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let now_signal = *signal.borrow_and_update();
        if now_signal.stop || now_signal.expected.is_some_and(|e| got.events >= e) {
            return got;
        }
        let frame = tokio::select! {
            frame = body.frame() => frame,
            changed = signal.changed() => {
                if changed.is_err() { return got; }
                continue;
            }
        };
        // Stamp the arrival before any parsing, so our own work is not counted.
        let arrived = epoch.elapsed().as_nanos();
        let Some(Ok(frame)) = frame else {
            return got; // the stream ended or broke: what arrived is what we report
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        pending.extend_from_slice(&data);
        while let Some(end) = pending.iter().position(|&b| b == b'\n') {
            if let Some(sent) = sent_stamp(&pending[..end]) {
                got.events += 1;
                got.latencies_us
                    .push((arrived.saturating_sub(sent) / 1000) as u64);
            }
            pending.drain(..=end);
        }
    }
}

/// The send stamp in one event line. We look for the annotation's bytes rather than parse
/// the whole JSON event: at 100 watchers × 500 events/s, full parsing would make the
/// benchmark client, on the same two cores, a bottleneck of its own.
fn sent_stamp(line: &[u8]) -> Option<u128> {
    const NEEDLE: &[u8] = b"\"kubeling.dev/bench-sent-ns\":\"";
    let at = line.windows(NEEDLE.len()).position(|w| w == NEEDLE)?;
    let digits = &line[at + NEEDLE.len()..];
    let end = digits.iter().position(|b| !b.is_ascii_digit())?;
    std::str::from_utf8(&digits[..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_send_stamp_is_found_in_an_event_line() {
        let event = format!(
            r#"{{"type":"MODIFIED","object":{{"metadata":{{"annotations":{{"{SENT}":"12345"}}}}}}}}"#
        );
        let line = event.as_bytes();
        assert_eq!(sent_stamp(line), Some(12345));
        assert_eq!(sent_stamp(br#"{"type":"BOOKMARK","object":{}}"#), None);
    }
}
