//! The watcher: list once, then watch forever, recovering from everything.
//!
//! A raw watch is fragile: the server ends it after `timeoutSeconds`, a network hiccup breaks
//! it, and after compaction a resume fails with 410 Gone. The watcher hides all of that behind
//! one stream of [`Event`]s, using an explicit state machine (upstream: the `ListAndWatch`
//! loop of `k8s.io/client-go/tools/cache/reflector.go`; kube-runtime's `watcher` has the
//! same shape):
//!
//! ```text
//!            list ok: Restarted(all)             watch opened
//!   Empty ───────────────────────────► Listed ─────────────────► Watching ──► Applied / Deleted
//!     ▲                                  ▲  ▲                       │ │        (resourceVersion
//!     │ 410 Gone: history compacted,     │  └───────────────────────┘ │         advances; a
//!     │ start over with a fresh list     │   stream ended or broke:   │         BOOKMARK moves
//!     └──────────────────────────────────┼── re-watch from the last   │         it silently)
//!                                        │   resourceVersion seen     │
//!                                        └────────────────────────────┘
//! ```
//!
//! Because a re-watch starts *after* the last resourceVersion the consumer saw, nothing is
//! delivered twice; because a 410 leads to a full relist ([`Event::Restarted`]), nothing is
//! lost: the consumer compares the new full list with what it had (see `reflector`).

use crate::client::Object;
use crate::client::{Api, Error, ListParams};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, WatchEvent};
use k8s_openapi::Metadata;
use std::time::Duration;

/// What the watcher tells its consumer.
#[derive(Debug, Clone)]
pub enum Event<K> {
    /// A fresh list: this is now *everything* that exists (replace what you had).
    Restarted(Vec<K>),
    /// An object was created or changed; this is its new state.
    Applied(K),
    /// An object was deleted; this is its last state.
    Deleted(K),
}

/// The states of the list-then-watch machine.
enum State<K> {
    /// Nothing known (at the start, or after 410): list everything.
    Empty,
    /// We know everything as of `resource_version`: open a watch from there.
    Listed { resource_version: String },
    /// A watch is open.
    Watching(OpenWatch<K>),
}

/// A watch in progress.
struct OpenWatch<K> {
    /// The last resourceVersion seen on it.
    resource_version: String,
    stream: BoxStream<'static, Result<WatchEvent<K>, Error>>,
    /// When it was opened, and whether anything came yet: a watch that ends at once having
    /// sent nothing counts as a failure (backoff), or a server closing every watch at once
    /// would make us spin.
    opened: tokio::time::Instant,
    seen: bool,
}

/// How long the server should keep each watch open (upstream picks 5-10 minutes at random,
/// so that a thousand clients do not all reconnect at once).
fn watch_timeout() -> u32 {
    300 + rand::random::<u32>() % 300
}

/// Page size for the initial list.
const LIST_PAGE: u32 = 500;

/// Watch every object `api` and `params` select, as a never-ending stream of events.
/// Errors are reported on the stream (so the caller can log them) and then retried after an
/// exponential backoff (0.8 s, 1.6 s, ... up to 30 s), as client-go does.
#[doc(alias = "ListAndWatch")]
pub fn watcher<K>(
    api: Api<K>,
    params: ListParams,
) -> impl Stream<Item = Result<Event<K>, Error>> + Send
where
    K: Object,
{
    futures::stream::unfold((State::Empty, 0u32), move |(state, failures)| {
        let (api, params) = (api.clone(), params.clone());
        async move {
            let mut state = state;
            let mut failures = failures;
            loop {
                if failures > 0 {
                    tokio::time::sleep(backoff(failures)).await;
                }
                let (emit, next) = step(&api, &params, state).await;
                state = next;
                match emit {
                    Some(Ok(event)) => return Some((Ok(event), (state, 0))),
                    Some(Err(e)) => {
                        failures += 1;
                        return Some((Err(e), (state, failures)));
                    }
                    None => continue,
                }
            }
        }
    })
}

