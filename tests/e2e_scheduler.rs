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

/// `field` (a jsonpath) of the pod's events with `reason`, once there is at least one.
fn event_field(cluster: &Cluster, pod: &str, reason: &str, field: &str) -> String {
    wait_for(&format!("a {reason} event for {pod}"), || {
        let out = cluster.ok(&[
            "get",
            "events",
            "--field-selector",
            &format!("involvedObject.name={pod},reason={reason}"),
            "-o",
            &format!("jsonpath={{.items[*].{field}}}"),
        ]);
        Some(out).filter(|m| !m.is_empty())
    })
}

/// The message of the pod's FailedScheduling event, once there is one.
fn failed_scheduling(cluster: &Cluster, pod: &str) -> String {
    event_field(cluster, pod, "FailedScheduling", "message")
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
    let events = event_field(&cluster, "web", "Scheduled", "message");
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

#[test]
fn node_selectors_and_required_node_affinity_pick_or_refuse_nodes() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    node(&cluster, "ssd-1", "4", "16Gi", "");
    cluster.ok(&["label", "node", "ssd-1", "disk=ssd"]);
    node(&cluster, "hdd-1", "4", "16Gi", "");
    cluster.ok(&["label", "node", "hdd-1", "disk=hdd"]);
    pod(&cluster, "db", "100m", "  nodeSelector:\n    disk: ssd\n");
    assert_eq!(wait_scheduled(&cluster, "db"), "ssd-1");
    let nvme = "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions:\n          - {key: disk, operator: In, values: [nvme]}\n";
    pod(&cluster, "fast", "100m", nvme);
    let message = failed_scheduling(&cluster, "fast");
    assert!(
        message.starts_with(
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
        ),
        "{message}"
    );
}

#[test]
fn pod_anti_affinity_spreads_replicas_and_refuses_a_third_on_two_nodes() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    node(&cluster, "n1", "4", "16Gi", "");
    node(&cluster, "n2", "4", "16Gi", "");
    let anti = "  affinity:\n    podAntiAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector:\n          matchLabels: {tier: cache}\n        topologyKey: kubernetes.io/hostname\n";
    let mut nodes = Vec::new();
    for name in ["cache-1", "cache-2", "cache-3"] {
        let yaml = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{tier: cache}}\nspec:\n  containers:\n  - name: c\n    image: busybox\n{anti}"
        );
        cluster.kubectl_stdin(&["create", "-f", "-"], Some(&yaml));
        if name != "cache-3" {
            nodes.push(wait_scheduled(&cluster, name));
        }
    }
    nodes.sort();
    assert_eq!(nodes, ["n1", "n2"]);
    let message = failed_scheduling(&cluster, "cache-3");
    assert!(
        message.starts_with(
            "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules."
        ),
        "{message}"
    );
}

#[test]
fn topology_spread_puts_pods_evenly_across_zones() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    for (name, zone) in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b")] {
        node(&cluster, name, "4", "16Gi", "");
        cluster.ok(&[
            "label",
            "node",
            name,
            &format!("topology.kubernetes.io/zone={zone}"),
        ]);
    }
    let spread = "  topologySpreadConstraints:\n  - maxSkew: 1\n    topologyKey: topology.kubernetes.io/zone\n    whenUnsatisfiable: DoNotSchedule\n    labelSelector:\n      matchLabels: {app: spread}\n";
    let mut zones = Vec::new();
    for i in 0..4 {
        let name = format!("s{i}");
        let yaml = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{app: spread}}\nspec:\n  containers:\n  - name: c\n    image: busybox\n{spread}"
        );
        cluster.kubectl_stdin(&["create", "-f", "-"], Some(&yaml));
        let node = wait_scheduled(&cluster, &name);
        zones.push(if node.starts_with('a') { "a" } else { "b" });
    }
    zones.sort();
    assert_eq!(
        zones,
        ["a", "a", "b", "b"],
        "three nodes in zone a must not attract more pods"
    );
}

