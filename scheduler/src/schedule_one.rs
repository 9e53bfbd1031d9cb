//! One scheduling decision, as a pure function: (pod, snapshot, framework) → a node, or the
//! reasons no node fits.
//!
//! ```text
//!  PreFilter ─► pick up to N feasible nodes, starting where the last pod stopped ─► Filter each
//!     │                                   (N = percentageOfNodesToScore of the cluster)
//!     └─ no feasible node ─► FitError "0/5 nodes are available: 2 Insufficient cpu, ..."
//!  one feasible node ─► done;  several ─► PreScore ─► Score ─► Normalize ─► × weight ─► best
//! ```
//! Everything here is recorded into an [`Explanation`] on the way, so `kubeling explain` can show
//! every verdict and every score afterwards.
//! Upstream: `pkg/scheduler/schedule_one.go` (`schedulePod`, `findNodesThatFitPod`,
//! `findNodesThatPassFilters`, `numFeasibleNodesToFind`, `prioritizeNodes`, `selectHost`) and
//! `pkg/scheduler/framework/types.go` (`FitError`).

use crate::explain::{Explanation, NodeExplanation, ScoreLine};
use crate::framework::{
    runtime::FilterVerdicts, CycleState, Framework, NodeInfo, NodeToStatus, PodInfo, Snapshot,
    Status,
};
use crate::plugins::priority_sort::pod_priority;
use k8s_openapi::api::core::v1::Pod;
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

/// Below this many nodes, all are checked.
pub const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
/// The adaptive percentage never goes below this.
pub const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;

/// How many feasible nodes are enough to stop filtering. In a 5000-node cluster, scoring every
/// node would be slow and gain little, so upstream stops after a percentage: by default
/// `max(5, 50 - nodes/125)` percent, and never fewer than 100 nodes.
pub fn num_feasible_nodes_to_find(percentage: Option<i32>, num_all_nodes: usize) -> usize {
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND {
        return num_all_nodes;
    }
    let mut adaptive = i64::from(percentage.unwrap_or(0));
    if adaptive <= 0 {
        adaptive = (50 - num_all_nodes as i64 / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    if adaptive >= 100 {
        return num_all_nodes;
    }
    let n = (num_all_nodes as i64 * adaptive / 100) as usize;
    n.max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// Where the pod should go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleResult {
    pub suggested_host: String,
    pub evaluated_nodes: usize,
    pub feasible_nodes: usize,
}

/// Why no node fits: each rejected node's status and which plugins said no.
#[derive(Debug, Clone, Default)]
pub struct Diagnosis {
    pub node_to_status: NodeToStatus,
    pub unschedulable_plugins: HashSet<&'static str>,
    /// Set when PreFilter rejected the pod before any node was looked at.
    pub pre_filter_msg: String,
    /// Set by the caller after PostFilter (preemption) ran.
    pub post_filter_msg: String,
}

/// No node fits. Its `Display` is the famous message of `kubectl describe pod`.
#[derive(Debug, Clone)]
pub struct FitError {
    pub num_all_nodes: usize,
    pub diagnosis: Diagnosis,
}

impl fmt::Display for FitError {
    /// `0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.`
    /// Reasons are counted over nodes and sorted as text, as upstream's `sortReasonsHistogram`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.num_all_nodes == 0 {
            // Upstream's ErrNoNodesAvailable text, with nothing to count.
            return write!(f, "{}", self.diagnosis.pre_filter_msg);
        }
        write!(f, "0/{} nodes are available:", self.num_all_nodes)?;
        if !self.diagnosis.pre_filter_msg.is_empty() {
            write!(f, " {}.", self.diagnosis.pre_filter_msg)?;
        } else {
            let mut histogram: HashMap<&str, usize> = HashMap::new();
            for status in self.diagnosis.node_to_status.values() {
                for reason in &status.reasons {
                    *histogram.entry(reason.as_str()).or_default() += 1;
                }
            }
            let mut lines: Vec<String> = histogram
                .into_iter()
                .map(|(reason, count)| format!("{count} {reason}"))
                .collect();
            lines.sort();
            write!(f, " {}.", lines.join(", "))?;
        }
        if !self.diagnosis.post_filter_msg.is_empty() {
            write!(f, " {}", self.diagnosis.post_filter_msg)?;
        }
        Ok(())
    }
}

/// Failure of a scheduling attempt.
#[derive(Debug, Clone)]
pub enum ScheduleError {
    /// No node fits (the pod is unschedulable for now). Boxed: it carries a status per node.
    Fit(Box<FitError>),
    /// A plugin failed; not the pod's fault. The pod is retried after a backoff.
    Internal(Status),
}

/// Pods that preemption nominated to a node, which other pods must leave room for.
pub type NominatedPods = HashMap<String, Vec<PodInfo>>;

