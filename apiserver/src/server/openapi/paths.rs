//! The `paths` of a document: every URL of a served resource and the operations on it.
//!
//! For `pods` that is
//!
//! | path | operations |
//! |---|---|
//! | `/api/v1/namespaces/{namespace}/pods` | get (list, watch), post, delete (collection) |
//! | `/api/v1/namespaces/{namespace}/pods/{name}` | get, put, patch, delete |
//! | `/api/v1/pods` | get (list across namespaces) |
//! | `/api/v1/namespaces/{namespace}/pods/{name}/status` | get, put, patch |
//! | `/api/v1/namespaces/{namespace}/pods/{name}/binding` | post |
//!
//! Clients read more from these operations than one would guess. `kubectl explain` finds a
//! resource's kind through the `x-kubernetes-group-version-kind` of its operations; kubectl's
//! validation leaves the checking to the server when the `patch` operation of a kind lists the
//! `fieldValidation` query parameter (cli-runtime `resource/query_param_verifier_v3.go`), so
//! every patch operation lists it; and `kubectl apply` computes its patch from the schemas only
//! if that operation accepts `application/strategic-merge-patch+json`.
//!
//! We list only the query parameters this server honours, and only JSON and YAML bodies.
//! Each operation is described here once, as an [`Op`]; `operations.rs` writes it in either
//! flavour.
//! Upstream: `k8s.io/apiserver/pkg/endpoints/installer.go` (`registerResourceHandlers`) makes
//! the routes and their documentation together.

use super::kinds::Gvk;
use super::operations::{path_item, Flavour, Op, Param};
use super::schemas::Definitions;
use crate::resources::{Resource, Subresource};
use serde_json::Value;

/// What a list or watch understands (see `registry/list.rs` and `server/watch.rs`).
const LIST: &[Param] = &[
    Param(
        "labelSelector",
        "string",
        "Only objects whose labels match this selector.",
    ),
    Param(
        "fieldSelector",
        "string",
        "Only objects whose fields match this selector.",
    ),
    Param(
        "limit",
        "integer",
        "At most this many objects; the list's metadata.continue then fetches the rest.",
    ),
    Param(
        "continue",
        "string",
        "The token from a previous page's metadata.continue.",
    ),
    Param(
        "resourceVersion",
        "string",
        "How fresh the answer must be (or, for a watch, where it starts).",
    ),
    Param(
        "resourceVersionMatch",
        "string",
        "How resourceVersion is read: NotOlderThan or Exact.",
    ),
    Param(
        "watch",
        "boolean",
        "Stream changes as watch events instead of answering a list.",
    ),
    Param(
        "allowWatchBookmarks",
        "boolean",
        "Let a watch send BOOKMARK events carrying the latest resourceVersion.",
    ),
    Param(
        "timeoutSeconds",
        "integer",
        "End the list or watch after this many seconds.",
    ),
];

/// What every write understands (see `registry/field_validation.rs`).
const WRITE: &[Param] = &[Param(
    "fieldValidation",
    "string",
    "What to do with unknown or duplicate fields in the body: Ignore them, Warn (in Warning headers), or Strict (reject the request).",
)];

/// What a delete understands (see `registry/delete.rs`).
const DELETE: &[Param] = &[
    Param(
        "gracePeriodSeconds",
        "integer",
        "Seconds before the object is deleted; 0 means at once.",
    ),
    Param(
        "propagationPolicy",
        "string",
        "Whether and how dependents are deleted: Orphan, Background or Foreground.",
    ),
];

const NAMESPACE: Param = Param("namespace", "string", "The namespace of the objects.");
const NAME: Param = Param("name", "string", "The name of the object.");

pub(super) const JSON_BODIES: &[&str] = &["application/json", "application/yaml"];
const PATCH_BODIES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

