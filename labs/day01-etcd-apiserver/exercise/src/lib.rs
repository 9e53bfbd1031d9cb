//! # Day 01 exercise: etcd and the API server, in miniature
//!
//! Three gaps, each a few lines, each a rule the real API server and its clients live by.
//! Run `cargo test` here: the tests fail until the gaps are filled.
//!
//! # Layout
//! Read in this order:
//! - [`store`]: a tiny etcd (given, nothing to fill in): keys, one global revision, and the
//!   guarded write `IF mod_revision(key) == expected THEN put`.
//! - [`concurrency`]: EXERCISE 1, `update_with_retry`: read, change, write guarded by what you
//!   read; on a conflict, read again. The loop of kubeling's `Registry::guaranteed_update`
//!   (apiserver/src/registry/update.rs) and of client-go's `retry.RetryOnConflict`.
//! - [`watch`]: EXERCISE 2, `parse_event_line`: one line of a watch (`{"type":"ADDED",
//!   "object":{...}}`) into a [`watch::WatchEvent`]; EXERCISE 3, `next_step`: after a watch
//!   ends, where does a client resume, and when must it list again?
//! - `src/bin/watch-summary.rs` (given): uses your parser on a real watch, e.g.
//!   `curl -sN "$S/api/v1/namespaces/lab01/configmaps?watch=true" | cargo run -q --bin watch-summary`.

pub mod concurrency;
pub mod store;
pub mod watch;
