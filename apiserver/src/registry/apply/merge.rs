//! Merging an applied configuration into the live object, and pruning what an applier
//! stopped applying.
//!
//! **Merge** (upstream `TypedValue.Merge`, `typed/merge.go`): the configuration wins field by
//! field. Maps merge key by key; keyed lists merge item by item (an item the configuration
//! does not mention stays); sets gain the configuration's values; atomic lists and maps, and
//! scalars, are replaced whole. Nothing is ever removed by a merge.
//!
//! **Prune** (upstream `Updater.prune`, `merge/update.go`): removal is what makes apply
//! *declarative*. A field goes away when the applier applied it last time, did not apply it
//! this time, and no manager (the applier's new configuration included) owns it now.

use super::fieldset::{FieldSet, Path, PathElement};
use super::schema::{self, ListType};
use super::walk::{field_set, item_elements};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Merge `config` into `live`. `Err` names a list item of the configuration that cannot be
/// named (the caller has usually checked with `field_set` already).
pub fn merge(live: &Value, config: &Value) -> Result<Value, String> {
    merge_node(Some(live), config, "")
}

fn merge_node(live: Option<&Value>, config: &Value, at: &str) -> Result<Value, String> {
    match (live, config) {
        (Some(Value::Object(l)), Value::Object(c)) if !schema::map_is_atomic(at) => {
            let mut out = l.clone();
            for (key, value) in c {
                let merged = merge_node(l.get(key), value, &schema::child(at, key))?;
                out.insert(key.clone(), merged);
            }
            Ok(Value::Object(out))
        }
        (Some(Value::Array(l)), Value::Array(c)) => match schema::list_type(at) {
            ListType::Atomic => Ok(config.clone()),
            list => merge_lists(l, c, &list, at),
        },
        // Scalars, atomic values, and anything the live object does not have yet.
        _ => Ok(config.clone()),
    }
}

/// Merge two keyed (or set) lists. The order is upstream's: items only the live list has
/// keep their place, and the configuration's items come in the configuration's order.
fn merge_lists(
    live: &[Value],
    config: &[Value],
    list: &ListType,
    at: &str,
) -> Result<Value, String> {
    let c_names = item_elements(list, config)?;
    // Live lists that cannot be keyed (old data) are simply replaced.
    let Ok(l_names) = item_elements(list, live) else {
        return Ok(Value::Array(config.to_vec()));
    };
    let l_items: HashMap<&PathElement, &Value> = l_names.iter().zip(live).collect();
    let c_items: HashMap<&PathElement, &Value> = c_names.iter().zip(config).collect();
    let item_at = schema::item(at);
    let merge_item = |pe: &PathElement| -> Result<Value, String> {
        merge_node(l_items.get(pe).copied(), c_items[pe], &item_at)
    };

    // The shared items, in the configuration's order.
    let mut shared = c_names.iter().filter(|pe| l_items.contains_key(pe));
    let mut next_shared = shared.next();
    let mut done: HashSet<&PathElement> = HashSet::new();
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    let (mut li, mut ci) = (0, 0);
    while li < l_names.len() || ci < c_names.len() {
        if li < l_names.len() && ci < c_names.len() {
            let pe = &l_names[li];
            if *pe == c_names[ci] {
                done.insert(pe);
                out.push(merge_item(pe)?);
                li += 1;
                ci += 1;
                next_shared = shared.next();
                continue;
            }
            // A shared item out of order: skip it here, it comes with the configuration.
            if c_items.contains_key(pe) && next_shared.is_some_and(|n| n != pe) {
                li += 1;
                continue;
            }
        }
        if li < l_names.len() {
            let pe = &l_names[li];
            if !c_items.contains_key(pe) {
                out.push(live[li].clone());
                li += 1;
                continue;
            } else if done.contains(pe) {
                li += 1;
            }
        }
        if ci < c_names.len() {
            let pe = &c_names[ci];
            done.insert(pe);
            out.push(merge_item(pe)?);
            ci += 1;
            if next_shared == Some(pe) {
                next_shared = shared.next();
            }
        }
    }
    Ok(Value::Array(out))
}

/// Remove what an applier stopped applying: `last` is what it owned before, `owned_now` what
/// every manager owns after this apply.
///
/// Only what an applier can own on its own is removed: scalars, list items, atomic and empty
/// values (the merged object's own [`field_set`]). A map that merely *holds* fields, such as
/// `labels`, goes only when its last field goes, even if someone recorded owning the map
/// itself (`".": {}`): upstream's `addBackDanglingItems` does the same.
pub fn prune(merged: &Value, last: &FieldSet, owned_now: &FieldSet) -> Value {
    let mut gone = last.difference(owned_now);
    if let Ok(removable) = field_set(merged) {
        gone = gone.intersection(&removable);
    }
    if gone.is_empty() {
        return merged.clone();
    }
    remove_items(merged, &gone)
}

