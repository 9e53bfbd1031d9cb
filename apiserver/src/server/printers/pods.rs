//! Pods: NAME READY STATUS RESTARTS AGE (wide: IP NODE NOMINATED NODE READINESS GATES).
//!
//! STATUS is not a field of the pod. It is a one-word summary computed from the phase, the
//! init containers and the containers, in this order (upstream's `printPod`):
//!
//! 1. start from `status.reason` if set, else `status.phase` (`Pending`, `Running`, ...);
//! 2. walk the **init containers** in order; the first that has not succeeded decides:
//!    `Init:Error`, `Init:ExitCode:1`, `Init:CrashLoopBackOff`, or `Init:0/2` (still running);
//! 3. once initialised, walk the **containers** from last to first; a waiting or terminated
//!    container's reason wins: `ContainerCreating`, `CrashLoopBackOff`, `Completed`,
//!    `ExitCode:1`. So the *first* container's trouble is what shows;
//! 4. a pod being deleted shows `Terminating` (or `Unknown` when its node is lost).
//!
//! RESTARTS adds when the last restart happened, `5 (3m ago)`, and READY counts ready,
//! running containers (and started sidecars: init containers with `restartPolicy: Always`).

use super::duration::human_duration;
use super::{int_at, list_at, str_at, Column, Printer, AGE, NAME};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

pub const PRINTER: Printer = Printer {
    columns: &COLUMNS,
    row: pod_row,
    conditions: pod_conditions,
};

const COLUMNS: [Column; 9] = [
    NAME,
    Column::new("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    Column::new("Status", "string", "The aggregate status of the containers in this pod."),
    Column::new("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
    AGE,
    Column::new("IP", "string", "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.").wide(),
    Column::new("Node", "string", "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.").wide(),
    Column::new("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.").wide(),
    Column::new("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.").wide(),
];

/// The value at `pointer` unless absent or null (Go's "pointer is not nil").
fn present<'a>(obj: &'a Value, pointer: &str) -> Option<&'a Value> {
    obj.pointer(pointer).filter(|v| !v.is_null())
}

/// Whether the pod has condition `kind` with status "True".
fn condition_true(pod: &Value, kind: &str) -> bool {
    list_at(pod, "/status/conditions")
        .iter()
        .any(|c| str_at(c, "/type") == kind && str_at(c, "/status") == "True")
}

