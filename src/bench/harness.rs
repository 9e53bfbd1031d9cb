//! The benchmark's test bench: a private etcd and API server, an HTTP client, a load driver.
//!
//! Everything here exists so that the phases in [`super::apiserver`] and [`super::watch`] can
//! say *what* they measure in a few lines. Three ideas matter:
//!
//! - **A cluster of our own.** [`Cluster::start`] runs etcd and the API server as child
//!   processes in a fresh temporary directory, on free loopback ports. The API server is this
//!   very binary (`current_exe() apiserver ...`), so a release build benchmarks a release API
//!   server, and because it is a separate process we can read its memory from `/proc`.
//!   Dropping the [`Cluster`] stops exactly the children it started, by PID.
//! - **Closed-loop load.** [`drive`] runs N clients, each sending its next request as soon
//!   as the previous one is answered. Throughput then means "how fast can the server go with N
//!   requests in flight", which is how upstream's etcd and apiserver benchmarks measure it too.
//! - **Percentiles, not averages.** A watch that is usually 1 ms but sometimes 200 ms is a
//!   different system from one that is always 2 ms; p50 and p99 tell them apart.

use anyhow::Context;
use apiserver::etcd_process::{free_port, terminate, EtcdProcess};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a single benchmark request may take before we call it failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A directory under the system temp dir, removed (with everything in it) when dropped.
pub struct WorkDir {
    pub path: PathBuf,
}

