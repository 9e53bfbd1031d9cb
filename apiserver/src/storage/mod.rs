//! Storage: the only place that knows objects live in etcd.
//!
//! The API server stores every object under a key such as `/registry/pods/default/web`. This
//! module defines what the rest of the server may ask of such a key-value store, in the terms
//! etcd uses, because etcd's model *is* Kubernetes' model of consistency:
//!
//! - every write bumps one global counter, the **revision**; an object's `resourceVersion` is
//!   the revision of its last write (`mod_revision`);
//! - a create succeeds only if the key never existed (`create_revision == 0`), an update or
//!   delete only if the key was not changed since the caller read it (`mod_revision == rv`).
//!   That guarded write is all optimistic concurrency is;
//! - a list is read at one revision, so it is a consistent snapshot;
//! - a watch replays every change after a revision, in order, until history is **compacted**;
//!   asking for compacted history fails, and the client must list again (HTTP 410 Gone).
//!
//! Two backends implement [`Storage`] and pass one shared test suite (`tests/storage_suite.rs`):
//! [`etcd::EtcdStorage`] (the real thing) and [`memory::MemoryStorage`] (an in-process MVCC store
//! for `--store memory`). Upstream: `k8s.io/apiserver/pkg/storage/interfaces.go` and
//! `storage/etcd3/store.go`.

pub mod compactor;
pub mod dry_run;
pub mod etcd;
pub mod memory;

use async_trait::async_trait;
use tokio::sync::mpsc;

/// One key as stored, with the two revisions etcd keeps for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// e.g. `/registry/pods/default/web`.
    pub key: String,
    /// The object, JSON bytes.
    pub value: Vec<u8>,
    /// Revision of the write that created the key.
    pub create_revision: i64,
    /// Revision of the last write to the key: the object's `resourceVersion`.
    pub mod_revision: i64,
}

/// Something that happened to a key, as a watch reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// The key was created (`prev` is `None`) or updated (`prev` is the value before).
    Put {
        kv: KeyValue,
        prev: Option<KeyValue>,
    },
    /// The key was deleted at `revision`; `prev` is the last value it had.
    Delete {
        key: String,
        revision: i64,
        prev: Option<KeyValue>,
    },
    /// "You have now seen every change up to `revision`." etcd calls this a progress notify;
    /// the watch cache uses it to know it is fresh even when its own keys are quiet.
    Progress { revision: i64 },
}

impl WatchEvent {
    /// The revision this event happened at.
    pub fn revision(&self) -> i64 {
        match self {
            WatchEvent::Put { kv, .. } => kv.mod_revision,
            WatchEvent::Delete { revision, .. } => *revision,
            WatchEvent::Progress { revision } => *revision,
        }
    }
}

/// What went wrong in storage. The registry turns these into `Status` errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// Create found the key already there.
    #[error("key {0} already exists")]
    AlreadyExists(String),
    /// Get/update/delete found no such key.
    #[error("key {0} not found")]
    NotFound(String),
    /// Update/delete was guarded by a revision that is no longer current.
    #[error("key {key} was modified: expected revision {expected}, found {actual}")]
    Conflict {
        key: String,
        expected: i64,
        actual: i64,
    },
    /// The revision asked for is older than the compacted history.
    #[error("required revision {requested} has been compacted (oldest available is {compacted})")]
    Compacted { requested: i64, compacted: i64 },
    /// The revision asked for is in the future.
    #[error("required revision {0} is a future revision")]
    FutureRevision(i64),
    /// The backend cannot be reached (etcd down): retry later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The backend did not answer in time.
    #[error("storage timeout: {0}")]
    Timeout(String),
}

/// Options for [`Storage::list`].
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Read at this revision; 0 means "the latest".
    pub revision: i64,
    /// Start at this key (inclusive) instead of the prefix; used by `continue` tokens.
    pub start_key: Option<String>,
    /// At most this many keys; 0 means no limit.
    pub limit: usize,
}

/// The answer to [`Storage::list`].
#[derive(Debug, Clone, Default)]
pub struct ListResult {
    /// Keys in key order.
    pub kvs: Vec<KeyValue>,
    /// The revision the list was read at (the list's `resourceVersion`).
    pub revision: i64,
    /// More keys follow the last one returned.
    pub more: bool,
}

/// A running watch. Events arrive in revision order on `events`; the stream ends with an
/// `Err` (e.g. [`StorageError::Compacted`]) or closes when the backend goes away.
pub struct Watch {
    /// The changes, oldest first.
    pub events: mpsc::UnboundedReceiver<Result<WatchEvent, StorageError>>,
    /// Send `()` to ask for a [`WatchEvent::Progress`].
    pub progress: mpsc::UnboundedSender<()>,
}

impl Watch {
    /// Ask the backend to send a [`WatchEvent::Progress`] once every earlier event is delivered.
    pub fn request_progress(&self) {
        // A closed channel means the watch is over; the caller sees that on `events`.
        let _ = self.progress.send(());
    }
}

/// The storage interface: etcd's data model, nothing more.
#[async_trait]
pub trait Storage: Send + Sync + 'static {
    /// Read one key at the latest revision.
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StorageError>;

    /// Read every key under `prefix` at one revision.
    async fn list(&self, prefix: &str, opts: ListOptions) -> Result<ListResult, StorageError>;

    /// Write a new key; fails with `AlreadyExists` if it exists. Returns the new revision.
    async fn create(&self, key: &str, value: Vec<u8>) -> Result<i64, StorageError>;

    /// Overwrite a key only if its `mod_revision` is still `expected`. Returns the new revision.
    async fn update(&self, key: &str, value: Vec<u8>, expected: i64) -> Result<i64, StorageError>;

    /// Delete a key only if its `mod_revision` is still `expected`. Returns the delete's revision.
    async fn delete(&self, key: &str, expected: i64) -> Result<i64, StorageError>;

    /// Watch every key under `prefix` for changes at revisions `>= from_revision`.
    ///
    /// `prev_kv` asks for each event's previous value too (etcd's `prev_kv` option). Only a
    /// watcher that keeps no copy of the objects needs it: the watch cache knows every
    /// object already and leaves it off, which matters — etcd 3.4 answers `prev_kv` with one
    /// extra read per event, paid on every write while the watch is open.
    async fn watch(
        &self,
        prefix: &str,
        from_revision: i64,
        prev_kv: bool,
    ) -> Result<Watch, StorageError>;

    /// Forget history before `revision`: watches and reads older than it will fail.
    async fn compact(&self, revision: i64) -> Result<(), StorageError>;

    /// The latest revision of the whole store.
    async fn current_revision(&self) -> Result<i64, StorageError>;
}

/// The end of the key range that holds exactly the keys starting with `prefix`
/// (etcd's "range end": the prefix with its last byte incremented).
pub fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}
