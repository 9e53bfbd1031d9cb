//! Walking an object the way structured-merge-diff does, to name its fields.
//!
//! - [`item_element`] names one item of a keyed list or set (`k:{"name":"web"}`, `v:"x"`).
//! - [`field_set`] is what an applier owns: every scalar it sends, every list item (by key),
//!   every empty map, and atomic lists and maps as one field (upstream `TypedValue.ToFieldSet`,
//!   `typed/tofieldset.go`).
//! - [`unknown_fields`] names what the typed decode dropped, as upstream prints paths.
//!
//! What changed between two versions is in [`super::compare`].

use super::fieldset::{path_string, FieldSet, Path, PathElement};
use super::schema::{self, ListType};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// The step that names one item of a list of type `list` (a key or a value), or why the
/// item cannot be named (upstream `listItemToPathElement`).
pub fn item_element(list: &ListType, item: &Value) -> Result<PathElement, String> {
    match list {
        ListType::Map(keys) => {
            let Some(fields) = item.as_object() else {
                return Err("expected a map in a list with keys".into());
            };
            let mut key = Map::new();
            for (name, default) in keys {
                match fields.get(*name).filter(|v| !v.is_null()).or(default.as_ref()) {
                    Some(v) => key.insert(name.to_string(), v.clone()),
                    None => {
                        return Err(format!(
                            "associative list with keys has an element that omits key field {name:?} (and doesn't have default value)"
                        ))
                    }
                };
            }
            Ok(PathElement::key(key))
        }
        ListType::Set => match item {
            Value::Object(_) | Value::Array(_) => {
                Err("a list used as a set may only hold scalars".into())
            }
            scalar => Ok(PathElement::value(scalar)),
        },
        ListType::Atomic => Err("the items of an atomic list have no names".into()),
    }
}

/// Name every item of a keyed or set list. `Err` if an item cannot be named or two items
/// share a name.
pub fn item_elements(list: &ListType, items: &[Value]) -> Result<Vec<PathElement>, String> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let pe = item_element(list, item).map_err(|e| format!("element {i}: {e}"))?;
        if !seen.insert(pe.clone()) {
            return Err(format!("duplicate entries for key {}", pe.display()));
        }
        out.push(pe);
    }
    Ok(out)
}

/// The fields `obj` sets, as its applier comes to own them. `Err` names the first list item
/// that cannot be named (no key, or a duplicate).
pub fn field_set(obj: &Value) -> Result<FieldSet, String> {
    let mut set = FieldSet::new();
    let Value::Object(map) = obj else {
        return Err("an applied configuration must be an object".into());
    };
    for (key, value) in map {
        let mut path = vec![PathElement::Field(key.clone())];
        add_fields(value, key, &mut path, &mut set)?;
    }
    Ok(set)
}

fn add_fields(value: &Value, at: &str, path: &mut Path, set: &mut FieldSet) -> Result<(), String> {
    match value {
        Value::Object(map) if !map.is_empty() && !schema::map_is_atomic(at) => {
            for (key, child) in map {
                path.push(PathElement::Field(key.clone()));
                add_fields(child, &schema::child(at, key), path, set)?;
                path.pop();
            }
        }
        Value::Array(items) => {
            let list = schema::list_type(at);
            if list == ListType::Atomic {
                set.insert(path);
                return Ok(());
            }
            let names =
                item_elements(&list, items).map_err(|e| format!("{}: {e}", path_string(path)))?;
            for (pe, item) in names.into_iter().zip(items) {
                path.push(pe);
                add_fields(item, &schema::item(at), path, set)?;
                set.insert(path);
                path.pop();
            }
        }
        // Scalars, nulls, empty maps and atomic maps are owned as one field.
        _ => set.insert(path),
    }
    Ok(())
}

/// Fields `sent` has and `kept` (the same object after the typed decode) lost: the fields
/// the server does not know, as structured-merge-diff prints paths (`.spec.containers[name="web"].imagee`).
pub fn unknown_fields(sent: &Value, kept: &Value) -> Vec<String> {
    let mut out = Vec::new();
    unknown_below(sent, kept, "", &mut Vec::new(), &mut out);
    out
}

fn unknown_below(sent: &Value, kept: &Value, at: &str, path: &mut Path, out: &mut Vec<String>) {
    match (sent, kept) {
        (Value::Object(s), Value::Object(k)) => {
            for (key, value) in s {
                path.push(PathElement::Field(key.clone()));
                match k.get(key) {
                    Some(kv) => unknown_below(value, kv, &schema::child(at, key), path, out),
                    None if !value.is_null() => out.push(path_string(path)),
                    None => {}
                }
                path.pop();
            }
        }
        (Value::Array(s), Value::Array(k)) => {
            let list = schema::list_type(at);
            for (i, (sv, kv)) in s.iter().zip(k).enumerate() {
                let pe = item_element(&list, sv).unwrap_or(PathElement::Index(i));
                path.push(pe);
                unknown_below(sv, kv, &schema::item(at), path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_applier_owns_scalars_list_items_by_key_and_atomic_values() {
        let config = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [{"name": "web", "image": "nginx", "args": ["a"],
                    "ports": [{"containerPort": 80}]}]}}}});
        let set = field_set(&config).expect("valid");
        assert_eq!(
            set.to_json(),
            json!({"f:apiVersion": {}, "f:kind": {}, "f:metadata": {"f:name": {}},
                "f:spec": {"f:replicas": {}, "f:selector": {},
                    "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {
                        ".": {}, "f:args": {}, "f:image": {}, "f:name": {},
                        "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}}}}}}})
        );
    }

    #[test]
    fn items_without_their_key_or_with_a_twin_cannot_be_applied() {
        let missing = json!({"spec": {"containers": [{"image": "x"}]}});
        assert_eq!(
            field_set(&missing).unwrap_err(),
            ".spec.containers: element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)"
        );
        let twins = json!({"metadata": {"finalizers": ["a", "a"]}});
        assert_eq!(
            field_set(&twins).unwrap_err(),
            ".metadata.finalizers: duplicate entries for key [=\"a\"]"
        );
    }

    #[test]
    fn unknown_fields_are_named_by_key() {
        let sent = json!({"spec": {"containers": [{"name": "web", "imagee": "x"}], "bogus": 1}});
        let kept = json!({"spec": {"containers": [{"name": "web"}]}});
        assert_eq!(
            unknown_fields(&sent, &kept),
            [".spec.bogus", ".spec.containers[name=\"web\"].imagee"]
        );
    }
}
