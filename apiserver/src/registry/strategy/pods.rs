//! Pods. Upstream: `pkg/registry/core/pod/strategy.go`.

use super::Strategy;
use crate::registry::validation::{pod, pod_update};
use machinery::StatusCause;
use serde_json::{json, Value};

/// Pods start `Pending`, get a QoS class, and are deleted gracefully once on a node.
pub struct PodStrategy;

/// What `terminationGracePeriodSeconds` defaults to.
pub const DEFAULT_GRACE_SECONDS: i64 = 30;

impl Strategy for PodStrategy {
    fn default(&self, obj: &mut Value) {
        super::defaults::pod(obj);
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        let qos = qos_class(obj);
        obj["status"] = json!({"phase": "Pending", "qosClass": qos});
    }

    /// The whole PodSpec, as upstream's `ValidatePodCreate` checks it (see
    /// `registry/validation/pod.rs`).
    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        pod::validate_pod(obj)
    }

    /// Almost nothing in a pod's spec may change (see `registry/validation/pod_update.rs`).
    fn validate_update(&self, new: &Value, old: &Value) -> Vec<StatusCause> {
        pod_update::validate_pod_update(new, old)
    }

    /// A pod that never reached a node, or has already finished, has nothing to stop: delete
    /// it at once. Otherwise wait for its kubelet, which deletes it for good (grace 0) once
    /// the containers are stopped. Mirrors `podStrategy.CheckGracefulDelete`.
    fn grace_period(&self, obj: &Value, requested: Option<i64>) -> i64 {
        let node = obj
            .pointer("/spec/nodeName")
            .and_then(Value::as_str)
            .unwrap_or("");
        let phase = obj
            .pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or("");
        if node.is_empty() || phase == "Succeeded" || phase == "Failed" {
            return 0;
        }
        requested
            .or_else(|| {
                obj.pointer("/spec/terminationGracePeriodSeconds")
                    .and_then(Value::as_i64)
            })
            .unwrap_or(DEFAULT_GRACE_SECONDS)
            .max(0)
    }
}

/// The pod's QoS class, as `pkg/apis/core/helper/qos/qos.go` computes it: `Guaranteed` when
/// every container limits cpu and memory and requests equal limits, `BestEffort` when no
/// container requests or limits anything, `Burstable` otherwise.
pub fn qos_class(pod: &Value) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|f| pod.pointer(&format!("/spec/{f}")).and_then(Value::as_array))
        .flatten()
        .collect();
    let resources = |c: &Value, kind: &str| {
        c.pointer(&format!("/resources/{kind}"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in containers {
        let (requests, limits) = (resources(c, "requests"), resources(c, "limits"));
        any |= !requests.is_empty() || !limits.is_empty();
        for r in ["cpu", "memory"] {
            match (limits.get(r), requests.get(r)) {
                (Some(l), Some(q)) if l == q => {}
                (Some(_), None) => {} // requests default to limits
                _ => guaranteed = false,
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_without_resources_is_best_effort() {
        let pod = json!({"spec": {"containers": [{"name": "a", "image": "busybox"}]}});
        assert_eq!(qos_class(&pod), "BestEffort");
    }

    #[test]
    fn limits_equal_to_requests_for_cpu_and_memory_are_guaranteed() {
        let r = json!({"cpu": "1", "memory": "1Gi"});
        let pod = json!({"spec": {"containers": [{"resources": {"limits": r, "requests": r}}]}});
        assert_eq!(qos_class(&pod), "Guaranteed");
    }

    #[test]
    fn a_cpu_request_alone_is_burstable() {
        let pod = json!({"spec": {"containers": [{"resources": {"requests": {"cpu": "100m"}}}]}});
        assert_eq!(qos_class(&pod), "Burstable");
    }

    #[test]
    fn an_unscheduled_pod_is_deleted_at_once_but_a_bound_one_waits() {
        let mut pod = json!({"spec": {"containers": []}, "status": {"phase": "Running"}});
        assert_eq!(PodStrategy.grace_period(&pod, None), 0);
        pod["spec"]["nodeName"] = json!("n1");
        assert_eq!(PodStrategy.grace_period(&pod, None), 30);
        assert_eq!(
            PodStrategy.grace_period(&pod, Some(0)),
            0,
            "grace 0 forces deletion"
        );
    }

    #[test]
    fn a_pod_needs_a_container_with_name_and_image() {
        let mut pod = json!({"spec": {"containers": [{"name": "a"}]}});
        PodStrategy.default(&mut pod);
        let causes = PodStrategy.validate(&pod);
        assert_eq!(
            causes,
            vec![machinery::validation_causes::required(
                "spec.containers[0].image",
                ""
            )]
        );
        let mut empty = json!({"spec": {}});
        PodStrategy.default(&mut empty);
        assert_eq!(PodStrategy.validate(&empty).len(), 1);
    }
}
