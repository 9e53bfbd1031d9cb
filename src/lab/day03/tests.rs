//! Day 03's checks, judged on objects written by hand as the API returns them.

use super::*;
use serde_json::json;

fn node(name: &str, which: &str, zone: &str) -> Value {
    json!({"metadata": {"name": name, "labels": {NODE_LABEL: which, ZONE: zone}},
           "spec": {}, "status": {"allocatable": {"cpu": "4"}}})
}

/// The four nodes of nodes.yaml, with the slot on a and the taint on b.
fn lab_nodes() -> Vec<Value> {
    let mut nodes = vec![
        node("lab03-a", "a", "zone-1"),
        node("lab03-b", "b", "zone-1"),
        node("lab03-c", "c", "zone-2"),
        node("lab03-d", "d", "zone-2"),
    ];
    nodes[0]["status"]["allocatable"][SLOT] = json!("1");
    nodes[1]["spec"]["taints"] =
        json!([{"key": "dedicated", "value": "lab", "effect": "NoSchedule"}]);
    nodes
}

fn pod(name: &str, spec: Value) -> Value {
    json!({"metadata": {"name": name, "namespace": NS}, "spec": spec})
}

fn spread_pod(i: usize, node: &str) -> Value {
    let mut p = pod(
        &format!("spread-{i}"),
        json!({"nodeName": node, "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE}]}),
    );
    p["metadata"]["labels"] = json!({"app": SPREAD_APP});
    p
}

#[test]
fn the_nodes_task_wants_four_lab_nodes_with_zones_and_a_slot_on_a() {
    assert!(nodes_task(&Ok(lab_nodes())).hint.is_none());
    let mut no_slot = lab_nodes();
    no_slot[0]["status"]["allocatable"] = json!({"cpu": "4"});
    assert!(nodes_task(&Ok(no_slot)).hint.is_some());
    let mut no_zone = lab_nodes();
    no_zone[2]["metadata"]["labels"] = json!({NODE_LABEL: "c"});
    assert!(nodes_task(&Ok(no_zone)).hint.is_some());
    assert!(nodes_task(&Ok(lab_nodes()[..3].to_vec())).hint.is_some());
    assert!(nodes_task(&Ok(vec![])).hint.is_some());
}

#[test]
fn tolerations_match_as_upstream_s_tolerates_taint() {
    let cases = [
        (
            "equal key and value",
            json!([{"key": "dedicated", "operator": "Equal", "value": "lab", "effect": "NoSchedule"}]),
            true,
        ),
        (
            "operator defaults to Equal",
            json!([{"key": "dedicated", "value": "lab"}]),
            true,
        ),
        (
            "Exists ignores the value",
            json!([{"key": "dedicated", "operator": "Exists"}]),
            true,
        ),
        (
            "an empty key with Exists tolerates everything",
            json!([{"operator": "Exists"}]),
            true,
        ),
        (
            "another value",
            json!([{"key": "dedicated", "value": "gpu"}]),
            false,
        ),
        (
            "another effect",
            json!([{"key": "dedicated", "value": "lab", "effect": "NoExecute"}]),
            false,
        ),
        ("no tolerations", json!(null), false),
    ];
    for (name, tolerations, want) in cases {
        assert_eq!(
            tolerates(&tolerations, "dedicated", "lab", "NoSchedule"),
            want,
            "{name}"
        );
    }
}

#[test]
fn the_taint_task_wants_the_tolerant_pod_on_the_tainted_node() {
    let toleration =
        json!([{"key": "dedicated", "operator": "Equal", "value": "lab", "effect": "NoSchedule"}]);
    let tolerant = |node: &str, tolerations: &Value| {
        pod(
            "lab03-tolerant",
            json!({"nodeName": node, "tolerations": tolerations}),
        )
    };
    let ok = taint_task(
        &Ok(lab_nodes()),
        &Ok(vec![tolerant("lab03-b", &toleration)]),
    );
    assert!(ok.hint.is_none(), "{:?}", ok.hint);
    let elsewhere = taint_task(
        &Ok(lab_nodes()),
        &Ok(vec![tolerant("lab03-c", &toleration)]),
    );
    assert!(elsewhere.hint.is_some_and(|h| h.contains("attract")));
    let intolerant = taint_task(&Ok(lab_nodes()), &Ok(vec![tolerant("lab03-b", &json!([]))]));
    assert!(intolerant.hint.is_some());
    let mut untainted = lab_nodes();
    untainted[1]["spec"] = json!({});
    assert!(
        taint_task(&Ok(untainted), &Ok(vec![tolerant("lab03-b", &toleration)]))
            .hint
            .is_some()
    );
}

#[test]
fn the_pending_task_wants_the_node_selector_message_in_the_condition() {
    let pending = |message: &str| {
        let mut p = pod(
            "lab03-pending",
            json!({"nodeSelector": {"disktype": "ssd"}}),
        );
        p["status"] = json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}]});
        p
    };
    let real = "0/4 nodes are available: 1 node(s) had untolerated taint {dedicated: lab}, 3 node(s) didn't match Pod's node affinity/selector.";
    assert!(pending_task(&Ok(vec![pending(real)])).hint.is_none());
    assert!(pending_task(&Ok(vec![pending(
        "0/4 nodes are available: 4 Insufficient cpu."
    )]))
    .hint
    .is_some());
    let mut scheduled = pending(real);
    scheduled["spec"]["nodeName"] = json!("lab03-a");
    assert!(pending_task(&Ok(vec![scheduled])).hint.is_some());
    assert!(pending_task(&Ok(vec![])).hint.is_some());
}

