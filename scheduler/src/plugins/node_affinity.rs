//! NodeAffinity: the pod's `nodeSelector` and node affinity, as a hard rule and as a preference.
//!
//! - **Filter**: the node must carry every `spec.nodeSelector` label *and* match the required
//!   node affinity (`requiredDuringSchedulingIgnoredDuringExecution`, see [`node_selector`] for
//!   the matching rules). A miss is `UnschedulableAndUnresolvable`: evicting pods never changes
//!   a node's labels.
//! - **PreFilter** prepares that check once per pod, Skips pods that constrain nothing, and —
//!   when every required term names nodes with `matchFields: metadata.name In [...]` — tells the
//!   framework that only those nodes need filtering at all (DaemonSet pods look like this).
//! - **Score**: the sum of the weights of the preferred terms the node matches, normalised so
//!   the best node gets 100.
//!
//! The scheduler configuration may add affinity to every pod of the profile (`addedAffinity` in
//! `NodeAffinityArgs`): its required part is checked before the pod's own, with its own reason,
//! and its preferred terms add to every node's score.
//! Upstream: `pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go`.

pub mod node_selector;
#[cfg(test)]
mod tests;

use crate::framework::{
    ClusterEvent, CycleState, FilterPlugin, NodeInfo, NodeScore, Plugin, PreFilterPlugin,
    PreFilterResult, PreScorePlugin, ScorePlugin, Snapshot, Status, MAX_NODE_SCORE,
};
use crate::plugins::taint_toleration::default_normalize_score;
use crate::plugins::FactoryContext;
use k8s_openapi::api::core::v1::Pod;
use node_selector::{
    preferred_terms, required_node_selector, NodeSelectorMatcher, PreferredSchedulingTerms,
    RequiredNodeAffinity, OBJECT_NAME_FIELD,
};
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::Arc;

pub const NAME: &str = "NodeAffinity";

/// The reason a node that does not match the pod's own selector/affinity gives.
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";
/// The reason a node that does not match the configuration's `addedAffinity` gives.
pub const ERR_REASON_ENFORCED: &str = "node(s) didn't match scheduler-enforced node affinity";
/// PreFilter's reason when the pod's `metadata.name` terms leave no node possible.
pub const ERR_REASON_CONFLICT: &str = "pod affinity terms conflict";

const PRE_FILTER_STATE_KEY: &str = "PreFilterNodeAffinity";
const PRE_SCORE_STATE_KEY: &str = "PreScoreNodeAffinity";

/// `pluginConfig` args, shaped like upstream's `NodeAffinityArgs`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NodeAffinityArgs {
    #[serde(default)]
    added_affinity: Option<k8s_openapi::api::core::v1::NodeAffinity>,
}

pub struct NodeAffinity {
    /// `addedAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
    added_node_selector: Option<NodeSelectorMatcher>,
    /// `addedAffinity.preferredDuringSchedulingIgnoredDuringExecution`, when not empty.
    added_pref_sched_terms: Option<PreferredSchedulingTerms>,
}

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(NodeAffinity::from_args(args)?))
}

impl NodeAffinity {
    /// Read and check the args; every problem is reported with the path of its field.
    fn from_args(args: Option<&serde_json::Value>) -> Result<NodeAffinity, String> {
        let args: NodeAffinityArgs = crate::plugins::decode_args(args, "NodeAffinityArgs")?;
        let mut plugin = NodeAffinity {
            added_node_selector: None,
            added_pref_sched_terms: None,
        };
        let Some(added) = args.added_affinity else {
            return Ok(plugin);
        };
        let mut errors = Vec::new();
        if let Some(required) = &added.required_during_scheduling_ignored_during_execution {
            let path = "addedAffinity.requiredDuringSchedulingIgnoredDuringExecution";
            match NodeSelectorMatcher::strict(required, path) {
                Ok(m) => plugin.added_node_selector = Some(m),
                Err(e) => errors.push(e),
            }
        }
        if let Some(terms) = added
            .preferred_during_scheduling_ignored_during_execution
            .as_ref()
            .filter(|t| !t.is_empty())
        {
            let path = "addedAffinity.preferredDuringSchedulingIgnoredDuringExecution";
            match PreferredSchedulingTerms::new(terms, path) {
                Ok(t) => plugin.added_pref_sched_terms = Some(t),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(plugin)
        } else {
            Err(errors.join(", "))
        }
    }
}

/// PreFilter's work for Filter: the pod's requirements, checked and converted once.
#[derive(Debug, Clone)]
struct PreFilterState {
    required: RequiredNodeAffinity,
}

/// PreScore's work for Score: the pod's preferred terms (`None` when it has none).
#[derive(Debug, Clone)]
struct PreScoreState {
    preferred: Option<PreferredSchedulingTerms>,
}

/// The pod's preferred terms, checked. Broken terms make the whole cycle fail, as upstream.
fn pod_preferred_affinity(pod: &Pod) -> Result<Option<PreferredSchedulingTerms>, String> {
    preferred_terms(pod)
        .map(|terms| PreferredSchedulingTerms::new(terms, ""))
        .transpose()
}

/// The node names the required terms allow, if *every* term names nodes through
/// `matchFields: metadata.name In [...]`. Inside a term the lists are intersected (ANDed);
/// across terms they are united (ORed). One term without such a field means any node may do.
fn node_names_from_terms(pod: &Pod) -> Option<HashSet<String>> {
    let terms = &required_node_selector(pod)?.node_selector_terms;
    if terms.is_empty() {
        return None;
    }
    let mut node_names = HashSet::new();
    for term in terms {
        let mut term_names: Option<HashSet<String>> = None;
        let by_name = term
            .match_fields
            .iter()
            .flatten()
            .filter(|r| r.key == OBJECT_NAME_FIELD && r.operator == "In");
        for requirement in by_name {
            let names: HashSet<String> = requirement.values.iter().flatten().cloned().collect();
            term_names = Some(match term_names {
                None => names,
                Some(previous) => previous.intersection(&names).cloned().collect(),
            });
        }
        node_names.extend(term_names?);
    }
    Some(node_names)
}

impl Plugin for NodeAffinity {
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

