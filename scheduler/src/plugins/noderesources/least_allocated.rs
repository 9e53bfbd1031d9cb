//! LeastAllocated, the default strategy: the more of a node would stay free, the higher its
//! score. It spreads pods out, so one node's trouble hits few of them.
//!
//! ```text
//! per resource:  (allocatable - requested) * 100 / allocatable     (0 if requested > allocatable)
//! node score:    Σ score(r) * weight(r) / Σ weight(r)              (integer division)
//! ```
//! Upstream: `pkg/scheduler/framework/plugins/noderesources/least_allocated.go`.

use super::args::ResourceSpec;
use super::resource_allocation::scaled;
use crate::framework::MAX_NODE_SCORE;

/// The weighted mean of each resource's free fraction. `requested` and `allocatable` have one
/// entry per resource in `resources`; entries with nothing allocatable are skipped.
pub fn least_resource_scorer(
    resources: &[ResourceSpec],
    requested: &[i64],
    allocatable: &[i64],
) -> i64 {
    let (mut node_score, mut weight_sum) = (0i64, 0i64);
    for ((resource, &req), &alloc) in resources.iter().zip(requested).zip(allocatable) {
        if alloc == 0 {
            continue;
        }
        node_score += least_requested_score(req, alloc) * resource.weight;
        weight_sum += resource.weight;
    }
    if weight_sum == 0 {
        return 0;
    }
    node_score / weight_sum
}

