//! Discovery (legacy and aggregated) and the OpenAPI documents, over HTTP, as clients see them.
//!
//! None of this touches storage, so the tests run on the memory store only.

mod common;

use common::{Backend, TestServer};
use serde_json::{json, Value};

/// kubectl 1.32's Accept header for `/api` and `/apis`.
const KUBECTL_DISCOVERY: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Upstream's discovery facts (kube-apiserver 1.32) for every resource we serve:
/// (group, resource, singular, namespaced, kind, short names, categories).
#[allow(clippy::type_complexity)]
const UPSTREAM: &[(&str, &str, &str, bool, &str, &[&str], &[&str])] = &[
    (
        "",
        "namespaces",
        "namespace",
        false,
        "Namespace",
        &["ns"],
        &[],
    ),
    ("", "pods", "pod", true, "Pod", &["po"], &["all"]),
    (
        "",
        "services",
        "service",
        true,
        "Service",
        &["svc"],
        &["all"],
    ),
    (
        "",
        "endpoints",
        "endpoints",
        true,
        "Endpoints",
        &["ep"],
        &[],
    ),
    (
        "",
        "configmaps",
        "configmap",
        true,
        "ConfigMap",
        &["cm"],
        &[],
    ),
    ("", "secrets", "secret", true, "Secret", &[], &[]),
    ("", "nodes", "node", false, "Node", &["no"], &[]),
    ("", "events", "event", true, "Event", &["ev"], &[]),
    (
        "",
        "serviceaccounts",
        "serviceaccount",
        true,
        "ServiceAccount",
        &["sa"],
        &[],
    ),
    (
        "apps",
        "deployments",
        "deployment",
        true,
        "Deployment",
        &["deploy"],
        &["all"],
    ),
    (
        "apps",
        "replicasets",
        "replicaset",
        true,
        "ReplicaSet",
        &["rs"],
        &["all"],
    ),
    ("batch", "jobs", "job", true, "Job", &[], &["all"]),
    (
        "coordination.k8s.io",
        "leases",
        "lease",
        true,
        "Lease",
        &[],
        &[],
    ),
    (
        "discovery.k8s.io",
        "endpointslices",
        "endpointslice",
        true,
        "EndpointSlice",
        &[],
        &[],
    ),
    (
        "scheduling.k8s.io",
        "priorityclasses",
        "priorityclass",
        false,
        "PriorityClass",
        &["pc"],
        &[],
    ),
];

async fn server() -> TestServer {
    TestServer::start(Backend::Memory, 100)
        .await
        .expect("memory server")
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("a JSON body")
}

