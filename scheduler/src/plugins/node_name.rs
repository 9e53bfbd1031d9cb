//! NodeName: a pod that names its node in `spec.nodeName` fits only that node.
//!
//! Pods written with `nodeName` already set normally skip the scheduler altogether (the kubelet
//! of that node just runs them). The scheduler still sees them when it is asked to check a
//! placement — for example preemption simulating "what if", or a pod that sets both
//! `nodeName` and a `schedulerName` — and then no other node will do.
//!
//! The rejection is `UnschedulableAndUnresolvable`: no eviction changes a pod's chosen name.
//! Upstream: `pkg/scheduler/framework/plugins/nodename/node_name.go`.

use crate::framework::{ClusterEvent, CycleState, FilterPlugin, NodeInfo, Plugin, Status};
use crate::plugins::{no_args, FactoryContext};
use k8s_openapi::api::core::v1::Pod;
use std::sync::Arc;

pub const NAME: &str = "NodeName";

/// The reason every node but the named one gives.
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

pub struct NodeName;

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    no_args(NAME, args)?;
    Ok(Arc::new(NodeName))
}

/// Does the pod fit this node by name? A pod without `spec.nodeName` fits every node.
pub fn fits(pod: &Pod, node: &NodeInfo) -> bool {
    let wanted = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .unwrap_or("");
    wanted.is_empty() || wanted == node.name()
}

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }

    /// Only the named node appearing can help.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![ClusterEvent::NODE_ADD]
    }
}

impl FilterPlugin for NodeName {
    fn filter(&self, _state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        if fits(pod, node) {
            Status::success()
        } else {
            Status::unresolvable(ERR_REASON)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Code;
    use crate::testing::{make_node, make_pod};

    #[test]
    fn only_the_named_node_fits_a_pod_that_names_one() {
        let cases = [
            (
                "a pod without nodeName fits any node",
                make_pod("p"),
                "foo",
                true,
            ),
            (
                "a pod naming this node fits it",
                make_pod("p").node("foo"),
                "foo",
                true,
            ),
            (
                "a pod naming another node does not fit",
                make_pod("p").node("bar"),
                "foo",
                false,
            ),
            (
                "an empty nodeName means no node was named",
                make_pod("p").node(""),
                "foo",
                true,
            ),
        ];
        for (name, pod, node, want) in cases {
            let status = NodeName.filter(&CycleState::new(), &pod.obj(), &make_node(node).info());
            if want {
                assert!(status.is_success(), "{name}: {status}");
            } else {
                assert_eq!(status.code, Code::UnschedulableAndUnresolvable, "{name}");
                assert_eq!(status.reasons, vec![ERR_REASON], "{name}");
            }
        }
    }

    #[test]
    fn only_a_node_being_added_may_help() {
        assert_eq!(NodeName.events_to_register(), vec![ClusterEvent::NODE_ADD]);
    }
}