/// When a container status's previous run ended (`lastState.terminated.finishedAt`).
fn last_finished(status: &Value) -> Option<DateTime<Utc>> {
    let at = str_at(status, "/lastState/terminated/finishedAt");
    DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Keep the later of two restart times.
fn keep_latest(latest: &mut Option<DateTime<Utc>>, candidate: Option<DateTime<Utc>>) {
    if candidate > *latest {
        *latest = candidate;
    }
}

/// `Error`, or `ExitCode:1` / `Signal:9` when a terminated container gives no reason.
fn terminated_reason(terminated: &Value) -> String {
    match str_at(terminated, "/reason") {
        "" if int_at(terminated, "/signal") != 0 => {
            format!("Signal:{}", int_at(terminated, "/signal"))
        }
        "" => format!("ExitCode:{}", int_at(terminated, "/exitCode")),
        reason => reason.to_string(),
    }
}

/// NAME READY STATUS RESTARTS AGE IP NODE NOMINATED-NODE READINESS-GATES.
pub fn pod_row(pod: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let phase = str_at(pod, "/status/phase");
    let mut reason = match str_at(pod, "/status/reason") {
        "" => phase.to_string(),
        r => r.to_string(),
    };
    let gated = list_at(pod, "/status/conditions")
        .iter()
        .any(|c| str_at(c, "/type") == "PodScheduled" && str_at(c, "/reason") == "SchedulingGated");
    if gated {
        reason = "SchedulingGated".to_string();
    }

    // Sidecars (init containers that keep running) count as containers of the pod.
    let init_specs = list_at(pod, "/spec/initContainers");
    let is_sidecar = |name: &str| {
        init_specs
            .iter()
            .any(|c| str_at(c, "/name") == name && str_at(c, "/restartPolicy") == "Always")
    };
    let sidecars = init_specs
        .iter()
        .filter(|c| str_at(c, "/restartPolicy") == "Always")
        .count();
    let total = list_at(pod, "/spec/containers").len() + sidecars;
    let mut ready = 0;
    let (mut restarts, mut sidecar_restarts) = (0, 0);
    let (mut last_restart, mut last_sidecar_restart) = (None, None);

    let mut initializing = false;
    for (i, status) in list_at(pod, "/status/initContainerStatuses")
        .iter()
        .enumerate()
    {
        let count = int_at(status, "/restartCount");
        restarts += count;
        keep_latest(&mut last_restart, last_finished(status));
        let sidecar = is_sidecar(str_at(status, "/name"));
        if sidecar {
            sidecar_restarts += count;
            keep_latest(&mut last_sidecar_restart, last_finished(status));
        }
        let terminated = present(status, "/state/terminated");
        let waiting = str_at(status, "/state/waiting/reason");
        if terminated.is_some_and(|t| int_at(t, "/exitCode") == 0) {
            continue; // this one is done; look at the next
        }
        if sidecar && status.get("started") == Some(&json!(true)) {
            if status.get("ready") == Some(&json!(true)) {
                ready += 1;
            }
            continue; // a started sidecar does not hold up initialisation
        }
        reason = match terminated {
            Some(t) => format!("Init:{}", terminated_reason(t)),
            None if !waiting.is_empty() && waiting != "PodInitializing" => {
                format!("Init:{waiting}")
            }
            None => format!("Init:{i}/{}", init_specs.len()),
        };
        initializing = true;
        break;
    }

    if !initializing || condition_true(pod, "Initialized") {
        // Restarts of init containers that ran to completion no longer matter.
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for status in list_at(pod, "/status/containerStatuses").iter().rev() {
            restarts += int_at(status, "/restartCount");
            keep_latest(&mut last_restart, last_finished(status));
            let waiting = str_at(status, "/state/waiting/reason");
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if let Some(terminated) = present(status, "/state/terminated") {
                reason = terminated_reason(terminated);
            } else if status.get("ready") == Some(&json!(true))
                && present(status, "/state/running").is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        // One container finished but another still runs: the pod is not "Completed".
        if reason == "Completed" && has_running {
            reason = if condition_true(pod, "Ready") {
                "Running"
            } else {
                "NotReady"
            }
            .to_string();
        }
    }

    if present(pod, "/metadata/deletionTimestamp").is_some() {
        if str_at(pod, "/status/reason") == "NodeLost" {
            reason = "Unknown".to_string();
        } else if phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating".to_string();
        }
    }

    let restarts_cell = match last_restart {
        Some(at) if restarts != 0 => format!("{restarts} ({} ago)", human_duration(now - at)),
        _ => restarts.to_string(),
    };

    // The internal API keeps only `podIPs`; converting v1 fills it from `podIP`. We read both.
    let ip = list_at(pod, "/status/podIPs")
        .first()
        .map(|p| str_at(p, "/ip"))
        .unwrap_or_else(|| str_at(pod, "/status/podIP"));
    let gates = list_at(pod, "/spec/readinessGates");
    let readiness_gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let passed = gates
            .iter()
            .filter(|g| condition_true(pod, str_at(g, "/conditionType")))
            .count();
        format!("{passed}/{}", gates.len())
    };
    let or_none = |s: &str| json!(if s.is_empty() { "<none>" } else { s });
    vec![
        json!(super::name(pod)),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_cell),
        super::age(pod, now),
        or_none(ip),
        or_none(str_at(pod, "/spec/nodeName")),
        or_none(str_at(pod, "/status/nominatedNodeName")),
        json!(readiness_gates),
    ]
}

/// A finished pod's row is marked `Completed` (clients may grey it out or hide it).
pub fn pod_conditions(pod: &Value) -> Option<Value> {
    let (reason, message) = match str_at(pod, "/status/phase") {
        "Succeeded" => ("Succeeded", "The pod has completed successfully."),
        "Failed" => ("Failed", "The pod failed."),
        _ => return None,
    };
    Some(json!([{"type": "Completed", "status": "True", "reason": reason, "message": message}]))
}

#[cfg(test)]
mod tests {
    use super::super::test_now;
    use super::*;

