//! A PodSpec: checked for every Pod, and for the pod template inside every Deployment,
//! ReplicaSet and Job (there with the `spec.template.spec.` prefix), so a bad template is
//! refused when the controller object is created, not later when its first pod is.
//!
//! Upstream: `ValidatePodSpec`, `ValidateVolumes`, `validateRestartPolicy`, `validateDNSPolicy`,
//! `ValidateTolerations`, `ValidatePodTemplateSpec` and `validatePodMetadataAndSpec` in
//! `pkg/apis/core/validation/validation.go`. The checks run in upstream's order, so a list of
//! causes reads the same as a real server's.

use super::{child, containers, index, meta, names, selector, volumes};
use machinery::labels::validation::qualified_name_errors;
use machinery::validation_causes as cause;
use machinery::StatusCause;
use serde_json::Value;
use std::collections::HashSet;

/// Whether the spec belongs to a Pod itself or to a template inside a controller object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecOf {
    Pod,
    Template,
}

/// Validate a whole Pod's spec (its metadata is checked by the registry).
pub fn validate_pod(pod: &Value) -> Vec<StatusCause> {
    let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
    let mut causes = validate_pod_spec(&spec, "spec", SpecOf::Pod);
    causes.extend(containers::validate_containers_only_for_pod(
        super::list_at(&spec, "/containers"),
        "spec.containers",
    ));
    causes.extend(containers::validate_containers_only_for_pod(
        super::list_at(&spec, "/initContainers"),
        "spec.initContainers",
    ));
    if !super::list_at(&spec, "/ephemeralContainers").is_empty() {
        // Ephemeral containers are added later, through a subresource we do not serve.
        causes.push(cause::forbidden(
            "spec.ephemeralContainers",
            "cannot be set on create",
        ));
    }
    if !super::str_at(&spec, "/nodeName").is_empty()
        && !super::list_at(&spec, "/schedulingGates").is_empty()
    {
        causes.push(cause::forbidden(
            "spec.nodeName",
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
    causes
}

/// Validate a pod template (`spec.template` of a Deployment, ReplicaSet or Job). Note that
/// upstream reports the template's labels under `spec.template.labels`, without `metadata`.
pub fn validate_pod_template(template: &Value, path: &str) -> Vec<StatusCause> {
    let labels = super::string_map_at(template, "/metadata/labels").unwrap_or_default();
    let mut causes = selector::validate_labels(&labels, &child(path, "labels"));
    let annotations = super::string_map_at(template, "/metadata/annotations").unwrap_or_default();
    causes.extend(meta::validate_annotations(
        &annotations,
        &child(path, "annotations"),
    ));
    let spec = template.get("spec").cloned().unwrap_or(Value::Null);
    causes.extend(validate_pod_spec(
        &spec,
        &child(path, "spec"),
        SpecOf::Template,
    ));
    if !super::list_at(&spec, "/ephemeralContainers").is_empty() {
        causes.push(cause::forbidden(
            &child(path, "spec.ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    causes
}

/// Validate a PodSpec found at `path`.
pub fn validate_pod_spec(spec: &Value, path: &str, of: SpecOf) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let at = |f: &str| child(path, f);
    match super::int_at(spec, "/terminationGracePeriodSeconds") {
        None => causes.push(cause::required(&at("terminationGracePeriodSeconds"), "")),
        // Upstream accepts a negative grace period and treats it as 1 second; kubeling
        // refuses it outright, which is simpler to explain.
        Some(n) if n < 0 => causes.push(cause::invalid(
            &at("terminationGracePeriodSeconds"),
            n,
            "must be greater than or equal to 0",
        )),
        Some(_) => {}
    }
    let (volumes, volume_causes) =
        volumes::validate_volumes(super::list_at(spec, "/volumes"), &at("volumes"));
    causes.extend(volume_causes);
    let regular = super::list_at(spec, "/containers");
    causes.extend(containers::validate_containers(
        regular,
        &volumes,
        &at("containers"),
    ));
    causes.extend(containers::validate_init_containers(
        super::list_at(spec, "/initContainers"),
        regular,
        &volumes,
        &at("initContainers"),
    ));
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        causes.extend(host_network_ports(regular, &at("containers"), of));
    }
    match super::str_at(spec, "/restartPolicy") {
        "Always" | "OnFailure" | "Never" => {}
        "" => causes.push(cause::required(&at("restartPolicy"), "")),
        other => causes.push(cause::not_supported(
            &at("restartPolicy"),
            other,
            &["Always", "OnFailure", "Never"],
        )),
    }
    let dns_policy = super::str_at(spec, "/dnsPolicy");
    match dns_policy {
        "ClusterFirstWithHostNet" | "ClusterFirst" | "Default" | "None" => {}
        "" => causes.push(cause::required(&at("dnsPolicy"), "")),
        other => causes.push(cause::not_supported(
            &at("dnsPolicy"),
            other,
            &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        )),
    }
    let node_selector = super::string_map_at(spec, "/nodeSelector").unwrap_or_default();
    causes.extend(selector::validate_labels(
        &node_selector,
        &at("nodeSelector"),
    ));
    if dns_policy == "None" {
        if !super::has(spec, "/dnsConfig") {
            causes.push(cause::required(
                &at("dnsConfig"),
                "must provide `dnsConfig` when `dnsPolicy` is None",
            ));
        } else if super::list_at(spec, "/dnsConfig/nameservers").is_empty() {
            causes.push(cause::required(
                &at("dnsConfig.nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            ));
        }
    }
    let mut gates = HashSet::new();
    for (i, gate) in super::list_at(spec, "/schedulingGates").iter().enumerate() {
        let name = super::str_at(gate, "/name");
        let p = index(&at("schedulingGates"), i);
        for msg in qualified_name_errors(name) {
            causes.push(cause::invalid(&p, name, &msg));
        }
        if !gates.insert(name) {
            causes.push(cause::duplicate(&p, name));
        }
    }
    causes.extend(name_field(spec, path, "serviceAccountName", false));
    causes.extend(name_field(spec, path, "nodeName", false));
    causes.extend(active_deadline(spec, path));
    causes.extend(name_field(spec, path, "hostname", true));
    causes.extend(name_field(spec, path, "subdomain", true));
    causes.extend(validate_tolerations(
        super::list_at(spec, "/tolerations"),
        &at("tolerations"),
    ));
    causes.extend(name_field(spec, path, "priorityClassName", false));
    if let Some(policy) = spec.get("preemptionPolicy").and_then(Value::as_str) {
        match policy {
            "PreemptLowerPriority" | "Never" => {}
            "" => causes.push(cause::required(&at("preemptionPolicy"), "")),
            other => causes.push(cause::not_supported(
                &at("preemptionPolicy"),
                other,
                &["PreemptLowerPriority", "Never"],
            )),
        }
    }
    causes
}

/// A field naming another object or a host: a DNS subdomain, or a DNS label for `hostname`
/// and `subdomain`. Empty means "not set".
fn name_field(spec: &Value, path: &str, field: &str, label: bool) -> Vec<StatusCause> {
    let value = super::str_at(spec, &format!("/{field}"));
    if value.is_empty() {
        return Vec::new();
    }
    let errs = if label {
        names::dns1123_label_errors(value)
    } else {
        names::dns1123_subdomain_errors(value)
    };
    errs.iter()
        .map(|msg| cause::invalid(&child(path, field), value, msg))
        .collect()
}

/// `activeDeadlineSeconds`, when set, is 1 to 2^31-1.
fn active_deadline(spec: &Value, path: &str) -> Vec<StatusCause> {
    match super::int_at(spec, "/activeDeadlineSeconds") {
        Some(n) if !(1..=i64::from(i32::MAX)).contains(&n) => vec![cause::invalid(
            &child(path, "activeDeadlineSeconds"),
            n,
            &names::inclusive_range_error(1, i64::from(i32::MAX)),
        )],
        _ => Vec::new(),
    }
}

/// With `hostNetwork` the container listens on the node itself, so a host port can only be
/// the container port. A template may leave it 0 (it is filled in when the pod is created).
fn host_network_ports(list: &[Value], path: &str, of: SpecOf) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    for (ci, c) in list.iter().enumerate() {
        for (pi, port) in super::list_at(c, "/ports").iter().enumerate() {
            let host = super::int_at(port, "/hostPort").unwrap_or(0);
            let container = super::int_at(port, "/containerPort").unwrap_or(0);
            if (of == SpecOf::Pod || host != 0) && host != container {
                let p = index(&child(&index(path, ci), "ports"), pi);
                causes.push(cause::invalid(
                    &child(&p, "hostPort"),
                    host,
                    "must match `containerPort` when `hostNetwork` is true",
                ));
            }
        }
    }
    causes
}

/// Tolerations: a qualified key (or none, with `Exists`, meaning "everything"), a value that
/// agrees with the operator, and a known effect. Upstream `ValidateTolerations`.
pub fn validate_tolerations(list: &[Value], path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let p = index(path, i);
        let key = super::str_at(t, "/key");
        let operator = super::str_at(t, "/operator");
        let value = super::str_at(t, "/value");
        let effect = super::str_at(t, "/effect");
        if !key.is_empty() {
            for msg in qualified_name_errors(key) {
                causes.push(cause::invalid(&child(&p, "key"), key, &msg));
            }
        }
        if key.is_empty() && operator != "Exists" {
            causes.push(cause::invalid(
                &child(&p, "operator"),
                operator,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        if super::has(t, "/tolerationSeconds") && effect != "NoExecute" {
            causes.push(cause::invalid(
                &child(&p, "effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        match operator {
            "Equal" | "" => {
                let errs = selector::label_value_errors(value);
                if !errs.is_empty() {
                    causes.push(cause::invalid(
                        &child(&p, "operator"),
                        value,
                        &errs.join(";"),
                    ));
                }
            }
            "Exists" if !value.is_empty() => causes.push(cause::invalid(
                &child(&p, "operator"),
                value,
                "value must be empty when `operator` is 'Exists'",
            )),
            "Exists" => {}
            other => causes.push(cause::not_supported(
                &child(&p, "operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() {
            causes.extend(taint_effect_errors(effect, &child(&p, "effect")));
        }
    }
    causes
}

/// `NoSchedule`, `PreferNoSchedule` or `NoExecute` (upstream `validateTaintEffect`).
pub fn taint_effect_errors(effect: &str, path: &str) -> Vec<StatusCause> {
    match effect {
        "NoSchedule" | "PreferNoSchedule" | "NoExecute" => Vec::new(),
        other => vec![cause::not_supported(
            path,
            other,
            &["NoSchedule", "PreferNoSchedule", "NoExecute"],
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::strategy::defaults;
    use serde_json::json;

    fn pod(spec: Value) -> Value {
        let mut p = json!({"spec": spec});
        defaults::pod(&mut p);
        p
    }

    #[test]
    fn a_defaulted_pod_with_a_named_imaged_container_is_valid() {
        let p = pod(json!({"containers": [{"name": "web", "image": "busybox"}]}));
        assert_eq!(validate_pod(&p), vec![]);
    }

    #[test]
    fn restart_and_dns_policies_are_enums() {
        let p = pod(json!({"restartPolicy": "Sometimes", "dnsPolicy": "Google",
            "containers": [{"name": "web", "image": "busybox"}]}));
        assert_eq!(
            validate_pod(&p),
            vec![
                cause::not_supported(
                    "spec.restartPolicy",
                    "Sometimes",
                    &["Always", "OnFailure", "Never"]
                ),
                cause::not_supported(
                    "spec.dnsPolicy",
                    "Google",
                    &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
                ),
            ]
        );
    }

    #[test]
    fn volumes_are_unique_and_have_a_source() {
        let p = pod(json!({"containers": [{"name": "web", "image": "busybox",
            "volumeMounts": [{"name": "b", "mountPath": "/b"}]}],
            "volumes": [{"name": "a", "emptyDir": {}}, {"name": "a", "emptyDir": {}}, {"name": "b"}]}));
        assert_eq!(
            validate_pod(&p),
            vec![
                cause::duplicate("spec.volumes[1].name", "a"),
                cause::required("spec.volumes[2]", "must specify a volume type"),
                cause::not_found("spec.containers[0].volumeMounts[0].name", "b"),
            ]
        );
    }

    #[test]
    fn a_negative_grace_period_is_refused() {
        let p = pod(json!({"terminationGracePeriodSeconds": -1,
            "containers": [{"name": "web", "image": "busybox"}]}));
        assert_eq!(
            validate_pod(&p),
            vec![cause::invalid(
                "spec.terminationGracePeriodSeconds",
                -1,
                "must be greater than or equal to 0"
            )]
        );
    }

    #[test]
    fn templates_report_labels_without_metadata_and_paths_with_their_prefix() {
        let mut t = json!({"metadata": {"labels": {"app": "a b"}},
            "spec": {"containers": [{"name": "web"}]}});
        defaults::pod_spec(&mut t["spec"]);
        let causes = validate_pod_template(&t, "spec.template");
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.template.labels",
                "spec.template.spec.containers[0].image"
            ]
        );
    }

    #[test]
    fn tolerations_agree_with_their_operator() {
        let causes = validate_tolerations(
            &[
                json!({"key": "", "operator": "Equal"}),
                json!({"key": "k", "operator": "Exists", "value": "v"}),
            ],
            "spec.tolerations",
        );
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.tolerations[0].operator",
                "spec.tolerations[1].operator"
            ]
        );
    }
}
