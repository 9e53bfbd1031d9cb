//! The hard constraints (`whenUnsatisfiable: DoNotSchedule`). Upstream:
//! `pkg/scheduler/framework/plugins/podtopologyspread/filtering.go`.
//!
//! For each constraint, PreFilter counts the matching pods in every domain (every value of the
//! topology label among the eligible nodes). Filter then checks, for the node's domain,
//!
//! ```text
//!   matching pods there + 1 (if the pod matches its own selector) - global minimum <= maxSkew
//! ```
//!
//! where the global minimum is the smallest count of any domain — or 0 while there are fewer
//! domains than `minDomains` (so pods keep spreading into domains that do not exist yet, e.g.
//! zones the cluster autoscaler would add).

use super::common::{
    count_pods_match_selector, get_constraints, node_labels, node_labels_match_spread_constraints,
    pod_labels, pod_namespace, SpreadConstraint, TopologyPair, DO_NOT_SCHEDULE,
};
use super::plugin::PodTopologySpread;
use crate::framework::{
    CycleState, FilterPlugin, NodeInfo, PodInfo, PreFilterPlugin, PreFilterResult, Snapshot, Status,
};
use crate::plugins::node_affinity::node_selector::RequiredNodeAffinity;
use k8s_openapi::api::core::v1::{Node, Pod};
use std::collections::BTreeMap;

pub(super) const PRE_FILTER_STATE_KEY: &str = "PreFilterPodTopologySpread";

pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints";
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str =
    "node(s) didn't match pod topology spread constraints (missing required label)";

/// A domain and its count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriticalPath {
    pub topology_value: String,
    pub match_num: i64,
}

/// The two domains with the fewest matching pods, kept up to date cheaply while preemption
/// adds and removes pods. `[0]` always holds the minimum; `[1]` is at least as large but not
/// necessarily the second smallest. Two suffice because preemption only ever changes the
/// pods of one node at a time, each on its own copy of the state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriticalPaths(pub [CriticalPath; 2]);

impl Default for CriticalPaths {
    fn default() -> Self {
        let empty = || CriticalPath {
            topology_value: String::new(),
            match_num: i64::from(i32::MAX),
        };
        CriticalPaths([empty(), empty()])
    }
}

impl CriticalPaths {
    /// The domain `value` now holds `num` matching pods.
    pub fn update(&mut self, value: &str, num: i64) {
        let p = &mut self.0;
        let known = p.iter().position(|path| path.topology_value == value);
        match known {
            Some(i) => {
                p[i].match_num = num;
                if p[0].match_num > p[1].match_num {
                    p.swap(0, 1);
                }
            }
            None if num < p[0].match_num => {
                p[1] = p[0].clone();
                p[0] = CriticalPath {
                    topology_value: value.to_string(),
                    match_num: num,
                };
            }
            None if num < p[1].match_num => {
                p[1] = CriticalPath {
                    topology_value: value.to_string(),
                    match_num: num,
                };
            }
            None => {}
        }
    }
}

/// What PreFilter computes for Filter. An empty `constraints` means "nothing to check".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreFilterState {
    pub constraints: Vec<SpreadConstraint>,
    pub tp_key_to_critical_paths: BTreeMap<String, CriticalPaths>,
    /// How many domains each topology key has among the eligible nodes.
    pub tp_key_to_domains_num: BTreeMap<String, i64>,
    pub tp_pair_to_match_num: BTreeMap<TopologyPair, i64>,
}

impl PreFilterState {
    /// The global minimum for the skew of a constraint; `None` when PreFilter found no domain
    /// for its key (the constraint is then not checked, as upstream).
    fn min_match_num(&self, key: &str, min_domains: i64) -> Option<i64> {
        let paths = self.tp_key_to_critical_paths.get(key)?;
        let domains = *self.tp_key_to_domains_num.get(key)?;
        if domains < min_domains {
            return Some(0);
        }
        Some(paths.0[0].match_num)
    }

