//! Builders for the tests, shaped like upstream's (`st.MakePod().SpreadConstraint(...)`,
//! `st.MakeNode().Label(...)`): nodes with exactly the labels given, a snapshot placing pods by
//! `spec.nodeName`, selectors and constraints.

use super::common::{NodeInclusionPolicy, SpreadConstraint, TopologyPair};
use super::filtering::{CriticalPath, CriticalPaths, PreFilterState, PRE_FILTER_STATE_KEY};
use super::{PodTopologySpread, PodTopologySpreadArgs, LIST_DEFAULTING};
use crate::framework::{CycleState, NodeInfo, PodInfo, PreFilterPlugin, Snapshot, Status};
use crate::testing::{make_pod, PodWrapper};
use k8s_openapi::api::core::v1::{
    Affinity, Node, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    NodeSpec, Pod, Taint, TopologySpreadConstraint,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, OwnerReference, Time,
};
use machinery::labels::Selector;
use std::sync::Arc;

/// A node with exactly these labels.
pub fn node(name: &str, labels: &[(&str, &str)]) -> Node {
    let mut node = Node::default();
    node.metadata.name = Some(name.to_string());
    node.metadata.labels = Some(
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    node
}

/// The same node, cordoned the way upstream's tests do it: a `NoSchedule` taint
/// `node.kubernetes.io/unschedulable`.
pub fn tainted(mut node: Node) -> Node {
    node.spec = Some(NodeSpec {
        taints: Some(vec![Taint {
            key: "node.kubernetes.io/unschedulable".to_string(),
            effect: "NoSchedule".to_string(),
            ..Taint::default()
        }]),
        ..NodeSpec::default()
    });
    node
}

/// Nodes with the pods whose `spec.nodeName` names them.
pub fn snapshot(pods: &[Pod], nodes: &[Node]) -> Snapshot {
    let infos = nodes
        .iter()
        .map(|n| {
            let mut info = NodeInfo::new(Arc::new(n.clone()));
            for p in pods {
                let on = p.spec.as_ref().and_then(|s| s.node_name.as_deref());
                if on.is_some() && on == n.metadata.name.as_deref() {
                    info.add_pod(PodInfo::new(Arc::new(p.clone())));
                }
            }
            info
        })
        .collect();
    Snapshot::new(infos)
}

/// `{matchExpressions: [{key, operator: Exists}]}`: upstream's `fooSelector`, `barSelector`.
pub fn exists(key: &str) -> Option<LabelSelector> {
    Some(LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: key.to_string(),
            operator: "Exists".to_string(),
            values: None,
        }]),
        match_labels: None,
    })
}

/// `{matchLabels: {...}}`.
pub fn match_labels(labels: &[(&str, &str)]) -> Option<LabelSelector> {
    Some(LabelSelector {
        match_labels: Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        match_expressions: None,
    })
}

/// A constraint; other fields (minDomains, policies, matchLabelKeys) by struct update.
pub fn constraint(
    max_skew: i32,
    topology_key: &str,
    when: &str,
    selector: Option<LabelSelector>,
) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew,
        topology_key: topology_key.to_string(),
        when_unsatisfiable: when.to_string(),
        label_selector: selector,
        ..TopologySpreadConstraint::default()
    }
}

pub trait PodExt {
    /// Add a topology spread constraint.
    fn spread(self, c: TopologySpreadConstraint) -> Self;
    /// Required node affinity with one expression, e.g. `("node", "NotIn", &["node-x"])`.
    fn node_affinity(self, key: &str, operator: &str, values: &[&str]) -> Self;
    /// Being deleted (`metadata.deletionTimestamp` set).
    fn terminating(self) -> Self;
    /// Controlled by a workload object (`ownerReferences` with `controller: true`).
    fn owned_by(self, api_version: &str, kind: &str, name: &str) -> Self;
}

impl PodExt for PodWrapper {
    fn spread(self, c: TopologySpreadConstraint) -> Self {
        self.with(|p| {
            if let Some(spec) = p.spec.as_mut() {
                spec.topology_spread_constraints
                    .get_or_insert_with(Vec::new)
                    .push(c);
            }
        })
    }

    fn node_affinity(self, key: &str, operator: &str, values: &[&str]) -> Self {
        let requirement = NodeSelectorRequirement {
            key: key.to_string(),
            operator: operator.to_string(),
            values: Some(values.iter().map(|v| v.to_string()).collect()),
        };
        let affinity = Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                    node_selector_terms: vec![NodeSelectorTerm {
                        match_expressions: Some(vec![requirement]),
                        match_fields: None,
                    }],
                }),
                preferred_during_scheduling_ignored_during_execution: None,
            }),
            ..Affinity::default()
        };
        self.with(|p| {
            if let Some(spec) = p.spec.as_mut() {
                spec.affinity = Some(affinity);
            }
        })
    }

    fn terminating(self) -> Self {
        self.with(|p| p.metadata.deletion_timestamp = Some(Time(chrono::Utc::now())))
    }

    fn owned_by(self, api_version: &str, kind: &str, name: &str) -> Self {
        let owner = OwnerReference {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            name: name.to_string(),
            uid: format!("uid-{name}"),
            controller: Some(true),
            block_owner_deletion: None,
        };
        self.with(|p| p.metadata.owner_references = Some(vec![owner]))
    }
}

// What the PreFilter tests share.

