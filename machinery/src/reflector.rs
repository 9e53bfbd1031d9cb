//! The reflector: keeps a [`Store`](crate::store::Store) equal to what the API server has, and
//! tells event handlers what changed.
//!
//! It consumes the [`watcher`](crate::watcher)'s events:
//!
//! - `Applied(obj)`: store it; handlers get `on_add` (new key) or `on_update(old, new)`;
//! - `Deleted(obj)`: remove it; handlers get `on_delete(Deleted::Known(obj))`;
//! - `Restarted(all)`: the full truth after a (re)list. Compare it with the store: new keys are
//!   adds, changed ones updates, and keys that are *gone* were deleted while we were not
//!   watching — we never saw their final state, so handlers get a **tombstone**,
//!   `Deleted::FinalStateUnknown(last state we knew)`, as client-go's
//!   `DeletedFinalStateUnknown`.
//!
//! Upstream: `k8s.io/client-go/tools/cache/{reflector,delta_fifo,shared_informer}.go`.

use crate::client::Error;
use crate::store::{key_of, Writer};
use crate::watcher::Event;
use futures::{Stream, StreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::Metadata;
use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// How a deletion reached us.
#[derive(Debug, Clone)]
pub enum Deleted<K> {
    /// We saw the delete; this is the object's last state.
    Known(Arc<K>),
    /// It vanished while we were not watching (found missing in a relist); this is the last
    /// state we knew, which may be out of date.
    FinalStateUnknown(Arc<K>),
}

impl<K> Deleted<K> {
    /// The object, however we learned of its deletion.
    pub fn object(&self) -> &Arc<K> {
        match self {
            Deleted::Known(o) | Deleted::FinalStateUnknown(o) => o,
        }
    }
}

/// Callbacks for changes (client-go's `ResourceEventHandler`). Keep them quick: typically
/// they only put a key on a work queue.
pub trait EventHandler<K>: Send + Sync {
    fn on_add(&self, _obj: &Arc<K>) {}
    fn on_update(&self, _old: &Arc<K>, _new: &Arc<K>) {}
    fn on_delete(&self, _obj: &Deleted<K>) {}
}

/// The handlers of one informer; shared so handlers can be added while it runs.
pub type Handlers<K> = Arc<RwLock<Vec<Arc<dyn EventHandler<K>>>>>;

/// Apply watcher events to the store and call the handlers, until the stream ends.
pub async fn reflect<K, S>(writer: Writer<K>, events: S, handlers: Handlers<K>)
where
    K: Metadata<Ty = ObjectMeta> + Send + Sync + 'static,
    S: Stream<Item = Result<Event<K>, Error>>,
{
    futures::pin_mut!(events);
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => apply(&writer, event, &handlers),
            Err(e) => tracing::warn!(error = %e, "watch failed; retrying"),
        }
    }
}

/// Fold one event into the store and notify. The handlers lock is held across both steps, so
/// a handler added concurrently sees each object exactly once (see `Informer::add_handler`).
pub fn apply<K>(writer: &Writer<K>, event: Event<K>, handlers: &Handlers<K>)
where
    K: Metadata<Ty = ObjectMeta> + Send + Sync + 'static,
{
    let handlers = handlers.read().unwrap_or_else(|p| p.into_inner());
    match event {
        Event::Applied(obj) => notify_applied(writer.apply(obj), &handlers),
        Event::Deleted(obj) => {
            // Nothing to tell if we never had it (e.g. created and deleted between lists).
            if writer.delete(&obj).is_some() {
                let deleted = Deleted::Known(Arc::new(obj));
                handlers.iter().for_each(|h| h.on_delete(&deleted));
            }
        }
        Event::Restarted(items) => {
            let keep: HashSet<String> = items.iter().map(key_of).collect();
            let store = writer.store();
            for gone in store
                .list()
                .into_iter()
                .filter(|o| !keep.contains(&key_of(o.as_ref())))
            {
                if let Some(last) = writer.delete(&gone) {
                    let tombstone = Deleted::FinalStateUnknown(last);
                    handlers.iter().for_each(|h| h.on_delete(&tombstone));
                }
            }
            for obj in items {
                notify_applied(writer.apply(obj), &handlers);
            }
            writer.set_synced();
        }
    }
}

fn notify_applied<K: Metadata<Ty = ObjectMeta>>(
    applied: (Arc<K>, Option<Arc<K>>),
    handlers: &[Arc<dyn EventHandler<K>>],
) {
    match applied {
        (new, None) => handlers.iter().for_each(|h| h.on_add(&new)),
        (new, Some(old)) => {
            // A relist hands us objects we already have; unchanged ones are not news.
            if old.metadata().resource_version != new.metadata().resource_version {
                handlers.iter().for_each(|h| h.on_update(&old, &new));
            }
        }
    }
}
