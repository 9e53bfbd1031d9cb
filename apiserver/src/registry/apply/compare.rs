//! What changed between two versions of an object (upstream `TypedValue.Compare`,
//! `typed/compare.go`): the paths *added*, *modified* and *removed*. It is how a plain update
//! learns which fields its writer now owns, and how an apply learns whom it takes fields from.
//!
//! Maps are compared key by key and keyed lists item by item, so moving a container in its
//! list changes nothing, while changing one container's image modifies exactly one path.

use super::fieldset::{FieldSet, Path, PathElement};
use super::schema::{self, ListType};
use super::walk::item_elements;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

/// What changed between two versions of an object.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Comparison {
    /// In the new version only.
    pub added: FieldSet,
    /// In both, with a different value.
    pub modified: FieldSet,
    /// In the old version only.
    pub removed: FieldSet,
}

impl Comparison {
    /// Added or modified: what a writer sets, and what it takes from others.
    pub fn changed(&self) -> FieldSet {
        self.added.union(&self.modified)
    }

    /// Keep only what `keep` says (the part of the object an endpoint may own).
    pub fn filter(self, keep: impl Fn(&FieldSet) -> FieldSet) -> Comparison {
        Comparison {
            added: keep(&self.added),
            modified: keep(&self.modified),
            removed: keep(&self.removed),
        }
    }
}

/// Compare two versions of an object. Never fails: a list whose items cannot be named is
/// compared as one value.
pub fn compare(old: &Value, new: &Value) -> Comparison {
    let mut out = Comparison::default();
    compare_node(Some(old), Some(new), "", &mut Vec::new(), &mut out);
    out
}

/// What kind of node two versions hold; `null` goes with either container kind.
#[derive(PartialEq)]
enum Shape {
    Map,
    List,
    Leaf,
}

fn shape(old: Option<&Value>, new: Option<&Value>) -> Shape {
    let all = |test: fn(&Value) -> bool| {
        [old, new].iter().any(|v| v.is_some_and(test))
            && [old, new]
                .iter()
                .all(|v| v.is_none_or(|v| v.is_null() || test(v)))
    };
    if all(Value::is_object) {
        Shape::Map
    } else if all(Value::is_array) {
        Shape::List
    } else {
        Shape::Leaf
    }
}

fn compare_node(
    old: Option<&Value>,
    new: Option<&Value>,
    at: &str,
    path: &mut Path,
    out: &mut Comparison,
) {
    let descended = match shape(old, new) {
        Shape::Map => compare_maps(old, new, at, path, out),
        Shape::List => compare_lists(old, new, at, path, out),
        Shape::Leaf => false,
    };
    if descended {
        // A map or list that appears or disappears is itself added or removed.
        if !path.is_empty() {
            match (old, new) {
                (None, Some(_)) => out.added.insert(path),
                (Some(_), None) => out.removed.insert(path),
                _ => {}
            }
        }
        return;
    }
    match (old, new) {
        (None, Some(_)) => out.added.insert(path),
        (Some(_), None) => out.removed.insert(path),
        (Some(a), Some(b)) if a != b => out.modified.insert(path),
        _ => {}
    }
}

/// Compare two maps key by key. `false` means "compare them as one value instead".
fn compare_maps(
    old: Option<&Value>,
    new: Option<&Value>,
    at: &str,
    path: &mut Path,
    out: &mut Comparison,
) -> bool {
    let (a, b) = (
        old.and_then(Value::as_object),
        new.and_then(Value::as_object),
    );
    let empty = |m: Option<&Map<String, Value>>| m.is_none_or(Map::is_empty);
    if schema::map_is_atomic(at) || (empty(a) && empty(b)) {
        return false;
    }
    let keys: BTreeSet<&String> = a.into_iter().chain(b).flat_map(Map::keys).collect();
    for key in keys {
        path.push(PathElement::Field(key.clone()));
        let (x, y) = (a.and_then(|m| m.get(key)), b.and_then(|m| m.get(key)));
        compare_node(x, y, &schema::child(at, key), path, out);
        path.pop();
    }
    true
}

