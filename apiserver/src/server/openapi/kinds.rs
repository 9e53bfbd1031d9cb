//! Which Rust type describes each kind we serve.
//!
//! The resource table (`resources.rs`) knows a kind by name; the schema of a kind comes from
//! the k8s-openapi type behind it, whose `schemars::JsonSchema` impl k8s-openapi generated from
//! the upstream Go types (descriptions included). This file is the bridge between the two: one
//! line per kind. Upstream needs no such table, because there the Go type *is* the registered
//! kind (`pkg/api/legacyscheme`, and `k8s.io/kube-openapi/pkg/builder3` walks those types).

use k8s_openapi::schemars::{JsonSchema, SchemaGenerator};

/// A kind named in an OpenAPI document: its group, version and kind, as the
/// `x-kubernetes-group-version-kind` extension spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    pub fn new(group: &str, version: &str, kind: &str) -> Gvk {
        Gvk {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
        }
    }
}

impl Gvk {
    /// The extension's JSON: `{"group": "apps", "kind": "Deployment", "version": "v1"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"group": self.group, "kind": self.kind, "version": self.version})
    }
}

/// Add the schema of `kind` (and of every type it refers to) to `gen`'s definitions and return
/// its definition name, e.g. `io.k8s.api.core.v1.Pod`. `None` for a kind we have no type for;
/// a test below keeps every served resource covered.
pub fn register(gen: &mut SchemaGenerator, group: &str, kind: &str) -> Option<String> {
    use k8s_openapi::api::{apps, autoscaling, batch, coordination, core, discovery, scheduling};
    Some(match (group, kind) {
        ("", "Namespace") => name_of::<core::v1::Namespace>(gen),
        ("", "Pod") => name_of::<core::v1::Pod>(gen),
        ("", "Binding") => name_of::<core::v1::Binding>(gen),
        ("", "Service") => name_of::<core::v1::Service>(gen),
        ("", "Endpoints") => name_of::<core::v1::Endpoints>(gen),
        ("", "ConfigMap") => name_of::<core::v1::ConfigMap>(gen),
        ("", "Secret") => name_of::<core::v1::Secret>(gen),
        ("", "Node") => name_of::<core::v1::Node>(gen),
        ("", "Event") => name_of::<core::v1::Event>(gen),
        ("", "ServiceAccount") => name_of::<core::v1::ServiceAccount>(gen),
        ("apps", "Deployment") => name_of::<apps::v1::Deployment>(gen),
        ("apps", "ReplicaSet") => name_of::<apps::v1::ReplicaSet>(gen),
        ("autoscaling", "Scale") => name_of::<autoscaling::v1::Scale>(gen),
        ("batch", "Job") => name_of::<batch::v1::Job>(gen),
        ("coordination.k8s.io", "Lease") => name_of::<coordination::v1::Lease>(gen),
        ("discovery.k8s.io", "EndpointSlice") => name_of::<discovery::v1::EndpointSlice>(gen),
        ("scheduling.k8s.io", "PriorityClass") => name_of::<scheduling::v1::PriorityClass>(gen),
        _ => return None,
    })
}

/// The meta.k8s.io types every group-version's operations mention (answers, delete and patch
/// bodies, list metadata); returns their definition names.
pub fn register_meta(gen: &mut SchemaGenerator) -> Meta {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
    Meta {
        status: name_of::<meta::Status>(gen),
        delete_options: name_of::<meta::DeleteOptions>(gen),
        patch: name_of::<meta::Patch>(gen),
        list_meta: name_of::<meta::ListMeta>(gen),
    }
}

/// Definition names of the meta.k8s.io types in [`register_meta`].
#[derive(Debug, Clone)]
pub struct Meta {
    pub status: String,
    pub delete_options: String,
    pub patch: String,
    pub list_meta: String,
}

/// Generate `T`'s schema into `gen` and return its definition name.
fn name_of<T: JsonSchema>(gen: &mut SchemaGenerator) -> String {
    gen.subschema_for::<T>();
    T::schema_name().into_owned()
}

/// The definition name of a kind's list: `io.k8s.api.core.v1.Pod` -> `io.k8s.api.core.v1.PodList`.
pub fn list_name(definition: &str) -> String {
    format!("{definition}List")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::RESOURCES;

    #[test]
    fn every_served_resource_has_a_schema() {
        let mut gen = SchemaGenerator::default();
        register_meta(&mut gen);
        for r in RESOURCES {
            let name = register(&mut gen, r.group, r.kind)
                .unwrap_or_else(|| panic!("no schema for {}/{}", r.group, r.kind));
            assert!(
                name.ends_with(&format!(".{}", r.kind)),
                "{name} describes {}",
                r.kind
            );
            assert!(gen.definitions().contains_key(&name));
        }
    }

    #[test]
    fn a_list_is_named_after_its_kind() {
        assert_eq!(
            list_name("io.k8s.api.core.v1.Pod"),
            "io.k8s.api.core.v1.PodList"
        );
    }
}
