//! Day 03's checks: the scheduler (labs/day03-scheduler/).
//!
//! What the chapter leaves behind (pods in namespace `lab03`):
//!
//! ```text
//! Nodes lab03=a,b,c,d   each with a zone label; lab03=a offers   step 2 (kubeling: API objects;
//!                       one lab.kubeling.dev/slot                        kind: real workers, labelled)
//! Node  lab03=b         taint dedicated=lab:NoSchedule           step 4
//! Pod   lab03-tolerant  tolerates it, bound to lab03=b           step 4
//! Pod   lab03-pending   Pending, PodScheduled=False: "didn't     step 5
//!                       match Pod's node affinity/selector"
//! Pods  app=lab03-spread  six, zone spread constraint, bound,    step 7
//!                       as many per zone (give or take one)
//! PriorityClass lab03-high (1000); pod lab03-vip of that class   step 8
//!                       bound to lab03=a; lab03-low was Preempted (an event)
//! Pod   lab03-custom    schedulerName my-scheduler, bound        step 9
//! ```
//!
//! Nodes are found by their `lab03` label, not by name, so that on kind the student labels real
//! workers instead of creating nodes. Only the API is read: the same checks hold whichever
//! scheduler (kubeling's or kube-scheduler) made the decisions.

use super::{fetch, Fetched, Task};
use machinery::client::Client;
use serde_json::Value;
use std::collections::BTreeMap;

const NS: &str = "lab03";
/// The label naming the lab's nodes: `lab03=a`, ... `lab03=d`.
const NODE_LABEL: &str = "lab03";
const ZONE: &str = "topology.kubernetes.io/zone";
const SLOT: &str = "lab.kubeling.dev/slot";
const SPREAD_APP: &str = "lab03-spread";
const SPREAD_PODS: usize = 6;
const PENDING_MESSAGE: &str = "didn't match Pod's node affinity/selector";
const SECOND_SCHEDULER: &str = "my-scheduler";

pub async fn check(client: &Client) -> Vec<Task> {
    let nodes = list(fetch(client, &format!("/api/v1/nodes?labelSelector={NODE_LABEL}")).await);
    let pods = list(fetch(client, &format!("/api/v1/namespaces/{NS}/pods")).await);
    let events = list(fetch(client, &format!("/api/v1/namespaces/{NS}/events")).await);
    let class = fetch(
        client,
        "/apis/scheduling.k8s.io/v1/priorityclasses/lab03-high",
    )
    .await;
    vec![
        nodes_task(&nodes),
        taint_task(&nodes, &pods),
        pending_task(&pods),
        spread_task(&nodes, &pods),
        preemption_task(&nodes, &pods, &events, &class),
        second_scheduler_task(&pods),
    ]
}

/// The items of a list; a missing list (no such namespace yet) is empty.
fn list(fetched: Fetched) -> Result<Vec<Value>, String> {
    fetched.map(|list| {
        list.and_then(|l| l["items"].as_array().cloned())
            .unwrap_or_default()
    })
}

type Objects = Result<Vec<Value>, String>;

fn label<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object["metadata"]["labels"][key].as_str()
}

/// The node labelled `lab03=<which>`.
fn lab_node<'a>(nodes: &'a [Value], which: &str) -> Result<&'a Value, String> {
    let mut found = nodes.iter().filter(|n| label(n, NODE_LABEL) == Some(which));
    match (found.next(), found.next()) {
        (Some(node), None) => Ok(node),
        (None, _) => Err(format!(
            "no node is labelled {NODE_LABEL}={which}: kubectl apply -f nodes.yaml (on kind: label a worker) (step 2)"
        )),
        (Some(_), Some(_)) => Err(format!(
            "more than one node is labelled {NODE_LABEL}={which} (step 2)"
        )),
    }
}

fn pod_named<'a>(pods: &'a [Value], name: &str) -> Option<&'a Value> {
    pods.iter().find(|p| machinery::meta::name(p) == name)
}

fn node_name(pod: &Value) -> &str {
    pod["spec"]["nodeName"].as_str().unwrap_or_default()
}