    /// Preemption's "what if `updated` were added (`delta` 1) to / removed (-1) from `node`?".
    fn update_with_pod(&mut self, updated: &Pod, preemptor: &Pod, node: &Node, delta: i64) {
        if pod_namespace(updated) != pod_namespace(preemptor) {
            return;
        }
        let labels = node_labels(node);
        if !node_labels_match_spread_constraints(labels, &self.constraints) {
            return;
        }
        let required = RequiredNodeAffinity::of_pod(preemptor);
        for c in &self.constraints {
            if !c.selects(pod_labels(updated)) || !c.includes_node(preemptor, node, &required) {
                continue;
            }
            let value = labels.get(&c.topology_key).cloned().unwrap_or_default();
            let num = self
                .tp_pair_to_match_num
                .entry(TopologyPair::new(&c.topology_key, &value))
                .or_insert(0);
            *num += delta;
            let num = *num;
            if let Some(paths) = self.tp_key_to_critical_paths.get_mut(&c.topology_key) {
                paths.update(&value, num);
            }
        }
    }
}

fn missing_state() -> Status {
    Status::error(format!(
        "reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
    ))
}

impl PodTopologySpread {
    /// Count the matching pods per domain over the nodes each constraint spreads over.
    /// Upstream: `calPreFilterState`.
    pub(super) fn cal_pre_filter_state(
        &self,
        pod: &Pod,
        snapshot: &Snapshot,
    ) -> Result<PreFilterState, String> {
        let constraints = get_constraints(&self.default_constraints, pod, DO_NOT_SCHEDULE)?;
        if constraints.is_empty() {
            return Ok(PreFilterState::default());
        }
        let mut s = PreFilterState {
            tp_key_to_critical_paths: constraints
                .iter()
                .map(|c| (c.topology_key.clone(), CriticalPaths::default()))
                .collect(),
            ..PreFilterState::default()
        };
        let required = RequiredNodeAffinity::of_pod(pod);
        let namespace = pod_namespace(pod);
        for node in snapshot.list() {
            let labels = node_labels(&node.node);
            if !node_labels_match_spread_constraints(labels, &constraints) {
                continue;
            }
            for c in &constraints {
                if !c.includes_node(pod, &node.node, &required) {
                    continue;
                }
                let value = labels.get(&c.topology_key).map_or("", String::as_str);
                let count = count_pods_match_selector(&node.pods, &c.selector, namespace);
                *s.tp_pair_to_match_num
                    .entry(TopologyPair::new(&c.topology_key, value))
                    .or_insert(0) += count;
            }
        }
        for (pair, num) in &s.tp_pair_to_match_num {
            *s.tp_key_to_domains_num.entry(pair.key.clone()).or_insert(0) += 1;
            if let Some(paths) = s.tp_key_to_critical_paths.get_mut(&pair.key) {
                paths.update(&pair.value, *num);
            }
        }
        s.constraints = constraints;
        Ok(s)
    }
}

impl PreFilterPlugin for PodTopologySpread {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        match self.cal_pre_filter_state(pod, snapshot) {
            Err(e) => (None, Status::error(e)),
            Ok(s) if s.constraints.is_empty() => (None, Status::skip()),
            Ok(s) => {
                state.write(PRE_FILTER_STATE_KEY, s);
                (None, Status::success())
            }
        }
    }

    fn add_pod(
        &self,
        state: &mut CycleState,
        pod_to_schedule: &Pod,
        pod_to_add: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        s.update_with_pod(&pod_to_add.pod, pod_to_schedule, &node.node, 1);
        Status::success()
    }

    fn remove_pod(
        &self,
        state: &mut CycleState,
        pod_to_schedule: &Pod,
        pod_to_remove: &PodInfo,
        node: &NodeInfo,
    ) -> Status {
        let Some(s) = state.read_mut::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        s.update_with_pod(&pod_to_remove.pod, pod_to_schedule, &node.node, -1);
        Status::success()
    }
}

impl FilterPlugin for PodTopologySpread {
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return missing_state();
        };
        let labels = node_labels(&node.node);
        for c in &s.constraints {
            // A node without the label is in no domain: no eviction can change that.
            let Some(value) = labels.get(&c.topology_key) else {
                return Status::unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH);
            };
            let Some(min_match_num) = s.min_match_num(&c.topology_key, c.min_domains) else {
                continue;
            };
            let self_match_num = i64::from(c.selects(pod_labels(pod)));
            let pair = TopologyPair::new(&c.topology_key, value);
            let match_num = s.tp_pair_to_match_num.get(&pair).copied().unwrap_or(0);
            let skew = match_num + self_match_num - min_match_num;
            if skew > c.max_skew {
                // Evicting matching pods from this domain could bring the skew down.
                return Status::unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH);
            }
        }
        Status::success()
    }
}
