//! # scheduler: where should this pod run?
//!
//! The scheduler watches for pods without a `spec.nodeName`, picks a node for each, and writes
//! the choice back as a `pods/binding`. Picking is done by **plugins** at fixed **extension
//! points**: Filter plugins throw out nodes that cannot run the pod, Score plugins rank the rest.
//! Everything a plugin sees is a frozen snapshot of the cluster, so the decision is a pure
//! function of (pod, snapshot, configuration) and is tested without any server.
//!
//! # Layout
//! Read in this order:
//! - [`framework`]: the extension points ([`framework::interface`]), [`framework::Status`],
//!   [`framework::CycleState`], [`framework::NodeInfo`] and [`framework::Snapshot`], and the
//!   [`framework::Framework`] that runs a profile's plugins. Mirrors `pkg/scheduler/framework/`.
//! - [`config`]: `KubeSchedulerConfiguration` (profiles, plugins, weights, args).
//! - [`plugins`]: one file per plugin, upstream's names and semantics, and the registry that
//!   builds them by name. Mirrors `pkg/scheduler/framework/plugins/`.
//! - [`queue`]: activeQ, backoffQ and unschedulable pods, moved by cluster events.
//! - [`cache`]: nodes and pods, with *assumed* pods, and cheap snapshots.
//! - [`schedule_one`]: one decision as a pure function — filter, score, select — and the
//!   `FitError` message. [`explain`] keeps every verdict and score of it.
//! - [`scheduler`]: the run loop — pop, decide, assume, bind in the background — fed by
//!   [`event_handlers`]; its API writes in [`writes`]; [`metrics`] and [`server`]
//!   (`/metrics`, `/explain/NS/NAME`).
//! - [`run`]: `kubeling scheduler` — configuration, informers, leader election, all wired up.
//! - [`testing`]: builders for pods and nodes used by the tests (`st.MakePod()` upstream).
//!
//! `docs/scheduler.md` walks through a scheduling cycle with a diagram.

pub mod cache;
pub mod config;
pub mod event_handlers;
pub mod explain;
pub mod framework;
pub mod metrics;
pub mod plugins;
pub mod queue;
pub mod run;
pub mod schedule_one;
pub mod scheduler;
pub mod server;
pub mod testing;
pub mod writes;
