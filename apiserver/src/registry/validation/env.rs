//! Environment variables of a container: `env` and `envFrom`.
//!
//! Upstream: `ValidateEnv`, `validateEnvVarValueFrom`, `validateObjectFieldSelector`,
//! `validateConfigMapKeySelector`, `validateSecretKeySelector` and `ValidateEnvFrom` in
//! `pkg/apis/core/validation/validation.go`.

use super::{child, index, names};
use machinery::validation_causes as cause;
use machinery::StatusCause;
use serde_json::Value;

/// The downward-API fields an environment variable may read (upstream
/// `validEnvDownwardAPIFieldPathExpressions`), in the sorted order the message lists them.
const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

/// Environment variables: a valid name, and at most one source for the value.
/// Upstream `ValidateEnv` and `validateEnvVarValueFrom`.
pub fn validate_env(env: &[Value], path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    for (i, var) in env.iter().enumerate() {
        let p = index(path, i);
        let name = super::str_at(var, "/name");
        if name.is_empty() {
            causes.push(cause::required(&child(&p, "name"), ""));
        } else {
            for msg in names::env_var_name_errors(name) {
                causes.push(cause::invalid(&child(&p, "name"), name, &msg));
            }
        }
        let Some(from) = var.get("valueFrom").filter(|v| !v.is_null()) else {
            continue;
        };
        let from_path = child(&p, "valueFrom");
        let sources = [
            "fieldRef",
            "resourceFieldRef",
            "configMapKeyRef",
            "secretKeyRef",
        ]
        .iter()
        .filter(|s| super::has(from, &format!("/{s}")))
        .count();
        if sources == 0 {
            causes.push(cause::invalid(
                &from_path,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ));
        } else if !super::str_at(var, "/value").is_empty() {
            causes.push(cause::invalid(
                &from_path,
                "",
                "may not be specified when `value` is not empty",
            ));
        } else if sources > 1 {
            causes.push(cause::invalid(
                &from_path,
                "",
                "may not have more than one field specified at a time",
            ));
        }
        if let Some(field_path) = from.pointer("/fieldRef/fieldPath").and_then(Value::as_str) {
            let subscripted = ["metadata.labels[", "metadata.annotations["]
                .iter()
                .any(|prefix| field_path.starts_with(prefix));
            if !subscripted && !ENV_FIELD_PATHS.contains(&field_path) {
                causes.push(cause::not_supported(
                    &child(&from_path, "fieldRef.fieldPath"),
                    field_path,
                    ENV_FIELD_PATHS,
                ));
            }
        }
        for selector in ["configMapKeyRef", "secretKeyRef"] {
            if let Some(sel) = from.get(selector).filter(|v| !v.is_null()) {
                causes.extend(validate_key_selector(sel, &child(&from_path, selector)));
            }
        }
    }
    causes
}

/// `configMapKeyRef` / `secretKeyRef`: a valid object name and a valid key.
fn validate_key_selector(sel: &Value, path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let name = super::str_at(sel, "/name");
    for msg in names::dns1123_subdomain_errors(name) {
        causes.push(cause::invalid(&child(path, "name"), name, &msg));
    }
    let key = super::str_at(sel, "/key");
    if key.is_empty() {
        causes.push(cause::required(&child(path, "key"), ""));
    } else {
        for msg in names::config_map_key_errors(key) {
            causes.push(cause::invalid(&child(path, "key"), key, &msg));
        }
    }
    causes
}

/// `envFrom`: one source each, naming a ConfigMap or Secret. Upstream `ValidateEnvFrom`.
pub fn validate_env_from(list: &[Value], path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let p = index(path, i);
        let sources: Vec<&str> = ["configMapRef", "secretRef"]
            .into_iter()
            .filter(|s| super::has(item, &format!("/{s}")))
            .collect();
        for source in &sources {
            let name = item
                .pointer(&format!("/{source}/name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let name_path = child(&child(&p, source), "name");
            if name.is_empty() {
                causes.push(cause::required(&name_path, ""));
            } else {
                for msg in names::dns1123_subdomain_errors(name.strip_suffix('-').unwrap_or(name)) {
                    causes.push(cause::invalid(&name_path, name, &msg));
                }
            }
        }
        match sources.len() {
            0 => causes.push(cause::invalid(
                path,
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            )),
            1 => {}
            _ => causes.push(cause::invalid(
                path,
                "",
                "may not have more than one field specified at a time",
            )),
        }
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_names_and_sources_are_checked() {
        let env = [
            json!({"name": "A=B"}),
            json!({"name": "X", "valueFrom": {}}),
        ];
        let causes = validate_env(&env, "spec.containers[0].env");
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.containers[0].env[0].name",
                "spec.containers[0].env[1].valueFrom"
            ]
        );
    }

    #[test]
    fn key_references_need_a_key_and_a_valid_name() {
        let env =
            [json!({"name": "X", "valueFrom": {"configMapKeyRef": {"name": "Cfg", "key": ""}}})];
        let causes = validate_env(&env, "env");
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "env[0].valueFrom.configMapKeyRef.name",
                "env[0].valueFrom.configMapKeyRef.key"
            ]
        );
    }

    #[test]
    fn env_from_needs_exactly_one_source() {
        let causes = validate_env_from(&[json!({"prefix": "P_"})], "envFrom");
        assert_eq!(
            causes,
            vec![cause::invalid(
                "envFrom",
                "",
                "must specify one of: `configMapRef` or `secretRef`"
            )]
        );
    }
}
