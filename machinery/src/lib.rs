//! # machinery: the apimachinery of kubeling
//!
//! Every kubeling component speaks the same language: Kubernetes objects as JSON, their
//! `metadata`, selectors that pick objects out of a list, and `Status` objects for errors.
//! This crate holds that shared vocabulary. It is the small cousin of upstream's
//! `k8s.io/apimachinery` (and, as later issues arrive, of `k8s.io/client-go`).
//!
//! # Layout
//! Read in this order:
//! - [`status`]: `ApiError`, the one error every API call can return, and its `Status` JSON
//!   (`NotFound`, `Conflict`, `Invalid`, ...). Mirrors `apimachinery/pkg/api/errors/errors.go`.
//! - [`meta`]: small helpers for reading and writing `metadata` on an object held as JSON.
//! - [`labels`], [`fields`]: label and field selectors. Mirror `apimachinery/pkg/{labels,fields}`.
//! - [`quantity`]: `100m`, `500Mi` as integers. Mirrors `apimachinery/pkg/api/resource`.
//! - [`client`]: kubeconfig and TLS ([`client::config`]), the rate-limited REST client with
//!   retries, and typed [`client::Api`]. Mirrors `client-go/rest` and `tools/clientcmd`.
//! - [`flowcontrol`]: the token bucket behind client QPS and work-queue limits.
//! - [`watcher`]: list, then watch forever, recovering from everything (a state machine).
//! - [`store`], [`reflector`], [`informer`]: the indexed cache of watched objects, kept equal to
//!   the server, with event handlers, and shared per process. Mirror `client-go/tools/cache`.
//! - [`workqueue`]: de-duplicating, rate-limited queues of keys for controllers.
//! - [`leader_election`], [`events`]: one active copy among several, and Events for people.
//! - [`validation_causes`]: the causes of a 422 Invalid, worded as upstream's `field` errors.
//!
//! `docs/machinery.md` walks through all of it; `examples/` has runnable programs.

pub mod client;
pub mod events;
pub mod fields;
pub mod flowcontrol;
pub mod informer;
pub mod labels;
pub mod leader_election;
pub mod meta;
pub mod quantity;
pub mod reflector;
pub mod status;
pub mod store;
pub mod validation_causes;
pub mod watcher;
pub mod workqueue;

pub use status::{ApiError, StatusCause, StatusDetails};
