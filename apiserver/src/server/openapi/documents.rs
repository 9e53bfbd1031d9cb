//! Whole documents: one OpenAPI v3 document per group-version and their index, and the one
//! swagger 2.0 document for everything.
//!
//! OpenAPI v3 is split by group-version so a client downloads only what it needs (`kubectl
//! explain deploy` fetches `apis/apps/v1` alone). The index at `/openapi/v3` names each
//! document with a hash of its content in the URL, so a client may cache a document forever:
//! a changed document gets a new URL. Upstream: `k8s.io/kube-openapi/pkg/handler3/handler.go`
//! (index and hashes) and `k8s.io/apiserver/pkg/server/routes/openapi.go`.

use super::kinds::Gvk;
use super::operations::Flavour;
use super::paths;
use super::schemas::{self, KindToDescribe};
use crate::resources::{Resource, Subresource, RESOURCES};
use crate::server::discovery::GIT_VERSION;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One published OpenAPI v3 document.
pub struct Published {
    pub json: Bytes,
    /// Fingerprint of `json`, in the document's URL (`?hash=`) and its ETag.
    pub hash: String,
}

/// Every OpenAPI v3 document, by group-version path (`api/v1`, `apis/apps/v1`), and the index.
pub struct V3 {
    pub documents: BTreeMap<String, Published>,
    pub index: Bytes,
}

/// The group-version path a v3 document is served under: `api/v1` or `apis/apps/v1`.
fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The kinds a set of resources needs described: each resource's kind, plus the kinds its
/// subresources read and write (`Scale` for `deployments/scale`, `Binding` for `pods/binding`).
fn kinds_of<'a>(resources: impl Iterator<Item = &'a Resource>) -> Vec<KindToDescribe> {
    let mut out: Vec<KindToDescribe> = Vec::new();
    let mut also = |gvk: Gvk| {
        if !out.iter().any(|k| k.gvk == gvk) {
            out.push(KindToDescribe { gvk, served: false });
        }
    };
    let mut served = Vec::new();
    for r in resources {
        served.push(KindToDescribe {
            gvk: Gvk::new(r.group, r.version, r.kind),
            served: true,
        });
        if r.has(Subresource::Scale) {
            also(Gvk::new("autoscaling", "v1", "Scale"));
        }
        if r.has(Subresource::Binding) {
            also(Gvk::new("", "v1", "Binding"));
        }
    }
    served.extend(out);
    served
}

/// Build every v3 document and the index. Called once, on the first request that needs them.
pub fn build_v3() -> V3 {
    let mut group_versions: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        if !group_versions.contains(&(r.group, r.version)) {
            group_versions.push((r.group, r.version));
        }
    }
    let mut documents = BTreeMap::new();
    for (group, version) in group_versions {
        let resources = || {
            RESOURCES
                .iter()
                .filter(move |r| r.group == group && r.version == version)
        };
        let defs = schemas::build(&kinds_of(resources()));
        let mut paths = Map::new();
        for r in resources() {
            paths.extend(paths::resource_paths(r, &defs, Flavour::V3));
        }
        let document = json!({
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes", "version": GIT_VERSION},
            "paths": paths,
            "components": {"schemas": schemas::to_v3(&defs.schemas)},
        });
        let json = Bytes::from(serde_json::to_vec(&document).unwrap_or_default());
        let hash = fingerprint(&json);
        documents.insert(gv_path(group, version), Published { json, hash });
    }
    let index = index(&documents);
    V3 { documents, index }
}

/// `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}, ...}}`
fn index(documents: &BTreeMap<String, Published>) -> Bytes {
    let paths: Map<String, Value> = documents
        .iter()
        .map(|(gv, doc)| {
            let url = format!("/openapi/v3/{gv}?hash={}", doc.hash);
            (gv.clone(), json!({ "serverRelativeURL": url }))
        })
        .collect();
    Bytes::from(serde_json::to_vec(&json!({ "paths": paths })).unwrap_or_default())
}

/// Build the swagger 2.0 document: every path and every definition in one.
pub fn build_v2() -> Bytes {
    let defs = schemas::build(&kinds_of(RESOURCES.iter()));
    let mut paths = Map::new();
    for r in RESOURCES {
        paths.extend(paths::resource_paths(r, &defs, Flavour::V2));
    }
    let document = json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": GIT_VERSION},
        "paths": paths,
        "definitions": schemas::to_v2(&defs.schemas),
    });
    Bytes::from(serde_json::to_vec(&document).unwrap_or_default())
}

/// A fingerprint of a document: FNV-1a, 64 bits, as 16 hex digits.
///
/// Upstream uses SHA-512. Any hash does here: it only has to change when the document does,
/// and nobody gains from forging one (the server makes both the document and the hash).
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_names_one_document_per_served_group_version_with_its_hash() {
        let v3 = build_v3();
        let index: Value = serde_json::from_slice(&v3.index).expect("index is JSON");
        let core = &index["paths"]["api/v1"]["serverRelativeURL"];
        let expected = format!("/openapi/v3/api/v1?hash={}", v3.documents["api/v1"].hash);
        assert_eq!(core, &json!(expected));
        for gv in [
            "apis/apps/v1",
            "apis/batch/v1",
            "apis/coordination.k8s.io/v1",
        ] {
            assert!(index["paths"][gv].is_object(), "{gv} in the index");
        }
    }

    #[test]
    fn fingerprints_differ_when_documents_do() {
        assert_eq!(fingerprint(b"abc"), fingerprint(b"abc"));
        assert_ne!(fingerprint(b"abc"), fingerprint(b"abd"));
        assert_eq!(fingerprint(b"").len(), 16);
    }

    #[test]
    fn every_path_item_operation_names_a_kind_the_document_describes() {
        let v3 = build_v3();
        for (gv, doc) in &v3.documents {
            let doc: Value = serde_json::from_slice(&doc.json).expect("JSON");
            let schemas = doc["components"]["schemas"].as_object().expect("schemas");
            let described: Vec<&Value> = schemas
                .values()
                .filter_map(|s| s.get("x-kubernetes-group-version-kind"))
                .flat_map(|g| g.as_array().into_iter().flatten())
                .collect();
            for (url, item) in doc["paths"].as_object().expect("paths") {
                for method in ["get", "put", "post", "patch", "delete"] {
                    if let Some(op) = item.get(method) {
                        let gvk = &op["x-kubernetes-group-version-kind"];
                        assert!(described.contains(&gvk), "{gv} {method} {url}: {gvk}");
                    }
                }
            }
        }
    }
}
