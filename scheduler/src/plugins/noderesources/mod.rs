//! NodeResourcesFit and NodeResourcesBalancedAllocation: does the pod fit in what the node has
//! left, and which node would it use best?
//!
//! Every node advertises `status.allocatable` (what pods may use: capacity minus what the
//! kubelet keeps for the system). Every pod asks for `resources.requests`. The scheduler adds up
//! the requests of the pods already on a node and compares: a pod fits if, for every resource it
//! asks for, `allocatable - already requested >= asked`. Actual use on the node plays no part;
//! a request is a reservation, and the scheduler books reservations.
//!
//! Scoring then prefers some fitting nodes over others, in one of three ways chosen in the
//! plugin's arguments (`scoringStrategy.type`):
//!
//! | strategy | prefers | typical use |
//! |---|---|---|
//! | LeastAllocated (default) | the emptiest node | spreading load |
//! | MostAllocated | the fullest node that still fits | bin packing, scaling nodes down |
//! | RequestedToCapacityRatio | whatever a utilisation→score curve says | custom packing |
//!
//! NodeResourcesBalancedAllocation adds a second opinion: it prefers nodes whose CPU and memory
//! would be used in similar proportions, so a node does not end up with all its memory taken
//! and idle CPUs nobody can use.
//!
//! # Layout
//! - [`args`]: `NodeResourcesFitArgs` and `NodeResourcesBalancedAllocationArgs` as they appear in
//!   `pluginConfig`: defaults and validation.
//! - [`fit`]: the NodeResourcesFit plugin (PreFilter, Filter, PreScore, Score).
//! - [`resource_allocation`]: the scoring frame every strategy shares: gather (requested,
//!   allocatable) per configured resource, then hand them to the strategy's formula.
//! - `least_allocated`, `most_allocated`, `requested_to_capacity_ratio`: the three formulas.
//! - [`balanced_allocation`]: the NodeResourcesBalancedAllocation plugin and its formula.
//! - this file: which resource names are "scalar" (extended resources, hugepages, ...).
//! - `args_tests`, `fit_tests`, `test_util`: the longer test tables and their helpers.
//!
//! Upstream: `pkg/scheduler/framework/plugins/noderesources/`, with the same file split.

pub mod args;
pub mod balanced_allocation;
pub mod fit;
mod least_allocated;
mod most_allocated;
mod requested_to_capacity_ratio;
pub mod resource_allocation;

#[cfg(test)]
mod args_tests;
#[cfg(test)]
mod fit_tests;
#[cfg(test)]
mod test_util;

/// Resource names in the default namespace (`kubernetes.io/...`) belong to Kubernetes itself.
const DEFAULT_NAMESPACE_PREFIX: &str = "kubernetes.io/";

/// `hugepages-2Mi`, `hugepages-1Gi`: memory in huge pages, counted separately from `memory`.
pub fn is_hugepage_resource_name(name: &str) -> bool {
    name.starts_with("hugepages-")
}

/// A name like `kubernetes.io/something` or `subdomain.kubernetes.io/something`.
pub fn is_prefixed_native_resource(name: &str) -> bool {
    name.contains(DEFAULT_NAMESPACE_PREFIX)
}

/// Names without a `/` (`cpu`, `memory`, ...) and `kubernetes.io/` names are Kubernetes' own.
pub fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || is_prefixed_native_resource(name)
}

/// An extended resource is advertised by a device plugin or an operator under its own domain,
/// e.g. `nvidia.com/gpu` or `example.com/dongle`. Only these can be ignored through
/// `ignoredResources`. Upstream: `IsExtendedResourceName` in `pkg/apis/core/v1/helper`.
pub fn is_extended_resource_name(name: &str) -> bool {
    if is_native_resource(name) || name.starts_with("requests.") {
        return false;
    }
    // Upstream also requires the name to be usable in a ResourceQuota as `requests.<name>`.
    is_qualified_name(&format!("requests.{name}"))
}

/// Volume-attach limits some cloud nodes advertise, e.g. `attachable-volumes-aws-ebs`.
pub fn is_attachable_volume_resource_name(name: &str) -> bool {
    name.starts_with("attachable-volumes-")
}

/// "Scalar" resources are the ones the scheduler counts as plain numbers beside cpu, memory and
/// ephemeral-storage. Any other name a pod or node mentions (say `foo`) is ignored, as upstream
/// (`IsScalarResourceName` in `pkg/scheduler/util`).
pub fn is_scalar_resource_name(name: &str) -> bool {
    is_extended_resource_name(name)
        || is_hugepage_resource_name(name)
        || is_prefixed_native_resource(name)
        || is_attachable_volume_resource_name(name)
}

/// An optional DNS-subdomain prefix and `/`, then a name part: the shape of label keys and of
/// resource names (upstream `IsQualifiedName`; the one check lives in machinery).
pub use machinery::labels::validation::is_qualified_name;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_names_are_sorted_into_native_extended_and_scalar_as_upstream() {
        // (name, extended?, scalar?)
        let cases = [
            ("cpu", false, false),
            ("memory", false, false),
            ("pods", false, false),
            ("foo", false, false),
            ("nvidia.com/gpu", true, true),
            ("example.com/aaa", true, true),
            ("kubernetes.io/something", false, true),
            ("subdomain.kubernetes.io/something", false, true),
            ("hugepages-2Mi", false, true),
            ("attachable-volumes-aws-ebs", false, true),
            ("requests.example.com/x", false, false),
            ("Bad_Domain.com/x", false, false),
        ];
        for (name, extended, scalar) in cases {
            assert_eq!(is_extended_resource_name(name), extended, "{name} extended");
            assert_eq!(is_scalar_resource_name(name), scalar, "{name} scalar");
        }
    }

    #[test]
    fn qualified_names_take_an_optional_dns_prefix() {
        assert!(is_qualified_name("example.com/gpu"));
        assert!(is_qualified_name("gpu"));
        assert!(!is_qualified_name("a/b/c"));
        assert!(!is_qualified_name("/gpu"));
        assert!(!is_qualified_name("example.com/"));
        assert!(!is_qualified_name("-gpu"));
    }
}
