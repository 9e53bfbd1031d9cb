//! Deployments and ReplicaSets.
//!
//! Both run pods from a template and find them again by a selector, so both need a selector
//! that picks the template's own pods, a template whose pods restart `Always` (a controller
//! that keeps N replicas running has no use for pods that finish), and a selector that never
//! changes: a changed selector would orphan every pod the controller already owns.
//!
//! Upstream: `ValidateDeploymentSpec`, `ValidateDeploymentStrategy`,
//! `ValidateRollingUpdateDeployment`, `ValidateReplicaSetSpec` and
//! `ValidatePodTemplateSpecForReplicaSet` in `pkg/apis/apps/validation/validation.go`, and the
//! selector-immutability check in `pkg/registry/apps/deployment/strategy.go` (`ValidateUpdate`).

use super::selector::{
    go_label_selector, selector_does_not_match, validate_label_selector, Selects,
};
use super::{child, names, pod};
use machinery::validation_causes::{self as cause, BadValue};
use machinery::StatusCause;
use serde_json::Value;

/// `must be greater than or equal to 0` on an integer field, if it is negative
/// (upstream `ValidateNonnegativeField`).
pub fn non_negative(obj: &Value, pointer: &str, path: &str) -> Vec<StatusCause> {
    match super::int_at(obj, pointer) {
        Some(n) if n < 0 => vec![cause::invalid(
            path,
            n,
            "must be greater than or equal to 0",
        )],
        _ => Vec::new(),
    }
}

/// `spec` of a Deployment.
pub fn validate_deployment(obj: &Value) -> Vec<StatusCause> {
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let mut causes = non_negative(&spec, "/replicas", "spec.replicas");
    causes.extend(selector_and_template(&spec, "deployment"));
    causes.extend(validate_strategy(&spec));
    causes.extend(non_negative(
        &spec,
        "/minReadySeconds",
        "spec.minReadySeconds",
    ));
    causes.extend(non_negative(
        &spec,
        "/revisionHistoryLimit",
        "spec.revisionHistoryLimit",
    ));
    if let Some(deadline) = super::int_at(&spec, "/progressDeadlineSeconds") {
        causes.extend(non_negative(
            &spec,
            "/progressDeadlineSeconds",
            "spec.progressDeadlineSeconds",
        ));
        if deadline <= super::int_at(&spec, "/minReadySeconds").unwrap_or(0) {
            causes.push(cause::invalid(
                "spec.progressDeadlineSeconds",
                deadline,
                "must be greater than minReadySeconds",
            ));
        }
    }
    causes
}

/// `spec` of a ReplicaSet.
pub fn validate_replica_set(obj: &Value) -> Vec<StatusCause> {
    let spec = obj.get("spec").cloned().unwrap_or(Value::Null);
    let mut causes = non_negative(&spec, "/replicas", "spec.replicas");
    causes.extend(non_negative(
        &spec,
        "/minReadySeconds",
        "spec.minReadySeconds",
    ));
    // Upstream's ReplicaSet check says "for deployment" too: it was copied from there.
    causes.extend(selector_and_template(&spec, "deployment"));
    causes
}

/// The selector exists, is well formed and not empty, picks the template's pods, and the
/// template is a valid pod template that restarts `Always`.
fn selector_and_template(spec: &Value, empty_for: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    match spec.get("selector").filter(|s| !s.is_null()) {
        None => causes.push(cause::required("spec.selector", "")),
        Some(sel) => {
            causes.extend(validate_label_selector(sel, "spec.selector"));
            let count = super::string_map_at(sel, "/matchLabels").map_or(0, |m| m.len())
                + super::list_at(sel, "/matchExpressions").len();
            if count == 0 {
                causes.push(cause::invalid(
                    "spec.selector",
                    BadValue::Go(go_label_selector(sel)),
                    &format!("empty selector is invalid for {empty_for}"),
                ));
            }
        }
    }
    let selects = Selects::at(spec, "/selector");
    if let Selects::Invalid = selects {
        let sel = spec.get("selector").cloned().unwrap_or(Value::Null);
        causes.push(cause::invalid(
            "spec.selector",
            BadValue::Go(go_label_selector(&sel)),
            "invalid label selector",
        ));
        return causes;
    }
    let template = spec.get("template").cloned().unwrap_or(Value::Null);
    let labels = super::string_map_at(&template, "/metadata/labels");
    if selects.mismatches(&labels.clone().unwrap_or_default()) {
        causes.push(selector_does_not_match("spec.template", labels.as_ref()));
    }
    causes.extend(pod::validate_pod_template(&template, "spec.template"));
    let restart = super::str_at(&template, "/spec/restartPolicy");
    if restart != "Always" {
        causes.push(cause::not_supported(
            "spec.template.spec.restartPolicy",
            restart,
            &["Always"],
        ));
    }
    if super::has(&template, "/spec/activeDeadlineSeconds") {
        causes.push(cause::forbidden(
            "spec.template.spec.activeDeadlineSeconds",
            "activeDeadlineSeconds in ReplicaSet is not Supported",
        ));
    }
    causes
}

