//! Label maps and label selectors: the glue between a controller and its pods.
//!
//! A Deployment finds its pods with `spec.selector`, and creates them from
//! `spec.template.metadata.labels`. If the two disagree, the Deployment would create pods it
//! then cannot see, and create more, forever; so the API server refuses such an object:
//! ``spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels` ``.
//!
//! Upstream: `k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go` (`ValidateLabels`,
//! `ValidateLabelSelector`, `ValidateLabelSelectorRequirement`) and `metav1.LabelSelectorAsSelector`.
//! Key and value syntax comes from `machinery::labels::validation`, the same rules the
//! selector parser uses.

use super::{child, index};
use machinery::labels::validation::{is_valid_label_value, qualified_name_errors};
use machinery::labels::Selector;
use machinery::validation_causes::{self as cause, go_quote, go_string_map, BadValue};
use machinery::StatusCause;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why `value` is not a label value, in upstream's words (`IsValidLabelValue`).
///
/// A simplification: a value over 63 characters gets only the length message; upstream also
/// reports the pattern when such a long value has bad characters too.
pub fn label_value_errors(value: &str) -> Vec<String> {
    if value.len() > 63 {
        return vec![super::names::max_len_error(63)];
    }
    if is_valid_label_value(value) {
        return Vec::new();
    }
    vec![super::names::regex_error(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
        &["MyValue", "my_value", "12345"],
    )]
}

/// Keys are qualified names and values label values. As upstream, every cause sits on the
/// map's own path (`metadata.labels`), not on the key.
pub fn validate_labels(labels: &BTreeMap<String, String>, path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    for (k, v) in labels {
        for msg in qualified_name_errors(k) {
            causes.push(cause::invalid(path, k.as_str(), &msg));
        }
        for msg in label_value_errors(v) {
            causes.push(cause::invalid(path, v.as_str(), &msg));
        }
    }
    causes
}

/// The structure of a `LabelSelector`: label-valid `matchLabels`, and `matchExpressions`
/// whose operators and values agree. Upstream `ValidateLabelSelector`.
pub fn validate_label_selector(sel: &Value, path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let match_labels = super::string_map_at(sel, "/matchLabels").unwrap_or_default();
    causes.extend(validate_labels(&match_labels, &child(path, "matchLabels")));
    for (i, expr) in super::list_at(sel, "/matchExpressions").iter().enumerate() {
        let p = index(&child(path, "matchExpressions"), i);
        let operator = super::str_at(expr, "/operator");
        let values: Vec<&str> = super::list_at(expr, "/values")
            .iter()
            .map(|v| v.as_str().unwrap_or(""))
            .collect();
        match operator {
            "In" | "NotIn" if values.is_empty() => causes.push(cause::required(
                &child(&p, "values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if !values.is_empty() => causes.push(cause::forbidden(
                &child(&p, "values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => causes.push(cause::invalid(
                &child(&p, "operator"),
                other,
                "not a valid selector operator",
            )),
        }
        let key = super::str_at(expr, "/key");
        for msg in qualified_name_errors(key) {
            causes.push(cause::invalid(&child(&p, "key"), key, &msg));
        }
        for (j, value) in values.iter().enumerate() {
            for msg in label_value_errors(value) {
                causes.push(cause::invalid(
                    &index(&child(&p, "values"), j),
                    *value,
                    &msg,
                ));
            }
        }
    }
    causes
}

/// What a selector field means, as `metav1.LabelSelectorAsSelector` reads it.
pub enum Selects {
    /// The field is absent: upstream's `labels.Nothing()`, which matches no labels at all.
    Nothing,
    /// The selector is present and well formed (it may be empty: then it matches everything).
    Selector(Selector),
    /// The selector cannot be turned into one (an unknown operator, `In` without values).
    Invalid,
}

impl Selects {
    /// Read the selector at `pointer` in `obj`.
    pub fn at(obj: &Value, pointer: &str) -> Selects {
        match obj.pointer(pointer) {
            None | Some(Value::Null) => Selects::Nothing,
            Some(sel) => {
                let typed: Result<
                    k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
                    _,
                > = serde_json::from_value(sel.clone());
                match typed
                    .ok()
                    .and_then(|t| Selector::from_label_selector(&t).ok())
                {
                    Some(s) => Selects::Selector(s),
                    None => Selects::Invalid,
                }
            }
        }
    }

    /// Would this selector pick a pod with these labels? An empty selector would pick every
    /// pod, and upstream then skips the check (`if !selector.Empty()`); so only a non-empty
    /// selector, or a missing one, can "not match".
    pub fn mismatches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Selects::Nothing => true,
            Selects::Selector(s) => !s.is_empty() && !s.matches_map(labels),
            Selects::Invalid => false,
        }
    }
}

/// The cause every controller kind reports when its selector does not pick its own template's
/// pods: on `<template>.metadata.labels`, showing the template's labels.
pub fn selector_does_not_match(
    template_path: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> StatusCause {
    cause::invalid(
        &child(template_path, "metadata.labels"),
        BadValue::Go(go_string_map(labels)),
        "`selector` does not match template `labels`",
    )
}

/// A `LabelSelector` the way Go's `%#v` prints `metav1.LabelSelector`, which is how upstream
/// shows a selector inside a message (`field is immutable`, `empty selector is invalid`).
pub fn go_label_selector(sel: &Value) -> String {
    let match_labels = super::string_map_at(sel, "/matchLabels");
    let exprs = match sel.get("matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_string(),
        Some(list) => {
            let items: Vec<String> = list
                .iter()
                .map(|e| {
                    let values = match e.get("values").and_then(Value::as_array) {
                        None => "[]string(nil)".to_string(),
                        Some(v) => {
                            let q: Vec<String> = v
                                .iter()
                                .map(|s| go_quote(s.as_str().unwrap_or("")))
                                .collect();
                            format!("[]string{{{}}}", q.join(", "))
                        }
                    };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{values}}}",
                        go_quote(super::str_at(e, "/key")),
                        go_quote(super::str_at(e, "/operator"))
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        go_string_map(match_labels.as_ref())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_missing_selector_matches_nothing_and_an_empty_one_is_not_checked() {
        let labels: BTreeMap<String, String> = [("app".into(), "web".into())].into();
        let obj = json!({"spec": {}});
        assert!(Selects::at(&obj, "/spec/selector").mismatches(&labels));
        let empty = json!({"spec": {"selector": {}}});
        assert!(!Selects::at(&empty, "/spec/selector").mismatches(&labels));
        let other = json!({"spec": {"selector": {"matchLabels": {"app": "db"}}}});
        assert!(Selects::at(&other, "/spec/selector").mismatches(&labels));
    }

    #[test]
    fn selectors_print_as_go_prints_them() {
        let sel = json!({"matchLabels": {"app": "y"}});
        assert_eq!(
            go_label_selector(&sel),
            r#"v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"#
        );
    }

    #[test]
    fn expressions_need_values_only_for_in_and_not_in() {
        let sel = json!({"matchExpressions": [
            {"key": "a", "operator": "In"},
            {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "c", "operator": "Near"}]});
        let causes = validate_label_selector(&sel, "spec.selector");
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.selector.matchExpressions[0].values",
                "spec.selector.matchExpressions[1].values",
                "spec.selector.matchExpressions[2].operator"
            ]
        );
    }

    #[test]
    fn label_values_longer_than_63_say_so() {
        assert_eq!(
            label_value_errors(&"a".repeat(64)),
            ["must be no more than 63 characters"]
        );
        assert!(label_value_errors("").is_empty());
    }
}
