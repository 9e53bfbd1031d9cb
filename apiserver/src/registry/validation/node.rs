//! Nodes: what a kubelet registers, and what an admin may set (taints).
//!
//! Upstream: `ValidateNode`, `validateNodeTaints`, `ValidateNodeResources` and
//! `ValidateNodeUpdate` in `pkg/apis/core/validation/validation.go`.

use super::{child, index, pod, resources, selector};
use machinery::labels::validation::qualified_name_errors;
use machinery::validation_causes::{self as cause, BadValue};
use machinery::StatusCause;
use serde_json::Value;
use std::collections::HashSet;

/// A Node: well-formed taints (reported under `metadata.taints`, an upstream quirk), unique by
/// key and effect; real quantities in its capacity; valid pod CIDRs.
pub fn validate_node(obj: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let mut seen = HashSet::new();
    for (i, taint) in super::list_at(obj, "/spec/taints").iter().enumerate() {
        let p = index("metadata.taints", i);
        let k = super::str_at(taint, "/key");
        for msg in qualified_name_errors(k) {
            causes.push(cause::invalid(&child(&p, "key"), k, &msg));
        }
        let value = super::str_at(taint, "/value");
        let errs = selector::label_value_errors(value);
        if !errs.is_empty() {
            causes.push(cause::invalid(&child(&p, "value"), value, &errs.join(";")));
        }
        let effect = super::str_at(taint, "/effect");
        if effect.is_empty() {
            causes.push(cause::required(&child(&p, "effect"), ""));
        } else {
            causes.extend(pod::taint_effect_errors(effect, &child(&p, "effect")));
        }
        if !seen.insert((effect, k)) {
            let mut dup = cause::duplicate(
                &p,
                BadValue::Go(format!(
                    "core.Taint{{Key:{k:?}, Value:{value:?}, Effect:{effect:?}, TimeAdded:<nil>}}"
                )),
            );
            dup.message
                .push_str(": taints must be unique by key and effect pair");
            causes.push(dup);
        }
    }
    for field in ["capacity", "allocatable"] {
        let list = super::string_map_at(obj, &format!("/status/{field}")).unwrap_or_default();
        for (name, q) in list {
            let p = child(&child("status", field), &name);
            if resources::compare(&q, "0").is_none() {
                causes.push(cause::invalid(&p, q.as_str(), "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
            } else if resources::compare(&q, "0") == Some(std::cmp::Ordering::Less) {
                causes.push(cause::invalid(
                    &p,
                    q.as_str(),
                    "must be greater than or equal to 0",
                ));
            }
        }
    }
    for (i, cidr) in super::list_at(obj, "/spec/podCIDRs").iter().enumerate() {
        let cidr = cidr.as_str().unwrap_or("");
        if !is_cidr(cidr) {
            causes.push(cause::invalid(
                &index("spec.podCIDRs", i),
                cidr,
                "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
            ));
        }
    }
    causes
}

fn is_cidr(s: &str) -> bool {
    let Some((ip, bits)) = s.split_once('/') else {
        return false;
    };
    match (ip.parse::<std::net::IpAddr>(), bits.parse::<u8>()) {
        (Ok(std::net::IpAddr::V4(_)), Ok(b)) => b <= 32,
        (Ok(std::net::IpAddr::V6(_)), Ok(b)) => b <= 128,
        _ => false,
    }
}

/// A node keeps its pod CIDRs and provider ID once they are set (by the node IPAM controller
/// and the cloud provider). Upstream `ValidateNodeUpdate`.
pub fn validate_node_update(new: &Value, old: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let old_cidrs = super::list_at(old, "/spec/podCIDRs");
    if !old_cidrs.is_empty() && old_cidrs != super::list_at(new, "/spec/podCIDRs") {
        causes.push(cause::forbidden(
            "spec.podCIDRs",
            "node updates may not change podCIDR except from \"\" to valid",
        ));
    }
    let old_provider = super::str_at(old, "/spec/providerID");
    if !old_provider.is_empty() && old_provider != super::str_at(new, "/spec/providerID") {
        causes.push(cause::forbidden(
            "spec.providerID",
            "node updates may not change providerID except from \"\" to valid",
        ));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_taints_need_a_known_effect_and_are_unique() {
        let node = json!({"spec": {"taints": [
            {"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "NoSchedule"},
            {"key": "k", "effect": "Sometimes"}]}});
        let causes = validate_node(&node);
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["metadata.taints[1]", "metadata.taints[2].effect"]);
        assert!(causes[0]
            .message
            .ends_with("taints must be unique by key and effect pair"));
    }

    #[test]
    fn pod_cidrs_are_set_once() {
        let old = json!({"spec": {"podCIDRs": ["10.244.1.0/24"]}});
        let new = json!({"spec": {"podCIDRs": ["10.244.2.0/24"]}});
        assert_eq!(validate_node_update(&new, &old)[0].field, "spec.podCIDRs");
        assert_eq!(validate_node_update(&old, &json!({"spec": {}})), vec![]);
    }
}
