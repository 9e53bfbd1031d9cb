//! Discovery, version, OpenAPI and health: what clients ask before anything else.
//!
//! `kubectl get po` first has to learn that `po` means `pods` in group "" version `v1`, and
//! that pods are namespaced. It learns it from the legacy discovery documents:
//! `/api` (core versions), `/apis` (groups), and one `APIResourceList` per group-version.
//! All of it is generated from the resource table. Upstream:
//! `endpoints/discovery/{legacy,group,version}.go`.

use super::App;
use crate::resources::{self, Resource, Subresource, RESOURCES};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use machinery::ApiError;
use serde_json::{json, Value};
use std::sync::Arc;

/// The version we report. The machine's kubectl dispatcher picks its client by `minor`.
pub const GIT_VERSION: &str = "v1.32.0-kubeling";

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// `GET /version`.
pub async fn version() -> Response {
    json_ok(&json!({
        "major": "1",
        "minor": "32",
        "gitVersion": GIT_VERSION,
        "gitCommit": env!("CARGO_PKG_VERSION"),
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "rust",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, if cfg!(target_arch = "x86_64") { "amd64" } else { std::env::consts::ARCH }),
    }))
}

/// `GET /api`: the core group's versions.
pub async fn api(State(app): State<Arc<App>>) -> Response {
    json_ok(&json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": app.address}],
    }))
}

fn group_doc(name: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({"name": name, "versions": [gv.clone()], "preferredVersion": gv})
}

/// `GET /apis`: every named group.
pub async fn apis() -> Response {
    let groups: Vec<Value> = resources::groups()
        .iter()
        .map(|(g, v)| group_doc(g, v))
        .collect();
    json_ok(&json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
}

/// `GET /apis/{group}`.
pub async fn group(Path(group): Path<String>) -> Response {
    match resources::groups().iter().find(|(g, _)| *g == group) {
        Some((g, v)) => {
            let mut doc = group_doc(g, v);
            doc["kind"] = json!("APIGroup");
            doc["apiVersion"] = json!("v1");
            json_ok(&doc)
        }
        None => super::codec::error_response(&ApiError::no_route(&format!("/apis/{group}"))),
    }
}

/// `GET /api/v1`.
pub async fn core_resources() -> Response {
    resource_list("", "v1")
}

/// `GET /apis/{group}/{version}`.
pub async fn group_resources(Path((group, version)): Path<(String, String)>) -> Response {
    resource_list(&group, &version)
}

fn resource_list(group: &str, version: &str) -> Response {
    let served: Vec<&Resource> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if served.is_empty() {
        let path = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        return super::codec::error_response(&ApiError::no_route(&path));
    }
    let mut list = Vec::new();
    for r in served {
        let mut entry = json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
            "kind": r.kind, "verbs": VERBS,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        list.push(entry);
        for sub in r.subresources {
            let (kind, verbs, group_version): (&str, &[&str], Option<(&str, &str)>) = match sub {
                Subresource::Status => (r.kind, &["get", "patch", "update"], None),
                Subresource::Binding => ("Binding", &["create"], None),
                Subresource::Scale => (
                    "Scale",
                    &["get", "patch", "update"],
                    Some(("autoscaling", "v1")),
                ),
            };
            let mut entry = json!({
                "name": format!("{}/{}", r.plural, sub.name()), "singularName": "",
                "namespaced": r.namespaced, "kind": kind, "verbs": verbs,
            });
            if let Some((g, v)) = group_version {
                entry["group"] = json!(g);
                entry["version"] = json!(v);
            }
            list.push(entry);
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json_ok(
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}),
    )
}

/// `GET /openapi/v2`. kubectl's client-side validation downloads this before `create -f`; an
/// empty protobuf document tells it "no schema here" and it goes on (the reference notes in
/// `shared/reference/kubectl-compat.md` explain why this exact answer). A real schema arrives
/// with `kubectl explain` support.
pub async fn openapi_v2() -> Response {
    let mut resp = StatusCode::OK.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(
            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
        ),
    );
    resp
}

/// `GET /healthz` and `/livez`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: ready when storage answers.
pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    match app.registry.storage.current_revision().await {
        Ok(_) => "ok".into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("[-]etcd failed: {e}\nreadyz check failed\n"),
        )
            .into_response(),
    }
}

/// `GET /metrics`.
pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut resp = app.metrics.render().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}

fn json_ok(value: &Value) -> Response {
    super::codec::respond(&HeaderMap::new(), StatusCode::OK, value)
}
