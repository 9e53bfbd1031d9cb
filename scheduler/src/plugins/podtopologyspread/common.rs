//! What filtering and scoring share: a pod's spread constraints turned into a form that is
//! quick to check, the default constraints for pods that give none, and counting pods.
//! Upstream: `pkg/scheduler/framework/plugins/podtopologyspread/common.go` (and, for the
//! default selector, `DefaultSelector` in `pkg/scheduler/framework/plugins/helper/spread.go`).

use crate::framework::PodInfo;
use crate::plugins::node_affinity::node_selector::RequiredNodeAffinity;
use crate::plugins::taint_toleration::{find_matching_untolerated_taint, is_do_not_schedule_taint};
use k8s_openapi::api::core::v1::{Node, Pod, TopologySpreadConstraint};
use machinery::labels::{Operator, Requirement, Selector};
use std::collections::BTreeMap;

pub type Labels = BTreeMap<String, String>;

static NO_LABELS: Labels = BTreeMap::new();

/// The well-known node labels the system default constraints spread over.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
pub const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";

pub const DO_NOT_SCHEDULE: &str = "DoNotSchedule";
pub const SCHEDULE_ANYWAY: &str = "ScheduleAnyway";

pub fn pod_namespace(pod: &Pod) -> &str {
    pod.metadata.namespace.as_deref().unwrap_or("default")
}

pub fn pod_labels(pod: &Pod) -> &Labels {
    pod.metadata.labels.as_ref().unwrap_or(&NO_LABELS)
}

pub fn node_labels(node: &Node) -> &Labels {
    node.metadata.labels.as_ref().unwrap_or(&NO_LABELS)
}

/// A topology domain: node label `key` with value `value`, e.g. `zone=zone1`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopologyPair {
    pub key: String,
    pub value: String,
}

impl TopologyPair {
    pub fn new(key: &str, value: &str) -> TopologyPair {
        TopologyPair {
            key: key.to_string(),
            value: value.to_string(),
        }
    }
}

/// `nodeAffinityPolicy` / `nodeTaintsPolicy`: does a node that the pod could not run on (by
/// node affinity / by taints) still count as a domain to spread over?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeInclusionPolicy {
    /// Only nodes the pod could run on count.
    Honor,
    /// Every node with the topology label counts.
    Ignore,
}

/// One constraint of the pod, ready to check. Upstream: `topologySpreadConstraint`.
#[derive(Debug, Clone, PartialEq)]
pub struct SpreadConstraint {
    pub max_skew: i64,
    pub topology_key: String,
    /// Which pods count. `None`: a missing `labelSelector`, which selects no pod.
    pub selector: Option<Selector>,
    pub min_domains: i64,
    pub node_affinity_policy: NodeInclusionPolicy,
    pub node_taints_policy: NodeInclusionPolicy,
}

impl SpreadConstraint {
    /// Does the constraint's selector select pods with these labels?
    pub fn selects(&self, labels: &Labels) -> bool {
        self.selector
            .as_ref()
            .is_some_and(|s| s.matches_map(labels))
    }

    /// Is `node` a place this constraint spreads over, given the policies? Upstream:
    /// `matchNodeInclusionPolicies`.
    pub fn includes_node(&self, pod: &Pod, node: &Node, required: &RequiredNodeAffinity) -> bool {
        if self.node_affinity_policy == NodeInclusionPolicy::Honor && !required.matches(node) {
            return false;
        }
        if self.node_taints_policy == NodeInclusionPolicy::Honor {
            let taints = node
                .spec
                .as_ref()
                .and_then(|s| s.taints.as_deref())
                .unwrap_or(&[]);
            let tolerations = pod
                .spec
                .as_ref()
                .and_then(|s| s.tolerations.as_deref())
                .unwrap_or(&[]);
            if find_matching_untolerated_taint(taints, tolerations, is_do_not_schedule_taint)
                .is_some()
            {
                return false;
            }
        }
        true
    }
}

/// Does the node carry every constraint's topology label? A node that lacks one is in no
/// domain of that constraint and does not take part in the spreading at all.
pub fn node_labels_match_spread_constraints(
    labels: &Labels,
    constraints: &[SpreadConstraint],
) -> bool {
    constraints
        .iter()
        .all(|c| labels.contains_key(&c.topology_key))
}

/// How many of `pods` in namespace `namespace` the selector selects. Terminating pods do not
/// count (they are on their way out). An empty selector counts nothing (as upstream, which
/// treats "select everything" as a mistake here).
pub fn count_pods_match_selector(
    pods: &[PodInfo],
    selector: &Option<Selector>,
    namespace: &str,
) -> i64 {
    let Some(selector) = selector.as_ref().filter(|s| !s.is_empty()) else {
        return 0;
    };
    let counted = pods.iter().filter(|p| {
        p.pod.metadata.deletion_timestamp.is_none()
            && pod_namespace(&p.pod) == namespace
            && selector.matches_map(pod_labels(&p.pod))
    });
    counted.count() as i64
}

fn policy(value: Option<&str>, default: NodeInclusionPolicy) -> NodeInclusionPolicy {
    match value {
        None => default,
        Some("Honor") => NodeInclusionPolicy::Honor,
        // Upstream compares with "Honor" only; anything else acts as Ignore.
        Some(_) => NodeInclusionPolicy::Ignore,
    }
}

