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
//! - [`labels`]: label selectors (`app=web,tier in (a,b)`). Mirrors `apimachinery/pkg/labels`.
//! - [`fields`]: field selectors (`spec.nodeName=n1`). Mirrors `apimachinery/pkg/fields`.

pub mod client;
pub mod events;
pub mod fields;
pub mod flowcontrol;
pub mod informer;
pub mod labels;
pub mod leader_election;
pub mod meta;
pub mod reflector;
pub mod status;
pub mod store;
pub mod watcher;
pub mod workqueue;

pub use status::{ApiError, StatusCause, StatusDetails};
