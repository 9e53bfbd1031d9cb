//! NodeLabelPreference: a Filter and a Score plugin in one, written against kubeling's real
//! scheduling framework.
//!
//! ```text
//!  Filter (per node)   the pod's annotation lab.kubeling.dev/required-node-label names a node
//!                      label; a node without that label is out:
//!                        UnschedulableAndUnresolvable "node(s) didn't have label KEY"
//!                      (a pod without the annotation passes everywhere)
//!  Score (per node)    the node's label kubeling.dev/tier: gold 3, silver 2, bronze 1, else 0
//!  NormalizeScore      the best of those nodes gets 100, the others in proportion:
//!                        raw [3, 1, 0] -> [100, 33, 0]      all 0 -> all stay 0
//! ```
//!
//! Why `UnschedulableAndUnresolvable` and not `Unschedulable`? `Unschedulable` tells the
//! scheduler "evicting some lower-priority pods from this node might make room": preemption then
//! tries this node. Evicting pods never gives a node a label, so here that would be wasted work
//! (and could evict pods for nothing).
//!
//! Why normalise? Every Score plugin's numbers are added up, each times its weight. A raw tier
//! rank of 0..3 next to NodeResourcesFit's 0..100 would hardly count; mapped onto 0..100 it
//! counts as much as any other plugin, and the weight in the configuration says how much more.

use k8s_openapi::api::core::v1::Pod;
use scheduler::framework::{
    ClusterEvent, CycleState, FilterPlugin, NodeInfo, NodeScore, Plugin, ScorePlugin, Status,
    MAX_NODE_SCORE,
};
use scheduler::plugins::{no_args, FactoryContext};
use std::sync::Arc;

/// The name used in a `KubeSchedulerConfiguration` and in `kubeling explain`.
pub const NAME: &str = "NodeLabelPreference";

/// The pod annotation naming a node label (a key; any value) that the pod's node must have.
pub const REQUIRED_LABEL_ANNOTATION: &str = "lab.kubeling.dev/required-node-label";

/// The node label that Score ranks.
pub const TIER_LABEL: &str = "kubeling.dev/tier";

/// The reason a node without the required label gives, e.g. `node(s) didn't have label disktype`.
/// (Reasons are written for a count of nodes: the scheduler adds them up into
/// "0/3 nodes are available: 3 node(s) didn't have label disktype.")
pub fn reason(label: &str) -> String {
    format!("node(s) didn't have label {label}")
}

/// How good a tier is: gold 3, silver 2, bronze 1; no tier (or another one) 0.
pub fn tier_rank(tier: Option<&str>) -> i64 {
    match tier {
        Some("gold") => 3,
        Some("silver") => 2,
        Some("bronze") => 1,
        _ => 0,
    }
}

pub struct NodeLabelPreference;

/// The factory the registry calls to build the plugin (this plugin takes no arguments).
pub fn new(
    args: Option<&serde_json::Value>,
    _ctx: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    no_args(NAME, args)?;
    Ok(Arc::new(NodeLabelPreference))
}

impl Plugin for NodeLabelPreference {
    fn name(&self) -> &'static str {
        NAME
    }

    // Taking part in an extension point = returning Some(self) from its `as_*` method.
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }

    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }

    /// A pod this plugin rejected may fit once a node is added or gets the label (an update):
    /// the queue moves it back to the active queue on those events only.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![ClusterEvent::NODE_ADD, ClusterEvent::NODE_UPDATE]
    }
}

impl FilterPlugin for NodeLabelPreference {
    /// Can `pod` run on `node`? The node object is `node.node` (a `k8s_openapi` `Node`); its
    /// labels are `node.node.metadata.labels`, an `Option<BTreeMap<String, String>>`, and the
    /// pod's annotations are `pod.metadata.annotations`, the same shape.
    fn filter(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        let required = pod
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REQUIRED_LABEL_ANNOTATION))
            .map(|key| key.trim())
            .filter(|key| !key.is_empty());
        let Some(key) = required else {
            return Status::success();
        };
        let has_label = node
            .node
            .metadata
            .labels
            .as_ref()
            .is_some_and(|labels| labels.contains_key(key));
        if has_label {
            Status::success()
        } else {
            // Preemption cannot add a label: say so, and it will not try this node.
            Status::unresolvable(reason(key))
        }
    }
}

impl ScorePlugin for NodeLabelPreference {
    /// The raw score: the rank of the node's tier. Return `(score, Status::success())`.
    fn score(&self, _state: &CycleState, _pod: &Pod, node: &NodeInfo) -> (i64, Status) {
        let tier = node
            .node
            .metadata
            .labels
            .as_ref()
            .and_then(|labels| labels.get(TIER_LABEL))
            .map(String::as_str);
        (tier_rank(tier), Status::success())
    }

    /// Map the raw scores of all scored nodes onto 0..=MAX_NODE_SCORE (100), in place: the
    /// highest raw score becomes 100 and every other `score * 100 / highest`. When the highest
    /// is 0 (no node has a tier), leave them all at 0. Return `Status::success()`.
    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, scores: &mut [NodeScore]) -> Status {
        let highest = scores.iter().map(|s| s.score).max().unwrap_or(0);
        if highest <= 0 {
            // Nothing to prefer: dividing by the highest would divide by zero.
            return Status::success();
        }
        for s in scores.iter_mut() {
            s.score = s.score * MAX_NODE_SCORE / highest;
        }
        Status::success()
    }
}
