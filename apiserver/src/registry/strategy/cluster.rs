//! Strategies of the smaller groups' kinds: Leases, PriorityClasses and EndpointSlices.
//! Upstream: `pkg/registry/coordination/lease/strategy.go`,
//! `pkg/registry/scheduling/priorityclass/strategy.go` and
//! `pkg/registry/discovery/endpointslice/strategy.go`.
//!
//! Not yet as upstream: only one PriorityClass may be `globalDefault: true`. Upstream checks
//! that in the `Priority` admission plugin, which lists the existing classes; our strategies
//! see one object at a time, so that check is still missing.

use super::{defaults, Strategy};
use crate::registry::validation::cluster;
use machinery::StatusCause;
use serde_json::Value;

/// Leases: what leader election and node heartbeats write.
pub struct LeaseStrategy;
impl Strategy for LeaseStrategy {
    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        cluster::validate_lease(obj)
    }
}

/// PriorityClasses: a value that never changes.
pub struct PriorityClassStrategy;
impl Strategy for PriorityClassStrategy {
    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        cluster::validate_priority_class(obj)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<StatusCause> {
        cluster::validate_priority_class_update(new, old)
    }
}

/// EndpointSlices: typed addresses, named TCP ports by default.
pub struct EndpointSliceStrategy;
impl Strategy for EndpointSliceStrategy {
    fn default(&self, obj: &mut Value) {
        defaults::endpoint_slice(obj);
    }

    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        cluster::validate_endpoint_slice(obj)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<StatusCause> {
        cluster::validate_endpoint_slice_update(new, old)
    }
}