/// One transition. Returns what to tell the consumer (if anything) and the next state.
async fn step<K>(
    api: &Api<K>,
    params: &ListParams,
    state: State<K>,
) -> (Option<Result<Event<K>, Error>>, State<K>)
where
    K: Object,
{
    match state {
        State::Empty => match list_all(api, params).await {
            Ok((items, resource_version)) => (
                Some(Ok(Event::Restarted(items))),
                State::Listed { resource_version },
            ),
            Err(e) => (Some(Err(e)), State::Empty),
        },
        State::Listed { resource_version } => {
            let watch_params = ListParams {
                timeout_seconds: Some(watch_timeout()),
                ..params.clone()
            };
            match api.watch(&watch_params, &resource_version).await {
                Ok(stream) => {
                    let watch = OpenWatch {
                        resource_version,
                        stream: stream.boxed(),
                        opened: tokio::time::Instant::now(),
                        seen: false,
                    };
                    (None, State::Watching(watch))
                }
                Err(e) if e.is_expired() => (None, State::Empty),
                Err(e) => (Some(Err(e)), State::Listed { resource_version }),
            }
        }
        State::Watching(mut watch) => {
            let event = watch.stream.next().await;
            if matches!(event, Some(Ok(_))) {
                watch.seen = true;
            }
            match event {
                Some(Ok(WatchEvent::Added(obj) | WatchEvent::Modified(obj))) => {
                    watch.resource_version = rv_of(&obj).unwrap_or(watch.resource_version);
                    (Some(Ok(Event::Applied(obj))), State::Watching(watch))
                }
                Some(Ok(WatchEvent::Deleted(obj))) => {
                    watch.resource_version = rv_of(&obj).unwrap_or(watch.resource_version);
                    (Some(Ok(Event::Deleted(obj))), State::Watching(watch))
                }
                Some(Ok(WatchEvent::Bookmark {
                    resource_version, ..
                })) => {
                    watch.resource_version = resource_version;
                    (None, State::Watching(watch))
                }
                Some(Ok(WatchEvent::ErrorStatus(_) | WatchEvent::ErrorOther(_))) => (
                    Some(Err(Error::Decode("the watch sent an error event".into()))),
                    State::Listed {
                        resource_version: watch.resource_version,
                    },
                ),
                // History is gone: the only safe thing is a fresh list.
                Some(Err(e)) if e.is_expired() => (None, State::Empty),
                Some(Err(e)) => (
                    Some(Err(e)),
                    State::Listed {
                        resource_version: watch.resource_version,
                    },
                ),
                // Closed at once with nothing sent: a failure, so that we back off (client-go
                // treats a watch shorter than a second the same way).
                None if !watch.seen && watch.opened.elapsed() < Duration::from_secs(1) => (
                    Some(Err(Error::Transport(
                        "the watch was closed as soon as it opened".into(),
                    ))),
                    State::Listed {
                        resource_version: watch.resource_version,
                    },
                ),
                // The server closed the watch (timeoutSeconds, or it is shutting down): resume.
                None => (
                    None,
                    State::Listed {
                        resource_version: watch.resource_version,
                    },
                ),
            }
        }
    }
}

/// List every page at one resourceVersion; returns the items and that resourceVersion.
async fn list_all<K>(api: &Api<K>, params: &ListParams) -> Result<(Vec<K>, String), Error>
where
    K: Object,
{
    let mut items = Vec::new();
    let mut page = ListParams {
        limit: Some(LIST_PAGE),
        continue_token: None,
        ..params.clone()
    };
    loop {
        let list = api.list(&page).await?;
        items.extend(list.items);
        match list.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => page.continue_token = Some(token),
            None => return Ok((items, list.metadata.resource_version.unwrap_or_default())),
        }
    }
}

fn rv_of<K: Metadata<Ty = ObjectMeta>>(obj: &K) -> Option<String> {
    obj.metadata().resource_version.clone()
}

/// client-go's watch backoff: 800 ms doubling to 30 s, with up to 10% jitter.
fn backoff(failures: u32) -> Duration {
    let ms = 800u64
        .saturating_mul(1 << failures.saturating_sub(1).min(6))
        .min(30_000);
    Duration::from_millis(ms + rand::random::<u64>() % (ms / 10 + 1))
}