impl WorkDir {
    /// `kubeling-bench-<pid>-<nanos>`: unique enough that two runs never share etcd data.
    pub fn create() -> anyhow::Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!("kubeling-bench-{}-{nanos}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(WorkDir { path })
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The API server child process; dropping this stops it (SIGTERM, then SIGKILL).
pub struct ApiserverChild {
    child: Child,
}

impl ApiserverChild {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ApiserverChild {
    fn drop(&mut self) {
        terminate(&mut self.child, Duration::from_secs(5));
    }
}

/// etcd + API server + the floor server (`floor.rs`), all children of this process.
///
/// Field order is drop order: the API server and the floor server stop first (they are
/// etcd's clients), then etcd, then the directory holding their data and logs is removed.
pub struct Cluster {
    pub apiserver: ApiserverChild,
    pub floor: ApiserverChild,
    pub etcd: EtcdProcess,
    /// `http://127.0.0.1:PORT` of the API server.
    pub base: String,
    /// `http://127.0.0.1:PORT` of the floor server.
    pub floor_base: String,
    pub apiserver_log: PathBuf,
    pub dir: WorkDir,
}

impl Cluster {
    /// Start etcd, then the API server, and wait until `/readyz` answers 200.
    pub async fn start() -> anyhow::Result<Cluster> {
        let dir = WorkDir::create()?;
        let etcd = EtcdProcess::start(&dir.path, free_port(), free_port())
            .context("cannot start etcd for the benchmark")?;
        let port = free_port();
        let apiserver_log = dir.path.join("apiserver.log");
        let apiserver = spawn_apiserver(&apiserver_log, &etcd.endpoint, port)?;
        let floor_port = free_port();
        let floor_log = dir.path.join("floor.log");
        let floor_args = ["bench", "floor", "--etcd-servers", &etcd.endpoint, "--port"]
            .map(String::from)
            .into_iter()
            .chain([floor_port.to_string()])
            .collect::<Vec<_>>();
        let floor = spawn_apiserver_with(&floor_log, &floor_args)?;
        let cluster = Cluster {
            apiserver,
            floor,
            etcd,
            base: format!("http://127.0.0.1:{port}"),
            floor_base: format!("http://127.0.0.1:{floor_port}"),
            apiserver_log,
            dir,
        };
        cluster.wait_ready(Duration::from_secs(30)).await?;
        let limit = Duration::from_secs(30);
        wait_ready(&cluster.floor_base, cluster.floor.pid(), &floor_log, limit).await?;
        Ok(cluster)
    }

    async fn wait_ready(&self, limit: Duration) -> anyhow::Result<()> {
        wait_ready(&self.base, self.apiserver.pid(), &self.apiserver_log, limit).await
    }
}

/// Poll `base/readyz` until it says 200, failing early if the server (`pid`) exits.
pub async fn wait_ready(base: &str, pid: u32, log: &Path, limit: Duration) -> anyhow::Result<()> {
    let http = Http::new(base);
    let started = Instant::now();
    while started.elapsed() < limit {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        if let Ok((200, _)) = http.send("GET", "/readyz", "", Vec::new()).await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!(
        "the server at {base} did not become ready within {limit:?}; its log is {}",
        log.display()
    )
}

/// `kubeling apiserver --etcd-servers URL --port N`, run from this same executable.
fn spawn_apiserver(log: &Path, etcd: &str, port: u16) -> anyhow::Result<ApiserverChild> {
    let args = [
        "apiserver",
        "--etcd-servers",
        etcd,
        "--port",
        &port.to_string(),
    ]
    .map(String::from);
    spawn_apiserver_with(log, &args)
}

/// `kubeling ARGS...` from this same executable, its output into `log`.
pub fn spawn_apiserver_with(log: &Path, args: &[String]) -> anyhow::Result<ApiserverChild> {
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let out =
        std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    let err = out.try_clone()?;
    let child = Command::new(&exe)
        .args(args)
        // One log line per request would cost the server more than some requests do.
        .env("KUBELING_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start {} {}", exe.display(), args.join(" ")))?;
    Ok(ApiserverChild { child })
}

/// A keep-alive HTTP/1.1 client for one server: connections are pooled and reused, so the
/// benchmark measures requests, not TCP handshakes.
#[derive(Clone)]
pub struct Http {
    pub base: String,
    pub client: Client<HttpConnector, Full<Bytes>>,
}

impl Http {
    pub fn new(base: &str) -> Self {
        let mut connector = HttpConnector::new();
        // Without TCP_NODELAY, Nagle's algorithm may hold a small request back until the
        // previous segment is acknowledged: tens of milliseconds of latency that is not the
        // server's.
        connector.set_nodelay(true);
        Http {
            base: base.to_string(),
            client: Client::builder(TokioExecutor::new()).build(connector),
        }
    }

    /// Start a request and return the response with its body still unread (for watches).
    pub async fn start(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<hyper::Response<hyper::body::Incoming>> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if !content_type.is_empty() {
            req = req.header("content-type", content_type);
        }
        let req = req.body(Full::new(Bytes::from(body)))?;
        tokio::time::timeout(REQUEST_TIMEOUT, self.client.request(req))
            .await
            .with_context(|| format!("{method} {path}: no answer within {REQUEST_TIMEOUT:?}"))?
            .with_context(|| format!("{method} {path}"))
    }

    /// Send a request and read the whole answer: (status code, body).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let resp = self.start(method, path, content_type, body).await?;
        let status = resp.status().as_u16();
        let body = tokio::time::timeout(REQUEST_TIMEOUT, resp.into_body().collect())
            .await
            .with_context(|| format!("{method} {path}: body not read within {REQUEST_TIMEOUT:?}"))?
            .with_context(|| format!("{method} {path}: reading the body"))?
            .to_bytes();
        Ok((status, body))
    }

    /// POST a JSON body and require `expect` as the status code.
    pub async fn post_json(&self, path: &str, body: Vec<u8>, expect: u16) -> anyhow::Result<()> {
        let (status, answer) = self.send("POST", path, "application/json", body).await?;
        if status != expect {
            anyhow::bail!(
                "POST {path}: status {status}, wanted {expect}: {}",
                String::from_utf8_lossy(&answer[..answer.len().min(300)])
            );
        }
        Ok(())
    }
}

/// When a closed-loop load stops.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    /// After this long (requests already in flight finish).
    After(Duration),
    /// After this many requests in total, shared among the clients.
    Count(u64),
}

/// What a closed-loop load achieved.
#[derive(Debug, Default)]
pub struct LoadResult {
    pub ok: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// Latency of each successful request, in microseconds.
    pub latencies_us: Vec<u64>,
}

impl LoadResult {
    /// Successful requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Add another load's requests to this one (times add up: the loads ran one after another).
    pub fn absorb(&mut self, other: LoadResult) {
        self.ok += other.ok;
        self.errors += other.errors;
        self.elapsed += other.elapsed;
        self.latencies_us.extend(other.latencies_us);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// Fail the phase when every request failed, or more than 1% did: the rate would lie.
    pub fn check(&self, what: &str) -> anyhow::Result<()> {
        let total = self.ok + self.errors;
        if total == 0 || self.errors * 100 > total {
            anyhow::bail!(
                "{what}: {} of {total} requests failed; first error: {}",
                self.errors,
                self.first_error.as_deref().unwrap_or("none")
            );
        }
        Ok(())
    }
}

/// Run `clients` concurrent loops of `op(request_number)` until `stop`; each loop sends its
/// next request only when the previous one has been answered (a closed loop).
pub async fn drive<F, Fut>(clients: usize, stop: Stop, op: F) -> LoadResult
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = LoadResult::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let more = match stop {
                    Stop::After(d) => started.elapsed() < d,
                    Stop::Count(c) => n < c,
                };
                if !more {
                    return mine;
                }
                let sent = Instant::now();
                match op(n).await {
                    Ok(()) => {
                        mine.ok += 1;
                        mine.latencies_us.push(sent.elapsed().as_micros() as u64);
                    }
                    Err(e) => {
                        mine.errors += 1;
                        mine.first_error.get_or_insert_with(|| format!("{e:#}"));
                    }
                }
            }
        }));
    }
    let mut total = LoadResult::default();
    for task in tasks {
        match task.await {
            Ok(r) => total.absorb(r),
            Err(e) => {
                total.errors += 1;
                total.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// The `p`-th percentile (0-100) by the nearest-rank method; sorts `values`. 0 when empty.
pub fn percentile(values: &mut [u64], p: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(percentile(&mut v, 50.0), 50);
        assert_eq!(percentile(&mut v, 99.0), 99);
        assert_eq!(percentile(&mut v, 100.0), 100);
        assert_eq!(percentile(&mut [7], 1.0), 7);
        assert_eq!(percentile(&mut [], 50.0), 0);
    }

    #[tokio::test]
    async fn a_counted_load_runs_exactly_that_many_requests() {
        let result = drive(4, Stop::Count(10), |_| async { Ok(()) }).await;
        assert_eq!((result.ok, result.errors), (10, 0));
        assert_eq!(result.latencies_us.len(), 10);
    }

    #[tokio::test]
    async fn failures_are_counted_and_the_first_is_kept() {
        let result = drive(1, Stop::Count(3), |n| async move {
            anyhow::ensure!(n != 1, "request {n} failed");
            Ok(())
        })
        .await;
        assert_eq!((result.ok, result.errors), (2, 1));
        assert_eq!(result.first_error.as_deref(), Some("request 1 failed"));
        assert!(result.check("test").is_err());
    }
}
