//! The scheduler end to end: `kubeling up` (API server + scheduler), nodes as plain API objects
//! (as upstream's scheduler_perf does; no kubelet needed), driven with the real kubectl.

mod common;

use common::Cluster;
use std::time::{Duration, Instant};

/// Create a node and give it capacity through the status subresource, as a kubelet would.
fn node(cluster: &Cluster, name: &str, cpu: &str, memory: &str, extra_yaml: &str) {
    let yaml = format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels:\n    kubernetes.io/hostname: {name}\n{extra_yaml}"
    );
    cluster.kubectl_stdin(&["create", "-f", "-"], Some(&yaml));
    let status = format!(
        r#"{{"status":{{"capacity":{{"cpu":"{cpu}","memory":"{memory}","pods":"110"}},"allocatable":{{"cpu":"{cpu}","memory":"{memory}","pods":"110"}}}}}}"#
    );
    cluster.ok(&[
        "patch",
        "node",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        &status,
    ]);
}

fn pod(cluster: &Cluster, name: &str, cpu: &str, extra_spec: &str) {
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    resources:\n      requests:\n        cpu: \"{cpu}\"\n{extra_spec}"
    );
    let out = cluster.kubectl_stdin(&["create", "-f", "-"], Some(&yaml));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Poll `probe` until it returns Some, for at most 30 s.
fn wait_for<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn node_of(cluster: &Cluster, pod: &str) -> String {
    cluster.ok(&["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])
}

fn wait_scheduled(cluster: &Cluster, pod: &str) -> String {
    wait_for(&format!("{pod} to be scheduled"), || {
        Some(node_of(cluster, pod)).filter(|n| !n.is_empty())
    })
}

/// The message of the pod's FailedScheduling event, once there is one.
fn failed_scheduling(cluster: &Cluster, pod: &str) -> String {
    wait_for(&format!("a FailedScheduling event for {pod}"), || {
        let out = cluster.ok(&[
            "get",
            "events",
            "--field-selector",
            &format!("involvedObject.name={pod},reason=FailedScheduling"),
            "-o",
            "jsonpath={.items[*].message}",
        ]);
        Some(out).filter(|m| !m.is_empty())
    })
}

fn explain(cluster: &Cluster, pod: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubeling"))
        .args([
            "explain",
            "pod",
            pod,
            "--scheduler",
            &format!("http://127.0.0.1:{}", cluster.scheduler_port),
        ])
        .output()
        .expect("kubeling explain runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_pod_goes_to_the_node_with_room_and_says_so_in_an_event_and_its_condition() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let cluster = Cluster::up("etcd");
    node(&cluster, "small", "1", "4Gi", "");
    node(&cluster, "big", "4", "16Gi", "");
    pod(&cluster, "web", "2", "");
    assert_eq!(wait_scheduled(&cluster, "web"), "big");
    let events = wait_for("the Scheduled event", || {
        let out = cluster.ok(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=web,reason=Scheduled",
            "-o",
            "jsonpath={.items[*].message}",
        ]);
        Some(out).filter(|m| !m.is_empty())
    });
    assert_eq!(events, "Successfully assigned default/web to big");
    let condition = cluster.ok(&[
        "get",
        "pod",
        "web",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].status}",
    ]);
    assert_eq!(condition, "True");
}

#[test]
fn an_unschedulable_pod_explains_why_and_is_scheduled_when_a_node_appears() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    node(&cluster, "tiny", "500m", "1Gi", "");
    node(
        &cluster,
        "gpu",
        "8",
        "32Gi",
        "spec:\n  taints:\n  - key: dedicated\n    value: gpu\n    effect: NoSchedule\n",
    );
    pod(&cluster, "batch", "1", "");
    let message = failed_scheduling(&cluster, "batch");
    assert!(
        message.starts_with(
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: gpu}."
        ),
        "{message}"
    );
    let reason = cluster.ok(&[
        "get",
        "pod",
        "batch",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].reason}",
    ]);
    assert_eq!(reason, "Unschedulable");

    let text = explain(&cluster, "batch");
    assert!(text.contains("Pod default/batch: Unschedulable"), "{text}");
    assert!(text.contains("TaintToleration"), "{text}");
    assert!(text.contains("NodeResourcesFit"), "{text}");
    assert!(text.contains("Insufficient cpu"), "{text}");

    // No polling: the node's arrival is what moves the pod back to the active queue.
    node(&cluster, "roomy", "2", "8Gi", "");
    assert_eq!(wait_scheduled(&cluster, "batch"), "roomy");
    let text = explain(&cluster, "batch");
    assert!(
        text.contains("Pod default/batch: Scheduled to roomy"),
        "{text}"
    );
}

#[test]
fn explain_shows_the_scores_that_chose_the_node() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    node(&cluster, "busy", "4", "16Gi", "");
    node(&cluster, "idle", "4", "16Gi", "");
    pod(&cluster, "filler", "3", "");
    let first = wait_scheduled(&cluster, "filler");
    pod(&cluster, "next", "500m", "");
    let second = wait_scheduled(&cluster, "next");
    assert_ne!(first, second, "LeastAllocated prefers the emptier node");
    let text = explain(&cluster, "next");
    assert!(text.contains("Score"), "{text}");
    assert!(text.contains("NodeResourcesFit"), "{text}");
    assert!(text.contains("← chosen"), "{text}");
}
