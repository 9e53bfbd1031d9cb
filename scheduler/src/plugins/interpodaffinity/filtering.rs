//! The required terms: PreFilter counts matching pods per topology domain once; Filter then
//! answers each node with three lookups. Upstream:
//! `pkg/scheduler/framework/plugins/interpodaffinity/filtering.go`.
//!
//! Three counts, each "topology domain (key, value) → how many":
//! - **existing anti-affinity**: existing pods whose required anti-affinity selects the
//!   incoming pod. The incoming pod may not join their domain ("symmetry": a pod that keeps
//!   others away is respected even by pods that never mention it).
//! - **affinity**: existing pods that match *all* of the incoming pod's required affinity
//!   terms. Every term's domain on the node must hold at least one.
//! - **anti-affinity**: existing pods that match one of the incoming pod's required
//!   anti-affinity terms. The node's domain for that term must hold none.

use super::plugin::InterPodAffinity;
use super::terms::{aggregate, pod_namespace, AffinityTerm, Labels, PodTerms};
use crate::framework::{
    CycleState, FilterPlugin, NodeInfo, PodInfo, PreFilterPlugin, PreFilterResult, Snapshot, Status,
};
use k8s_openapi::api::core::v1::{Node, Pod};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) const PRE_FILTER_STATE_KEY: &str = "PreFilterInterPodAffinity";

pub const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
pub const ERR_REASON_AFFINITY_RULES_NOT_MATCH: &str = "node(s) didn't match pod affinity rules";
pub const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH: &str =
    "node(s) didn't match pod anti-affinity rules";

static NO_LABELS: Labels = BTreeMap::new();

pub(super) fn node_labels(node: &Node) -> &Labels {
    node.metadata.labels.as_ref().unwrap_or(&NO_LABELS)
}

/// A topology domain: the node label `key` with value `value`, e.g. `zone=us-east-1a`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopologyPair {
    pub key: String,
    pub value: String,
}

/// Topology domain → number of matches. Entries that drop to zero are removed, so two counts
/// with the same matches compare equal however they got there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopologyToMatchedTermCount(pub BTreeMap<TopologyPair, i64>);

impl TopologyToMatchedTermCount {
    pub fn get(&self, key: &str, value: &str) -> i64 {
        let pair = TopologyPair {
            key: key.to_string(),
            value: value.to_string(),
        };
        self.0.get(&pair).copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Add `value` to the node's domain for `topology_key`; nodes without the label have no
    /// such domain and count nowhere.
    fn update(&mut self, node: &Node, topology_key: &str, value: i64) {
        let Some(topology_value) = node_labels(node).get(topology_key) else {
            return;
        };
        let pair = TopologyPair {
            key: topology_key.to_string(),
            value: topology_value.clone(),
        };
        let count = self.0.entry(pair.clone()).or_insert(0);
        *count += value;
        if *count == 0 {
            self.0.remove(&pair);
        }
    }

    /// Affinity: `pod` counts only if it matches *every* term (one pod must satisfy them all),
    /// and then once for each term's domain.
    pub fn update_with_affinity_terms(
        &mut self,
        terms: &[AffinityTerm],
        pod: &Pod,
        node: &Node,
        value: i64,
    ) {
        if pod_matches_all_affinity_terms(terms, pod) {
            for term in terms {
                self.update(node, &term.topology_key, value);
            }
        }
    }

    /// Anti-affinity: each term that selects `pod` counts on its own.
    pub fn update_with_anti_affinity_terms(
        &mut self,
        terms: &[AffinityTerm],
        pod: &Pod,
        namespace_labels: Option<&Labels>,
        node: &Node,
        value: i64,
    ) {
        for term in terms {
            if term.matches(pod, namespace_labels) {
                self.update(node, &term.topology_key, value);
            }
        }
    }
}

/// Does `pod` match all of `terms`? No terms: no. The incoming pod's terms have their
/// namespace selectors merged already, so no namespace labels are needed.
pub fn pod_matches_all_affinity_terms(terms: &[AffinityTerm], pod: &Pod) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.matches(pod, None))
}

