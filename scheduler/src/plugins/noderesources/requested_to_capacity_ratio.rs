//! RequestedToCapacityRatio: the operator draws the curve. A `shape` of points maps a
//! resource's utilisation (0..=100 %) to a score (0..=10), straight lines in between:
//!
//! ```text
//! score                                  shape: [{utilization: 0,   score: 0},
//!  10 |            ______                        {utilization: 60,  score: 10},
//!     |          /                               {utilization: 100, score: 10}]
//!     |        /
//!   0 |______/___________ utilization %   "fill nodes up to 60 %, then it doesn't matter"
//!     0     60     100
//! ```
//! `[{0, 10}, {100, 0}]` behaves like LeastAllocated, `[{0, 0}, {100, 10}]` like MostAllocated.
//! It is the usual way to bin-pack extended resources such as GPUs. Scores are scaled ×10 to
//! the scheduler's 0..=100, and the node's score is the weighted mean over resources, rounded.
//! Upstream: `pkg/scheduler/framework/plugins/noderesources/requested_to_capacity_ratio.go` and
//! `helper.BuildBrokenLinearFunction` in `pkg/scheduler/framework/plugins/helper/shape_score.go`.

use super::args::{ResourceSpec, UtilizationShapePoint, MAX_CUSTOM_PRIORITY_SCORE};
use super::resource_allocation::scaled;
use crate::framework::MAX_NODE_SCORE;

/// Utilisation is measured in percent.
const MAX_UTILIZATION: i64 = 100;

/// One point of the curve, with the score already on the scheduler's 0..=100 scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionShapePoint {
    pub utilization: i64,
    pub score: i64,
}

/// The curve: points with strictly increasing utilisation (validated in `args`).
pub type FunctionShape = Vec<FunctionShapePoint>;

/// Scale the configured 0..=10 scores to 0..=100.
pub fn function_shape(points: &[UtilizationShapePoint]) -> FunctionShape {
    points
        .iter()
        .map(|p| FunctionShapePoint {
            utilization: i64::from(p.utilization),
            score: i64::from(p.score) * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE),
        })
        .collect()
}

/// The curve's value at utilisation `p`: flat before the first point and after the last,
/// linear between neighbours (integer arithmetic, as upstream).
pub fn broken_linear_function(shape: &[FunctionShapePoint], p: i64) -> i64 {
    for (i, point) in shape.iter().enumerate() {
        if p <= point.utilization {
            let Some(prev) = i.checked_sub(1).and_then(|j| shape.get(j)) else {
                return point.score;
            };
            return prev.score
                + (point.score - prev.score) * (p - prev.utilization)
                    / (point.utilization - prev.utilization);
        }
    }
    shape.last().map_or(0, |last| last.score)
}

/// One resource's score: the curve at its utilisation; an over-committed or absent resource
/// counts as 100 % used.
fn resource_score(shape: &[FunctionShapePoint], requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return broken_linear_function(shape, MAX_UTILIZATION);
    }
    broken_linear_function(shape, scaled(requested, capacity, MAX_UTILIZATION))
}

