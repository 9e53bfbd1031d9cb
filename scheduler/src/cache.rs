//! The scheduler's cache: every node and the pods on it, including pods it has *assumed*.
//!
//! Binding a pod is an API call that takes a while; the scheduler does not wait for it. The
//! moment it picks a node it **assumes** the pod is there (adds it to that node here), and
//! schedules the next pod against that picture. When the informer later reports the pod bound,
//! the assumption is confirmed; if binding fails, the pod is **forgotten** and the room is
//! given back. Without this, a burst of pods would all be sent to the same "empty" node.
//!
//! Snapshots are cheap: nodes are shared `Arc<NodeInfo>`s, and changing one that a snapshot
//! still holds copies just that node (`Arc::make_mut`).
//! Upstream: `pkg/scheduler/backend/cache/cache.go` (`cacheImpl`, `AssumePod`, `ForgetPod`,
//! `FinishBinding`, `UpdateSnapshot`).

use crate::framework::types::{image_counts, name_index, pod_key};
use crate::framework::{NodeInfo, PodInfo, Snapshot};
use k8s_openapi::api::core::v1::{Node, Pod};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone)]
struct PodState {
    node: String,
    assumed: bool,
}

/// Nodes and pods as the scheduler believes them to be.
#[derive(Default)]
pub struct Cache {
    nodes: Vec<Arc<NodeInfo>>,
    index: Arc<HashMap<String, usize>>,
    images: Arc<HashMap<String, usize>>,
    pods: HashMap<String, PodState>,
    /// Pods bound to a node the cache has not seen yet (the pod event came first).
    waiting_for_node: HashMap<String, Vec<PodInfo>>,
}