/// `obj` without every path in `set` (upstream `TypedValue.RemoveItems`). A map or list
/// emptied by the removal goes too, as Go's `omitempty` would drop it when the object is
/// written.
pub fn remove_items(obj: &Value, set: &FieldSet) -> Value {
    remove_below(obj, set, "", &mut Vec::new()).unwrap_or_else(|| Value::Object(Map::new()))
}

/// `None`: remove this value from its parent.
fn remove_below(value: &Value, set: &FieldSet, at: &str, path: &mut Path) -> Option<Value> {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                let pe = PathElement::Field(key.clone());
                match set.child(&pe) {
                    Some(node) if node.is_member() => continue,
                    Some(node) => {
                        path.push(pe);
                        let kept = remove_below(child, node, &schema::child(at, key), path);
                        path.pop();
                        if let Some(kept) = kept {
                            out.insert(key.clone(), kept);
                        }
                    }
                    None => {
                        out.insert(key.clone(), child.clone());
                    }
                }
            }
            (out.len() == map.len() || !out.is_empty() || path.is_empty())
                .then_some(Value::Object(out))
        }
        Value::Array(items) => {
            let list = schema::list_type(at);
            if list == ListType::Atomic {
                return Some(value.clone());
            }
            let Ok(names) = item_elements(&list, items) else {
                return Some(value.clone());
            };
            let mut out = Vec::with_capacity(items.len());
            for (pe, item) in names.into_iter().zip(items) {
                match set.child(&pe) {
                    Some(node) if node.is_member() => continue,
                    Some(node) => {
                        path.push(pe);
                        let kept = remove_below(item, node, &schema::item(at), path);
                        path.pop();
                        out.extend(kept);
                    }
                    None => out.push(item.clone()),
                }
            }
            (out.len() == items.len() || !out.is_empty()).then_some(Value::Array(out))
        }
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_configuration_wins_field_by_field_and_keyed_items_merge() {
        let live = json!({"metadata": {"labels": {"a": "1", "b": "2"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"x": "1", "y": "2"}},
                "containers": [{"name": "a", "image": "a:1", "args": ["x"]}, {"name": "b", "image": "b:1"}]}});
        let config = json!({"metadata": {"labels": {"b": "3"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"x": "1"}},
                "containers": [{"name": "b", "image": "b:2"}, {"name": "c", "image": "c"}]}});
        assert_eq!(
            merge(&live, &config).unwrap(),
            json!({"metadata": {"labels": {"a": "1", "b": "3"}},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"x": "1"}},
                    "containers": [{"name": "a", "image": "a:1", "args": ["x"]},
                        {"name": "b", "image": "b:2"}, {"name": "c", "image": "c"}]}})
        );
    }

    #[test]
    fn shared_items_follow_the_configurations_order() {
        let live = json!({"spec": {"containers": [{"name": "a"}, {"name": "x"}, {"name": "b"}]}});
        let config = json!({"spec": {"containers": [{"name": "b"}, {"name": "a"}]}});
        let merged = merge(&live, &config).unwrap();
        let names: Vec<&Value> = merged["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["name"])
            .collect();
        assert_eq!(names, [&json!("x"), &json!("b"), &json!("a")]);
    }

    #[test]
    fn pruning_removes_only_what_the_applier_dropped_and_nobody_owns() {
        let last = field_set(&json!({"metadata": {"labels": {"a": "1", "b": "1"}},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}))
        .unwrap();
        let now = field_set(&json!({"metadata": {"labels": {"a": "1"}},
            "spec": {"containers": [{"name": "a"}]}}))
        .unwrap();
        let mut someone_else = FieldSet::new();
        someone_else.insert(&[
            PathElement::Field("metadata".into()),
            PathElement::Field("labels".into()),
            PathElement::Field("b".into()),
        ]);
        let merged = json!({"metadata": {"labels": {"a": "1", "b": "1"}},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        // Label b is kept for its other owner; container b goes.
        assert_eq!(
            prune(&merged, &last, &now.union(&someone_else)),
            json!({"metadata": {"labels": {"a": "1", "b": "1"}}, "spec": {"containers": [{"name": "a"}]}})
        );
        // Alone, both go, and the emptied labels map with them.
        let last = field_set(&json!({"metadata": {"labels": {"b": "1"}}})).unwrap();
        assert_eq!(
            prune(
                &json!({"metadata": {"name": "x", "labels": {"b": "1"}}}),
                &last,
                &FieldSet::new()
            ),
            json!({"metadata": {"name": "x"}})
        );
        // Owning the labels map itself (".") does not remove labels someone still sends.
        let mut last = field_set(&json!({"metadata": {"labels": {"app": "web"}}})).unwrap();
        last.insert(&[
            PathElement::Field("metadata".into()),
            PathElement::Field("labels".into()),
        ]);
        let now = field_set(&json!({"metadata": {"labels": {"app": "web"}}})).unwrap();
        let merged = json!({"metadata": {"labels": {"app": "web"}}});
        assert_eq!(prune(&merged, &last, &now), merged);
    }
}
