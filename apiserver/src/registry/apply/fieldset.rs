//! Field sets: "which fields of an object does this manager own?"
//!
//! The answer is a set of paths (see [`super::path`]), stored as a tree and written the same
//! way (`fieldsV1`): every step is an object key, and `".": {}` inside a node says "the path to
//! *this* node is in the set too", which matters for a map or list item that someone owns as a
//! whole as well as field by field:
//!
//! ```text
//! {"f:spec": {"f:replicas": {},
//!             "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}}}}
//! ```
//!
//! Upstream: `sigs.k8s.io/structured-merge-diff/v4/fieldpath/` (`set.go`, `serialize.go`).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub use super::path::{field_path, path_string, Path, PathElement};

/// A set of paths, stored as a tree of steps.
///
/// Invariant: every node either is a member or has a member below it (empty branches are
/// pruned), so "no children at the root" means "empty set".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSet {
    /// Whether the path leading to this node is itself in the set (the `"."` entry).
    member: bool,
    children: BTreeMap<PathElement, FieldSet>,
}

impl FieldSet {
    /// The empty set.
    pub fn new() -> FieldSet {
        FieldSet::default()
    }

    /// Whether the set holds no path at all.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    /// Whether the path leading to this node is itself in the set.
    pub fn is_member(&self) -> bool {
        self.member
    }

    /// The node one step below this one, if any path goes through it.
    pub fn child(&self, pe: &PathElement) -> Option<&FieldSet> {
        self.children.get(pe)
    }

    /// Add one path.
    pub fn insert(&mut self, path: &[PathElement]) {
        match path.split_first() {
            None => self.member = true,
            Some((first, rest)) => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    /// Whether `path` is in the set.
    pub fn contains(&self, path: &[PathElement]) -> bool {
        match path.split_first() {
            None => self.member,
            Some((first, rest)) => self.children.get(first).is_some_and(|c| c.contains(rest)),
        }
    }

    /// Every path in `self` or `other`.
    pub fn union(&self, other: &FieldSet) -> FieldSet {
        let mut out = self.clone();
        out.member |= other.member;
        for (pe, child) in &other.children {
            let merged = match out.children.get(pe) {
                Some(mine) => mine.union(child),
                None => child.clone(),
            };
            out.children.insert(pe.clone(), merged);
        }
        out
    }

    /// Every path in `self` that is not in `other`.
    pub fn difference(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && !other.member,
            children: BTreeMap::new(),
        };
        for (pe, child) in &self.children {
            let kept = match other.children.get(pe) {
                Some(theirs) => child.difference(theirs),
                None => child.clone(),
            };
            if !kept.is_empty() {
                out.children.insert(pe.clone(), kept);
            }
        }
        out
    }

    /// Every path in both `self` and `other`.
    pub fn intersection(&self, other: &FieldSet) -> FieldSet {
        let mut out = FieldSet {
            member: self.member && other.member,
            children: BTreeMap::new(),
        };
        for (pe, child) in &self.children {
            if let Some(theirs) = other.children.get(pe) {
                let both = child.intersection(theirs);
                if !both.is_empty() {
                    out.children.insert(pe.clone(), both);
                }
            }
        }
        out
    }

    /// The set without `prefix` and everything below it (upstream `RecursiveDifference` with
    /// a one-path set): how `status` is left out of what a write to the main endpoint owns.
    pub fn without_subtree(&self, prefix: &[PathElement]) -> FieldSet {
        let mut out = self.clone();
        out.remove_subtree(prefix);
        out
    }

    fn remove_subtree(&mut self, prefix: &[PathElement]) {
        match prefix.split_first() {
            None => *self = FieldSet::default(),
            Some((first, rest)) => {
                if let Some(child) = self.children.get_mut(first) {
                    child.remove_subtree(rest);
                    if child.is_empty() {
                        self.children.remove(first);
                    }
                }
            }
        }
    }

    /// Only `prefix` and what is below it: what a write to `/status` can own.
    pub fn only_subtree(&self, prefix: &[PathElement]) -> FieldSet {
        let Some((first, rest)) = prefix.split_first() else {
            return self.clone();
        };
        let mut out = FieldSet::new();
        if let Some(child) = self.children.get(first) {
            let kept = child.only_subtree(rest);
            if !kept.is_empty() {
                out.children.insert(first.clone(), kept);
            }
        }
        out
    }

    /// Every path in the set, in upstream's iteration order (a node's own members before
    /// the members further down).
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        for (pe, child) in &self.children {
            if child.member {
                prefix.push(pe.clone());
                out.push(prefix.clone());
                prefix.pop();
            }
        }
        for (pe, child) in &self.children {
            prefix.push(pe.clone());
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    /// The `fieldsV1` JSON of this set.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (pe, child) in &self.children {
            let mut inner = child.to_json();
            if child.member && !child.children.is_empty() {
                if let Value::Object(m) = &mut inner {
                    m.insert(".".into(), Value::Object(Map::new()));
                }
            }
            map.insert(pe.encode(), inner);
        }
        Value::Object(map)
    }

