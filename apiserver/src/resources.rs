//! The table of every resource this API server serves.
//!
//! A Kubernetes API server is mostly a table: for each resource (`pods`, `deployments`, ...) it
//! knows the group and version, the Kind, whether it lives in a namespace, which subresources it
//! has, the short names `kubectl` accepts, and which registry *strategy* gives it its own
//! behaviour. Everything else — URLs, discovery documents, storage keys — is derived from it.
//! Upstream spreads this over `pkg/registry/*/rest/storage_*.go` and `pkg/api/legacyscheme`.

use crate::registry::strategy::{self, Strategy};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// A subresource served below an object's URL, e.g. `pods/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subresource {
    /// `.../status`: writes change only `.status`.
    Status,
    /// `.../binding`: the scheduler assigns a pod to a node.
    Binding,
    /// `.../scale`: read or set `spec.replicas` as an `autoscaling/v1` Scale.
    Scale,
}

impl Subresource {
    /// The URL segment.
    pub fn name(self) -> &'static str {
        match self {
            Subresource::Status => "status",
            Subresource::Binding => "binding",
            Subresource::Scale => "scale",
        }
    }
}

/// One served resource.
pub struct Resource {
    /// API group, "" for the core group.
    pub group: &'static str,
    /// API version within the group.
    pub version: &'static str,
    /// The resource name in URLs and storage keys: `pods`.
    pub plural: &'static str,
    /// `pod`.
    pub singular: &'static str,
    /// `Pod`.
    pub kind: &'static str,
    /// Whether objects live inside a namespace.
    pub namespaced: bool,
    /// What `kubectl get po` accepts.
    pub short_names: &'static [&'static str],
    /// `["all"]` makes the resource part of `kubectl get all`.
    pub categories: &'static [&'static str],
    /// Subresources served below each object.
    pub subresources: &'static [Subresource],
    /// Field selectors beyond `metadata.name`/`metadata.namespace`:
    /// (selector name, dotted JSON path, value when the field is absent).
    pub field_labels: &'static [(&'static str, &'static str, &'static str)],
    /// Kind-specific behaviour (defaults on create, graceful deletion, ...).
    pub strategy: &'static dyn Strategy,
    /// Decode through the typed struct, as upstream decodes into Go types: wrong JSON types are
    /// rejected and unknown fields dropped. Returns the re-encoded object or serde's message.
    pub decode: fn(Value) -> Result<Value, String>,
}

impl Resource {
    /// `v1` for the core group, `apps/v1` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether this resource has the given subresource.
    pub fn has(&self, sub: Subresource) -> bool {
        self.subresources.contains(&sub)
    }

    /// The etcd key prefix of every object of this resource in `namespace` ("" = all).
    /// `/registry/pods/` or `/registry/pods/default/`.
    pub fn prefix(&self, namespace: &str) -> String {
        if self.namespaced && !namespace.is_empty() {
            format!("/registry/{}/{}/", self.plural, namespace)
        } else {
            format!("/registry/{}/", self.plural)
        }
    }

    /// The etcd key of one object: `/registry/pods/default/web`, `/registry/nodes/n1`.
    /// (Upstream keeps a few historical exceptions, such as services under
    /// `/registry/services/specs/`; we use the one regular rule.)
    pub fn key(&self, namespace: &str, name: &str) -> String {
        format!("{}{}", self.prefix(namespace), name)
    }

    /// The value of a field selector label on `obj`, or `None` if the label is not supported.
    pub fn field_value(&self, obj: &Value, label: &str) -> Option<String> {
        match label {
            "metadata.name" => return Some(machinery::meta::name(obj).to_string()),
            "metadata.namespace" => return Some(machinery::meta::namespace(obj).to_string()),
            _ => {}
        }
        let (_, path, default) = self.field_labels.iter().find(|(l, _, _)| *l == label)?;
        Some(machinery::meta::field_string(obj, path).unwrap_or_else(|| default.to_string()))
    }
}

/// Round-trip `value` through the k8s-openapi type `T`.
fn typed<T: DeserializeOwned + Serialize>(value: Value) -> Result<Value, String> {
    let obj: T = serde_json::from_value(value).map_err(|e| e.to_string())?;
    serde_json::to_value(obj).map_err(|e| e.to_string())
}

