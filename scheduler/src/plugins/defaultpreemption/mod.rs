//! DefaultPreemption: when no node fits a pod, make room for it by evicting pods of lower
//! priority.
//!
//! ```text
//!  Filter rejected every node ──► PostFilter: DefaultPreemption
//!    1. may this pod preempt at all?       (preemptionPolicy, victims still terminating)
//!    2. which nodes could preemption help? (only those rejected as Unschedulable)
//!    3. dry run on each, from a random start (victims.rs: the fewest pods to evict there)
//!    4. pick the best node                 (candidates.rs: budgets, priorities, counts, age)
//!    5. return {nominatedNodeName, victims}: the run loop deletes the victims and writes
//!       status.nominatedNodeName; the pod is scheduled for real once they are gone.
//! ```
//! This plugin is pure: it never calls the API server. Upstream's evaluator also deletes the
//! victims (after adding a `DisruptionTarget` condition to them), skips victims already
//! terminating, and clears the nomination of lower-priority pods nominated to the chosen node;
//! in kubeling that is the run loop's work, done with the result returned here.
//!
//! # The messages it returns
//! Upstream prefixes every message with `"preemption: "`; kubeling returns the message without
//! it ([`MESSAGE_PREFIX`] is for the caller to add). The reasons are exactly:
//! - `not eligible due to preemptionPolicy=Never.`
//! - `not eligible due to a terminating pod on the nominated node.`
//! - no candidate anywhere (Unschedulable; the result clears the nomination): upstream's FitError
//!   text, a count of nodes per reason, sorted as text, e.g.
//!   `0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims found for incoming pod.`
//!   Nodes that were not tried (rejected as UnschedulableAndUnresolvable) count under
//!   `Preemption is not helpful for scheduling`.
//! - internal errors (Error): `no nodes available`, or a PreFilter extension's failure such as
//!   `running RemovePod on PreFilter plugin "X": ...`.
//!
//! Upstream: `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go` (this
//! plugin) and `pkg/scheduler/framework/preemption/preemption.go` (the `Evaluator` that every
//! preemption plugin shares).

mod args;
mod candidates;
mod victims;

#[cfg(test)]
mod tests;

pub use args::DefaultPreemptionArgs;
pub use candidates::{calculate_num_candidates, pick_one_node_for_preemption, Candidate};
pub use victims::{filter_pods_with_pdb_violation, select_victims_on_node, Victims};

use crate::framework::{
    ClusterEvent, Code, CycleState, NodeInfo, NodeToStatus, Plugin, PostFilterContext,
    PostFilterPlugin, PostFilterResult, Snapshot, Status,
};
use crate::plugins::priority_sort::pod_priority;
use crate::plugins::FactoryContext;
use k8s_openapi::api::core::v1::Pod;
use rand::Rng;
use std::collections::HashMap;
use std::sync::Arc;

pub const NAME: &str = "DefaultPreemption";

/// What upstream puts before every message of this plugin; the caller adds it.
pub const MESSAGE_PREFIX: &str = "preemption: ";

/// The reason counted for nodes preemption was not tried on.
pub const NOT_HELPFUL_REASON: &str = "Preemption is not helpful for scheduling";

pub struct DefaultPreemption {
    pub args: DefaultPreemptionArgs,
    /// Where in the list of potential nodes the dry run starts, given their number (> 0).
    /// Random, as upstream; tests put a fixed function here.
    pub offset_rand: fn(usize) -> usize,
}

/// A random start in `0..n`.
pub fn random_offset(n: usize) -> usize {
    rand::thread_rng().gen_range(0..n.max(1))
}

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    Ok(Arc::new(DefaultPreemption {
        args: DefaultPreemptionArgs::from_json(args)?,
        offset_rand: random_offset,
    }))
}

impl Plugin for DefaultPreemption {
    fn name(&self) -> &'static str {
        NAME
    }

    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        Some(self)
    }

    /// A deleted pod (a victim going away) is what makes a preemptor fit. Upstream v1.32
    /// registers nothing here (the Filter plugins that rejected the pod already listen for pod
    /// deletions); registering it too does no harm should the run loop count DefaultPreemption
    /// among the plugins that rejected a pod.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![ClusterEvent::POD_DELETE]
    }
}

