//! Discovery, version and health: what clients ask before anything else.
//!
//! `kubectl get po` first has to learn that `po` means `pods` in group "" version `v1`, and
//! that pods are namespaced. There are two ways to tell it, both generated from the resource
//! table:
//!
//! - **legacy discovery**: `/api` (core versions), `/apis` (groups), then one
//!   `APIResourceList` per group-version, so 2 + N requests. Every client understands it.
//! - **aggregated discovery** (`apidiscovery.k8s.io/v2`): `/api` and `/apis` each answer
//!   an `APIGroupDiscoveryList` holding every resource of every version, so 2 requests. A
//!   client asks for it in its Accept header
//!   (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,...,application/json`)
//!   and learns which one it got from the Content-Type alone.
//!
//! Upstream: `endpoints/discovery/{legacy,group,version}.go` and
//! `endpoints/discovery/aggregated/{handler,negotiation,etag}.go`. We serve aggregated v2 only;
//! upstream 1.32 also serves the older v2beta1, which kubectl 1.27 asks for (so kubectl 1.27
//! uses legacy discovery here).

use super::App;
use crate::registry::delete::serves_delete_collection;
use crate::registry::namespaces::is_namespaces;
use crate::resources::{self, Resource, Subresource, RESOURCES};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
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

/// The verbs discovery lists for a resource: the verbs the server really serves. Upstream's
/// namespaces have no `deletecollection` (deleting every namespace at once is not offered),
/// so neither do ours: the registry answers 405 (`registry::delete::serves_delete_collection`,
/// the one place that decides), and discovery says so.
fn verbs(r: &Resource) -> Vec<&'static str> {
    VERBS
        .iter()
        .copied()
        .filter(|v| *v != "deletecollection" || serves_delete_collection(r))
        .collect()
}

/// A subresource as discovery describes it: its URL segment, the kind it reads and writes,
/// its verbs, and the group-version of that kind when it differs from the resource's.
type SubresourceFacts = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<(&'static str, &'static str)>,
);

/// Every subresource of `r`: those in the resource table, and for namespaces `finalize`
/// (`PUT` only), which has a route of its own (`server/mod.rs`). Upstream lists
/// `namespaces/finalize` before `namespaces/status`; so do we.
fn subresources(r: &Resource) -> Vec<SubresourceFacts> {
    let mut out = Vec::new();
    if is_namespaces(r) {
        out.push(("finalize", r.kind, &["update"][..], None));
    }
    for sub in r.subresources {
        let (kind, verbs, group_version) = subresource_facts(r, *sub);
        out.push((sub.name(), kind, verbs, group_version));
    }
    out
}

/// What discovery says about a subresource: the kind it reads and writes, its verbs, and the
/// group-version of that kind when it differs from the resource's (`Scale` is `autoscaling/v1`).
fn subresource_facts(
    r: &Resource,
    sub: Subresource,
) -> (
    &'static str,
    &'static [&'static str],
    Option<(&'static str, &'static str)>,
) {
    match sub {
        Subresource::Status => (r.kind, &["get", "patch", "update"], None),
        Subresource::Binding => ("Binding", &["create"], None),
        Subresource::Scale => (
            "Scale",
            &["get", "patch", "update"],
            Some(("autoscaling", "v1")),
        ),
    }
}

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

