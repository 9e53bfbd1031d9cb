//! From informer events to the queue and the cache.
//!
//! | event | pod without a node (ours) | pod with a node | node |
//! |---|---|---|---|
//! | add | queue it | cache it; may help pods waiting for affinity | cache it; may help anyone |
//! | update | requeue it if its spec or metadata changed | re-cache it; just bound: may help like an add | re-cache; may help if labels, taints, capacity changed |
//! | delete | drop it from the queue | uncache it; its room may help | uncache it; may help spreading |
//!
//! "May help" means: move the unschedulable pods whose rejecting plugins registered interest in
//! that event back towards the active queue.
//! Upstream: `pkg/scheduler/eventhandlers.go`.

use crate::cache::node_name;
use crate::framework::types::pod_key;
use crate::framework::{ClusterEvent, PodInfo};
use crate::scheduler::Shared;
use k8s_openapi::api::core::v1::{Node, Pod};
use machinery::reflector::{Deleted, EventHandler};
use std::sync::Arc;
use std::time::Instant;

/// Is the pod finished (it needs no node any more)?
fn is_terminal(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded") | Some("Failed")
    )
}

/// Did anything but the status change? (upstream's `isPodUpdated`)
fn spec_or_metadata_changed(old: &Pod, new: &Pod) -> bool {
    old.spec != new.spec
        || old.metadata.labels != new.metadata.labels
        || old.metadata.annotations != new.metadata.annotations
}

/// Pods with `spec.schedulingGates` wait outside the queue until every gate is removed
/// (upstream's SchedulingGates PreEnqueue plugin; kubeling does not set the
/// `SchedulingGated` condition on them).
fn is_gated(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.scheduling_gates.as_ref())
        .is_some_and(|g| !g.is_empty())
}

/// Should this scheduler schedule `pod`? Unbound, alive, ungated, and asking for one of our
/// profiles.
fn is_ours(shared: &Shared, pod: &Pod) -> bool {
    let name = pod
        .spec
        .as_ref()
        .and_then(|s| s.scheduler_name.as_deref())
        .unwrap_or(crate::config::DEFAULT_SCHEDULER_NAME);
    node_name(pod).is_none()
        && !is_terminal(pod)
        && pod.metadata.deletion_timestamp.is_none()
        && !is_gated(pod)
        && shared.profiles.contains_key(name)
}

pub struct PodEventHandler(pub Arc<Shared>);

impl EventHandler<Pod> for PodEventHandler {
    fn on_add(&self, pod: &Arc<Pod>) {
        let shared = &self.0;
        if node_name(pod).is_some() {
            shared.cache().add_or_update_pod(pod.clone());
            shared.move_pods(ClusterEvent::POD_ADD);
        } else if is_ours(shared, pod) {
            shared
                .queue()
                .add(PodInfo::new(pod.clone()), Instant::now());
            shared.nominate_from_status(pod);
            shared.wake.notify_one();
        }
    }

    fn on_update(&self, old: &Arc<Pod>, new: &Arc<Pod>) {
        let shared = &self.0;
        let key = pod_key(new);
        if node_name(new).is_some() {
            shared.cache().add_or_update_pod(new.clone());
            if node_name(old).is_none() {
                // Bound (by us or anyone): no longer pending; and for the pods waiting for pod
                // affinity to it, it has just arrived on a node (upstream: AssignedPodAdd).
                shared.queue().delete(&key);
                shared.remove_nomination(&key);
                shared.move_pods(ClusterEvent::POD_ADD);
            } else if old.metadata.labels != new.metadata.labels {
                shared.move_pods(ClusterEvent::POD_UPDATE);
            }
            if is_terminal(new) && !is_terminal(old) {
                // A finished pod frees its room as a deleted one does.
                shared.move_pods(ClusterEvent::POD_DELETE);
            }
        } else if is_ours(shared, new) {
            if !is_ours(shared, old) || spec_or_metadata_changed(old, new) {
                shared
                    .queue()
                    .update(PodInfo::new(new.clone()), Instant::now());
                shared.wake.notify_one();
            } else {
                shared.queue().update_status_only(PodInfo::new(new.clone()));
            }
            shared.nominate_from_status(new);
        } else {
            shared.queue().delete(&key);
            shared.remove_nomination(&key);
        }
    }

    fn on_delete(&self, deleted: &Deleted<Pod>) {
        let shared = &self.0;
        let pod = deleted.object();
        let key = pod_key(pod);
        shared.queue().delete(&key);
        shared.remove_nomination(&key);
        if node_name(pod).is_some() || shared.cache().is_assumed(&key) {
            shared.cache().remove_pod(&key);
            shared.move_pods(ClusterEvent::POD_DELETE);
        }
    }
}

pub struct NodeEventHandler(pub Arc<Shared>);

/// Did anything the filters look at change?
fn node_changed_for_scheduling(old: &Node, new: &Node) -> bool {
    old.metadata.labels != new.metadata.labels
        || old.spec != new.spec
        || old.status.as_ref().map(|s| &s.allocatable)
            != new.status.as_ref().map(|s| &s.allocatable)
        || old.status.as_ref().map(|s| &s.images) != new.status.as_ref().map(|s| &s.images)
}

impl EventHandler<Node> for NodeEventHandler {
    fn on_add(&self, node: &Arc<Node>) {
        self.0.cache().add_node(node.clone());
        self.0.move_pods(ClusterEvent::NODE_ADD);
    }

    fn on_update(&self, old: &Arc<Node>, new: &Arc<Node>) {
        self.0.cache().update_node(new.clone());
        if node_changed_for_scheduling(old, new) {
            self.0.move_pods(ClusterEvent::NODE_UPDATE);
        }
    }

    fn on_delete(&self, deleted: &Deleted<Node>) {
        let name = deleted.object().metadata.name.clone().unwrap_or_default();
        self.0.cache().remove_node(&name);
        // A node leaving can help too: topology spread skew is counted over existing domains.
        self.0.move_pods(ClusterEvent::NODE_DELETE);
    }
}
