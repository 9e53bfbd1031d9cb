//! NodeResourcesFit: is there room on the node for the pod's requests, and how good a home is
//! the node by the configured scoring strategy?
//!
//! - **PreFilter** adds up the pod's requests once ([`pod_requests`]: app containers, init
//!   containers, sidecars, overhead) and keeps them in the cycle state.
//! - **Filter** compares them with `allocatable - requested` on each node ([`fits_request`]) and
//!   names every resource that falls short: `Insufficient cpu`, `Insufficient nvidia.com/gpu`,
//!   `Too many pods`. The code is `Unschedulable`, not `...AndUnresolvable`: evicting pods frees
//!   their requests, so preemption can help.
//! - **PreScore / Score** rate the node with the strategy from the args (see
//!   [`super::resource_allocation`]).
//!
//! Upstream: `pkg/scheduler/framework/plugins/noderesources/fit.go`.

use super::args::{
    NodeResourcesFitArgs, LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO,
};
use super::requested_to_capacity_ratio::function_shape;
use super::resource_allocation::{ResourceAllocationScorer, Scorer};
use super::{is_extended_resource_name, is_scalar_resource_name};
use crate::framework::resource::pod_requests;
use crate::framework::{
    ClusterEvent, Code, CycleState, FilterPlugin, NodeInfo, Plugin, PreFilterPlugin,
    PreFilterResult, PreScorePlugin, Resource, ScorePlugin, Snapshot, Status,
};
use crate::plugins::FactoryContext;
use k8s_openapi::api::core::v1::Pod;
use std::collections::BTreeSet;
use std::sync::Arc;

pub const NAME: &str = "NodeResourcesFit";

/// Where PreFilter leaves the pod's requests for Filter.
const PRE_FILTER_STATE_KEY: &str = "PreFilterNodeResourcesFit";
/// Where PreScore leaves the pod's scoring requests for Score.
const PRE_SCORE_STATE_KEY: &str = "PreScoreNodeResourcesFit";

pub struct NodeResourcesFit {
    /// Extended resources Filter does not check (e.g. ones a webhook accounts for elsewhere).
    ignored_resources: BTreeSet<String>,
    /// ... and whole domains of them: `example.com` ignores `example.com/anything`.
    ignored_resource_groups: BTreeSet<String>,
    scorer: ResourceAllocationScorer,
}

/// The pod's total requests, computed once per cycle (upstream `preFilterState`).
#[derive(Debug, Clone)]
struct PreFilterState(Resource);

/// The pod's request of each scored resource, in the order of the args (`preScoreState`).
#[derive(Debug, Clone)]
struct PreScoreState(Vec<i64>);

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    let args = NodeResourcesFitArgs::parse(args)?;
    Ok(Arc::new(NodeResourcesFit::from_args(args)?))
}

impl NodeResourcesFit {
    /// Build the plugin from args that went through [`NodeResourcesFitArgs::parse`].
    pub fn from_args(args: NodeResourcesFitArgs) -> Result<NodeResourcesFit, String> {
        let strategy = args
            .scoring_strategy
            .ok_or_else(|| "scoring strategy not specified".to_string())?;
        let (name, scorer) = match strategy.strategy_type.as_str() {
            LEAST_ALLOCATED => (LEAST_ALLOCATED, Scorer::LeastAllocated),
            MOST_ALLOCATED => (MOST_ALLOCATED, Scorer::MostAllocated),
            REQUESTED_TO_CAPACITY_RATIO => {
                let shape = strategy
                    .requested_to_capacity_ratio
                    .map(|param| function_shape(&param.shape))
                    .unwrap_or_default();
                (
                    REQUESTED_TO_CAPACITY_RATIO,
                    Scorer::RequestedToCapacityRatio(shape),
                )
            }
            other => return Err(format!("scoring strategy {other} is not supported")),
        };
        Ok(NodeResourcesFit {
            ignored_resources: args.ignored_resources.into_iter().collect(),
            ignored_resource_groups: args.ignored_resource_groups.into_iter().collect(),
            scorer: ResourceAllocationScorer {
                name,
                use_requested: false,
                scorer,
                resources: strategy.resources,
            },
        })
    }
}

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }

    /// Room appears when a pod on a node goes away, or a node arrives or grows (upstream also
    /// filters these with queueing hints: only deletions of *assigned* pods, only node updates
    /// that raise allocatable; kubeling's events are coarser and re-queue on any of them).
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![
            ClusterEvent::POD_DELETE,
            ClusterEvent::NODE_ADD,
            ClusterEvent::NODE_UPDATE,
        ]
    }
}