use k8s_openapi::api::{apps, batch, coordination, core, discovery, scheduling};
use Subresource::{Binding, Scale, Status};

/// Every resource served, in discovery order.
pub static RESOURCES: &[Resource] = &[
    Resource {
        group: "",
        version: "v1",
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        subresources: &[Status],
        field_labels: &[("status.phase", "status.phase", "")],
        strategy: &strategy::namespaces::NamespaceStrategy,
        decode: typed::<core::v1::Namespace>,
    },
    Resource {
        group: "",
        version: "v1",
        plural: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        subresources: &[Status, Binding],
        field_labels: &[
            ("spec.nodeName", "spec.nodeName", ""),
            ("spec.restartPolicy", "spec.restartPolicy", ""),
            ("spec.schedulerName", "spec.schedulerName", ""),
            ("spec.serviceAccountName", "spec.serviceAccountName", ""),
            ("spec.hostNetwork", "spec.hostNetwork", "false"),
            ("status.phase", "status.phase", ""),
            ("status.podIP", "status.podIP", ""),
            ("status.nominatedNodeName", "status.nominatedNodeName", ""),
        ],
        strategy: &strategy::pods::PodStrategy,
        decode: typed::<core::v1::Pod>,
    },
    Resource {
        group: "",
        version: "v1",
        plural: "services",
        singular: "service",
        kind: "Service",
        namespaced: true,
        short_names: &["svc"],
        categories: &["all"],
        subresources: &[Status],
        field_labels: &[
            ("spec.clusterIP", "spec.clusterIP", ""),
            ("spec.type", "spec.type", ""),
        ],
        strategy: &strategy::ServiceStrategy,
        decode: typed::<core::v1::Service>,
    },
    Resource {
        group: "",
        version: "v1",
        plural: "endpoints",
        singular: "endpoints",
        kind: "Endpoints",
        namespaced: true,
        short_names: &["ep"],
        categories: &[],
        subresources: &[],
        field_labels: &[],
        strategy: &strategy::EndpointsStrategy,
        decode: typed::<core::v1::Endpoints>,
    },
    Resource {
        group: "",
        version: "v1",
        plural: "configmaps",
        singular: "configmap",
        kind: "ConfigMap",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        subresources: &[],
        field_labels: &[],
        strategy: &strategy::ConfigMapStrategy,
        decode: typed::<core::v1::ConfigMap>,
    },
    Resource {
        group: "",
        version: "v1",
        plural: "secrets",
        singular: "secret",
        kind: "Secret",
        namespaced: true,
        short_names: &[],
        categories: &[],
        subresources: &[],
        field_labels: &[("type", "type", "")],
        strategy: &strategy::SecretStrategy,
        decode: typed::<core::v1::Secret>,
    },
    Resource {
        group: "",
        version: "v1",
        plural: "nodes",
        singular: "node",
        kind: "Node",
        namespaced: false,
        short_names: &["no"],
        categories: &[],
        subresources: &[Status],
        field_labels: &[("spec.unschedulable", "spec.unschedulable", "false")],
        strategy: &strategy::nodes::NodeStrategy,
        decode: typed::<core::v1::Node>,
    },
    Resource {
        group: "",
        version: "v1",
        plural: "events",
        singular: "event",
        kind: "Event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        subresources: &[],
        field_labels: &[
            ("involvedObject.kind", "involvedObject.kind", ""),
            ("involvedObject.namespace", "involvedObject.namespace", ""),
            ("involvedObject.name", "involvedObject.name", ""),
            ("involvedObject.uid", "involvedObject.uid", ""),
            ("involvedObject.apiVersion", "involvedObject.apiVersion", ""),
            (
                "involvedObject.resourceVersion",
                "involvedObject.resourceVersion",
                "",
            ),
            ("involvedObject.fieldPath", "involvedObject.fieldPath", ""),
            ("reason", "reason", ""),
            ("reportingComponent", "reportingComponent", ""),
            ("source", "source.component", ""),
            ("type", "type", ""),
        ],
        strategy: &strategy::EventStrategy,
        decode: typed::<core::v1::Event>,
    },
    Resource {
        group: "",
        version: "v1",
        plural: "serviceaccounts",
        singular: "serviceaccount",
        kind: "ServiceAccount",
        namespaced: true,
        short_names: &["sa"],
        categories: &[],
        subresources: &[],
        field_labels: &[],
        strategy: &strategy::Generic,
        decode: typed::<core::v1::ServiceAccount>,
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "deployments",
        singular: "deployment",
        kind: "Deployment",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
        subresources: &[Status, Scale],
        field_labels: &[],
        strategy: &strategy::Workload,
        decode: typed::<apps::v1::Deployment>,
    },
    Resource {
        group: "apps",
        version: "v1",
        plural: "replicasets",
        singular: "replicaset",
        kind: "ReplicaSet",
        namespaced: true,
        short_names: &["rs"],
        categories: &["all"],
        subresources: &[Status, Scale],
        field_labels: &[("status.replicas", "status.replicas", "0")],
        strategy: &strategy::Workload,
        decode: typed::<apps::v1::ReplicaSet>,
    },
    Resource {
        group: "batch",
        version: "v1",
        plural: "jobs",
        singular: "job",
        kind: "Job",
        namespaced: true,
        short_names: &[],
        categories: &["all"],
        subresources: &[Status],
        field_labels: &[("status.successful", "status.succeeded", "0")],
        strategy: &strategy::Workload,
        decode: typed::<batch::v1::Job>,
    },
    Resource {
        group: "coordination.k8s.io",
        version: "v1",
        plural: "leases",
        singular: "lease",
        kind: "Lease",
        namespaced: true,
        short_names: &[],
        categories: &[],
        subresources: &[],
        field_labels: &[],
        strategy: &strategy::LeaseStrategy,
        decode: typed::<coordination::v1::Lease>,
    },
    Resource {
        group: "discovery.k8s.io",
        version: "v1",
        plural: "endpointslices",
        singular: "endpointslice",
        kind: "EndpointSlice",
        namespaced: true,
        short_names: &[],
        categories: &[],
        subresources: &[],
        field_labels: &[],
        strategy: &strategy::EndpointSliceStrategy,
        decode: typed::<discovery::v1::EndpointSlice>,
    },
    Resource {
        group: "scheduling.k8s.io",
        version: "v1",
        plural: "priorityclasses",
        singular: "priorityclass",
        kind: "PriorityClass",
        namespaced: false,
        short_names: &["pc"],
        categories: &[],
        subresources: &[],
        field_labels: &[],
        strategy: &strategy::PriorityClassStrategy,
        decode: typed::<scheduling::v1::PriorityClass>,
    },
];

