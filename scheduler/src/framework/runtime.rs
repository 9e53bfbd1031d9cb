//! The `Framework`: one profile's plugins, arranged per extension point, and the code that runs
//! them in order and combines their answers.
//!
//! This is where upstream's rules live: PreFilter results are intersected; the first Filter that
//! rejects a node ends that node's checks; a plugin that Skipped PreFilter/PreScore is not asked
//! to Filter/Score; scores are normalised to 0..=100 and multiplied by the plugin's weight;
//! Unreserve runs in reverse order; the first Bind plugin that does not Skip binds.
//! Upstream: `pkg/scheduler/framework/runtime/framework.go`.

use super::cycle_state::CycleState;
use super::interface::*;
use super::status::{Code, Status};
use super::types::{NodeInfo, Snapshot};
use k8s_openapi::api::core::v1::Pod;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// A plugin at the Score point, with its weight.
#[derive(Clone)]
pub struct WeightedPlugin {
    pub plugin: Arc<dyn Plugin>,
    pub weight: i64,
}

/// One plugin's scores for every scored node (same order as the nodes given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginScores {
    pub plugin: &'static str,
    pub weight: i64,
    /// What `score` returned.
    pub raw: Vec<i64>,
    /// After `normalize_score`, before the weight.
    pub normalized: Vec<i64>,
}

