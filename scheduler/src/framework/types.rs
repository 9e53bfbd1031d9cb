//! What the scheduler knows about the cluster: [`PodInfo`], [`NodeInfo`], [`Snapshot`].
//!
//! A `NodeInfo` is a node plus everything placed on it: its pods (bound *and* assumed — see
//! `cache.rs`), the sum of their requests, the host ports in use, the images present. Plugins
//! never look at the API server; they look at `NodeInfo`s taken from a `Snapshot` frozen at the
//! start of the cycle, so every node is judged against the same picture of the cluster.
//! Upstream: `pkg/scheduler/framework/types.go`, `pkg/scheduler/backend/cache/snapshot.go`.

use super::resource::{pod_non_zero_requests, pod_requests, Resource};
use k8s_openapi::api::core::v1::{Node, Pod};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A pod and what we computed about it once, so that 5000 nodes do not recompute it.
#[derive(Debug, Clone)]
pub struct PodInfo {
    pub pod: Arc<Pod>,
    /// [`pod_requests`]: what Filter compares against free capacity.
    pub requests: Resource,
    /// [`pod_non_zero_requests`]: what scoring uses.
    pub non_zero_requests: Resource,
}

impl PodInfo {
    pub fn new(pod: Arc<Pod>) -> PodInfo {
        PodInfo {
            requests: pod_requests(&pod),
            non_zero_requests: pod_non_zero_requests(&pod),
            pod,
        }
    }

    pub fn name(&self) -> &str {
        self.pod.metadata.name.as_deref().unwrap_or("")
    }

    pub fn namespace(&self) -> &str {
        self.pod.metadata.namespace.as_deref().unwrap_or("default")
    }

    /// `namespace/name`, the key the queue and cache use.
    pub fn key(&self) -> String {
        pod_key(&self.pod)
    }

    /// Does the pod carry pod affinity or anti-affinity terms (of either kind)?
    pub fn has_affinity(&self) -> bool {
        let a = self.pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
        a.is_some_and(|a| a.pod_affinity.is_some() || a.pod_anti_affinity.is_some())
    }

    /// Does the pod carry *required* anti-affinity terms?
    pub fn has_required_anti_affinity(&self) -> bool {
        let a = self.pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
        a.and_then(|a| a.pod_anti_affinity.as_ref())
            .and_then(|aa| {
                aa.required_during_scheduling_ignored_during_execution
                    .as_ref()
            })
            .is_some_and(|terms| !terms.is_empty())
    }
}

/// `namespace/name` of a pod.
pub fn pod_key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or("default"),
        pod.metadata.name.as_deref().unwrap_or("")
    )
}

/// A host port a pod uses: (hostIP, protocol, port). `0.0.0.0` conflicts with every IP.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i32,
}

/// The host ports a pod asks for (containers' `ports[].hostPort`, when set).
pub fn host_ports(pod: &Pod) -> Vec<HostPort> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Init containers that finish before the app starts hold no port; sidecars
    // (`restartPolicy: Always`) keep running and keep theirs (upstream's `GetHostPorts`).
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    for c in spec.containers.iter().chain(sidecars) {
        for p in c.ports.iter().flatten() {
            if let Some(host_port) = p.host_port.filter(|hp| *hp > 0) {
                out.push(HostPort {
                    ip: p.host_ip.clone().unwrap_or_else(|| "0.0.0.0".to_string()),
                    protocol: p.protocol.clone().unwrap_or_else(|| "TCP".to_string()),
                    port: host_port,
                });
            }
        }
    }
    out
}

/// A node and what is on it.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    pub node: Arc<Node>,
    pub pods: Vec<PodInfo>,
    /// The subset of `pods` with pod (anti-)affinity terms: InterPodAffinity reads only these.
    pub pods_with_affinity: Vec<PodInfo>,
    pub pods_with_required_anti_affinity: Vec<PodInfo>,
    pub used_ports: HashSet<HostPort>,
    /// Sum of the pods' `requests`.
    pub requested: Resource,
    /// Sum of the pods' `non_zero_requests`.
    pub non_zero_requested: Resource,
    /// `status.allocatable` of the node.
    pub allocatable: Resource,
    /// Sizes in bytes of the images on this node, by every (normalised) name they go by.
    pub images: HashMap<String, i64>,
    /// Bumped on every change; the snapshot copies only nodes whose generation moved.
    pub generation: u64,
}

impl NodeInfo {
    pub fn new(node: Arc<Node>) -> NodeInfo {
        let mut info = NodeInfo {
            node: node.clone(),
            pods: Vec::new(),
            pods_with_affinity: Vec::new(),
            pods_with_required_anti_affinity: Vec::new(),
            used_ports: HashSet::new(),
            requested: Resource::default(),
            non_zero_requested: Resource::default(),
            allocatable: Resource::default(),
            images: HashMap::new(),
            generation: 0,
        };
        info.set_node(node);
        info
    }

    pub fn name(&self) -> &str {
        self.node.metadata.name.as_deref().unwrap_or("")
    }

