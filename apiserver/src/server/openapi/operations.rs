//! Writing an operation down: the same [`Op`] as OpenAPI v3 or as swagger 2.0.
//!
//! The two versions say the same things in different places:
//!
//! | | OpenAPI v3 | swagger 2.0 |
//! |---|---|---|
//! | a parameter's type | `"schema": {"type": "string"}` | `"type": "string"` |
//! | the request body | `requestBody.content.<media type>.schema` | a parameter `in: body`, plus `consumes` |
//! | an answer's schema | `responses.200.content.<media type>.schema` | `responses.200.schema`, plus `produces` |
//! | a `$ref` | `#/components/schemas/<name>` | `#/definitions/<name>` |
//!
//! Upstream writes v2 in `k8s.io/kube-openapi/pkg/builder` and converts it to v3 in
//! `pkg/builder3`; we write both from one description.

use super::kinds::Gvk;
use super::paths::JSON_BODIES;
use super::schemas::{V2_REFS, V3_REFS};
use serde_json::{json, Map, Value};

/// Which OpenAPI version to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// OpenAPI 3.0 (`/openapi/v3/...`).
    V3,
    /// Swagger 2.0 (`/openapi/v2`).
    V2,
}

/// A parameter: its name, JSON type and description.
pub struct Param(pub &'static str, pub &'static str, pub &'static str);

/// Who is writing: every create, update and patch records it in `managedFields`.
const FIELD_MANAGER: Param = Param(
    "fieldManager",
    "string",
    "The name of the actor making the change, recorded in metadata.managedFields; required for apply patches. Defaults to the User-Agent's product.",
);

/// Server-side apply only: take over fields other managers own instead of failing.
const FORCE: Param = Param(
    "force",
    "boolean",
    "For apply patches: take ownership of fields other managers own instead of answering 409 Conflict.",
);

/// Server-side apply's body type, accepted by every `patch` besides the three patch formats
/// (upstream lists it in the same place).
const APPLY_PATCH: &str = "application/apply-patch+yaml";

/// What every write accepts for ownership (`registry/apply/`): `fieldManager` on creates,
/// updates and patches, and on patches `force` and the apply content type. Added here, where
/// each operation is written, so that every write of every resource gets them.
fn with_ownership(op: &Op) -> (Vec<&'static Param>, Option<(Vec<&'static str>, String)>) {
    let mut query = op.query.clone();
    let mut body = op
        .body
        .as_ref()
        .map(|(types, def)| (types.to_vec(), def.clone()));
    if matches!(op.action, "post" | "put" | "patch") {
        query.push(&FIELD_MANAGER);
    }
    if op.action == "patch" {
        query.push(&FORCE);
        if let Some((types, _)) = &mut body {
            if !types.contains(&APPLY_PATCH) {
                types.push(APPLY_PATCH);
            }
        }
    }
    (query, body)
}

/// One operation, before it is written in either flavour.
pub struct Op {
    pub method: &'static str,
    /// upstream's naming: `patchAppsV1NamespacedDeploymentScale`.
    pub id: String,
    pub description: String,
    /// `x-kubernetes-action`: get, list, post, put, patch, delete, deletecollection.
    pub action: &'static str,
    pub gvk: Gvk,
    pub query: Vec<&'static Param>,
    /// Accepted body types and the body's definition name (optional for a delete).
    pub body: Option<(&'static [&'static str], String)>,
    /// Success status and the answer's definition name.
    pub answer: (u16, String),
}

/// A path item: its path parameters and its operations, written in `flavour`.
pub fn path_item(url: &str, in_path: &[&Param], ops: Vec<Op>, flavour: Flavour) -> (String, Value) {
    let mut item = Map::new();
    let params: Vec<Value> = in_path
        .iter()
        .map(|p| parameter(p, "path", flavour))
        .collect();
    if !params.is_empty() {
        item.insert("parameters".into(), Value::Array(params));
    }
    for op in ops {
        item.insert(op.method.into(), operation(&op, flavour));
    }
    (url.to_string(), Value::Object(item))
}

fn parameter(p: &Param, place: &str, flavour: Flavour) -> Value {
    let Param(name, ty, description) = p;
    let mut out = json!({"name": name, "in": place, "description": description});
    if place == "path" {
        out["required"] = json!(true);
    }
    match flavour {
        Flavour::V3 => out["schema"] = json!({"type": ty}),
        Flavour::V2 => out["type"] = json!(ty),
    }
    out
}

fn reference(definition: &str, flavour: Flavour) -> Value {
    match flavour {
        Flavour::V3 => json!({"$ref": format!("{V3_REFS}{definition}")}),
        Flavour::V2 => json!({"$ref": format!("{V2_REFS}{definition}")}),
    }
}

/// One operation in `flavour`.
fn operation(op: &Op, flavour: Flavour) -> Value {
    // Tags group operations for documentation tools: `core_v1`, `apps_v1`, `coordination_v1`.
    let group = op.gvk.group.split('.').next().unwrap_or_default();
    let tag = format!(
        "{}_{}",
        if group.is_empty() { "core" } else { group },
        op.gvk.version
    );
    let (query, body) = with_ownership(op);
    let mut params: Vec<Value> = query
        .iter()
        .map(|p| parameter(p, "query", flavour))
        .collect();
    let (status, answer) = &op.answer;
    let mut out = json!({
        "operationId": op.id,
        "description": op.description,
        "tags": [tag],
        "x-kubernetes-action": op.action,
        "x-kubernetes-group-version-kind": op.gvk.to_json(),
    });
    match flavour {
        Flavour::V3 => {
            let content = |types: &[&str], definition: &str| {
                let by_type: Map<String, Value> = types
                    .iter()
                    .map(|t| {
                        (
                            t.to_string(),
                            json!({"schema": reference(definition, flavour)}),
                        )
                    })
                    .collect();
                Value::Object(by_type)
            };
            if let Some((types, body)) = &body {
                let required = op.method != "delete";
                out["requestBody"] = json!({"required": required, "content": content(types, body)});
            }
            out["responses"] = json!({
                status.to_string(): {"description": reason(*status), "content": content(JSON_BODIES, answer)},
            });
        }
        Flavour::V2 => {
            if let Some((types, body)) = &body {
                out["consumes"] = json!(types);
                let required = op.method != "delete";
                params.push(json!({"name": "body", "in": "body", "required": required, "schema": reference(body, flavour)}));
            }
            out["produces"] = json!(JSON_BODIES);
            out["schemes"] = json!(["https"]);
            out["responses"] = json!({
                status.to_string(): {"description": reason(*status), "schema": reference(answer, flavour)},
            });
        }
    }
    if !params.is_empty() {
        out["parameters"] = Value::Array(params);
    }
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        201 => "Created",
        _ => "OK",
    }
}