/// The paths of one resource, as (URL, path item).
pub fn resource_paths(r: &Resource, defs: &Definitions, flavour: Flavour) -> Vec<(String, Value)> {
    let (Some(kind_def), Some(list_def)) = (
        defs.name_of(r.group, r.kind),
        defs.name_of(r.group, &format!("{}List", r.kind)),
    ) else {
        return Vec::new();
    };
    let kind = r.kind;
    let gv = group_word(r.group, r.version);
    let prefix = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    // Namespaced resources live below their namespace, and their operation ids say so.
    let (collection, scope, in_path): (String, &str, Vec<&Param>) = if r.namespaced {
        let url = format!("{prefix}/namespaces/{{namespace}}/{}", r.plural);
        (url, "Namespaced", vec![&NAMESPACE])
    } else {
        (format!("{prefix}/{}", r.plural), "", vec![])
    };
    let lists: Vec<&Param> = LIST.iter().collect();
    let writes: Vec<&Param> = WRITE.iter().collect();
    let deletes: Vec<&Param> = DELETE.iter().collect();
    // Upstream's operation ids: `readCoreV1NamespacedPod`, `patchAppsV1NamespacedDeploymentScale`.
    let id = |verb: &str, suffix: &str| format!("{verb}{gv}{scope}{kind}{suffix}");
    // An operation on objects of this kind, answering with one of them.
    let op = |method, id: String, description: String, action, query: &[&'static Param]| Op {
        method,
        id,
        description,
        action,
        gvk: Gvk::new(r.group, r.version, kind),
        query: query.to_vec(),
        body: None,
        answer: (200, kind_def.to_string()),
    };
    let body = |types, definition: &str| Some((types, definition.to_string()));

    let mut out = Vec::new();
    let mut collection_ops = vec![
        Op {
            answer: (200, list_def.to_string()),
            ..op(
                "get",
                id("list", ""),
                format!("list or watch objects of kind {kind}"),
                "list",
                &lists,
            )
        },
        Op {
            body: body(JSON_BODIES, kind_def),
            answer: (201, kind_def.to_string()),
            ..op(
                "post",
                id("create", ""),
                format!("create a {kind}"),
                "post",
                &writes,
            )
        },
        Op {
            body: body(JSON_BODIES, &defs.meta.delete_options),
            answer: (200, list_def.to_string()),
            ..op(
                "delete",
                format!("delete{gv}Collection{scope}{kind}"),
                format!("delete a collection of {kind}"),
                "deletecollection",
                &deletes,
            )
        },
    ];
    // Namespaces are never deleted as a collection (registry/delete.rs decides it for the
    // handler, discovery and this document alike).
    if !crate::registry::delete::serves_delete_collection(r) {
        collection_ops.retain(|o| o.method != "delete");
    }
    out.push(path_item(&collection, &in_path, collection_ops, flavour));

    let mut with_name = in_path.clone();
    with_name.push(&NAME);
    let object = format!("{collection}/{{name}}");
    let object_ops = vec![
        op(
            "get",
            id("read", ""),
            format!("read the specified {kind}"),
            "get",
            &[],
        ),
        Op {
            body: body(JSON_BODIES, kind_def),
            ..op(
                "put",
                id("replace", ""),
                format!("replace the specified {kind}"),
                "put",
                &writes,
            )
        },
        Op {
            body: body(PATCH_BODIES, &defs.meta.patch),
            ..op(
                "patch",
                id("patch", ""),
                format!("partially update the specified {kind}"),
                "patch",
                &writes,
            )
        },
        Op {
            body: body(JSON_BODIES, &defs.meta.delete_options),
            ..op(
                "delete",
                id("delete", ""),
                format!("delete a {kind}"),
                "delete",
                &deletes,
            )
        },
    ];
    out.push(path_item(&object, &with_name, object_ops, flavour));

    if r.namespaced {
        let list_all = Op {
            answer: (200, list_def.to_string()),
            ..op(
                "get",
                format!("list{gv}{kind}ForAllNamespaces"),
                format!("list or watch objects of kind {kind} in every namespace"),
                "list",
                &lists,
            )
        };
        out.push(path_item(
            &format!("{prefix}/{}", r.plural),
            &[],
            vec![list_all],
            flavour,
        ));
    }

    for sub in r.subresources {
        let word = sub.name();
        // `readCoreV1NamespacedPodStatus`: the subresource ends the operation id.
        let title = format!("{}{}", word[..1].to_uppercase(), &word[1..]);
        let sub_op = |method, verb: &str, what: &str, action, query: &[&'static Param]| {
            let description = format!("{what} {word} of the specified {kind}");
            op(method, id(verb, &title), description, action, query)
        };
        // The status subresource reads and writes the kind itself; scale and binding have
        // kinds of their own.
        let (gvk, definition) = match sub {
            Subresource::Status => (Gvk::new(r.group, r.version, kind), kind_def),
            Subresource::Scale => match defs.name_of("autoscaling", "Scale") {
                Some(scale) => (Gvk::new("autoscaling", "v1", "Scale"), scale),
                None => continue,
            },
            Subresource::Binding => match defs.name_of("", "Binding") {
                Some(binding) => (Gvk::new("", "v1", "Binding"), binding),
                None => continue,
            },
        };
        let own = |op: Op| Op {
            gvk: gvk.clone(),
            answer: (op.answer.0, definition.to_string()),
            ..op
        };
        let ops = match sub {
            Subresource::Status | Subresource::Scale => vec![
                own(sub_op("get", "read", "read", "get", &[])),
                own(Op {
                    body: body(JSON_BODIES, definition),
                    ..sub_op("put", "replace", "replace", "put", &writes)
                }),
                own(Op {
                    body: body(PATCH_BODIES, &defs.meta.patch),
                    ..sub_op("patch", "patch", "partially update", "patch", &writes)
                }),
            ],
            // The server answers a binding with a Status, not the Binding.
            Subresource::Binding => vec![Op {
                gvk: gvk.clone(),
                body: body(JSON_BODIES, definition),
                answer: (201, defs.meta.status.clone()),
                ..sub_op("post", "create", "create", "post", &writes)
            }],
        };
        out.push(path_item(
            &format!("{object}/{word}"),
            &with_name,
            ops,
            flavour,
        ));
    }
    out
}