#[test]
fn the_spread_task_counts_pods_per_zone_not_per_node() {
    let placed = |nodes: &[&str]| -> Vec<Value> {
        nodes
            .iter()
            .enumerate()
            .map(|(i, n)| spread_pod(i + 1, n))
            .collect()
    };
    let by_zone = placed(&[
        "lab03-a", "lab03-a", "lab03-a", "lab03-c", "lab03-d", "lab03-c",
    ]);
    assert!(spread_task(&Ok(lab_nodes()), &Ok(by_zone)).hint.is_none());
    // Two per schedulable node is even per node, but 2 against 4 per zone.
    let by_node = placed(&[
        "lab03-a", "lab03-a", "lab03-c", "lab03-c", "lab03-d", "lab03-d",
    ]);
    assert!(spread_task(&Ok(lab_nodes()), &Ok(by_node)).hint.is_some());
    let unscheduled = placed(&["lab03-a", "lab03-a", "lab03-a", "lab03-c", "lab03-d", ""]);
    assert!(spread_task(&Ok(lab_nodes()), &Ok(unscheduled))
        .hint
        .is_some());
    let too_few = placed(&["lab03-a", "lab03-c"]);
    assert!(spread_task(&Ok(lab_nodes()), &Ok(too_few)).hint.is_some());
    let mut unconstrained = placed(&[
        "lab03-a", "lab03-a", "lab03-a", "lab03-c", "lab03-d", "lab03-c",
    ]);
    unconstrained[0]["spec"]["topologySpreadConstraints"] = json!([]);
    assert!(spread_task(&Ok(lab_nodes()), &Ok(unconstrained))
        .hint
        .is_some());
}

#[test]
fn the_preemption_task_wants_the_vip_on_a_and_a_preempted_event() {
    let class: Fetched = Ok(Some(
        json!({"metadata": {"name": "lab03-high"}, "value": 1000}),
    ));
    let vip = |node: &str| {
        pod(
            "lab03-vip",
            json!({"nodeName": node, "priorityClassName": "lab03-high", "priority": 1000}),
        )
    };
    let preempted = vec![
        json!({"reason": "Preempted", "involvedObject": {"name": "lab03-low"},
                                "message": "Preempted by pod 1234 on node lab03-a"}),
    ];
    let check = |pods: Vec<Value>, events: Vec<Value>, class: &Fetched| {
        preemption_task(&Ok(lab_nodes()), &Ok(pods), &Ok(events), class)
    };
    assert!(check(vec![vip("lab03-a")], preempted.clone(), &class)
        .hint
        .is_none());
    assert!(
        check(vec![vip("lab03-a")], vec![], &class).hint.is_some(),
        "no eviction, no preemption"
    );
    assert!(check(vec![vip("")], preempted.clone(), &class)
        .hint
        .is_some());
    assert!(check(vec![vip("lab03-a")], preempted.clone(), &Ok(None))
        .hint
        .is_some());
    assert!(check(vec![], preempted, &class).hint.is_some());
}

#[test]
fn the_second_scheduler_task_wants_a_bound_pod_of_my_scheduler() {
    let custom = |scheduler: &str, node: &str| {
        pod(
            "lab03-custom",
            json!({"schedulerName": scheduler, "nodeName": node}),
        )
    };
    assert!(
        second_scheduler_task(&Ok(vec![custom("my-scheduler", "lab03-c")]))
            .hint
            .is_none()
    );
    assert!(second_scheduler_task(&Ok(vec![custom("my-scheduler", "")]))
        .hint
        .is_some());
    assert!(
        second_scheduler_task(&Ok(vec![custom("default-scheduler", "lab03-c")]))
            .hint
            .is_some()
    );
}
