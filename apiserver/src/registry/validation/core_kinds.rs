//! The smaller core/v1 kinds: ConfigMaps, Secrets, Endpoints and Events (Nodes: `node.rs`).
//!
//! Upstream: `ValidateConfigMap(Update)`, `ValidateSecret(Update)` and `ValidateEndpoints` in
//! `pkg/apis/core/validation/validation.go`,
//! and `legacyValidateEvent` in `pkg/apis/core/validation/events.go`.

use super::{child, index, key, names};
use machinery::labels::validation::qualified_name_errors;
use machinery::validation_causes as cause;
use machinery::StatusCause;
use serde_json::Value;
use std::collections::HashSet;

/// ConfigMaps and Secrets hold at most 1 MiB of data (upstream `MaxSecretSize`): they are
/// stored in etcd whole and sent to every kubelet that mounts them.
pub const MAX_DATA_SIZE: usize = 1024 * 1024;

/// Each key a valid config key; `data` and `binaryData` not sharing a key; at most 1 MiB in
/// all. (Secret values are base64 in JSON; what counts is their decoded size, about 3/4.)
fn data_errors(obj: &Value, fields: &[&str], total_path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let mut total = 0;
    let binary: HashSet<String> = obj
        .get("binaryData")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for field in fields {
        let Some(map) = obj.get(*field).and_then(Value::as_object) else {
            continue;
        };
        let secret = obj.get("kind").and_then(Value::as_str) == Some("Secret");
        for (k, v) in map {
            let p = key(field, k);
            for msg in names::config_map_key_errors(k) {
                causes.push(cause::invalid(&p, k.as_str(), &msg));
            }
            if *field == "data" && !secret && binary.contains(k) {
                causes.push(cause::invalid(
                    &p,
                    k.as_str(),
                    "duplicate of key present in binaryData",
                ));
            }
            let len = v.as_str().map_or(0, str::len);
            total += if secret || *field == "binaryData" {
                len / 4 * 3
            } else {
                len
            };
        }
    }
    if total > MAX_DATA_SIZE {
        causes.push(cause::too_long(total_path, MAX_DATA_SIZE));
    }
    causes
}

/// A ConfigMap. Upstream reports the size on the empty path: "the whole object".
pub fn validate_config_map(obj: &Value) -> Vec<StatusCause> {
    data_errors(obj, &["data", "binaryData"], "")
}

