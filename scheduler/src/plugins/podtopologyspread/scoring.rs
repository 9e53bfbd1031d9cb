//! The soft constraints (`whenUnsatisfiable: ScheduleAnyway`, and the default constraints):
//! prefer nodes in domains with fewer matching pods. Upstream:
//! `pkg/scheduler/framework/plugins/podtopologyspread/scoring.go`.
//!
//! A node's raw score adds, for each constraint, `count × weight + (maxSkew − 1)`: `count` is
//! the matching pods in the node's domain, and `weight = ln(number of domains + 2)` so a
//! constraint over many small domains (hostnames) is not drowned by one over a few big ones
//! (zones). Lower is better, so NormalizeScore flips it: the emptiest node gets 100.

use super::common::{
    count_pods_match_selector, get_constraints, node_labels, node_labels_match_spread_constraints,
    pod_namespace, SpreadConstraint, TopologyPair, LABEL_HOSTNAME, SCHEDULE_ANYWAY,
};
use super::plugin::PodTopologySpread;
use crate::framework::{
    CycleState, NodeInfo, NodeScore, PreScorePlugin, ScorePlugin, Snapshot, Status, MAX_NODE_SCORE,
};
use crate::plugins::node_affinity::node_selector::RequiredNodeAffinity;
use k8s_openapi::api::core::v1::Pod;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub(super) const PRE_SCORE_STATE_KEY: &str = "PreScorePodTopologySpread";

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreScoreState {
    pub constraints: Vec<SpreadConstraint>,
    /// Nodes missing a topology label of the constraints: they score 0.
    pub ignored_nodes: BTreeSet<String>,
    /// Matching pods per domain, for the domains of the nodes being scored. Hostname
    /// constraints are counted in Score instead (one node is its own domain).
    pub topology_pair_to_pod_counts: BTreeMap<TopologyPair, i64>,
    /// Per constraint, `ln(domains + 2)`.
    pub topology_normalizing_weight: Vec<f64>,
}

/// How much a domain's count weighs: more domains, more weight. Upstream:
/// `topologyNormalizingWeight`.
pub fn topology_normalizing_weight(size: usize) -> f64 {
    (size as f64 + 2.0).ln()
}

/// `maxSkew - 1` is added so that larger skews allowed make differences count for less.
fn score_for_count(count: i64, max_skew: i64, weight: f64) -> f64 {
    count as f64 * weight + (max_skew - 1) as f64
}

impl PodTopologySpread {
    /// The soft constraints, the ignored nodes, the domains to count and their weights.
    /// Upstream: `initPreScoreState`.
    fn init_pre_score_state(
        &self,
        pod: &Pod,
        filtered: &[Arc<NodeInfo>],
        require_all_topologies: bool,
    ) -> Result<PreScoreState, String> {
        let mut s = PreScoreState {
            constraints: get_constraints(&self.default_constraints, pod, SCHEDULE_ANYWAY)?,
            ..PreScoreState::default()
        };
        if s.constraints.is_empty() {
            return Ok(s);
        }
        let mut topology_size = vec![0usize; s.constraints.len()];
        for node in filtered {
            let labels = node_labels(&node.node);
            if require_all_topologies
                && !node_labels_match_spread_constraints(labels, &s.constraints)
            {
                s.ignored_nodes.insert(node.name().to_string());
                continue;
            }
            for (i, c) in s.constraints.iter().enumerate() {
                if c.topology_key == LABEL_HOSTNAME {
                    continue;
                }
                let value = labels.get(&c.topology_key).map_or("", String::as_str);
                let pair = TopologyPair::new(&c.topology_key, value);
                if let std::collections::btree_map::Entry::Vacant(domain) =
                    s.topology_pair_to_pod_counts.entry(pair)
                {
                    domain.insert(0);
                    topology_size[i] += 1;
                }
            }
        }
        let scored_nodes = filtered.len() - s.ignored_nodes.len();
        s.topology_normalizing_weight = s
            .constraints
            .iter()
            .zip(topology_size)
            .map(|(c, size)| {
                let size = if c.topology_key == LABEL_HOSTNAME {
                    scored_nodes
                } else {
                    size
                };
                topology_normalizing_weight(size)
            })
            .collect();
        Ok(s)
    }
}

