//! EXERCISE 1: optimistic concurrency, the loop behind every update in Kubernetes.
//!
//! Two clients read the same object at revision 7 and both want to change it. Locking the
//! object would make every reader wait; instead each writes *guarded* by the revision it read,
//! and the store lets only the first one through:
//!
//! ```text
//!  client A: get (rev 7) ── change ── put_if(expected 7) ──► ok, rev 8
//!  client B: get (rev 7) ── change ────────── put_if(expected 7) ──► Conflict (actual 8)
//!            get (rev 8) ── change again ── put_if(expected 8) ──► ok, rev 9
//! ```
//!
//! B's second `change` starts from A's value, so A's write is not lost. That is the whole
//! trick: a conflict is not an error to report but a reason to read again and redo the change.
//! The API server runs this loop for every PUT without `resourceVersion` and every PATCH
//! (kubeling's `Registry::guaranteed_update` in apiserver/src/registry/update.rs, upstream's
//! `GuaranteedUpdate` in `staging/src/k8s.io/apiserver/pkg/storage/etcd3/store.go`); clients
//! run it around a GET + PUT (client-go's `retry.RetryOnConflict`).

// The gap below leaves its parameters unused until you fill it in.
#![allow(unused_variables, unused_imports, unused_mut)]

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
///
/// EXERCISE: fill in the body. The rules, each checked by `tests/concurrency.rs`:
/// 1. Read the key ([`Store::get`]); a missing key is [`UpdateError::NotFound`].
/// 2. Compute the new value with `change(&current.value)`.
/// 3. If the new value equals the current one, write nothing and return the current
///    `mod_revision` (the API server does the same: no write, no new resourceVersion, no
///    watch event).
/// 4. Otherwise write it with [`Store::put_if`], guarded by the `mod_revision` you read.
///    On [`WriteError::Conflict`] go back to step 1; on [`WriteError::NotFound`] (deleted
///    meanwhile) return [`UpdateError::NotFound`].
/// 5. Make at most `max_attempts` attempts (calls of `change`); after that return
///    [`UpdateError::TooManyConflicts`]. `max_attempts == 0` gives up at once.
pub fn update_with_retry(
    store: &Store,
    key: &str,
    max_attempts: u32,
    mut change: impl FnMut(&str) -> String,
) -> Result<Revision, UpdateError> {
    todo!("EXERCISE 1: read, change, put_if; on Conflict read again (see the rules above)")
}