#[test]
fn a_high_priority_pod_preempts_a_low_priority_one() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    node(&cluster, "only", "1", "4Gi", "");
    // No kubelet here: a grace period of 0 lets the victim's deletion complete at once.
    pod(
        &cluster,
        "low",
        "800m",
        "  priority: 0\n  terminationGracePeriodSeconds: 0\n",
    );
    assert_eq!(wait_scheduled(&cluster, "low"), "only");
    pod(&cluster, "high", "800m", "  priority: 1000\n");
    assert_eq!(wait_scheduled(&cluster, "high"), "only");
    let gone = cluster.kubectl(&["get", "pod", "low"]);
    assert!(!gone.status.success(), "the victim was deleted");
    let preempted = event_field(&cluster, "low", "Preempted", "message");
    assert!(preempted.starts_with("Preempted by pod "), "{preempted}");
}

#[test]
fn pod_affinity_places_a_pod_in_the_zone_of_the_pod_it_follows_and_metrics_count_it() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    for (name, zone) in [("east-1", "east"), ("west-1", "west"), ("west-2", "west")] {
        node(&cluster, name, "4", "16Gi", "");
        cluster.ok(&[
            "label",
            "node",
            name,
            &format!("topology.kubernetes.io/zone={zone}"),
        ]);
    }
    pod(
        &cluster,
        "db",
        "100m",
        "  nodeSelector:\n    topology.kubernetes.io/zone: east\n",
    );
    assert_eq!(wait_scheduled(&cluster, "db"), "east-1");
    let follow = "  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n      - labelSelector:\n          matchLabels: {app: db}\n        topologyKey: topology.kubernetes.io/zone\n";
    pod(&cluster, "app", "100m", follow);
    assert_eq!(wait_scheduled(&cluster, "app"), "east-1");

    let metrics = http_get(cluster.scheduler_port, "/metrics");
    assert!(
        metrics.contains(
            "scheduler_schedule_attempts_total{profile=\"default-scheduler\",result=\"scheduled\"} 2"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("scheduler_scheduling_algorithm_duration_seconds_count 2"));
    assert!(metrics.contains("scheduler_pending_pods{queue=\"active\"} 0"));
}

/// GET a path from a local HTTP server, as text (a tiny client: the scheduler speaks HTTP/1.1).
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    text
}

/// A child process killed (by its PID) when the test ends, however it ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_second_scheduler_takes_the_lease_and_schedules_only_pods_that_name_it() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    node(&cluster, "n1", "4", "16Gi", "");
    let second = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_kubeling"))
            .args(["scheduler", "--kubeconfig"])
            .arg(cluster.kubeconfig())
            .args([
                "--scheduler-name",
                "second",
                "--leader-elect",
                "--port",
                "0",
            ])
            .env("KUBELING_LOG", "warn")
            .spawn()
            .expect("kubeling scheduler starts"),
    );
    let holder = wait_for("the kube-scheduler lease", || {
        let out = cluster.kubectl(&[
            "get",
            "lease",
            "kube-scheduler",
            "-n",
            "kube-system",
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.success() && !text.is_empty()).then_some(text)
    });
    assert!(holder.ends_with(&format!("_{}", second.0.id())), "{holder}");
    pod(&cluster, "mine", "100m", "  schedulerName: second\n");
    assert_eq!(wait_scheduled(&cluster, "mine"), "n1");
    let source = event_field(&cluster, "mine", "Scheduled", "source.component");
    assert_eq!(
        source, "second",
        "the event names the scheduler that decided"
    );
    // The cluster's own default scheduler ignores pods that ask for another scheduler, and
    // the second one ignores default ones: both pods end up scheduled by their own.
    pod(&cluster, "theirs", "100m", "");
    assert_eq!(wait_scheduled(&cluster, "theirs"), "n1");
}

#[test]
fn a_gated_pod_waits_until_its_scheduling_gates_are_removed() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    node(&cluster, "n1", "4", "16Gi", "");
    pod(
        &cluster,
        "gated",
        "100m",
        "  schedulingGates:\n  - name: example.com/wait\n",
    );
    // The scheduler sees pods in order: once a later pod is bound, the gated one was seen too.
    pod(&cluster, "free", "100m", "");
    assert_eq!(wait_scheduled(&cluster, "free"), "n1");
    assert_eq!(
        node_of(&cluster, "gated"),
        "",
        "a gated pod is not scheduled"
    );
    cluster.ok(&[
        "patch",
        "pod",
        "gated",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/spec/schedulingGates"}]"#,
    ]);
    assert_eq!(wait_scheduled(&cluster, "gated"), "n1");
}