/// What PreFilter computes for Filter (and AddPod/RemovePod keep up to date).
#[derive(Debug, Clone, PartialEq)]
pub struct PreFilterState {
    pub existing_anti_affinity_counts: TopologyToMatchedTermCount,
    pub affinity_counts: TopologyToMatchedTermCount,
    pub anti_affinity_counts: TopologyToMatchedTermCount,
    /// The incoming pod and its parsed terms (namespace selectors merged).
    pub pod: Arc<Pod>,
    pub terms: PodTerms,
    /// Labels of the incoming pod's namespace, for existing pods' `namespaceSelector`s.
    pub namespace_labels: Option<Labels>,
}

impl PreFilterState {
    /// Preemption's "what if `updated` were added (1) to / removed (-1) from `node`?".
    fn update_with_pod(&mut self, updated: &Pod, node: &Node, multiplier: i64) {
        let (updated_terms, _) = PodTerms::parse(updated);
        self.existing_anti_affinity_counts
            .update_with_anti_affinity_terms(
                &updated_terms.required_anti_affinity,
                &self.pod,
                self.namespace_labels.as_ref(),
                node,
                multiplier,
            );
        self.affinity_counts.update_with_affinity_terms(
            &self.terms.required_affinity,
            updated,
            node,
            multiplier,
        );
        self.anti_affinity_counts.update_with_anti_affinity_terms(
            &self.terms.required_anti_affinity,
            updated,
            None,
            node,
            multiplier,
        );
    }
}

fn missing_state() -> Status {
    Status::error(format!(
        "error reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
    ))
}

impl InterPodAffinity {
    /// Existing pods whose required anti-affinity selects `pod`, per domain. Only nodes holding
    /// such pods need looking at (the snapshot keeps that list).
    pub(super) fn existing_anti_affinity_counts<'a>(
        pod: &Pod,
        namespace_labels: Option<&Labels>,
        nodes: impl Iterator<Item = &'a Arc<NodeInfo>>,
    ) -> TopologyToMatchedTermCount {
        let mut counts = TopologyToMatchedTermCount::default();
        for node in nodes {
            for existing in &node.pods_with_required_anti_affinity {
                // An existing pod whose terms do not parse keeps nothing away (as upstream,
                // whose cache logs the error and keeps the terms that did parse).
                let (terms, _) = PodTerms::parse(&existing.pod);
                counts.update_with_anti_affinity_terms(
                    &terms.required_anti_affinity,
                    pod,
                    namespace_labels,
                    &node.node,
                    1,
                );
            }
        }
        counts
    }

    /// Existing pods (on every node) that match the incoming pod's affinity and anti-affinity.
    pub(super) fn incoming_affinity_anti_affinity_counts(
        terms: &PodTerms,
        nodes: &[Arc<NodeInfo>],
    ) -> (TopologyToMatchedTermCount, TopologyToMatchedTermCount) {
        let mut affinity = TopologyToMatchedTermCount::default();
        let mut anti_affinity = TopologyToMatchedTermCount::default();
        if terms.required_affinity.is_empty() && terms.required_anti_affinity.is_empty() {
            return (affinity, anti_affinity);
        }
        for node in nodes {
            for existing in &node.pods {
                affinity.update_with_affinity_terms(
                    &terms.required_affinity,
                    &existing.pod,
                    &node.node,
                    1,
                );
                anti_affinity.update_with_anti_affinity_terms(
                    &terms.required_anti_affinity,
                    &existing.pod,
                    None,
                    &node.node,
                    1,
                );
            }
        }
        (affinity, anti_affinity)
    }
}

