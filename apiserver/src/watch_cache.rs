//! The watch cache: one storage watch per resource, shared by every client.
//!
//! Without it, a thousand kubelets watching pods would be a thousand etcd watches. Upstream's
//! `k8s.io/apiserver/pkg/storage/cacher/` instead keeps, per resource:
//!
//! 1. the **current state** of every object, kept up to date from a single storage watch —
//!    so `list?resourceVersion=0` is answered from memory, without touching etcd;
//! 2. a bounded **window of recent events** — so a client that reconnects with
//!    `watch?resourceVersion=N` gets exactly the events after N, or `410 Gone` if N has
//!    slid out of the window;
//! 3. a **broadcast** of new events to every watcher.
//!
//! ```text
//!  storage watch ──► run() ──► state.objects (for lists)
//!  (one per resource)   │──► state.events (window, for resuming watchers)
//!                       └──► broadcast ──► watcher 1, watcher 2, ... (filtered per watcher)
//! ```
//!
//! Events and bookmarks travel through the same broadcast, so a watcher sees them in order.

use crate::resources::Resource;
use crate::storage::{ListOptions, Storage, StorageError, WatchEvent};
use bytes::Bytes;
use machinery::ApiError;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, watch};

/// Events kept per resource for resuming watchers.
pub const DEFAULT_WINDOW: usize = 10_000;
/// Events a slow watcher may fall behind before it is cut off (it then re-watches).
const BROADCAST_CAPACITY: usize = 4_096;
/// How often to ask storage for progress while anyone watches, to send bookmarks.
const BOOKMARK_EVERY: Duration = Duration::from_secs(10);
/// How long a request waits for the cache to catch up with a resourceVersion it asked for.
const FRESHNESS_WAIT: Duration = Duration::from_secs(3);

/// The three watch event types (bookmarks travel separately as [`CacheEvent::Bookmark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// The wire name: `ADDED`, `MODIFIED`, `DELETED`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// An object as the cache holds it: parsed (for selectors) and encoded once (for responses).
#[derive(Debug, Clone)]
pub struct CachedObject {
    pub value: Arc<Value>,
    pub json: Bytes,
    pub namespace: String,
}

impl CachedObject {
    /// Wrap an object, encoding it once.
    pub fn new(value: Value) -> Self {
        let json = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        let namespace = machinery::meta::namespace(&value).to_string();
        Self {
            value: Arc::new(value),
            json,
            namespace,
        }
    }
}

/// What the cache broadcasts.
#[derive(Debug, Clone)]
pub enum CacheEvent {
    /// A change, at resourceVersion `rv`. For a deletion `object` is the last state.
    Change {
        kind: EventType,
        object: CachedObject,
        prev: Option<CachedObject>,
        rv: i64,
    },
    /// "Everything up to `rv` has been sent."
    Bookmark { rv: i64 },
}

struct State {
    objects: BTreeMap<String, CachedObject>,
    events: VecDeque<Arc<CacheEvent>>,
    /// A watch from resourceVersion N can be served when N >= window_start.
    window_start: i64,
    /// Every change up to this revision is reflected.
    rv: i64,
    tx: broadcast::Sender<Arc<CacheEvent>>,
}

/// The cache for one resource.
pub struct WatchCache {
    resource: &'static Resource,
    storage: Arc<dyn Storage>,
    state: RwLock<State>,
    window: usize,
    /// The cache's revision, for waiters; 0 until the first list is done.
    rv_tx: watch::Sender<i64>,
    /// Ask the run loop to request a progress notification from storage.
    progress_tx: mpsc::UnboundedSender<()>,
}

/// A new watcher's starting point: the events to send first, then the live receiver.
pub struct Subscription {
    pub initial: Vec<Arc<CacheEvent>>,
    pub live: broadcast::Receiver<Arc<CacheEvent>>,
}

