//! `metadata.managedFields`: who owns which fields, read from and written to the object.
//!
//! Each entry names a manager and what it owns:
//!
//! ```yaml
//! - manager: kubectl            # who: the fieldManager query parameter, or the User-Agent
//!   operation: Apply            # Apply (server-side apply) or Update (create/update/patch)
//!   apiVersion: apps/v1         # the version the field set is written in
//!   time: "2025-01-01T10:00:00Z" # when this manager last changed the object
//!   fieldsType: FieldsV1
//!   fieldsV1: {f:spec: {f:replicas: {}}}
//!   subresource: status         # only for writes through /status or /scale
//! ```
//!
//! A manager's *identity* is (manager, operation, subresource, and for updates the
//! apiVersion): `kubectl` applying and `kubectl` updating are two different owners.
//! Upstream: `k8s.io/apimachinery/pkg/util/managedfields/internal/managedfields.go`
//! (`DecodeManagedFields`, `BuildManagerIdentifier`, `encodeManagedFields`) and
//! `capmanagers.go`.

use super::fieldset::FieldSet;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// How a manager last wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// Server-side apply.
    Apply,
    /// Anything else: create, update, patch.
    Update,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Apply => "Apply",
            Operation::Update => "Update",
        }
    }
}

/// Who owns fields. Ordered as upstream sorts its identifier strings (manager first).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ManagerId {
    pub manager: String,
    pub operation: Operation,
    /// Empty for appliers: an applier stays the same owner whatever version it applies in.
    pub api_version: String,
    /// `status` or `scale` for writes through those subresources, else empty.
    pub subresource: String,
}

impl ManagerId {
    /// The identity of `manager` doing `operation` in `api_version` through `subresource`
    /// (upstream `buildManagerInfo`; a nameless manager is called `unknown`).
    pub fn new(manager: &str, operation: Operation, api_version: &str, subresource: &str) -> Self {
        ManagerId {
            manager: if manager.is_empty() {
                "unknown"
            } else {
                manager
            }
            .to_string(),
            operation,
            api_version: match operation {
                Operation::Apply => String::new(),
                Operation::Update => api_version.to_string(),
            },
            subresource: subresource.to_string(),
        }
    }
}

/// What one manager owns.
#[derive(Clone, Debug, PartialEq)]
pub struct Owned {
    pub fields: FieldSet,
    /// The version the fields are written in.
    pub api_version: String,
    /// RFC 3339, seconds; `None` if the manager never changed the object (an applier that
    /// only agreed with values already there).
    pub time: Option<String>,
}

/// Every owner of an object's fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Managed {
    pub owners: BTreeMap<ManagerId, Owned>,
}

/// Keep at most this many Update owners; older ones are merged into `ancient-changes`
/// (upstream `DefaultMaxUpdateManagers`).
pub const MAX_UPDATE_MANAGERS: usize = 10;

impl Managed {
    /// Whether nobody owns anything.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// Everything anyone owns.
    pub fn all_fields(&self) -> FieldSet {
        self.owners
            .values()
            .fold(FieldSet::new(), |all, o| all.union(&o.fields))
    }

    /// Read `metadata.managedFields` of `obj` (absent or null = nobody).
    pub fn of(obj: &Value) -> Result<Managed, String> {
        match obj.pointer("/metadata/managedFields") {
            None | Some(Value::Null) => Ok(Managed::default()),
            Some(entries) => Managed::decode(entries),
        }
    }

