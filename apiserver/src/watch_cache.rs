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
//!
//! The cache also keeps its objects' JSON close together in memory: when a LIST finds that
//! many objects changed since the last time, the run loop packs them (`packing.rs`).
//!
//! The cache's revision moves only with the events it has *seen*. It never trusts an etcd
//! progress notification: in etcd 3.4.23 (Debian's) the answer to a progress request can
//! overtake events still on their way, claiming "everything up to N" too early (fixed in etcd
//! 3.4.25/3.5.8; upstream's ConsistentListFromCache requires those versions). So a list asking
//! for a revision the cache has not reached is read from etcd instead, and bookmarks carry the
//! revision of the last event the cache applied.

use crate::packing::Packed;
use crate::resources::Resource;
use crate::storage::{ListOptions, Storage, StorageError, WatchEvent};
use bytes::Bytes;
use machinery::ApiError;
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::{broadcast, watch};

/// Events kept per resource for resuming watchers.
pub const DEFAULT_WINDOW: usize = 10_000;
/// Events a slow watcher may fall behind before it is cut off (it then re-watches).
const BROADCAST_CAPACITY: usize = 4_096;
/// How often watchers that allow bookmarks are told the cache's revision.
const BOOKMARK_EVERY: Duration = Duration::from_secs(5);
/// Objects read per storage request when (re)filling the cache, as upstream's cacher pages.
const RELIST_PAGE: usize = 10_000;
/// How long a request waits for the cache's first list (after that it never waits).
const READY_WAIT: Duration = Duration::from_secs(3);
/// A cache this small is never packed: its objects' scattered memory costs a LIST little.
const PACK_AT_LEAST: usize = 1_000;

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
    /// Where `json` lies once the cache has been packed (`packing.rs`).
    pub packed: Option<Packed>,
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
            packed: None,
        }
    }
}

/// What the cache broadcasts.
// Events travel as `Arc<CacheEvent>`, one allocation each: that a bookmark takes as much room
// as a change costs a few hundred bytes per bookmark, not a copy per watcher.
#[allow(clippy::large_enum_variant)]
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
    /// Objects stored since the cache was last packed (see [`WatchCache::pack`]).
    scattered: usize,
}

/// The cache for one resource.
pub struct WatchCache {
    resource: &'static Resource,
    storage: Arc<dyn Storage>,
    state: RwLock<State>,
    window: usize,
    /// The cache's revision, for waiters; 0 until the first list is done.
    rv_tx: watch::Sender<i64>,
    /// A LIST found the objects scattered: the run loop should pack them.
    pack_wanted: tokio::sync::Notify,
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
        let cache = Arc::new(WatchCache {
            resource,
            storage,
            state: RwLock::new(State {
                objects: BTreeMap::new(),
                events: VecDeque::new(),
                window_start: 0,
                rv: 0,
                tx: broadcast::channel(BROADCAST_CAPACITY).0,
                scattered: 0,
            }),
            window: window.max(1),
            rv_tx: watch::channel(0).0,
            pack_wanted: tokio::sync::Notify::new(),
        });
        tokio::spawn(cache.clone().run());
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

    /// Wait (at most a few seconds) until the cache has done its first list.
    pub async fn wait_ready(&self) -> Result<(), ApiError> {
        let mut rx = self.rv_tx.subscribe();
        let ready = tokio::time::timeout(READY_WAIT, rx.wait_for(|rv| *rv > 0))
            .await
            .is_ok_and(|r| r.is_ok());
        match ready {
            true => Ok(()),
            false => Err(ApiError::service_unavailable(format!(
                "the watch cache for {} is not ready yet (is etcd reachable?)",
                self.resource.plural
            ))),
        }
    }

    /// The cached object with this storage key, if the cache holds it.
    pub fn get(&self, key: &str) -> Option<CachedObject> {
        self.read().objects.get(key).cloned()
    }

