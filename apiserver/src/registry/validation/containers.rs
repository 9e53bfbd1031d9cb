//! Containers: the part of a pod people write most, and get wrong most.
//!
//! Upstream: `validateContainers`, `validateInitContainers`, `validateContainerCommon`,
//! `validateContainerPorts`, `ValidateEnv`, `ValidateVolumeMounts`, `validatePullPolicy` and
//! `AccumulateUniqueHostPorts` in `pkg/apis/core/validation/validation.go`. We leave out
//! probes, lifecycle hooks, security contexts and volume devices (kubeling does not act on
//! most of them yet); a real API server checks those too.

use super::{child, env, index, names, resources};
use machinery::validation_causes as cause;
use machinery::StatusCause;
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

/// `containers`: at least one; each valid; names unique. `volumes` holds the names of the
/// pod's *valid* volumes, which mounts must refer to.
pub fn validate_containers(
    list: &[Value],
    volumes: &HashSet<String>,
    path: &str,
) -> Vec<StatusCause> {
    if list.is_empty() {
        return vec![cause::required(path, "")];
    }
    let mut causes = Vec::new();
    let mut names = HashSet::new();
    for (i, c) in list.iter().enumerate() {
        let p = index(path, i);
        causes.extend(validate_container_common(c, volumes, &p));
        let name = super::str_at(c, "/name");
        if !names.insert(name.to_string()) {
            causes.push(cause::duplicate(&child(&p, "name"), name));
        }
        if super::has(c, "/restartPolicy") {
            causes.push(cause::forbidden(
                &child(&p, "restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    causes.extend(host_port_conflicts(list, path));
    causes
}

/// `initContainers`: like containers, but a name may not repeat any container's; a
/// `restartPolicy` may only be `Always` (a sidecar); and only sidecars may have probes.
pub fn validate_init_containers(
    list: &[Value],
    regular: &[Value],
    volumes: &HashSet<String>,
    path: &str,
) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let mut names: HashSet<String> = regular
        .iter()
        .map(|c| super::str_at(c, "/name").to_string())
        .collect();
    for (i, c) in list.iter().enumerate() {
        let p = index(path, i);
        causes.extend(validate_container_common(c, volumes, &p));
        let restart = c.get("restartPolicy").and_then(Value::as_str);
        if let Some(policy) = restart {
            if policy != "Always" {
                causes.push(cause::not_supported(
                    &child(&p, "restartPolicy"),
                    policy,
                    &["Always"],
                ));
            }
        }
        let name = super::str_at(c, "/name");
        if names.contains(name) {
            causes.push(cause::duplicate(&child(&p, "name"), name));
        } else if !name.is_empty() {
            names.insert(name.to_string());
        }
        causes.extend(host_port_conflicts(std::slice::from_ref(c), path));
        if restart != Some("Always") {
            for field in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if super::has(c, &format!("/{field}")) {
                    causes.push(cause::forbidden(
                        &child(&p, field),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
    }
    causes
}

/// What every container must get right, in upstream's order.
fn validate_container_common(c: &Value, volumes: &HashSet<String>, path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let name = super::str_at(c, "/name");
    let name_path = child(path, "name");
    if name.is_empty() {
        causes.push(cause::required(&name_path, ""));
    } else {
        for msg in names::dns1123_label_errors(name) {
            causes.push(cause::invalid(&name_path, name, &msg));
        }
    }
    if super::str_at(c, "/image").is_empty() {
        causes.push(cause::required(&child(path, "image"), ""));
    }
    let tmp = super::str_at(c, "/terminationMessagePolicy");
    match tmp {
        "File" | "FallbackToLogsOnError" => {}
        "" => causes.push(cause::required(
            &child(path, "terminationMessagePolicy"),
            "",
        )),
        other => causes.push(cause::not_supported(
            &child(path, "terminationMessagePolicy"),
            other,
            &["File", "FallbackToLogsOnError"],
        )),
    }
    causes.extend(validate_ports(
        super::list_at(c, "/ports"),
        &child(path, "ports"),
    ));
    causes.extend(env::validate_env(
        super::list_at(c, "/env"),
        &child(path, "env"),
    ));
    causes.extend(env::validate_env_from(
        super::list_at(c, "/envFrom"),
        &child(path, "envFrom"),
    ));
    causes.extend(validate_volume_mounts(
        super::list_at(c, "/volumeMounts"),
        volumes,
        &child(path, "volumeMounts"),
    ));
    match super::str_at(c, "/imagePullPolicy") {
        "Always" | "IfNotPresent" | "Never" => {}
        "" => causes.push(cause::required(&child(path, "imagePullPolicy"), "")),
        other => causes.push(cause::not_supported(
            &child(path, "imagePullPolicy"),
            other,
            &["Always", "IfNotPresent", "Never"],
        )),
    }
    let res = c.get("resources").cloned().unwrap_or(Value::Null);
    causes.extend(resources::validate_resource_requirements(
        &res,
        &child(path, "resources"),
    ));
    causes
}

/// Port names are IANA service names and unique; `containerPort` is required and a port
/// number; `hostPort` too when set; `protocol` one of three. Upstream `validateContainerPorts`.
fn validate_ports(ports: &[Value], path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let mut seen = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let p = index(path, i);
        let name = super::str_at(port, "/name");
        if !name.is_empty() {
            let errs = names::port_name_errors(name);
            if !errs.is_empty() {
                for msg in errs {
                    causes.push(cause::invalid(&child(&p, "name"), name, &msg));
                }
            } else if !seen.insert(name.to_string()) {
                causes.push(cause::duplicate(&child(&p, "name"), name));
            }
        }
        match super::int_at(port, "/containerPort").unwrap_or(0) {
            0 => causes.push(cause::required(&child(&p, "containerPort"), "")),
            n => {
                for msg in names::port_num_errors(n) {
                    causes.push(cause::invalid(&child(&p, "containerPort"), n, &msg));
                }
            }
        }
        let host_port = super::int_at(port, "/hostPort").unwrap_or(0);
        if host_port != 0 {
            for msg in names::port_num_errors(host_port) {
                causes.push(cause::invalid(&child(&p, "hostPort"), host_port, &msg));
            }
        }
        causes.extend(super::protocol_cause(port, &p));
    }
    causes
}

/// Two containers cannot both take the same host port (per protocol and host IP).
fn host_port_conflicts(containers: &[Value], path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let mut seen = BTreeSet::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, port) in super::list_at(c, "/ports").iter().enumerate() {
            let host_port = super::int_at(port, "/hostPort").unwrap_or(0);
            if host_port == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{host_port}",
                super::str_at(port, "/protocol"),
                super::str_at(port, "/hostIP")
            );
            if !seen.insert(key.clone()) {
                let p = index(&child(&index(path, ci), "ports"), pi);
                causes.push(cause::duplicate(&child(&p, "hostPort"), key));
            }
        }
    }
    causes
}

/// A mount names one of the pod's volumes and a path no other mount of this container uses.
/// Upstream `ValidateVolumeMounts`.
fn validate_volume_mounts(
    mounts: &[Value],
    volumes: &HashSet<String>,
    path: &str,
) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let mut paths = HashSet::new();
    for (i, m) in mounts.iter().enumerate() {
        let p = index(path, i);
        let name = super::str_at(m, "/name");
        if name.is_empty() {
            causes.push(cause::required(&child(&p, "name"), ""));
        }
        if !volumes.contains(name) {
            causes.push(cause::not_found(&child(&p, "name"), name));
        }
        let mount_path = super::str_at(m, "/mountPath");
        if mount_path.is_empty() {
            causes.push(cause::required(&child(&p, "mountPath"), ""));
        }
        if !paths.insert(mount_path.to_string()) {
            causes.push(cause::invalid(
                &child(&p, "mountPath"),
                mount_path,
                "must be unique",
            ));
        }
    }
    causes
}

/// Containers of a real pod (not a template) may not have an image with spaces around it.
/// Upstream `validateContainerOnlyForPod`.
pub fn validate_containers_only_for_pod(list: &[Value], path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let image = super::str_at(c, "/image");
        if image.trim() != image {
            causes.push(cause::invalid(
                &child(&index(path, i), "image"),
                image,
                "must not have leading or trailing whitespace",
            ));
        }
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(v: Value) -> Value {
        let mut v = v;
        let m = v.as_object_mut().expect("object");
        m.entry("imagePullPolicy").or_insert(json!("IfNotPresent"));
        m.entry("terminationMessagePolicy").or_insert(json!("File"));
        v
    }

    fn check(list: Value) -> Vec<StatusCause> {
        let list = list
            .as_array()
            .expect("list")
            .iter()
            .cloned()
            .map(c)
            .collect::<Vec<_>>();
        validate_containers(&list, &HashSet::new(), "spec.containers")
    }

    #[test]
    fn a_pod_needs_at_least_one_container() {
        assert_eq!(
            check(json!([])),
            vec![cause::required("spec.containers", "")]
        );
    }

    #[test]
    fn names_must_be_labels_and_unique() {
        let causes = check(json!([{"name": "web", "image": "x"}, {"name": "web", "image": "y"}]));
        assert_eq!(
            causes,
            vec![cause::duplicate("spec.containers[1].name", "web")]
        );
        let causes = check(json!([{"name": "Web", "image": "x"}]));
        assert_eq!(causes[0].field, "spec.containers[0].name");
    }

    #[test]
    fn an_image_is_required() {
        let causes = check(json!([{"name": "web"}]));
        assert_eq!(
            causes,
            vec![cause::required("spec.containers[0].image", "")]
        );
    }

    #[test]
    fn ports_are_numbers_names_and_known_protocols() {
        let causes = check(json!([{"name": "web", "image": "x", "ports": [
            {"containerPort": 70000, "protocol": "TCP"},
            {"containerPort": 80, "protocol": "HTTP", "name": "http"},
            {"containerPort": 81, "protocol": "TCP", "name": "http"}]}]));
        assert_eq!(
            causes,
            vec![
                cause::invalid(
                    "spec.containers[0].ports[0].containerPort",
                    70000,
                    "must be between 1 and 65535, inclusive"
                ),
                cause::not_supported(
                    "spec.containers[0].ports[1].protocol",
                    "HTTP",
                    &["SCTP", "TCP", "UDP"]
                ),
                cause::duplicate("spec.containers[0].ports[2].name", "http"),
            ]
        );
    }

    #[test]
    fn mounts_must_name_a_volume() {
        let list = vec![c(json!({"name": "web", "image": "x",
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}))];
        let causes = validate_containers(&list, &HashSet::new(), "spec.containers");
        assert_eq!(
            causes,
            vec![cause::not_found(
                "spec.containers[0].volumeMounts[0].name",
                "data"
            )]
        );
    }

    #[test]
    fn init_container_names_may_not_repeat_containers() {
        let regular = vec![c(json!({"name": "web", "image": "x"}))];
        let init = vec![c(json!({"name": "web", "image": "x"}))];
        let causes =
            validate_init_containers(&init, &regular, &HashSet::new(), "spec.initContainers");
        assert_eq!(
            causes,
            vec![cause::duplicate("spec.initContainers[0].name", "web")]
        );
    }
}
