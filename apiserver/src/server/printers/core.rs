//! Core kinds: namespaces, nodes, events, configmaps, secrets, serviceaccounts.
//!
//! Upstream: `printNamespace`, `printNode`, `printEvent`, `printConfigMap`, `printSecret` and
//! `printServiceAccount` in `pkg/printers/internalversion/printers.go`. Most of these are a
//! name, a count and an age; nodes and events have a little logic of their own.

use super::{int_at, list_at, map_len, str_at, Column, Printer, AGE, NAME};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const NAMESPACES: Printer = Printer::new(
    &[
        NAME,
        Column::new("Status", "string", "The status of the namespace"),
        AGE,
    ],
    namespace_row,
);

pub const NODES: Printer = Printer::new(
    &[
        NAME,
        Column::new("Status", "string", "The status of the node"),
        Column::new("Roles", "string", "The roles of the node"),
        AGE,
        Column::new("Version", "string", "Kubelet Version reported by the node."),
        Column::new("Internal-IP", "string", "List of addresses reachable to the node.").wide(),
        Column::new("External-IP", "string", "List of addresses reachable to the node.").wide(),
        Column::new("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).").wide(),
        Column::new("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).").wide(),
        Column::new("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).").wide(),
    ],
    node_row,
);

pub const EVENTS: Printer = Printer::new(
    &[
        Column::new("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded."),
        Column::new("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
        Column::new("Reason", "string", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        Column::new("Object", "string", "The object that this event is about."),
        Column::new("Subobject", "string", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].").wide(),
        Column::new("Source", "string", "The component reporting this event. Should be a short machine understandable string.").wide(),
        Column::new("Message", "string", "A human-readable description of the status of this operation."),
        Column::new("First Seen", "string", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)").wide(),
        Column::new("Count", "string", "The number of times this event has occurred.").wide(),
        // Events put the name last, and only in the wide view: the name is a generated
        // `<object>.<hex>` that says nothing a reader needs.
        Column { priority: 1, ..NAME },
    ],
    event_row,
);

pub const CONFIGMAPS: Printer = Printer::new(
    &[
        NAME,
        Column::new("Data", "string", "Data contains the configuration data."),
        AGE,
    ],
    |obj, now| {
        let keys = map_len(obj, "/data") + map_len(obj, "/binaryData");
        vec![json!(super::name(obj)), json!(keys), super::age(obj, now)]
    },
);

pub const SECRETS: Printer = Printer::new(
    &[
        NAME,
        Column::new(
            "Type",
            "string",
            "Used to facilitate programmatic handling of secret data.",
        ),
        Column::new("Data", "string", "Data contains the secret data."),
        AGE,
    ],
    |obj, now| {
        vec![
            json!(super::name(obj)),
            json!(str_at(obj, "/type")),
            json!(map_len(obj, "/data")),
            super::age(obj, now),
        ]
    },
);

pub const SERVICEACCOUNTS: Printer = Printer::new(
    &[
        NAME,
        Column::new("Secrets", "string", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."),
        AGE,
    ],
    |obj, now| {
        vec![
            json!(super::name(obj)),
            json!(list_at(obj, "/secrets").len()),
            super::age(obj, now),
        ]
    },
);

fn namespace_row(obj: &Value, now: DateTime<Utc>) -> Vec<Value> {
    vec![
        json!(super::name(obj)),
        json!(str_at(obj, "/status/phase")),
        super::age(obj, now),
    ]
}

/// STATUS is `Ready`/`NotReady` from the Ready condition (`Unknown` without one), plus
/// `SchedulingDisabled` for a cordoned node; ROLES come from `node-role.kubernetes.io/<role>`
/// labels (and the older `kubernetes.io/role=<role>`).
pub fn node_row(node: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let mut status: Vec<&str> = list_at(node, "/status/conditions")
        .iter()
        .filter(|c| str_at(c, "/type") == "Ready")
        .take(1)
        .map(|c| match str_at(c, "/status") {
            "True" => "Ready",
            _ => "NotReady",
        })
        .collect();
    if status.is_empty() {
        status.push("Unknown");
    }
    if node.pointer("/spec/unschedulable") == Some(&json!(true)) {
        status.push("SchedulingDisabled");
    }
    let mut roles = BTreeSet::new();
    for (key, value) in node
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        match key.strip_prefix("node-role.kubernetes.io/") {
            Some(role) if !role.is_empty() => {
                roles.insert(role.to_string());
            }
            _ if key == "kubernetes.io/role" && value.as_str().is_some_and(|v| !v.is_empty()) => {
                roles.insert(value.as_str().unwrap_or_default().to_string());
            }
            _ => {}
        }
    }
    let roles = match roles.into_iter().collect::<Vec<_>>().join(",") {
        r if r.is_empty() => "<none>".to_string(),
        r => r,
    };
    let address = |kind: &str| {
        list_at(node, "/status/addresses")
            .iter()
            .find(|a| str_at(a, "/type") == kind)
            .map_or("<none>", |a| str_at(a, "/address"))
    };
    let info = |field: &str| match str_at(node, &format!("/status/nodeInfo/{field}")) {
        "" => "<unknown>",
        v => v,
    };
    vec![
        json!(super::name(node)),
        json!(status.join(",")),
        json!(roles),
        super::age(node, now),
        json!(str_at(node, "/status/nodeInfo/kubeletVersion")),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

/// LAST SEEN falls back to FIRST SEEN, which falls back to `eventTime` (the newer Events API
/// sets only that); a series (a repeating event) brings its own last time and count.
pub fn event_row(event: &Value, now: DateTime<Utc>) -> Vec<Value> {
    let since = |pointer: &str| {
        let at = event.pointer(pointer).and_then(Value::as_str);
        at.map(|t| super::duration::age(Some(t), now))
    };
    let unknown = || "<unknown>".to_string();
    let first = since("/firstTimestamp")
        .or_else(|| since("/eventTime"))
        .unwrap_or_else(unknown);
    let mut last = since("/lastTimestamp").unwrap_or_else(|| first.clone());
    let mut count = int_at(event, "/count");
    if event.get("series").is_some_and(|s| !s.is_null()) {
        last = since("/series/lastObservedTime").unwrap_or_else(unknown);
        count = int_at(event, "/series/count");
    } else if count == 0 {
        count = 1; // a singleton event of the new API has no count
    }
    let kind = str_at(event, "/involvedObject/kind").to_lowercase();
    let target = match str_at(event, "/involvedObject/name") {
        "" => kind,
        name => format!("{kind}/{name}"),
    };
    let first_set = |a: &'static str, b: &'static str| match str_at(event, a) {
        "" => str_at(event, b),
        v => v,
    };
    let component = first_set("/source/component", "/reportingComponent");
    let instance = first_set("/source/host", "/reportingInstance");
    let source = if instance.is_empty() {
        component.to_string()
    } else {
        format!("{component}, {instance}")
    };
    vec![
        json!(last),
        json!(str_at(event, "/type")),
        json!(str_at(event, "/reason")),
        json!(target),
        json!(str_at(event, "/involvedObject/fieldPath")),
        json!(source),
        json!(str_at(event, "/message").trim()),
        json!(first),
        json!(count),
        json!(super::name(event)),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::test_now;
    use super::*;

    fn created(extra: Value) -> Value {
        let mut obj =
            json!({"metadata": {"name": "x", "creationTimestamp": "2025-01-01T00:00:00Z"}});
        if let (Some(a), Some(b)) = (obj.as_object_mut(), extra.as_object()) {
            for (k, v) in b {
                a.insert(k.clone(), v.clone());
            }
        }
        obj
    }

    #[test]
    fn counts_and_types_fill_the_simple_kinds() {
        let cases: &[(&str, Printer, Value, Value)] = &[
            (
                "a namespace shows its phase",
                NAMESPACES,
                json!({"status": {"phase": "Active"}}),
                json!(["x", "Active", "60m"]),
            ),
            (
                "a configmap counts data and binary keys",
                CONFIGMAPS,
                json!({"data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}),
                json!(["x", 3, "60m"]),
            ),
            (
                "an empty configmap has no data",
                CONFIGMAPS,
                json!({}),
                json!(["x", 0, "60m"]),
            ),
            (
                "a secret shows its type and key count",
                SECRETS,
                json!({"type": "Opaque", "data": {"k": "dg=="}}),
                json!(["x", "Opaque", 1, "60m"]),
            ),
            (
                "a service account counts its secrets",
                SERVICEACCOUNTS,
                json!({"secrets": [{"name": "t"}]}),
                json!(["x", 1, "60m"]),
            ),
        ];
        for (sentence, printer, fields, want) in cases {
            assert_eq!(
                json!((printer.row)(&created(fields.clone()), test_now())),
                *want,
                "{sentence}"
            );
        }
    }

    #[test]
    fn node_status_and_roles_follow_conditions_and_labels() {
        let cases: &[(&str, Value, [&str; 2])] = &[
            (
                "a node that never reported is Unknown",
                json!({}),
                ["Unknown", "<none>"],
            ),
            (
                "a ready node is Ready",
                json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
                ["Ready", "<none>"],
            ),
            (
                "a node whose kubelet stopped posting is NotReady",
                json!({"status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}),
                ["NotReady", "<none>"],
            ),
            (
                "a cordoned ready node adds SchedulingDisabled",
                json!({"spec": {"unschedulable": true}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
                ["Ready,SchedulingDisabled", "<none>"],
            ),
            (
                "roles come from node-role labels, sorted",
                json!({"metadata": {"name": "x", "labels": {"node-role.kubernetes.io/worker": "", "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "edge", "node-role.kubernetes.io/": ""}}}),
                ["Unknown", "control-plane,edge,worker"],
            ),
        ];
        for (sentence, fields, want) in cases {
            let cells = node_row(&created(fields.clone()), test_now());
            assert_eq!(
                [cells[1].as_str(), cells[2].as_str()],
                [Some(want[0]), Some(want[1])],
                "{sentence}"
            );
        }
    }

    #[test]
    fn a_nodes_version_and_wide_cells_come_from_its_status() {
        let node = created(
            json!({"status": {"nodeInfo": {"kubeletVersion": "v1.32.0-kubeling", "osImage": "Debian GNU/Linux 12"},
            "addresses": [{"type": "Hostname", "address": "n1"}, {"type": "InternalIP", "address": "10.0.0.1"}]}}),
        );
        assert_eq!(
            json!(node_row(&node, test_now())[3..]),
            json!([
                "60m",
                "v1.32.0-kubeling",
                "10.0.0.1",
                "<none>",
                "Debian GNU/Linux 12",
                "<unknown>",
                "<unknown>"
            ])
        );
    }

    #[test]
    fn event_times_fall_back_from_last_to_first_to_event_time() {
        let base = json!({"involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{web}"},
            "type": "Normal", "reason": "Pulled", "message": " pulled \n", "source": {"component": "kubelet", "host": "n1"}});
        let cases: &[(&str, Value, [Value; 2])] = &[
            (
                "an event with both times shows both",
                json!({"firstTimestamp": "2025-01-01T00:50:00Z", "lastTimestamp": "2025-01-01T00:58:00Z", "count": 4}),
                [json!("2m"), json!(4)],
            ),
            (
                "an event seen once shows its first time as last",
                json!({"firstTimestamp": "2025-01-01T00:50:00Z", "count": 1}),
                [json!("10m"), json!(1)],
            ),
            (
                "a new-API event has only an event time and no count; part seconds are cut off",
                json!({"eventTime": "2025-01-01T00:59:30.000001Z"}),
                [json!("29s"), json!(1)],
            ),
            (
                "a series brings its own last time and count",
                json!({"eventTime": "2025-01-01T00:40:00Z", "series": {"count": 7, "lastObservedTime": "2025-01-01T00:59:00.5Z"}}),
                [json!("59s"), json!(7)],
            ),
            (
                "an event without times is of unknown age",
                json!({}),
                [json!("<unknown>"), json!(1)],
            ),
        ];
        for (sentence, times, want) in cases {
            let mut event = base.clone();
            if let (Some(a), Some(b)) = (event.as_object_mut(), times.as_object()) {
                a.extend(b.clone());
            }
            let cells = event_row(&event, test_now());
            assert_eq!([cells[0].clone(), cells[8].clone()], *want, "{sentence}");
            assert_eq!(
                json!(cells[1..7]),
                json!([
                    "Normal",
                    "Pulled",
                    "pod/web",
                    "spec.containers{web}",
                    "kubelet, n1",
                    "pulled"
                ]),
                "{sentence}"
            );
        }
    }

    #[test]
    fn an_events_source_falls_back_to_the_reporting_controller() {
        let event = json!({"involvedObject": {"kind": "Node"}, "reportingComponent": "scheduler"});
        let cells = event_row(&event, test_now());
        assert_eq!(
            (cells[3].as_str(), cells[5].as_str()),
            (Some("node"), Some("scheduler"))
        );
    }
}