/// `GET /api`: the core group's versions (or, if asked, the aggregated core group).
pub async fn api(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    if wants_aggregated(&headers) {
        return aggregated(&headers, &[("", "v1")]);
    }
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

/// `GET /apis`: every named group (or, if asked, all of them aggregated).
pub async fn apis(headers: HeaderMap) -> Response {
    if wants_aggregated(&headers) {
        return aggregated(&headers, &resources::groups());
    }
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
            "kind": r.kind, "verbs": verbs(r),
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        list.push(entry);
        for (sub, kind, verbs, group_version) in subresources(r) {
            let mut entry = json!({
                "name": format!("{}/{}", r.plural, sub), "singularName": "",
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

/// The Content-Type of an aggregated discovery answer. Clients tell the two kinds of
/// discovery apart by it alone.
const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// One clause of an Accept header, e.g. `application/json;g=apidiscovery.k8s.io;v=v2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    /// `type/subtype`, lowercase: `application/json`, `*/*`.
    pub essence: String,
    /// The parameters after it, in order: `[("g", "apidiscovery.k8s.io"), ("v", "v2")]`.
    pub params: Vec<(String, String)>,
}

impl MediaRange {
    /// A parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether this clause admits `essence` (so `*/*` and `application/*` admit JSON).
    pub fn matches(&self, essence: &str) -> bool {
        let main_type = essence.split('/').next().unwrap_or_default();
        self.essence == essence || self.essence == "*/*" || self.essence == format!("{main_type}/*")
    }
}

/// The clauses of the Accept header, in the order the client wrote them, without those it
/// refuses (`q=0`). Upstream sorts by `q` first (`munnerz/goautoneg`); the clients we know
/// list their preference first and send no `q`, so order alone decides here.
pub fn accepted(headers: &HeaderMap) -> Vec<MediaRange> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for clause in accept.split(',') {
        let mut parts = clause.split(';').map(str::trim);
        let essence = parts.next().unwrap_or_default().to_ascii_lowercase();
        if essence.is_empty() {
            continue;
        }
        let params: Vec<(String, String)> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(n, v)| (n.trim().to_string(), v.trim().trim_matches('"').to_string()))
            .collect();
        let range = MediaRange { essence, params };
        if range
            .param("q")
            .is_some_and(|q| q.parse::<f32>().ok() == Some(0.0))
        {
            continue;
        }
        out.push(range);
    }
    out
}

/// Whether the first clause we can serve asks for aggregated discovery v2 (rather than
/// plain JSON, which means legacy discovery). Clauses asking for an aggregated format we do
/// not serve (v2beta1, protobuf) are passed over, as upstream's negotiation does.
fn wants_aggregated(headers: &HeaderMap) -> bool {
    for clause in accepted(headers) {
        if clause.param("as") == Some("APIGroupDiscoveryList") {
            if clause.essence == "application/json"
                && clause.param("g") == Some("apidiscovery.k8s.io")
                && clause.param("v") == Some("v2")
            {
                return true;
            }
            continue;
        }
        if clause.matches("application/json") {
            return false;
        }
    }
    false
}

/// The aggregated discovery document of `groups` (each with its one version), answered with
/// an ETag; a client that already holds this document (`If-None-Match`) gets 304.
fn aggregated(headers: &HeaderMap, groups: &[(&str, &str)]) -> Response {
    let items: Vec<Value> = groups
        .iter()
        .map(|(group, version)| {
            // The core group has no name; upstream leaves `metadata.name` out for it.
            let metadata = if group.is_empty() {
                json!({})
            } else {
                json!({ "name": group })
            };
            json!({
                "metadata": metadata,
                "versions": [{
                    "version": version,
                    "resources": aggregated_resources(group, version),
                    "freshness": "Current",
                }],
            })
        })
        .collect();
    let list = json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    });
    let body = serde_json::to_vec(&list).unwrap_or_default();
    let etag = format!("\"{}\"", super::openapi::fingerprint(&body));
    let mut resp = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    let out = resp.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(AGGREGATED));
    out.insert(header::VARY, HeaderValue::from_static("Accept"));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("public"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, etag);
    }
    resp
}

/// The `APIResourceDiscovery` entries of one group-version: the same facts as the legacy
/// `APIResourceList`, with subresources nested in their resource. A resource must carry its
/// `responseKind`: clients drop entries without one.
fn aggregated_resources(group: &str, version: &str) -> Vec<Value> {
    let kind_of = |g: &str, v: &str, kind: &str| json!({"group": g, "version": v, "kind": kind});
    RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .map(|r| {
            let subresources: Vec<Value> = subresources(r)
                .into_iter()
                .map(|(sub, kind, verbs, group_version)| {
                    let (g, v) = group_version.unwrap_or((r.group, r.version));
                    json!({"subresource": sub, "responseKind": kind_of(g, v, kind), "verbs": verbs})
                })
                .collect();
            let mut entry = json!({
                "resource": r.plural,
                "responseKind": kind_of(r.group, r.version, r.kind),
                "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                "singularResource": r.singular,
                "verbs": verbs(r),
            });
            if !r.short_names.is_empty() {
                entry["shortNames"] = json!(r.short_names);
            }
            if !r.categories.is_empty() {
                entry["categories"] = json!(r.categories);
            }
            if !subresources.is_empty() {
                entry["subresources"] = json!(subresources);
            }
            entry
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn kubectl_132s_accept_header_chooses_aggregated_v2() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert!(wants_aggregated(&accept(kubectl)));
    }

    #[test]
    fn plain_json_v2beta1_only_or_no_accept_header_choose_legacy() {
        assert!(!wants_aggregated(&accept("application/json, */*")));
        let kubectl_127 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert!(!wants_aggregated(&accept(kubectl_127)));
        assert!(!wants_aggregated(&HeaderMap::new()));
    }

    #[test]
    fn accept_clauses_keep_their_parameters_and_drop_refused_types() {
        let clauses = accepted(&accept("Application/JSON; v=v2 ,text/plain;q=0, */*"));
        assert_eq!(clauses.len(), 2);
        assert_eq!(clauses[0].essence, "application/json");
        assert_eq!(clauses[0].param("v"), Some("v2"));
        assert!(clauses[1].matches("application/json"));
        assert!(!clauses[0].matches("application/yaml"));
    }

    #[test]
    fn namespaces_offer_no_deletecollection_and_scale_answers_in_autoscaling() {
        let ns = crate::resources::namespaces();
        assert!(!verbs(ns).contains(&"deletecollection"));
        let subs: Vec<_> = subresources(ns).iter().map(|s| (s.0, s.2)).collect();
        assert_eq!(
            subs,
            [
                ("finalize", &["update"][..]),
                ("status", &["get", "patch", "update"][..])
            ]
        );
        let deploy = resources::find("apps", "v1", "deployments").expect("served");
        assert!(verbs(deploy).contains(&"deletecollection"));
        let (kind, _, gv) = subresource_facts(deploy, Subresource::Scale);
        assert_eq!((kind, gv), ("Scale", Some(("autoscaling", "v1"))));
    }
}