impl WatchCache {
    /// Create the cache and start following storage in the background.
    pub fn start(
        resource: &'static Resource,
        storage: Arc<dyn Storage>,
        window: usize,
    ) -> Arc<Self> {
        let (progress_tx, progress_rx) = mpsc::unbounded_channel();
        let cache = Arc::new(WatchCache {
            resource,
            storage,
            state: RwLock::new(State {
                objects: BTreeMap::new(),
                events: VecDeque::new(),
                window_start: 0,
                rv: 0,
                tx: broadcast::channel(BROADCAST_CAPACITY).0,
            }),
            window: window.max(1),
            rv_tx: watch::channel(0).0,
            progress_tx,
        });
        tokio::spawn(cache.clone().run(progress_rx));
        cache
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The revision the cache has caught up to (0 before the first list).
    pub fn resource_version(&self) -> i64 {
        *self.rv_tx.borrow()
    }

    /// Wait until the cache reflects at least revision `rv` (asking storage for progress so
    /// that quiet resources catch up too). `rv == 0` only waits for the first list.
    pub async fn wait_fresh(&self, rv: i64) -> Result<(), ApiError> {
        let mut rx = self.rv_tx.subscribe();
        if *rx.borrow() >= rv.max(1) {
            return Ok(());
        }
        let _ = self.progress_tx.send(());
        let waited = tokio::time::timeout(FRESHNESS_WAIT, rx.wait_for(|r| *r >= rv.max(1))).await;
        match waited {
            Ok(Ok(_)) => Ok(()),
            _ if self.resource_version() == 0 => Err(ApiError::service_unavailable(format!(
                "the watch cache for {} is not ready yet (is etcd reachable?)",
                self.resource.plural
            ))),
            _ => Err(ApiError::timeout(format!(
                "Too large resource version: {rv}, current: {}",
                self.resource_version()
            ))),
        }
    }

    /// Every cached object in `namespace` ("" = all), in key order, with the cache's revision.
    pub fn list(&self, namespace: &str) -> (Vec<CachedObject>, i64) {
        let state = self.read();
        let prefix = self.resource.prefix(namespace);
        let items = state
            .objects
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, o)| o.clone())
            .collect();
        (items, state.rv)
    }

    /// Start watching after revision `from` (`None` = send the current state as ADDED first).
    /// Call [`WatchCache::wait_fresh`] first so that `from` is not in the cache's future.
    pub fn subscribe(&self, from: Option<i64>) -> Result<Subscription, ApiError> {
        let state = self.read();
        let initial = match from {
            None => state
                .objects
                .values()
                .map(|o| {
                    Arc::new(CacheEvent::Change {
                        kind: EventType::Added,
                        object: o.clone(),
                        prev: None,
                        rv: state.rv,
                    })
                })
                .collect(),
            Some(n) if n < state.window_start => {
                return Err(ApiError::expired(format!(
                    "too old resource version: {n} ({})",
                    state.window_start
                )))
            }
            Some(n) => state
                .events
                .iter()
                .filter(|e| matches!(***e, CacheEvent::Change { rv, .. } if rv > n))
                .cloned()
                .collect(),
        };
        Ok(Subscription {
            initial,
            live: state.tx.subscribe(),
        })
    }

    /// The run loop: list, then follow the storage watch; relist when history is compacted
    /// under us; re-watch after a broken stream (etcd restarted).
    async fn run(self: Arc<Self>, mut progress_rx: mpsc::UnboundedReceiver<()>) {
        let prefix = self.resource.prefix("");
        let mut need_list = true;
        loop {
            if need_list {
                if let Err(e) = self.relist(&prefix).await {
                    tracing::warn!(resource = self.resource.plural, error = %e, "watch cache list failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                need_list = false;
            }
            let from = self.read().rv + 1;
            let mut watch = match self.storage.watch(&prefix, from).await {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!(resource = self.resource.plural, error = %e, "watch cache watch failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let mut bookmark_tick = tokio::time::interval(BOOKMARK_EVERY);
            loop {
                tokio::select! {
                    event = watch.events.recv() => match event {
                        Some(Ok(event)) => self.apply(event),
                        Some(Err(StorageError::Compacted { .. })) => { need_list = true; break; }
                        Some(Err(e)) => {
                            tracing::warn!(resource = self.resource.plural, error = %e, "storage watch broke; re-watching");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            break;
                        }
                        None => { tokio::time::sleep(Duration::from_secs(1)).await; break; }
                    },
                    Some(()) = progress_rx.recv() => watch.request_progress(),
                    _ = bookmark_tick.tick() => {
                        if self.read().tx.receiver_count() > 0 {
                            watch.request_progress();
                        }
                    }
                }
            }
        }
    }

    /// Replace the whole state with a fresh list. Current watchers are cut off (their
    /// channel closes) because the events between their position and the list are lost;
    /// they re-watch, and get 410 if they are now too old.
    async fn relist(&self, prefix: &str) -> Result<(), StorageError> {
        let list = self.storage.list(prefix, ListOptions::default()).await?;
        let mut objects = BTreeMap::new();
        for kv in list.kvs {
            if let Some(obj) = decode(&kv.value, kv.mod_revision) {
                objects.insert(kv.key, CachedObject::new(obj));
            }
        }
        let mut state = self.write();
        state.objects = objects;
        state.events.clear();
        state.window_start = list.revision;
        state.rv = list.revision;
        state.tx = broadcast::channel(BROADCAST_CAPACITY).0;
        drop(state);
        self.rv_tx.send_replace(list.revision);
        Ok(())
    }

    /// Fold one storage event into the state and broadcast it.
    fn apply(&self, event: WatchEvent) {
        let mut state = self.write();
        if !matches!(event, WatchEvent::Progress { .. }) && event.revision() <= state.rv {
            // Storage promised (by a progress notify) that it had sent everything up to
            // state.rv, yet here is an older change. Keep it — losing it would be worse —
            // but say so: watchers may have been told a bookmark past it.
            tracing::warn!(
                resource = self.resource.plural,
                event = event.revision(),
                cache = state.rv,
                "storage delivered a change older than its last progress notify"
            );
        }
        let change = match event {
            WatchEvent::Progress { revision } => {
                if revision > state.rv {
                    state.rv = revision;
                }
                let rv = state.rv;
                let _ = state.tx.send(Arc::new(CacheEvent::Bookmark { rv }));
                drop(state);
                self.rv_tx.send_replace(rv);
                return;
            }
            WatchEvent::Put { kv, .. } => {
                let Some(obj) = decode(&kv.value, kv.mod_revision) else {
                    return;
                };
                let object = CachedObject::new(obj);
                let prev = state.objects.insert(kv.key, object.clone());
                let kind = if prev.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                };
                CacheEvent::Change {
                    kind,
                    object,
                    prev,
                    rv: kv.mod_revision,
                }
            }
            WatchEvent::Delete { key, revision, .. } => {
                let Some(prev) = state.objects.remove(&key) else {
                    return;
                };
                // The deleted object is sent with the deletion's resourceVersion, as upstream.
                let mut last = (*prev.value).clone();
                machinery::meta::set_meta(
                    &mut last,
                    "resourceVersion",
                    Some(revision.to_string().into()),
                );
                let object = CachedObject::new(last);
                CacheEvent::Change {
                    kind: EventType::Deleted,
                    object,
                    prev: Some(prev),
                    rv: revision,
                }
            }
        };
        let rv = match &change {
            CacheEvent::Change { rv, .. } => *rv,
            CacheEvent::Bookmark { rv } => *rv,
        };
        let change = Arc::new(change);
        state.events.push_back(change.clone());
        while state.events.len() > self.window {
            if let Some(old) = state.events.pop_front() {
                if let CacheEvent::Change { rv, .. } = *old {
                    state.window_start = rv;
                }
            }
        }
        state.rv = state.rv.max(rv);
        let _ = state.tx.send(change);
        let rv = state.rv;
        drop(state);
        self.rv_tx.send_replace(rv);
    }
}

/// Parse stored bytes and stamp `metadata.resourceVersion` with the key's mod revision.
/// Storage keeps objects without a resourceVersion: etcd's revision *is* the version.
pub fn decode(bytes: &[u8], mod_revision: i64) -> Option<Value> {
    let mut obj: Value = serde_json::from_slice(bytes).ok()?;
    machinery::meta::set_meta(
        &mut obj,
        "resourceVersion",
        Some(mod_revision.to_string().into()),
    );
    Some(obj)
}