pub const HARD: &str = "DoNotSchedule";
pub const SOFT: &str = "ScheduleAnyway";

/// A plugin with `defaultingType: List` and these default constraints.
pub fn plugin_with(defaults: Vec<TopologySpreadConstraint>) -> PodTopologySpread {
    PodTopologySpread::new(PodTopologySpreadArgs {
        default_constraints: defaults,
        defaulting_type: LIST_DEFAULTING.to_string(),
    })
}

pub fn plugin() -> PodTopologySpread {
    plugin_with(Vec::new())
}

/// A node labelled `zone=<zone>` and `node=<name>`, as most of upstream's cases.
pub fn zn(name: &str, zone: &str) -> Node {
    node(name, &[("zone", zone), ("node", name)])
}

/// The usual four nodes: node-a and node-b in zone1, node-x and node-y in zone2.
pub fn four_nodes() -> Vec<Node> {
    vec![
        zn("node-a", "zone1"),
        zn("node-b", "zone1"),
        zn("node-x", "zone2"),
        zn("node-y", "zone2"),
    ]
}

/// A pod on `node_name` with the given labels (values empty, as upstream's `Label("foo", "")`).
pub fn on(name: &str, node_name: &str, keys: &[&str]) -> Pod {
    let labels: Vec<(&str, &str)> = keys.iter().map(|k| (*k, "")).collect();
    make_pod(name).node(node_name).labels(&labels).obj()
}

/// The expected counts: `(key, value, matching pods)` per domain, domains per key, and the
/// two critical paths per key as `(key, (value, num), (value, num))`.
/// A critical-paths expectation: `(key, (value, num), (value, num))`.
pub type WantPaths = (&'static str, (&'static str, i64), (&'static str, i64));

pub struct Want {
    pub matches: Vec<(&'static str, &'static str, i64)>,
    pub domains: Vec<(&'static str, i64)>,
    pub paths: Vec<WantPaths>,
}

/// Upstream compares critical paths with equal counts regardless of their order.
pub fn sorted(mut p: CriticalPaths) -> CriticalPaths {
    if p.0[0].match_num == p.0[1].match_num && p.0[0].topology_value > p.0[1].topology_value {
        p.0.swap(0, 1);
    }
    p
}

pub fn assert_state(name: &str, got: &PreFilterState, want: &Want) {
    let matches: Vec<(TopologyPair, i64)> = want
        .matches
        .iter()
        .map(|(k, v, n)| (TopologyPair::new(k, v), *n))
        .collect();
    let got_matches: Vec<(TopologyPair, i64)> = got
        .tp_pair_to_match_num
        .iter()
        .map(|(p, n)| (p.clone(), *n))
        .collect();
    let mut matches_sorted = matches;
    matches_sorted.sort();
    assert_eq!(
        got_matches, matches_sorted,
        "{name}: matching pods per domain"
    );
    let domains: Vec<(String, i64)> = want
        .domains
        .iter()
        .map(|(k, n)| (k.to_string(), *n))
        .collect();
    let mut domains_sorted = domains;
    domains_sorted.sort();
    let got_domains: Vec<(String, i64)> = got.tp_key_to_domains_num.clone().into_iter().collect();
    assert_eq!(got_domains, domains_sorted, "{name}: domains per key");
    let path = |(value, num): (&str, i64)| CriticalPath {
        topology_value: value.to_string(),
        match_num: num,
    };
    for (key, first, second) in &want.paths {
        let want_paths = sorted(CriticalPaths([path(*first), path(*second)]));
        let got_paths = got.tp_key_to_critical_paths.get(*key).cloned().map(sorted);
        assert_eq!(
            got_paths,
            Some(want_paths),
            "{name}: critical paths of {key}"
        );
    }
    assert_eq!(
        got.tp_key_to_critical_paths.len(),
        want.paths.len(),
        "{name}: keys with paths"
    );
}

/// A constraint as PreFilter should parse it; `selector` in selector text, `None` for none.
pub fn parsed(
    max_skew: i64,
    key: &str,
    selector: Option<&str>,
    affinity: NodeInclusionPolicy,
    taints: NodeInclusionPolicy,
) -> SpreadConstraint {
    SpreadConstraint {
        max_skew,
        topology_key: key.to_string(),
        selector: selector.map(|s| Selector::parse(s).expect("selector")),
        min_domains: 1,
        node_affinity_policy: affinity,
        node_taints_policy: taints,
    }
}

pub const HONOR: NodeInclusionPolicy = NodeInclusionPolicy::Honor;
pub const IGNORE: NodeInclusionPolicy = NodeInclusionPolicy::Ignore;

pub fn pre_filter(
    plugin: &PodTopologySpread,
    pod: &Pod,
    pods: &[Pod],
    nodes: &[Node],
) -> (Status, CycleState) {
    let mut state = CycleState::new();
    let (result, status) = plugin.pre_filter(&mut state, pod, &snapshot(pods, nodes));
    assert_eq!(result, None, "PreFilter never narrows the nodes");
    (status, state)
}

pub fn read(state: &CycleState) -> PreFilterState {
    state
        .read::<PreFilterState>(PRE_FILTER_STATE_KEY)
        .cloned()
        .expect("state")
}

pub fn w(
    matches: Vec<(&'static str, &'static str, i64)>,
    domains: Vec<(&'static str, i64)>,
    paths: Vec<WantPaths>,
) -> Want {
    Want {
        matches,
        domains,
        paths,
    }
}
