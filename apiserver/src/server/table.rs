//! Server-side printing: answering `kubectl get` with a `meta.k8s.io/v1` **Table**.
//!
//! kubectl does not know how to print a Deployment. It asks the server to do it:
//!
//! ```text
//! GET /apis/apps/v1/namespaces/default/deployments
//! Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json
//! ```
//!
//! and prints whatever cells come back, verbatim, under the column names it is given:
//!
//! ```text
//! {"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"42"},
//!  "columnDefinitions":[{"name":"Name","type":"string","format":"name",...},{"name":"Ready",...}],
//!  "rows":[{"cells":["web","2/2",2,2,"5m"],
//!           "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":{...}}}]}
//! ```
//!
//! That is why a new column (or a new kind) needs no new kubectl. The column sets and cell
//! formats live in [`super::printers`] (AGE in `printers/duration.rs`); this file does the
//! rest: reading the `Accept` header (negotiation) and putting rows into a Table. Upstream:
//! `negotiation.go` and `handlers/response.go` (`asTable`) in `k8s.io/apiserver/pkg/endpoints/`,
//! and `pkg/printers/tablegenerator.go`.
//!
//! A Table is only a different *view* of the same read: the registry is asked exactly as for
//! plain JSON, and errors are still plain `Status` objects.

use super::printers;
use crate::resources::Resource;
use axum::http::{header, HeaderMap};
use chrono::{DateTime, Utc};
use machinery::ApiError;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// What `row.object` carries: the `includeObject` query parameter (`metav1.IncludeObjectPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    /// The default: a `PartialObjectMetadata` holding the object's metadata. kubectl needs the
    /// namespace (for `-A`) and the labels (for `--show-labels` and `-L`) from it.
    Metadata,
    /// The whole object: `kubectl get --sort-by=...` asks for it, because it sorts rows by a
    /// JSONPath into the object itself.
    Object,
    /// No object at all: the smallest answer.
    None,
}

/// A client asked for a Table (and which version of one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRequest {
    /// `v1` or `v1beta1` of `meta.k8s.io`: the two carry the same fields.
    pub version: &'static str,
    pub include: IncludeObject,
}

/// Read `Accept` (and `includeObject`): `Some` when the first media type we can serve is a Table.
///
/// `Accept` lists media types in order of preference. A clause with an `as=` parameter asks for
/// a *conversion*; we can do `as=Table` (g=meta.k8s.io, v=v1 or v1beta1) in JSON and skip any
/// other conversion (`PartialObjectMetadataList`, protobuf Tables), as upstream skips what it
/// cannot serve. The first clause without `as=` means plain objects. (We ignore `q=` weights;
/// no client we know of sends them.)
pub fn negotiate(
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Option<TableRequest>, ApiError> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    for clause in accept.split(',') {
        let mut parts = clause.split(';').map(str::trim);
        let media_type = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: HashMap<&str, &str> = parts.filter_map(|p| p.split_once('=')).collect();
        let Some(conversion) = params.get("as") else {
            if media_type.is_empty() {
                continue;
            }
            return Ok(None); // plain objects come first
        };
        let json_like = matches!(
            media_type.as_str(),
            "application/json" | "application/*" | "*/*"
        );
        let version = match params.get("v") {
            Some(&"v1") => "v1",
            Some(&"v1beta1") => "v1beta1",
            _ => continue,
        };
        if *conversion == "Table" && params.get("g") == Some(&"meta.k8s.io") && json_like {
            let include = include_object(query)?;
            return Ok(Some(TableRequest { version, include }));
        }
    }
    Ok(None)
}

/// `?includeObject=None|Metadata|Object` (absent means Metadata); anything else is a 400.
fn include_object(query: &HashMap<String, String>) -> Result<IncludeObject, ApiError> {
    match query.get("includeObject").map(String::as_str) {
        None | Some("") | Some("Metadata") => Ok(IncludeObject::Metadata),
        Some("Object") => Ok(IncludeObject::Object),
        Some("None") => Ok(IncludeObject::None),
        Some(other) => Err(ApiError::bad_request(format!(
            "unrecognized includeObject value: {other:?}"
        ))),
    }
}

