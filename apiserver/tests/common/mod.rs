//! Fixtures shared by the apiserver's integration tests.
#![allow(dead_code)]

use apiserver::etcd_process::{free_port, on_path, EtcdProcess};
use apiserver::storage::etcd::EtcdStorage;

/// A real etcd in a fresh temp dir on free ports; stopped (by PID) when dropped.
pub struct TestEtcd {
    pub process: EtcdProcess,
    pub dir: tempfile::TempDir,
}

/// Start etcd, or explain why not. In CI (`CI` set) a missing etcd is a failure, not a skip:
/// the suite must really run against etcd there.
pub fn start_etcd() -> Option<TestEtcd> {
    if !on_path("etcd") {
        if std::env::var_os("CI").is_some() {
            panic!(
                "etcd is not installed but CI must run the etcd tests: run scripts/install-deps.sh"
            );
        }
        eprintln!(
            "SKIPPED: etcd is not on PATH (apt-get install etcd-server); not in CI, so skipping"
        );
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let process = EtcdProcess::start(dir.path(), free_port(), free_port()).expect("etcd starts");
    Some(TestEtcd { process, dir })
}

impl TestEtcd {
    pub async fn storage(&self) -> EtcdStorage {
        EtcdStorage::connect(std::slice::from_ref(&self.process.endpoint))
            .await
            .expect("connect to etcd")
    }
}

use apiserver::registry::Registry;
use apiserver::storage::{memory::MemoryStorage, Storage};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// An API server running inside the test process on a free port.
pub struct TestServer {
    pub api: Api,
    pub storage: Arc<dyn Storage>,
    _etcd: Option<TestEtcd>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Which store a test server uses.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Memory,
    Etcd,
}

impl TestServer {
    /// Start a server with the given store and watch-cache window. `None` when etcd is
    /// wanted but not installed outside CI (the reason is printed).
    pub async fn start(backend: Backend, window: usize) -> Option<TestServer> {
        let (storage, etcd): (Arc<dyn Storage>, Option<TestEtcd>) = match backend {
            Backend::Memory => (Arc::new(MemoryStorage::default()), None),
            Backend::Etcd => {
                let etcd = start_etcd()?;
                (Arc::new(etcd.storage().await), Some(etcd))
            }
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let api = start(storage.clone(), window, async {
            let _ = stopped.await;
        })
        .await;
        Some(TestServer {
            api,
            storage,
            _etcd: etcd,
            _stop: stop,
        })
    }
}

/// Serve `storage` on a free port, bootstrapped, for the rest of the test, and return a client
/// for it: for tests that need storage of their own making (a counting wrapper, an etcd they
/// stop and restart).
pub async fn serve(storage: Arc<dyn Storage>, window: usize) -> Api {
    start(storage, window, std::future::pending()).await
}

/// Bootstrap a registry over `storage` and serve it on a free port until `shutdown`.
async fn start(
    storage: Arc<dyn Storage>,
    window: usize,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Api {
    let registry = Registry::new(storage, window);
    registry.bootstrap().await.expect("bootstrap");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(apiserver::server::serve(listener, registry, shutdown));
    Api::new(&base)
}

/// A tiny HTTP client for tests: every call returns (status code, JSON body).
#[derive(Clone)]
pub struct Api {
    pub base: String,
    client: HttpClient,
}

impl Api {
    pub fn new(base: &str) -> Self {
        Api {
            base: base.to_string(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Send a request with a raw body and content type; returns status and raw body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (u16, Vec<u8>) {
        let req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path))
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let resp = tokio::time::timeout(Duration::from_secs(30), self.client.request(req))
            .await
            .expect("answer within 30s")
            .expect("request sent");
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, body)
    }

    /// Send raw bytes; parse the answer as JSON.
    pub async fn raw_json(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, Value) {
        let (status, body) = self.raw(method, path, content_type, body.to_vec()).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(method, path, "application/json", body).await
    }

    pub async fn call_as(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let bytes = body
            .map(|b| serde_json::to_vec(&b).expect("json"))
            .unwrap_or_default();
        let (status, body) = self.raw(method, path, content_type, bytes).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("POST", path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("PUT", path, Some(body)).await
    }

    pub async fn merge_patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call_as("PATCH", path, "application/merge-patch+json", Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call("DELETE", path, None).await
    }

    /// Open a watch and return a reader of its events, one JSON value per line.
    pub async fn watch(&self, path: &str) -> WatchReader {
        let req = hyper::Request::builder()
            .uri(format!("{}{}", self.base, path))
            .body(Full::new(Bytes::new()))
            .expect("request");
        let resp = self.client.request(req).await.expect("watch request");
        assert_eq!(resp.status().as_u16(), 200, "a watch answers 200");
        WatchReader {
            body: resp.into_body(),
            buffer: Vec::new(),
        }
    }
}

/// Reads newline-delimited watch events.
pub struct WatchReader {
    body: hyper::body::Incoming,
    buffer: Vec<u8>,
}

impl WatchReader {
    /// The next event, or `None` if the stream ended or nothing came within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(i) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=i).collect();
                return Some(serde_json::from_slice(&line).expect("each line is one JSON event"));
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??;
            if let Ok(data) = frame.expect("watch stream frame").into_data() {
                self.buffer.extend_from_slice(&data);
            }
        }
    }

    /// The next event, which must come within 10 s.
    pub async fn next(&mut self) -> Value {
        self.next_within(Duration::from_secs(10))
            .await
            .expect("a watch event within 10s")
    }
}

/// Generate one `#[tokio::test]` per case and store: `memory::case` and `etcd::case`.
/// Each case is `async fn case(server: &TestServer)`.
#[macro_export]
macro_rules! api_suite {
    (window = $window:expr; $($case:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test]
            async fn $case() {
                let server = $crate::common::TestServer::start($crate::common::Backend::Memory, $window).await.expect("memory server");
                super::$case(&server).await;
            })*
        }
        mod etcd {
            $(#[tokio::test]
            async fn $case() {
                let Some(server) = $crate::common::TestServer::start($crate::common::Backend::Etcd, $window).await else { return };
                super::$case(&server).await;
            })*
        }
    };
}

impl Api {
    /// GET with extra request headers (e.g. `Accept`); returns status, response headers and
    /// raw body.
    pub async fn get_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, hyper::HeaderMap, Vec<u8>) {
        let mut req = hyper::Request::builder().uri(format!("{}{}", self.base, path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let req = req.body(Full::new(Bytes::new())).expect("request");
        let resp = tokio::time::timeout(Duration::from_secs(30), self.client.request(req))
            .await
            .expect("answer within 30s")
            .expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }
}
