//! An in-process MVCC store with etcd's semantics, for `--store memory`.
//!
//! It keeps two things: the **current** value of every key, and a **log** of every change since
//! the compaction point, one event per revision. That is enough to answer everything etcd can:
//!
//! - a read "at revision R" starts from the current values and *undoes* the log back to R;
//! - a watch "from revision R" replays the log from R, then receives new events live;
//! - compaction drops the front of the log; asking for anything older fails with `Compacted`.
//!
//! The log is bounded (the "history window", `history_limit` events): when it grows past that,
//! the oldest event is compacted away, much as the API server's compactor keeps etcd small.
//! A real etcd keeps every version of every key in a B-tree on disk (`mvcc/kvstore.go`); we keep
//! only what the undo trick needs.

use super::{KeyValue, ListOptions, ListResult, Storage, StorageError, Watch, WatchEvent};
use async_trait::async_trait;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;

/// Default number of changes kept for watches and old reads.
pub const DEFAULT_HISTORY: usize = 100_000;

type EventSender = mpsc::UnboundedSender<Result<WatchEvent, StorageError>>;

/// The in-memory store. Cloning shares the same data.
#[derive(Clone)]
pub struct MemoryStorage {
    inner: Arc<Mutex<Inner>>,
}

struct Inner {
    /// The revision of the last write (etcd starts an empty store at 1).
    revision: i64,
    /// The oldest revision still readable and watchable: the log holds every event at or after it.
    compacted: i64,
    /// Current value of every live key.
    keys: BTreeMap<String, KeyValue>,
    /// One `Put` or `Delete` per revision in `[compacted, revision]`.
    log: VecDeque<WatchEvent>,
    /// Most events kept in `log`.
    history_limit: usize,
    /// Live watches: the prefix they watch, whether they want previous values, and where
    /// to send events.
    watchers: Vec<(String, bool, EventSender)>,
}

impl Default for MemoryStorage {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY)
    }
}

