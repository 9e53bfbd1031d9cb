//! Validation: every check an object must pass before it is stored, with upstream's field
//! paths, reasons and messages.
//!
//! A 422 from a real API server lists each problem as a *cause*:
//! `spec.containers[0].image: Required value`. kubectl prints them after
//! `The Pod "web" is invalid: `, so students see exactly what they would see on a real cluster
//! only if the path, the reason and the wording all match. The causes themselves are built by
//! [`machinery::validation_causes`]; the modules here decide *which* causes an object earns.
//!
//! # Layout
//! Read in this order:
//! - [`names`]: the string formats (DNS labels, port names, config keys, ...) and their messages.
//! - [`meta`]: `metadata` of every kind: name, labels, annotations, finalizers, owners.
//! - [`selector`]: label maps and label selectors, and "does the selector match the template".
//! - [`pod`], [`volumes`], [`containers`], [`env`](mod@env), [`resources`]: a PodSpec, shared by Pods and
//!   by the templates of Deployments, ReplicaSets and Jobs. [`pod_update`]: what may change in a
//!   running pod.
//! - [`apps`], [`batch`]: Deployments, ReplicaSets, Jobs.
//! - [`service`], [`core_kinds`], [`node`], [`cluster`]: Services; ConfigMaps, Secrets,
//!   Endpoints, Events; Nodes; Leases, PriorityClasses, EndpointSlices.
//!
//! Upstream: `pkg/apis/core/validation/validation.go` (most of it), `pkg/apis/apps/validation`,
//! `pkg/apis/batch/validation`, `pkg/apis/discovery/validation`,
//! `pkg/apis/coordination/validation`, `pkg/apis/scheduling/validation` and
//! `k8s.io/apimachinery/pkg/api/validation/objectmeta.go`. Upstream validates typed Go structs;
//! we validate the JSON (after typed decoding and defaulting, so the shapes are right), which
//! is why the helpers below read fields by path.
//!
//! What we simplify, said once here: a bad *value* inside a message is printed as upstream's
//! Go formatting would print it for the common shapes (strings, numbers, label maps, string
//! lists, label selectors); for whole structs (a pod template, a Service port) we print our own
//! compact Go-like form, and quantities are echoed as written rather than canonicalised
//! (`2000m` stays `2000m`, where upstream would say `2`).

pub mod apps;
pub mod batch;
pub mod cluster;
pub mod containers;
pub mod core_kinds;
pub mod env;
pub mod meta;
pub mod names;
pub mod node;
pub mod pod;
pub mod pod_update;
pub mod resources;
pub mod selector;
pub mod service;
pub mod volumes;

pub use meta::validate_meta;
pub use names::{is_dns1123_label, is_dns1123_subdomain};

use serde_json::Value;

/// `parent.name`: a child field of a path (`spec` + `replicas` = `spec.replicas`).
pub fn child(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// `parent[i]`: an element of a list.
pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// `parent[key]`: an entry of a map (`data[app.conf]`, `resources.limits[cpu]`).
pub fn key(parent: &str, key: &str) -> String {
    format!("{parent}[{key}]")
}

/// The string at a JSON pointer, "" when absent or not a string.
pub fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The protocols a port may name (upstream `supportedPortProtocols`).
pub const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

/// What is wrong with the `protocol` of the port at `path`, if anything: it is required,
/// and must be one of [`PROTOCOLS`]. Containers, Services, Endpoints and EndpointSlices
/// all check it this way.
pub fn protocol_cause(port: &Value, path: &str) -> Option<machinery::StatusCause> {
    let field = child(path, "protocol");
    match str_at(port, "/protocol") {
        "" => Some(machinery::validation_causes::required(&field, "")),
        p if !PROTOCOLS.contains(&p) => Some(machinery::validation_causes::not_supported(
            &field, p, PROTOCOLS,
        )),
        _ => None,
    }
}

/// The integer at a JSON pointer, if there is one.
pub fn int_at(obj: &Value, pointer: &str) -> Option<i64> {
    obj.pointer(pointer).and_then(Value::as_i64)
}

/// The list at a JSON pointer, empty when absent.
pub fn list_at<'a>(obj: &'a Value, pointer: &str) -> &'a [Value] {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A `map[string]string` field (labels, a selector's `matchLabels`, `nodeSelector`) as a
/// sorted map; `None` when the field is absent, which Go would see as a nil map.
pub fn string_map_at(
    obj: &Value,
    pointer: &str,
) -> Option<std::collections::BTreeMap<String, String>> {
    let map = obj.pointer(pointer)?.as_object()?;
    Some(
        map.iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect(),
    )
}

/// Whether a field is present and not null.
pub fn has(obj: &Value, pointer: &str) -> bool {
    obj.pointer(pointer).is_some_and(|v| !v.is_null())
}