impl TableRequest {
    /// `meta.k8s.io/v1`: the Table and its PartialObjectMetadata speak the version asked for.
    pub fn api_version(&self) -> String {
        format!("meta.k8s.io/{}", self.version)
    }

    /// The Table for a list (`continue` set when there are more pages).
    pub fn list(
        &self,
        res: &Resource,
        items: &[Value],
        resource_version: &str,
        continue_token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Value {
        let mut metadata = json!({"resourceVersion": resource_version});
        if let Some(token) = continue_token {
            metadata["continue"] = json!(token);
        }
        self.assemble(res, items, metadata, true, now)
    }

    /// The Table for one object (a get, or one watch event): one row, and the object's own
    /// resourceVersion, as upstream's table generator does for a single object.
    pub fn object(
        &self,
        res: &Resource,
        obj: &Value,
        with_columns: bool,
        now: DateTime<Utc>,
    ) -> Value {
        let rv = machinery::meta::resource_version(obj);
        let metadata = json!({"resourceVersion": rv});
        self.assemble(res, std::slice::from_ref(obj), metadata, with_columns, now)
    }

    fn assemble(
        &self,
        res: &Resource,
        objects: &[Value],
        metadata: Value,
        with_columns: bool,
        now: DateTime<Utc>,
    ) -> Value {
        let printer = printers::for_resource(res);
        // Upstream leaves `columnDefinitions` null (not absent) when it omits the headers.
        let columns = if with_columns {
            Value::Array(
                printer
                    .columns
                    .iter()
                    .map(printers::Column::to_json)
                    .collect(),
            )
        } else {
            Value::Null
        };
        let rows: Vec<Value> = objects
            .iter()
            .map(|obj| {
                let mut row = json!({"cells": (printer.row)(obj, now)});
                if let Some(conditions) = (printer.conditions)(obj) {
                    row["conditions"] = conditions;
                }
                if let Some(object) = self.row_object(obj) {
                    row["object"] = object;
                }
                row
            })
            .collect();
        json!({"kind": "Table", "apiVersion": self.api_version(), "metadata": metadata,
            "columnDefinitions": columns, "rows": rows})
    }

    /// What travels with each row, as `includeObject` asks.
    fn row_object(&self, obj: &Value) -> Option<Value> {
        match self.include {
            IncludeObject::Object => Some(obj.clone()),
            IncludeObject::None => None,
            IncludeObject::Metadata => Some(json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": self.api_version(),
                "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
            })),
        }
    }
}

/// A watch's Tables: every event's object is a one-row Table, and only the first one carries
/// the column definitions (kubectl remembers them; later events save the bytes). Upstream does
/// this by flipping `NoHeaders` after the first event (`handlers/watch.go`).
#[derive(Debug)]
pub struct WatchTables {
    request: TableRequest,
    /// Set once the first Table (with its columns) has gone out. Atomic only because the
    /// watcher is shared by reference across awaits; one task uses it.
    columns_sent: AtomicBool,
}

impl WatchTables {
    pub fn new(request: TableRequest) -> Self {
        WatchTables {
            request,
            columns_sent: AtomicBool::new(false),
        }
    }