    /// Read a `fieldsV1` JSON object.
    pub fn from_json(json: &Value) -> Result<FieldSet, String> {
        let Value::Object(map) = json else {
            return Err("fieldsV1 must be a JSON object".into());
        };
        let mut set = FieldSet::new();
        for (key, value) in map {
            if key == "." {
                set.member = true;
                continue;
            }
            let pe = PathElement::decode(key)?;
            let mut child = FieldSet::from_json(value)?;
            // `{}` is a leaf: the path to it is in the set.
            if value.as_object().is_some_and(Map::is_empty) {
                child.member = true;
            }
            if !child.is_empty() {
                set.children.insert(pe, child);
            }
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::registry::apply::path::web_key as web;

    #[test]
    fn a_set_is_written_as_upstream_writes_fields_v1() {
        let mut set = FieldSet::new();
        set.insert(&field_path(&["spec", "replicas"]));
        let containers = field_path(&["spec", "template", "spec", "containers"]);
        let mut item = containers.clone();
        item.push(web());
        set.insert(&item);
        let mut image = item.clone();
        image.push(PathElement::Field("image".into()));
        set.insert(&image);
        assert_eq!(
            set.to_json(),
            json!({"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}}}})
        );
        assert_eq!(FieldSet::from_json(&set.to_json()), Ok(set));
    }

    #[test]
    fn set_algebra_keeps_only_branches_with_members() {
        let mut a = FieldSet::new();
        a.insert(&field_path(&["spec", "replicas"]));
        a.insert(&field_path(&["spec", "paused"]));
        let mut b = FieldSet::new();
        b.insert(&field_path(&["spec", "replicas"]));
        b.insert(&field_path(&["metadata", "labels", "app"]));

        let only_a = a.difference(&b);
        assert_eq!(only_a.paths(), vec![field_path(&["spec", "paused"])]);
        assert_eq!(
            a.intersection(&b).paths(),
            vec![field_path(&["spec", "replicas"])]
        );
        assert_eq!(a.union(&b).paths().len(), 3);
        assert!(a.difference(&a).is_empty());
        assert!(a.difference(&a).to_json() == json!({}));
        assert!(b.contains(&field_path(&["metadata", "labels", "app"])));
        assert!(!b.contains(&field_path(&["metadata", "labels"])));
    }

    #[test]
    fn subtrees_can_be_left_out_or_kept_alone() {
        let mut set = FieldSet::new();
        set.insert(&field_path(&["spec", "replicas"]));
        set.insert(&field_path(&["status", "replicas"]));
        let status = field_path(&["status"]);
        assert_eq!(
            set.without_subtree(&status).paths(),
            vec![field_path(&["spec", "replicas"])]
        );
        assert_eq!(
            set.only_subtree(&status).paths(),
            vec![field_path(&["status", "replicas"])]
        );
    }

    #[test]
    fn malformed_fields_v1_is_an_error_not_a_panic() {
        assert!(FieldSet::from_json(&json!([])).is_err());
        assert!(FieldSet::from_json(&json!({"f:a": 1})).is_err());
        assert!(FieldSet::from_json(&json!({"nope": {}})).is_err());
    }
}
