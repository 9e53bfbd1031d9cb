//! Kinds of the smaller groups: Leases (coordination.k8s.io), PriorityClasses
//! (scheduling.k8s.io) and EndpointSlices (discovery.k8s.io).
//!
//! Upstream: `pkg/apis/coordination/validation/validation.go` (`ValidateLeaseSpec`),
//! `pkg/apis/scheduling/validation/validation.go` (`ValidatePriorityClass(Update)`) and
//! `pkg/apis/discovery/validation/validation.go` (`ValidateEndpointSlice(Update)`).

use super::{child, index, names};
use machinery::labels::validation::qualified_name_errors;
use machinery::validation_causes::{self as cause, BadValue};
use machinery::StatusCause;
use serde_json::Value;
use std::collections::HashSet;

/// The highest priority a user may give a PriorityClass; values above are for the system
/// classes below (upstream `HighestUserDefinablePriority`).
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i64 = 1_000_000_000;

/// The built-in PriorityClasses (name, value), upstream `SystemPriorityClasses()`.
const SYSTEM_PRIORITY_CLASSES: &[(&str, i64)] = &[
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

/// A Lease: a positive duration and a non-negative transition count.
pub fn validate_lease(obj: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    if let Some(d) = super::int_at(obj, "/spec/leaseDurationSeconds") {
        if d <= 0 {
            causes.push(cause::invalid(
                "spec.leaseDurationSeconds",
                d,
                "must be greater than 0",
            ));
        }
    }
    if let Some(t) = super::int_at(obj, "/spec/leaseTransitions") {
        if t < 0 {
            causes.push(cause::invalid(
                "spec.leaseTransitions",
                t,
                "must be greater than or equal to 0",
            ));
        }
    }
    causes
}

/// A PriorityClass: the `system-` prefix is reserved for the built-in classes (with their
/// own values), and a user's value stays at or below one billion, so that nothing a user
/// makes can preempt the cluster's own critical pods.
pub fn validate_priority_class(obj: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let name = super::str_at(obj, "/metadata/name");
    let value = super::int_at(obj, "/value").unwrap_or(0);
    let global_default = obj
        .get("globalDefault")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if name.starts_with("system-") {
        let problem = match SYSTEM_PRIORITY_CLASSES.iter().find(|(n, _)| *n == name) {
            None => Some(format!("{name} is not a known system priority class")),
            Some((_, v)) if *v != value => {
                Some(format!("value of {name} PriorityClass must be {v}"))
            }
            Some(_) if global_default => Some(format!(
                "globalDefault of {name} PriorityClass must be false"
            )),
            Some(_) => None,
        };
        if let Some(err) = problem {
            causes.push(cause::forbidden(
                "metadata.name",
                &format!("priority class names with 'system-' prefix are reserved for system use only. error: {err}"),
            ));
        }
    } else if value > HIGHEST_USER_DEFINABLE_PRIORITY {
        causes.push(cause::forbidden(
            "value",
            &format!("maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"),
        ));
    }
    if let Some(policy) = obj.get("preemptionPolicy").and_then(Value::as_str) {
        match policy {
            "PreemptLowerPriority" | "Never" => {}
            "" => causes.push(cause::required("preemptionPolicy", "")),
            other => causes.push(cause::not_supported(
                "preemptionPolicy",
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    causes
}

/// A PriorityClass keeps its value and preemption policy: pods already carry the value
/// they were admitted with.
pub fn validate_priority_class_update(new: &Value, old: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    if new.get("value") != old.get("value") {
        causes.push(cause::forbidden(
            "value",
            "may not be changed in an update.",
        ));
    }
    if new.get("preemptionPolicy") != old.get("preemptionPolicy") {
        let shown = match new.get("preemptionPolicy").and_then(Value::as_str) {
            Some(p) => BadValue::Str(p.to_string()),
            None => BadValue::Null,
        };
        causes.push(cause::invalid(
            "preemptionPolicy",
            shown,
            "field is immutable",
        ));
    }
    causes
}

const ADDRESS_TYPES: &[&str] = &["FQDN", "IPv4", "IPv6"];

/// An EndpointSlice: a known address type, at least one address per endpoint, each address
/// of that type, and well-formed ports.
pub fn validate_endpoint_slice(obj: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let address_type = super::str_at(obj, "/addressType");
    match address_type {
        "" => causes.push(cause::required("addressType", "")),
        t if !ADDRESS_TYPES.contains(&t) => {
            causes.push(cause::not_supported("addressType", t, ADDRESS_TYPES))
        }
        _ => {}
    }
    let endpoints = super::list_at(obj, "/endpoints");
    if endpoints.len() > 1000 {
        causes.push(cause::too_many("endpoints", endpoints.len(), 1000));
        return causes;
    }
    for (i, ep) in endpoints.iter().enumerate() {
        let addresses_path = child(&index("endpoints", i), "addresses");
        let addresses = super::list_at(ep, "/addresses");
        if addresses.is_empty() {
            causes.push(cause::required(
                &addresses_path,
                "must contain at least 1 address",
            ));
        } else if addresses.len() > 100 {
            causes.push(cause::too_many(&addresses_path, addresses.len(), 100));
        }
        for (j, addr) in addresses.iter().enumerate() {
            let addr = addr.as_str().unwrap_or("");
            let p = index(&addresses_path, j);
            let errs: Vec<String> = match address_type {
                "IPv4" if addr.parse::<std::net::Ipv4Addr>().is_err() => {
                    vec!["must be a valid IPv4 address".into()]
                }
                "IPv6" if addr.parse::<std::net::Ipv6Addr>().is_err() => {
                    vec!["must be a valid IPv6 address".into()]
                }
                "IPv4" | "IPv6" => names::endpoint_ip_errors(addr),
                "FQDN" => fqdn_errors(addr),
                _ => Vec::new(),
            };
            for msg in errs {
                causes.push(cause::invalid(&p, addr, &msg));
            }
        }
        if let Some(node) = ep.get("nodeName").and_then(Value::as_str) {
            for msg in names::dns1123_subdomain_errors(node) {
                causes.push(cause::invalid(
                    &child(&index("endpoints", i), "nodeName"),
                    node,
                    &msg,
                ));
            }
        }
    }
    let mut port_names = HashSet::new();
    for (i, port) in super::list_at(obj, "/ports").iter().enumerate() {
        let p = index("ports", i);
        let name = super::str_at(port, "/name");
        if !name.is_empty() {
            for msg in names::dns1123_label_errors(name) {
                causes.push(cause::invalid(&child(&p, "name"), name, &msg));
            }
        }
        if !port_names.insert(name) {
            causes.push(cause::duplicate(&child(&p, "name"), name));
        }
        causes.extend(super::protocol_cause(port, &p));
        if let Some(app) = port.get("appProtocol").and_then(Value::as_str) {
            for msg in qualified_name_errors(app) {
                causes.push(cause::invalid(&child(&p, "appProtocol"), app, &msg));
            }
        }
    }
    causes
}

/// A fully qualified domain name: a DNS subdomain of at least two labels
/// (upstream `IsFullyQualifiedDomainName`, which joins its reasons with commas).
fn fqdn_errors(name: &str) -> Vec<String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let errs = names::dns1123_subdomain_errors(name);
    if !errs.is_empty() {
        return vec![errs.join(",")];
    }
    if name.split('.').count() < 2 {
        return vec!["should be a domain with at least two segments separated by dots".into()];
    }
    Vec::new()
}

/// An EndpointSlice keeps its address type.
pub fn validate_endpoint_slice_update(new: &Value, old: &Value) -> Vec<StatusCause> {
    let (n, o) = (
        super::str_at(new, "/addressType"),
        super::str_at(old, "/addressType"),
    );
    if n == o {
        Vec::new()
    } else {
        vec![cause::invalid("addressType", n, "field is immutable")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_lease_lasts_a_positive_time() {
        let l = json!({"spec": {"leaseDurationSeconds": 0}});
        assert_eq!(
            validate_lease(&l),
            vec![cause::invalid(
                "spec.leaseDurationSeconds",
                0,
                "must be greater than 0"
            )]
        );
    }

    #[test]
    fn user_priorities_stop_at_one_billion_and_system_names_are_reserved() {
        let high = json!({"metadata": {"name": "vip"}, "value": 1_000_000_001});
        assert_eq!(validate_priority_class(&high)[0].field, "value");
        let fake = json!({"metadata": {"name": "system-mine"}, "value": 1});
        assert_eq!(
            validate_priority_class(&fake)[0].message,
            "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"
        );
        let real = json!({"metadata": {"name": "system-node-critical"}, "value": 2_000_001_000});
        assert_eq!(validate_priority_class(&real), vec![]);
    }

    #[test]
    fn a_priority_value_never_changes() {
        let old = json!({"value": 10});
        let new = json!({"value": 20});
        assert_eq!(
            validate_priority_class_update(&new, &old),
            vec![cause::forbidden(
                "value",
                "may not be changed in an update."
            )]
        );
    }

    #[test]
    fn slices_have_a_known_address_type_and_addresses_of_it() {
        let s = json!({"addressType": "IPv5", "endpoints": [{"addresses": []}]});
        let fields: Vec<String> = validate_endpoint_slice(&s)
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(fields, ["addressType", "endpoints[0].addresses"]);
        let s = json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.300"]}],
            "ports": [{"name": "", "protocol": "TCP"}]});
        assert_eq!(
            validate_endpoint_slice(&s),
            vec![cause::invalid(
                "endpoints[0].addresses[0]",
                "10.0.0.300",
                "must be a valid IPv4 address"
            )]
        );
    }
}
