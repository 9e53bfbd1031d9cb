//! MostAllocated: the fuller a node would be, the higher its score. It packs pods tightly, so
//! the cluster autoscaler can remove the nodes left empty.
//!
//! ```text
//! per resource:  min(requested, allocatable) * 100 / allocatable
//! node score:    Σ score(r) * weight(r) / Σ weight(r)              (integer division)
//! ```
//! Requested may exceed allocatable even on a node that passed Filter, because scoring counts a
//! request-less container as 100m CPU / 200Mi memory; such a resource simply counts as full.
//! Upstream: `pkg/scheduler/framework/plugins/noderesources/most_allocated.go`.

use super::args::ResourceSpec;
use super::resource_allocation::scaled;
use crate::framework::MAX_NODE_SCORE;

/// The weighted mean of each resource's used fraction; entries with nothing allocatable are
/// skipped.
pub fn most_resource_scorer(
    resources: &[ResourceSpec],
    requested: &[i64],
    allocatable: &[i64],
) -> i64 {
    let (mut node_score, mut weight_sum) = (0i64, 0i64);
    for ((resource, &req), &alloc) in resources.iter().zip(requested).zip(allocatable) {
        if alloc == 0 {
            continue;
        }
        node_score += most_requested_score(req, alloc) * resource.weight;
        weight_sum += resource.weight;
    }
    if weight_sum == 0 {
        return 0;
    }
    node_score / weight_sum
}

/// The used share of one resource on a 0..=100 scale.
fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    scaled(requested.min(capacity), capacity, MAX_NODE_SCORE)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{node_with, on, pod, scores, snapshot};
    use crate::plugins::{noderesources::fit, FactoryContext};
    use crate::testing::make_pod;
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

    /// The cases of upstream's `TestMostAllocatedScoringStrategy`.
    #[test]
    fn most_allocated_prefers_the_fuller_node_as_upstream() {
        let default = json!([{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]);
        let with_extended = json!([{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1},
            {"name": EXTENDED, "weight": 1}]);
        let small = &[("cpu", "4000"), ("memory", "10000")];
        let big = &[("cpu", "10000"), ("memory", "20000")];
        let two = [("cpu", "1000"), ("memory", "2000")];
        let three = [("cpu", "2000"), ("memory", "3000")];
        let bare = |node: &str, name: &str| make_pod(name).node(node).container("c").obj();
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            ("nothing scheduled, nothing requested", pod(&[]),
                vec![node_with("node1", small), node_with("node2", small)], vec![],
                default.clone(), vec![0, 0]),
            // node1: cpu 3000/4000 = 75, memory 5000/10000 = 50 → 62
            ("nothing scheduled, resources requested, differently sized nodes", pod(&[&two, &three]),
                vec![node_with("node1", small), node_with("node2", &[("cpu", "6000"), ("memory", "10000")])],
                vec![], default.clone(), vec![62, 50]),
            ("no resources requested, pods scheduled with resources", pod(&[]),
                vec![node_with("node1", big), node_with("node2", big)],
                vec![on("node1", "a", &[("cpu", "3000"), ("memory", "0")]),
                     on("node1", "b", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "c", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "d", &[("cpu", "3000"), ("memory", "5000")])],
                default.clone(), vec![30, 42]),
            ("resources requested, pods scheduled with resources", pod(&[&two, &three]),
                vec![node_with("node1", big), node_with("node2", big)],
                vec![on("node1", "a", &[("cpu", "3000"), ("memory", "0")]),
                     on("node2", "b", &[("cpu", "3000"), ("memory", "5000")])],
                default.clone(), vec![42, 55]),
            ("resources requested equal node capacity",
                pod(&[&[("cpu", "2000"), ("memory", "4000")], &[("cpu", "3000"), ("memory", "5000")]]),
                vec![node_with("node1", &[("cpu", "5000"), ("memory", "10000")]),
                     node_with("node2", &[("cpu", "10000"), ("memory", "9000")])],
                vec![], default.clone(), vec![95, 75]),
            // node1: (75 * 1 + 50 * 2) / 3 = 58
            ("resources requested with different weight on CPU and memory", pod(&[&two, &three]),
                vec![node_with("node1", small), node_with("node2", &[("cpu", "6000"), ("memory", "10000")])],
                vec![], json!([{"name": "memory", "weight": 2}, {"name": "cpu", "weight": 1}]),
                vec![58, 50]),
            // Request-less containers count 100m / 200Mi: node1 asks 300m of 250m → capped at
            // 100, memory 600Mi of 1000Mi = 60 → 80; node2: 100m → 40, 200Mi → 20 → 30.
            ("no resources requested, pods scheduled, nonzero request for resource",
                make_pod("p").container("c").obj(),
                vec![node_with("node1", &[("cpu", "250m"), ("memory", "1000Mi")]),
                     node_with("node2", &[("cpu", "250m"), ("memory", "1000Mi")])],
                vec![bare("node1", "a"), bare("node1", "b")], default.clone(), vec![80, 30]),
            ("bypass extended resource if the pod does not request", pod(&[&two, &three]),
                vec![node_with("node1", &[("cpu", "6000"), ("memory", "10000")]),
                     node_with("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED, "4")])],
                vec![], with_extended.clone(), vec![50, 50]),
            // node2: extended 2/10 = 20 → (50 + 50 + 20) / 3 = 40
            ("honor extended resource if the pod requests",
                pod(&[&[("cpu", "3000"), ("memory", "5000"), (EXTENDED, "2")]]),
                vec![node_with("node1", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED, "4")]),
                     node_with("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED, "10")])],
                vec![], with_extended, vec![50, 40]),
            ("if the node doesn't have a resource", pod(&[&[("cpu", "3000"), ("memory", "4000")]]),
                vec![node_with("node1", &[("cpu", "6000"), ("memory", "10000")]),
                     node_with("node2", &[("cpu", "6000"), ("memory", "10000"), (EXTENDED, "4")])],
                vec![], json!([{"name": EXTENDED, "weight": 2}, {"name": "cpu", "weight": 1},
                    {"name": "memory", "weight": 1}]), vec![45, 45]),
        ];
        for (name, pod, nodes, existing, resources, want) in cases {
            let args =
                json!({"scoringStrategy": {"type": "MostAllocated", "resources": resources}});
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