impl PreFilterPlugin for NodeResourcesFit {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        state.write(PRE_FILTER_STATE_KEY, PreFilterState(pod_requests(pod)));
        (None, Status::success())
    }
    // The state depends on the pod alone, not on other pods: preemption's "what if this pod
    // were added/removed" needs no update here (upstream returns no PreFilterExtensions).
}

impl FilterPlugin for NodeResourcesFit {
    fn filter(&self, state: &CycleState, _: &Pod, node: &NodeInfo) -> Status {
        let Some(PreFilterState(request)) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY)
        else {
            return Status::error(format!(
                "error reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
            ));
        };
        let insufficient = fits_request(
            request,
            node,
            &self.ignored_resources,
            &self.ignored_resource_groups,
        );
        if insufficient.is_empty() {
            return Status::success();
        }
        // Every shortfall is reported, so `kubectl describe pod` shows them all.
        Status::new(
            Code::Unschedulable,
            insufficient.into_iter().map(|r| r.reason).collect(),
        )
    }
}

impl PreScorePlugin for NodeResourcesFit {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _: &[Arc<NodeInfo>],
        _: &Snapshot,
    ) -> Status {
        let requests = self.scorer.pod_resource_request_list(pod);
        state.write(PRE_SCORE_STATE_KEY, PreScoreState(requests));
        Status::success()
    }
}

impl ScorePlugin for NodeResourcesFit {
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

/// One resource the node is short of. Upstream: `InsufficientResource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsufficientResource {
    pub resource_name: String,
    /// What Filter reports, e.g. `Insufficient cpu`.
    pub reason: String,
    /// What the pod asks for.
    pub requested: i64,
    /// What the node's pods already request.
    pub used: i64,
    /// The node's allocatable.
    pub capacity: i64,
}

impl InsufficientResource {
    fn new(name: &str, reason: String, requested: i64, used: i64, capacity: i64) -> Self {
        InsufficientResource {
            resource_name: name.to_string(),
            reason,
            requested,
            used,
            capacity,
        }
    }
}

/// Does `pod` fit on `node`, ignoring nothing? For callers outside a scheduling cycle
/// (preemption, tooling). Upstream: `Fits`.
pub fn fits(pod: &Pod, node: &NodeInfo) -> Vec<InsufficientResource> {
    fits_request(&pod_requests(pod), node, &BTreeSet::new(), &BTreeSet::new())
}

/// Every resource the node lacks for `request`. Upstream: `fitsRequest`.
pub fn fits_request(
    request: &Resource,
    node: &NodeInfo,
    ignored_resources: &BTreeSet<String>,
    ignored_groups: &BTreeSet<String>,
) -> Vec<InsufficientResource> {
    let mut insufficient = Vec::new();
    let (allocatable, used) = (&node.allocatable, &node.requested);

    // Every pod takes a slot, whatever it requests.
    let pod_count = i64::try_from(node.pods.len()).unwrap_or(i64::MAX);
    if pod_count.saturating_add(1) > allocatable.allowed_pod_number {
        insufficient.push(InsufficientResource::new(
            "pods",
            "Too many pods".to_string(),
            1,
            pod_count,
            allocatable.allowed_pod_number,
        ));
    }

    // Only scalar names count (a request for an unknown `foo` is ignored, as upstream).
    let scalars: Vec<(&String, i64)> = request
        .scalar
        .iter()
        .filter(|(name, _)| is_scalar_resource_name(name))
        .map(|(name, quantity)| (name, *quantity))
        .collect();
    // A pod that requests nothing only needs the pod slot.
    if request.milli_cpu == 0
        && request.memory == 0
        && request.ephemeral_storage == 0
        && scalars.is_empty()
    {
        return insufficient;
    }

    // A resource the pod does not request (0) is never insufficient, even on an over-committed
    // node; one the node does not have at all (allocatable 0) is insufficient for any request.
    let mut check = |name: &str, asked: i64, alloc: i64, taken: i64| {
        if asked > 0 && asked > alloc.saturating_sub(taken) {
            let reason = format!("Insufficient {name}");
            insufficient.push(InsufficientResource::new(name, reason, asked, taken, alloc));
        }
    };
    check(
        "cpu",
        request.milli_cpu,
        allocatable.milli_cpu,
        used.milli_cpu,
    );
    check("memory", request.memory, allocatable.memory, used.memory);
    check(
        "ephemeral-storage",
        request.ephemeral_storage,
        allocatable.ephemeral_storage,
        used.ephemeral_storage,
    );
    for (name, quantity) in scalars {
        if is_extended_resource_name(name) && is_ignored(name, ignored_resources, ignored_groups) {
            continue;
        }
        let alloc = allocatable.scalar.get(name).copied().unwrap_or(0);
        let taken = used.scalar.get(name).copied().unwrap_or(0);
        check(name, quantity, alloc, taken);
    }
    insufficient
}

