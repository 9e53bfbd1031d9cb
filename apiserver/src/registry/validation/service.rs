//! Services.
//!
//! A Service is a stable address in front of a set of pods: it needs ports (unless it is
//! headless or an ExternalName alias, which forward nothing themselves), each port a real
//! number with a protocol and, when there are several, a name to tell them apart.
//!
//! Upstream: `ValidateService`, `validateServicePort` and `ValidateServiceUpdate` in
//! `pkg/apis/core/validation/validation.go`.
//!
//! Two Service rules live in `registry/services.rs`, because they need storage: whether a
//! requested `clusterIP` or `nodePort` is in range and free. That file also refuses a changed
//! `spec.clusterIP` before validation runs; [`validate_service_update`] covers the rest of
//! upstream's rule (a changed `spec.clusterIPs`), with upstream's wording.

use super::{child, index, names, selector};
use machinery::labels::validation::qualified_name_errors;
use machinery::validation_causes::{self as cause, go_quote, go_string_slice, BadValue};
use machinery::StatusCause;
use serde_json::Value;
use std::collections::HashSet;

const TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];

/// A headless Service (`clusterIP: None`) gets no virtual IP: DNS answers with the pods'
/// addresses directly. Validation runs before an address is allocated, so look at both fields.
fn is_headless(spec: &Value) -> bool {
    super::str_at(spec, "/clusterIP") == "None"
        || super::list_at(spec, "/clusterIPs")
            .first()
            .and_then(Value::as_str)
            == Some("None")
}

/// A port number or a named port (`targetPort: 8080` or `targetPort: http`).
/// Upstream `ValidatePortNumOrName`.
fn port_num_or_name(v: &Value, path: &str) -> Vec<StatusCause> {
    match v {
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(0);
            names::port_num_errors(n)
                .iter()
                .map(|m| cause::invalid(path, n, m))
                .collect()
        }
        Value::String(s) => names::port_name_errors(s)
            .iter()
            .map(|m| cause::invalid(path, s.as_str(), m))
            .collect(),
        _ => Vec::new(),
    }
}

/// `spec` of a Service, in upstream's order.
pub fn validate_service(svc: &Value) -> Vec<StatusCause> {
    let spec = svc.get("spec").cloned().unwrap_or(Value::Null);
    let kind = super::str_at(&spec, "/type");
    let headless = is_headless(&spec);
    let ports = super::list_at(&spec, "/ports");
    let mut causes = Vec::new();
    if ports.is_empty() && !headless && kind != "ExternalName" {
        causes.push(cause::required("spec.ports", ""));
    }
    match kind {
        "LoadBalancer" | "NodePort" if headless => causes.push(cause::invalid(
            "spec.clusterIPs[0]",
            "None",
            &format!("may not be set to 'None' for {kind} services"),
        )),
        "ExternalName" => {
            let cname = super::str_at(&spec, "/externalName");
            let cname = cname.strip_suffix('.').unwrap_or(cname);
            if cname.is_empty() {
                causes.push(cause::required("spec.externalName", ""));
            } else {
                for msg in names::dns1123_subdomain_errors(cname) {
                    causes.push(cause::invalid("spec.externalName", cname, &msg));
                }
            }
        }
        _ => {}
    }
    let mut port_names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        causes.extend(validate_port(
            port,
            ports.len() > 1,
            &mut port_names,
            &index("spec.ports", i),
        ));
    }
    if let Some(sel) = super::string_map_at(&spec, "/selector") {
        causes.extend(selector::validate_labels(&sel, "spec.selector"));
    }
    match super::str_at(&spec, "/sessionAffinity") {
        "" => causes.push(cause::required("spec.sessionAffinity", "")),
        "ClientIP" | "None" => {}
        other => causes.push(cause::not_supported(
            "spec.sessionAffinity",
            other,
            &["ClientIP", "None"],
        )),
    }
    match kind {
        "" => causes.push(cause::required("spec.type", "")),
        k if !TYPES.contains(&k) => causes.push(cause::not_supported("spec.type", k, TYPES)),
        _ => {}
    }
    if kind == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if super::int_at(port, "/nodePort").unwrap_or(0) != 0 {
                causes.push(cause::forbidden(
                    &child(&index("spec.ports", i), "nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    // The same (protocol, nodePort) twice, or the same (protocol, port) twice.
    let mut node_ports = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let node_port = super::int_at(port, "/nodePort").unwrap_or(0);
        if node_port != 0 && !node_ports.insert((super::str_at(port, "/protocol"), node_port)) {
            causes.push(cause::duplicate(
                &child(&index("spec.ports", i), "nodePort"),
                node_port,
            ));
        }
    }
    let mut seen = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let protocol = super::str_at(port, "/protocol");
        let number = super::int_at(port, "/port").unwrap_or(0);
        if !seen.insert((protocol, number)) {
            // Upstream prints the key it compared: a ServicePort holding only these two.
            let key = format!(
                "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
                go_quote(protocol)
            );
            causes.push(cause::duplicate(&index("spec.ports", i), BadValue::Go(key)));
        }
    }
    causes
}

/// One entry of `spec.ports`. Upstream `validateServicePort`.
fn validate_port<'a>(
    port: &'a Value,
    require_name: bool,
    seen: &mut HashSet<&'a str>,
    path: &str,
) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let name = super::str_at(port, "/name");
    if require_name && name.is_empty() {
        causes.push(cause::required(&child(path, "name"), ""));
    } else if !name.is_empty() {
        for msg in names::dns1123_label_errors(name) {
            causes.push(cause::invalid(&child(path, "name"), name, &msg));
        }
        if !seen.insert(name) {
            causes.push(cause::duplicate(&child(path, "name"), name));
        }
    }
    let number = super::int_at(port, "/port").unwrap_or(0);
    for msg in names::port_num_errors(number) {
        causes.push(cause::invalid(&child(path, "port"), number, &msg));
    }
    causes.extend(super::protocol_cause(port, path));
    if let Some(target) = port.get("targetPort") {
        causes.extend(port_num_or_name(target, &child(path, "targetPort")));
    }
    if let Some(app) = port.get("appProtocol").and_then(Value::as_str) {
        for msg in qualified_name_errors(app) {
            causes.push(cause::invalid(&child(path, "appProtocol"), app, &msg));
        }
    }
    causes
}

