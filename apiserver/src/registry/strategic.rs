//! Strategic merge patch: a merge patch that knows how Kubernetes lists merge.
//!
//! A JSON merge patch replaces lists whole, so `kubectl apply` changing one container's
//! image would have to resend every container. Strategic merge patch instead merges a list
//! of objects **by key**: `containers` by `name`, `ports` by `containerPort`, `conditions` by
//! `type`, ... Which lists merge, and by what key, comes from the `patchStrategy` and
//! `patchMergeKey` tags on the Go types in `k8s.io/api` (for example
//! `Containers []Container patchStrategy:"merge" patchMergeKey:"name"`); [`rule_for`] holds
//! those tags for the kinds we serve. Lists without a tag are replaced whole, as in a merge
//! patch.
//!
//! The patch can also carry directives, all from upstream:
//!
//! | directive | meaning |
//! |---|---|
//! | `null` value | delete the key |
//! | `{"$patch": "delete", name: x}` in a list | delete that item |
//! | `{"$patch": "replace"}` in a map, or as a list item | replace the map / the list instead of merging |
//! | `"$setElementOrder/containers": [{name: b}, {name: a}]` | the order of the merged list |
//! | `"$deleteFromPrimitiveList/finalizers": [x]` | remove values from a merged list of strings |
//! | `"$retainKeys": [a, b]` | keep only these keys of the merged map |
//!
//! Upstream: `k8s.io/apimachinery/pkg/util/strategicpatch/patch.go` (`StrategicMergePatch`).

use machinery::ApiError;
use serde_json::{Map, Value};

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListRule {
    /// A list of objects merged by this key.
    MergeByKey(&'static str),
    /// A list of scalars merged as a set (e.g. `metadata.finalizers`).
    MergeScalars,
}

/// Fields of a PodSpec (`spec` of a Pod; `spec.template.spec` of a Deployment, ReplicaSet or
/// Job) that merge, relative to the PodSpec.
const POD_SPEC: &[(&str, ListRule)] = &[
    ("containers", ListRule::MergeByKey("name")),
    ("initContainers", ListRule::MergeByKey("name")),
    ("ephemeralContainers", ListRule::MergeByKey("name")),
    ("containers[].env", ListRule::MergeByKey("name")),
    ("initContainers[].env", ListRule::MergeByKey("name")),
    ("containers[].ports", ListRule::MergeByKey("containerPort")),
    (
        "initContainers[].ports",
        ListRule::MergeByKey("containerPort"),
    ),
    (
        "containers[].volumeMounts",
        ListRule::MergeByKey("mountPath"),
    ),
    (
        "initContainers[].volumeMounts",
        ListRule::MergeByKey("mountPath"),
    ),
    (
        "containers[].volumeDevices",
        ListRule::MergeByKey("devicePath"),
    ),
    ("volumes", ListRule::MergeByKey("name")),
    ("imagePullSecrets", ListRule::MergeByKey("name")),
    ("hostAliases", ListRule::MergeByKey("ip")),
    (
        "topologySpreadConstraints",
        ListRule::MergeByKey("topologyKey"),
    ),
    ("resourceClaims", ListRule::MergeByKey("name")),
];

/// Other merging fields, as full paths (`[]` = any item of a list).
const OTHER: &[(&str, ListRule)] = &[
    ("metadata.finalizers", ListRule::MergeScalars),
    ("metadata.ownerReferences", ListRule::MergeByKey("uid")),
    ("status.conditions", ListRule::MergeByKey("type")),
    ("status.podIPs", ListRule::MergeByKey("ip")),
    ("status.addresses", ListRule::MergeByKey("type")),
    ("spec.ports", ListRule::MergeByKey("port")), // Service; a Pod's spec has no `ports`
    ("spec.podCIDRs", ListRule::MergeScalars),
    ("secrets", ListRule::MergeByKey("name")), // ServiceAccount
    ("imagePullSecrets", ListRule::MergeByKey("name")), // ServiceAccount
];

/// Where a PodSpec sits in the kinds we serve.
const POD_SPEC_ROOTS: &[&str] = &["spec", "spec.template.spec"];

/// The merge rule for the list at `path` (dotted, `[]` for list items), if it has one.
pub fn rule_for(path: &str) -> Option<ListRule> {
    if let Some((_, rule)) = OTHER.iter().find(|(p, _)| *p == path) {
        return Some(*rule);
    }
    POD_SPEC_ROOTS.iter().find_map(|root| {
        let rest = path.strip_prefix(root)?.strip_prefix('.')?;
        POD_SPEC.iter().find(|(p, _)| *p == rest).map(|(_, r)| *r)
    })
}

/// Apply a strategic merge patch to `original`.
pub fn apply(original: &Value, patch: &Value) -> Result<Value, ApiError> {
    if !patch.is_object() {
        return Err(ApiError::bad_request(
            "a strategic merge patch must be a JSON object",
        ));
    }
    merge_map(original, patch, "")
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Merge a patch map into an original value (which may be absent or not a map).
fn merge_map(original: &Value, patch: &Value, path: &str) -> Result<Value, ApiError> {
    let Some(patch) = patch.as_object() else {
        return Ok(patch.clone());
    };
    match patch.get("$patch").and_then(Value::as_str) {
        Some("replace") => return Ok(Value::Object(without_directives(patch))),
        Some("delete") => return Ok(Value::Null), // the caller removes the key
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown $patch directive {other:?} at {path}"
            )))
        }
        None => {}
    }
    let mut out: Map<String, Value> = original.as_object().cloned().unwrap_or_default();
    for (key, value) in patch {
        if key.starts_with('$') {
            continue; // directives are handled below
        }
        let field = join(path, key);
        if value.is_null() {
            out.remove(key);
            continue;
        }
        let current = out.get(key).cloned().unwrap_or(Value::Null);
        let merged = match value {
            Value::Object(_) => merge_map(&current, value, &field)?,
            Value::Array(items) => merge_list(
                &current,
                items,
                &field,
                patch.get(&format!("$setElementOrder/{key}")),
            )?,
            scalar => scalar.clone(),
        };
        if merged.is_null() && value.is_object() {
            out.remove(key); // `$patch: delete` on a map
        } else {
            out.insert(key.clone(), merged);
        }
    }
    // `$deleteFromPrimitiveList/<field>`: remove values from a merged scalar list.
    for (key, values) in patch {
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            let remove = values.as_array().cloned().unwrap_or_default();
            if let Some(Value::Array(list)) = out.get_mut(field) {
                list.retain(|v| !remove.contains(v));
            }
        }
    }
    // `$setElementOrder/<field>` for a list the patch did not otherwise touch.
    for (key, order) in patch {
        if let Some(field) = key.strip_prefix("$setElementOrder/") {
            if !patch.contains_key(field) {
                if let Some(Value::Array(list)) = out.get(field).cloned() {
                    let ordered = reorder(list, order, rule_for(&join(path, field)));
                    out.insert(field.to_string(), Value::Array(ordered));
                }
            }
        }
    }
    // `$retainKeys`: only these keys survive (for union types such as a volume's source).
    if let Some(keep) = patch.get("$retainKeys").and_then(Value::as_array) {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        out.retain(|k, _| keep.contains(&k.as_str()));
    }
    Ok(Value::Object(out))
}

