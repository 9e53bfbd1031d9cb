//! Helpers shared by this folder's tests, so each table reads like upstream's.
//! Upstream: `test_util.go` (`makeNode`) and `cache.NewSnapshot(pods, nodes)`.

use crate::framework::{CycleState, NodeInfo, Plugin, PodInfo, Snapshot, Status};
use crate::testing::{make_node as st_node, make_pod, NodeWrapper};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A resource list from `(name, quantity)` pairs, e.g. `[("cpu", "4000"), ("memory", "10000")]`.
pub fn list(items: &[(&str, &str)]) -> BTreeMap<String, Quantity> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
        .collect()
}

/// A node with this allocatable (and capacity); like `st.MakeNode().Capacity(...)` it has no
/// `pods` entry unless given one.
pub fn node_with(name: &str, items: &[(&str, &str)]) -> NodeWrapper {
    st_node(name).capacity_list(list(items))
}

/// Upstream's `makeNode(name, milliCPU, memory, extendedResources)`.
pub fn make_node(name: &str, milli_cpu: i64, memory: i64, extended: &[(&str, i64)]) -> NodeWrapper {
    let cpu = format!("{milli_cpu}m");
    let memory = memory.to_string();
    let extended: Vec<(String, String)> = extended
        .iter()
        .map(|(n, q)| (n.to_string(), q.to_string()))
        .collect();
    let mut items: Vec<(&str, &str)> = vec![("cpu", &cpu), ("memory", &memory)];
    items.extend(extended.iter().map(|(n, q)| (n.as_str(), q.as_str())));
    node_with(name, &items)
}

/// The nodes with every pod placed on the node its `spec.nodeName` names, as a snapshot holds
/// them (upstream's `cache.NewSnapshot(pods, nodes)`).
pub fn snapshot(nodes: Vec<NodeWrapper>, pods: Vec<Pod>) -> Vec<NodeInfo> {
    nodes
        .into_iter()
        .map(|wrapper| {
            let mut info = wrapper.info();
            for pod in &pods {
                let on = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
                if on == Some(info.name()) {
                    info.add_pod(PodInfo::new(Arc::new(pod.clone())));
                }
            }
            info
        })
        .collect()
}

/// PreScore (when asked) and then Score on every node, in order, as upstream's tests do.
/// Returns the first status that is not Success (PreScore's Skip included).
pub fn scores(
    plugin: &dyn Plugin,
    pod: &Pod,
    nodes: &[NodeInfo],
    run_pre_score: bool,
) -> Result<Vec<i64>, Status> {
    let mut state = CycleState::new();
    if run_pre_score {
        let infos: Vec<Arc<NodeInfo>> = nodes.iter().cloned().map(Arc::new).collect();
        let snapshot = Snapshot::new(nodes.to_vec());
        let pre_score = plugin.as_pre_score().expect("a PreScore plugin");
        let status = pre_score.pre_score(&mut state, pod, &infos, &snapshot);
        if !status.is_success() {
            return Err(status);
        }
    }
    let score = plugin.as_score().expect("a Score plugin");
    nodes
        .iter()
        .map(|node| match score.score(&state, pod, node) {
            (s, status) if status.is_success() => Ok(s),
            (_, status) => Err(status),
        })
        .collect()
}

/// A pending pod with one container per request list (`st.MakePod().Req(..).Req(..)`).
pub fn pod(containers: &[&[(&str, &str)]]) -> Pod {
    containers
        .iter()
        .fold(make_pod("p"), |p, c| p.req_list(c))
        .obj()
}

/// A pod named `name` already on `node`, with one container requesting `requests` (none if
/// empty).
pub fn on(node: &str, name: &str, requests: &[(&str, &str)]) -> Pod {
    let p = make_pod(name).node(node);
    if requests.is_empty() {
        p.obj()
    } else {
        p.req_list(requests).obj()
    }
}