    /// Replace the node object (after an update), keeping the pods.
    pub fn set_node(&mut self, node: Arc<Node>) {
        let status = node.status.as_ref();
        self.allocatable = status
            .and_then(|s| s.allocatable.as_ref())
            .map(Resource::from_list)
            .unwrap_or_default();
        self.images.clear();
        for image in status.and_then(|s| s.images.as_ref()).into_iter().flatten() {
            for name in image.names.iter().flatten() {
                self.images
                    .insert(normalized_image_name(name), image.size_bytes.unwrap_or(0));
            }
        }
        self.node = node;
    }

    pub fn add_pod(&mut self, pod: PodInfo) {
        self.requested.add(&pod.requests);
        self.non_zero_requested.add(&pod.non_zero_requests);
        for port in host_ports(&pod.pod) {
            self.used_ports.insert(port);
        }
        if pod.has_affinity() {
            self.pods_with_affinity.push(pod.clone());
        }
        if pod.has_required_anti_affinity() {
            self.pods_with_required_anti_affinity.push(pod.clone());
        }
        self.pods.push(pod);
    }

    /// Remove the pod with this `namespace/name` key; returns whether it was there.
    pub fn remove_pod(&mut self, key: &str) -> bool {
        let Some(index) = self.pods.iter().position(|p| p.key() == key) else {
            return false;
        };
        let pod = self.pods.remove(index);
        self.requested.sub(&pod.requests);
        self.non_zero_requested.sub(&pod.non_zero_requests);
        self.pods_with_affinity.retain(|p| p.key() != key);
        self.pods_with_required_anti_affinity
            .retain(|p| p.key() != key);
        // Ports: recompute from the remaining pods (two pods may not share one, but a pod may
        // list the same port twice for two protocols).
        self.used_ports = self.pods.iter().flat_map(|p| host_ports(&p.pod)).collect();
        true
    }
}

/// `nginx` and `docker.io/library/nginx:latest` are the same image; upstream normalises names
/// before comparing (`pkg/scheduler/framework/plugins/imagelocality/image_locality.go`).
pub fn normalized_image_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') || last.contains('@') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

/// The cluster as one scheduling cycle sees it: every node's `NodeInfo`, frozen.
///
/// Cheap to take: the nodes are shared `Arc`s (the cache copies a `NodeInfo` only when it
/// changes one that a snapshot still holds), and the name index and image counts are shared
/// until a node is added or removed.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    nodes: Vec<Arc<NodeInfo>>,
    index: Arc<HashMap<String, usize>>,
    /// On how many nodes each (normalised) image name is present: ImageLocality spreads its
    /// score by this, so an image on every node gives no reason to prefer any of them.
    image_num_nodes: Arc<HashMap<String, usize>>,
}

impl Snapshot {
    /// A snapshot of these nodes (tests build them this way; the cache keeps its parts up to
    /// date incrementally and calls [`Snapshot::from_parts`]).
    pub fn new(nodes: Vec<NodeInfo>) -> Snapshot {
        let nodes: Vec<Arc<NodeInfo>> = nodes.into_iter().map(Arc::new).collect();
        let index = Arc::new(name_index(&nodes));
        let images = Arc::new(image_counts(&nodes));
        Snapshot::from_parts(nodes, index, images)
    }

    pub fn from_parts(
        nodes: Vec<Arc<NodeInfo>>,
        index: Arc<HashMap<String, usize>>,
        image_num_nodes: Arc<HashMap<String, usize>>,
    ) -> Snapshot {
        Snapshot {
            nodes,
            index,
            image_num_nodes,
        }
    }

    pub fn list(&self) -> &[Arc<NodeInfo>] {
        &self.nodes
    }

    pub fn get(&self, node_name: &str) -> Option<&Arc<NodeInfo>> {
        self.index.get(node_name).and_then(|i| self.nodes.get(*i))
    }

    pub fn num_nodes(&self) -> usize {
        self.nodes.len()
    }

    /// On how many nodes the image (normalised name) is present.
    pub fn image_num_nodes(&self, image: &str) -> usize {
        self.image_num_nodes.get(image).copied().unwrap_or(0)
    }

    /// Nodes that carry at least one pod with pod (anti-)affinity.
    pub fn have_pods_with_affinity(&self) -> impl Iterator<Item = &Arc<NodeInfo>> {
        self.nodes
            .iter()
            .filter(|n| !n.pods_with_affinity.is_empty())
    }

    /// Nodes that carry at least one pod with required anti-affinity.
    pub fn have_pods_with_required_anti_affinity(&self) -> impl Iterator<Item = &Arc<NodeInfo>> {
        self.nodes
            .iter()
            .filter(|n| !n.pods_with_required_anti_affinity.is_empty())
    }
}

/// Node name → position in the list.
pub fn name_index(nodes: &[Arc<NodeInfo>]) -> HashMap<String, usize> {
    nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name().to_string(), i))
        .collect()
}

/// Image name → number of nodes that have it.
pub fn image_counts(nodes: &[Arc<NodeInfo>]) -> HashMap<String, usize> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for n in nodes {
        for image in n.images.keys() {
            *counts.entry(image.clone()).or_default() += 1;
        }
    }
    counts
}