/// Merge a patch list into the original list at `path`.
fn merge_list(
    original: &Value,
    patch: &[Value],
    path: &str,
    order: Option<&Value>,
) -> Result<Value, ApiError> {
    // `[{"$patch": "replace"}, ...rest]`: the list becomes `rest`, whatever its rule.
    if patch.iter().any(|i| {
        i.get("$patch").and_then(Value::as_str) == Some("replace")
            && i.as_object().is_some_and(|m| m.len() == 1)
    }) {
        let rest: Vec<Value> = patch
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .cloned()
            .collect();
        return Ok(Value::Array(rest));
    }
    let original: Vec<Value> = original.as_array().cloned().unwrap_or_default();
    let merged = match rule_for(path) {
        None => patch.to_vec(), // no strategy: replace, as a merge patch does
        Some(ListRule::MergeScalars) => {
            let mut out = original;
            for v in patch {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            out
        }
        Some(ListRule::MergeByKey(key)) => {
            let mut out = original;
            let item_path = format!("{path}[]");
            for item in patch {
                let Some(id) = item.get(key) else {
                    return Err(ApiError::bad_request(format!(
                        "an item of {path} in a strategic merge patch has no merge key {key:?}"
                    )));
                };
                let at = out.iter().position(|o| o.get(key) == Some(id));
                let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                match (at, delete) {
                    (Some(i), true) => {
                        out.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => out[i] = merge_map(&out[i], item, &item_path)?,
                    (None, false) => out.push(merge_map(&Value::Null, item, &item_path)?),
                }
            }
            out
        }
    };
    Ok(Value::Array(match order {
        Some(order) => reorder(merged, order, rule_for(path)),
        None => merged,
    }))
}

/// Order `list` as `$setElementOrder` says; items it does not mention keep their place after.
fn reorder(list: Vec<Value>, order: &Value, rule: Option<ListRule>) -> Vec<Value> {
    let Some(order) = order.as_array() else {
        return list;
    };
    let same = |item: &Value, wanted: &Value| match rule {
        Some(ListRule::MergeByKey(key)) => {
            item.get(key).is_some() && item.get(key) == wanted.get(key)
        }
        _ => item == wanted,
    };
    let mut rest = list;
    let mut out = Vec::with_capacity(rest.len());
    for wanted in order {
        if let Some(i) = rest.iter().position(|item| same(item, wanted)) {
            out.push(rest.remove(i));
        }
    }
    out.extend(rest);
    out
}

fn without_directives(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| !k.starts_with('$'))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(containers: Value) -> Value {
        json!({"metadata": {"name": "p"}, "spec": {"containers": containers}})
    }

    #[test]
    fn containers_merge_by_name_so_one_image_changes_and_the_rest_stay() {
        let original = pod(json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]));
        let patch = json!({"spec": {"containers": [{"name": "b", "image": "b:2"}]}});
        let out = apply(&original, &patch).unwrap();
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"}])
        );
    }

    #[test]
    fn a_new_item_is_appended_and_patch_delete_removes_one() {
        let original = pod(json!([{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]));
        let patch = json!({"spec": {"containers": [{"name": "c", "image": "c"}, {"name": "a", "$patch": "delete"}]}});
        let names: Vec<Value> = apply(&original, &patch).unwrap()["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect();
        assert_eq!(names, [json!("b"), json!("c")]);
    }

    #[test]
    fn set_element_order_decides_the_final_order() {
        let original = pod(json!([{"name": "a"}, {"name": "b"}]));
        let patch = json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
            "containers": [{"name": "a", "image": "x"}]}});
        let out = apply(&original, &patch).unwrap();
        assert_eq!(
            out["spec"]["containers"],
            json!([{"name": "b"}, {"name": "a", "image": "x"}])
        );
    }

    #[test]
    fn nested_lists_in_a_deployment_template_merge_by_their_own_keys() {
        let original = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "env": [{"name": "A", "value": "1"}], "ports": [{"containerPort": 80}]}]}}}});
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "env": [{"name": "B", "value": "2"}], "ports": [{"containerPort": 80, "name": "http"}]}]}}}});
        let c = &apply(&original, &patch).unwrap()["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
        );
        assert_eq!(c["ports"], json!([{"containerPort": 80, "name": "http"}]));
    }

    #[test]
    fn lists_without_a_strategy_are_replaced_whole() {
        let original = json!({"spec": {"tolerations": [{"key": "a"}], "containers": []}});
        let out = apply(&original, &json!({"spec": {"tolerations": [{"key": "b"}]}})).unwrap();
        assert_eq!(out["spec"]["tolerations"], json!([{"key": "b"}]));
    }

    #[test]
    fn null_deletes_a_key_and_replace_replaces_a_map() {
        let original =
            json!({"metadata": {"labels": {"a": "1", "b": "2"}, "annotations": {"x": "y"}}});
        let patch = json!({"metadata": {"labels": {"a": null}, "annotations": {"$patch": "replace", "z": "w"}}});
        let out = apply(&original, &patch).unwrap();
        assert_eq!(
            out["metadata"],
            json!({"labels": {"b": "2"}, "annotations": {"z": "w"}})
        );
    }

    #[test]
    fn finalizers_merge_as_a_set_and_delete_from_primitive_list_removes() {
        let original = json!({"metadata": {"finalizers": ["a", "b"]}});
        let patch = json!({"metadata": {"finalizers": ["c", "a"], "$deleteFromPrimitiveList/finalizers": ["b"]}});
        assert_eq!(
            apply(&original, &patch).unwrap()["metadata"]["finalizers"],
            json!(["a", "c"])
        );
    }

    #[test]
    fn retain_keys_drops_the_other_members_of_a_union() {
        let original = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        assert_eq!(
            apply(&original, &patch).unwrap()["spec"]["strategy"],
            json!({"type": "Recreate"})
        );
    }

    #[test]
    fn a_replace_item_replaces_the_whole_list() {
        let original = pod(json!([{"name": "a"}, {"name": "b"}]));
        let patch = json!({"spec": {"containers": [{"$patch": "replace"}, {"name": "z"}]}});
        assert_eq!(
            apply(&original, &patch).unwrap()["spec"]["containers"],
            json!([{"name": "z"}])
        );
    }

    #[test]
    fn service_ports_merge_by_port_and_conditions_by_type() {
        let original = json!({"spec": {"ports": [{"port": 80, "name": "http"}]},
            "status": {"conditions": [{"type": "Ready", "status": "False"}]}});
        let patch = json!({"spec": {"ports": [{"port": 443, "name": "https"}]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        let out = apply(&original, &patch).unwrap();
        assert_eq!(out["spec"]["ports"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            out["status"]["conditions"],
            json!([{"type": "Ready", "status": "True"}])
        );
    }

    #[test]
    fn bad_patches_are_bad_requests() {
        let original = pod(json!([]));
        assert_eq!(apply(&original, &json!([1])).unwrap_err().code, 400);
        assert_eq!(
            apply(
                &original,
                &json!({"spec": {"containers": [{"image": "no-name"}]}})
            )
            .unwrap_err()
            .code,
            400
        );
        assert_eq!(
            apply(&original, &json!({"spec": {"$patch": "sideways"}}))
                .unwrap_err()
                .code,
            400
        );
    }
}
