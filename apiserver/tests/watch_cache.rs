//! The watch cache's promise: one storage watch per resource however many clients watch, and
//! `resourceVersion=0` lists answered without touching storage. A counting wrapper around the
//! memory store shows both.

mod common;

use apiserver::storage::{
    memory::MemoryStorage, KeyValue, ListOptions, ListResult, Storage, StorageError, Watch,
};
use async_trait::async_trait;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// Counts the calls that matter and forwards everything to a memory store.
#[derive(Default)]
struct Counting {
    inner: MemoryStorage,
    pod_watches: AtomicUsize,
    pod_lists: AtomicUsize,
}

#[async_trait]
impl Storage for Counting {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StorageError> {
        self.inner.get(key).await
    }
    async fn list(&self, prefix: &str, opts: ListOptions) -> Result<ListResult, StorageError> {
        if prefix.starts_with("/registry/pods/") {
            self.pod_lists.fetch_add(1, SeqCst);
        }
        self.inner.list(prefix, opts).await
    }
    async fn create(&self, key: &str, value: Vec<u8>) -> Result<i64, StorageError> {
        self.inner.create(key, value).await
    }
    async fn update(&self, key: &str, value: Vec<u8>, expected: i64) -> Result<i64, StorageError> {
        self.inner.update(key, value, expected).await
    }
    async fn delete(&self, key: &str, expected: i64) -> Result<i64, StorageError> {
        self.inner.delete(key, expected).await
    }
    async fn watch(&self, prefix: &str, from: i64, prev_kv: bool) -> Result<Watch, StorageError> {
        if prefix.starts_with("/registry/pods/") {
            self.pod_watches.fetch_add(1, SeqCst);
        }
        self.inner.watch(prefix, from, prev_kv).await
    }
    async fn compact(&self, revision: i64) -> Result<(), StorageError> {
        self.inner.compact(revision).await
    }
    async fn current_revision(&self) -> Result<i64, StorageError> {
        self.inner.current_revision().await
    }
}

#[tokio::test]
async fn fifty_watchers_share_one_storage_watch_and_cached_lists_skip_storage() {
    let storage = Arc::new(Counting::default());
    let api = common::serve(storage.clone(), 1000).await;
    let pods = "/api/v1/namespaces/default/pods";
    let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    assert_eq!(api.post(pods, pod).await.0, 201);

    let mut watchers = Vec::new();
    for _ in 0..50 {
        let mut w = api.watch(&format!("{pods}?watch=true")).await;
        assert_eq!(w.next().await["type"], "ADDED");
        watchers.push(w);
    }
    api.merge_patch(
        &format!("{pods}/p"),
        json!({"metadata": {"labels": {"x": "y"}}}),
    )
    .await;
    for w in &mut watchers {
        assert_eq!(
            w.next().await["type"],
            "MODIFIED",
            "every watcher gets the change"
        );
    }
    assert_eq!(
        storage.pod_watches.load(SeqCst),
        1,
        "one storage watch for all 50 watchers"
    );

    let lists_before = storage.pod_lists.load(SeqCst);
    for _ in 0..10 {
        let (code, list) = api.get(&format!("{pods}?resourceVersion=0")).await;
        assert_eq!(
            (code, list["items"].as_array().map(Vec::len)),
            (200, Some(1))
        );
    }
    assert_eq!(
        storage.pod_lists.load(SeqCst),
        lists_before,
        "resourceVersion=0 lists never touch storage"
    );
    api.get(pods).await;
    assert_eq!(
        storage.pod_lists.load(SeqCst),
        lists_before + 1,
        "a plain list reads storage"
    );

    let (_, metrics) = api.raw("GET", "/metrics", "", vec![]).await;
    let text = String::from_utf8(metrics).unwrap();
    assert!(
        text.contains("apiserver_registered_watchers{resource=\"pods\"} 50"),
        "{text}"
    );
}

/// After many objects arrive one by one, a LIST has the cache pack their JSON into a few large
/// buffers (`packing.rs`): later LISTs return the very same bytes, now lying next to each other
/// in memory, and changes after the pack are served as before.
#[tokio::test]
async fn a_list_has_the_cache_pack_its_objects_and_nothing_changes_for_clients() {
    use apiserver::watch_cache::WatchCache;
    let storage = Arc::new(MemoryStorage::default());
    let res = apiserver::resources::find("", "v1", "configmaps").unwrap();
    let cache = WatchCache::start(res, storage.clone(), 10_000);
    cache.wait_ready().await.unwrap();
    let key = |i: usize| format!("/registry/configmaps/default/cm-{i:04}");
    let mut last = 0;
    for i in 0..1500 {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("cm-{i:04}"), "namespace": "default"},
            "data": {"n": i.to_string()}});
        last = storage
            .create(&key(i), serde_json::to_vec(&cm).unwrap())
            .await
            .unwrap();
    }
    let caught_up = || cache.resource_version() >= last;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !caught_up() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(caught_up(), "the cache follows storage");

    // The first LIST sees the objects where they were stored (one piece each) and asks for
    // a pack; once packed, neighbours come as runs: a few pieces for all 1,500 objects.
    let join = |pieces: &[bytes::Bytes]| {
        let parts: Vec<&[u8]> = pieces.iter().map(|p| &p[..]).collect();
        parts.join(&b","[..])
    };
    let (before, _) = cache.list("default", |_| true);
    assert_eq!(
        before.len(),
        1500,
        "stored one by one, one piece per object"
    );
    let mut after = cache.list("default", |_| true).0;
    while after.len() > 10 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        after = cache.list("default", |_| true).0;
    }
    assert!(after.len() <= 2, "packed: {} pieces", after.len());
    assert_eq!(
        join(&before),
        join(&after),
        "packing changes no byte of the answer"
    );

    // A change after the pack is served as usual.
    let kv = storage.get(&key(7)).await.unwrap().unwrap();
    let changed = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cm-0007", "namespace": "default"}, "data": {"n": "changed"}});
    let rv = storage
        .update(
            &key(7),
            serde_json::to_vec(&changed).unwrap(),
            kv.mod_revision,
        )
        .await
        .unwrap();
    while cache.resource_version() < rv && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let (pieces, _) = cache.list("default", |_| true);
    let array = [&b"["[..], &join(&pieces), b"]"].concat();
    let items: Vec<serde_json::Value> = serde_json::from_slice(&array).unwrap();
    assert_eq!(items.len(), 1500);
    assert_eq!(items[7]["data"]["n"], "changed");
    assert_eq!(items[8]["data"]["n"], "8");
    assert!(
        pieces.len() >= 3,
        "the changed object breaks the run in two"
    );
}
