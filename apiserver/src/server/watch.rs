//! `GET ...?watch=true`: a long-lived response, one JSON event per line.
//!
//! ```text
//! {"type":"ADDED","object":{...}}
//! {"type":"MODIFIED","object":{...}}
//! {"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"123"}}}
//! ```
//! Each watcher reads the shared watch cache and applies its own namespace and selectors.
//! Selectors make watches subtle: an object that *stops* matching (someone removed its label)
//! must reach the watcher as DELETED, and one that starts matching as ADDED — otherwise the
//! client's picture of "everything matching my selector" would go stale. Upstream:
//! `endpoints/handlers/watch.go` and `storage/cacher/cache_watcher.go`.

use super::table::{TableRequest, WatchTables};
use super::App;
use crate::registry::list::ListQuery;
use crate::registry::update::parse_rv;
use crate::resources::Resource;
use crate::watch_cache::{CacheEvent, CachedObject, EventType};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use machinery::ApiError;
use serde_json::json;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

/// A watcher sends at most about this much in one write.
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// Events a storage-fed watcher may fall behind before it is cut off.
const MAX_STORAGE_BACKLOG: usize = 10_000;

/// How long a watch lasts when the client does not say (upstream: 30-60 minutes).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

/// Start a watch and return the streaming response.
pub async fn serve(
    app: Arc<App>,
    res: &'static Resource,
    ns: &str,
    name: &str,
    query: &HashMap<String, String>,
    selection: ListQuery,
    table: Option<TableRequest>,
) -> Result<Response, ApiError> {
    let from = match query.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(rv) => parse_rv(rv)?,
    };
    let timeout = match query.get("timeoutSeconds").map(|t| t.parse::<u64>()) {
        // 0 means "not set", as upstream's getTimeout reads it.
        None | Some(Ok(0)) => DEFAULT_TIMEOUT,
        Some(Ok(secs)) => Duration::from_secs(secs),
        Some(Err(_)) => {
            return Err(ApiError::bad_request(
                "timeoutSeconds must be a whole number of seconds",
            ))
        }
    };
    let bookmarks = matches!(
        query.get("allowWatchBookmarks").map(String::as_str),
        Some("true" | "1")
    );
    let cache = app.registry.cache(res);
    cache.wait_ready().await?;
    let (initial, feed) = match cache.subscribe(from) {
        Ok(sub) => (sub.initial, Feed::Cache(sub.live)),
        // Older than the cache's window (say, the API server restarted since the client last
        // saw an event), but etcd may still hold that history: watch storage directly.
        Err(e) if e.code == 410 => match from {
            Some(rv) => match storage_feed(&app, res, rv).await {
                Ok(feed) => (Vec::new(), feed),
                // Compacted in etcd too: upstream answers 200 with one ERROR event carrying
                // the 410 Status, and client reflectors react to it by listing again.
                Err(e) if e.code == 410 => return Ok(error_event(&e)),
                Err(e) => return Err(e),
            },
            None => return Err(e),
        },
        Err(e) => return Err(e),
    };

    let watcher = Watcher {
        res,
        ns: ns.to_string(),
        name: name.to_string(),
        selection,
        bookmarks,
        after: from.unwrap_or(0),
        table: table.map(WatchTables::new),
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(64);
    app.metrics.watchers(res.plural, 1);
    let metrics_app = app.clone();
    tokio::spawn(async move {
        let _ = tokio::time::timeout(timeout, watcher.run(initial, feed, &tx)).await;
        metrics_app.metrics.watchers(res.plural, -1);
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

/// Where a watcher's live events come from.
enum Feed {
    /// The shared watch cache (the normal case).
    Cache(broadcast::Receiver<Arc<CacheEvent>>),
    /// A storage watch of its own, for a resourceVersion older than the cache's window.
    Storage(crate::storage::Watch),
    /// Over: we fell behind or the source closed. The client must watch again; carrying on
    /// would silently skip the events we missed.
    Ended,
}

impl Feed {
    /// The next event if one is ready now (never waits). An ended feed also gives `None`;
    /// the following `recv` then reports the end.
    fn try_recv(&mut self) -> Option<Arc<CacheEvent>> {
        use tokio::sync::broadcast::error::TryRecvError;
        use tokio::sync::mpsc::error::TryRecvError as MpscTryRecvError;
        match self {
            Feed::Cache(rx) => match rx.try_recv() {
                Ok(event) => Some(event),
                Err(TryRecvError::Empty) => None,
                Err(_) => {
                    *self = Feed::Ended;
                    None
                }
            },
            Feed::Storage(watch) => loop {
                match watch.events.try_recv() {
                    Ok(Ok(event)) => match from_storage(event) {
                        Some(e) => return Some(Arc::new(e)),
                        None => continue,
                    },
                    Err(MpscTryRecvError::Empty) => return None,
                    Ok(Err(_)) | Err(MpscTryRecvError::Disconnected) => {
                        *self = Feed::Ended;
                        return None;
                    }
                }
            },
            Feed::Ended => None,
        }
    }

    /// The next event, or `None` when the feed has ended (the client should re-watch).
    async fn recv(&mut self) -> Option<Arc<CacheEvent>> {
        match self {
            // Lagged: we fell too far behind the broadcast; end, and the client re-watches.
            Feed::Cache(rx) => rx.recv().await.ok(),
            Feed::Ended => None,
            Feed::Storage(watch) => loop {
                // A client this far behind would make us buffer without limit: end the watch;
                // it re-watches (and, if it is now too old, lists again).
                if watch.events.len() > MAX_STORAGE_BACKLOG {
                    return None;
                }
                let event = match watch.events.recv().await? {
                    Ok(event) => event,
                    Err(_) => return None,
                };
                if let Some(event) = from_storage(event) {
                    return Some(Arc::new(event));
                }
            },
        }
    }
}

/// Open a storage watch for events after `rv`, or 410 if storage has compacted that history.
async fn storage_feed(app: &App, res: &'static Resource, rv: i64) -> Result<Feed, ApiError> {
    use crate::storage::{ListOptions, StorageError};
    let storage = &app.registry.storage;
    let prefix = res.prefix("");
    // Can storage still read at `rv`? Asking first gives a clear answer before streaming.
    let probe = ListOptions {
        revision: rv,
        limit: 1,
        start_key: None,
    };
    match storage.list(&prefix, probe).await {
        Ok(_) => {}
        Err(StorageError::Compacted { .. }) => {
            return Err(ApiError::expired(format!("too old resource version: {rv}")))
        }
        Err(e) => return Err(crate::registry::storage_error(res, "", e)),
    }
    let watch = storage
        .watch(&prefix, rv + 1, true)
        .await
        .map_err(|e| crate::registry::storage_error(res, "", e))?;
    Ok(Feed::Storage(watch))
}

/// A storage event in the cache's terms, taking the previous state from storage itself.
fn from_storage(event: crate::storage::WatchEvent) -> Option<CacheEvent> {
    use crate::storage::WatchEvent;
    use crate::watch_cache::{change_from_storage, decode};
    if let WatchEvent::Progress { .. } = event {
        return None; // etcd 3.4's progress notifies are not trusted (see watch_cache.rs)
    }
    let prev = match &event {
        WatchEvent::Put { prev, .. } | WatchEvent::Delete { prev, .. } => prev.as_ref(),
        WatchEvent::Progress { .. } => None,
    };
    let prev = prev
        .and_then(|p| decode(&p.value, p.mod_revision))
        .map(CachedObject::new);
    change_from_storage(&event, prev)
}

/// A watch response holding a single ERROR event.
fn error_event(err: &ApiError) -> Response {
    let status = serde_json::to_vec(&err.to_status()).unwrap_or_default();
    let mut resp = (StatusCode::OK, Body::from(line("ERROR", &status))).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// One client's view of the event stream.
struct Watcher {
    res: &'static Resource,
    ns: String,
    name: String,
    selection: ListQuery,
    bookmarks: bool,
    /// Only changes after this resourceVersion are sent (0 for a watch that began with the
    /// current state): a client must never see a change it has already seen.
    after: i64,
    /// Set when the client asked for Tables (`kubectl get -w`): each object becomes a one-row
    /// Table. BOOKMARK and ERROR events keep their plain objects.
    table: Option<WatchTables>,
}

impl Watcher {
    /// Send the initial events, then live ones, until the client leaves or the cache cuts us
    /// off (a relist, or we fell too far behind); the client then re-watches.
    async fn run(
        &self,
        initial: Vec<Arc<CacheEvent>>,
        mut feed: Feed,
        tx: &mpsc::Sender<Result<Bytes, Infallible>>,
    ) {
        for event in initial {
            if let Some(line) = self.convert(&event) {
                if tx.send(Ok(line)).await.is_err() {
                    return;
                }
            }
        }
        loop {
            // Wait for the next event, or notice that the client has gone away (a watch
            // that nothing matches would otherwise live on, unseen, until its timeout).
            let event = tokio::select! {
                event = feed.recv() => event,
                _ = tx.closed() => return,
            };
            let Some(event) = event else { return };
            // Send what is already waiting in the same write: under load, one system call
            // per burst instead of one per event (upstream flushes only when idle, too).
            let mut batch: Vec<u8> = Vec::new();
            let mut next = Some(event);
            while let Some(event) = next.take() {
                if let Some(line) = self.convert(&event) {
                    batch.extend_from_slice(&line);
                }
                if batch.len() < MAX_BATCH_BYTES {
                    next = feed.try_recv();
                }
            }
            if !batch.is_empty() && tx.send(Ok(Bytes::from(batch))).await.is_err() {
                return;
            }
        }
    }

    fn selects(&self, obj: &CachedObject) -> bool {
        (self.ns.is_empty() || obj.namespace == self.ns)
            && (self.name.is_empty() || machinery::meta::name(&obj.value) == self.name)
            && self.selection.matches(self.res, &obj.value)
    }

    /// What this watcher should see of `event`, as one line of JSON (or nothing).
    fn convert(&self, event: &CacheEvent) -> Option<Bytes> {
        match event {
            CacheEvent::Bookmark { rv } => {
                if !self.bookmarks {
                    return None;
                }
                let object = json!({"kind": self.res.kind, "apiVersion": self.res.api_version(),
                    "metadata": {"resourceVersion": rv.to_string()}});
                Some(line(
                    "BOOKMARK",
                    &serde_json::to_vec(&object).unwrap_or_default(),
                ))
            }
            CacheEvent::Change { rv, .. } if *rv <= self.after => None,
            CacheEvent::Change {
                kind,
                object,
                prev,
                rv,
            } => {
                let now = self.selects(object);
                let before = prev.as_ref().is_some_and(|p| self.selects(p));
                match (kind, before, now) {
                    (EventType::Added, _, true) => Some(self.event("ADDED", object)),
                    (EventType::Modified, true, true) => Some(self.event("MODIFIED", object)),
                    (EventType::Modified, false, true) => Some(self.event("ADDED", object)),
                    (EventType::Modified, true, false) => {
                        // It left our selection: DELETED, showing its last matching state at
                        // this event's resourceVersion (as upstream's cacheWatcher does).
                        let mut last = (*prev.as_ref()?.value).clone();
                        machinery::meta::set_meta(
                            &mut last,
                            "resourceVersion",
                            Some(rv.to_string().into()),
                        );
                        Some(self.event("DELETED", &CachedObject::new(last)))
                    }
                    (EventType::Deleted, true, _) => Some(self.event("DELETED", object)),
                    _ => None,
                }
            }
        }
    }

    /// One event line carrying `object`, or its one-row Table if the client asked for Tables.
    fn event(&self, kind: &str, object: &CachedObject) -> Bytes {
        match &self.table {
            Some(tables) => line(
                kind,
                &tables.encode(self.res, &object.value, chrono::Utc::now()),
            ),
            None => line(kind, &object.json),
        }
    }
}

/// `{"type":"ADDED","object":<object>}\n`
fn line(kind: &str, object: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(object.len() + 32);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(kind.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(object);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}