impl PostFilterPlugin for DefaultPreemption {
    /// Upstream: `Evaluator.Preempt`.
    fn post_filter(
        &self,
        ctx: &PostFilterContext<'_>,
        state: &CycleState,
        pod: &Pod,
        statuses: &NodeToStatus,
    ) -> (Option<PostFilterResult>, Status) {
        // 1. May this pod preempt at all?
        if let Err(reason) = pod_eligible_to_preempt_others(pod, ctx.snapshot, statuses) {
            return (None, Status::unschedulable(reason));
        }

        // 2. Only nodes rejected as Unschedulable can be helped by evicting pods; a node
        // missing from `statuses` counts as UnschedulableAndUnresolvable, as upstream.
        let all_nodes = ctx.snapshot.list();
        if all_nodes.is_empty() {
            return (None, Status::error("no nodes available"));
        }
        let potential: Vec<Arc<NodeInfo>> = all_nodes
            .iter()
            .filter(|n| statuses.get(n.name()).map(|s| s.code) == Some(Code::Unschedulable))
            .cloned()
            .collect();

        // 3. Dry run.
        let run = if potential.is_empty() {
            candidates::DryRun::default()
        } else {
            let offset = (self.offset_rand)(potential.len()) % potential.len();
            let wanted = calculate_num_candidates(&self.args, potential.len());
            candidates::dry_run_preemption(ctx, state, pod, &potential, offset, wanted)
        };
        if run.candidates.is_empty() {
            if !run.errors.is_empty() {
                return (None, Status::error(aggregate(run.errors)));
            }
            // An empty nomination tells the caller to clear any earlier one.
            let message = fit_error_message(all_nodes.len(), &run.node_statuses);
            return (
                Some(PostFilterResult::default()),
                Status::unschedulable(message),
            );
        }

        // 4. The best candidate. (Upstream lets scheduler extenders veto candidates here;
        // kubeling has no extenders.)
        let Some(best) = pick_one_node_for_preemption(&run.candidates) else {
            return (
                None,
                Status::unschedulable("no candidate node for preemption"),
            );
        };
        let result = PostFilterResult {
            nominated_node_name: best.name.clone(),
            victims: best.victims.pods.clone(),
        };
        (Some(result), Status::success())
    }
}

/// May `pod` preempt others? `Err` gives upstream's reason why not:
/// - it says `preemptionPolicy: Never`;
/// - it already preempted on its nominated node and a victim there is still terminating: wait
///   for it instead of evicting more (unless the filters now reject that node as
///   UnschedulableAndUnresolvable, in which case waiting cannot help).
pub fn pod_eligible_to_preempt_others(
    pod: &Pod,
    snapshot: &Snapshot,
    statuses: &NodeToStatus,
) -> Result<(), &'static str> {
    let spec = pod.spec.as_ref();
    if spec.and_then(|s| s.preemption_policy.as_deref()) == Some("Never") {
        return Err("not eligible due to preemptionPolicy=Never.");
    }
    let nominated = pod
        .status
        .as_ref()
        .and_then(|s| s.nominated_node_name.as_deref());
    let Some(nominated) = nominated.filter(|n| !n.is_empty()) else {
        return Ok(());
    };
    let code = statuses
        .get(nominated)
        .map_or(Code::UnschedulableAndUnresolvable, |s| s.code);
    if code == Code::UnschedulableAndUnresolvable {
        return Ok(());
    }
    if let Some(node) = snapshot.get(nominated) {
        let priority = pod_priority(pod);
        let waiting = node
            .pods
            .iter()
            .any(|p| pod_priority(&p.pod) < priority && pod_terminating_by_preemption(&p.pod));
        if waiting {
            return Err("not eligible due to a terminating pod on the nominated node.");
        }
    }
    Ok(())
}

/// Is the pod terminating because a preemption evicted it?
///
/// Upstream requires `deletionTimestamp` *and* a `DisruptionTarget` condition with reason
/// `PreemptionByScheduler`, which its evaluator writes before deleting a victim. kubeling's run
/// loop may delete victims without writing it, so a terminating pod *without* that condition
/// counts too; one whose condition names another cause (the taint manager, an eviction) does not.
fn pod_terminating_by_preemption(pod: &Pod) -> bool {
    if pod.metadata.deletion_timestamp.is_none() {
        return false;
    }
    let conditions = pod.status.as_ref().and_then(|s| s.conditions.as_ref());
    match conditions
        .into_iter()
        .flatten()
        .find(|c| c.type_ == "DisruptionTarget")
    {
        Some(c) => c.status == "True" && c.reason.as_deref() == Some("PreemptionByScheduler"),
        None => true,
    }
}

/// Upstream's `FitError.Error()` for preemption: how many nodes gave each reason, sorted as
/// text, nodes without a status counted under [`NOT_HELPFUL_REASON`].
fn fit_error_message(num_all_nodes: usize, node_statuses: &NodeToStatus) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for status in node_statuses.values() {
        for reason in &status.reasons {
            *counts.entry(reason.as_str()).or_default() += 1;
        }
    }
    let absent = num_all_nodes.saturating_sub(node_statuses.len());
    if absent > 0 {
        *counts.entry(NOT_HELPFUL_REASON).or_default() += absent;
    }
    let mut parts: Vec<String> = counts
        .into_iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect();
    parts.sort();
    let mut message = format!("0/{num_all_nodes} nodes are available:");
    if !parts.is_empty() {
        message.push_str(&format!(" {}.", parts.join(", ")));
    }
    message
}

/// Several error messages as one, as upstream's `utilerrors.NewAggregate` prints them: one
/// message alone, several in brackets, duplicates dropped.
fn aggregate(errors: Vec<String>) -> String {
    let mut unique: Vec<String> = Vec::new();
    for e in errors {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    match unique.len() {
        1 => unique.remove(0),
        _ => format!("[{}]", unique.join(", ")),
    }
}