/// An int-or-percent (`maxSurge: 1` or `maxSurge: 25%`) as upstream prints it: a number
/// plain, a string quoted.
fn int_or_string(v: &Value) -> BadValue {
    match v {
        Value::Number(n) => BadValue::Int(n.as_i64().unwrap_or(0)),
        Value::String(s) => BadValue::Str(s.clone()),
        _ => BadValue::Int(0),
    }
}

/// The value an int-or-percent stands for, percent or not: `25%` is 25, `3` is 3, and a
/// string that is neither is 0 (upstream `getIntOrPercentValue`).
fn int_or_percent_value(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n.as_i64().unwrap_or(0),
        Value::String(s) => s.strip_suffix('%').unwrap_or(s).parse().unwrap_or(0),
        _ => 0,
    }
}

/// `maxSurge` or `maxUnavailable`: a non-negative integer or a percentage.
fn positive_int_or_percent(v: &Value, path: &str) -> Vec<StatusCause> {
    match v {
        Value::String(s) => names::percent_errors(s)
            .iter()
            .map(|msg| cause::invalid(path, s.as_str(), msg))
            .collect(),
        Value::Number(n) if n.as_i64().unwrap_or(0) < 0 => vec![cause::invalid(
            path,
            n.as_i64().unwrap_or(0),
            "must be greater than or equal to 0",
        )],
        _ => Vec::new(),
    }
}

/// `spec.strategy`: `Recreate` (no `rollingUpdate`), or `RollingUpdate` whose surge and
/// unavailability are not both zero (a rollout could then never make progress) and whose
/// unavailability is at most 100%.
fn validate_strategy(spec: &Value) -> Vec<StatusCause> {
    let path = "spec.strategy";
    let strategy = spec.get("strategy").cloned().unwrap_or(Value::Null);
    let rolling = strategy.get("rollingUpdate").filter(|r| !r.is_null());
    match super::str_at(&strategy, "/type") {
        "Recreate" => match rolling {
            Some(_) => vec![cause::forbidden(
                &child(path, "rollingUpdate"),
                "may not be specified when strategy `type` is 'Recreate'",
            )],
            None => Vec::new(),
        },
        "RollingUpdate" => {
            let Some(rolling) = rolling else {
                return vec![cause::required(
                    &child(path, "rollingUpdate"),
                    "this should be defaulted and never be nil",
                )];
            };
            let r_path = child(path, "rollingUpdate");
            let unavailable = rolling.get("maxUnavailable").cloned().unwrap_or(Value::from(0));
            let surge = rolling.get("maxSurge").cloned().unwrap_or(Value::from(0));
            let mut causes = positive_int_or_percent(&unavailable, &child(&r_path, "maxUnavailable"));
            causes.extend(positive_int_or_percent(&surge, &child(&r_path, "maxSurge")));
            if int_or_percent_value(&unavailable) == 0 && int_or_percent_value(&surge) == 0 {
                causes.push(cause::invalid(
                    &child(&r_path, "maxUnavailable"),
                    int_or_string(&unavailable),
                    "may not be 0 when `maxSurge` is 0",
                ));
            }
            if let Value::String(s) = &unavailable {
                if names::percent_errors(s).is_empty() && int_or_percent_value(&unavailable) > 100 {
                    causes.push(cause::invalid(
                        &child(&r_path, "maxUnavailable"),
                        s.as_str(),
                        "must not be greater than 100%",
                    ));
                }
            }
            causes
        }
        other => vec![cause::not_supported(
            path,
            BadValue::Go(format!(
                "apps.DeploymentStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}}",
                machinery::validation_causes::go_quote(other)
            )),
            &["Recreate", "RollingUpdate"],
        )],
    }
}

