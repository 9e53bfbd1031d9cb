//! NodeResourcesBalancedAllocation: prefer the node whose resources would be used most evenly.
//!
//! A node with 90 % of its memory requested but 10 % of its CPU is a bad place for the next
//! pod: the idle CPUs are stranded, because no pod can use them without memory. This plugin
//! computes, for the node with the pod added, the fraction requested of each resource (capped
//! at 1) and scores by how close together those fractions are:
//!
//! ```text
//! score = (1 - standard deviation of the fractions) * 100
//! two resources:  std = |f_cpu - f_mem| / 2        cpu 75 %, memory 50 %  →  std 0.125  →  87
//! ```
//! It uses the pods' *real* requests, not the 100m/200Mi stand-ins NodeResourcesFit scores with.
//! It is a Score plugin only: it never rejects a node.
//! Upstream: `pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go` (v1.32),
//! plus the best-effort Skip of v1.33 (kubernetes/kubernetes#130260).

use super::args::NodeResourcesBalancedAllocationArgs;
use super::resource_allocation::{ResourceAllocationScorer, Scorer};
use crate::framework::{
    CycleState, NodeInfo, Plugin, PreScorePlugin, ScorePlugin, Snapshot, Status, MAX_NODE_SCORE,
};
use crate::plugins::FactoryContext;
use k8s_openapi::api::core::v1::Pod;
use std::sync::Arc;

pub const NAME: &str = "NodeResourcesBalancedAllocation";

/// Where PreScore leaves the pod's requests for Score.
const PRE_SCORE_STATE_KEY: &str = "PreScoreNodeResourcesBalancedAllocation";

pub struct NodeResourcesBalancedAllocation {
    scorer: ResourceAllocationScorer,
}

/// The pod's request of each configured resource, in the order of the args.
#[derive(Debug, Clone)]
struct PreScoreState(Vec<i64>);

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    let args = NodeResourcesBalancedAllocationArgs::parse(args)?;
    Ok(Arc::new(NodeResourcesBalancedAllocation {
        scorer: ResourceAllocationScorer {
            name: NAME,
            use_requested: true,
            scorer: Scorer::BalancedAllocation,
            resources: args.resources,
        },
    }))
}

impl Plugin for NodeResourcesBalancedAllocation {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
}

impl PreScorePlugin for NodeResourcesBalancedAllocation {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _: &[Arc<NodeInfo>],
        _: &Snapshot,
    ) -> Status {
        let requests = self.scorer.pod_resource_request_list(pod);
        // A pod that requests nothing changes no node's balance, so every node would score
        // "as balanced as it already is" and such pods would pile onto the best-balanced node.
        // Sitting the cycle out (Skip) lets the other plugins decide (upstream since v1.33).
        if requests.iter().all(|&r| r == 0) {
            return Status::skip();
        }
        state.write(PRE_SCORE_STATE_KEY, PreScoreState(requests));
        Status::success()
    }
}

impl ScorePlugin for NodeResourcesBalancedAllocation {
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> (i64, Status) {
        match state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) {
            Some(PreScoreState(requests)) => self.scorer.score(node, requests),
            // Called without PreScore (upstream allows it): compute the requests here.
            None => self
                .scorer
                .score(node, &self.scorer.pod_resource_request_list(pod)),
        }
    }
}