    /// Read a `managedFields` list, checking what upstream checks.
    pub fn decode(entries: &Value) -> Result<Managed, String> {
        let Value::Array(entries) = entries else {
            return Err("managedFields must be a list".into());
        };
        let mut managed = Managed::default();
        for (i, entry) in entries.iter().enumerate() {
            let text = |field: &str| entry.get(field).and_then(Value::as_str).unwrap_or("");
            let operation = match text("operation") {
                "Apply" => Operation::Apply,
                "Update" => Operation::Update,
                _ => return Err("operation must be `Apply` or `Update`".into()),
            };
            if text("apiVersion").is_empty() {
                return Err("apiVersion must not be empty".into());
            }
            match text("fieldsType") {
                "FieldsV1" => {}
                "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
                other => {
                    return Err(format!(
                        "invalid fieldsType {other:?} in managed fields entry {i}"
                    ))
                }
            }
            let fields = match entry.get("fieldsV1") {
                None | Some(Value::Null) => FieldSet::new(),
                Some(f) => FieldSet::from_json(f)
                    .map_err(|e| format!("error decoding managed fields entry {i}: {e}"))?,
            };
            let id = ManagerId {
                manager: text("manager").to_string(),
                operation,
                api_version: match operation {
                    Operation::Apply => String::new(),
                    Operation::Update => text("apiVersion").to_string(),
                },
                subresource: text("subresource").to_string(),
            };
            let time = entry.get("time").and_then(Value::as_str).map(String::from);
            let api_version = text("apiVersion").to_string();
            managed.owners.insert(
                id,
                Owned {
                    fields,
                    api_version,
                    time,
                },
            );
        }
        Ok(managed)
    }

    /// The `managedFields` list, sorted as upstream sorts it (operation, time, manager,
    /// apiVersion, subresource); `None` when nobody owns anything.
    pub fn encode(&self) -> Option<Value> {
        if self.owners.is_empty() {
            return None;
        }
        let mut entries: Vec<(&ManagerId, &Owned)> = self.owners.iter().collect();
        entries.sort_by_key(|(id, owned)| {
            (
                id.operation,
                seconds(owned.time.as_deref()),
                id.manager.clone(),
                owned.api_version.clone(),
                id.subresource.clone(),
            )
        });
        let list = entries
            .into_iter()
            .map(|(id, owned)| {
                let mut entry = Map::new();
                entry.insert("manager".into(), json!(id.manager));
                entry.insert("operation".into(), json!(id.operation.as_str()));
                entry.insert("apiVersion".into(), json!(owned.api_version));
                if let Some(time) = &owned.time {
                    entry.insert("time".into(), json!(time));
                }
                entry.insert("fieldsType".into(), json!("FieldsV1"));
                entry.insert("fieldsV1".into(), owned.fields.to_json());
                if !id.subresource.is_empty() {
                    entry.insert("subresource".into(), json!(id.subresource));
                }
                Value::Object(entry)
            })
            .collect();
        Some(Value::Array(list))
    }

    /// Write these owners into `obj` (removing `managedFields` when there are none).
    pub fn write_to(&self, obj: &mut Value) {
        machinery::meta::set_meta(obj, "managedFields", self.encode());
    }

    /// Merge the oldest Update owners into one `ancient-changes` owner per version until at
    /// most [`MAX_UPDATE_MANAGERS`] are left, so a busy object's managedFields stay bounded.
    pub fn cap_update_managers(&mut self) {
        let mut updaters: Vec<ManagerId> = self
            .owners
            .keys()
            .filter(|id| id.operation == Operation::Update)
            .cloned()
            .collect();
        if updaters.len() <= MAX_UPDATE_MANAGERS {
            return;
        }
        updaters.sort_by_key(|id| (seconds(self.owners[id].time.as_deref()), id.clone()));
        let mut left = updaters.len();
        let mut first_of_version: BTreeMap<String, ManagerId> = BTreeMap::new();
        for id in updaters {
            if left <= MAX_UPDATE_MANAGERS {
                break;
            }
            let version = self.owners[&id].api_version.clone();
            let Some(first) = first_of_version.get(&version).cloned() else {
                first_of_version.insert(version, id);
                continue;
            };
            let bucket = ManagerId::new("ancient-changes", Operation::Update, &version, "");
            if !self.owners.contains_key(&bucket) {
                if let Some(owned) = self.owners.remove(&first) {
                    self.owners.insert(bucket.clone(), owned);
                }
            }
            if let Some(owned) = self.owners.remove(&id) {
                if let Some(b) = self.owners.get_mut(&bucket) {
                    b.fields = b.fields.union(&owned.fields);
                    b.time = owned.time;
                }
            }
            left -= 1;
        }
    }
}

