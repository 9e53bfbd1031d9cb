//! The scoring frame every resource strategy shares.
//!
//! For each configured resource (`cpu`, `memory`, `nvidia.com/gpu`, ...) it works out two
//! numbers for the node: how much is *allocatable*, and how much would be *requested* if the pod
//! landed there (what the node's pods request plus what this pod requests). A strategy's formula
//! turns those pairs into one score from 0 to 100.
//!
//! Two details decide most surprises:
//! - NodeResourcesFit scores with *non-zero* requests: a container that requests no CPU counts
//!   as 100m, no memory as 200Mi. Otherwise every request-less pod would see an "empty" node
//!   and they would all pile onto it. BalancedAllocation uses the real requests instead
//!   (`use_requested`), as upstream since 1.23.
//! - A scalar resource (say a GPU) the pod does not ask for is left out entirely, and so is any
//!   resource the node does not have; a CPU-only pod is not steered away from GPU nodes.
//!
//! Upstream: `pkg/scheduler/framework/plugins/noderesources/resource_allocation.go`.

use super::args::ResourceSpec;
use super::balanced_allocation::balanced_resource_scorer;
use super::is_scalar_resource_name;
use super::least_allocated::least_resource_scorer;
use super::most_allocated::most_resource_scorer;
use super::requested_to_capacity_ratio::{requested_to_capacity_ratio_scorer, FunctionShape};
use crate::framework::resource::{pod_non_zero_requests, pod_requests};
use crate::framework::{NodeInfo, Status};
use k8s_openapi::api::core::v1::Pod;

/// Which formula turns (requested, allocatable) per resource into the node's score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scorer {
    LeastAllocated,
    MostAllocated,
    /// With the curve already scaled to 0..=100.
    RequestedToCapacityRatio(FunctionShape),
    BalancedAllocation,
}

/// A strategy plus the resources it looks at. Upstream: `resourceAllocationScorer`.
#[derive(Debug, Clone)]
pub struct ResourceAllocationScorer {
    /// For logs: `LeastAllocated`, `NodeResourcesBalancedAllocation`, ...
    pub name: &'static str,
    /// Score with the pods' real requests instead of the non-zero ones (see the module docs).
    pub use_requested: bool,
    pub scorer: Scorer,
    pub resources: Vec<ResourceSpec>,
}

impl ResourceAllocationScorer {
    /// Score one node for a pod whose requests (one per configured resource, in the same order)
    /// were computed by [`Self::pod_resource_request_list`].
    pub fn score(&self, node: &NodeInfo, pod_requests: &[i64]) -> (i64, Status) {
        if self.resources.is_empty() {
            return (0, Status::error("resources not found"));
        }
        let mut requested = vec![0; self.resources.len()];
        let mut allocatable = vec![0; self.resources.len()];
        for (i, resource) in self.resources.iter().enumerate() {
            let pod_request = pod_requests.get(i).copied().unwrap_or(0);
            let (alloc, req) = self.allocatable_and_requested(node, &resource.name, pod_request);
            // A zero allocatable stays (0, 0): the formulas skip such entries.
            if alloc == 0 {
                continue;
            }
            allocatable[i] = alloc;
            requested[i] = req;
        }
        let score = match &self.scorer {
            Scorer::LeastAllocated => {
                least_resource_scorer(&self.resources, &requested, &allocatable)
            }
            Scorer::MostAllocated => {
                most_resource_scorer(&self.resources, &requested, &allocatable)
            }
            Scorer::RequestedToCapacityRatio(shape) => {
                requested_to_capacity_ratio_scorer(shape, &self.resources, &requested, &allocatable)
            }
            Scorer::BalancedAllocation => balanced_resource_scorer(&requested, &allocatable),
        };
        tracing::trace!(
            node = node.name(),
            scorer = self.name,
            ?allocatable,
            ?requested,
            score,
            "resource allocation score"
        );
        (score, Status::success())
    }

