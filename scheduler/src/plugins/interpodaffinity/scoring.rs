//! The preferred terms: PreScore sums weights per topology domain, Score adds up the domains a
//! node is in, NormalizeScore stretches the result onto 0..=100. Upstream:
//! `pkg/scheduler/framework/plugins/interpodaffinity/scoring.go`.
//!
//! Every existing pod contributes in both directions:
//! - the incoming pod's preferred affinity (+weight) / anti-affinity (-weight) terms that
//!   select the existing pod, in the existing pod's domain;
//! - the existing pod's own terms that select the incoming pod: required affinity
//!   (+`hardPodAffinityWeight`), preferred affinity (+weight), preferred anti-affinity
//!   (-weight) — "symmetry": pods that like or dislike the newcomer have a say too.

use super::filtering::node_labels;
use super::plugin::InterPodAffinity;
use super::terms::{
    aggregate, pod_namespace, AffinityTerm, Labels, PodTerms, WeightedAffinityTerm,
};
use crate::framework::{
    CycleState, NodeInfo, NodeScore, PreScorePlugin, ScorePlugin, Snapshot, Status, MAX_NODE_SCORE,
};
use k8s_openapi::api::core::v1::{Node, Pod};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) const PRE_SCORE_STATE_KEY: &str = "PreScoreInterPodAffinity";

/// Topology key → topology value → summed weight.
pub type ScoreMap = BTreeMap<String, BTreeMap<String, i64>>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreScoreState {
    pub topology_score: ScoreMap,
}

/// If `term` selects `pod`, add `weight × multiplier` to `node`'s domain for the term.
fn process_term(
    scores: &mut ScoreMap,
    term: &AffinityTerm,
    weight: i64,
    pod: &Pod,
    namespace_labels: Option<&Labels>,
    node: &Node,
    multiplier: i64,
) {
    if !term.matches(pod, namespace_labels) {
        return;
    }
    if let Some(value) = node_labels(node).get(&term.topology_key) {
        *scores
            .entry(term.topology_key.clone())
            .or_default()
            .entry(value.clone())
            .or_insert(0) += weight * multiplier;
    }
}

fn process_terms(
    scores: &mut ScoreMap,
    terms: &[WeightedAffinityTerm],
    pod: &Pod,
    namespace_labels: Option<&Labels>,
    node: &Node,
    multiplier: i64,
) {
    for t in terms {
        process_term(
            scores,
            &t.term,
            t.weight,
            pod,
            namespace_labels,
            node,
            multiplier,
        );
    }
}

impl InterPodAffinity {
    /// Everything one existing pod contributes (see the module comment).
    fn process_existing_pod(
        &self,
        incoming: (&Pod, &PodTerms, Option<&Labels>),
        existing: &Pod,
        existing_node: &Node,
        scores: &mut ScoreMap,
    ) {
        let (incoming_pod, incoming_terms, namespace_labels) = incoming;
        if node_labels(existing_node).is_empty() {
            return;
        }
        // The incoming pod's terms have their namespace selectors merged: no labels needed.
        let preferred = &incoming_terms.preferred_affinity;
        process_terms(scores, preferred, existing, None, existing_node, 1);
        let preferred_anti = &incoming_terms.preferred_anti_affinity;
        process_terms(scores, preferred_anti, existing, None, existing_node, -1);

        let (existing_terms, _) = PodTerms::parse(existing);
        if self.args.hard_pod_affinity_weight > 0 {
            for term in &existing_terms.required_affinity {
                let weight = self.args.hard_pod_affinity_weight;
                process_term(
                    scores,
                    term,
                    weight,
                    incoming_pod,
                    namespace_labels,
                    existing_node,
                    1,
                );
            }
        }
        let theirs = &existing_terms.preferred_affinity;
        process_terms(
            scores,
            theirs,
            incoming_pod,
            namespace_labels,
            existing_node,
            1,
        );
        let theirs_anti = &existing_terms.preferred_anti_affinity;
        process_terms(
            scores,
            theirs_anti,
            incoming_pod,
            namespace_labels,
            existing_node,
            -1,
        );
    }
}

fn has_preferred_terms(pod: &Pod) -> bool {
    let affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
    let affinity_terms = affinity
        .and_then(|a| a.pod_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        });
    let anti_terms = affinity
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_ref()
        });
    affinity_terms.is_some_and(|t| !t.is_empty()) || anti_terms.is_some_and(|t| !t.is_empty())
}

impl PreScorePlugin for InterPodAffinity {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        if nodes.is_empty() {
            return Status::skip();
        }
        let has_constraints = has_preferred_terms(pod);
        if self.args.ignore_preferred_terms_of_existing_pods && !has_constraints {
            return Status::skip();
        }
        let (mut terms, errors) = PodTerms::parse(pod);
        if !errors.is_empty() {
            return Status::error(format!("failed to parse pod: {}", aggregate(&errors)));
        }
        for weighted in terms
            .preferred_affinity
            .iter_mut()
            .chain(terms.preferred_anti_affinity.iter_mut())
        {
            self.merge_namespace_selector(&mut weighted.term);
        }
        let namespace_labels = self.namespace_labels(pod_namespace(pod));

        // Without preferred terms of its own, only existing pods *with* affinity terms can
        // have an opinion about the incoming pod, so only their nodes need visiting.
        let mut scores = ScoreMap::new();
        let visit: Vec<&Arc<NodeInfo>> = if has_constraints {
            snapshot.list().iter().collect()
        } else {
            snapshot.have_pods_with_affinity().collect()
        };
        for node in visit {
            let pods = if has_constraints {
                &node.pods
            } else {
                &node.pods_with_affinity
            };
            for existing in pods {
                let incoming = (pod, &terms, namespace_labels.as_ref());
                self.process_existing_pod(incoming, &existing.pod, &node.node, &mut scores);
            }
        }
        if scores.is_empty() {
            return Status::skip();
        }
        state.write(
            PRE_SCORE_STATE_KEY,
            PreScoreState {
                topology_score: scores,
            },
        );
        Status::success()
    }
}

fn missing_state() -> Status {
    Status::error(format!(
        "error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
    ))
}

impl ScorePlugin for InterPodAffinity {
    /// The sum, over the domains the node is in, of their weights (may be negative).
    fn score(&self, state: &CycleState, _pod: &Pod, node: &NodeInfo) -> (i64, Status) {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return (0, missing_state());
        };
        let labels = node_labels(&node.node);
        let score = s
            .topology_score
            .iter()
            .filter_map(|(key, values)| labels.get(key).and_then(|v| values.get(v)))
            .sum();
        (score, Status::success())
    }

    /// Min-max onto 0..=100: the lowest score becomes 0, the highest 100 (all equal: all 0).
    fn normalize_score(&self, state: &CycleState, _pod: &Pod, scores: &mut [NodeScore]) -> Status {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return missing_state();
        };
        if s.topology_score.is_empty() || scores.is_empty() {
            return Status::success();
        }
        let min = scores.iter().map(|s| s.score).min().unwrap_or(0);
        let max = scores.iter().map(|s| s.score).max().unwrap_or(0);
        let spread = max - min;
        for s in scores.iter_mut() {
            s.score = if spread > 0 {
                // Float and truncation as upstream, so the same inputs give the same scores.
                (MAX_NODE_SCORE as f64 * ((s.score - min) as f64 / spread as f64)) as i64
            } else {
                0
            };
        }
        Status::success()
    }
}
