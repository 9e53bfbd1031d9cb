//! Builders for the tests: affinity terms written as in upstream's tests
//! (`st.MakePod().PodAffinityIn("service", "region", ...)`), nodes with exactly the labels given,
//! and a snapshot that places pods on nodes by `spec.nodeName`.

use crate::framework::{NodeInfo, PodInfo, Snapshot};
use crate::testing::PodWrapper;
use k8s_openapi::api::core::v1::{
    Affinity, Node, Pod, PodAffinity, PodAffinityTerm, PodAntiAffinity, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use std::collections::BTreeMap;
use std::sync::Arc;

pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A node with exactly these labels (no automatic hostname label).
pub fn node(name: &str, node_labels: &[(&str, &str)]) -> Node {
    let mut node = Node::default();
    node.metadata.name = Some(name.to_string());
    node.metadata.labels = Some(labels(node_labels));
    node
}

/// Nodes with the pods whose `spec.nodeName` names them; pods on unknown nodes are dropped
/// (as upstream's `cache.NewSnapshot`).
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

/// One `matchExpressions` entry, e.g. `expr("service", "In", &["a", "b"])`.
pub fn expr(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.to_string(),
        operator: operator.to_string(),
        values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
    }
}

/// A term selecting pods by these expressions, over `topology_key`.
pub fn term(exprs: Vec<LabelSelectorRequirement>, topology_key: &str) -> PodAffinityTerm {
    PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_expressions: Some(exprs),
            match_labels: None,
        }),
        topology_key: topology_key.to_string(),
        ..PodAffinityTerm::default()
    }
}

pub fn term_in(key: &str, values: &[&str], topology_key: &str) -> PodAffinityTerm {
    term(vec![expr(key, "In", values)], topology_key)
}

pub fn term_not_in(key: &str, values: &[&str], topology_key: &str) -> PodAffinityTerm {
    term(vec![expr(key, "NotIn", values)], topology_key)
}

pub fn term_exists(key: &str, topology_key: &str) -> PodAffinityTerm {
    term(vec![expr(key, "Exists", &[])], topology_key)
}

/// `namespaceSelector: {matchExpressions: [{key, operator: In, values}]}` on a term.
pub fn in_namespaces_labelled(
    mut t: PodAffinityTerm,
    key: &str,
    values: &[&str],
) -> PodAffinityTerm {
    t.namespace_selector = Some(LabelSelector {
        match_expressions: Some(vec![expr(key, "In", values)]),
        match_labels: None,
    });
    t
}

/// A pod's affinity, assembled term by term.
#[derive(Clone, Default)]
pub struct AffinityBuilder {
    required: Vec<PodAffinityTerm>,
    preferred: Vec<WeightedPodAffinityTerm>,
    anti_required: Vec<PodAffinityTerm>,
    anti_preferred: Vec<WeightedPodAffinityTerm>,
}

pub fn affinity() -> AffinityBuilder {
    AffinityBuilder::default()
}

fn weighted(weight: i32, term: PodAffinityTerm) -> WeightedPodAffinityTerm {
    WeightedPodAffinityTerm {
        pod_affinity_term: term,
        weight,
    }
}

impl AffinityBuilder {
    pub fn required(mut self, t: PodAffinityTerm) -> Self {
        self.required.push(t);
        self
    }
    pub fn preferred(mut self, weight: i32, t: PodAffinityTerm) -> Self {
        self.preferred.push(weighted(weight, t));
        self
    }
    pub fn anti_required(mut self, t: PodAffinityTerm) -> Self {
        self.anti_required.push(t);
        self
    }
    pub fn anti_preferred(mut self, weight: i32, t: PodAffinityTerm) -> Self {
        self.anti_preferred.push(weighted(weight, t));
        self
    }

    pub fn build(&self) -> Affinity {
        let some = |v: &Vec<PodAffinityTerm>| (!v.is_empty()).then(|| v.clone());
        let some_w = |v: &Vec<WeightedPodAffinityTerm>| (!v.is_empty()).then(|| v.clone());
        let pod_affinity = PodAffinity {
            required_during_scheduling_ignored_during_execution: some(&self.required),
            preferred_during_scheduling_ignored_during_execution: some_w(&self.preferred),
        };
        let pod_anti_affinity = PodAntiAffinity {
            required_during_scheduling_ignored_during_execution: some(&self.anti_required),
            preferred_during_scheduling_ignored_during_execution: some_w(&self.anti_preferred),
        };
        let has = |r: bool, p: bool| r || p;
        Affinity {
            pod_affinity: has(!self.required.is_empty(), !self.preferred.is_empty())
                .then_some(pod_affinity),
            pod_anti_affinity: has(
                !self.anti_required.is_empty(),
                !self.anti_preferred.is_empty(),
            )
            .then_some(pod_anti_affinity),
            node_affinity: None,
        }
    }
}

/// `make_pod(..).affinity(&affinity().required(...))`.
pub trait WithAffinity {
    fn affinity(self, a: &AffinityBuilder) -> Self;
}

impl WithAffinity for PodWrapper {
    fn affinity(self, a: &AffinityBuilder) -> Self {
        let built = a.build();
        self.with(|pod| {
            if let Some(spec) = pod.spec.as_mut() {
                spec.affinity = Some(built);
            }
        })
    }
}