    /// (allocatable on the node, requested on the node including this pod) for one resource;
    /// (0, 0) means "leave this resource out". Upstream: `calculateResourceAllocatableRequest`.
    fn allocatable_and_requested(
        &self,
        node: &NodeInfo,
        resource: &str,
        pod_request: i64,
    ) -> (i64, i64) {
        let requested = if self.use_requested {
            &node.requested
        } else {
            &node.non_zero_requested
        };
        // A scalar resource the pod does not ask for does not make a node better or worse.
        if pod_request == 0 && is_scalar_resource_name(resource) {
            return (0, 0);
        }
        match resource {
            "cpu" => (
                node.allocatable.milli_cpu,
                requested.milli_cpu.saturating_add(pod_request),
            ),
            "memory" => (
                node.allocatable.memory,
                requested.memory.saturating_add(pod_request),
            ),
            // There is no "non-zero" default for storage: always the real requests.
            "ephemeral-storage" => (
                node.allocatable.ephemeral_storage,
                node.requested.ephemeral_storage.saturating_add(pod_request),
            ),
            name if is_scalar_resource_name(name) => match node.allocatable.scalar.get(name) {
                Some(alloc) => {
                    let used = node.requested.scalar.get(name).copied().unwrap_or(0);
                    (*alloc, used.saturating_add(pod_request))
                }
                None => (0, 0),
            },
            // `pods`, or a name the scheduler does not track: nothing to score.
            _ => (0, 0),
        }
    }

    /// The pod's request of each configured resource, in order (CPU in millicores, the rest in
    /// units). Computed once per pod in PreScore. Upstream: `calculatePodResourceRequestList`.
    pub fn pod_resource_request_list(&self, pod: &Pod) -> Vec<i64> {
        let requests = if self.use_requested {
            pod_requests(pod)
        } else {
            pod_non_zero_requests(pod)
        };
        self.resources
            .iter()
            .map(|r| requests.get(&r.name))
            .collect()
    }
}

/// `part * scale / whole` without overflowing on absurd quantities (Go would wrap around;
/// Rust in debug builds would panic, and a scheduler must do neither).
pub(super) fn scaled(part: i64, whole: i64, scale: i64) -> i64 {
    if whole == 0 {
        return 0;
    }
    let value = i128::from(part) * i128::from(scale) / i128::from(whole);
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{make_node, snapshot};
    use super::*;
    use crate::testing::make_pod;

    fn scorer(use_requested: bool, resources: &[(&str, i64)]) -> ResourceAllocationScorer {
        ResourceAllocationScorer {
            name: "test",
            use_requested,
            scorer: Scorer::LeastAllocated,
            resources: resources
                .iter()
                .map(|(n, w)| ResourceSpec::new(n, *w))
                .collect(),
        }
    }

    #[test]
    fn the_pods_request_list_uses_non_zero_defaults_only_when_told_to() {
        let pod = make_pod("p")
            .container("busybox")
            .req_list(&[("nvidia.com/gpu", "2")])
            .obj();
        let resources = [("cpu", 1), ("memory", 1), ("nvidia.com/gpu", 1)];
        // Two containers without cpu/memory requests: 2 × 100m and 2 × 200Mi.
        assert_eq!(
            scorer(false, &resources).pod_resource_request_list(&pod),
            vec![200, 2 * 200 * 1024 * 1024, 2]
        );
        assert_eq!(
            scorer(true, &resources).pod_resource_request_list(&pod),
            vec![0, 0, 2]
        );
    }

    #[test]
    fn a_scalar_the_pod_does_not_request_or_the_node_lacks_is_left_out() {
        let nodes = snapshot(
            vec![make_node("n", 4000, 10000, &[("nvidia.com/gpu", 4)])],
            vec![],
        );
        let s = scorer(true, &[("nvidia.com/gpu", 1), ("pods", 1), ("foo", 1)]);
        assert_eq!(
            s.allocatable_and_requested(&nodes[0], "nvidia.com/gpu", 0),
            (0, 0)
        );
        assert_eq!(
            s.allocatable_and_requested(&nodes[0], "nvidia.com/gpu", 1),
            (4, 1)
        );
        assert_eq!(
            s.allocatable_and_requested(&nodes[0], "example.com/x", 1),
            (0, 0)
        );
        assert_eq!(s.allocatable_and_requested(&nodes[0], "pods", 1), (0, 0));
        assert_eq!(s.allocatable_and_requested(&nodes[0], "foo", 1), (0, 0));
    }

    #[test]
    fn no_resources_configured_is_an_error() {
        let nodes = snapshot(vec![make_node("n", 4000, 10000, &[])], vec![]);
        let (score, status) = scorer(false, &[]).score(&nodes[0], &[]);
        assert_eq!((score, status.code), (0, crate::framework::Code::Error));
        assert_eq!(status.message(), "resources not found");
    }

    #[test]
    fn scaling_never_overflows() {
        assert_eq!(scaled(i64::MAX, 1, 100), i64::MAX);
        assert_eq!(scaled(3, 4, 100), 75);
        assert_eq!(scaled(1, 0, 100), 0);
    }
}
