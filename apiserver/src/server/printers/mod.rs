//! Printers: the columns `kubectl get` shows for each kind, and how each cell is computed.
//!
//! One printer per kind, each a pair: a fixed list of [`Column`]s and a pure function from an
//! object (and "now", for AGE) to that many cells. [`super::table`] turns them into a Table.
//! Columns with `priority: 1` are the extra ones kubectl shows only with `-o wide`; the server
//! always sends every cell and kubectl hides the wide ones (upstream's server also prints
//! "wide", see `pkg/printers/storage/storage.go`).
//!
//! Upstream keeps all of them in one 3,000-line file, `pkg/printers/internalversion/printers.go`;
//! we split it by group of kinds:
//!
//! | file | kinds |
//! |---|---|
//! | `pods.rs` | pods (the subtle one: STATUS and RESTARTS) |
//! | `core.rs` | namespaces, nodes, events, configmaps, secrets, serviceaccounts |
//! | `network.rs` | services, endpoints, endpointslices |
//! | `apps.rs` | deployments, replicasets, jobs |
//! | `control.rs` | leases, priorityclasses |
//! | `duration.rs` | the AGE cell: `5m`, `3m10s`, `2d1h` |
//!
//! Printers read the JSON directly and never fail: a missing field prints as upstream prints
//! a zero value (`0`, `""`, `<none>`), because one odd object must not break `kubectl get`.

mod apps;
mod control;
mod core;
pub mod duration;
mod network;
mod pods;

use crate::resources::Resource;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// One column of a Table (`metav1.TableColumnDefinition`).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// What kubectl prints, upper-cased, as the header: "Restarts" becomes RESTARTS.
    pub name: &'static str,
    /// An OpenAPI type: `string`, `integer`, `number`, `boolean` or `date`.
    pub kind: &'static str,
    /// A hint for the type; `name` marks the column that holds the object's name (kubectl
    /// prefixes it with the kind, `deployment.apps/web`, when it prints several kinds).
    pub format: &'static str,
    pub description: &'static str,
    /// 0: always shown; 1: only with `-o wide`.
    pub priority: u32,
}

impl Column {
    /// A column shown by default.
    pub const fn new(name: &'static str, kind: &'static str, description: &'static str) -> Self {
        Column {
            name,
            kind,
            format: "",
            description,
            priority: 0,
        }
    }

    /// The same column, shown only with `-o wide`.
    pub const fn wide(self) -> Self {
        Column {
            priority: 1,
            ..self
        }
    }

    pub fn to_json(&self) -> Value {
        json!({"name": self.name, "type": self.kind, "format": self.format,
            "description": self.description, "priority": self.priority})
    }
}

/// The NAME column, with upstream's description (the `ObjectMeta.name` field's documentation).
pub const NAME: Column = Column {
    name: "Name",
    kind: "string",
    format: "name",
    description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    priority: 0,
};

/// The AGE column (documented as `ObjectMeta.creationTimestamp`).
pub const AGE: Column = Column::new(
    "Age",
    "string",
    "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
);

/// The three wide columns every workload shares.
pub const CONTAINERS: Column = Column::new(
    "Containers",
    "string",
    "Names of each container in the template.",
)
.wide();
pub const IMAGES: Column = Column::new(
    "Images",
    "string",
    "Images referenced by each container in the template.",
)
.wide();
pub const SELECTOR: Column = Column::new(
    "Selector",
    "string",
    "A label query over the pods this object manages (its `spec.selector`).",
)
.wide();

/// The cells of one object's row.
pub type RowFn = fn(&Value, DateTime<Utc>) -> Vec<Value>;

/// A row's `conditions` (only pods have any: a finished pod's row is marked Completed).
pub type ConditionsFn = fn(&Value) -> Option<Value>;

/// How one kind is printed.
#[derive(Clone, Copy)]
pub struct Printer {
    pub columns: &'static [Column],
    pub row: RowFn,
    pub conditions: ConditionsFn,
}

impl Printer {
    const fn new(columns: &'static [Column], row: RowFn) -> Self {
        Printer {
            columns,
            row,
            conditions: |_| None,
        }
    }
}

/// The printer for a served resource. A resource without one of its own gets upstream's
/// default: NAME and CREATED AT (`rest.NewDefaultTableConvertor`).
pub fn for_resource(res: &Resource) -> Printer {
    match (res.group, res.plural) {
        ("", "pods") => pods::PRINTER,
        ("", "namespaces") => core::NAMESPACES,
        ("", "nodes") => core::NODES,
        ("", "events") => core::EVENTS,
        ("", "configmaps") => core::CONFIGMAPS,
        ("", "secrets") => core::SECRETS,
        ("", "serviceaccounts") => core::SERVICEACCOUNTS,
        ("", "services") => network::SERVICES,
        ("", "endpoints") => network::ENDPOINTS,
        ("discovery.k8s.io", "endpointslices") => network::ENDPOINTSLICES,
        ("apps", "deployments") => apps::DEPLOYMENTS,
        ("apps", "replicasets") => apps::REPLICASETS,
        ("batch", "jobs") => apps::JOBS,
        ("coordination.k8s.io", "leases") => control::LEASES,
        ("scheduling.k8s.io", "priorityclasses") => control::PRIORITYCLASSES,
        _ => DEFAULT,
    }
}

const DEFAULT: Printer = Printer::new(
    &[NAME, Column::new("Created At", "date", AGE.description)],
    |obj, _| {
        vec![
            json!(name(obj)),
            json!(str_at(obj, "/metadata/creationTimestamp")),
        ]
    },
);