/// `(1 - std(fractions)) * 100`, truncated. Resources with nothing allocatable are left out;
/// with fewer than two fractions left, the std is 0 (nothing to compare).
pub fn balanced_resource_scorer(requested: &[i64], allocatable: &[i64]) -> i64 {
    let fractions: Vec<f64> = requested
        .iter()
        .zip(allocatable)
        .filter(|(_, &alloc)| alloc != 0)
        .map(|(&req, &alloc)| (req as f64 / alloc as f64).min(1.0))
        .collect();
    let std = match fractions.as_slice() {
        // The common case, simplified: the std of two numbers is half their distance.
        [a, b] => ((a - b) / 2.0).abs(),
        [_, _, _, ..] => {
            let n = fractions.len() as f64;
            let mean = fractions.iter().sum::<f64>() / n;
            let sum: f64 = fractions.iter().map(|f| (f - mean) * (f - mean)).sum();
            (sum / n).sqrt()
        }
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{make_node, on, scores, snapshot};
    use super::*;
    use crate::framework::Code;
    use crate::testing::{make_pod, NodeWrapper};
    use serde_json::json;

    const CPU_AND_MEMORY: [&[(&str, &str)]; 2] = [
        &[("cpu", "1000m"), ("memory", "2000")],
        &[("cpu", "2000m"), ("memory", "3000")],
    ];
    const CPU_ONLY: [&[(&str, &str)]; 2] = [
        &[("cpu", "1000m"), ("memory", "0")],
        &[("cpu", "2000m"), ("memory", "0")],
    ];

    /// A pod with these containers, on `node` (`""`: pending).
    fn spec(node: &str, name: &str, containers: &[&[(&str, &str)]]) -> Pod {
        let p = containers.iter().fold(make_pod(name), |p, c| p.req_list(c));
        if node.is_empty() {
            p.obj()
        } else {
            p.node(node).obj()
        }
    }

    fn plugin(resources: &[&str]) -> Arc<dyn Plugin> {
        let list: Vec<_> = resources
            .iter()
            .map(|r| json!({"name": r, "weight": 1}))
            .collect();
        new(
            Some(&json!({ "resources": list })),
            &FactoryContext::default(),
        )
        .unwrap()
    }

    /// name, pod, nodes, pods already on them, resources, run PreScore?, scores.
    type Case = (
        &'static str,
        Pod,
        Vec<NodeWrapper>,
        Vec<Pod>,
        &'static [&'static str],
        bool,
        Vec<i64>,
    );

    /// The cases of upstream's `TestNodeResourcesBalancedAllocation` (without the DRA ones,
    /// which need dynamic resource allocation kubeling does not have).
    #[test]
    fn balanced_allocation_scores_as_upstream() {
        let cpu_mem: &[&str] = &["cpu", "memory"];
        let with_gpu: &[&str] = &["cpu", "memory", "nvidia.com/gpu"];
        let gpu8 = [("nvidia.com/gpu", 8)];
        let existing = || {
            vec![
                spec("node1", "cpu-only", &CPU_ONLY),
                spec("node2", "cpu-and-memory", &CPU_AND_MEMORY),
            ]
        };
        let mut gpu_pod = CPU_AND_MEMORY.to_vec();
        let gpu_container: &[(&str, &str)] = &[
            ("cpu", "2000m"),
            ("memory", "3000"),
            ("nvidia.com/gpu", "3"),
        ];
        gpu_pod[1] = gpu_container;
        #[rustfmt::skip]
        let cases: Vec<Case> = vec![
            // node1: cpu 3000/4000 = 0.75, memory 5000/10000 = 0.5 → std 0.125 → 87
            ("nothing scheduled, resources requested, differently sized nodes",
                spec("", "p", &CPU_AND_MEMORY),
                vec![make_node("node1", 4000, 10000, &[]), make_node("node2", 6000, 10000, &[])],
                vec![], cpu_mem, true, vec![87, 100]),
            // node1: 6000/10000 and 5000/20000 → 82; node2: 6000/10000 and 10000/20000 → 95
            ("resources requested, pods scheduled with resources", spec("", "p", &CPU_AND_MEMORY),
                vec![make_node("node1", 10000, 20000, &[]), make_node("node2", 10000, 20000, &[])],
                existing(), cpu_mem, true, vec![82, 95]),
            ("resources requested, pods scheduled with resources, differently sized nodes",
                spec("", "p", &CPU_AND_MEMORY),
                vec![make_node("node1", 10000, 20000, &[]), make_node("node2", 10000, 50000, &[])],
                existing(), cpu_mem, true, vec![82, 80]),
            // node1: cpu 6000/6000 = 1, memory 0 → std 0.5 → 50
            ("requested resources at node capacity", spec("", "p", &CPU_ONLY),
                vec![make_node("node1", 6000, 10000, &[]), make_node("node2", 6000, 10000, &[])],
                existing(), cpu_mem, true, vec![50, 75]),
            // node1 fractions 0.857, 0.125, 4/8 → std 0.300 → 69.98 → 70 (upstream says 70)
            ("include scalar resource on a node for balanced resource allocation",
                make_pod("p").req_list(&[("memory", "0"), ("nvidia.com/gpu", "1")]).obj(),
                vec![make_node("node1", 3500, 40000, &gpu8), make_node("node2", 3500, 40000, &gpu8)],
                vec![spec("node2", "a", &CPU_AND_MEMORY), spec("node1", "b", &gpu_pod)],
                with_gpu, true, vec![70, 65]),
            ("node without the scalar resource should skip the scalar resource",
                spec("", "p", &CPU_AND_MEMORY),
                vec![make_node("node1", 3500, 40000, &gpu8), make_node("node2", 3500, 40000, &[])],
                vec![], with_gpu, true, vec![63, 63]),
            ("resources requested, pods scheduled with resources if PreScore not called",
                spec("", "p", &CPU_AND_MEMORY),
                vec![make_node("node1", 10000, 20000, &[]), make_node("node2", 10000, 20000, &[])],
                existing(), cpu_mem, false, vec![82, 95]),
        ];
        for (name, pod, nodes, pods, resources, run_pre_score, want) in cases {
            let nodes = snapshot(nodes, pods);
            let got = scores(plugin(resources).as_ref(), &pod, &nodes, run_pre_score);
            assert_eq!(got, Ok(want), "{name}");
        }
    }

    #[test]
    fn a_pod_that_requests_nothing_skips_scoring_in_prescore() {
        let nodes = snapshot(
            vec![
                make_node("node1", 4000, 10000, &[]),
                make_node("node2", 4000, 10000, &[]),
            ],
            vec![on("node1", "a", &[("cpu", "1000m")])],
        );
        let got = scores(
            plugin(&["cpu", "memory"]).as_ref(),
            &make_pod("p").obj(),
            &nodes,
            true,
        );
        assert_eq!(got.map_err(|s| s.code), Err(Code::Skip));
        // A container without requests is best-effort too: real requests are all zero.
        let bare = make_pod("p").container("busybox").obj();
        let got = scores(plugin(&["cpu", "memory"]).as_ref(), &bare, &nodes, true);
        assert_eq!(got.map_err(|s| s.code), Err(Code::Skip));
    }

    #[test]
    fn the_formula_takes_the_standard_deviation_of_capped_fractions() {
        // Both over capacity: capped at 1, perfectly balanced.
        assert_eq!(balanced_resource_scorer(&[20, 30], &[10, 10]), 100);
        // One resource only, or none: nothing to compare.
        assert_eq!(balanced_resource_scorer(&[5], &[10]), 100);
        assert_eq!(balanced_resource_scorer(&[5, 5], &[0, 0]), 100);
        // Three: fractions 0, 0.5, 1 → std 0.408 → 59.
        assert_eq!(balanced_resource_scorer(&[0, 5, 10], &[10, 10, 10]), 59);
    }
}