/// Find a resource by group, version and plural name.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The `namespaces` resource, which the registry consults on every namespaced create.
pub fn namespaces() -> &'static Resource {
    // The table is static and starts with namespaces; a unit test below checks that.
    &RESOURCES[0]
}

/// The API groups served (other than core), with their one version, in discovery order.
pub fn groups() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !out.iter().any(|(g, _)| *g == r.group) {
            out.push((r.group, r.version));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_starts_with_namespaces() {
        assert_eq!(namespaces().plural, "namespaces");
    }

    #[test]
    fn keys_follow_the_registry_layout() {
        let pods = find("", "v1", "pods").expect("pods are served");
        assert_eq!(pods.key("default", "web"), "/registry/pods/default/web");
        let nodes = find("", "v1", "nodes").expect("nodes are served");
        assert_eq!(nodes.key("ignored", "n1"), "/registry/nodes/n1");
        assert_eq!(
            find("apps", "v1", "deployments")
                .expect("served")
                .api_version(),
            "apps/v1"
        );
    }

    #[test]
    fn every_plural_is_unique_within_its_group() {
        for (i, a) in RESOURCES.iter().enumerate() {
            for b in &RESOURCES[i + 1..] {
                assert!(
                    a.group != b.group || a.plural != b.plural,
                    "{} twice",
                    a.plural
                );
            }
        }
    }
}