/// Everything one attempt needs besides the pod.
pub struct Attempt<'a> {
    pub framework: &'a Framework,
    pub snapshot: &'a Snapshot,
    pub nominated: &'a NominatedPods,
    /// Where the previous attempt stopped scanning nodes; updated here (round robin, so the
    /// same first nodes are not always the ones scored).
    pub next_start_node_index: &'a mut usize,
}

/// Run one scheduling attempt for `pod`, recording the verdicts into `explanation`.
pub fn schedule_pod(
    attempt: Attempt<'_>,
    state: &mut CycleState,
    pod: &Pod,
    rng: &mut impl Rng,
    explanation: &mut Explanation,
) -> Result<ScheduleResult, ScheduleError> {
    let Attempt {
        framework,
        snapshot,
        nominated,
        next_start_node_index,
    } = attempt;
    let all = snapshot.num_nodes();
    explanation.total_nodes = all;
    if all == 0 {
        // Upstream returns a plain error here; we report it as unschedulable so that the pod
        // waits for a node to be added instead of retrying on a timer.
        return Err(ScheduleError::Fit(Box::new(FitError {
            num_all_nodes: 0,
            diagnosis: Diagnosis {
                pre_filter_msg: "no nodes available to schedule pods".to_string(),
                ..Diagnosis::default()
            },
        })));
    }
    let feasible = find_nodes_that_fit_pod(
        framework,
        snapshot,
        nominated,
        next_start_node_index,
        state,
        pod,
        explanation,
    )?;
    explanation.feasible_nodes = feasible.len();
    if feasible.len() == 1 {
        // Nothing to compare: upstream skips scoring entirely.
        return Ok(ScheduleResult {
            suggested_host: feasible[0].name().to_string(),
            evaluated_nodes: explanation.evaluated_nodes,
            feasible_nodes: 1,
        });
    }
    let totals = prioritize_nodes(framework, snapshot, state, pod, &feasible, explanation)?;
    let host = select_host(&totals, rng);
    Ok(ScheduleResult {
        suggested_host: host,
        evaluated_nodes: explanation.evaluated_nodes,
        feasible_nodes: feasible.len(),
    })
}

/// PreFilter, then Filter over enough nodes. Returns the feasible nodes or a FitError.
fn find_nodes_that_fit_pod(
    framework: &Framework,
    snapshot: &Snapshot,
    nominated: &NominatedPods,
    next_start_node_index: &mut usize,
    state: &mut CycleState,
    pod: &Pod,
    explanation: &mut Explanation,
) -> Result<Vec<Arc<NodeInfo>>, ScheduleError> {
    let mut diagnosis = Diagnosis::default();
    let all = snapshot.num_nodes();
    let (pre_result, status) = framework.run_pre_filter_plugins(state, pod, snapshot);
    explanation.pre_filter = status.clone();
    if !status.is_success() {
        if !status.is_rejected() {
            return Err(ScheduleError::Internal(status));
        }
        // Every node gets the PreFilter's verdict.
        for node in snapshot.list() {
            diagnosis
                .node_to_status
                .insert(node.name().to_string(), status.clone());
        }
        diagnosis.pre_filter_msg = status.message();
        diagnosis.unschedulable_plugins.extend(status.plugin);
        return Err(ScheduleError::Fit(Box::new(FitError {
            num_all_nodes: all,
            diagnosis,
        })));
    }

    // The nodes to look at: all, or only those PreFilter allowed.
    let candidates: Vec<&Arc<NodeInfo>> = match pre_result.and_then(|r| r.node_names) {
        Some(names) => {
            let filtered_out = Status::unresolvable("node is filtered out by the prefilter result");
            for node in snapshot.list() {
                if !names.contains(node.name()) {
                    diagnosis
                        .node_to_status
                        .insert(node.name().to_string(), filtered_out.clone());
                }
            }
            snapshot
                .list()
                .iter()
                .filter(|n| names.contains(n.name()))
                .collect()
        }
        None => snapshot.list().iter().collect(),
    };

    // A pod nominated by an earlier preemption tries its nominated node first.
    let nominated_node = pod
        .status
        .as_ref()
        .and_then(|s| s.nominated_node_name.as_deref())
        .filter(|n| !n.is_empty());
    if let Some(node) = nominated_node.and_then(|n| snapshot.get(n)) {
        let verdicts = filter_with_nominated_pods(framework, state, pod, node, nominated);
        let passed = verdicts.last().is_none_or(|(_, s)| s.is_success());
        explanation.evaluated_nodes += 1;
        explanation
            .nodes
            .push(NodeExplanation::new(node.name(), verdicts));
        if passed {
            return Ok(vec![node.clone()]);
        }
        // The full scan below looks at this node again; count and show it once.
        explanation.evaluated_nodes -= 1;
        explanation.nodes.pop();
    }

    let to_find =
        num_feasible_nodes_to_find(framework.percentage_of_nodes_to_score, candidates.len());
    let mut feasible = Vec::new();
    let n = candidates.len();
    let start = if n == 0 {
        0
    } else {
        *next_start_node_index % n
    };
    let mut processed = 0;
    for i in 0..n {
        if feasible.len() >= to_find {
            break;
        }
        let node = candidates[(start + i) % n];
        processed += 1;
        let verdicts = filter_with_nominated_pods(framework, state, pod, node, nominated);
        match verdicts.last() {
            Some((_, status)) if !status.is_success() => {
                diagnosis
                    .node_to_status
                    .insert(node.name().to_string(), status.clone());
                diagnosis.unschedulable_plugins.extend(status.plugin);
            }
            _ => feasible.push(node.clone()),
        }
        explanation
            .nodes
            .push(NodeExplanation::new(node.name(), verdicts));
    }
    if n > 0 {
        *next_start_node_index = (start + processed) % n;
    }
    explanation.evaluated_nodes += processed;
    if feasible.is_empty() {
        return Err(ScheduleError::Fit(Box::new(FitError {
            num_all_nodes: all,
            diagnosis,
        })));
    }
    Ok(feasible)
}

