//! A tiny etcd, enough to practise optimistic concurrency on (nothing to fill in here).
//!
//! Like etcd, the store has **one revision for the whole store**: every write bumps it, and
//! each key remembers the revision of its last write, its `mod_revision`. The API server hands
//! that number to clients as the object's `metadata.resourceVersion`.
//!
//! ```text
//!  revision 1          2                 3                 4
//!  (empty)    put cm/a = "x"    put cm/b = "y"    put cm/a = "z"
//!                                                 cm/a.mod_revision = 4, cm/b.mod_revision = 3
//! ```
//!
//! [`Store::put_if`] is the only write the API server uses for updates: one etcd transaction,
//! `IF mod_revision(key) == expected THEN put ELSE fail`. Whoever read an older revision loses.
//! A real etcd also keeps every old revision (until compaction) and serves watches from them;
//! this one keeps only the current value of each key, which is all the exercise needs.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// etcd's revision: a counter for the whole store, never reused.
pub type Revision = i64;

/// A key's current value and the revision of its last write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub value: String,
    pub mod_revision: Revision,
}

/// Why a guarded write did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// Someone wrote the key after you read it: its `mod_revision` is no longer `expected`.
    /// The API server turns this into `409 Conflict` ("the object has been modified").
    Conflict {
        expected: Revision,
        actual: Revision,
    },
    /// The key does not exist (any more).
    NotFound,
}

/// The store. Methods take `&self` (the state sits behind a lock) so that a test can play
/// "another client" writing while your code is between its read and its write.
#[derive(Debug)]
pub struct Store {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    revision: Revision,
    keys: BTreeMap<String, KeyValue>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// An empty store at revision 1, as a fresh etcd.
    pub fn new() -> Store {
        Store {
            inner: Mutex::new(Inner {
                revision: 1,
                keys: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave `Inner` half-written, so a poisoned
        // lock is still safe to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The revision of the last write to any key.
    pub fn revision(&self) -> Revision {
        self.lock().revision
    }

    /// The current value of `key`, with its `mod_revision`.
    pub fn get(&self, key: &str) -> Option<KeyValue> {
        self.lock().keys.get(key).cloned()
    }

    /// Write without looking: what a PUT *without* `resourceVersion` does. Returns the new revision.
    pub fn put(&self, key: &str, value: &str) -> Revision {
        let mut inner = self.lock();
        inner.revision += 1;
        let kv = KeyValue {
            value: value.to_string(),
            mod_revision: inner.revision,
        };
        inner.keys.insert(key.to_string(), kv);
        inner.revision
    }

    /// Delete `key` (a delete is a write too: it bumps the revision). `None` if it was absent.
    pub fn delete(&self, key: &str) -> Option<Revision> {
        let mut inner = self.lock();
        inner.keys.remove(key)?;
        inner.revision += 1;
        Some(inner.revision)
    }

    /// Write only if `key` still has `mod_revision == expected` (etcd: one transaction,
    /// `If(ModRevision(key) == expected).Then(Put).Else(Get)`). Returns the new revision.
    pub fn put_if(
        &self,
        key: &str,
        value: &str,
        expected: Revision,
    ) -> Result<Revision, WriteError> {
        let mut inner = self.lock();
        let actual = match inner.keys.get(key) {
            Some(kv) => kv.mod_revision,
            None => return Err(WriteError::NotFound),
        };
        if actual != expected {
            return Err(WriteError::Conflict { expected, actual });
        }
        inner.revision += 1;
        let kv = KeyValue {
            value: value.to_string(),
            mod_revision: inner.revision,
        };
        inner.keys.insert(key.to_string(), kv);
        Ok(inner.revision)
    }
}