    /// The encoded Table for one watch event's object.
    pub fn encode(&self, res: &Resource, obj: &Value, now: DateTime<Utc>) -> Vec<u8> {
        let first = !self.columns_sent.swap(true, Ordering::Relaxed);
        let table = self.request.object(res, obj, first, now);
        serde_json::to_vec(&table).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const KUBECTL: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    fn ask(accept: &str, query: &[(&str, &str)]) -> Result<Option<TableRequest>, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(accept).expect("ascii"),
        );
        let query = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        negotiate(&headers, &query)
    }

    #[test]
    fn the_first_acceptable_media_type_decides_between_table_and_plain_json() {
        let table = |version| {
            Some(TableRequest {
                version,
                include: IncludeObject::Metadata,
            })
        };
        let cases: &[(&str, Option<TableRequest>)] = &[
            (KUBECTL, table("v1")),
            (
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io",
                table("v1beta1"),
            ),
            ("application/json", None),
            ("", None),
            ("application/yaml", None),
            (
                "application/json, application/json;as=Table;v=v1;g=meta.k8s.io",
                None,
            ),
            // A conversion we cannot do is skipped; the plain clause after it wins.
            (
                "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json",
                None,
            ),
            (
                "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json",
                None,
            ),
            (
                "application/json;as=Table;v=v2;g=meta.k8s.io,application/json",
                None,
            ),
            ("*/*;as=Table;v=v1;g=meta.k8s.io", table("v1")),
        ];
        for (accept, want) in cases {
            assert_eq!(&ask(accept, &[]).expect("valid"), want, "Accept: {accept}");
        }
    }

    #[test]
    fn include_object_chooses_what_each_row_carries_and_rejects_unknown_values() {
        for (value, want) in [
            ("Metadata", IncludeObject::Metadata),
            ("Object", IncludeObject::Object),
            ("None", IncludeObject::None),
        ] {
            let got = ask(KUBECTL, &[("includeObject", value)]).expect("valid");
            assert_eq!(got.map(|t| t.include), Some(want));
        }
        let err = ask(KUBECTL, &[("includeObject", "Everything")]).unwrap_err();
        assert_eq!(err.code, 400);
        // Without a Table the parameter means nothing, so nothing is rejected.
        assert!(ask("application/json", &[("includeObject", "x")]).is_ok());
    }

    fn pod() -> Value {
        json!({"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "web", "namespace": "default", "resourceVersion": "7",
                "labels": {"app": "web"}, "creationTimestamp": "2025-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            "status": {"phase": "Pending"}})
    }

    fn pods() -> &'static Resource {
        crate::resources::find("", "v1", "pods").expect("served")
    }

    #[test]
    fn a_row_carries_partial_object_metadata_the_whole_object_or_nothing() {
        let now = Utc::now();
        let with = |include| {
            TableRequest {
                version: "v1",
                include,
            }
            .object(pods(), &pod(), true, now)
        };
        let partial = &with(IncludeObject::Metadata)["rows"][0]["object"];
        assert_eq!(partial["kind"], "PartialObjectMetadata");
        assert_eq!(partial["apiVersion"], "meta.k8s.io/v1");
        assert_eq!(partial["metadata"]["labels"]["app"], "web");
        assert_eq!(with(IncludeObject::Object)["rows"][0]["object"], pod());
        assert!(with(IncludeObject::None)["rows"][0].get("object").is_none());
    }

    #[test]
    fn a_list_table_has_columns_rows_and_the_lists_resource_version_and_continue() {
        let request = TableRequest {
            version: "v1",
            include: IncludeObject::Metadata,
        };
        let table = request.list(pods(), &[pod(), pod()], "42", Some("next"), Utc::now());
        assert_eq!(
            (&table["kind"], &table["apiVersion"]),
            (&json!("Table"), &json!("meta.k8s.io/v1"))
        );
        assert_eq!(
            table["metadata"],
            json!({"resourceVersion": "42", "continue": "next"})
        );
        assert_eq!(table["columnDefinitions"][0]["name"], "Name");
        assert_eq!(table["rows"].as_array().map(Vec::len), Some(2));
        assert_eq!(table["rows"][0]["cells"][0], "web");
    }

    #[test]
    fn a_watch_sends_column_definitions_only_with_its_first_table() {
        let tables = WatchTables::new(TableRequest {
            version: "v1",
            include: IncludeObject::Metadata,
        });
        let decode = |bytes: Vec<u8>| serde_json::from_slice::<Value>(&bytes).expect("json");
        let first = decode(tables.encode(pods(), &pod(), Utc::now()));
        let second = decode(tables.encode(pods(), &pod(), Utc::now()));
        assert!(first["columnDefinitions"].is_array());
        assert_eq!(second["columnDefinitions"], Value::Null);
        assert_eq!(second["metadata"]["resourceVersion"], "7");
        assert_eq!(second["rows"].as_array().map(Vec::len), Some(1));
    }
}
