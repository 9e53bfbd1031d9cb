//! Helpers for the `metadata` block every Kubernetes object carries.
//!
//! kubeling's API server keeps objects as `serde_json::Value` rather than typed structs: the
//! generic code paths (create, update, watch, selectors) only ever look at `metadata`, just as
//! upstream's generic registry only uses the `metav1.Object` interface
//! (`apimachinery/pkg/apis/meta/v1/meta.go`). These helpers are that interface for JSON.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `obj.metadata`, if present and an object.
pub fn metadata(obj: &Value) -> Option<&Map<String, Value>> {
    obj.get("metadata")?.as_object()
}

/// `obj.metadata`, created as `{}` if missing (or if it was not an object).
pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let map = obj.as_object_mut().expect("made an object above");
    let meta = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut().expect("made an object above")
}

/// A string field of `metadata` ("" when absent), e.g. `meta_str(obj, "name")`.
pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    metadata(obj)
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.name`.
pub fn name(obj: &Value) -> &str {
    meta_str(obj, "name")
}

/// `metadata.namespace`.
pub fn namespace(obj: &Value) -> &str {
    meta_str(obj, "namespace")
}

/// `metadata.resourceVersion`.
pub fn resource_version(obj: &Value) -> &str {
    meta_str(obj, "resourceVersion")
}

/// `metadata.uid`.
pub fn uid(obj: &Value) -> &str {
    meta_str(obj, "uid")
}

/// Set (or with `None`, remove) one field of `metadata`.
pub fn set_meta(obj: &mut Value, field: &str, value: Option<Value>) {
    let meta = metadata_mut(obj);
    match value {
        Some(v) => {
            meta.insert(field.to_string(), v);
        }
        None => {
            meta.remove(field);
        }
    }
}

/// `metadata.labels` as a sorted map; non-string values are skipped.
pub fn labels(obj: &Value) -> BTreeMap<String, String> {
    string_map(obj, "labels")
}

/// `metadata.annotations` as a sorted map.
pub fn annotations(obj: &Value) -> BTreeMap<String, String> {
    string_map(obj, "annotations")
}

fn string_map(obj: &Value, field: &str) -> BTreeMap<String, String> {
    metadata(obj)
        .and_then(|m| m.get(field))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// `metadata.finalizers` as strings.
pub fn finalizers(obj: &Value) -> Vec<String> {
    strings_at(obj, "/metadata/finalizers")
}

/// The list of strings at JSON `pointer` in `obj` (e.g. `/spec/finalizers`); empty when absent,
/// and anything in it that is not a string is skipped.
pub fn strings_at(obj: &Value, pointer: &str) -> Vec<String> {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Walk a dotted path such as `spec.nodeName` or `involvedObject.uid` and return the value
/// there as a string, the way field selectors see it (`true`, `42`, `Running`).
pub fn field_string(obj: &Value, path: &str) -> Option<String> {
    let mut cur = obj;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The current time as Kubernetes writes timestamps: RFC 3339, UTC, whole seconds.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_name_namespace_and_labels_from_json() {
        let obj = json!({"metadata": {"name": "web", "namespace": "default",
            "labels": {"app": "web", "n": 3}}});
        assert_eq!(name(&obj), "web");
        assert_eq!(namespace(&obj), "default");
        assert_eq!(labels(&obj).get("app").map(String::as_str), Some("web"));
        assert!(
            !labels(&obj).contains_key("n"),
            "non-string labels are skipped"
        );
    }

    #[test]
    fn metadata_mut_repairs_a_missing_or_wrong_metadata() {
        let mut obj = json!({"metadata": 7});
        set_meta(&mut obj, "name", Some(json!("x")));
        assert_eq!(name(&obj), "x");
    }

    #[test]
    fn field_string_walks_dotted_paths_and_stringifies_scalars() {
        let obj = json!({"spec": {"nodeName": "n1", "unschedulable": true}});
        assert_eq!(field_string(&obj, "spec.nodeName").as_deref(), Some("n1"));
        assert_eq!(
            field_string(&obj, "spec.unschedulable").as_deref(),
            Some("true")
        );
        assert_eq!(field_string(&obj, "status.phase"), None);
    }
}
