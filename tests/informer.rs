//! The informer's promise, tested against the real API server on both stores: whatever
//! happens — the API server dies mid-stream, history is compacted past the watcher's
//! resourceVersion, a thousand updates land at once — the informer's store ends up equal to a
//! fresh list, and deletions it could not see arrive as tombstones.

mod common;

use apiserver::registry::Registry;
use apiserver::storage::{memory::MemoryStorage, Storage};
use k8s_openapi::api::core::v1::ConfigMap;
use machinery::client::{Api, Client, Config, ListParams, Patch};
use machinery::informer::Informer;
use machinery::reflector::{Deleted, EventHandler};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An API server on its own runtime and thread; dropping the runtime severs every connection,
/// as a crash would. Restarting binds the same port over the same storage.
struct Server {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(storage: Arc<dyn Storage>, port: u16) -> Server {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let (ready_tx, ready) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.spawn(async move {
                let registry = Registry::new(storage, 1000);
                registry.bootstrap().await.expect("bootstrap");
                let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .expect("bind");
                let _ = ready_tx.send(());
                let _ = apiserver::server::serve(listener, registry, std::future::pending()).await;
            });
            let _ = stopped.recv();
            rt.shutdown_background(); // every connection dies at once
        });
        ready
            .recv_timeout(Duration::from_secs(30))
            .expect("server ready");
        Server {
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn kill(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Default)]
struct Counts {
    tombstones: AtomicUsize,
    deletes: AtomicUsize,
}

impl EventHandler<ConfigMap> for Counts {
    fn on_delete(&self, obj: &Deleted<ConfigMap>) {
        self.deletes.fetch_add(1, SeqCst);
        if matches!(obj, Deleted::FinalStateUnknown(_)) {
            self.tombstones.fetch_add(1, SeqCst);
        }
    }
}

fn cm(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name}, "data": {"v": value}}))
    .expect("configmap")
}

/// name -> (resourceVersion, data.v) of everything in `default`.
fn summarize<'a>(items: impl Iterator<Item = &'a ConfigMap>) -> BTreeMap<String, (String, String)> {
    items
        .map(|c| {
            let v = c
                .data
                .as_ref()
                .and_then(|d| d.get("v"))
                .cloned()
                .unwrap_or_default();
            (
                c.metadata.name.clone().unwrap_or_default(),
                (c.metadata.resource_version.clone().unwrap_or_default(), v),
            )
        })
        .collect()
}

/// Wait until the informer's store equals a fresh list from the server.
async fn converges(api: &Api<ConfigMap>, informer: &Informer<ConfigMap>, what: &str) {
    let started = Instant::now();
    loop {
        let fresh = api
            .list(&ListParams::default())
            .await
            .map(|l| summarize(l.items.iter()));
        let cached: Vec<Arc<ConfigMap>> = informer.store().list();
        let cached = summarize(cached.iter().map(|a| a.as_ref()));
        if fresh.as_ref().ok() == Some(&cached) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what}: the store never matched a fresh list\nstore: {cached:?}\nlist: {fresh:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn informer_survives_everything(storage: Arc<dyn Storage>) {
    let port = apiserver::etcd_process::free_port();
    let mut server = Server::start(storage.clone(), port);
    let mut config = Config::new(&format!("http://127.0.0.1:{port}")).expect("config");
    config.qps = 1000.0;
    config.burst = 1000;
    let client = Client::new(config);
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    // A second registry on the same storage makes changes while the server is down.
    let offline = Registry::new(storage.clone(), 100);
    let cms = apiserver::resources::find("", "v1", "configmaps").expect("served");

    for i in 0..10 {
        api.create(&cm(&format!("c{i}"), "0"))
            .await
            .expect("create");
    }
    let informer = Informer::new(api.clone(), ListParams::default(), vec![]);
    let counts = Arc::new(Counts::default());
    informer.add_handler(counts.clone());
    informer.start();
    informer.store().wait_until_synced().await;
    converges(&api, &informer, "initial list").await;

    // (c) 1000 rapid updates from 10 concurrent writers.
    let mut writers = Vec::new();
    for i in 0..10 {
        let api = api.clone();
        writers.push(tokio::spawn(async move {
            for n in 1..=100 {
                let patch = Patch::Merge(json!({"data": {"v": n.to_string()}}));
                api.patch(&format!("c{i}"), &patch).await.expect("patch");
            }
        }));
    }
    for w in writers {
        w.await.expect("writer");
    }
    converges(&api, &informer, "1000 rapid updates").await;
    assert!(informer.store().list().iter().all(|c| c
        .data
        .as_ref()
        .and_then(|d| d.get("v"))
        .map(String::as_str)
        == Some("100")));

    // (a) The API server dies mid-stream; changes happen while it is down; it comes back.
    server.kill();
    offline
        .create(
            cms,
            "default",
            json!({"metadata": {"name": "while-down"}, "data": {"v": "x"}}),
        )
        .await
        .expect("create");
    offline
        .delete(cms, "default", "c0", &Default::default())
        .await
        .expect("delete");
    server = Server::start(storage.clone(), port);
    converges(&api, &informer, "API server restart").await;
    assert_eq!(
        counts.deletes.load(SeqCst),
        1,
        "the delete was seen as it happened (history replayed)"
    );

    // (b) History is compacted past the informer's resourceVersion while it cannot watch.
    server.kill();
    offline
        .delete(cms, "default", "c1", &Default::default())
        .await
        .expect("delete");
    offline
        .create(
            cms,
            "default",
            json!({"metadata": {"name": "after-compaction"}}),
        )
        .await
        .expect("create");
    let now = storage.current_revision().await.expect("revision");
    storage.compact(now).await.expect("compact");
    server = Server::start(storage.clone(), port);
    converges(&api, &informer, "compaction (410, relist)").await;
    assert_eq!(
        counts.tombstones.load(SeqCst),
        1,
        "c1's deletion arrives as a tombstone after the relist"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_informer_equals_a_fresh_list_after_restart_compaction_and_a_burst() {
    informer_survives_everything(Arc::new(MemoryStorage::default())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_store_informer_equals_a_fresh_list_after_restart_compaction_and_a_burst() {
    if !common::require(&["etcd"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let etcd = apiserver::etcd_process::EtcdProcess::start(
        dir.path(),
        apiserver::etcd_process::free_port(),
        apiserver::etcd_process::free_port(),
    )
    .expect("etcd");
    let storage =
        apiserver::storage::etcd::EtcdStorage::connect(std::slice::from_ref(&etcd.endpoint))
            .await
            .expect("connect");
    informer_survives_everything(Arc::new(storage)).await;
}
