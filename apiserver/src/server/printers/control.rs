//! Control-plane plumbing: leases (who leads, who is alive) and priority classes.
//!
//! Upstream: `printLease` and `printPriorityClass` in `pkg/printers/internalversion/printers.go`.
//! `kubectl get leases -n kube-system` is the quickest way to see which scheduler or
//! controller-manager currently holds the leader lease.

use super::{int_at, str_at, Column, Printer, AGE, NAME};
use serde_json::{json, Value};

pub const LEASES: Printer = Printer::new(
    &[
        NAME,
        Column::new(
            "Holder",
            "string",
            "holderIdentity contains the identity of the holder of a current lease.",
        ),
        AGE,
    ],
    |obj, now| {
        vec![
            json!(super::name(obj)),
            json!(str_at(obj, "/spec/holderIdentity")),
            super::age(obj, now),
        ]
    },
);

pub const PRIORITYCLASSES: Printer = Printer::new(
    &[
        NAME,
        Column::new("Value", "integer", "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec."),
        Column::new("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class."),
        AGE,
        Column::new("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
    ],
    |obj, now| {
        // Unset reads as its default, as upstream's defaulting would have stored it.
        let policy = match str_at(obj, "/preemptionPolicy") {
            "" => "PreemptLowerPriority",
            p => p,
        };
        vec![
            json!(super::name(obj)),
            json!(int_at(obj, "/value")),
            json!(obj.get("globalDefault").and_then(Value::as_bool).unwrap_or(false)),
            super::age(obj, now),
            json!(policy),
        ]
    },
);

#[cfg(test)]
mod tests {
    use super::super::test_now;
    use super::*;

    #[test]
    fn a_lease_shows_its_holder_and_a_priority_class_its_value_and_policy() {
        let cases: &[(&str, Printer, Value, Value)] = &[
            (
                "a held lease names its holder",
                LEASES,
                json!({"metadata": {"name": "kube-scheduler", "creationTimestamp": "2025-01-01T00:59:50Z"}, "spec": {"holderIdentity": "host_1234"}}),
                json!(["kube-scheduler", "host_1234", "10s"]),
            ),
            (
                "a free lease has no holder",
                LEASES,
                json!({"metadata": {"name": "l"}}),
                json!(["l", "", "<unknown>"]),
            ),
            (
                "a global default class that never preempts",
                PRIORITYCLASSES,
                json!({"metadata": {"name": "low", "creationTimestamp": "2024-12-30T01:00:00Z"}, "value": 10, "globalDefault": true, "preemptionPolicy": "Never"}),
                json!(["low", 10, true, "2d", "Never"]),
            ),
            (
                "an unset policy reads as its default",
                PRIORITYCLASSES,
                json!({"metadata": {"name": "high"}, "value": 1000000}),
                json!(["high", 1000000, false, "<unknown>", "PreemptLowerPriority"]),
            ),
        ];
        for (sentence, printer, obj, want) in cases {
            assert_eq!(json!((printer.row)(obj, test_now())), *want, "{sentence}");
        }
    }
}