/// The node a pod is bound to, if any.
pub fn node_name(pod: &Pod) -> Option<&str> {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .filter(|n| !n.is_empty())
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    fn reindex(&mut self) {
        self.index = Arc::new(name_index(&self.nodes));
        self.images = Arc::new(image_counts(&self.nodes));
    }

    fn node_mut(&mut self, name: &str) -> Option<&mut NodeInfo> {
        let i = *self.index.get(name)?;
        self.nodes.get_mut(i).map(Arc::make_mut)
    }

    pub fn add_node(&mut self, node: Arc<Node>) {
        let name = node.metadata.name.clone().unwrap_or_default();
        if self.index.contains_key(&name) {
            self.update_node(node);
            return;
        }
        let mut info = NodeInfo::new(node);
        for pod in self.waiting_for_node.remove(&name).unwrap_or_default() {
            info.add_pod(pod);
        }
        // Incremental, not `reindex`: adding 5000 nodes one by one must not cost 5000².
        Arc::make_mut(&mut self.index).insert(name, self.nodes.len());
        let images = Arc::make_mut(&mut self.images);
        for image in info.images.keys() {
            *images.entry(image.clone()).or_default() += 1;
        }
        self.nodes.push(Arc::new(info));
    }

    pub fn update_node(&mut self, node: Arc<Node>) {
        let name = node.metadata.name.clone().unwrap_or_default();
        let images_before = self.node_mut(&name).map(|n| n.images.len());
        match self.node_mut(&name) {
            Some(info) => {
                info.set_node(node);
                info.generation += 1;
                if images_before != Some(info.images.len()) {
                    self.images = Arc::new(image_counts(&self.nodes));
                }
            }
            None => self.add_node(node),
        }
    }

    /// Forget a node. Its pods stay known (they will be deleted or rebound by others).
    pub fn remove_node(&mut self, name: &str) {
        if let Some(&i) = self.index.get(name) {
            let info = self.nodes.remove(i);
            if !info.pods.is_empty() {
                self.waiting_for_node
                    .insert(name.to_string(), info.pods.clone());
            }
            self.reindex();
        }
    }

    fn place(&mut self, pod: PodInfo, node: &str) {
        match self.node_mut(node) {
            Some(info) => {
                info.add_pod(pod);
                info.generation += 1;
            }
            None => self
                .waiting_for_node
                .entry(node.to_string())
                .or_default()
                .push(pod),
        }
    }

    fn unplace(&mut self, key: &str, node: &str) {
        if let Some(info) = self.node_mut(node) {
            if info.remove_pod(key) {
                info.generation += 1;
            }
        } else if let Some(pods) = self.waiting_for_node.get_mut(node) {
            pods.retain(|p| p.key() != key);
        }
    }

    /// The scheduler chose `node` for `pod`: count it there now, before binding finishes.
    pub fn assume_pod(&mut self, pod: Arc<Pod>, node: &str) {
        let key = pod_key(&pod);
        if let Some(old) = self.pods.remove(&key) {
            self.unplace(&key, &old.node);
        }
        self.place(PodInfo::new(pod), node);
        self.pods.insert(
            key,
            PodState {
                node: node.to_string(),
                assumed: true,
            },
        );
    }

    /// Binding failed: give the room back.
    pub fn forget_pod(&mut self, key: &str) {
        if let Some(state) = self.pods.get(key) {
            if state.assumed {
                let node = state.node.clone();
                self.unplace(key, &node);
                self.pods.remove(key);
            }
        }
    }

    pub fn is_assumed(&self, key: &str) -> bool {
        self.pods.get(key).is_some_and(|s| s.assumed)
    }

    /// A bound pod from the informer (add or update). Confirms an assumption, or records a
    /// pod bound by someone else (another scheduler, or `spec.nodeName` set by hand).
    pub fn add_or_update_pod(&mut self, pod: Arc<Pod>) {
        let Some(node) = node_name(&pod).map(str::to_string) else {
            return;
        };
        let key = pod_key(&pod);
        if let Some(old) = self.pods.remove(&key) {
            self.unplace(&key, &old.node);
        }
        // Terminal pods no longer use their node's resources.
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if matches!(phase, Some("Succeeded") | Some("Failed")) {
            return;
        }
        self.place(PodInfo::new(pod), &node);
        self.pods.insert(
            key,
            PodState {
                node,
                assumed: false,
            },
        );
    }

    pub fn remove_pod(&mut self, key: &str) {
        if let Some(old) = self.pods.remove(key) {
            self.unplace(key, &old.node);
        }
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn pod_count(&self) -> usize {
        self.pods.len()
    }

    /// A frozen copy for one scheduling cycle.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::from_parts(self.nodes.clone(), self.index.clone(), self.images.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{make_node, make_pod};

    fn cache_with_nodes(names: &[&str]) -> Cache {
        let mut cache = Cache::new();
        for n in names {
            cache.add_node(Arc::new(make_node(n).capacity("4", "8Gi", 110).obj()));
        }
        cache
    }

    fn requested_cpu(cache: &Cache, node: &str) -> i64 {
        cache.snapshot().get(node).unwrap().requested.milli_cpu
    }

    #[test]
    fn an_assumed_pod_counts_on_its_node_until_forgotten() {
        let mut cache = cache_with_nodes(&["n1"]);
        cache.assume_pod(Arc::new(make_pod("p").req("1", "1Gi").obj()), "n1");
        assert_eq!(requested_cpu(&cache, "n1"), 1000);
        assert!(cache.is_assumed("default/p"));
        cache.forget_pod("default/p");
        assert_eq!(requested_cpu(&cache, "n1"), 0);
    }

    #[test]
    fn the_informer_confirming_a_binding_does_not_count_the_pod_twice() {
        let mut cache = cache_with_nodes(&["n1"]);
        let pod = make_pod("p").req("1", "1Gi");
        cache.assume_pod(Arc::new(make_pod("p").req("1", "1Gi").obj()), "n1");
        cache.add_or_update_pod(Arc::new(pod.node("n1").obj()));
        assert_eq!(requested_cpu(&cache, "n1"), 1000);
        assert!(!cache.is_assumed("default/p"));
        cache.forget_pod("default/p");
        assert_eq!(
            requested_cpu(&cache, "n1"),
            1000,
            "a confirmed pod is not forgotten"
        );
    }

    #[test]
    fn a_snapshot_does_not_change_when_the_cache_does() {
        let mut cache = cache_with_nodes(&["n1"]);
        let before = cache.snapshot();
        cache.add_or_update_pod(Arc::new(make_pod("p").req("1", "0").node("n1").obj()));
        assert_eq!(before.get("n1").unwrap().requested.milli_cpu, 0);
        assert_eq!(requested_cpu(&cache, "n1"), 1000);
    }

    #[test]
    fn a_pod_seen_before_its_node_is_placed_when_the_node_arrives() {
        let mut cache = Cache::new();
        cache.add_or_update_pod(Arc::new(make_pod("p").req("1", "0").node("n1").obj()));
        cache.add_node(Arc::new(make_node("n1").capacity("4", "8Gi", 110).obj()));
        assert_eq!(requested_cpu(&cache, "n1"), 1000);
    }

    #[test]
    fn finished_pods_free_their_resources() {
        let mut cache = cache_with_nodes(&["n1"]);
        let running = make_pod("p").req("1", "0").node("n1");
        cache.add_or_update_pod(Arc::new(running.obj()));
        let done = make_pod("p").req("1", "0").node("n1").with(|p| {
            p.status = Some(k8s_openapi::api::core::v1::PodStatus {
                phase: Some("Succeeded".into()),
                ..Default::default()
            })
        });
        cache.add_or_update_pod(Arc::new(done.obj()));
        assert_eq!(requested_cpu(&cache, "n1"), 0);
    }

    #[test]
    fn removing_a_node_keeps_the_others_addressable_by_name() {
        let mut cache = cache_with_nodes(&["n1", "n2", "n3"]);
        cache.remove_node("n1");
        let snap = cache.snapshot();
        assert_eq!(snap.num_nodes(), 2);
        assert_eq!(snap.get("n3").unwrap().name(), "n3");
        assert!(snap.get("n1").is_none());
    }
}