    /// A new node, or new labels on a node, may match.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![ClusterEvent::NODE_ADD, ClusterEvent::NODE_UPDATE]
    }
}

impl PreFilterPlugin for NodeAffinity {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let has_node_selector = pod.spec.as_ref().is_some_and(|s| s.node_selector.is_some());
        if required_node_selector(pod).is_none()
            && self.added_node_selector.is_none()
            && !has_node_selector
        {
            // Nothing constrains this pod: Filter has nothing to do.
            return (None, Status::skip());
        }
        let required = RequiredNodeAffinity::of_pod(pod);
        state.write(PRE_FILTER_STATE_KEY, PreFilterState { required });

        match node_names_from_terms(pod) {
            None => (None, Status::success()),
            // Every term names nodes, but their lists contradict each other.
            Some(names) if names.is_empty() => (None, Status::unresolvable(ERR_REASON_CONFLICT)),
            Some(names) => {
                let result = PreFilterResult {
                    node_names: Some(names),
                };
                (Some(result), Status::success())
            }
        }
    }
    // No add_pod/remove_pod: other pods do not change what this pod requires of a node.
}

impl FilterPlugin for NodeAffinity {
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        if let Some(added) = &self.added_node_selector {
            if !added.matches(&node.node) {
                return Status::unresolvable(ERR_REASON_ENFORCED);
            }
        }
        // Without PreFilter (disabled in the configuration) work it out here.
        let computed;
        let required = match state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) {
            Some(s) => &s.required,
            None => {
                computed = RequiredNodeAffinity::of_pod(pod);
                &computed
            }
        };
        if required.matches(&node.node) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_POD)
        }
    }
}

impl PreScorePlugin for NodeAffinity {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _nodes: &[Arc<NodeInfo>],
        _snapshot: &Snapshot,
    ) -> Status {
        let preferred = match pod_preferred_affinity(pod) {
            Ok(p) => p,
            Err(e) => return Status::error(e),
        };
        if preferred.is_none() && self.added_pref_sched_terms.is_none() {
            // No preferences at all: every node would score 0.
            return Status::skip();
        }
        state.write(PRE_SCORE_STATE_KEY, PreScoreState { preferred });
        Status::success()
    }
}

impl ScorePlugin for NodeAffinity {
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> (i64, Status) {
        let mut count = 0;
        if let Some(added) = &self.added_pref_sched_terms {
            count += added.score(&node.node);
        }
        // Without PreScore (disabled in the configuration) work it out here.
        let computed;
        let preferred = match state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) {
            Some(s) => &s.preferred,
            None => match pod_preferred_affinity(pod) {
                Ok(p) => {
                    computed = p;
                    &computed
                }
                Err(e) => return (0, Status::error(e)),
            },
        };
        if let Some(preferred) = preferred {
            count += preferred.score(&node.node);
        }
        (count, Status::success())
    }

    /// The node with the highest sum of weights gets 100, the others proportionally less.
    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, scores: &mut [NodeScore]) -> Status {
        default_normalize_score(MAX_NODE_SCORE, false, scores);
        Status::success()
    }
}
