//! The schemas of a document: k8s-openapi's definitions, written as upstream writes them.
//!
//! k8s-openapi generated a `schemars::JsonSchema` impl for every Kubernetes type from the
//! upstream OpenAPI spec, so its schemas already carry upstream's names
//! (`io.k8s.api.core.v1.Pod`), descriptions and `$ref`s. Four things are ours to add or fix:
//!
//! 1. `x-kubernetes-group-version-kind` on the schema of each kind. `kubectl explain` finds a
//!    kind's schema by this extension, not by its name.
//! 2. The list kinds (`PodList`): k8s-openapi has one generic `List<T>` with no schema.
//! 3. `required: ["metadata"]`: k8s-openapi lists it because its Rust field is not an
//!    `Option`; upstream never requires metadata, so we take it out again.
//! 4. The strategic-merge-patch extensions (`x-kubernetes-patch-strategy: merge`,
//!    `x-kubernetes-patch-merge-key: name`) on the lists our server merges by key. `kubectl
//!    apply` reads them to compute its patch, so they must say exactly what the server does:
//!    we derive them from the server's own table, `registry::strategic::rule_for`.
//!
//! Upstream builds its definitions from the Go types in `k8s.io/kube-openapi/pkg/builder3`
//! (v3) and `pkg/builder` (v2); the extensions come from struct tags there.

use super::kinds::{self, Gvk, Meta};
use crate::registry::strategic::{rule_for, ListRule};
use k8s_openapi::schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{json, Map, Value};

/// Where `$ref`s point in an OpenAPI v3 document.
pub const V3_REFS: &str = "#/components/schemas/";
/// Where `$ref`s point in a swagger 2.0 document.
pub const V2_REFS: &str = "#/definitions/";

/// How deep the patch-rule walk follows nested types. The deepest merged list we know,
/// `spec.template.spec.containers[].env`, is five types down; twelve leaves room to spare
/// while keeping the walk finite on recursive types.
const MAX_DEPTH: usize = 12;

/// A kind to describe, and whether it is a served resource (which also gets a list kind and
/// patch rules) or a kind only some operation mentions (`Binding`, `Scale`).
#[derive(Debug, Clone)]
pub struct KindToDescribe {
    pub gvk: Gvk,
    pub served: bool,
}

/// The definitions of one document (with v3 `$ref`s), and names of what its operations need.
pub struct Definitions {
    pub schemas: Map<String, Value>,
    pub meta: Meta,
    /// (kind, its definition name) for every kind asked for that has a schema.
    pub kinds: Vec<(Gvk, String)>,
}

impl Definitions {
    /// The definition name of a kind, if this document describes it.
    pub fn name_of(&self, group: &str, kind: &str) -> Option<&str> {
        self.kinds
            .iter()
            .find(|(gvk, _)| gvk.group == group && gvk.kind == kind)
            .map(|(_, name)| name.as_str())
    }
}

/// A generator whose `$ref`s point at `#/components/schemas/`, with none of schemars' own
/// rewrites: we want k8s-openapi's schemas exactly as generated, then the fixes above.
fn generator() -> SchemaGenerator {
    SchemaSettings::default()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s.transforms.clear();
        })
        .into_generator()
}

/// Generate the definitions for `kinds` and everything they refer to.
pub fn build(kinds: &[KindToDescribe]) -> Definitions {
    let mut gen = generator();
    let meta = kinds::register_meta(&mut gen);
    let mut named = Vec::new();
    for k in kinds {
        if let Some(name) = kinds::register(&mut gen, &k.gvk.group, &k.gvk.kind) {
            named.push((k.clone(), name));
        }
    }
    let mut schemas = gen.take_definitions(false);

    let mut described = Vec::new();
    let mut roots = Vec::new();
    for (k, name) in named {
        mark_kind(&mut schemas, &name, &k.gvk);
        if k.served {
            let list_gvk = Gvk {
                kind: format!("{}List", k.gvk.kind),
                ..k.gvk.clone()
            };
            let list = list_schema(&schemas, &name, &k.gvk.kind, &meta.list_meta);
            schemas.insert(kinds::list_name(&name), list);
            mark_kind(&mut schemas, &kinds::list_name(&name), &list_gvk);
            described.push((list_gvk, kinds::list_name(&name)));
            roots.push(name.clone());
        }
        described.push((k.gvk, name));
    }
    drop_required_metadata(&mut schemas);
    add_patch_rules(&mut schemas, &roots);
    Definitions {
        schemas,
        meta,
        kinds: described,
    }
}