fn nodes_task(nodes: &Objects) -> Task {
    let verdict = nodes.clone().and_then(|nodes| {
        for which in ["a", "b", "c", "d"] {
            let node = lab_node(&nodes, which)?;
            if label(node, ZONE).is_none_or(str::is_empty) {
                return Err(format!(
                    "node {} has no {ZONE} label (step 2)",
                    machinery::meta::name(node)
                ));
            }
        }
        let a = lab_node(&nodes, "a")?;
        let slots = a["status"]["allocatable"][SLOT].as_str().unwrap_or("0");
        if slots.parse::<u32>().unwrap_or(0) < 1 {
            return Err(format!(
                "node {} offers no {SLOT}: patch its status with capacity and allocatable {SLOT}: \"1\" (step 2)",
                machinery::meta::name(a)
            ));
        }
        Ok(())
    });
    Task::judge(
        "nodes lab03=a..d exist with zones, and lab03=a offers one lab.kubeling.dev/slot",
        1,
        verdict,
    )
}

/// Does one of these tolerations tolerate `key=value:effect`? (upstream's `ToleratesTaint`:
/// an empty key with Exists tolerates everything; an empty effect matches every effect.)
fn tolerates(tolerations: &Value, key: &str, value: &str, effect: &str) -> bool {
    tolerations.as_array().into_iter().flatten().any(|t| {
        let text = |f: &str| t[f].as_str().unwrap_or_default();
        let effect_ok = text("effect").is_empty() || text("effect") == effect;
        let key_ok = text("key").is_empty() || text("key") == key;
        let value_ok = match text("operator") {
            "Exists" => true,
            "" | "Equal" => text("value") == value,
            _ => false,
        };
        effect_ok && key_ok && value_ok
    })
}

fn taint_task(nodes: &Objects, pods: &Objects) -> Task {
    let verdict = nodes.clone().and_then(|nodes| {
        let b = lab_node(&nodes, "b")?;
        let tainted = b["spec"]["taints"].as_array().into_iter().flatten().any(|t| {
            t["key"] == "dedicated" && t["value"] == "lab" && t["effect"] == "NoSchedule"
        });
        let b_name = machinery::meta::name(b);
        if !tainted {
            return Err(format!(
                "kubectl taint nodes {b_name} dedicated=lab:NoSchedule (step 4)"
            ));
        }
        let pods = pods.clone()?;
        let pod = pod_named(&pods, "lab03-tolerant")
            .ok_or("create pod lab03-tolerant from tolerant.yaml (step 4)")?;
        if !tolerates(
            &pod["spec"]["tolerations"],
            "dedicated",
            "lab",
            "NoSchedule",
        ) {
            return Err(
                "lab03-tolerant does not tolerate dedicated=lab:NoSchedule: add the toleration and apply again (step 4)".into(),
            );
        }
        match node_name(pod) {
            n if n == b_name => Ok(()),
            "" => Err(format!("lab03-tolerant is not scheduled yet: does its nodeSelector pick {b_name}? kubectl describe pod lab03-tolerant -n lab03 (step 4)")),
            other => Err(format!("lab03-tolerant runs on {other}, not {b_name}: a toleration allows a node, it does not attract the pod; add the nodeSelector {NODE_LABEL}: b (step 4)")),
        }
    });
    Task::judge(
        "node lab03=b is tainted dedicated=lab:NoSchedule and pod lab03-tolerant tolerates it and runs there",
        2,
        verdict,
    )
}

