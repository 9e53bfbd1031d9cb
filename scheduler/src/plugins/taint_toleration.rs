//! TaintToleration: a node's taints repel pods, a pod's tolerations let it through.
//!
//! A taint is a mark on a node, `key=value:effect`; a toleration on a pod says "I do not mind
//! that mark". The effect decides how hard the taint pushes:
//!
//! | effect | what this plugin does |
//! |---|---|
//! | `NoSchedule` | Filter: the node is out unless a toleration matches |
//! | `NoExecute` | Filter: the same (the kubelet's taint manager also evicts running pods) |
//! | `PreferNoSchedule` | Score: each such taint the pod does not tolerate lowers the node's score |
//!
//! The Filter rejection is `UnschedulableAndUnresolvable`: evicting other pods never removes a
//! taint, so preemption cannot help.
//!
//! This file also holds the toleration matching rules (NodeUnschedulable uses them too) and
//! upstream's `DefaultNormalizeScore` (NodeAffinity uses it too).
//! Upstream: `pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go`,
//! `k8s.io/api/core/v1/toleration.go` (`ToleratesTaint`),
//! `k8s.io/component-helpers/scheduling/corev1/helpers.go` (`FindMatchingUntoleratedTaint`),
//! `pkg/scheduler/framework/plugins/helper/normalize_score.go` (`DefaultNormalizeScore`).

use crate::framework::{
    ClusterEvent, CycleState, FilterPlugin, NodeInfo, NodeScore, Plugin, PreScorePlugin,
    ScorePlugin, Snapshot, Status, MAX_NODE_SCORE,
};
use crate::plugins::{no_args, FactoryContext};
use k8s_openapi::api::core::v1::{Pod, Taint, Toleration};
use std::sync::Arc;

#[cfg(test)]
mod tests;

pub const NAME: &str = "TaintToleration";

/// Where PreScore leaves the tolerations that matter for scoring.
const PRE_SCORE_STATE_KEY: &str = "PreScoreTaintToleration";

pub struct TaintToleration;

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    no_args(NAME, args)?;
    Ok(Arc::new(TaintToleration))
}

/// Does this one toleration tolerate this taint?
///
/// - an effect, if given, must equal the taint's; an empty effect matches every effect;
/// - a key, if given, must equal the taint's; an empty key (only valid with `Exists`) matches
///   every key — so `{operator: Exists}` alone tolerates everything;
/// - operator `Exists` ignores the value; `Equal` (also what an empty operator means) needs
///   equal values. Any other operator tolerates nothing.
pub fn toleration_tolerates_taint(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or("");
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or("");
    if !key.is_empty() && key != taint.key {
        return false;
    }
    match toleration.operator.as_deref().unwrap_or("") {
        "" | "Equal" => toleration.value.as_deref().unwrap_or("") == taint_value(taint),
        "Exists" => true,
        _ => false,
    }
}

/// Does any of the tolerations tolerate the taint?
pub fn tolerations_tolerate_taint(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations
        .iter()
        .any(|t| toleration_tolerates_taint(t, taint))
}

/// The first taint, among those `applies` selects, that no toleration tolerates.
pub fn find_matching_untolerated_taint<'a>(
    taints: &'a [Taint],
    tolerations: &[Toleration],
    applies: impl Fn(&Taint) -> bool,
) -> Option<&'a Taint> {
    taints
        .iter()
        .filter(|taint| applies(taint))
        .find(|taint| !tolerations_tolerate_taint(tolerations, taint))
}

/// The taints Filter cares about: the ones that keep pods off the node.
pub fn is_do_not_schedule_taint(taint: &Taint) -> bool {
    taint.effect == "NoSchedule" || taint.effect == "NoExecute"
}

fn taint_value(taint: &Taint) -> &str {
    taint.value.as_deref().unwrap_or("")
}

fn node_taints(node: &NodeInfo) -> &[Taint] {
    node.node
        .spec
        .as_ref()
        .and_then(|s| s.taints.as_deref())
        .unwrap_or(&[])
}

fn pod_tolerations(pod: &Pod) -> &[Toleration] {
    pod.spec
        .as_ref()
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or(&[])
}

/// Map raw scores onto `0..=max_priority` relative to the highest one; `reverse` turns it
/// upside down (the highest raw score gets 0). When every raw score is 0 they all stay 0 — or,
/// reversed, all become `max_priority`: no node is worse than another.
/// Upstream: `helper.DefaultNormalizeScore`.
pub fn default_normalize_score(max_priority: i64, reverse: bool, scores: &mut [NodeScore]) {
    let max_count = scores.iter().map(|s| s.score).max().unwrap_or(0).max(0);
    if max_count == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| s.score = max_priority);
        }
        return;
    }
    for s in scores.iter_mut() {
        let scaled = max_priority * s.score / max_count;
        s.score = if reverse {
            max_priority - scaled
        } else {
            scaled
        };
    }
}

/// What PreScore computes once for all nodes: the pod's tolerations that can tolerate a
/// `PreferNoSchedule` taint (those with that effect or with no effect at all).
#[derive(Debug, Clone)]
struct PreScoreState {
    tolerations_prefer_no_schedule: Vec<Toleration>,
}

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        NAME
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

    /// Only a node appearing, or a node's taints changing, can let a rejected pod through.
    /// (Upstream also re-queues when the pod's own tolerations change; kubeling re-queues a pod
    /// on any update of the pod itself anyway.)
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![ClusterEvent::NODE_ADD, ClusterEvent::NODE_UPDATE]
    }
}

impl FilterPlugin for TaintToleration {
    fn filter(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        let untolerated = find_matching_untolerated_taint(
            node_taints(node),
            pod_tolerations(pod),
            is_do_not_schedule_taint,
        );
        match untolerated {
            None => Status::success(),
            Some(taint) => Status::unresolvable(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                taint.key,
                taint_value(taint)
            )),
        }
    }
}

impl PreScorePlugin for TaintToleration {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _nodes: &[Arc<NodeInfo>],
        _snapshot: &Snapshot,
    ) -> Status {
        let tolerations_prefer_no_schedule = pod_tolerations(pod)
            .iter()
            .filter(|t| {
                matches!(
                    t.effect.as_deref(),
                    None | Some("") | Some("PreferNoSchedule")
                )
            })
            .cloned()
            .collect();
        state.write(
            PRE_SCORE_STATE_KEY,
            PreScoreState {
                tolerations_prefer_no_schedule,
            },
        );
        Status::success()
    }
}

impl ScorePlugin for TaintToleration {
    /// The raw score counts the `PreferNoSchedule` taints the pod does not tolerate: higher is
    /// *worse*, which `normalize_score` turns around.
    fn score(&self, state: &CycleState, _pod: &Pod, node: &NodeInfo) -> (i64, Status) {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return (
                0,
                Status::error(format!(
                    "reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
                )),
            );
        };
        let intolerable = node_taints(node)
            .iter()
            .filter(|taint| taint.effect == "PreferNoSchedule")
            .filter(|taint| !tolerations_tolerate_taint(&s.tolerations_prefer_no_schedule, taint))
            .count();
        (intolerable as i64, Status::success())
    }

    /// Fewest intolerable taints → 100, most → 0.
    fn normalize_score(&self, _state: &CycleState, _pod: &Pod, scores: &mut [NodeScore]) -> Status {
        default_normalize_score(MAX_NODE_SCORE, true, scores);
        Status::success()
    }
}
