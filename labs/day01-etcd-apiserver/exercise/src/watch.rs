//! EXERCISE 2 and 3: reading a watch, and knowing where to resume it.
//!
//! A client never polls. It lists once, then watches from the list's resourceVersion:
//!
//! ```text
//!  GET /api/v1/namespaces/lab01/configmaps                 -> items + metadata.resourceVersion "10"
//!  GET /api/v1/namespaces/lab01/configmaps?watch=true&resourceVersion=10
//!      {"type":"ADDED",...rv "12"}  {"type":"MODIFIED",...rv "13"}   ... connection ends
//!  GET ...?watch=true&resourceVersion=13                    (resume: nothing missed, nothing twice)
//!      {"type":"ERROR","object":{"code":410,"reason":"Expired",...}}
//!  GET /api/v1/namespaces/lab01/configmaps                 (history compacted: list again)
//! ```
//!
//! kubeling's real version of this is `machinery/src/watcher.rs` (the watcher state machine)
//! and `Api::watch` in `machinery/src/client/api.rs`; upstream's is client-go's
//! `tools/cache/reflector.go`.

// The gaps below leave their parameters unused until you fill them in.
#![allow(unused_variables, unused_imports)]

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
///
/// EXERCISE 2: fill in the body, with `serde_json::from_str::<Value>(line)`. The rules, each
/// checked by `tests/watch.rs`:
/// - text that is not JSON is [`ParseError::NotJson`] (with serde_json's error as text);
/// - `type` must be a string (else `Missing("type")`) and `object` a JSON object (else
///   `Missing("object")`);
/// - ADDED, MODIFIED and DELETED need `object.metadata.name` and
///   `object.metadata.resourceVersion` (strings); `object.metadata.namespace` may be absent
///   (then it is `""`);
/// - BOOKMARK needs only `object.metadata.resourceVersion`;
/// - ERROR needs `object.code` (a number); `reason` and `message` default to `""`;
/// - any other type is [`ParseError::UnknownType`].
pub fn parse_event_line(line: &str) -> Result<WatchEvent, ParseError> {
    todo!("EXERCISE 2: parse the line with serde_json and pick out type, name, resourceVersion")
}

/// Where to resume after a watch that was opened from `list_resource_version` delivered
/// `events` and then ended.
///
/// EXERCISE 3: fill in the body. The rules, each checked by `tests/watch.rs`:
/// - start from `list_resource_version`;
/// - every ADDED, MODIFIED, DELETED and BOOKMARK moves the resume point to its resourceVersion
///   (a bookmark carries no object, yet it is as good a place to resume as any);
/// - an ERROR with code 410 means the history you would resume from is gone: [`Next::Relist`];
/// - any other ERROR also ends the watch: resume from the last resourceVersion seen;
/// - events after an ERROR are ignored (a server sends none).
///
/// resourceVersions are compared by position in the stream, never as numbers: clients must
/// treat them as opaque strings (only the server knows they are etcd revisions).
pub fn next_step(list_resource_version: &str, events: &[WatchEvent]) -> Next {
    todo!("EXERCISE 3: walk the events, remember the last resourceVersion, stop at an ERROR")
}
