//! Nodes. Upstream: `pkg/registry/core/node/strategy.go`.

use super::Strategy;

/// Nodes are cluster-scoped, and unlike other kinds they keep the status they are created
/// with: a kubelet registers its node with capacity, addresses and conditions already known.
pub struct NodeStrategy;

impl Strategy for NodeStrategy {
    fn keeps_status_on_create(&self) -> bool {
        true
    }
}
