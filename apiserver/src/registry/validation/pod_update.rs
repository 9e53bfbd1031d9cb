//! What may change in a pod that already exists: almost nothing.
//!
//! A pod is a running thing on a node; the kubelet started its containers from the spec, and
//! would not know how to apply most changes. So upstream allows a short list (a new image,
//! a shorter deadline, more tolerations, fewer scheduling gates) and refuses everything else
//! with one long message, followed by a diff of what was changed:
//!
//! ```text
//! spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,...
//! ```
//!
//! The method is upstream's: copy the allowed fields from the old spec into the new one
//! ("munging"), and if anything still differs, something forbidden changed.
//! Upstream: `ValidatePodUpdate`, `ValidateContainerUpdates`, `validateOnlyAddedTolerations`
//! and `validateOnlyDeletedSchedulingGates` in `pkg/apis/core/validation/validation.go`.

use super::{child, index, names, pod};
use machinery::validation_causes::{self as cause, BadValue};
use machinery::StatusCause;
use serde_json::{Map, Value};

/// Upstream's list of what a pod update may change, joined with commas as upstream joins it.
pub const UPDATABLE_POD_SPEC_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// Check a pod update. `new` has already passed full validation.
pub fn validate_pod_update(new: &Value, old: &Value) -> Vec<StatusCause> {
    let new_spec = new.get("spec").cloned().unwrap_or(Value::Null);
    let old_spec = old.get("spec").cloned().unwrap_or(Value::Null);
    let mut causes = Vec::new();

    for list in ["containers", "initContainers"] {
        let path = child("spec", list);
        let (new_list, old_list) = (
            super::list_at(&new_spec, &format!("/{list}")),
            super::list_at(&old_spec, &format!("/{list}")),
        );
        if new_list.len() != old_list.len() {
            causes.push(cause::forbidden(
                &path,
                "pod updates may not add or remove containers",
            ));
            return causes;
        }
        for (i, c) in new_list.iter().enumerate() {
            let image = super::str_at(c, "/image");
            if image.is_empty() {
                causes.push(cause::required(&child(&index(&path, i), "image"), ""));
            }
            if image.trim() != image {
                causes.push(cause::invalid(
                    &child(&index(&path, i), "image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }

    // activeDeadlineSeconds may be set, or shortened, but not lengthened or removed.
    let (new_deadline, old_deadline) = (
        super::int_at(&new_spec, "/activeDeadlineSeconds"),
        super::int_at(&old_spec, "/activeDeadlineSeconds"),
    );
    match (new_deadline, old_deadline) {
        (Some(n), _) if !(0..=i64::from(i32::MAX)).contains(&n) => {
            causes.push(cause::invalid(
                "spec.activeDeadlineSeconds",
                n,
                &names::inclusive_range_error(0, i64::from(i32::MAX)),
            ));
            return causes;
        }
        (Some(n), Some(o)) if o < n => {
            causes.push(cause::invalid(
                "spec.activeDeadlineSeconds",
                n,
                "must be less than or equal to previous value",
            ));
            return causes;
        }
        (None, Some(_)) => causes.push(cause::invalid(
            "spec.activeDeadlineSeconds",
            BadValue::Null,
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }

    // Tolerations may only be added (an existing one may change only its tolerationSeconds).
    let new_tolerations = super::list_at(&new_spec, "/tolerations");
    let without_seconds = |t: &Value| {
        let mut t = t.clone();
        if let Some(m) = t.as_object_mut() {
            m.remove("tolerationSeconds");
        }
        t
    };
    let kept = super::list_at(&old_spec, "/tolerations")
        .iter()
        .all(|old_t| {
            new_tolerations
                .iter()
                .any(|new_t| without_seconds(new_t) == without_seconds(old_t))
        });
    if !kept {
        causes.push(cause::forbidden(
            "spec.tolerations",
            "existing toleration can not be modified except its tolerationSeconds",
        ));
    } else {
        causes.extend(pod::validate_tolerations(
            new_tolerations,
            "spec.tolerations",
        ));
    }

    // Scheduling gates may only be removed.
    let old_gates: Vec<&str> = super::list_at(&old_spec, "/schedulingGates")
        .iter()
        .map(|g| super::str_at(g, "/name"))
        .collect();
    for (i, gate) in super::list_at(&new_spec, "/schedulingGates")
        .iter()
        .enumerate()
    {
        let name = super::str_at(gate, "/name");
        if !old_gates.contains(&name) {
            causes.push(cause::forbidden(
                &child(&index("spec.schedulingGates", i), "name"),
                &format!("only deletion is allowed, but found new scheduling gate '{name}'"),
            ));
        }
    }

    if new_spec == old_spec {
        return causes;
    }
    let munged = munge(&new_spec, &old_spec);
    if munged != old_spec {
        causes.push(cause::forbidden(
            "spec",
            &format!(
                "pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS}\n{}",
                diff(&old_spec, &munged)
            ),
        ));
    }
    causes
}

/// `new` with every field an update may change copied from `old`.
fn munge(new: &Value, old: &Value) -> Value {
    let mut munged = new.clone();
    let Some(m) = munged.as_object_mut() else {
        return munged;
    };
    for list in ["containers", "initContainers"] {
        let old_list = super::list_at(old, &format!("/{list}"));
        if let Some(items) = m.get_mut(list).and_then(Value::as_array_mut) {
            for (c, o) in items.iter_mut().zip(old_list) {
                c["image"] = o.get("image").cloned().unwrap_or(Value::Null);
            }
        }
    }
    for field in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
        copy_field(m, old, field);
    }
    // A negative grace period (which old clients could store) may be corrected to 1.
    let old_grace = super::int_at(old, "/terminationGracePeriodSeconds");
    if old_grace.is_some_and(|g| g < 0)
        && m.get("terminationGracePeriodSeconds") == Some(&Value::from(1))
    {
        copy_field(m, old, "terminationGracePeriodSeconds");
    }
    // A pod's node is chosen once: from "" to a node is what a binding does (our bindings pass
    // through this check too); from one node to another is forbidden like any other change.
    if super::str_at(old, "/nodeName").is_empty() {
        copy_field(m, old, "nodeName");
    }
    // A pod still waiting on scheduling gates may gain node selector entries (not lose or
    // change any), so that whoever removes the gates can also narrow where it runs.
    if !super::list_at(old, "/schedulingGates").is_empty() {
        let old_sel = super::string_map_at(old, "/nodeSelector").unwrap_or_default();
        let new_sel =
            super::string_map_at(&Value::Object(m.clone()), "/nodeSelector").unwrap_or_default();
        if old_sel.iter().all(|(k, v)| new_sel.get(k) == Some(v)) {
            copy_field(m, old, "nodeSelector");
        }
    }
    munged
}

fn copy_field(m: &mut Map<String, Value>, from: &Value, field: &str) {
    match from.get(field) {
        Some(v) => m.insert(field.to_string(), v.clone()),
        None => m.remove(field),
    };
}

/// A short diff of the top-level spec fields that differ, one `-` and one `+` line each.
/// (Upstream prints `cmp.Diff` of the Go structs; the idea is the same, the layout is ours.)
fn diff(old: &Value, new: &Value) -> String {
    let empty = Map::new();
    let (o, n) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut lines = vec!["  core.PodSpec{".to_string()];
    for k in keys {
        let (a, b) = (o.get(k), n.get(k));
        if a == b {
            continue;
        }
        if let Some(a) = a {
            lines.push(format!("- \t{k}: {a},"));
        }
        if let Some(b) = b {
            lines.push(format!("+ \t{k}: {b},"));
        }
    }
    lines.push("  }".to_string());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(spec: Value) -> Value {
        json!({"spec": spec})
    }

    fn base() -> Value {
        json!({"containers": [{"name": "web", "image": "busybox:1"}], "restartPolicy": "Always"})
    }

    #[test]
    fn a_new_image_is_allowed() {
        let mut new = base();
        new["containers"][0]["image"] = json!("busybox:2");
        assert_eq!(validate_pod_update(&pod(new), &pod(base())), vec![]);
    }

    #[test]
    fn any_other_change_is_forbidden_with_upstreams_list() {
        let mut new = base();
        new["restartPolicy"] = json!("Never");
        let causes = validate_pod_update(&pod(new), &pod(base()));
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec");
        assert!(causes[0].message.starts_with(
            "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
        ), "{}", causes[0].message);
        assert!(causes[0].message.contains("- \trestartPolicy: \"Always\","));
    }

    #[test]
    fn a_node_is_set_once() {
        let mut bound = base();
        bound["nodeName"] = json!("n1");
        assert_eq!(
            validate_pod_update(&pod(bound.clone()), &pod(base())),
            vec![]
        );
        let mut moved = bound.clone();
        moved["nodeName"] = json!("n2");
        assert_eq!(
            validate_pod_update(&pod(moved), &pod(bound))[0].field,
            "spec"
        );
    }

    #[test]
    fn containers_cannot_be_added() {
        let mut new = base();
        new["containers"] = json!([{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]);
        assert_eq!(
            validate_pod_update(&pod(new), &pod(base())),
            vec![cause::forbidden(
                "spec.containers",
                "pod updates may not add or remove containers"
            )]
        );
    }

    #[test]
    fn tolerations_may_be_added_and_gates_only_removed() {
        let mut old = base();
        old["schedulingGates"] = json!([{"name": "example.com/wait"}]);
        let mut new = old.clone();
        new["schedulingGates"] = json!([]);
        new["tolerations"] = json!([{"key": "k", "operator": "Exists"}]);
        assert_eq!(
            validate_pod_update(&pod(new.clone()), &pod(old.clone())),
            vec![]
        );
        let causes = validate_pod_update(&pod(old), &pod(new));
        assert_eq!(causes[0].field, "spec.tolerations");
        assert_eq!(causes[1].field, "spec.schedulingGates[0].name");
    }

    #[test]
    fn a_deadline_may_shrink_but_not_grow() {
        let mut old = base();
        old["activeDeadlineSeconds"] = json!(60);
        let mut new = old.clone();
        new["activeDeadlineSeconds"] = json!(30);
        assert_eq!(
            validate_pod_update(&pod(new.clone()), &pod(old.clone())),
            vec![]
        );
        let causes = validate_pod_update(&pod(old), &pod(new));
        assert_eq!(
            causes[0].message,
            "Invalid value: 60: must be less than or equal to previous value"
        );
    }
}