impl PreScorePlugin for PodTopologySpread {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        filtered: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        if snapshot.num_nodes() == 0 {
            return Status::skip();
        }
        // With the system defaults, a node without a zone label still gets hostname spreading;
        // with anyone's explicit constraints, nodes must carry every topology label.
        let own = pod
            .spec
            .as_ref()
            .and_then(|s| s.topology_spread_constraints.as_ref());
        let require_all_topologies = own.is_some_and(|c| !c.is_empty()) || !self.system_defaulted;
        let mut s = match self.init_pre_score_state(pod, filtered, require_all_topologies) {
            Ok(s) => s,
            Err(e) => return Status::error(format!("calculating preScoreState: {e}")),
        };
        if s.constraints.is_empty() {
            return Status::skip();
        }
        // Count over all nodes, not only the filtered ones: a domain's pods count even on
        // nodes this pod cannot use.
        let required = RequiredNodeAffinity::of_pod(pod);
        let namespace = pod_namespace(pod);
        for node in snapshot.list() {
            let labels = node_labels(&node.node);
            if require_all_topologies
                && !node_labels_match_spread_constraints(labels, &s.constraints)
            {
                continue;
            }
            for c in &s.constraints {
                if !c.includes_node(pod, &node.node, &required) {
                    continue;
                }
                let value = labels.get(&c.topology_key).map_or("", String::as_str);
                let pair = TopologyPair::new(&c.topology_key, value);
                // Only domains of nodes being scored matter (hostname ones are never here).
                if let Some(count) = s.topology_pair_to_pod_counts.get_mut(&pair) {
                    *count += count_pods_match_selector(&node.pods, &c.selector, namespace);
                }
            }
        }
        state.write(PRE_SCORE_STATE_KEY, s);
        Status::success()
    }
}

fn missing_state() -> Status {
    Status::error(format!(
        "error reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found"
    ))
}

impl ScorePlugin for PodTopologySpread {
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> (i64, Status) {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return (0, missing_state());
        };
        if s.ignored_nodes.contains(node.name()) {
            return (0, Status::success());
        }
        let labels = node_labels(&node.node);
        let mut score = 0.0;
        for (i, c) in s.constraints.iter().enumerate() {
            let Some(value) = labels.get(&c.topology_key) else {
                continue;
            };
            let count = if c.topology_key == LABEL_HOSTNAME {
                count_pods_match_selector(&node.pods, &c.selector, pod_namespace(pod))
            } else {
                let pair = TopologyPair::new(&c.topology_key, value);
                s.topology_pair_to_pod_counts
                    .get(&pair)
                    .copied()
                    .unwrap_or(0)
            };
            let weight = s.topology_normalizing_weight.get(i).copied().unwrap_or(0.0);
            score += score_for_count(count, c.max_skew, weight);
        }
        (score.round() as i64, Status::success())
    }

    /// Fewer matching pods is better: `100 × (max + min − score) / max`, so the node with the
    /// minimum gets 100. Ignored nodes get 0; when every score is 0 all get 100.
    fn normalize_score(&self, state: &CycleState, _pod: &Pod, scores: &mut [NodeScore]) -> Status {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return missing_state();
        };
        let counted = || scores.iter().filter(|n| !s.ignored_nodes.contains(&n.name));
        let min = counted().map(|n| n.score).min().unwrap_or(i64::MAX);
        let max = counted().map(|n| n.score).max().unwrap_or(0).max(0);
        for n in scores.iter_mut() {
            n.score = if s.ignored_nodes.contains(&n.name) {
                0
            } else if max == 0 {
                MAX_NODE_SCORE
            } else {
                MAX_NODE_SCORE * (max + min - n.score) / max
            };
        }
        Status::success()
    }
}