fn header<'a>(headers: &'a hyper::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn legacy_discovery_lists_every_resource_as_upstream_does() {
    let s = server().await;
    for (group, plural, singular, namespaced, kind, short, categories) in UPSTREAM {
        let path = if group.is_empty() {
            "/api/v1".to_string()
        } else {
            format!("/apis/{group}/v1")
        };
        let (code, list) = s.api.get(&path).await;
        assert_eq!(code, 200, "{path}");
        assert_eq!(list["kind"], "APIResourceList");
        let entry = list["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|e| e["name"] == *plural))
            .unwrap_or_else(|| panic!("{plural} in {path}"));
        assert_eq!(entry["singularName"], *singular, "{plural}");
        assert_eq!(entry["namespaced"], *namespaced, "{plural}");
        assert_eq!(entry["kind"], *kind, "{plural}");
        assert_eq!(strings(&entry["shortNames"]), *short, "{plural}");
        assert_eq!(strings(&entry["categories"]), *categories, "{plural}");
        let verbs = strings(&entry["verbs"]);
        for verb in [
            "create", "delete", "get", "list", "patch", "update", "watch",
        ] {
            assert!(verbs.contains(&verb), "{plural} can {verb}");
        }
        // Upstream offers no deletecollection on namespaces.
        assert_eq!(
            verbs.contains(&"deletecollection"),
            *plural != "namespaces",
            "{plural}"
        );
    }
    let (_, core) = s.api.get("/api/v1").await;
    let binding = core["resources"].as_array().and_then(|r| {
        r.iter()
            .find(|e| e["name"] == "pods/binding")
            .map(|e| (e["kind"].clone(), e["verbs"].clone()))
    });
    assert_eq!(binding, Some((json!("Binding"), json!(["create"]))));
    let (_, apps) = s.api.get("/apis/apps/v1").await;
    let scale = apps["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|e| e["name"] == "deployments/scale").cloned())
        .expect("deployments/scale");
    assert_eq!(
        (&scale["group"], &scale["version"], &scale["kind"]),
        (&json!("autoscaling"), &json!("v1"), &json!("Scale"))
    );
}

#[tokio::test]
async fn plain_json_accept_gets_legacy_discovery() {
    let s = server().await;
    let (code, headers, body) = s
        .api
        .get_with("/apis", &[("accept", "application/json, */*")])
        .await;
    assert_eq!(code, 200);
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(json_of(&body)["kind"], "APIGroupList");
    let (_, headers, body) = s.api.get_with("/api", &[]).await;
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(json_of(&body)["kind"], "APIVersions");
}

#[tokio::test]
async fn aggregated_discovery_answers_kubectls_accept_with_every_resource() {
    let s = server().await;
    let (code, headers, body) = s
        .api
        .get_with("/apis", &[("accept", KUBECTL_DISCOVERY)])
        .await;
    assert_eq!(code, 200);
    assert_eq!(header(&headers, "content-type"), AGGREGATED);
    let apis = json_of(&body);
    assert_eq!(apis["kind"], "APIGroupDiscoveryList");
    assert_eq!(apis["apiVersion"], "apidiscovery.k8s.io/v2");

    let (_, headers, body) = s
        .api
        .get_with("/api", &[("accept", KUBECTL_DISCOVERY)])
        .await;
    assert_eq!(header(&headers, "content-type"), AGGREGATED);
    let api = json_of(&body);
    let core_items = api["items"].as_array().expect("items");
    assert_eq!(core_items.len(), 1, "/api holds the core group alone");
    assert!(core_items[0]["metadata"].get("name").is_none());

    let find = |group: &str, plural: &str| -> Value {
        let doc = if group.is_empty() { &api } else { &apis };
        let group_item = doc["items"]
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i["metadata"]["name"].as_str().unwrap_or_default() == group)
            })
            .unwrap_or_else(|| panic!("group {group:?}"));
        assert_eq!(group_item["versions"][0]["version"], "v1");
        assert_eq!(group_item["versions"][0]["freshness"], "Current");
        group_item["versions"][0]["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|e| e["resource"] == plural).cloned())
            .unwrap_or_else(|| panic!("{plural} in {group:?}"))
    };
    for (group, plural, singular, namespaced, kind, short, categories) in UPSTREAM {
        let entry = find(group, plural);
        assert_eq!(
            entry["responseKind"],
            json!({"group": group, "version": "v1", "kind": kind})
        );
        let scope = if *namespaced { "Namespaced" } else { "Cluster" };
        assert_eq!(entry["scope"], scope, "{plural}");
        assert_eq!(entry["singularResource"], *singular, "{plural}");
        assert_eq!(strings(&entry["shortNames"]), *short, "{plural}");
        assert_eq!(strings(&entry["categories"]), *categories, "{plural}");
        assert!(strings(&entry["verbs"]).contains(&"watch"), "{plural}");
    }
    let pods = find("", "pods");
    assert_eq!(
        pods["subresources"],
        json!([
            {"subresource": "status", "responseKind": {"group": "", "version": "v1", "kind": "Pod"}, "verbs": ["get", "patch", "update"]},
            {"subresource": "binding", "responseKind": {"group": "", "version": "v1", "kind": "Binding"}, "verbs": ["create"]},
        ])
    );
    let scale = find("apps", "deployments")["subresources"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["subresource"] == "scale").cloned())
        .expect("deployments/scale");
    assert_eq!(
        scale["responseKind"],
        json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
    );
}

#[tokio::test]
async fn aggregated_discovery_answers_304_to_a_client_holding_the_same_document() {
    let s = server().await;
    let (_, headers, _) = s
        .api
        .get_with("/apis", &[("accept", KUBECTL_DISCOVERY)])
        .await;
    let etag = header(&headers, "etag").to_string();
    assert!(etag.starts_with('"') && etag.len() > 2, "etag {etag:?}");
    assert_eq!(header(&headers, "vary"), "Accept");
    let (code, headers, body) = s
        .api
        .get_with(
            "/apis",
            &[("accept", KUBECTL_DISCOVERY), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(code, 304);
    assert!(body.is_empty());
    assert_eq!(header(&headers, "content-type"), AGGREGATED);
}

/// Every `$ref` in `doc` names a definition under `prefix` that `doc` holds.
fn assert_refs_resolve(doc: &Value, node: &Value, prefix: &str) {
    match node {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                let pointer = reference
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("a local $ref: {reference}"));
                assert!(reference.starts_with(prefix), "{reference}");
                assert!(doc.pointer(pointer).is_some(), "{reference} resolves");
            }
            map.values()
                .for_each(|v| assert_refs_resolve(doc, v, prefix));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| assert_refs_resolve(doc, v, prefix)),
        _ => {}
    }
}

/// The v3 document of `gv` (`api/v1`), fetched as kubectl does: through the index's URL.
async fn v3_document(s: &TestServer, gv: &str) -> Value {
    let (code, index) = s.api.get("/openapi/v3").await;
    assert_eq!(code, 200);
    let url = index["paths"][gv]["serverRelativeURL"]
        .as_str()
        .unwrap_or_else(|| panic!("{gv} in the index: {index}"))
        .to_string();
    assert!(url.starts_with(&format!("/openapi/v3/{gv}?hash=")), "{url}");
    let (code, headers, body) = s
        .api
        .get_with(&url, &[("accept", "application/json")])
        .await;
    assert_eq!(code, 200);
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(header(&headers, "cache-control"), "public, immutable");
    json_of(&body)
}