/// Compare two lists item by item (keyed and set lists). `false` means "as one value".
fn compare_lists(
    old: Option<&Value>,
    new: Option<&Value>,
    at: &str,
    path: &mut Path,
    out: &mut Comparison,
) -> bool {
    let no_items: &[Value] = &[];
    let a = old
        .and_then(Value::as_array)
        .map_or(no_items, Vec::as_slice);
    let b = new
        .and_then(Value::as_array)
        .map_or(no_items, Vec::as_slice);
    let list = schema::list_type(at);
    if list == ListType::Atomic || (a.is_empty() && b.is_empty()) {
        return false;
    }
    // Items that cannot be named (or duplicates, which a client may have stored) make the
    // list one value: a simplification of upstream, which tolerates duplicates in live data.
    let (Ok(a_names), Ok(b_names)) = (item_elements(&list, a), item_elements(&list, b)) else {
        return false;
    };
    let a_items: HashMap<&PathElement, &Value> = a_names.iter().zip(a).collect();
    let b_items: HashMap<&PathElement, &Value> = b_names.iter().zip(b).collect();
    let mut order: Vec<&PathElement> = a_names.iter().collect();
    order.extend(b_names.iter().filter(|pe| !a_items.contains_key(pe)));
    let item_at = schema::item(at);
    for pe in order {
        path.push(pe.clone());
        compare_node(
            a_items.get(pe).copied(),
            b_items.get(pe).copied(),
            &item_at,
            path,
            out,
        );
        path.pop();
    }
    true
}

/// Containers that every object of a kind has even when "empty": what upstream's zero value
/// of the Go type holds (`spec`, a Deployment's `spec.template`, ...), and lists Go always
/// writes (`containers`). An update from nothing compares against these, so that
/// `managedFields` marks only truly new maps and lists as owned themselves (`".": {}`), as
/// upstream does for pointer and `omitempty` fields.
const ALWAYS_THERE: &[(&str, bool)] = &[
    ("metadata", true),
    ("spec", true),
    ("status", true),
    ("spec.template", true),
    ("spec.template.metadata", true),
    ("spec.template.spec", true),
    ("spec.template.spec.containers", false),
    ("spec.containers", false),
    ("spec.strategy", true),
    ("involvedObject", true),
    ("source", true),
    ("endpoints", false),
];

/// The "empty" object of `obj`'s kind: `obj`'s always-there containers, empty (maps `{}`,
/// lists `null`).
pub fn skeleton(obj: &Value) -> Value {
    let mut out = Value::Object(Map::new());
    for (path, is_map) in ALWAYS_THERE {
        let pointer = format!("/{}", path.replace('.', "/"));
        if obj.pointer(&pointer).is_none() {
            continue;
        }
        let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
        let parent_pointer = if parent.is_empty() {
            String::new()
        } else {
            format!("/{}", parent.replace('.', "/"))
        };
        if let Some(Value::Object(map)) = out.pointer_mut(&parent_pointer) {
            let empty = if *is_map {
                Value::Object(Map::new())
            } else {
                Value::Null
            };
            map.insert(last.to_string(), empty);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::apply::fieldset::path_string;
    use serde_json::json;

    fn paths(set: &FieldSet) -> Vec<String> {
        set.paths().iter().map(|p| path_string(p)).collect()
    }

    #[test]
    fn compare_sees_keyed_items_not_positions() {
        let old = json!({"spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]}});
        let new = json!({"spec": {"containers": [{"name": "b", "image": "2"}, {"name": "a", "image": "1"}]}});
        let c = compare(&old, &new);
        assert_eq!(paths(&c.modified), [".spec.containers[name=\"b\"].image"]);
        assert!(c.added.is_empty() && c.removed.is_empty());
    }

    #[test]
    fn new_maps_and_items_are_added_themselves_with_their_fields() {
        let old = json!({"metadata": {"name": "x"}, "data": {"a": "1"}});
        let new = json!({"metadata": {"name": "x", "labels": {"app": "web"}}, "data": {}});
        let c = compare(&old, &new);
        assert_eq!(
            paths(&c.added),
            [".metadata.labels", ".metadata.labels.app"]
        );
        assert_eq!(paths(&c.removed), [".data.a"]);
        // An atomic selector changes as one field.
        let c = compare(
            &json!({"spec": {"selector": {"matchLabels": {"a": "1"}}}}),
            &json!({"spec": {"selector": {"matchLabels": {"a": "2"}}}}),
        );
        assert_eq!(paths(&c.modified), [".spec.selector"]);
    }

    #[test]
    fn an_update_from_nothing_compares_against_the_kinds_skeleton() {
        let deploy =
            json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "c"}]}}}});
        let c = compare(&skeleton(&deploy), &deploy);
        // `containers` is always there in Go, so only its item is new, not the list.
        assert_eq!(
            paths(&c.added),
            [
                ".spec.replicas",
                ".spec.template.spec.containers[name=\"c\"]",
                ".spec.template.spec.containers[name=\"c\"].name"
            ]
        );
    }
}