/// A Secret: keys, size, and the keys its `type` promises.
pub fn validate_secret(obj: &Value) -> Vec<StatusCause> {
    let mut causes = data_errors(obj, &["data"], "data");
    let has_key = |k: &str| obj.pointer(&format!("/data/{k}")).is_some();
    match super::str_at(obj, "/type") {
        "kubernetes.io/service-account-token" => {
            let annotation = "kubernetes.io/service-account.name";
            if super::string_map_at(obj, "/metadata/annotations")
                .and_then(|a| a.get(annotation).cloned())
                .unwrap_or_default()
                .is_empty()
            {
                causes.push(cause::required(
                    &key("metadata.annotations", annotation),
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" if !has_key(".dockercfg") => {
            causes.push(cause::required("data[.dockercfg]", ""))
        }
        "kubernetes.io/dockerconfigjson" if !has_key(".dockerconfigjson") => {
            causes.push(cause::required("data[.dockerconfigjson]", ""))
        }
        "kubernetes.io/basic-auth" if !has_key("username") && !has_key("password") => {
            causes.push(cause::required("data[username]", ""));
            causes.push(cause::required("data[password]", ""));
        }
        "kubernetes.io/ssh-auth" if !has_key("ssh-privatekey") => {
            causes.push(cause::required("data[ssh-privatekey]", ""))
        }
        "kubernetes.io/tls" => {
            for k in ["tls.crt", "tls.key"] {
                if !has_key(k) {
                    causes.push(cause::required(&key("data", k), ""));
                }
            }
        }
        _ => {}
    }
    causes
}

/// An object marked `immutable: true` keeps its data, and stays immutable, forever: kubelets
/// then need not watch it for changes. Upstream `ValidateConfigMapUpdate`/`ValidateSecretUpdate`.
pub fn validate_immutable_data(new: &Value, old: &Value, fields: &[&str]) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    if old.get("immutable").and_then(Value::as_bool) != Some(true) {
        return causes;
    }
    let msg = "field is immutable when `immutable` is set";
    if new.get("immutable").and_then(Value::as_bool) != Some(true) {
        causes.push(cause::forbidden("immutable", msg));
    }
    for field in fields {
        // Compared exactly: upstream's reflect.DeepEqual also tells a missing map from an
        // empty one.
        if new.get(*field) != old.get(*field) {
            causes.push(cause::forbidden(field, msg));
        }
    }
    causes
}

/// A Secret's `type` is fixed at creation.
pub fn validate_secret_type_unchanged(new: &Value, old: &Value) -> Vec<StatusCause> {
    let (n, o) = (super::str_at(new, "/type"), super::str_at(old, "/type"));
    if n == o {
        Vec::new()
    } else {
        vec![cause::invalid("type", n, "field is immutable")]
    }
}

/// Endpoints: every subset has addresses, every address is a usable IP, every port is named
/// (when there are several), numbered and has a protocol. Upstream `validateEndpointSubsets`.
pub fn validate_endpoints(obj: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    for (i, subset) in super::list_at(obj, "/subsets").iter().enumerate() {
        let p = index("subsets", i);
        let ready = super::list_at(subset, "/addresses");
        let not_ready = super::list_at(subset, "/notReadyAddresses");
        if ready.is_empty() && not_ready.is_empty() {
            causes.push(cause::required(
                &p,
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for (list, field) in [(ready, "addresses"), (not_ready, "notReadyAddresses")] {
            for (j, addr) in list.iter().enumerate() {
                let ap = index(&child(&p, field), j);
                let ip = super::str_at(addr, "/ip");
                for msg in names::ip_errors(ip) {
                    causes.push(cause::invalid(&child(&ap, "ip"), ip, &msg));
                }
                let hostname = super::str_at(addr, "/hostname");
                if !hostname.is_empty() {
                    for msg in names::dns1123_label_errors(hostname) {
                        causes.push(cause::invalid(&child(&ap, "hostname"), hostname, &msg));
                    }
                }
                if let Some(node) = addr.get("nodeName").and_then(Value::as_str) {
                    for msg in names::dns1123_subdomain_errors(node) {
                        causes.push(cause::invalid(&child(&ap, "nodeName"), node, &msg));
                    }
                }
                for msg in names::endpoint_ip_errors(ip) {
                    causes.push(cause::invalid(&child(&ap, "ip"), ip, &msg));
                }
            }
        }
        let ports = super::list_at(subset, "/ports");
        for (j, port) in ports.iter().enumerate() {
            let pp = index(&child(&p, "ports"), j);
            let name = super::str_at(port, "/name");
            if ports.len() > 1 && name.is_empty() {
                causes.push(cause::required(&child(&pp, "name"), ""));
            } else if !name.is_empty() {
                for msg in names::dns1123_label_errors(name) {
                    causes.push(cause::invalid(&child(&pp, "name"), name, &msg));
                }
            }
            let number = super::int_at(port, "/port").unwrap_or(0);
            for msg in names::port_num_errors(number) {
                causes.push(cause::invalid(&child(&pp, "port"), number, &msg));
            }
            causes.extend(super::protocol_cause(port, &pp));
        }
    }
    causes
}

/// An Event's `involvedObject` lives in the Event's own namespace (an event about a
/// cluster-scoped object lives in `default`). Events with an `eventTime` (the newer
/// events.k8s.io shape) must also say who reported them and what happened.
/// Upstream `legacyValidateEvent`, for core/v1 requests.
pub fn validate_event(obj: &Value) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let ns = super::str_at(obj, "/metadata/namespace");
    let involved_ns = super::str_at(obj, "/involvedObject/namespace");
    let mismatch = cause::invalid(
        "involvedObject.namespace",
        involved_ns,
        "does not match event.namespace",
    );
    if super::str_at(obj, "/eventTime").is_empty() {
        if (involved_ns.is_empty() && !ns.is_empty() && ns != "default")
            || (!involved_ns.is_empty() && ns != involved_ns)
        {
            causes.push(mismatch);
        }
    } else {
        if involved_ns.is_empty() && ns != "default" && ns != "kube-system" {
            causes.push(mismatch);
        }
        let controller = super::str_at(obj, "/reportingComponent");
        if controller.is_empty() {
            causes.push(cause::required("reportingComponent", ""));
        }
        for msg in qualified_name_errors(controller) {
            causes.push(cause::invalid("reportingComponent", controller, &msg));
        }
        for (field, limit) in [("reportingInstance", 128), ("action", 128), ("reason", 128)] {
            let value = super::str_at(obj, &format!("/{field}"));
            if value.is_empty() {
                causes.push(cause::required(field, ""));
            }
            if value.len() > limit {
                causes.push(cause::invalid(
                    field,
                    "",
                    &format!("can have at most {limit} characters"),
                ));
            }
        }
        if super::str_at(obj, "/message").len() > 1024 {
            causes.push(cause::invalid(
                "message",
                "",
                "can have at most 1024 characters",
            ));
        }
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_keys_are_checked_and_size_is_limited() {
        let cm = json!({"kind": "ConfigMap", "data": {"ok.key": "1", "no/slash": "2"}});
        assert_eq!(validate_config_map(&cm)[0].field, "data[no/slash]");
        let big = json!({"kind": "ConfigMap", "data": {"a": "x".repeat(MAX_DATA_SIZE + 1)}});
        assert_eq!(
            validate_config_map(&big),
            vec![cause::too_long("", MAX_DATA_SIZE)]
        );
    }

    #[test]
    fn immutable_data_stays_put() {
        let old = json!({"immutable": true, "data": {"a": "1"}});
        let new = json!({"immutable": true, "data": {"a": "2"}});
        assert_eq!(
            validate_immutable_data(&new, &old, &["data", "binaryData"]),
            vec![cause::forbidden(
                "data",
                "field is immutable when `immutable` is set"
            )]
        );
        let unset = json!({"data": {"a": "1"}});
        assert_eq!(
            validate_immutable_data(&unset, &old, &["data"])[0].field,
            "immutable"
        );
    }

    #[test]
    fn a_tls_secret_needs_its_keys() {
        let s = json!({"kind": "Secret", "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}});
        assert_eq!(
            validate_secret(&s),
            vec![cause::required("data[tls.key]", "")]
        );
    }

    #[test]
    fn endpoints_need_addresses_and_protocols() {
        let ep = json!({"subsets": [{"ports": [{"port": 80}]}]});
        assert_eq!(
            validate_endpoints(&ep),
            vec![
                cause::required(
                    "subsets[0]",
                    "must specify `addresses` or `notReadyAddresses`"
                ),
                cause::required("subsets[0].ports[0].protocol", ""),
            ]
        );
    }

    #[test]
    fn an_event_lives_with_its_object() {
        let ev = json!({"metadata": {"namespace": "a"}, "involvedObject": {"namespace": "b"}});
        assert_eq!(validate_event(&ev)[0].field, "involvedObject.namespace");
        let node_event =
            json!({"metadata": {"namespace": "default"}, "involvedObject": {"kind": "Node"}});
        assert_eq!(validate_event(&node_event), vec![]);
    }
}
