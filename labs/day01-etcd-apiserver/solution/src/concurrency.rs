//! EXERCISE 1: optimistic concurrency, the loop behind every update in Kubernetes.
//! (Reference solution: copy over `exercise/src/concurrency.rs` to see the tests pass.)
//!
//! ```text
//!  client A: get (rev 7) ── change ── put_if(expected 7) ──► ok, rev 8
//!  client B: get (rev 7) ── change ────────── put_if(expected 7) ──► Conflict (actual 8)
//!            get (rev 8) ── change again ── put_if(expected 8) ──► ok, rev 9
//! ```
//!
//! Mirrors kubeling's `Registry::guaranteed_update` (apiserver/src/registry/update.rs) and
//! upstream's `GuaranteedUpdate` (`staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go`).

use crate::store::{Revision, Store, WriteError};

/// Why [`update_with_retry`] gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateError {
    /// The key does not exist: there is nothing to update.
    NotFound,
    /// Every attempt lost a race with another writer.
    TooManyConflicts { attempts: u32 },
}

/// Replace the value of `key` with `change(current value)`, safely against concurrent writers.
/// Returns the revision of the write.
pub fn update_with_retry(
    store: &Store,
    key: &str,
    max_attempts: u32,
    mut change: impl FnMut(&str) -> String,
) -> Result<Revision, UpdateError> {
    for _ in 0..max_attempts {
        let current = store.get(key).ok_or(UpdateError::NotFound)?;
        let new = change(&current.value);
        // Nothing changed: writing would only bump the revision and wake every watcher.
        if new == current.value {
            return Ok(current.mod_revision);
        }
        match store.put_if(key, &new, current.mod_revision) {
            Ok(revision) => return Ok(revision),
            // Someone wrote first. Their value is now the current one: read it and redo the
            // change on top of it, so their write is not lost.
            Err(WriteError::Conflict { .. }) => continue,
            Err(WriteError::NotFound) => return Err(UpdateError::NotFound),
        }
    }
    Err(UpdateError::TooManyConflicts {
        attempts: max_attempts,
    })
}