/// On update through apps/v1, the selector may not change (upstream: the deployment and
/// replica set strategies' `ValidateUpdate`).
pub fn validate_selector_unchanged(new: &Value, old: &Value) -> Vec<StatusCause> {
    let (new_sel, old_sel) = (new.pointer("/spec/selector"), old.pointer("/spec/selector"));
    if new_sel == old_sel {
        return Vec::new();
    }
    let shown = match new_sel {
        Some(sel) if !sel.is_null() => BadValue::Go(go_label_selector(sel)),
        _ => BadValue::Null,
    };
    vec![cause::invalid("spec.selector", shown, "field is immutable")]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::strategy::defaults;
    use serde_json::json;

    fn deployment(selector: Value, labels: Value) -> Value {
        let mut d = json!({"kind": "Deployment", "spec": {"selector": selector,
            "template": {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "busybox"}]}}}});
        defaults::deployment(&mut d);
        d
    }

    #[test]
    fn a_matching_selector_is_valid() {
        let d = deployment(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web"}),
        );
        assert_eq!(validate_deployment(&d), vec![]);
    }

    #[test]
    fn a_selector_that_misses_the_template_is_reported_on_the_template_labels() {
        let d = deployment(json!({"matchLabels": {"app": "web"}}), json!({"app": "x"}));
        let causes = validate_deployment(&d);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.template.metadata.labels");
        assert_eq!(
            causes[0].message,
            "Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`"
        );
    }

    #[test]
    fn a_missing_selector_is_required_and_matches_nothing() {
        let mut d = deployment(json!(null), json!({"app": "x"}));
        d["spec"].as_object_mut().expect("spec").remove("selector");
        let fields: Vec<String> = validate_deployment(&d)
            .into_iter()
            .map(|c| c.field)
            .collect();
        assert_eq!(fields, ["spec.selector", "spec.template.metadata.labels"]);
    }

    #[test]
    fn an_empty_selector_is_invalid() {
        let d = deployment(json!({}), json!({"app": "x"}));
        assert_eq!(
            validate_deployment(&d),
            vec![cause::invalid(
                "spec.selector",
                BadValue::Go("v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}".into()),
                "empty selector is invalid for deployment"
            )]
        );
    }

    #[test]
    fn surge_and_unavailable_may_not_both_be_zero() {
        let mut d = deployment(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web"}),
        );
        d["spec"]["strategy"]["rollingUpdate"] = json!({"maxSurge": 0, "maxUnavailable": 0});
        assert_eq!(
            validate_deployment(&d),
            vec![cause::invalid(
                "spec.strategy.rollingUpdate.maxUnavailable",
                0,
                "may not be 0 when `maxSurge` is 0"
            )]
        );
        d["spec"]["strategy"]["rollingUpdate"] = json!({"maxSurge": "1", "maxUnavailable": "110%"});
        let messages: Vec<String> = validate_deployment(&d)
            .into_iter()
            .map(|c| c.message)
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(messages[0].starts_with("Invalid value: \"1\": a valid percent string"));
        assert_eq!(
            messages[1],
            "Invalid value: \"110%\": must not be greater than 100%"
        );
    }

    #[test]
    fn the_template_must_restart_always_and_progress_must_outlast_min_ready() {
        let mut d = deployment(
            json!({"matchLabels": {"app": "web"}}),
            json!({"app": "web"}),
        );
        d["spec"]["template"]["spec"]["restartPolicy"] = json!("Never");
        d["spec"]["minReadySeconds"] = json!(600);
        assert_eq!(
            validate_deployment(&d),
            vec![
                cause::not_supported("spec.template.spec.restartPolicy", "Never", &["Always"]),
                cause::invalid(
                    "spec.progressDeadlineSeconds",
                    600,
                    "must be greater than minReadySeconds"
                ),
            ]
        );
    }

    #[test]
    fn a_changed_selector_is_immutable() {
        let old = json!({"spec": {"selector": {"matchLabels": {"app": "x"}}}});
        let new = json!({"spec": {"selector": {"matchLabels": {"app": "y"}}}});
        assert_eq!(
            validate_selector_unchanged(&new, &old)[0].message,
            "Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"y\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        );
    }
}