/// Is this extended resource ignored by name, or by its domain (the part before `/`)?
fn is_ignored(name: &str, ignored: &BTreeSet<String>, groups: &BTreeSet<String>) -> bool {
    let group = name.split('/').next().unwrap_or(name);
    ignored.contains(name) || groups.contains(group)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{node_with, on, pod, scores, snapshot};
    use super::*;
    use serde_json::json;

    #[test]
    fn filter_without_prefilter_is_an_error() {
        let plugin = new(None, &FactoryContext::default()).unwrap();
        let node = node_with("n", &[]).info();
        let status = plugin
            .as_filter()
            .unwrap()
            .filter(&CycleState::new(), &pod(&[]), &node);
        assert_eq!(status.code, Code::Error);
        assert_eq!(
            status.message(),
            "error reading \"PreFilterNodeResourcesFit\" from cycleState: not found"
        );
    }

    #[test]
    fn it_registers_for_pod_deletes_and_node_adds_and_updates() {
        let plugin = new(None, &FactoryContext::default()).unwrap();
        assert_eq!(
            plugin.events_to_register(),
            vec![
                ClusterEvent::POD_DELETE,
                ClusterEvent::NODE_ADD,
                ClusterEvent::NODE_UPDATE
            ]
        );
    }

    /// Upstream's `TestFitScore`: each strategy, with and without PreScore.
    #[test]
    fn each_strategy_scores_as_upstream_with_or_without_prescore() {
        let resources = json!([{"name": "cpu", "weight": 1}, {"name": "memory", "weight": 1}]);
        let rtcr = |shape: serde_json::Value| {
            json!({"type": "RequestedToCapacityRatio", "resources": resources,
                "requestedToCapacityRatio": {"shape": shape}})
        };
        #[rustfmt::skip]
        let cases = [
            ("RequestedToCapacityRatio case1",
                rtcr(json!([{"utilization": 0, "score": 10}, {"utilization": 100, "score": 0}])),
                [("cpu", "3000"), ("memory", "5000")], vec![10, 32]),
            ("RequestedToCapacityRatio case2",
                rtcr(json!([{"utilization": 0, "score": 0}, {"utilization": 100, "score": 10}])),
                [("cpu", "3000"), ("memory", "5000")], vec![95, 68]),
            ("MostAllocated", json!({"type": "MostAllocated", "resources": resources}),
                [("cpu", "1000"), ("memory", "2000")], vec![67, 36]),
            ("LeastAllocated", json!({"type": "LeastAllocated", "resources": resources}),
                [("cpu", "1000"), ("memory", "2000")], vec![32, 63]),
        ];
        for (name, strategy, request, want) in cases {
            let args = json!({ "scoringStrategy": strategy });
            let plugin = new(Some(&args), &FactoryContext::default()).unwrap();
            let nodes = snapshot(
                vec![
                    node_with("node1", &[("cpu", "4000"), ("memory", "10000")]),
                    node_with("node2", &[("cpu", "6000"), ("memory", "10000")]),
                ],
                vec![
                    on("node1", "a", &[("cpu", "2000"), ("memory", "4000")]),
                    on("node2", "b", &[("cpu", "1000"), ("memory", "2000")]),
                ],
            );
            let pod = pod(&[&request]);
            for run_pre_score in [true, false] {
                let got = scores(plugin.as_ref(), &pod, &nodes, run_pre_score);
                assert_eq!(
                    got,
                    Ok(want.clone()),
                    "{name}, PreScore run: {run_pre_score}"
                );
            }
        }
    }
}
