//! # apiserver
//!
//! The Kubernetes API server in miniature: REST over etcd, with watches. docs/apiserver.md
//! follows one request through these modules.
//!
//! # Layout
//! - [`server`]: HTTP. The router, request info, body codecs (JSON, YAML, protobuf),
//!   handlers per verb, list and watch streaming, Table printing, discovery and OpenAPI.
//! - [`registry`]: the rules every write follows — metadata, defaults, validation,
//!   strategies per kind, patches, server-side apply, dry run, deletion and finalizers.
//! - [`resources`]: the table of served kinds; URLs, keys and discovery derive from it.
//! - [`storage`]: the `Storage` trait and its backends (etcd, in-memory, dry-run).
//! - [`watch_cache`]: one storage watch per resource, fanned out to every watcher.
//! - [`packing`]: copying the cache's objects into a few large buffers, for fast LISTs.
//! - [`etcd_process`]: start etcd as a child process for `kubeling up`.
pub mod etcd_process;
pub mod packing;
pub mod registry;
pub mod resources;
pub mod server;
pub mod storage;
pub mod watch_cache;