/// The weighted mean of the per-resource scores, rounded half away from zero. Note the quirk
/// kept from upstream: a resource scoring 0 adds neither score nor weight, so it does not drag
/// the mean down.
pub fn requested_to_capacity_ratio_scorer(
    shape: &[FunctionShapePoint],
    resources: &[ResourceSpec],
    requested: &[i64],
    allocatable: &[i64],
) -> i64 {
    let (mut node_score, mut weight_sum) = (0i64, 0i64);
    for ((resource, &req), &alloc) in resources.iter().zip(requested).zip(allocatable) {
        if alloc == 0 {
            continue;
        }
        let score = resource_score(shape, req, alloc);
        if score > 0 {
            node_score += score * resource.weight;
            weight_sum += resource.weight;
        }
    }
    if weight_sum == 0 {
        return 0;
    }
    (node_score as f64 / weight_sum as f64).round() as i64
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{make_node, node_with, on, pod, scores, snapshot};
    use super::*;
    use crate::plugins::{noderesources::fit, FactoryContext};
    use crate::testing::NodeWrapper;
    use k8s_openapi::api::core::v1::Pod;
    use serde_json::json;

    fn points(list: &[(i64, i64)]) -> FunctionShape {
        list.iter()
            .map(|&(utilization, score)| FunctionShapePoint { utilization, score })
            .collect()
    }

    /// Upstream's `TestBrokenLinearFunction`.
    #[test]
    fn the_broken_linear_function_is_flat_outside_and_linear_between_points() {
        let cases = [
            (
                points(&[(10, 1), (90, 9)]),
                vec![
                    (-10, 1),
                    (0, 1),
                    (9, 1),
                    (10, 1),
                    (15, 1),
                    (19, 1),
                    (20, 2),
                    (89, 8),
                    (90, 9),
                    (99, 9),
                    (100, 9),
                    (110, 9),
                ],
            ),
            (
                points(&[(0, 2), (40, 10), (100, 0)]),
                vec![
                    (-10, 2),
                    (0, 2),
                    (20, 6),
                    (30, 8),
                    (40, 10),
                    (70, 5),
                    (100, 0),
                    (110, 0),
                ],
            ),
            (
                points(&[(0, 2), (40, 2), (100, 2)]),
                vec![
                    (-10, 2),
                    (0, 2),
                    (20, 2),
                    (30, 2),
                    (40, 2),
                    (70, 2),
                    (100, 2),
                    (110, 2),
                ],
            ),
        ];
        for (shape, assertions) in cases {
            for (p, want) in assertions {
                assert_eq!(broken_linear_function(&shape, p), want, "{shape:?} at {p}");
            }
        }
    }

    fn plugin(
        resources: serde_json::Value,
        shape: serde_json::Value,
    ) -> std::sync::Arc<dyn crate::framework::Plugin> {
        let args = json!({"scoringStrategy": {"type": "RequestedToCapacityRatio",
            "resources": resources, "requestedToCapacityRatio": {"shape": shape}}});
        fit::new(Some(&args), &FactoryContext::default()).unwrap()
    }

    /// name, pod, nodes, pods already on them, scores.
    type ShapeCase = (&'static str, Pod, Vec<NodeWrapper>, Vec<Pod>, Vec<i64>);

    /// Upstream's `TestRequestedToCapacityRatioScoringStrategy`, with the shape [{0, 10}, {100, 0}].
    #[test]
    fn a_descending_shape_prefers_emptier_nodes_as_upstream() {
        let least = json!([{"utilization": 0, "score": 10}, {"utilization": 100, "score": 0}]);
        let default = json!([{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]);
        let small = &[("cpu", "4000"), ("memory", "10000")];
        let wide = &[("cpu", "6000"), ("memory", "10000")];
        #[rustfmt::skip]
        let cases: Vec<ShapeCase> = vec![
            ("nothing scheduled, nothing requested", pod(&[]),
                vec![node_with("node1", small), node_with("node2", small)],
                vec![on("node1", "a", &[]), on("node1", "b", &[])], vec![100, 100]),
            // node1: cpu 75 % → 25, memory 50 % → 50, mean 37.5 → 38
            ("nothing scheduled, resources requested, differently sized nodes",
                pod(&[&[("cpu", "1000"), ("memory", "2000")], &[("cpu", "2000"), ("memory", "3000")]]),
                vec![node_with("node1", small), node_with("node2", wide)],
                vec![on("node1", "a", &[]), on("node1", "b", &[])], vec![38, 50]),
            ("no resources requested, pods scheduled with resources", pod(&[]),
                vec![node_with("node1", small), node_with("node2", wide)],
                vec![on("node1", "a", &[("cpu", "3000"), ("memory", "5000")]),
                     on("node2", "b", &[("cpu", "3000"), ("memory", "5000")])], vec![38, 50]),
        ];
        for (name, pod, nodes, existing, want) in cases {
            let nodes = snapshot(nodes, existing);
            let got = scores(
                plugin(default.clone(), least.clone()).as_ref(),
                &pod,
                &nodes,
                true,
            );
            assert_eq!(got, Ok(want), "{name}");
        }
    }

    /// name, `scoringStrategy.resources`, pod, pods already on the nodes, scores.
    type PackingCase = (&'static str, serde_json::Value, Pod, Vec<Pod>, Vec<i64>);

    /// Upstream's `TestResourceBinPackingSingleExtended` and `...MultipleExtended`: bin packing
    /// GPUs-like resources with the shape [{0, 0}, {100, 1}] (so node scores are 0..=10).
    #[test]
    fn bin_packing_extended_resources_scores_as_upstream() {
        let packing = json!([{"utilization": 0, "score": 0}, {"utilization": 100, "score": 1}]);
        let gib = 10000 * 1024 * 1024;
        let nodes = || {
            vec![
                make_node(
                    "node1",
                    4000,
                    gib,
                    &[("intel.com/foo", 8), ("intel.com/bar", 4)],
                ),
                make_node(
                    "node2",
                    4000,
                    gib,
                    &[("intel.com/foo", 4), ("intel.com/bar", 8)],
                ),
            ]
        };
        let single = json!([{"name": "intel.com/foo", "weight": 1}]);
        let multiple =
            json!([{"name": "intel.com/foo", "weight": 3}, {"name": "intel.com/bar", "weight": 5}]);
        let foo2 = [("intel.com/foo", "2")];
        let foo2_bar2 = [("intel.com/foo", "2"), ("intel.com/bar", "2")];
        let foo4_bar2 = [("intel.com/foo", "4"), ("intel.com/bar", "2")];
        #[rustfmt::skip]
        let cases: Vec<PackingCase> = vec![
            ("single: nothing requested", single.clone(), pod(&[]), vec![], vec![0, 0]),
            // foo: 2/8 = 25 % → 2; 2/4 = 50 % → 5
            ("single: resources requested", single.clone(), pod(&[&foo2]), vec![on("node1", "a", &[])], vec![2, 5]),
            ("single: on node with existing pod running", single.clone(), pod(&[&foo2]),
                vec![on("node2", "a", &foo2)], vec![2, 10]),
            ("single: more resources requested", single, pod(&[&[("intel.com/foo", "4")]]), vec![], vec![5, 10]),
            ("multiple: nothing requested", multiple.clone(), pod(&[]), vec![], vec![0, 0]),
            // node1: (2 * 3 + 5 * 5) / 8 = 3.875 → 4; node2: (5 * 3 + 2 * 5) / 8 = 3.125 → 3
            ("multiple: resources requested", multiple.clone(), pod(&[&foo2_bar2]), vec![], vec![4, 3]),
            ("multiple: on node with existing pod running", multiple.clone(), pod(&[&foo2_bar2]),
                vec![on("node2", "a", &foo4_bar2)], vec![4, 7]),
            ("multiple: more resources requested", multiple, pod(&[&foo4_bar2]), vec![], vec![5, 5]),
        ];
        for (name, resources, pod, existing, want) in cases {
            let nodes = snapshot(nodes(), existing);
            let got = scores(
                plugin(resources, packing.clone()).as_ref(),
                &pod,
                &nodes,
                true,
            );
            assert_eq!(got, Ok(want), "{name}");
        }
    }
}