/// On update, the primary cluster IP may not change (unless the Service is or becomes an
/// ExternalName, which has none). Upstream `validateUpgradeDowngradeClusterIPs`.
pub fn validate_service_update(new: &Value, old: &Value) -> Vec<StatusCause> {
    if super::str_at(new, "/spec/type") == "ExternalName"
        || super::str_at(old, "/spec/type") == "ExternalName"
    {
        return Vec::new();
    }
    let ips = |obj: &Value| -> Vec<String> {
        super::list_at(obj, "/spec/clusterIPs")
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect()
    };
    let (new_ips, old_ips) = (ips(new), ips(old));
    match (new_ips.first(), old_ips.first()) {
        (Some(n), Some(o)) if n != o => vec![cause::invalid(
            "spec.clusterIPs[0]",
            BadValue::Go(go_string_slice(Some(&new_ips))),
            "may not change once set",
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::strategy::defaults;
    use serde_json::json;

    fn svc(spec: Value) -> Value {
        let mut s = json!({"spec": spec});
        defaults::service(&mut s);
        s
    }

    #[test]
    fn ports_are_required_unless_headless_or_external_name() {
        assert_eq!(
            validate_service(&svc(json!({}))),
            vec![cause::required("spec.ports", "")]
        );
        assert_eq!(validate_service(&svc(json!({"clusterIP": "None"}))), vec![]);
        assert_eq!(
            validate_service(&svc(
                json!({"type": "ExternalName", "externalName": "example.com"})
            )),
            vec![]
        );
    }

    #[test]
    fn several_ports_need_names_and_numbers_in_range() {
        let causes = validate_service(&svc(
            json!({"ports": [{"port": 80}, {"port": 70000, "name": "b"}]}),
        ));
        assert_eq!(
            causes,
            vec![
                cause::required("spec.ports[0].name", ""),
                cause::invalid(
                    "spec.ports[1].port",
                    70000,
                    "must be between 1 and 65535, inclusive"
                ),
                cause::invalid(
                    "spec.ports[1].targetPort",
                    70000,
                    "must be between 1 and 65535, inclusive"
                ),
            ]
        );
    }

    #[test]
    fn type_is_an_enum_and_node_ports_need_a_node_port_type() {
        let causes = validate_service(&svc(json!({"type": "Public", "ports": [{"port": 80}]})));
        assert_eq!(
            causes,
            vec![cause::not_supported("spec.type", "Public", TYPES)]
        );
        let causes = validate_service(&svc(json!({"ports": [{"port": 80, "nodePort": 30080}]})));
        assert_eq!(
            causes,
            vec![cause::forbidden(
                "spec.ports[0].nodePort",
                "may not be used when `type` is 'ClusterIP'"
            )]
        );
    }

    #[test]
    fn the_primary_cluster_ip_may_not_change() {
        let old = json!({"spec": {"clusterIPs": ["10.96.0.9"]}});
        let new = json!({"spec": {"clusterIPs": ["10.96.0.10"]}});
        assert_eq!(
            validate_service_update(&new, &old),
            vec![cause::invalid(
                "spec.clusterIPs[0]",
                BadValue::Go("[]string{\"10.96.0.10\"}".into()),
                "may not change once set"
            )]
        );
    }
}
