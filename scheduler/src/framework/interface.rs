//! The extension points: one trait per point in the scheduling cycle.
//!
//! ```text
//!  queue ──► QueueSort (order of the active queue)
//!  scheduling cycle, one pod at a time:
//!    PreFilter ──► Filter (per node) ──► [no node fits: PostFilter = preemption]
//!    PreScore  ──► Score (per node) ──► NormalizeScore ──► × weight ──► pick the best node
//!    Reserve ──► Permit
//!  binding cycle, in the background:
//!    PreBind ──► Bind (the API call pods/binding)
//! ```
//! A plugin is any type implementing [`Plugin`]; it takes part in a point by returning
//! `Some(self)` from the matching `as_*` method — the Rust spelling of Go's "does this plugin
//! implement the FilterPlugin interface?" type assertion.
//! Upstream: `pkg/scheduler/framework/interface.go`.

use super::cycle_state::CycleState;
use super::status::Status;
use super::types::{NodeInfo, PodInfo, Snapshot};
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Pod;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The highest score a Score plugin may give a node after normalising.
pub const MAX_NODE_SCORE: i64 = 100;
/// The lowest.
pub const MIN_NODE_SCORE: i64 = 0;

/// A pod waiting in the scheduling queue, with its queue bookkeeping.
#[derive(Debug, Clone)]
pub struct QueuedPodInfo {
    pub pod_info: PodInfo,
    /// When the pod was (re-)added to the queue; ties in priority go to the older pod.
    pub timestamp: Instant,
    /// How many scheduling attempts so far (drives the backoff).
    pub attempts: u32,
    /// When the pod entered the queue for the first time.
    pub initial_attempt_timestamp: Instant,
    /// The plugins that rejected the pod last time: only events those plugins care about move
    /// the pod back to the active queue.
    pub unschedulable_plugins: HashSet<&'static str>,
}

impl QueuedPodInfo {
    pub fn new(pod_info: PodInfo, now: Instant) -> QueuedPodInfo {
        QueuedPodInfo {
            pod_info,
            timestamp: now,
            attempts: 0,
            initial_attempt_timestamp: now,
            unschedulable_plugins: HashSet::new(),
        }
    }

    pub fn pod(&self) -> &Pod {
        &self.pod_info.pod
    }
}

/// A node's score from one plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeScore {
    pub name: String,
    pub score: i64,
}

/// Node name → why the node was rejected, for every node that was.
pub type NodeToStatus = HashMap<String, Status>;

/// What PreFilter may say beyond a status: "only these nodes can possibly fit"
/// (NodeAffinity uses it for `metadata.name` node selectors). `None` means all nodes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreFilterResult {
    pub node_names: Option<HashSet<String>>,
}

/// What PostFilter (preemption) decided: nominate the pod to a node, after evicting victims.
#[derive(Debug, Clone, Default)]
pub struct PostFilterResult {
    pub nominated_node_name: String,
    /// Pods to delete so the preemptor fits; the scheduler's run loop deletes them.
    pub victims: Vec<Arc<Pod>>,
}

/// What kind of object changed in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventResource {
    Pod,
    Node,
}

/// What happened to it. `AssignedPod*` events are about pods already bound to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionType {
    Add,
    Update,
    Delete,
}

/// A change in the cluster that may make an unschedulable pod schedulable.
/// Upstream: `framework.ClusterEvent` in `pkg/scheduler/framework/types.go`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClusterEvent {
    pub resource: EventResource,
    pub action: ActionType,
}

impl ClusterEvent {
    pub const NODE_ADD: ClusterEvent = ClusterEvent {
        resource: EventResource::Node,
        action: ActionType::Add,
    };
    pub const NODE_UPDATE: ClusterEvent = ClusterEvent {
        resource: EventResource::Node,
        action: ActionType::Update,
    };
    pub const NODE_DELETE: ClusterEvent = ClusterEvent {
        resource: EventResource::Node,
        action: ActionType::Delete,
    };
    pub const POD_ADD: ClusterEvent = ClusterEvent {
        resource: EventResource::Pod,
        action: ActionType::Add,
    };
    pub const POD_UPDATE: ClusterEvent = ClusterEvent {
        resource: EventResource::Pod,
        action: ActionType::Update,
    };
    pub const POD_DELETE: ClusterEvent = ClusterEvent {
        resource: EventResource::Pod,
        action: ActionType::Delete,
    };

    /// A short label for logs and metrics, e.g. `NodeAdd`.
    pub fn label(&self) -> String {
        format!("{:?}{:?}", self.resource, self.action)
    }
}