/// The unused share of one resource on a 0..=100 scale.
fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    scaled(capacity - requested, capacity, MAX_NODE_SCORE)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{node_with, on, pod, scores, snapshot};
    use crate::plugins::{noderesources::fit, FactoryContext};
    use crate::testing::NodeWrapper;
    use k8s_openapi::api::core::v1::Pod;
    use serde_json::json;

    const EXTENDED: &str = "abc.com/xyz";

    /// name, pod, nodes, pods already on them, `scoringStrategy.resources`, scores.
    type Case = (
        &'static str,
        Pod,
        Vec<NodeWrapper>,
        Vec<Pod>,
        serde_json::Value,
        Vec<i64>,
    );

    /// The cases of upstream's `TestLeastAllocatedScoringStrategy` (cpu in whole cores, as
    /// upstream writes "4000"; only the ratios matter).
    #[test]
    fn least_allocated_prefers_the_emptier_node_as_upstream() {
        let default = json!([{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]);
        let with_extended = json!([{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1},
            {"name": EXTENDED, "weight": 1}]);
        let small = &[("cpu", "4000"), ("memory", "10000")];
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("nothing scheduled, nothing requested", pod(&[]),
                vec![node_with("node1", small), node_with("node2", small)], vec![],
                default.clone(), vec![100, 100]),
            // node1: cpu (4000-3000)/4000 = 25, memory (10000-5000)/10000 = 50 → 37
            ("nothing scheduled, resources requested, differently sized nodes",
                pod(&[&[("cpu", "1000"), ("memory", "2000")], &[("cpu", "2000"), ("memory", "3000")]]),
                vec![node_with("node1", small), node_with("node2", &[("cpu", "6000"), ("memory", "10000")])],
                vec![], default.clone(), vec![37, 50]),
            ("no resources requested, pods scheduled", pod(&[]),
                vec![node_with("node1", small), node_with("node2", small)],
                vec![on("node1", "a", &[]), on("node1", "b", &[]), on("node2", "c", &[]), on("node2", "d", &[])],
                default.clone(), vec![100, 100]),
            ("no resources requested, pods scheduled with resources", pod(&[]),
                vec![node_with("node1", &[("cpu", "10000"), ("memory", "20000")]),
                     node_with("node2", &[("cpu", "10000"), ("memory", "20000")])],
                vec![on("node1", "a", &[("cpu", "3000"), ("memory", "0")]),
                     on("node1", "b", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "c", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "d", &[("cpu", "3000"), ("memory", "5000")])],
                default.clone(), vec![70, 57]),
            ("resources requested, pods scheduled with resources",
                pod(&[&[("cpu", "1000"), ("memory", "2000")], &[("cpu", "2000"), ("memory", "3000")]]),
                vec![node_with("node1", &[("cpu", "10000"), ("memory", "20000")]),
                     node_with("node2", &[("cpu", "10000"), ("memory", "20000")])],
                vec![on("node1", "a", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "b", &[("cpu", "3000"), ("memory", "5000")])],
                default.clone(), vec![57, 45]),
            ("resources requested, pods scheduled with resources, differently sized nodes",
                pod(&[&[("cpu", "1000"), ("memory", "2000")], &[("cpu", "2000"), ("memory", "3000")]]),
                vec![node_with("node1", &[("cpu", "10000"), ("memory", "20000")]),
                     node_with("node2", &[("cpu", "10000"), ("memory", "50000")])],
                vec![on("node1", "a", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "b", &[("cpu", "3000"), ("memory", "5000")])],
                default.clone(), vec![57, 60]),
            ("requested resources exceed node capacity", pod(&[&[("cpu", "3000"), ("memory", "0")]]),
                vec![node_with("node1", small), node_with("node2", small)],
                vec![on("node1", "a", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "b", &[("cpu", "3000"), ("memory", "5000")])],
                default.clone(), vec![50, 25]),
            ("zero node resources, pods scheduled with resources", pod(&[]),
                vec![node_with("node1", &[]), node_with("node2", &[])],
                vec![on("node1", "a", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "b", &[("cpu", "3000"), ("memory", "5000")])],
                default.clone(), vec![0, 0]),
            // node1: (25 * 1 + 50 * 2) / 3 = 41
            ("nothing scheduled, resources requested with different weight on CPU and memory",
                pod(&[&[("cpu", "1000"), ("memory", "2000")], &[("cpu", "2000"), ("memory", "3000")]]),
                vec![node_with("node1", small), node_with("node2", &[("cpu", "6000"), ("memory", "10000")])],
                vec![], json!([{"name": "memory", "weight": 2}, {"name": "cpu", "weight": 1}]),
                vec![41, 50]),
            ("bypass extended resource if the pod does not request",
                pod(&[&[("cpu", "1000"), ("memory", "2000")], &[("cpu", "2000"), ("memory", "3000")]]),
                vec![node_with("node1", &[("cpu", "6000"), ("memory", "10000")]),
                     node_with("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED, "4")])],
                vec![], with_extended.clone(), vec![50, 50]),
            // node2: extended (10 - 2) / 10 = 80 → (50 + 50 + 80) / 3 = 60
            ("honor extended resource if the pod requests",
                pod(&[&[("cpu", "3000"), ("memory", "5000"), (EXTENDED, "2")]]),
                vec![node_with("node1", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED, "4")]),
                     node_with("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED, "10")])],
                vec![], with_extended, vec![50, 60]),
            ("if the node doesn't have a resource", pod(&[&[("cpu", "3000"), ("memory", "4000")]]),
                vec![node_with("node1", &[("cpu", "6000"), ("memory", "10000")]),
                     node_with("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED, "4")])],
                vec![], json!([{"name": EXTENDED, "weight": 2}, {"name": "cpu", "weight": 1},
                    {"name": "memory", "weight": 1}]), vec![55, 55]),
            // Upstream's "resource with zero weight" bypasses defaulting and expects a validation
            // error; from a config file (our only way in) weight 0 means the default, 1.
            ("a zero weight counts as one, as in a config file",
                pod(&[&[("cpu", "1000"), ("memory", "2000")], &[("cpu", "2000"), ("memory", "3000")]]),
                vec![node_with("node1", small)], vec![],
                json!([{"name": "memory", "weight": 1}, {"name": "cpu", "weight": 0}]), vec![37]),
        ];
        for (name, pod, nodes, existing, resources, want) in cases {
            let args =
                json!({"scoringStrategy": {"type": "LeastAllocated", "resources": resources}});
            let plugin = fit::new(Some(&args), &FactoryContext::default()).unwrap();
            let nodes = snapshot(nodes, existing);
            assert_eq!(
                scores(plugin.as_ref(), &pod, &nodes, true),
                Ok(want),
                "{name}"
            );
        }
    }
}
