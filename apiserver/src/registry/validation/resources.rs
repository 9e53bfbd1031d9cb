//! `resources.requests` and `resources.limits` of a container.
//!
//! The scheduler places a pod by its requests and the kubelet enforces its limits, so both must
//! be real quantities, and a request may not exceed its limit (a pod cannot be promised more
//! than it is allowed to use). Upstream: `validateResourceRequirements`,
//! `validateContainerResourceName` and `ValidateResourceQuantityValue` in
//! `pkg/apis/core/validation/validation.go`, and the resource helpers of
//! `pkg/apis/core/helper/helpers.go`.
//!
//! A quantity upstream cannot parse is refused earlier, while decoding, with a 400; our typed
//! decode keeps quantities as strings, so here it becomes a cause of the 422 instead.

use super::{child, key};
use machinery::labels::validation::qualified_name_errors;
use machinery::quantity::{parse_milli, parse_value};
use machinery::validation_causes as cause;
use machinery::StatusCause;
use serde_json::Value;
use std::cmp::Ordering;

/// Upstream's `resource.ErrFormatWrong`.
const QUANTITY_FORMAT: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// Resources a container may ask for without a `domain/` prefix
/// (upstream `IsStandardContainerResourceName`, plus `hugepages-<size>`).
fn is_standard_container_resource(name: &str) -> bool {
    matches!(name, "cpu" | "memory" | "ephemeral-storage") || name.starts_with("hugepages-")
}

/// Resource names known without a prefix anywhere in the API (a subset of upstream's
/// `standardResources`: enough to tell "pods" — a real resource, but not a container's — from
/// a typo).
fn is_standard_resource(name: &str) -> bool {
    is_standard_container_resource(name)
        || matches!(
            name,
            "pods" | "services" | "secrets" | "configmaps" | "storage" | "persistentvolumeclaims"
        )
}

/// A native resource is unprefixed or `kubernetes.io/`-prefixed; anything else with a prefix
/// (`example.com/gpu`) is an *extended* resource, counted in whole units and never overcommitted.
fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// Whether requests may be lower than limits (upstream `IsOvercommitAllowed`).
fn overcommit_allowed(name: &str) -> bool {
    is_native(name) && !name.starts_with("hugepages-")
}

/// Why `name` is not something a container can request (upstream `validateContainerResourceName`).
fn resource_name_errors(name: &str) -> Vec<String> {
    let mut errs = qualified_name_errors(name);
    if !errs.is_empty() {
        return errs;
    }
    if !name.contains('/') {
        if !is_standard_resource(name) {
            errs.push("must be a standard resource type or fully qualified".into());
        }
        if !is_standard_container_resource(name) {
            errs.push("must be a standard resource for containers".into());
        }
    } else if !is_native(name) && name.starts_with("requests.") {
        errs.push("doesn't follow extended resource name standard".into());
    }
    errs
}

/// Compare two quantities exactly: in thousandths where that fits in 64 bits, else in units.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    match (parse_milli(a), parse_milli(b)) {
        (Ok(x), Ok(y)) => Some(x.cmp(&y)),
        _ => Some(parse_value(a).ok()?.cmp(&parse_value(b).ok()?)),
    }
}

/// Checks one quantity: it parses, is not negative, and is whole for extended resources.
fn quantity_errors(name: &str, q: &str, path: &str) -> Vec<StatusCause> {
    let Ok(milli) = parse_milli(q).or_else(|_| parse_value(q).map(|v| v.saturating_mul(1000)))
    else {
        return vec![cause::invalid(path, q, QUANTITY_FORMAT)];
    };
    let mut causes = Vec::new();
    if milli < 0 {
        causes.push(cause::invalid(
            path,
            q,
            "must be greater than or equal to 0",
        ));
    }
    if !is_native(name) && milli % 1000 != 0 {
        causes.push(cause::invalid(path, q, "must be an integer"));
    }
    causes
}

/// Validate a container's `resources` at `path` (`spec.containers[0].resources`).
pub fn validate_resource_requirements(resources: &Value, path: &str) -> Vec<StatusCause> {
    let lim_path = child(path, "limits");
    let req_path = child(path, "requests");
    let limits = super::string_map_at(resources, "/limits").unwrap_or_default();
    let requests = super::string_map_at(resources, "/requests").unwrap_or_default();
    let mut causes = Vec::new();
    for (name, q) in &limits {
        let p = key(&lim_path, name);
        for msg in resource_name_errors(name) {
            causes.push(cause::invalid(&p, name.as_str(), &msg));
        }
        causes.extend(quantity_errors(name, q, &p));
    }
    for (name, q) in &requests {
        let p = key(&req_path, name);
        for msg in resource_name_errors(name) {
            causes.push(cause::invalid(&p, name.as_str(), &msg));
        }
        causes.extend(quantity_errors(name, q, &p));
        match limits.get(name) {
            // Note the path: upstream reports this on `requests`, not on `requests[cpu]`.
            Some(limit) => match compare(q, limit) {
                Some(Ordering::Equal) | None => {}
                Some(_) if !overcommit_allowed(name) => causes.push(cause::invalid(
                    &req_path,
                    q.as_str(),
                    &format!("must be equal to {name} limit of {limit}"),
                )),
                Some(Ordering::Greater) => causes.push(cause::invalid(
                    &req_path,
                    q.as_str(),
                    &format!("must be less than or equal to {name} limit of {limit}"),
                )),
                Some(Ordering::Less) => {}
            },
            None if !overcommit_allowed(name) => causes.push(cause::required(
                &lim_path,
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(resources: Value) -> Vec<StatusCause> {
        validate_resource_requirements(&resources, "spec.containers[0].resources")
    }

    #[test]
    fn a_request_above_its_limit_is_reported_on_requests() {
        let causes = check(json!({"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}));
        assert_eq!(
            causes,
            vec![cause::invalid(
                "spec.containers[0].resources.requests",
                "2",
                "must be less than or equal to cpu limit of 1"
            )]
        );
        assert!(check(json!({"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}})).is_empty());
    }

    #[test]
    fn malformed_and_negative_quantities_are_invalid() {
        let causes = check(json!({"limits": {"memory": "lots", "cpu": "-1"}}));
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.containers[0].resources.limits[cpu]",
                "spec.containers[0].resources.limits[memory]"
            ]
        );
        assert!(causes[1]
            .message
            .starts_with("Invalid value: \"lots\": quantities must match"));
    }

    #[test]
    fn unknown_unprefixed_resources_are_refused_twice_as_upstream() {
        let causes = check(json!({"limits": {"gpu": "1"}}));
        assert_eq!(causes.len(), 2);
        assert!(check(
            json!({"limits": {"example.com/gpu": "1"}, "requests": {"example.com/gpu": "1"}})
        )
        .is_empty());
    }

    #[test]
    fn extended_resources_need_equal_limits() {
        let causes = check(json!({"requests": {"example.com/gpu": "1"}}));
        assert_eq!(
            causes,
            vec![cause::required(
                "spec.containers[0].resources.limits",
                "Limit must be set for non overcommitable resources"
            )]
        );
    }
}