/// The constraints whose `whenUnsatisfiable` is `action`, parsed. `matchLabelKeys` adds
/// `key=<the pod's value>` to the selector for each listed key the pod has ("spread among
/// the pods of my revision"). Upstream: `filterTopologySpreadConstraints`.
pub fn filter_topology_spread_constraints(
    constraints: &[TopologySpreadConstraint],
    pod_labels: &Labels,
    action: &str,
) -> Result<Vec<SpreadConstraint>, String> {
    let mut result = Vec::new();
    for c in constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == action)
    {
        let mut selector = c
            .label_selector
            .as_ref()
            .map(Selector::from_label_selector)
            .transpose()
            .map_err(|e| e.to_string())?;
        if let Some(selector) = selector.as_mut() {
            for key in c.match_label_keys.iter().flatten() {
                if let Some(value) = pod_labels.get(key) {
                    selector.requirements.push(Requirement {
                        key: key.clone(),
                        operator: Operator::Equals,
                        values: vec![value.clone()],
                    });
                }
            }
            // Keep the canonical order (by key), as a selector parsed from text has.
            selector.requirements.sort_by(|a, b| a.key.cmp(&b.key));
        }
        result.push(SpreadConstraint {
            max_skew: i64::from(c.max_skew),
            topology_key: c.topology_key.clone(),
            selector,
            min_domains: c.min_domains.map_or(1, i64::from),
            node_affinity_policy: policy(
                c.node_affinity_policy.as_deref(),
                NodeInclusionPolicy::Honor,
            ),
            node_taints_policy: policy(
                c.node_taints_policy.as_deref(),
                NodeInclusionPolicy::Ignore,
            ),
        });
    }
    Ok(result)
}

/// Labels that differ from pod to pod of one StatefulSet: a selector containing them would
/// select only the pod itself.
const PER_POD_LABELS: [&str; 3] = [
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "controller-revision-hash",
];

/// The selector default constraints use for `pod`: "the pods of the same workload".
///
/// Upstream merges the selectors of the Services, ReplicationControllers, ReplicaSets and
/// StatefulSets the pod belongs to (`helper.DefaultSelector`), read from informers. kubeling's
/// plugin has no such listers yet, so it stands in with the pod's own labels when a
/// ReplicaSet, StatefulSet or ReplicationController controls the pod (its `ownerReferences`
/// entry with `controller: true`): those controllers stamp their selector's labels on every
/// pod they create, so sibling pods share them — less the per-pod StatefulSet labels. Pods
/// selected only by a Service get no default constraints; pods with extra labels of their own
/// get a narrower selector than upstream's.
pub fn default_selector(pod: &Pod) -> Option<Selector> {
    let owners = pod.metadata.owner_references.iter().flatten();
    let controlled = owners.filter(|o| o.controller == Some(true)).any(|o| {
        matches!(
            (o.api_version.as_str(), o.kind.as_str()),
            ("apps/v1", "ReplicaSet")
                | ("apps/v1", "StatefulSet")
                | ("v1", "ReplicationController")
        )
    });
    if !controlled {
        return None;
    }
    let requirements: Vec<Requirement> = pod_labels(pod)
        .iter()
        .filter(|(k, _)| !PER_POD_LABELS.contains(&k.as_str()))
        .map(|(k, v)| Requirement {
            key: k.clone(),
            operator: Operator::Equals,
            values: vec![v.clone()],
        })
        .collect();
    (!requirements.is_empty()).then_some(Selector { requirements })
}

/// The default constraints (from the args) with `action`, each selecting the pod's workload;
/// none when the pod belongs to no workload. Upstream: `buildDefaultConstraints`.
pub fn build_default_constraints(
    defaults: &[TopologySpreadConstraint],
    pod: &Pod,
    action: &str,
) -> Result<Vec<SpreadConstraint>, String> {
    let mut constraints = filter_topology_spread_constraints(defaults, pod_labels(pod), action)?;
    if constraints.is_empty() {
        return Ok(constraints);
    }
    let Some(selector) = default_selector(pod) else {
        return Ok(Vec::new());
    };
    for c in &mut constraints {
        c.selector = Some(selector.clone());
    }
    Ok(constraints)
}

/// The pod's constraints with `action`: its own if it has any, else the defaults.
pub fn get_constraints(
    defaults: &[TopologySpreadConstraint],
    pod: &Pod,
    action: &str,
) -> Result<Vec<SpreadConstraint>, String> {
    let own = pod
        .spec
        .as_ref()
        .and_then(|s| s.topology_spread_constraints.as_deref())
        .unwrap_or(&[]);
    let kind = if action == DO_NOT_SCHEDULE {
        "hard"
    } else {
        "soft"
    };
    if !own.is_empty() {
        filter_topology_spread_constraints(own, pod_labels(pod), action)
            .map_err(|e| format!("obtaining pod's {kind} topology spread constraints: {e}"))
    } else {
        build_default_constraints(defaults, pod, action)
            .map_err(|e| format!("setting default {kind} topology spread constraints: {e}"))
    }
}