    /// Every cached object in `namespace` ("" = all) that `selected` approves, in key order,
    /// as pieces of a list answer: each piece is one object's JSON, or several objects' JSON
    /// joined by commas. Also the cache's revision.
    ///
    /// Nothing is copied: each piece shares memory the cache already holds. Once the cache is
    /// packed (`packing.rs`), objects that are neighbours in key order lie side by side,
    /// commas between, so a run of them is one slice of a buffer: a LIST of 10,000 packed
    /// pods is about a dozen pieces that are sent as they are.
    pub fn list(&self, namespace: &str, selected: impl Fn(&Value) -> bool) -> (Vec<Bytes>, i64) {
        let state = self.read();
        // Prefixes end with '/' (`/registry/pods/default/`), and '0' is the byte after '/':
        // every key under the prefix sorts before `/registry/pods/default0`. With both ends
        // given, the map walks straight from one to the other without comparing each key.
        let prefix = self.resource.prefix(namespace);
        let end = format!("{}0", prefix.trim_end_matches('/'));
        let mut pieces = Vec::new();
        // The run of packed neighbours being gathered: its first and last object.
        let mut run: Option<(&Packed, &Packed)> = None;
        for (_, object) in state.objects.range(prefix..end) {
            if !selected(&object.value) {
                continue;
            }
            if let (Some((_, last)), Some(packed)) = (&mut run, &object.packed) {
                if last.is_followed_by(packed) {
                    *last = packed;
                    continue;
                }
            }
            if let Some((first, last)) = run.take() {
                pieces.push(first.run_to(last));
            }
            match &object.packed {
                Some(packed) => run = Some((packed, packed)),
                None => pieces.push(object.json.clone()),
            }
        }
        if let Some((first, last)) = run {
            pieces.push(first.run_to(last));
        }
        // Many objects stored since the last pack: have the run loop pack them, so that the
        // next LIST reads them in one sweep (this one goes ahead as it is).
        if state.objects.len() >= PACK_AT_LEAST && state.scattered * 4 >= state.objects.len() {
            self.pack_wanted.notify_one();
        }
        (pieces, state.rv)
    }

