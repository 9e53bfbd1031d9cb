//! How each list and map of an object merges, for server-side apply.
//!
//! Upstream, structured-merge-diff reads this from the OpenAPI schema of every kind: the
//! extensions `x-kubernetes-list-type` (`map` = merge items by key, `set` = a set of scalars,
//! `atomic` = replace the whole list), `x-kubernetes-list-map-keys` and
//! `x-kubernetes-map-type: atomic`, which come from `+listType`, `+listMapKey`, `+mapType` and
//! `+structType` markers on the Go types in `k8s.io/api`.
//!
//! We have no such schema, so we reuse the strategic-merge table (`registry/strategic.rs`),
//! which names the same lists: a list merged by key there is a keyed list here, a merged list
//! of scalars is a set, and every other list is atomic. Two lists have a second key in
//! server-side apply that strategic merge does not know: container ports and Service ports are
//! keyed by port *and* protocol, and the protocol defaults to `TCP` when an item leaves it out
//! (`k:{"containerPort":80,"protocol":"TCP"}`). A few structs and maps are atomic too: label
//! selectors, `nodeSelector`, and the `...KeyRef`/`fieldRef` references of env values.
//!
//! Paths are written as in `strategic::rule_for`: dotted, `[]` for "any item of a list".

use crate::registry::strategic::{self, ListRule};
use serde_json::Value;

/// How the items of a list merge.
#[derive(Debug, Clone, PartialEq)]
pub enum ListType {
    /// Items are merged by these key fields; a missing key field takes its default, if any.
    Map(Vec<(&'static str, Option<Value>)>),
    /// A list of scalars treated as a set: each value is owned on its own.
    Set,
    /// The list is one value: owned, compared and replaced as a whole.
    Atomic,
}

/// The list type of the list at `path`.
pub fn list_type(path: &str) -> ListType {
    match strategic::rule_for(path) {
        Some(ListRule::MergeByKey("containerPort")) => ListType::Map(vec![
            ("containerPort", None),
            ("protocol", Some(Value::String("TCP".into()))),
        ]),
        // Only a Service's `spec.ports` is keyed by `port`.
        Some(ListRule::MergeByKey("port")) => ListType::Map(vec![
            ("port", None),
            ("protocol", Some(Value::String("TCP".into()))),
        ]),
        Some(ListRule::MergeByKey(key)) => ListType::Map(vec![(key, None)]),
        Some(ListRule::MergeScalars) => ListType::Set,
        None => ListType::Atomic,
    }
}

/// Last path segments of structs and maps that are atomic: a label selector (`spec.selector`
/// of a Deployment, and the `map[string]string` selector of a Service), `nodeSelector`, and the
/// references an env value is read from.
const ATOMIC_MAPS: &[&str] = &[
    "selector",
    "labelSelector",
    "namespaceSelector",
    "nodeSelector",
    "configMapKeyRef",
    "secretKeyRef",
    "fieldRef",
    "resourceFieldRef",
];

/// Whether the map (or struct) at `path` is atomic.
pub fn map_is_atomic(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    ATOMIC_MAPS.contains(&last)
}

/// `path` + `.key`.
pub fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The path of any item of the list at `path`.
pub fn item(path: &str) -> String {
    format!("{path}[]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_take_their_type_from_the_strategic_merge_table() {
        assert_eq!(
            list_type("spec.template.spec.containers"),
            ListType::Map(vec![("name", None)])
        );
        assert_eq!(
            list_type("spec.containers[].ports"),
            ListType::Map(vec![
                ("containerPort", None),
                ("protocol", Some(Value::String("TCP".into())))
            ])
        );
        assert_eq!(list_type("metadata.finalizers"), ListType::Set);
        assert_eq!(list_type("spec.containers[].args"), ListType::Atomic);
    }

    #[test]
    fn selectors_are_atomic_and_labels_are_not() {
        assert!(map_is_atomic("spec.selector"));
        assert!(map_is_atomic("spec.template.spec.nodeSelector"));
        assert!(!map_is_atomic("metadata.labels"));
        assert!(!map_is_atomic("spec.template.metadata.labels"));
    }
}
