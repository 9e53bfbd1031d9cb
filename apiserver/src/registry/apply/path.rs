//! Paths: how a field of an object is named in `managedFields` and in conflicts.
//!
//! A field is named by a **path**: a list of steps from the root of the object. A step is one
//! of four kinds, each with a one-letter prefix when written down in `managedFields`:
//!
//! | step | written | printed in a conflict | names |
//! |---|---|---|---|
//! | field | `f:replicas` | `.replicas` | a field of an object |
//! | key | `k:{"name":"web"}` | `[name="web"]` | an item of a list merged by key (containers by `name`) |
//! | value | `v:"example.com/x"` | `[="example.com/x"]` | an item of a list used as a set (finalizers) |
//! | index | `i:0` | `[0]` | an item by position (we never make these, but we read them) |
//!
//! Upstream: `sigs.k8s.io/structured-merge-diff/v4/fieldpath/` (`element.go`, `path.go`,
//! `serialize-pe.go`).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One step of a path. The order of the variants is upstream's order when sorting:
/// fields, then keys, then values, then indexes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// A field of an object: `f:replicas`.
    Field(String),
    /// An item of a keyed list, as the compact JSON object of its key fields, sorted by name:
    /// `{"containerPort":80,"protocol":"TCP"}`. Kept as text so that steps can be ordered
    /// and compared cheaply.
    Key(String),
    /// An item of a set-like list, as the compact JSON of its (scalar) value: `"x"`.
    Value(String),
    /// An item by position.
    Index(usize),
}

/// A path: the steps from the root of the object to one field.
pub type Path = Vec<PathElement>;

impl PathElement {
    /// A key step from the key fields of one list item, sorted by name as upstream's
    /// `KeyByFields` sorts them (written out by hand so that no serde_json feature can change
    /// the order).
    pub fn key(fields: Map<String, Value>) -> PathElement {
        let sorted: BTreeMap<String, Value> = fields.into_iter().collect();
        let parts: Vec<String> = sorted
            .iter()
            .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
            .collect();
        PathElement::Key(format!("{{{}}}", parts.join(",")))
    }

    /// A value step for one item of a set-like list.
    pub fn value(v: &Value) -> PathElement {
        PathElement::Value(v.to_string())
    }

    /// As written in `fieldsV1`: `f:name`, `k:{...}`, `v:...`, `i:3`.
    pub fn encode(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(json) => format!("k:{json}"),
            PathElement::Value(json) => format!("v:{json}"),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    /// Read a step as written in `fieldsV1`. JSON is re-encoded so that equal keys written
    /// with different spacing or key order become equal steps.
    pub fn decode(text: &str) -> Result<PathElement, String> {
        let (kind, rest) = text
            .split_once(':')
            .filter(|(kind, _)| kind.len() == 1)
            .ok_or_else(|| format!("{text:?} is not a path element (missing \"x:\" prefix)"))?;
        let json = || {
            serde_json::from_str::<Value>(rest)
                .map_err(|e| format!("{text:?}: the part after {kind}: is not JSON: {e}"))
        };
        match kind {
            "f" => Ok(PathElement::Field(rest.to_string())),
            "k" => match json()? {
                Value::Object(fields) => Ok(PathElement::key(fields)),
                _ => Err(format!("{text:?}: a key must be a JSON object")),
            },
            "v" => Ok(PathElement::value(&json()?)),
            "i" => rest
                .parse()
                .map(PathElement::Index)
                .map_err(|_| format!("{text:?}: an index must be a number")),
            _ => Err(format!("{text:?}: unknown path element type {kind:?}")),
        }
    }

    /// As printed in messages (upstream `PathElement.String`): `.name`, `[name="web"]`,
    /// `[="x"]`, `[0]`.
    pub fn display(&self) -> String {
        match self {
            PathElement::Field(name) => format!(".{name}"),
            PathElement::Key(json) => {
                let fields: Map<String, Value> = serde_json::from_str(json).unwrap_or_default();
                let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("[{}]", parts.join(","))
            }
            PathElement::Value(json) => format!("[={json}]"),
            PathElement::Index(i) => format!("[{i}]"),
        }
    }
}

/// A whole path as printed in messages: `.spec.template.spec.containers[name="web"].image`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(PathElement::display).collect()
}

/// Shorthand for tests and callers: a path of field steps, `field_path(&["spec", "replicas"])`.
pub fn field_path(names: &[&str]) -> Path {
    names
        .iter()
        .map(|n| PathElement::Field(n.to_string()))
        .collect()
}

/// `k:{"name":"web"}`: the list-item key the tests of this module and of `fieldset.rs` use.
#[cfg(test)]
pub(super) fn web_key() -> PathElement {
    let key = serde_json::json!({"name": "web"});
    PathElement::key(key.as_object().cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::web_key as web;

    #[test]
    fn keys_values_and_indexes_round_trip_and_print_as_in_conflicts() {
        for text in [
            "f:replicas",
            "k:{\"containerPort\":80,\"protocol\":\"TCP\"}",
            "v:\"example.com/x\"",
            "i:3",
        ] {
            assert_eq!(
                PathElement::decode(text).map(|p| p.encode()),
                Ok(text.into())
            );
        }
        // Spacing and key order do not make a different step.
        assert_eq!(
            PathElement::decode("k:{ \"protocol\": \"TCP\", \"containerPort\": 80 }"),
            PathElement::decode("k:{\"containerPort\":80,\"protocol\":\"TCP\"}")
        );
        let path = vec![
            PathElement::Field("spec".into()),
            PathElement::Field("containers".into()),
            web(),
            PathElement::Field("ports".into()),
            PathElement::decode("k:{\"containerPort\":80,\"protocol\":\"TCP\"}").unwrap(),
        ];
        assert_eq!(
            path_string(&path),
            ".spec.containers[name=\"web\"].ports[containerPort=80,protocol=\"TCP\"]"
        );
        assert_eq!(PathElement::value(&json!("x")).display(), "[=\"x\"]");
        assert!(PathElement::decode("replicas").is_err());
        assert!(PathElement::decode("k:[1]").is_err());
        assert!(PathElement::decode("q:x").is_err());
    }
}