/// Run the filters on `node`, pretending that pods nominated there with at least this pod's
/// priority are already running (they will be once their victims are gone), so this pod does
/// not take the room preemption freed for them. Upstream runs the filters twice, with and
/// without those pods, because some filters (affinity) could pass only *with* them; both must
/// pass. Upstream: `RunFilterPluginsWithNominatedPods` in `framework/runtime/framework.go`.
pub fn filter_with_nominated_pods(
    framework: &Framework,
    state: &CycleState,
    pod: &Pod,
    node: &NodeInfo,
    nominated: &NominatedPods,
) -> FilterVerdicts {
    let priority = pod_priority(pod);
    let uid = pod.metadata.uid.as_deref();
    let extra: Vec<&PodInfo> = nominated
        .get(node.name())
        .into_iter()
        .flatten()
        .filter(|p| pod_priority(&p.pod) >= priority && p.pod.metadata.uid.as_deref() != uid)
        .collect();
    if extra.is_empty() {
        return framework.run_filter_plugins(state, pod, node);
    }
    let mut state_with = state.clone();
    let mut node_with = node.clone();
    for p in extra {
        node_with.add_pod(p.clone());
        let status =
            framework.run_pre_filter_extension_add_pod(&mut state_with, pod, p, &node_with);
        if !status.is_success() {
            return vec![(status.plugin.unwrap_or("PreFilterExtensions"), status)];
        }
    }
    let verdicts = framework.run_filter_plugins(&state_with, pod, &node_with);
    if verdicts.last().is_some_and(|(_, s)| !s.is_success()) {
        return verdicts;
    }
    framework.run_filter_plugins(state, pod, node)
}

/// PreScore and Score the feasible nodes; returns (node, total weighted score).
fn prioritize_nodes(
    framework: &Framework,
    snapshot: &Snapshot,
    state: &mut CycleState,
    pod: &Pod,
    feasible: &[Arc<NodeInfo>],
    explanation: &mut Explanation,
) -> Result<Vec<(String, i64)>, ScheduleError> {
    let status = framework.run_pre_score_plugins(state, pod, feasible, snapshot);
    if !status.is_success() {
        return Err(ScheduleError::Internal(status));
    }
    let scores = framework
        .run_score_plugins(state, pod, feasible)
        .map_err(ScheduleError::Internal)?;
    let mut totals: Vec<(String, i64)> =
        feasible.iter().map(|n| (n.name().to_string(), 0)).collect();
    for plugin in &scores {
        for (i, total) in totals.iter_mut().enumerate() {
            total.1 += plugin.normalized[i] * plugin.weight;
        }
    }
    explanation.record_scores(&totals, &scores);
    Ok(totals)
}

/// The node with the highest total; among equal totals, each is equally likely (reservoir
/// sampling, as upstream — always taking the first would pile pods onto one node).
pub fn select_host(totals: &[(String, i64)], rng: &mut impl Rng) -> String {
    let mut best: Option<(&str, i64)> = None;
    let mut ties = 0u32;
    for (name, score) in totals {
        match best {
            Some((_, top)) if *score < top => {}
            Some((_, top)) if *score == top => {
                ties += 1;
                if rng.gen_range(0..ties) == 0 {
                    best = Some((name, *score));
                }
            }
            _ => {
                best = Some((name, *score));
                ties = 1;
            }
        }
    }
    best.map(|(n, _)| n.to_string()).unwrap_or_default()
}

/// Score lines for one node, for explanations.
pub fn score_lines(scores: &[crate::framework::PluginScores], index: usize) -> Vec<ScoreLine> {
    scores
        .iter()
        .map(|p| ScoreLine {
            plugin: p.plugin.to_string(),
            raw: p.raw[index],
            normalized: p.normalized[index],
            weight: p.weight,
        })
        .collect()
}