impl MemoryStorage {
    /// An empty store keeping at most `history_limit` past changes.
    pub fn new(history_limit: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                revision: 1,
                compacted: 0,
                keys: BTreeMap::new(),
                log: VecDeque::new(),
                history_limit: history_limit.max(1),
                watchers: Vec::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock would be a bug in this file; the data is still
        // consistent because every write below completes before it can panic.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `event` as a watcher asked for it: with the previous value only if it said `prev_kv`.
fn as_asked(event: &WatchEvent, prev_kv: bool) -> WatchEvent {
    let mut event = event.clone();
    if !prev_kv {
        match &mut event {
            WatchEvent::Put { prev, .. } | WatchEvent::Delete { prev, .. } => *prev = None,
            WatchEvent::Progress { .. } => {}
        }
    }
    event
}

impl Inner {
    /// Record one change: bump the revision, log it, trim history, tell the watchers.
    fn commit(&mut self, event: WatchEvent) {
        let key = match &event {
            WatchEvent::Put { kv, .. } => kv.key.clone(),
            WatchEvent::Delete { key, .. } => key.clone(),
            WatchEvent::Progress { .. } => return,
        };
        self.log.push_back(event.clone());
        while self.log.len() > self.history_limit {
            if let Some(old) = self.log.pop_front() {
                // Revision `old` can no longer be replayed; the next one still can.
                self.compacted = old.revision() + 1;
            }
        }
        // Send to every watcher of a matching prefix; forget watchers that hung up.
        self.watchers.retain(|(prefix, prev_kv, tx)| {
            !key.starts_with(prefix.as_str()) || tx.send(Ok(as_asked(&event, *prev_kv))).is_ok()
        });
    }

    fn next_revision(&mut self) -> i64 {
        self.revision += 1;
        self.revision
    }

    /// Check that `revision` can still be read.
    fn check_readable(&self, revision: i64) -> Result<(), StorageError> {
        if revision > self.revision {
            return Err(StorageError::FutureRevision(revision));
        }
        if revision < self.compacted {
            return Err(StorageError::Compacted {
                requested: revision,
                compacted: self.compacted,
            });
        }
        Ok(())
    }

    /// The keys under `prefix` as they were at `revision`: take today's values and undo,
    /// newest first, every change made after `revision`.
    fn snapshot_at(&self, prefix: &str, revision: i64) -> BTreeMap<String, KeyValue> {
        let mut keys: BTreeMap<String, KeyValue> = self
            .keys
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for event in self.log.iter().rev() {
            if event.revision() <= revision {
                break;
            }
            let (key, prev) = match event {
                WatchEvent::Put { kv, prev } => (&kv.key, prev),
                WatchEvent::Delete { key, prev, .. } => (key, prev),
                WatchEvent::Progress { .. } => continue,
            };
            if !key.starts_with(prefix) {
                continue;
            }
            match prev {
                Some(p) => keys.insert(key.clone(), p.clone()),
                None => keys.remove(key),
            };
        }
        keys
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StorageError> {
        Ok(self.lock().keys.get(key).cloned())
    }

    async fn list(&self, prefix: &str, opts: ListOptions) -> Result<ListResult, StorageError> {
        let inner = self.lock();
        let revision = if opts.revision > 0 {
            opts.revision
        } else {
            inner.revision
        };
        inner.check_readable(revision)?;
        let start = opts.start_key.unwrap_or_default();
        let mut kvs: Vec<KeyValue> = inner
            .snapshot_at(prefix, revision)
            .into_values()
            .filter(|kv| kv.key >= start)
            .collect();
        let more = opts.limit > 0 && kvs.len() > opts.limit;
        if more {
            kvs.truncate(opts.limit);
        }
        Ok(ListResult {
            kvs,
            revision,
            more,
        })
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<i64, StorageError> {
        let mut inner = self.lock();
        if inner.keys.contains_key(key) {
            return Err(StorageError::AlreadyExists(key.to_string()));
        }
        let rev = inner.next_revision();
        let kv = KeyValue {
            key: key.to_string(),
            value,
            create_revision: rev,
            mod_revision: rev,
        };
        inner.keys.insert(key.to_string(), kv.clone());
        inner.commit(WatchEvent::Put { kv, prev: None });
        Ok(rev)
    }

    async fn update(&self, key: &str, value: Vec<u8>, expected: i64) -> Result<i64, StorageError> {
        let mut inner = self.lock();
        let prev = current_matching(&inner, key, expected)?;
        let rev = inner.next_revision();
        let kv = KeyValue {
            key: key.to_string(),
            value,
            create_revision: prev.create_revision,
            mod_revision: rev,
        };
        inner.keys.insert(key.to_string(), kv.clone());
        inner.commit(WatchEvent::Put {
            kv,
            prev: Some(prev),
        });
        Ok(rev)
    }

    async fn delete(&self, key: &str, expected: i64) -> Result<i64, StorageError> {
        let mut inner = self.lock();
        let prev = current_matching(&inner, key, expected)?;
        let rev = inner.next_revision();
        inner.keys.remove(key);
        inner.commit(WatchEvent::Delete {
            key: key.to_string(),
            revision: rev,
            prev: Some(prev),
        });
        Ok(rev)
    }

    async fn watch(
        &self,
        prefix: &str,
        from_revision: i64,
        prev_kv: bool,
    ) -> Result<Watch, StorageError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let (progress_tx, mut progress_rx) = mpsc::unbounded_channel::<()>();
        {
            let mut inner = self.lock();
            let from = if from_revision > 0 {
                from_revision
            } else {
                inner.revision + 1
            };
            if from < inner.compacted {
                let _ = tx.send(Err(StorageError::Compacted {
                    requested: from,
                    compacted: inner.compacted,
                }));
            } else {
                // Replay history and register for new events under one lock: no gap, no repeat.
                for event in inner.log.iter().filter(|e| e.revision() >= from) {
                    if event_key(event).is_some_and(|k| k.starts_with(prefix)) {
                        let _ = tx.send(Ok(as_asked(event, prev_kv)));
                    }
                }
                inner
                    .watchers
                    .push((prefix.to_string(), prev_kv, tx.clone()));
            }
        }
        // Answer progress requests: under the lock every earlier event has been sent already.
        let store = self.clone();
        tokio::spawn(async move {
            while progress_rx.recv().await.is_some() {
                let inner = store.lock();
                let progress = WatchEvent::Progress {
                    revision: inner.revision,
                };
                if tx.send(Ok(progress)).is_err() {
                    break;
                }
            }
        });
        Ok(Watch {
            events: rx,
            progress: progress_tx,
        })
    }

    async fn compact(&self, revision: i64) -> Result<(), StorageError> {
        let mut inner = self.lock();
        inner.check_readable(revision)?;
        while inner.log.front().is_some_and(|e| e.revision() < revision) {
            inner.log.pop_front();
        }
        inner.compacted = revision;
        Ok(())
    }

    async fn current_revision(&self) -> Result<i64, StorageError> {
        Ok(self.lock().revision)
    }
}

fn event_key(event: &WatchEvent) -> Option<&str> {
    match event {
        WatchEvent::Put { kv, .. } => Some(&kv.key),
        WatchEvent::Delete { key, .. } => Some(key),
        WatchEvent::Progress { .. } => None,
    }
}

/// The key's current value, if its `mod_revision` is `expected`.
fn current_matching(inner: &Inner, key: &str, expected: i64) -> Result<KeyValue, StorageError> {
    let current = inner
        .keys
        .get(key)
        .ok_or_else(|| StorageError::NotFound(key.to_string()))?;
    if current.mod_revision != expected {
        return Err(StorageError::Conflict {
            key: key.to_string(),
            expected,
            actual: current.mod_revision,
        });
    }
    Ok(current.clone())
}