    /// Start watching after revision `from` (`None` = send the current state as ADDED first).
    /// `from` may be ahead of the cache: the events in between arrive live, and the watcher
    /// drops everything at or below `from`.
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
    async fn run(self: Arc<Self>) {
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
            let mut watch = match self.storage.watch(&prefix, from, false).await {
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
                    _ = bookmark_tick.tick() => self.bookmark(),
                    _ = self.pack_wanted.notified() => self.pack(),
                }
            }
        }
    }

    /// Replace the whole state with a fresh list. Current watchers are cut off (their
    /// channel closes) because the events between their position and the list are lost;
    /// they re-watch, and get 410 if they are now too old.
    async fn relist(&self, prefix: &str) -> Result<(), StorageError> {
        // Read in pages, all at the revision of the first page: one consistent snapshot.
        let mut objects = BTreeMap::new();
        let (mut revision, mut start) = (0, None);
        loop {
            let page = ListOptions {
                revision,
                start_key: start.take(),
                limit: RELIST_PAGE,
            };
            let list = self.storage.list(prefix, page).await?;
            revision = list.revision;
            if let Some(last) = list.kvs.last() {
                start = Some(format!("{}\0", last.key));
            }
            for kv in list.kvs {
                if let Some(obj) = decode(&kv.value, kv.mod_revision) {
                    objects.insert(kv.key, CachedObject::new(obj));
                }
            }
            if !list.more {
                break;
            }
        }
        let mut state = self.write();
        state.objects = objects;
        state.events.clear();
        state.window_start = revision;
        state.rv = revision;
        state.tx = broadcast::channel(BROADCAST_CAPACITY).0;
        state.scattered = state.objects.len();
        drop(state);
        self.rv_tx.send_replace(revision);
        Ok(())
    }

    /// Copy every object's JSON, in key order, into a few large buffers (`packing.rs`), so
    /// that a LIST reads them in one sweep through memory instead of one cache miss each.
    ///
    /// The copy is made under the read lock, so LISTs and watchers go on meanwhile; the new
    /// slices are put in place under the write lock. Nothing can change in between: this runs
    /// in the run loop, the only code that writes the state. The loop applies no events while
    /// it packs (for 10,000 pods, a few milliseconds); they wait in the storage watch.
    fn pack(&self) {
        let packed = {
            let state = self.read();
            // Several LISTs may have asked before the loop got here: pack once.
            if state.scattered * 4 < state.objects.len() {
                return;
            }
            crate::packing::pack(state.objects.values().map(|o| &o.json[..]))
        };
        let mut state = self.write();
        debug_assert_eq!(
            packed.len(),
            state.objects.len(),
            "the map changed while packing"
        );
        for (object, packed) in state.objects.values_mut().zip(packed) {
            object.json = packed.bytes();
            object.packed = Some(packed);
        }
        state.scattered = 0;
    }

    /// Tell bookmark-allowing watchers the revision of the last event applied (safe to resume
    /// from: every change up to it has been sent to them, in order, before this bookmark).
    fn bookmark(&self) {
        let state = self.read();
        if state.tx.receiver_count() > 0 && state.rv > 0 {
            let _ = state
                .tx
                .send(Arc::new(CacheEvent::Bookmark { rv: state.rv }));
        }
    }

    /// Fold one storage event into the state and broadcast it.
    fn apply(&self, event: WatchEvent) {
        let mut state = self.write();
        let revision = event.revision();
        if !matches!(event, WatchEvent::Progress { .. }) && revision <= state.rv {
            // Storage promised (by a progress notify) that it had sent everything up to
            // state.rv, yet here is an older change. Keep it — losing it would be worse —
            // but say so: watchers may have been told a bookmark past it.
            tracing::warn!(
                resource = self.resource.plural,
                event = revision,
                cache = state.rv,
                "storage delivered a change older than its last progress notify"
            );
        }
        let key = storage_key(&event).map(str::to_string);
        let prev = key.as_ref().and_then(|k| state.objects.get(k).cloned());
        let change = match &event {
            WatchEvent::Progress { .. } => Some(CacheEvent::Bookmark {
                rv: revision.max(state.rv),
            }),
            _ => change_from_storage(&event, prev),
        };
        // Keep the current state: a put stores the new object, a delete removes the key.
        match (&event, &change, key) {
            (WatchEvent::Put { .. }, Some(CacheEvent::Change { object, .. }), Some(k)) => {
                state.objects.insert(k, object.clone());
                state.scattered += 1;
            }
            (WatchEvent::Delete { .. }, _, Some(k)) => {
                state.objects.remove(&k);
            }
            _ => {}
        }
        if let Some(change) = change {
            let change = Arc::new(change);
            if matches!(*change, CacheEvent::Change { .. }) {
                state.events.push_back(change.clone());
                while state.events.len() > self.window {
                    if let Some(old) = state.events.pop_front() {
                        if let CacheEvent::Change { rv, .. } = *old {
                            state.window_start = rv;
                        }
                    }
                }
            }
            let _ = state.tx.send(change);
        }
        // Even a change we could not decode moves the cache forward: it has seen it.
        state.rv = state.rv.max(revision);
        let rv = state.rv;
        drop(state);
        self.rv_tx.send_replace(rv);
    }
}

/// The key a storage event is about (none for a progress notify).
fn storage_key(event: &WatchEvent) -> Option<&str> {
    match event {
        WatchEvent::Put { kv, .. } => Some(&kv.key),
        WatchEvent::Delete { key, .. } => Some(key),
        WatchEvent::Progress { .. } => None,
    }
}

/// The event watchers see for a storage change, given the object as it was before (`prev`).
/// A put is ADDED or MODIFIED; a delete is DELETED, showing the last state stamped with the
/// deletion's resourceVersion (as upstream). `None` for what cannot be shown (undecodable
/// bytes, a delete of something never seen) and for progress notifies.
pub fn change_from_storage(event: &WatchEvent, prev: Option<CachedObject>) -> Option<CacheEvent> {
    match event {
        WatchEvent::Put { kv, .. } => {
            let object = CachedObject::new(decode(&kv.value, kv.mod_revision)?);
            let kind = if prev.is_some() {
                EventType::Modified
            } else {
                EventType::Added
            };
            Some(CacheEvent::Change {
                kind,
                object,
                prev,
                rv: kv.mod_revision,
            })
        }
        WatchEvent::Delete { revision, .. } => {
            let prev = prev?;
            let mut last = (*prev.value).clone();
            machinery::meta::set_meta(
                &mut last,
                "resourceVersion",
                Some(revision.to_string().into()),
            );
            let object = CachedObject::new(last);
            Some(CacheEvent::Change {
                kind: EventType::Deleted,
                object,
                prev: Some(prev),
                rv: *revision,
            })
        }
        WatchEvent::Progress { .. } => None,
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