/// Tag a kind's schema with its group, version and kind (a list: one schema may serve several).
fn mark_kind(schemas: &mut Map<String, Value>, name: &str, gvk: &Gvk) {
    if let Some(Value::Object(schema)) = schemas.get_mut(name) {
        schema.insert(
            "x-kubernetes-group-version-kind".into(),
            json!([gvk.to_json()]),
        );
    }
}

/// The schema of `<Kind>List`, shaped as upstream's (`apiVersion`, `kind`, `items`, `metadata`).
fn list_schema(schemas: &Map<String, Value>, item: &str, kind: &str, list_meta: &str) -> Value {
    // apiVersion and kind read the same in a list as in its items: copy their schemas.
    let property = |field: &str| {
        schemas
            .get(item)
            .and_then(|s| s.pointer(&format!("/properties/{field}")))
            .cloned()
            .unwrap_or_else(|| json!({"type": "string"}))
    };
    json!({
        "description": format!("{kind}List is a list of {kind} objects."),
        "type": "object",
        "properties": {
            "apiVersion": property("apiVersion"),
            "kind": property("kind"),
            "items": {
                "description": format!("The {kind} objects in the list."),
                "type": "array",
                "items": {"$ref": format!("{V3_REFS}{item}")},
            },
            "metadata": {
                "$ref": format!("{V3_REFS}{list_meta}"),
                "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
            },
        },
        "required": ["items"],
    })
}

/// Remove `metadata` from every `required` list (see the module docs, point 3).
fn drop_required_metadata(schemas: &mut Map<String, Value>) {
    for schema in schemas.values_mut() {
        let Some(object) = schema.as_object_mut() else {
            continue;
        };
        if let Some(Value::Array(required)) = object.get_mut("required") {
            required.retain(|field| field != "metadata");
            if required.is_empty() {
                object.remove("required");
            }
        }
    }
}

/// The definition a schema refers to: `{"$ref": "#/components/schemas/X", ...}` -> `X`.
fn ref_target(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix(V3_REFS)
}

/// Add the strategic-merge-patch extensions to every list property the server merges
/// (see the module docs, point 4).
///
/// `rule_for` speaks in paths from the object's root (`spec.template.spec.containers`), while
/// a schema describes a type wherever it is used (`PodSpec.containers`). So we walk each kind's
/// schema from its root, carrying the path, and ask `rule_for` at every list. A type reached by
/// two paths gets a rule if either path has one.
fn add_patch_rules(schemas: &mut Map<String, Value>, roots: &[String]) {
    let mut found: Vec<(String, String, ListRule)> = Vec::new();
    for root in roots {
        let mut stack = vec![root.clone()];
        collect_rules(schemas, root, "", &mut stack, &mut found);
    }
    for (definition, property, rule) in found {
        let Some(Value::Object(field)) = schemas
            .get_mut(&definition)
            .and_then(|d| d.get_mut("properties"))
            .and_then(|p| p.get_mut(&property))
        else {
            continue;
        };
        field
            .entry("x-kubernetes-patch-strategy")
            .or_insert_with(|| json!("merge"));
        if let ListRule::MergeByKey(key) = rule {
            field
                .entry("x-kubernetes-patch-merge-key")
                .or_insert_with(|| json!(key));
        }
    }
}

/// One step of [`add_patch_rules`]: the properties of `definition`, reached at `path`.
/// `stack` holds the definitions on the way here, so a type that contains itself ends the walk.
fn collect_rules(
    schemas: &Map<String, Value>,
    definition: &str,
    path: &str,
    stack: &mut Vec<String>,
    found: &mut Vec<(String, String, ListRule)>,
) {
    let Some(properties) = schemas
        .get(definition)
        .and_then(|d| d.get("properties"))
        .and_then(Value::as_object)
    else {
        return;
    };
    for (name, property) in properties {
        let field = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let (next, next_path) = match property.get("items") {
            // A list. One the server replaces whole has no rules further down: the server
            // never looks inside its items either.
            Some(items) => {
                let Some(rule) = rule_for(&field) else {
                    continue;
                };
                found.push((definition.to_string(), name.clone(), rule));
                (ref_target(items), format!("{field}[]"))
            }
            None => (ref_target(property), field),
        };
        if let Some(next) = next {
            if stack.len() < MAX_DEPTH && !stack.iter().any(|d| d == next) {
                stack.push(next.to_string());
                collect_rules(schemas, next, &next_path, stack, found);
                stack.pop();
            }
        }
    }
}

