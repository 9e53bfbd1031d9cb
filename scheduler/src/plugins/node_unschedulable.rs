//! NodeUnschedulable: keep new pods off cordoned nodes.
//!
//! `kubectl cordon` sets `spec.unschedulable: true` on a node. Pods already there keep running;
//! the scheduler just stops placing new ones. The node controller also adds the taint
//! `node.kubernetes.io/unschedulable:NoSchedule` to such a node, so the natural way to say "this
//! pod may still go there" is to tolerate that taint — DaemonSet pods do. This plugin honours
//! the same toleration even if the taint has not been added yet.
//!
//! The rejection is `UnschedulableAndUnresolvable`: evicting pods does not uncordon a node.
//! Upstream: `pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go`.

use crate::framework::{ClusterEvent, CycleState, FilterPlugin, NodeInfo, Plugin, Status};
use crate::plugins::taint_toleration::tolerations_tolerate_taint;
use crate::plugins::{no_args, FactoryContext};
use k8s_openapi::api::core::v1::{Pod, Taint};
use std::sync::Arc;

pub const NAME: &str = "NodeUnschedulable";

/// The reason a cordoned node gives.
pub const ERR_REASON_UNSCHEDULABLE: &str = "node(s) were unschedulable";

/// The taint key that stands for `spec.unschedulable` (upstream `v1.TaintNodeUnschedulable`).
pub const TAINT_NODE_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";

pub struct NodeUnschedulable;

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    no_args(NAME, args)?;
    Ok(Arc::new(NodeUnschedulable))
}

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }

    /// A new node, or a node being uncordoned (an update), may take the pod.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![ClusterEvent::NODE_ADD, ClusterEvent::NODE_UPDATE]
    }
}

impl FilterPlugin for NodeUnschedulable {
    fn filter(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        let cordoned = node
            .node
            .spec
            .as_ref()
            .and_then(|s| s.unschedulable)
            .unwrap_or(false);
        if !cordoned {
            return Status::success();
        }
        // A pod that tolerates the unschedulable taint also tolerates `spec.unschedulable`.
        let unschedulable_taint = Taint {
            key: TAINT_NODE_UNSCHEDULABLE.to_string(),
            effect: "NoSchedule".to_string(),
            value: None,
            time_added: None,
        };
        let tolerations = pod
            .spec
            .as_ref()
            .and_then(|s| s.tolerations.as_deref())
            .unwrap_or(&[]);
        if tolerations_tolerate_taint(tolerations, &unschedulable_taint) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON_UNSCHEDULABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Code;
    use crate::testing::{make_node, make_pod};

    #[test]
    fn cordoned_nodes_are_rejected_unless_the_pod_tolerates_the_unschedulable_taint() {
        let schedulable_false = make_node("n").with(|n| {
            n.spec.get_or_insert_with(Default::default).unschedulable = Some(false);
        });
        let cases = [
            (
                "a cordoned node rejects a pod without tolerations",
                make_pod("p"),
                make_node("n").unschedulable(),
                false,
            ),
            (
                "a node with unschedulable unset accepts the pod",
                make_pod("p"),
                make_node("n"),
                true,
            ),
            (
                "a node with unschedulable false accepts the pod",
                make_pod("p"),
                schedulable_false,
                true,
            ),
            (
                "a pod tolerating the unschedulable taint may use a cordoned node",
                make_pod("p").toleration(TAINT_NODE_UNSCHEDULABLE, "", "NoSchedule"),
                make_node("n").unschedulable(),
                true,
            ),
            (
                "a pod tolerating every taint may use a cordoned node",
                make_pod("p").toleration("", "", ""),
                make_node("n").unschedulable(),
                true,
            ),
            (
                "tolerating the taint with another effect does not help",
                make_pod("p").toleration(TAINT_NODE_UNSCHEDULABLE, "", "NoExecute"),
                make_node("n").unschedulable(),
                false,
            ),
        ];
        for (name, pod, node, fits) in cases {
            let status = NodeUnschedulable.filter(&CycleState::new(), &pod.obj(), &node.info());
            if fits {
                assert!(status.is_success(), "{name}: {status}");
            } else {
                assert_eq!(status.code, Code::UnschedulableAndUnresolvable, "{name}");
                assert_eq!(status.reasons, vec![ERR_REASON_UNSCHEDULABLE], "{name}");
            }
        }
    }

    #[test]
    fn node_events_may_make_a_rejected_pod_fit() {
        let events = NodeUnschedulable.events_to_register();
        assert!(events.contains(&ClusterEvent::NODE_ADD));
        assert!(events.contains(&ClusterEvent::NODE_UPDATE));
    }
}