/// The pod's `PodScheduled` condition, if it has one.
fn scheduled_condition(pod: &Value) -> Option<&Value> {
    pod["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "PodScheduled")
}

fn pending_task(pods: &Objects) -> Task {
    let verdict = pods.clone().and_then(|pods| {
        let pod = pod_named(&pods, "lab03-pending")
            .ok_or("create pod lab03-pending from pending.yaml (step 5)")?;
        if !node_name(pod).is_empty() {
            return Err(format!(
                "lab03-pending was scheduled to {}: its nodeSelector must name a label no node has (disktype: ssd) (step 5)",
                node_name(pod)
            ));
        }
        let condition = scheduled_condition(pod).ok_or(
            "lab03-pending has no PodScheduled condition yet: is a scheduler running? (step 5)",
        )?;
        let message = condition["message"].as_str().unwrap_or_default();
        if condition["status"] == "False" && message.contains(PENDING_MESSAGE) {
            Ok(())
        } else {
            Err(format!("the PodScheduled condition says {message:?}; expected it to mention {PENDING_MESSAGE:?} (step 5)"))
        }
    });
    Task::judge(
        "pod lab03-pending is Pending because no node matches its node selector",
        2,
        verdict,
    )
}

fn spread_task(nodes: &Objects, pods: &Objects) -> Task {
    let verdict = nodes.clone().and_then(|nodes| {
        let pods = pods.clone()?;
        let spread: Vec<&Value> = pods
            .iter()
            .filter(|p| label(p, "app") == Some(SPREAD_APP))
            .collect();
        if spread.len() != SPREAD_PODS {
            return Err(format!(
                "there are {} pods labelled app={SPREAD_APP}, expected {SPREAD_PODS}: kubectl apply -f spread.yaml (step 7)",
                spread.len()
            ));
        }
        for pod in &spread {
            let constrained = pod["spec"]["topologySpreadConstraints"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["topologyKey"] == ZONE);
            if !constrained {
                return Err(format!(
                    "pod {} has no topologySpreadConstraint on {ZONE} (step 7)",
                    machinery::meta::name(pod)
                ));
            }
        }
        let zone_of: BTreeMap<&str, &str> = nodes
            .iter()
            .filter_map(|n| Some((machinery::meta::name(n), label(n, ZONE)?)))
            .collect();
        let mut per_zone: BTreeMap<&str, usize> = zone_of.values().map(|z| (*z, 0)).collect();
        for pod in &spread {
            let zone = zone_of.get(node_name(pod)).ok_or_else(|| {
                format!(
                    "pod {} is not on one of the lab's nodes yet (kubectl get pods -n lab03 -o wide) (step 7)",
                    machinery::meta::name(pod)
                )
            })?;
            *per_zone.entry(zone).or_default() += 1;
        }
        let (min, max) = (
            per_zone.values().min().copied().unwrap_or(0),
            per_zone.values().max().copied().unwrap_or(0),
        );
        if per_zone.len() < 2 || max - min > 1 {
            return Err(format!(
                "pods per zone: {per_zone:?}; with maxSkew 1 they differ by at most one (step 7)"
            ));
        }
        Ok(())
    });
    Task::judge(
        "the six app=lab03-spread pods are spread evenly over the zones",
        2,
        verdict,
    )
}

fn preemption_task(nodes: &Objects, pods: &Objects, events: &Objects, class: &Fetched) -> Task {
    let verdict = (|| {
        let class = match class {
            Ok(Some(class)) => class,
            Ok(None) => {
                return Err("create the PriorityClass lab03-high from vip.yaml (step 8)".to_string())
            }
            Err(e) => return Err(e.clone()),
        };
        if class["value"].as_i64() != Some(1000) {
            return Err("PriorityClass lab03-high should have value 1000 (step 8)".into());
        }
        let nodes = nodes.clone()?;
        let a = machinery::meta::name(lab_node(&nodes, "a")?).to_string();
        let pods = pods.clone()?;
        let vip = pod_named(&pods, "lab03-vip").ok_or(
            "create lab03-low, wait until it is scheduled, then kubectl apply -f vip.yaml (step 8)",
        )?;
        if vip["spec"]["priorityClassName"] != "lab03-high" {
            return Err("lab03-vip should have priorityClassName lab03-high (step 8)".into());
        }
        if node_name(vip) != a {
            return Err(format!(
                "lab03-vip is not on {a} yet: kubectl describe pod lab03-vip -n lab03 (step 8)"
            ));
        }
        let events = events.clone()?;
        let preempted = events
            .iter()
            .any(|e| e["reason"] == "Preempted" && e["involvedObject"]["name"] == "lab03-low");
        if preempted {
            Ok(())
        } else {
            Err("no Preempted event for lab03-low: make lab03-low take the slot first, then create lab03-vip (events last an hour) (step 8)".into())
        }
    })();
    Task::judge(
        "pod lab03-vip (priority class lab03-high) preempted lab03-low and runs on lab03=a",
        2,
        verdict,
    )
}

fn second_scheduler_task(pods: &Objects) -> Task {
    let verdict = pods.clone().and_then(|pods| {
        let pod = pod_named(&pods, "lab03-custom")
            .ok_or("create pod lab03-custom from custom.yaml (step 9)")?;
        if pod["spec"]["schedulerName"] != SECOND_SCHEDULER {
            return Err(format!(
                "lab03-custom should say schedulerName: {SECOND_SCHEDULER} (step 9)"
            ));
        }
        if node_name(pod).is_empty() {
            return Err(format!("lab03-custom waits for its scheduler: kubeling scheduler --scheduler-name {SECOND_SCHEDULER} --kubeconfig $KUBECONFIG --port 10261 (step 9)"));
        }
        Ok(())
    });
    Task::judge(
        "pod lab03-custom was scheduled by a second scheduler, my-scheduler",
        2,
        verdict,
    )
}

#[cfg(test)]
mod tests;