impl PreFilterPlugin for InterPodAffinity {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let (mut terms, errors) = PodTerms::parse(pod);
        if !errors.is_empty() {
            return (
                None,
                Status::unresolvable(format!("parsing pod: {}", aggregate(&errors))),
            );
        }
        for term in terms
            .required_affinity
            .iter_mut()
            .chain(terms.required_anti_affinity.iter_mut())
        {
            self.merge_namespace_selector(term);
        }
        let namespace_labels = self.namespace_labels(pod_namespace(pod));
        let existing_anti_affinity_counts = Self::existing_anti_affinity_counts(
            pod,
            namespace_labels.as_ref(),
            snapshot.have_pods_with_required_anti_affinity(),
        );
        let (affinity_counts, anti_affinity_counts) =
            Self::incoming_affinity_anti_affinity_counts(&terms, snapshot.list());

        // Nothing applies: no existing pod keeps this one away and it has no required terms.
        if existing_anti_affinity_counts.is_empty()
            && terms.required_affinity.is_empty()
            && terms.required_anti_affinity.is_empty()
        {
            return (None, Status::skip());
        }
        state.write(
            PRE_FILTER_STATE_KEY,
            PreFilterState {
                existing_anti_affinity_counts,
                affinity_counts,
                anti_affinity_counts,
                pod: Arc::new(pod.clone()),
                terms,
                namespace_labels,
            },
        );
        (None, Status::success())
    }

    fn add_pod(
        &self,
        state: &mut CycleState,
        _pod_to_schedule: &Pod,
        pod_to_add: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        s.update_with_pod(&pod_to_add.pod, &node.node, 1);
        Status::success()
    }

    fn remove_pod(
        &self,
        state: &mut CycleState,
        _pod_to_schedule: &Pod,
        pod_to_remove: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        s.update_with_pod(&pod_to_remove.pod, &node.node, -1);
        Status::success()
    }
}

/// No existing pod's anti-affinity may cover the node in any of its domains.
fn satisfy_existing_pods_anti_affinity(s: &PreFilterState, node: &Node) -> bool {
    s.existing_anti_affinity_counts.is_empty()
        || node_labels(node)
            .iter()
            .all(|(key, value)| s.existing_anti_affinity_counts.get(key, value) <= 0)
}

/// For each anti-affinity term, the node's domain must hold no matching pod.
fn satisfy_pod_anti_affinity(s: &PreFilterState, node: &Node) -> bool {
    if s.anti_affinity_counts.is_empty() {
        return true;
    }
    s.terms.required_anti_affinity.iter().all(|term| {
        match node_labels(node).get(&term.topology_key) {
            Some(value) => s.anti_affinity_counts.get(&term.topology_key, value) <= 0,
            None => true,
        }
    })
}

/// For each affinity term the node must have the topology label, and its domain must hold a
/// pod matching all terms.
fn satisfy_pod_affinity(s: &PreFilterState, node: &Node) -> bool {
    let mut pods_exist = true;
    for term in &s.terms.required_affinity {
        match node_labels(node).get(&term.topology_key) {
            Some(value) => {
                if s.affinity_counts.get(&term.topology_key, value) <= 0 {
                    pods_exist = false;
                }
            }
            // The node is in no domain of this term at all.
            None => return false,
        }
    }
    if pods_exist {
        return true;
    }
    // The first pod of a group that wants to be together ("all web pods in one zone") would
    // otherwise wait forever for a partner. So: if no pod anywhere matches the terms and the
    // pod matches its own terms, any node with the topology labels will do.
    s.affinity_counts.is_empty()
        && pod_matches_all_affinity_terms(&s.terms.required_affinity, &s.pod)
}

impl FilterPlugin for InterPodAffinity {
    fn filter(&self, state: &CycleState, _pod: &Pod, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        // Affinity failures cannot be fixed by evicting pods (that only removes partners);
        // anti-affinity failures might be.
        if !satisfy_pod_affinity(s, &node.node) {
            return Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH);
        }
        if !satisfy_pod_anti_affinity(s, &node.node) {
            return Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        if !satisfy_existing_pods_anti_affinity(s, &node.node) {
            return Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
        Status::success()
    }
}