/// The definitions as an OpenAPI v3 document holds them. OpenAPI 3.0 ignores anything written
/// next to a `$ref`, so a field's own description would be lost; upstream therefore wraps the
/// reference: `{"allOf": [{"$ref": ...}], "description": ...}`. We do the same.
pub fn to_v3(schemas: &Map<String, Value>) -> Map<String, Value> {
    let mut out = schemas.clone();
    for schema in out.values_mut() {
        wrap_ref_siblings(schema);
    }
    out
}

fn wrap_ref_siblings(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.len() > 1 {
                if let Some(reference) = object.remove("$ref") {
                    object.insert("allOf".into(), json!([{ "$ref": reference }]));
                }
            }
            for value in object.values_mut() {
                wrap_ref_siblings(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(wrap_ref_siblings),
        _ => {}
    }
}

/// The definitions as swagger 2.0 holds them: `$ref`s point at `#/definitions/`, and a
/// description beside a `$ref` is allowed (upstream's v2 document writes them so).
pub fn to_v2(schemas: &Map<String, Value>) -> Map<String, Value> {
    let mut out = schemas.clone();
    for schema in out.values_mut() {
        point_refs_at_definitions(schema);
    }
    out
}

fn point_refs_at_definitions(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object.iter_mut() {
                match value {
                    Value::String(s) if key == "$ref" => {
                        if let Some(name) = s.strip_prefix(V3_REFS) {
                            *s = format!("{V2_REFS}{name}");
                        }
                    }
                    other => point_refs_at_definitions(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(point_refs_at_definitions),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(kinds: &[(&str, &str)]) -> Definitions {
        let kinds: Vec<KindToDescribe> = kinds
            .iter()
            .map(|(group, kind)| KindToDescribe {
                gvk: Gvk {
                    group: group.to_string(),
                    version: "v1".into(),
                    kind: kind.to_string(),
                },
                served: true,
            })
            .collect();
        build(&kinds)
    }

    #[test]
    fn a_kind_and_its_list_carry_their_group_version_kind() {
        let defs = described(&[("apps", "Deployment")]);
        let gvk = |name: &str| defs.schemas[name]["x-kubernetes-group-version-kind"].clone();
        assert_eq!(
            gvk("io.k8s.api.apps.v1.Deployment"),
            json!([{"group": "apps", "kind": "Deployment", "version": "v1"}])
        );
        assert_eq!(
            gvk("io.k8s.api.apps.v1.DeploymentList"),
            json!([{"group": "apps", "kind": "DeploymentList", "version": "v1"}])
        );
        assert_eq!(
            defs.name_of("apps", "DeploymentList"),
            Some("io.k8s.api.apps.v1.DeploymentList")
        );
    }

    #[test]
    fn metadata_is_never_required_but_other_fields_stay_required() {
        let defs = described(&[("", "Pod"), ("", "Binding")]);
        assert!(defs.schemas["io.k8s.api.core.v1.Pod"]
            .get("required")
            .is_none());
        assert_eq!(
            defs.schemas["io.k8s.api.core.v1.Binding"]["required"],
            json!(["target"])
        );
    }

    #[test]
    fn lists_the_server_merges_by_key_say_so_wherever_the_type_is_used() {
        let defs = described(&[("", "Pod"), ("apps", "Deployment")]);
        let field = |def: &str, f: &str| defs.schemas[def]["properties"][f].clone();
        let containers = field("io.k8s.api.core.v1.PodSpec", "containers");
        assert_eq!(containers["x-kubernetes-patch-strategy"], "merge");
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        let ports = field("io.k8s.api.core.v1.Container", "ports");
        assert_eq!(ports["x-kubernetes-patch-merge-key"], "containerPort");
        let finalizers = field(
            "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
            "finalizers",
        );
        assert_eq!(finalizers["x-kubernetes-patch-strategy"], "merge");
        assert!(finalizers.get("x-kubernetes-patch-merge-key").is_none());
        // A list the server replaces whole is left alone.
        let command = field("io.k8s.api.core.v1.Container", "command");
        assert!(command.get("x-kubernetes-patch-strategy").is_none());
    }

    #[test]
    fn v3_wraps_a_described_ref_in_all_of_and_v2_points_at_definitions() {
        let defs = described(&[("", "ConfigMap")]);
        let v3 = to_v3(&defs.schemas);
        let metadata = &v3["io.k8s.api.core.v1.ConfigMap"]["properties"]["metadata"];
        assert_eq!(
            metadata["allOf"],
            json!([{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}])
        );
        assert!(metadata["description"].as_str().is_some());
        let v2 = to_v2(&defs.schemas);
        assert_eq!(
            v2["io.k8s.api.core.v1.ConfigMap"]["properties"]["metadata"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
    }
}