#[tokio::test]
async fn the_v3_index_names_a_document_for_every_served_group_version() {
    let s = server().await;
    let (_, index) = s.api.get("/openapi/v3").await;
    let mut names: Vec<&String> = index["paths"].as_object().expect("paths").keys().collect();
    names.sort();
    let expected = [
        "api/v1",
        "apis/apps/v1",
        "apis/batch/v1",
        "apis/coordination.k8s.io/v1",
        "apis/discovery.k8s.io/v1",
        "apis/scheduling.k8s.io/v1",
    ];
    assert_eq!(names, expected);
}

#[tokio::test]
async fn a_v3_document_describes_each_kind_with_upstream_names_and_descriptions() {
    let s = server().await;
    let doc = v3_document(&s, "api/v1").await;
    assert_eq!(doc["openapi"], "3.0.0");
    let pod = &doc["components"]["schemas"]["io.k8s.api.core.v1.Pod"];
    assert_eq!(
        pod["x-kubernetes-group-version-kind"],
        json!([{"group": "", "kind": "Pod", "version": "v1"}])
    );
    assert!(pod["description"]
        .as_str()
        .is_some_and(|d| d.contains("collection of containers")));
    assert_eq!(
        pod["properties"]["spec"]["allOf"],
        json!([{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}])
    );
    let list = &doc["components"]["schemas"]["io.k8s.api.core.v1.PodList"];
    assert_eq!(
        list["x-kubernetes-group-version-kind"][0]["kind"],
        "PodList"
    );
    let containers =
        &doc["components"]["schemas"]["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
    assert_refs_resolve(&doc, &doc, "#/components/schemas/");
}

#[tokio::test]
async fn every_resources_patch_operation_lets_kubectl_leave_validation_to_the_server() {
    let s = server().await;
    for (group, plural, _, namespaced, kind, _, _) in UPSTREAM {
        let (gv, prefix) = if group.is_empty() {
            ("api/v1".to_string(), "/api/v1".to_string())
        } else {
            (format!("apis/{group}/v1"), format!("/apis/{group}/v1"))
        };
        let doc = v3_document(&s, &gv).await;
        let object = if *namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{plural}/{{name}}")
        } else {
            format!("{prefix}/{plural}/{{name}}")
        };
        let patch = &doc["paths"][&object]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            json!({"group": group, "version": "v1", "kind": kind}),
            "{object}"
        );
        let params = patch["parameters"].as_array().expect("parameters");
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"),
            "{object}"
        );
        assert!(
            patch["requestBody"]["content"]
                .get("application/strategic-merge-patch+json")
                .is_some(),
            "{object}"
        );
        let list = &doc["paths"][object.trim_end_matches("/{name}")]["get"];
        assert_eq!(list["x-kubernetes-action"], "list");
    }
}

#[tokio::test]
async fn v3_documents_redirect_a_stale_hash_refuse_protobuf_and_404_unknown_versions() {
    let s = server().await;
    let (code, headers, _) = s
        .api
        .get_with("/openapi/v3/apis/apps/v1?hash=STALE", &[])
        .await;
    assert_eq!(code, 301);
    assert!(header(&headers, "location").starts_with("/openapi/v3/apis/apps/v1?hash="));
    let (code, _, _) = s
        .api
        .get_with(
            "/openapi/v3/apis/apps/v1",
            &[(
                "accept",
                "application/com.github.proto-openapi.spec.v3.v1.0+protobuf",
            )],
        )
        .await;
    assert_eq!(code, 406);
    let (code, _) = s.api.get("/openapi/v3/apis/apps/v9").await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn v2_is_swagger_json_for_json_clients_and_stays_empty_protobuf_for_kubectl() {
    let s = server().await;
    let (code, headers, body) = s
        .api
        .get_with("/openapi/v2", &[("accept", "application/json")])
        .await;
    assert_eq!(code, 200);
    assert_eq!(header(&headers, "content-type"), "application/json");
    let doc = json_of(&body);
    assert_eq!(doc["swagger"], "2.0");
    let deployment = &doc["definitions"]["io.k8s.api.apps.v1.Deployment"];
    assert_eq!(
        deployment["x-kubernetes-group-version-kind"][0]["kind"],
        "Deployment"
    );
    assert_eq!(
        deployment["properties"]["spec"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"
    );
    assert!(doc["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]["patch"].is_object());
    assert_refs_resolve(&doc, &doc, "#/definitions/");

    // kubectl's own request, exactly: it must keep getting an empty protobuf document.
    let (code, headers, body) = s
        .api
        .get_with(
            "/openapi/v2",
            &[(
                "accept",
                "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
            )],
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        header(&headers, "content-type"),
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
    assert!(body.is_empty());
}
