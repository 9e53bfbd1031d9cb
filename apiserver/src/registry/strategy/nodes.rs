//! Nodes. Upstream: `pkg/registry/core/node/strategy.go`.

use super::Strategy;
use crate::registry::validation::node;
use machinery::StatusCause;
use serde_json::Value;

/// Nodes are cluster-scoped, and unlike other kinds they keep the status they are created
/// with: a kubelet registers its node with capacity, addresses and conditions already known.
pub struct NodeStrategy;

impl Strategy for NodeStrategy {
    fn keeps_status_on_create(&self) -> bool {
        true
    }

    /// Taints, capacity and pod CIDRs (upstream `ValidateNode`).
    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        node::validate_node(obj)
    }

    /// Pod CIDRs and the provider ID are set once (upstream `ValidateNodeUpdate`).
    fn validate_update(&self, new: &Value, old: &Value) -> Vec<StatusCause> {
        node::validate_node_update(new, old)
    }
}
