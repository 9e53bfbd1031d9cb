//! Strategies: what makes one kind behave differently from another.
//!
//! The registry runs the same create/update/delete flow for every kind. Where a kind needs
//! something of its own — a Pod starts life `Pending`, a Node may be created with its status,
//! a Deployment counts spec changes in `metadata.generation` — the registry asks that kind's
//! [`Strategy`]. Upstream has one `strategy.go` per kind (e.g.
//! `pkg/registry/core/pod/strategy.go`) implementing `rest.RESTCreateStrategy` and friends;
//! this trait is the small subset we need so far.

pub mod cluster;
pub mod core_kinds;
pub mod defaults;
pub mod namespaces;
pub mod nodes;
pub mod pods;
pub mod workloads;

pub use cluster::{EndpointSliceStrategy, LeaseStrategy, PriorityClassStrategy};
pub use core_kinds::{
    ConfigMapStrategy, EndpointsStrategy, EventStrategy, SecretStrategy, ServiceStrategy,
};
pub use workloads::Workload;

use machinery::StatusCause;
use serde_json::Value;

/// Kind-specific hooks, all with a "do nothing special" default.
pub trait Strategy: Sync {
    /// Names must be DNS-1123 *labels* (no dots, at most 63 characters) instead of the usual
    /// subdomains. True for namespaces and services, whose names end up in DNS names.
    fn name_is_label(&self) -> bool {
        false
    }

    /// `metadata.generation` starts at 1 and grows by one with every change to the spec, so
    /// a controller can say which spec it has acted on (`status.observedGeneration`).
    fn tracks_generation(&self) -> bool {
        false
    }

    /// Keep a status sent on create. Most kinds reset it: status is written by controllers,
    /// not by whoever creates the object. Nodes are the exception: a kubelet registers its
    /// node with its status filled in.
    fn keeps_status_on_create(&self) -> bool {
        false
    }

    /// Fill in the fields a client may leave out (`restartPolicy: Always`, ...). Runs on every
    /// create and update, before validation, as upstream's defaulting runs on every decode.
    fn default(&self, _obj: &mut Value) {}

    /// Fill in what the server owns on a new object (e.g. a pod's `status.phase: Pending`).
    fn prepare_for_create(&self, _obj: &mut Value) {}

    /// Kind-specific checks beyond metadata; each problem is one cause of a 422 Invalid.
    fn validate(&self, _obj: &Value) -> Vec<StatusCause> {
        Vec::new()
    }

    /// Restore what an update through the main endpoint may not change, beyond status and
    /// system metadata (which every kind restores). A namespace's `spec.finalizers` may only
    /// change through `namespaces/NAME/finalize`. Upstream: each strategy's
    /// `PrepareForUpdate`.
    fn prepare_for_update(&self, _new: &mut Value, _old: &Value) {}

    /// Checks that compare the new object with the one it replaces — fields that may not
    /// change once set (a Deployment's selector, a Service's clusterIP). Runs after
    /// [`Strategy::validate`] on every update through the main endpoint. Upstream: the
    /// `ValidateUpdate` method of each kind's strategy.
    fn validate_update(&self, _new: &Value, _old: &Value) -> Vec<StatusCause> {
        Vec::new()
    }

    /// Why this object may never be deleted, if it may not (answered with 403 Forbidden).
    fn forbid_delete(&self, _name: &str) -> Option<&'static str> {
        None
    }

    /// How many seconds deletion should wait, given the grace period the client asked for.
    /// 0 deletes at once. Only pods wait: their kubelet must stop the containers first.
    fn grace_period(&self, _obj: &Value, _requested: Option<i64>) -> i64 {
        0
    }
}

/// Kinds with no behaviour of their own beyond metadata (ServiceAccount).
pub struct Generic;
impl Strategy for Generic {}
