//! Builders for the pods and nodes that tests need, so a test reads like its sentence name:
//! `make_pod("web").req("100m", "1Gi").node_selector(&[("disk", "ssd")])`.
//! Upstream: `pkg/scheduler/testing/wrappers.go` (`st.MakePod()`, `st.MakeNode()`).
//!
//! For anything without a method, `.with(|pod| ...)` edits the object directly.

use crate::framework::{NodeInfo, PodInfo};
use k8s_openapi::api::core::v1::{
    Container, ContainerImage, Node, NodeSpec, NodeStatus, Pod, PodSpec, ResourceRequirements,
    Taint, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::BTreeMap;
use std::sync::Arc;

fn resource_list(cpu: &str, memory: &str) -> BTreeMap<String, Quantity> {
    let mut list = BTreeMap::new();
    if !cpu.is_empty() {
        list.insert("cpu".to_string(), Quantity(cpu.to_string()));
    }
    if !memory.is_empty() {
        list.insert("memory".to_string(), Quantity(memory.to_string()));
    }
    list
}

fn labels_map(labels: &[(&str, &str)]) -> BTreeMap<String, String> {
    labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Start building a pod in namespace `default`, with no containers yet.
pub fn make_pod(name: &str) -> PodWrapper {
    let mut pod = Pod::default();
    pod.metadata.name = Some(name.to_string());
    pod.metadata.namespace = Some("default".to_string());
    pod.metadata.uid = Some(format!("uid-{name}"));
    pod.spec = Some(PodSpec::default());
    PodWrapper { pod }
}

pub struct PodWrapper {
    pod: Pod,
}

impl PodWrapper {
    fn spec(&mut self) -> &mut PodSpec {
        self.pod.spec.get_or_insert_with(PodSpec::default)
    }

    pub fn obj(self) -> Pod {
        self.pod
    }

    pub fn info(self) -> PodInfo {
        PodInfo::new(Arc::new(self.pod))
    }

    pub fn with(mut self, f: impl FnOnce(&mut Pod)) -> Self {
        f(&mut self.pod);
        self
    }

    pub fn namespace(mut self, ns: &str) -> Self {
        self.pod.metadata.namespace = Some(ns.to_string());
        self
    }

    pub fn uid(mut self, uid: &str) -> Self {
        self.pod.metadata.uid = Some(uid.to_string());
        self
    }

    pub fn labels(mut self, labels: &[(&str, &str)]) -> Self {
        self.pod
            .metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(labels_map(labels));
        self
    }

    /// Already bound to `node` (`spec.nodeName`).
    pub fn node(mut self, node: &str) -> Self {
        self.spec().node_name = Some(node.to_string());
        self
    }

    pub fn priority(mut self, p: i32) -> Self {
        self.spec().priority = Some(p);
        self
    }

    pub fn scheduler_name(mut self, name: &str) -> Self {
        self.spec().scheduler_name = Some(name.to_string());
        self
    }

    /// Add a container without requests.
    pub fn container(mut self, image: &str) -> Self {
        let n = self.spec().containers.len();
        self.spec().containers.push(Container {
            name: format!("c{n}"),
            image: Some(image.to_string()),
            ..Container::default()
        });
        self
    }

    /// Add a container requesting `cpu` and `memory` (`""` leaves one out).
    pub fn req(mut self, cpu: &str, memory: &str) -> Self {
        let n = self.spec().containers.len();
        self.spec().containers.push(Container {
            name: format!("c{n}"),
            image: Some("busybox".to_string()),
            resources: Some(ResourceRequirements {
                requests: Some(resource_list(cpu, memory)),
                ..ResourceRequirements::default()
            }),
            ..Container::default()
        });
        self
    }

    /// Add a container requesting arbitrary resources, e.g. `&[("nvidia.com/gpu", "1")]`.
    pub fn req_list(mut self, requests: &[(&str, &str)]) -> Self {
        let n = self.spec().containers.len();
        let list = requests
            .iter()
            .map(|(k, v)| (k.to_string(), Quantity(v.to_string())))
            .collect();
        self.spec().containers.push(Container {
            name: format!("c{n}"),
            image: Some("busybox".to_string()),
            resources: Some(ResourceRequirements {
                requests: Some(list),
                ..ResourceRequirements::default()
            }),
            ..Container::default()
        });
        self
    }

    fn init(mut self, cpu: &str, memory: &str, restart_always: bool) -> Self {
        let inits = self.spec().init_containers.get_or_insert_with(Vec::new);
        let n = inits.len();
        inits.push(Container {
            name: format!("init{n}"),
            image: Some("busybox".to_string()),
            restart_policy: restart_always.then(|| "Always".to_string()),
            resources: Some(ResourceRequirements {
                requests: Some(resource_list(cpu, memory)),
                ..ResourceRequirements::default()
            }),
            ..Container::default()
        });
        self
    }

    /// Add an init container with requests.
    pub fn init_req(self, cpu: &str, memory: &str) -> Self {
        self.init(cpu, memory, false)
    }

    /// Add a sidecar (an init container with `restartPolicy: Always`) with requests.
    pub fn sidecar_req(self, cpu: &str, memory: &str) -> Self {
        self.init(cpu, memory, true)
    }

    pub fn overhead(mut self, cpu: &str, memory: &str) -> Self {
        self.spec().overhead = Some(resource_list(cpu, memory));
        self
    }

    /// Add a container exposing `host_port` (TCP, all host IPs).
    pub fn host_port(mut self, host_port: i32) -> Self {
        let n = self.spec().containers.len();
        self.spec().containers.push(Container {
            name: format!("c{n}"),
            image: Some("busybox".to_string()),
            ports: Some(vec![k8s_openapi::api::core::v1::ContainerPort {
                container_port: host_port,
                host_port: Some(host_port),
                protocol: Some("TCP".to_string()),
                ..Default::default()
            }]),
            ..Container::default()
        });
        self
    }

    pub fn node_selector(mut self, selector: &[(&str, &str)]) -> Self {
        self.spec().node_selector = Some(labels_map(selector));
        self
    }

    /// Tolerate `key=value:effect` (operator Equal); an empty value means operator Exists.
    pub fn toleration(mut self, key: &str, value: &str, effect: &str) -> Self {
        let toleration = Toleration {
            key: (!key.is_empty()).then(|| key.to_string()),
            operator: Some(if value.is_empty() { "Exists" } else { "Equal" }.to_string()),
            value: (!value.is_empty()).then(|| value.to_string()),
            effect: (!effect.is_empty()).then(|| effect.to_string()),
            toleration_seconds: None,
        };
        self.spec()
            .tolerations
            .get_or_insert_with(Vec::new)
            .push(toleration);
        self
    }
}

/// Start building a node with no capacity (add it with [`NodeWrapper::capacity`]).
pub fn make_node(name: &str) -> NodeWrapper {
    let mut node = Node::default();
    node.metadata.name = Some(name.to_string());
    node.metadata.labels = Some(labels_map(&[("kubernetes.io/hostname", name)]));
    node.spec = Some(NodeSpec::default());
    node.status = Some(NodeStatus::default());
    NodeWrapper { node }
}

pub struct NodeWrapper {
    node: Node,
}

impl NodeWrapper {
    pub fn obj(self) -> Node {
        self.node
    }

    /// A `NodeInfo` for this node with `pods` placed on it.
    pub fn info_with(self, pods: Vec<Pod>) -> NodeInfo {
        let mut info = NodeInfo::new(Arc::new(self.node));
        for pod in pods {
            info.add_pod(PodInfo::new(Arc::new(pod)));
        }
        info
    }

    pub fn info(self) -> NodeInfo {
        self.info_with(Vec::new())
    }

    pub fn with(mut self, f: impl FnOnce(&mut Node)) -> Self {
        f(&mut self.node);
        self
    }

    /// Capacity and allocatable: `cpu`, `memory` and a pod count.
    pub fn capacity(self, cpu: &str, memory: &str, pods: i64) -> Self {
        let mut list = resource_list(cpu, memory);
        list.insert("pods".to_string(), Quantity(pods.to_string()));
        self.capacity_list(list)
    }

    /// Capacity and allocatable from arbitrary resources.
    pub fn capacity_list(mut self, list: BTreeMap<String, Quantity>) -> Self {
        let status = self.node.status.get_or_insert_with(NodeStatus::default);
        status.capacity = Some(list.clone());
        status.allocatable = Some(list);
        self
    }

    pub fn labels(mut self, labels: &[(&str, &str)]) -> Self {
        self.node
            .metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .extend(labels_map(labels));
        self
    }

    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> Self {
        let spec = self.node.spec.get_or_insert_with(NodeSpec::default);
        spec.taints.get_or_insert_with(Vec::new).push(Taint {
            key: key.to_string(),
            value: (!value.is_empty()).then(|| value.to_string()),
            effect: effect.to_string(),
            time_added: None,
        });
        self
    }

    pub fn unschedulable(mut self) -> Self {
        self.node
            .spec
            .get_or_insert_with(NodeSpec::default)
            .unschedulable = Some(true);
        self
    }

    /// Images present on the node: `(name, size in bytes)`.
    pub fn images(mut self, images: &[(&str, i64)]) -> Self {
        let status = self.node.status.get_or_insert_with(NodeStatus::default);
        status.images = Some(
            images
                .iter()
                .map(|(name, size)| ContainerImage {
                    names: Some(vec![name.to_string()]),
                    size_bytes: Some(*size),
                })
                .collect(),
        );
        self
    }
}
