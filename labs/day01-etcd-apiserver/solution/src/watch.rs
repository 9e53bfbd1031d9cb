//! EXERCISE 2 and 3: reading a watch, and knowing where to resume it.
//! (Reference solution: copy over `exercise/src/watch.rs` to see the tests pass.)
//!
//! kubeling's real version of this is `machinery/src/watcher.rs` (the watcher state machine)
//! and `Api::watch` in `machinery/src/client/api.rs`; upstream's is client-go's
//! `tools/cache/reflector.go`.

use serde_json::Value;

/// One event of a watch. The API server streams one JSON object per line:
///
/// ```text
/// {"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"x","namespace":"lab01","resourceVersion":"12",...},...}}
/// {"type":"MODIFIED","object":{...,"metadata":{...,"resourceVersion":"13"}}}
/// {"type":"DELETED","object":{...,"metadata":{...,"resourceVersion":"14"}}}
/// {"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"20"}}}
/// {"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1"}}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    Added(ObjectRef),
    Modified(ObjectRef),
    /// The object's last state; its resourceVersion is the revision of the delete.
    Deleted(ObjectRef),
    /// "Everything up to this resourceVersion has been sent to you": nothing changed, but a
    /// client may resume from here. Only sent when asked (`allowWatchBookmarks=true`).
    Bookmark {
        resource_version: String,
    },
    /// The server ends the watch with a `Status`, e.g. 410 Expired.
    Error(Status),
}

/// Which object an event is about, and at which resourceVersion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// Empty for cluster-scoped kinds (namespaces, nodes).
    pub namespace: String,
    pub name: String,
    pub resource_version: String,
}

/// The parts of a `Status` a client acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub reason: String,
    pub message: String,
}

/// Why a line is not a watch event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON at all (the text of serde_json's error).
    NotJson(String),
    /// A field this event type needs is missing or not of the right JSON type, named by its
    /// path: `"type"`, `"object"`, `"object.metadata.name"`, `"object.metadata.resourceVersion"`
    /// or `"object.code"`.
    Missing(&'static str),
    /// A `type` other than ADDED, MODIFIED, DELETED, BOOKMARK and ERROR.
    UnknownType(String),
}

/// What a client does after a watch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Open a new watch from this resourceVersion: every change after it will be sent, and
    /// nothing at or before it again.
    WatchFrom(String),
    /// History is gone (410): list everything again, then watch from the list's resourceVersion.
    Relist,
}

/// Parse one line of a watch response.
pub fn parse_event_line(line: &str) -> Result<WatchEvent, ParseError> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| ParseError::NotJson(e.to_string()))?;
    let event_type = value["type"].as_str().ok_or(ParseError::Missing("type"))?;
    let object = &value["object"];
    if !object.is_object() {
        return Err(ParseError::Missing("object"));
    }
    let metadata = &object["metadata"];
    let resource_version = || {
        metadata["resourceVersion"]
            .as_str()
            .map(str::to_string)
            .ok_or(ParseError::Missing("object.metadata.resourceVersion"))
    };
    let object_ref = || -> Result<ObjectRef, ParseError> {
        let name = metadata["name"]
            .as_str()
            .ok_or(ParseError::Missing("object.metadata.name"))?;
        Ok(ObjectRef {
            namespace: metadata["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            name: name.to_string(),
            resource_version: resource_version()?,
        })
    };
    match event_type {
        "ADDED" => Ok(WatchEvent::Added(object_ref()?)),
        "MODIFIED" => Ok(WatchEvent::Modified(object_ref()?)),
        "DELETED" => Ok(WatchEvent::Deleted(object_ref()?)),
        "BOOKMARK" => Ok(WatchEvent::Bookmark {
            resource_version: resource_version()?,
        }),
        "ERROR" => {
            let code = object["code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .ok_or(ParseError::Missing("object.code"))?;
            let text = |field: &str| object[field].as_str().unwrap_or_default().to_string();
            Ok(WatchEvent::Error(Status {
                code,
                reason: text("reason"),
                message: text("message"),
            }))
        }
        other => Err(ParseError::UnknownType(other.to_string())),
    }
}

/// Where to resume after a watch that was opened from `list_resource_version` delivered
/// `events` and then ended.
pub fn next_step(list_resource_version: &str, events: &[WatchEvent]) -> Next {
    let mut last = list_resource_version;
    for event in events {
        match event {
            WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => {
                last = &o.resource_version;
            }
            WatchEvent::Bookmark { resource_version } => last = resource_version,
            // 410: the server no longer has the history after `last`. Resuming would silently
            // skip changes, so the only safe move is a fresh list.
            WatchEvent::Error(status) if status.code == 410 => return Next::Relist,
            WatchEvent::Error(_) => break,
        }
    }
    Next::WatchFrom(last.to_string())
}