/// Every plugin: a name, and which extension points it takes part in.
pub trait Plugin: Send + Sync {
    /// The name used in configuration files and explanations, e.g. `"NodeResourcesFit"`.
    fn name(&self) -> &'static str;

    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        None
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        None
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        None
    }
    fn as_post_filter(&self) -> Option<&dyn PostFilterPlugin> {
        None
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        None
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        None
    }
    fn as_reserve(&self) -> Option<&dyn ReservePlugin> {
        None
    }
    fn as_permit(&self) -> Option<&dyn PermitPlugin> {
        None
    }
    fn as_pre_bind(&self) -> Option<&dyn PreBindPlugin> {
        None
    }
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        None
    }

    /// The cluster events after which a pod this plugin rejected may fit
    /// (upstream's `EnqueueExtensions.EventsToRegister`). A plugin that rejects pods and
    /// registers nothing leaves them to the queue's periodic flush.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        Vec::new()
    }
}

/// Orders the active queue. Exactly one per profile.
pub trait QueueSortPlugin {
    /// Should `a` be scheduled before `b`?
    fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool;
}

/// Runs once per pod before any Filter: checks the pod itself, precomputes state.
pub trait PreFilterPlugin {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status);

    /// Preemption asks "what if `pod_to_add` ran on `node`?": update the precomputed state.
    /// Only plugins whose state depends on *other* pods need this (upstream's
    /// `PreFilterExtensions.AddPod`).
    fn add_pod(
        &self,
        _state: &mut CycleState,
        _pod_to_schedule: &Pod,
        _pod_to_add: &PodInfo,
        _node: &NodeInfo,
    ) -> Status {
        Status::success()
    }

    /// "What if `pod_to_remove` were gone from `node`?" (`PreFilterExtensions.RemovePod`).
    fn remove_pod(
        &self,
        _state: &mut CycleState,
        _pod_to_schedule: &Pod,
        _pod_to_remove: &PodInfo,
        _node: &NodeInfo,
    ) -> Status {
        Status::success()
    }
}

/// Can the pod run on this node? Called for many nodes; must not change anything.
pub trait FilterPlugin {
    fn filter(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status;
}

/// What the framework offers a PostFilter plugin: the cluster, and the framework itself so
/// preemption can re-run the filters on "what if" states.
pub struct PostFilterContext<'a> {
    pub framework: &'a super::runtime::Framework,
    pub snapshot: &'a Snapshot,
    /// PodDisruptionBudgets in the cluster (empty when the API server serves none):
    /// preemption prefers victims whose eviction violates no budget.
    pub pdbs: &'a [Arc<k8s_openapi::api::policy::v1::PodDisruptionBudget>],
}

/// Runs only when no node fits. Preemption lives here.
pub trait PostFilterPlugin {
    fn post_filter(
        &self,
        ctx: &PostFilterContext<'_>,
        state: &CycleState,
        pod: &Pod,
        statuses: &NodeToStatus,
    ) -> (Option<PostFilterResult>, Status);
}

/// Runs once before scoring, with the nodes that passed the filters.
pub trait PreScorePlugin {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status;
}

/// How good is this node for the pod? Any scale; `normalize_score` maps it to 0..=100.
pub trait ScorePlugin {
    fn score(&self, state: &CycleState, pod: &Pod, node: &NodeInfo) -> (i64, Status);

    /// Map this plugin's scores of all nodes onto `MIN_NODE_SCORE..=MAX_NODE_SCORE`.
    /// Plugins that already score in that range keep the default, which changes nothing.
    fn normalize_score(
        &self,
        _state: &CycleState,
        _pod: &Pod,
        _scores: &mut [NodeScore],
    ) -> Status {
        Status::success()
    }
}

/// Told when a node has been chosen (reserve) and when that choice is abandoned (unreserve).
pub trait ReservePlugin {
    fn reserve(&self, state: &mut CycleState, pod: &Pod, node_name: &str) -> Status;
    fn unreserve(&self, state: &mut CycleState, pod: &Pod, node_name: &str);
}

/// May hold a pod back before binding: `Wait` with a timeout, or reject it.
pub trait PermitPlugin {
    fn permit(&self, state: &CycleState, pod: &Pod, node_name: &str) -> (Status, Duration);
}

/// Prepares the node before binding (e.g. provisions a volume). Runs in the binding cycle.
pub trait PreBindPlugin {
    fn pre_bind<'a>(
        &'a self,
        state: &'a CycleState,
        pod: &'a Pod,
        node_name: &'a str,
    ) -> BoxFuture<'a, Status>;
}

/// Binds the pod to the node. The first Bind plugin that does not return `Skip` wins.
pub trait BindPlugin {
    fn bind<'a>(
        &'a self,
        state: &'a CycleState,
        pod: &'a Pod,
        node_name: &'a str,
    ) -> BoxFuture<'a, Status>;
}