/// Whether a client sent `managedFields` to clear them: an empty list, or a list of one
/// empty entry (upstream `isResetManagedFields`).
pub fn is_reset(obj: &Value) -> bool {
    match obj.pointer("/metadata/managedFields") {
        Some(Value::Array(list)) => match list.as_slice() {
            [] => true,
            [only] => only.as_object().is_some_and(Map::is_empty),
            _ => false,
        },
        _ => false,
    }
}

/// Seconds since the epoch of an RFC 3339 time (0 when absent or unreadable), for sorting.
fn seconds(time: Option<&str>) -> i64 {
    time.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::apply::fieldset::field_path;

    fn owned(path: &[&str], time: &str) -> Owned {
        let mut fields = FieldSet::new();
        fields.insert(&field_path(path));
        Owned {
            fields,
            api_version: "apps/v1".into(),
            time: Some(time.into()),
        }
    }

    #[test]
    fn entries_round_trip_sorted_appliers_first_then_by_time() {
        let mut m = Managed::default();
        m.owners.insert(
            ManagerId::new("kubectl-edit", Operation::Update, "apps/v1", ""),
            owned(&["spec", "paused"], "2025-01-02T00:00:00Z"),
        );
        m.owners.insert(
            ManagerId::new("kubectl-scale", Operation::Update, "apps/v1", "scale"),
            owned(&["spec", "replicas"], "2025-01-01T00:00:00Z"),
        );
        m.owners.insert(
            ManagerId::new("kubectl", Operation::Apply, "apps/v1", ""),
            owned(&["spec", "template"], "2025-01-03T00:00:00Z"),
        );
        let encoded = m.encode().expect("owners");
        let managers: Vec<&str> = encoded
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(managers, ["kubectl", "kubectl-scale", "kubectl-edit"]);
        assert_eq!(encoded[1]["subresource"], "scale");
        assert_eq!(
            encoded[0]["fieldsV1"],
            json!({"f:spec": {"f:template": {}}})
        );
        assert_eq!(Managed::decode(&encoded), Ok(m));
    }

    #[test]
    fn bad_entries_are_refused_with_upstreams_reasons() {
        let bad = |entry: Value| Managed::decode(&json!([entry])).unwrap_err();
        assert_eq!(
            bad(
                json!({"manager": "a", "operation": "Delete", "apiVersion": "v1", "fieldsType": "FieldsV1"})
            ),
            "operation must be `Apply` or `Update`"
        );
        assert_eq!(
            bad(json!({"manager": "a", "operation": "Update", "fieldsType": "FieldsV1"})),
            "apiVersion must not be empty"
        );
        assert_eq!(
            bad(json!({"manager": "a", "operation": "Update", "apiVersion": "v1"})),
            "missing fieldsType in managed fields entry 0"
        );
        assert!(is_reset(&json!({"metadata": {"managedFields": [{}]}})));
        assert!(is_reset(&json!({"metadata": {"managedFields": []}})));
        assert!(!is_reset(&json!({"metadata": {}})));
    }

    #[test]
    fn more_than_ten_updaters_fold_the_oldest_into_ancient_changes() {
        let mut m = Managed::default();
        for i in 0..12 {
            m.owners.insert(
                ManagerId::new(&format!("m{i:02}"), Operation::Update, "apps/v1", ""),
                owned(
                    &["spec", &format!("f{i}")],
                    &format!("2025-01-01T00:00:{i:02}Z"),
                ),
            );
        }
        m.cap_update_managers();
        assert_eq!(m.owners.len(), 10);
        let bucket =
            &m.owners[&ManagerId::new("ancient-changes", Operation::Update, "apps/v1", "")];
        assert_eq!(bucket.fields.paths().len(), 3, "m00, m01 and m02 merged");
    }
}