// ----- small readers shared by every printer -----

/// The string at a JSON pointer (`/spec/nodeName`), or "".
pub fn str_at<'a>(obj: &'a Value, pointer: &str) -> &'a str {
    obj.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The integer at a JSON pointer, or 0 (Go's zero value for an unset int32).
pub fn int_at(obj: &Value, pointer: &str) -> i64 {
    obj.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

/// The array at a JSON pointer, or an empty slice.
pub fn list_at<'a>(obj: &'a Value, pointer: &str) -> &'a [Value] {
    obj.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The number of keys of the map at a JSON pointer.
pub fn map_len(obj: &Value, pointer: &str) -> usize {
    obj.pointer(pointer)
        .and_then(Value::as_object)
        .map_or(0, |m| m.len())
}

pub fn name(obj: &Value) -> &str {
    str_at(obj, "/metadata/name")
}

/// The AGE cell of an object.
pub fn age(obj: &Value, now: DateTime<Utc>) -> Value {
    let created = obj
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str);
    json!(duration::age(created, now))
}

/// `web,side` and `nginx,busybox` from a pod spec's containers (`layoutContainerCells`).
pub fn containers_and_images(pod_spec: &Value) -> (Value, Value) {
    let containers = list_at(pod_spec, "/containers");
    let join = |field: &str| {
        containers
            .iter()
            .map(|c| str_at(c, field))
            .collect::<Vec<_>>()
            .join(",")
    };
    (json!(join("/name")), json!(join("/image")))
}

/// A label map as `a=1,b=2` (sorted), or `<none>` (`labels.FormatLabels`).
pub fn format_labels(map: Option<&Value>) -> String {
    let pairs: std::collections::BTreeMap<&str, &str> = map
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
        .collect();
    if pairs.is_empty() {
        return "<none>".to_string();
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A `LabelSelector` (`matchLabels` + `matchExpressions`) in selector syntax:
/// `app=web,tier in (a,b),!legacy`, requirements sorted by key, "" when it selects everything.
/// Upstream: `metav1.LabelSelectorAsSelector(...).String()`.
pub fn label_selector(selector: Option<&Value>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut requirements: Vec<(String, String)> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            requirements.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    for expr in list_at(selector, "/matchExpressions") {
        let key = str_at(expr, "/key");
        let mut values: Vec<&str> = list_at(expr, "/values")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        values.sort_unstable();
        let text = match str_at(expr, "/operator") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => return "<error>".to_string(),
        };
        requirements.push((key.to_string(), text));
    }
    requirements.sort_by(|a, b| a.0.cmp(&b.0));
    requirements
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(",")
}

/// A selector for a SELECTOR cell: as [`label_selector`], but `<none>` when empty
/// (`metav1.FormatLabelSelector`).
pub fn format_label_selector(selector: Option<&Value>) -> String {
    match label_selector(selector) {
        s if s.is_empty() => "<none>".to_string(),
        s => s,
    }
}

/// A fixed "now" for the printers' tests: 2025-01-01T01:00:00Z.
#[cfg(test)]
pub fn test_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2025-01-01T01:00:00Z")
        .expect("valid")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_served_resource_has_its_own_printer_with_a_cell_per_column() {
        let minimal =
            json!({"metadata": {"name": "x", "creationTimestamp": "2025-01-01T00:00:00Z"}});
        for res in crate::resources::RESOURCES {
            let printer = for_resource(res);
            assert_ne!(
                printer.columns[1].name, "Created At",
                "{} uses the default printer",
                res.plural
            );
            assert!(
                printer.columns.iter().any(|c| c.format == "name"),
                "{} names a name column",
                res.plural
            );
            let cells = (printer.row)(&minimal, test_now());
            assert_eq!(
                cells.len(),
                printer.columns.len(),
                "{}: one cell per column",
                res.plural
            );
        }
    }

    #[test]
    fn label_selectors_print_sorted_in_selector_syntax() {
        let cases = [
            (json!({"matchLabels": {"app": "web"}}), "app=web"),
            (
                json!({"matchLabels": {"tier": "fe", "app": "web"}}),
                "app=web,tier=fe",
            ),
            (
                json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "dev"]},
                    {"key": "beta", "operator": "DoesNotExist"}, {"key": "gpu", "operator": "Exists"},
                    {"key": "zone", "operator": "NotIn", "values": ["b"]}]}),
                "!beta,env in (dev,prod),gpu,zone notin (b)",
            ),
            (json!({}), ""),
            (
                json!({"matchExpressions": [{"key": "a", "operator": "Near"}]}),
                "<error>",
            ),
        ];
        for (selector, want) in cases {
            assert_eq!(label_selector(Some(&selector)), want, "{selector}");
        }
        assert_eq!(format_label_selector(Some(&json!({}))), "<none>");
        assert_eq!(format_label_selector(None), "<none>");
    }

    #[test]
    fn label_maps_print_sorted_or_as_none() {
        assert_eq!(format_labels(Some(&json!({"b": "2", "a": "1"}))), "a=1,b=2");
        assert_eq!(format_labels(Some(&json!({}))), "<none>");
        assert_eq!(format_labels(None), "<none>");
    }

    #[test]
    fn a_kind_without_a_printer_gets_name_and_created_at() {
        let obj = json!({"metadata": {"name": "x", "creationTimestamp": "2025-01-01T00:00:00Z"}});
        let cells = (DEFAULT.row)(&obj, test_now());
        assert_eq!(cells, vec![json!("x"), json!("2025-01-01T00:00:00Z")]);
    }
}