/// A filter verdict per plugin, for one node, in the order the plugins ran. The last entry is
/// the rejection if the node was rejected; plugins after it did not run (as upstream).
pub type FilterVerdicts = Vec<(&'static str, Status)>;

/// The plugins of one profile, per extension point, in the order they run.
#[derive(Clone, Default)]
pub struct Framework {
    pub profile_name: String,
    pub percentage_of_nodes_to_score: Option<i32>,
    pub queue_sort: Option<Arc<dyn Plugin>>,
    pub pre_filter: Vec<Arc<dyn Plugin>>,
    pub filter: Vec<Arc<dyn Plugin>>,
    pub post_filter: Vec<Arc<dyn Plugin>>,
    pub pre_score: Vec<Arc<dyn Plugin>>,
    pub score: Vec<WeightedPlugin>,
    pub reserve: Vec<Arc<dyn Plugin>>,
    pub permit: Vec<Arc<dyn Plugin>>,
    pub pre_bind: Vec<Arc<dyn Plugin>>,
    pub bind: Vec<Arc<dyn Plugin>>,
    /// For each cluster event, the plugins that registered interest in it.
    pub event_interest: HashMap<ClusterEvent, HashSet<&'static str>>,
}

impl Framework {
    /// Note which events each plugin cares about; call after the lists are filled.
    pub fn register_events(&mut self) {
        let all = self
            .pre_filter
            .iter()
            .chain(&self.filter)
            .chain(&self.post_filter)
            .chain(self.score.iter().map(|w| &w.plugin))
            .chain(&self.reserve)
            .chain(&self.permit);
        let mut interest: HashMap<ClusterEvent, HashSet<&'static str>> = HashMap::new();
        for plugin in all {
            for event in plugin.events_to_register() {
                interest.entry(event).or_default().insert(plugin.name());
            }
        }
        self.event_interest = interest;
    }

    /// Should `a` leave the queue before `b`? Asks the profile's QueueSort plugin.
    pub fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        match self.queue_sort.as_ref().and_then(|p| p.as_queue_sort()) {
            Some(sort) => sort.less(a, b),
            None => a.timestamp < b.timestamp,
        }
    }

    /// Run every PreFilter plugin. Returns the intersection of their node sets and the first
    /// status that is neither Success nor Skip (with the plugin's name), or Success.
    pub fn run_pre_filter_plugins(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let mut merged: Option<PreFilterResult> = None;
        let mut narrowed_by: Vec<&'static str> = Vec::new();
        for plugin in &self.pre_filter {
            let Some(pf) = plugin.as_pre_filter() else {
                continue;
            };
            let (result, status) = pf.pre_filter(state, pod, snapshot);
            if status.is_skip() {
                state.skip_filter_plugins.push(plugin.name());
                continue;
            }
            if !status.is_success() {
                return (None, status.with_plugin(plugin.name()));
            }
            let Some(nodes) = result.and_then(|r| r.node_names) else {
                continue;
            };
            narrowed_by.push(plugin.name());
            let combined = match merged.take().and_then(|m| m.node_names) {
                Some(previous) => previous.intersection(&nodes).cloned().collect(),
                None => nodes,
            };
            if combined.is_empty() {
                // Upstream's message when PreFilter results leave no node at all.
                let reason = if narrowed_by.len() == 1 {
                    format!("node(s) didn't satisfy plugin {}", narrowed_by[0])
                } else {
                    format!(
                        "node(s) didn't satisfy plugin(s) [{}] simultaneously",
                        narrowed_by.join(" ")
                    )
                };
                return (
                    None,
                    Status::unresolvable(reason).with_plugin(plugin.name()),
                );
            }
            merged = Some(PreFilterResult {
                node_names: Some(combined),
            });
        }
        (merged, Status::success())
    }

    /// Ask preemption's "what if this pod were added" of every PreFilter plugin.
    pub fn run_pre_filter_extension_add_pod(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        to_add: &super::types::PodInfo,
        node: &NodeInfo,
    ) -> Status {
        self.run_pre_filter_extension(state, |pf, state| pf.add_pod(state, pod, to_add, node))
    }

    /// Ask preemption's "what if this pod were removed" of every PreFilter plugin.
    pub fn run_pre_filter_extension_remove_pod(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        to_remove: &super::types::PodInfo,
        node: &NodeInfo,
    ) -> Status {
        self.run_pre_filter_extension(state, |pf, state| {
            pf.remove_pod(state, pod, to_remove, node)
        })
    }

    /// Call `extension` on every PreFilter plugin that did not Skip, stopping at the first
    /// failure.
    fn run_pre_filter_extension(
        &self,
        state: &mut CycleState,
        extension: impl Fn(&dyn PreFilterPlugin, &mut CycleState) -> Status,
    ) -> Status {
        for plugin in &self.pre_filter {
            if state.skip_filter_plugins.contains(&plugin.name()) {
                continue;
            }
            if let Some(pf) = plugin.as_pre_filter() {
                let status = extension(pf, state);
                if !status.is_success() {
                    return status.with_plugin(plugin.name());
                }
            }
        }
        Status::success()
    }

    /// Run the Filter plugins on one node, stopping at the first rejection.
    pub fn run_filter_plugins(
        &self,
        state: &CycleState,
        pod: &Pod,
        node: &NodeInfo,
    ) -> FilterVerdicts {
        let mut verdicts = Vec::with_capacity(self.filter.len());
        for plugin in &self.filter {
            if state.skip_filter_plugins.contains(&plugin.name()) {
                continue;
            }
            let Some(f) = plugin.as_filter() else {
                continue;
            };
            let mut status = f.filter(state, pod, node).with_plugin(plugin.name());
            if status.code == Code::Error {
                // An internal error is not the node's fault, but the node still cannot be
                // used in this cycle: report it as unresolvable for this node.
                status.code = Code::UnschedulableAndUnresolvable;
            }
            let stop = !status.is_success();
            verdicts.push((plugin.name(), status));
            if stop {
                break;
            }
        }
        verdicts
    }

    /// The first PostFilter plugin that finds a way wins (upstream runs them in order and stops
    /// at the first Success).
    pub fn run_post_filter_plugins(
        &self,
        ctx: &PostFilterContext<'_>,
        state: &CycleState,
        pod: &Pod,
        statuses: &NodeToStatus,
    ) -> (Option<PostFilterResult>, Status) {
        let mut reasons = Vec::new();
        for plugin in &self.post_filter {
            let Some(pf) = plugin.as_post_filter() else {
                continue;
            };
            let (result, status) = pf.post_filter(ctx, state, pod, statuses);
            if status.is_success() {
                return (result, status.with_plugin(plugin.name()));
            }
            if status.code == Code::Error {
                return (None, status.with_plugin(plugin.name()));
            }
            reasons.extend(status.reasons);
        }
        (None, Status::new(Code::Unschedulable, reasons))
    }

    pub fn run_pre_score_plugins(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        for plugin in &self.pre_score {
            let Some(ps) = plugin.as_pre_score() else {
                continue;
            };
            let status = ps.pre_score(state, pod, nodes, snapshot);
            if status.is_skip() {
                state.skip_score_plugins.push(plugin.name());
            } else if !status.is_success() {
                return status.with_plugin(plugin.name());
            }
        }
        Status::success()
    }

    /// Score every node with every Score plugin, then normalise each plugin's scores.
    /// The weight is applied by the caller when it sums (so explanations can show both).
    pub fn run_score_plugins(
        &self,
        state: &CycleState,
        pod: &Pod,
        nodes: &[Arc<NodeInfo>],
    ) -> Result<Vec<PluginScores>, Status> {
        let mut all = Vec::with_capacity(self.score.len());
        for WeightedPlugin { plugin, weight } in &self.score {
            if state.skip_score_plugins.contains(&plugin.name()) {
                continue;
            }
            let Some(sp) = plugin.as_score() else {
                continue;
            };
            let mut scores = Vec::with_capacity(nodes.len());
            for node in nodes {
                let (score, status) = sp.score(state, pod, node);
                if !status.is_success() {
                    return Err(status.with_plugin(plugin.name()));
                }
                scores.push(NodeScore {
                    name: node.name().to_string(),
                    score,
                });
            }
            let raw: Vec<i64> = scores.iter().map(|s| s.score).collect();
            let status = sp.normalize_score(state, pod, &mut scores);
            if !status.is_success() {
                return Err(status.with_plugin(plugin.name()));
            }
            if let Some(bad) = scores
                .iter()
                .find(|s| !(MIN_NODE_SCORE..=MAX_NODE_SCORE).contains(&s.score))
            {
                return Err(Status::error(format!(
                    "plugin {} returns an invalid score {} for node {}, it should be in [{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing",
                    plugin.name(),
                    bad.score,
                    bad.name
                ))
                .with_plugin(plugin.name()));
            }
            all.push(PluginScores {
                plugin: plugin.name(),
                weight: *weight,
                raw,
                normalized: scores.into_iter().map(|s| s.score).collect(),
            });
        }
        Ok(all)
    }

    /// Reserve on every plugin; on the first failure, unreserve everything and report it.
    pub fn run_reserve_plugins_reserve(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        node_name: &str,
    ) -> Status {
        for plugin in &self.reserve {
            if let Some(r) = plugin.as_reserve() {
                let status = r.reserve(state, pod, node_name);
                if !status.is_success() {
                    self.run_reserve_plugins_unreserve(state, pod, node_name);
                    return status.with_plugin(plugin.name());
                }
            }
        }
        Status::success()
    }

    /// Unreserve in reverse order, like unwinding a stack.
    pub fn run_reserve_plugins_unreserve(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        node_name: &str,
    ) {
        for plugin in self.reserve.iter().rev() {
            if let Some(r) = plugin.as_reserve() {
                r.unreserve(state, pod, node_name);
            }
        }
    }

    /// Permit: any rejection rejects; otherwise the longest `Wait` is how long to wait.
    /// (kubeling runs no waiting-pods map yet: a `Wait` is reported as such to the caller.)
    pub fn run_permit_plugins(
        &self,
        state: &CycleState,
        pod: &Pod,
        node_name: &str,
    ) -> (Status, Duration) {
        let mut wait = Duration::ZERO;
        let mut waiting = false;
        for plugin in &self.permit {
            if let Some(p) = plugin.as_permit() {
                let (status, timeout) = p.permit(state, pod, node_name);
                match status.code {
                    Code::Success => {}
                    Code::Wait => {
                        waiting = true;
                        wait = wait.max(timeout);
                    }
                    _ => return (status.with_plugin(plugin.name()), Duration::ZERO),
                }
            }
        }
        if waiting {
            (Status::new(Code::Wait, Vec::new()), wait)
        } else {
            (Status::success(), Duration::ZERO)
        }
    }

    pub async fn run_pre_bind_plugins(
        &self,
        state: &CycleState,
        pod: &Pod,
        node_name: &str,
    ) -> Status {
        for plugin in &self.pre_bind {
            if let Some(p) = plugin.as_pre_bind() {
                let status = p.pre_bind(state, pod, node_name).await;
                if !status.is_success() {
                    return status.with_plugin(plugin.name());
                }
            }
        }
        Status::success()
    }

    pub async fn run_bind_plugins(&self, state: &CycleState, pod: &Pod, node_name: &str) -> Status {
        for plugin in &self.bind {
            if let Some(b) = plugin.as_bind() {
                let status = b.bind(state, pod, node_name).await;
                if status.is_skip() {
                    continue;
                }
                return status.with_plugin(plugin.name());
            }
        }
        Status::error("no bind plugin bound the pod")
    }

    /// Do any plugins that rejected a pod care about `event`? With no record of which plugins
    /// rejected it, every event counts (upstream does the same).
    pub fn event_may_help(&self, event: ClusterEvent, rejected_by: &HashSet<&'static str>) -> bool {
        if rejected_by.is_empty() {
            return true;
        }
        self.event_interest
            .get(&event)
            .is_some_and(|plugins| plugins.iter().any(|p| rejected_by.contains(p)))
    }
}