/// `CoreV1`, `AppsV1`, `CoordinationV1` (from `coordination.k8s.io`), as upstream's operation
/// ids spell a group-version.
fn group_word(group: &str, version: &str) -> String {
    let group = if group.is_empty() { "core" } else { group };
    let group = group.strip_suffix(".k8s.io").unwrap_or(group);
    let mut word = String::new();
    for part in group.split('.').chain(std::iter::once(version)) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            word.extend(first.to_uppercase());
            word.push_str(chars.as_str());
        }
    }
    word
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::openapi::schemas::{self, KindToDescribe};

    #[test]
    fn group_versions_are_spelled_as_in_upstreams_operation_ids() {
        assert_eq!(group_word("", "v1"), "CoreV1");
        assert_eq!(group_word("apps", "v1"), "AppsV1");
        assert_eq!(group_word("coordination.k8s.io", "v1"), "CoordinationV1");
    }

    #[test]
    fn namespaces_offer_no_collection_delete() {
        let namespaces = crate::resources::namespaces();
        let kinds = [KindToDescribe {
            gvk: Gvk::new("", "v1", "Namespace"),
            served: true,
        }];
        let defs = schemas::build(&kinds);
        let paths: std::collections::BTreeMap<String, Value> =
            resource_paths(namespaces, &defs, Flavour::V3)
                .into_iter()
                .collect();
        let collection = &paths["/api/v1/namespaces"];
        assert!(collection.get("get").is_some(), "{collection}");
        assert!(collection.get("delete").is_none(), "{collection}");
        assert!(paths["/api/v1/namespaces/{name}"].get("delete").is_some());
    }

    #[test]
    fn pods_have_upstreams_urls_and_operation_ids() {
        let pods = crate::resources::find("", "v1", "pods").expect("served");
        let kinds = [KindToDescribe {
            gvk: Gvk::new("", "v1", "Pod"),
            served: true,
        }];
        let defs = schemas::build(&kinds);
        let paths: std::collections::BTreeMap<String, Value> =
            resource_paths(pods, &defs, Flavour::V3)
                .into_iter()
                .collect();
        let id = |url: &str, method: &str| paths[url][method]["operationId"].clone();
        let ns = "/api/v1/namespaces/{namespace}/pods";
        assert_eq!(id(ns, "get"), "listCoreV1NamespacedPod");
        assert_eq!(id(ns, "delete"), "deleteCoreV1CollectionNamespacedPod");
        assert_eq!(id("/api/v1/pods", "get"), "listCoreV1PodForAllNamespaces");
        let one = "/api/v1/namespaces/{namespace}/pods/{name}";
        assert_eq!(id(one, "patch"), "patchCoreV1NamespacedPod");
        assert_eq!(
            id(&format!("{one}/status"), "put"),
            "replaceCoreV1NamespacedPodStatus"
        );
        // No Binding was asked for, so no binding path: nothing may name an absent schema.
        assert!(!paths.contains_key(&format!("{one}/binding")));
    }
}
