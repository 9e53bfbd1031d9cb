//! The event recorder: how components tell people what they did ("Scheduled", "Pulled",
//! "FailedScheduling"), as the Events that `kubectl describe` prints.
//!
//! A controller in trouble may report the same thing every second. Rather than flood the API
//! server, the recorder **aggregates**: an event identical to one it already sent (same object,
//! type, reason, message and component) becomes an update of that Event's `count` and
//! `lastTimestamp`. Upstream: `k8s.io/client-go/tools/record/{event,events_cache}.go`; it also
//! merges *similar* events with different messages and rate-limits per object, which we skip.

use crate::client::{Api, Client, Error, Patch};
use chrono::Utc;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

/// `Normal` or `Warning`, as upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

/// How many distinct events a recorder remembers for aggregation.
const MAX_REMEMBERED: usize = 4096;

/// What makes two events "the same" for aggregation.
type Key = (String, String, String, String, &'static str, String, String);

/// Records events for one component (e.g. `default-scheduler`).
pub struct EventRecorder {
    client: Client,
    component: String,
    /// Events already sent: key -> (namespace, event name, count).
    sent: Mutex<HashMap<Key, (String, String, i32)>>,
}

impl EventRecorder {
    pub fn new(client: Client, component: &str) -> Self {
        EventRecorder {
            client,
            component: component.to_string(),
            sent: Mutex::new(HashMap::new()),
        }
    }

    /// Record that `reason` happened to `regarding`. Repeats update the first Event's count.
    pub async fn record(
        &self,
        regarding: &ObjectReference,
        kind: EventType,
        reason: &str,
        message: &str,
    ) -> Result<(), Error> {
        // Events of cluster-scoped objects (nodes) live in `default`, as upstream puts them.
        let namespace = regarding
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".into());
        let key: Key = (
            regarding.kind.clone().unwrap_or_default(),
            namespace.clone(),
            regarding.name.clone().unwrap_or_default(),
            regarding.uid.clone().unwrap_or_default(),
            kind.as_str(),
            reason.to_string(),
            message.to_string(),
        );
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let now = Time(Utc::now());
        let seen = self
            .sent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some((_, name, count)) = seen {
            let patch = Patch::Merge(json!({"count": count + 1, "lastTimestamp": now}));
            match api.patch(&name, &patch).await {
                Ok(_) => {
                    self.remember(key, &namespace, &name, count + 1);
                    return Ok(());
                }
                // Expired (events have a TTL) or deleted: start a new one below.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        let object_name = regarding.name.clone().unwrap_or_default();
        let nanos = now.0.timestamp_nanos_opt().unwrap_or_default();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{object_name}.{nanos:x}")),
                namespace: Some(namespace.clone()),
                ..Default::default()
            },
            involved_object: regarding.clone(),
            type_: Some(kind.as_str().to_string()),
            reason: Some(reason.to_string()),
            message: Some(message.to_string()),
            count: Some(1),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            source: Some(EventSource {
                component: Some(self.component.clone()),
                host: None,
            }),
            reporting_component: Some(self.component.clone()),
            ..Default::default()
        };
        let created = api.create(&event).await?;
        let name = created.metadata.name.unwrap_or_default();
        self.remember(key, &namespace, &name, 1);
        Ok(())
    }

    fn remember(&self, key: Key, namespace: &str, name: &str, count: i32) {
        let mut sent = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded memory: upstream keeps an LRU of 4096 events; forgetting them all at once is
        // cruder but safe (the next repeat simply starts a new Event).
        if sent.len() >= MAX_REMEMBERED {
            sent.clear();
        }
        sent.insert(key, (namespace.to_string(), name.to_string(), count));
    }
}

/// An `ObjectReference` to an object, for [`EventRecorder::record`].
pub fn reference<K>(obj: &K) -> ObjectReference
where
    K: k8s_openapi::Resource + k8s_openapi::Metadata<Ty = ObjectMeta>,
{
    let meta = obj.metadata();
    ObjectReference {
        api_version: Some(K::API_VERSION.to_string()),
        kind: Some(K::KIND.to_string()),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        ..Default::default()
    }
}