    /// A pod created at 00:55 (five minutes before `test_now`), changed by `overrides`.
    fn pod(overrides: Value) -> Value {
        let mut pod = json!({"metadata": {"name": "web", "creationTimestamp": "2025-01-01T00:55:00Z"},
            "spec": {"containers": [{"name": "web", "image": "busybox"}]},
            "status": {"phase": "Pending"}});
        merge(&mut pod, overrides);
        pod
    }

    fn merge(into: &mut Value, from: Value) {
        match (into, from) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    merge(a.entry(k).or_insert(Value::Null), v);
                }
            }
            (slot, value) => *slot = value,
        }
    }

    fn running(ready: bool, restarts: i64) -> Value {
        json!({"name": "c", "ready": ready, "restartCount": restarts, "state": {"running": {}}})
    }

    #[test]
    fn ready_status_restarts_and_age_follow_upstream_print_pod() {
        let waiting = |reason: &str| json!({"name": "c", "ready": false, "restartCount": 0, "state": {"waiting": {"reason": reason}}});
        let terminated = |t: Value| json!({"name": "c", "ready": false, "restartCount": 0, "state": {"terminated": t}});
        let cases: Vec<(&str, Value, [&str; 4])> = vec![
            (
                "a new pod no node has taken is Pending with nothing ready",
                json!({}),
                ["0/1", "Pending", "0", "5m"],
            ),
            (
                "a container being created shows why it waits",
                json!({"status": {"containerStatuses": [waiting("ContainerCreating")]}}),
                ["0/1", "ContainerCreating", "0", "5m"],
            ),
            (
                "a ready running container makes the pod Running and 1/1",
                json!({"status": {"phase": "Running", "containerStatuses": [running(true, 0)]}}),
                ["1/1", "Running", "0", "5m"],
            ),
            (
                "a crash loop shows its restarts and how long ago the last one ended",
                json!({"status": {"phase": "Running", "containerStatuses": [{"name": "c", "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2025-01-01T00:57:00Z"}}}]}}),
                ["0/1", "CrashLoopBackOff", "5 (3m ago)", "5m"],
            ),
            (
                "containers that all exited 0 make the pod Completed",
                json!({"status": {"phase": "Succeeded", "containerStatuses": [terminated(json!({"exitCode": 0, "reason": "Completed"}))]}}),
                ["0/1", "Completed", "0", "5m"],
            ),
            (
                "a container that exited without a reason shows its exit code",
                json!({"status": {"phase": "Failed", "containerStatuses": [terminated(json!({"exitCode": 2}))]}}),
                ["0/1", "ExitCode:2", "0", "5m"],
            ),
            (
                "a container killed by a signal shows the signal",
                json!({"status": {"phase": "Failed", "containerStatuses": [terminated(json!({"exitCode": 137, "signal": 9}))]}}),
                ["0/1", "Signal:9", "0", "5m"],
            ),
            (
                "the first container's trouble wins over a later one's",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]},
                    "status": {"containerStatuses": [waiting("ImagePullBackOff"), waiting("ContainerCreating")]}}),
                ["0/2", "ImagePullBackOff", "0", "5m"],
            ),
            (
                "one container Completed while another still runs is Running when the pod is ready",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]},
                    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                        "containerStatuses": [terminated(json!({"exitCode": 0, "reason": "Completed"})), running(true, 0)]}}),
                ["1/2", "Running", "0", "5m"],
            ),
            (
                "and NotReady when it is not",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]},
                    "status": {"phase": "Running", "containerStatuses": [running(true, 0), terminated(json!({"exitCode": 0, "reason": "Completed"}))]}}),
                ["1/2", "NotReady", "0", "5m"],
            ),
            (
                "a pod still running its first of two init containers is Init:0/2",
                json!({"spec": {"initContainers": [{"name": "i1"}, {"name": "i2"}]},
                    "status": {"initContainerStatuses": [{"name": "i1", "restartCount": 0, "state": {"running": {}}}, {"name": "i2", "state": {"waiting": {"reason": "PodInitializing"}}}],
                        "containerStatuses": [waiting("PodInitializing")]}}),
                ["0/1", "Init:0/2", "0", "5m"],
            ),
            (
                "a failing init container shows Init: and its reason, with its restarts",
                json!({"spec": {"initContainers": [{"name": "i1"}]},
                    "status": {"initContainerStatuses": [{"name": "i1", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}}),
                ["0/1", "Init:CrashLoopBackOff", "3", "5m"],
            ),
            (
                "an init container that exited non-zero without a reason shows Init:ExitCode",
                json!({"spec": {"initContainers": [{"name": "i1"}]},
                    "status": {"initContainerStatuses": [{"name": "i1", "state": {"terminated": {"exitCode": 1}}}]}}),
                ["0/1", "Init:ExitCode:1", "0", "5m"],
            ),
            (
                "a started ready sidecar counts toward READY and does not hold up the pod",
                json!({"spec": {"initContainers": [{"name": "proxy", "restartPolicy": "Always"}]},
                    "status": {"phase": "Running", "initContainerStatuses": [{"name": "proxy", "started": true, "ready": true, "restartCount": 1, "state": {"running": {}}}],
                        "containerStatuses": [running(true, 0)]}}),
                ["2/2", "Running", "1", "5m"],
            ),
            (
                "a pod being deleted is Terminating",
                json!({"metadata": {"deletionTimestamp": "2025-01-01T00:59:00Z"}, "status": {"phase": "Running", "containerStatuses": [running(true, 0)]}}),
                ["1/1", "Terminating", "0", "5m"],
            ),
            (
                "a finished pod being deleted keeps its status",
                json!({"metadata": {"deletionTimestamp": "2025-01-01T00:59:00Z"}, "status": {"phase": "Succeeded", "containerStatuses": [terminated(json!({"exitCode": 0, "reason": "Completed"}))]}}),
                ["0/1", "Completed", "0", "5m"],
            ),
            (
                "a pod being deleted from a lost node is Unknown",
                json!({"metadata": {"deletionTimestamp": "2025-01-01T00:59:00Z"}, "status": {"phase": "Running", "reason": "NodeLost"}}),
                ["0/1", "Unknown", "0", "5m"],
            ),
            (
                "a pod held back by scheduling gates is SchedulingGated",
                json!({"status": {"conditions": [{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]}}),
                ["0/1", "SchedulingGated", "0", "5m"],
            ),
            (
                "a pod without a creation time has an unknown age",
                json!({"metadata": {"creationTimestamp": null}}),
                ["0/1", "Pending", "0", "<unknown>"],
            ),
        ];
        for (sentence, overrides, want) in cases {
            let cells = pod_row(&pod(overrides), test_now());
            let got: Vec<&str> = cells[1..5]
                .iter()
                .map(|c| c.as_str().unwrap_or("?"))
                .collect();
            assert_eq!(got, want, "{sentence}");
            assert_eq!(cells[0], "web", "{sentence}");
        }
    }

    #[test]
    fn the_wide_cells_show_ip_node_nominated_node_and_readiness_gates() {
        let unscheduled = pod_row(&pod(json!({})), test_now());
        assert_eq!(
            cells(&unscheduled[5..]),
            ["<none>", "<none>", "<none>", "<none>"]
        );
        let placed = pod(
            json!({"spec": {"nodeName": "n1", "readinessGates": [{"conditionType": "lb"}, {"conditionType": "db"}]},
            "status": {"podIPs": [{"ip": "10.244.0.5"}], "nominatedNodeName": "n2",
                "conditions": [{"type": "lb", "status": "True"}, {"type": "db", "status": "False"}]}}),
        );
        assert_eq!(
            cells(&pod_row(&placed, test_now())[5..]),
            ["10.244.0.5", "n1", "n2", "1/2"]
        );
        let only_pod_ip = pod(json!({"status": {"podIP": "10.244.0.6"}}));
        assert_eq!(pod_row(&only_pod_ip, test_now())[5], "10.244.0.6");
    }

    fn cells(values: &[Value]) -> Vec<&str> {
        values.iter().map(|c| c.as_str().unwrap_or("?")).collect()
    }

    #[test]
    fn only_a_finished_pods_row_is_marked_completed() {
        assert_eq!(pod_conditions(&pod(json!({}))), None);
        let done = pod_conditions(&pod(json!({"status": {"phase": "Succeeded"}}))).expect("marked");
        assert_eq!(done[0]["type"], "Completed");
        assert_eq!(done[0]["reason"], "Succeeded");
        let failed = pod_conditions(&pod(json!({"status": {"phase": "Failed"}}))).expect("marked");
        assert_eq!(failed[0]["message"], "The pod failed.");
    }
}
