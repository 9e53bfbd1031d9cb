//! Server-side printing over HTTP: what `kubectl get` receives when it asks for a Table, for
//! lists, single objects and watches; `includeObject`; and that plain JSON and errors are
//! unchanged. Upstream's behaviour: `k8s.io/apiserver/pkg/endpoints/handlers/response.go`.

mod common;

use common::{Backend, TestServer};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use std::time::Duration;

/// Exactly what kubectl 1.32 sends for `kubectl get`.
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const PODS: &str = "/api/v1/namespaces/default/pods";
const CMS: &str = "/api/v1/namespaces/default/configmaps";

async fn server() -> TestServer {
    TestServer::start(Backend::Memory, 10_000)
        .await
        .expect("memory server")
}

/// GET with an `Accept` header; returns the status, the Content-Type and the JSON body.
async fn get_as(s: &TestServer, path: &str, accept: &str) -> (u16, String, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let req = hyper::Request::builder()
        .uri(format!("{}{path}", s.api.base))
        .header("accept", accept)
        .body(Full::new(Bytes::new()))
        .expect("request");
    let resp = client.request(req).await.expect("answer");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        content_type,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

/// A watch opened with an `Accept` header; yields one parsed event per line.
struct TableWatch {
    body: hyper::body::Incoming,
    buffer: Vec<u8>,
}

impl TableWatch {
    async fn open(s: &TestServer, path: &str, accept: &str) -> TableWatch {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let req = hyper::Request::builder()
            .uri(format!("{}{path}", s.api.base))
            .header("accept", accept)
            .body(Full::new(Bytes::new()))
            .expect("request");
        let resp = client.request(req).await.expect("watch answers");
        assert_eq!(resp.status().as_u16(), 200);
        TableWatch {
            body: resp.into_body(),
            buffer: Vec::new(),
        }
    }

    async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(i) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=i).collect();
                return Some(serde_json::from_slice(&line).expect("one JSON event per line"));
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??;
            if let Ok(data) = frame.expect("frame").into_data() {
                self.buffer.extend_from_slice(&data);
            }
        }
    }
}

fn pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
}

fn column_names(table: &Value) -> Vec<&str> {
    table["columnDefinitions"]
        .as_array()
        .expect("column definitions")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("?"))
        .collect()
}

#[tokio::test]
async fn a_pod_list_asked_as_kubectl_asks_is_a_table_with_upstreams_columns() {
    let s = server().await;
    assert_eq!(s.api.post(PODS, pod("web")).await.0, 201);
    let (code, content_type, table) = get_as(&s, PODS, TABLE).await;
    assert_eq!((code, content_type.as_str()), (200, "application/json"));
    assert_eq!(table["kind"], "Table");
    assert_eq!(table["apiVersion"], "meta.k8s.io/v1");
    assert!(table["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|rv| rv.parse::<i64>().is_ok()));
    assert_eq!(
        column_names(&table),
        [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates"
        ]
    );
    let priorities: Vec<i64> = table["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["priority"].as_i64().expect("a priority"))
        .collect();
    assert_eq!(
        priorities,
        [0, 0, 0, 0, 0, 1, 1, 1, 1],
        "the last four are -o wide only"
    );
    assert_eq!(table["columnDefinitions"][0]["format"], "name");
    let row = &table["rows"][0];
    let cells = row["cells"].as_array().expect("cells");
    assert_eq!(
        cells[..4],
        [json!("web"), json!("0/1"), json!("Pending"), json!("0")]
    );
    assert!(
        cells[4].as_str().is_some_and(|age| age.ends_with('s')),
        "a new pod's age is seconds: {}",
        cells[4]
    );
    assert_eq!(
        cells[5..],
        [
            json!("<none>"),
            json!("<none>"),
            json!("<none>"),
            json!("<none>")
        ]
    );
    // kubectl reads the namespace (-A) and labels (--show-labels, -L) from the row's object.
    assert_eq!(row["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(row["object"]["apiVersion"], "meta.k8s.io/v1");
    assert_eq!(row["object"]["metadata"]["namespace"], "default");
    assert_eq!(row["object"]["metadata"]["labels"]["app"], "web");
}

#[tokio::test]
async fn a_get_is_a_one_row_table_and_plain_json_is_unchanged() {
    let s = server().await;
    let (_, created) = s.api.post(PODS, pod("web")).await;
    let (code, _, table) = get_as(&s, &format!("{PODS}/web"), TABLE).await;
    assert_eq!(code, 200);
    assert_eq!(table["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        table["metadata"]["resourceVersion"], created["metadata"]["resourceVersion"],
        "a single object's Table carries that object's resourceVersion"
    );
    for accept in ["application/json", "", "*/*"] {
        let (code, _, plain) = get_as(&s, &format!("{PODS}/web"), accept).await;
        assert_eq!((code, &plain), (200, &created), "Accept: {accept:?}");
        let (_, _, list) = get_as(&s, PODS, accept).await;
        assert_eq!(list["kind"], "PodList", "Accept: {accept:?}");
    }
    // Only meta.k8s.io Tables are a conversion we do; an unknown one falls through to JSON.
    let other = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";
    assert_eq!(get_as(&s, PODS, other).await.2["kind"], "PodList");
    let older = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";
    assert_eq!(
        get_as(&s, PODS, older).await.2["apiVersion"],
        "meta.k8s.io/v1beta1"
    );
}

#[tokio::test]
async fn include_object_picks_metadata_the_whole_object_or_nothing() {
    let s = server().await;
    let (_, created) = s.api.post(PODS, pod("web")).await;
    let (_, _, none) = get_as(&s, &format!("{PODS}?includeObject=None"), TABLE).await;
    assert!(none["rows"][0].get("object").is_none(), "{none}");
    let (_, _, whole) = get_as(&s, &format!("{PODS}?includeObject=Object"), TABLE).await;
    assert_eq!(whole["rows"][0]["object"], created);
    let (_, _, meta) = get_as(&s, &format!("{PODS}?includeObject=Metadata"), TABLE).await;
    assert_eq!(meta["rows"][0]["object"]["metadata"], created["metadata"]);
    let (code, _, err) = get_as(&s, &format!("{PODS}?includeObject=All"), TABLE).await;
    assert_eq!(
        (code, &err["kind"], &err["reason"]),
        (400, &json!("Status"), &json!("BadRequest"))
    );
}

#[tokio::test]
async fn errors_stay_status_objects_when_a_table_was_asked_for() {
    let s = server().await;
    let (code, _, err) = get_as(&s, &format!("{PODS}/nope"), TABLE).await;
    assert_eq!(code, 404);
    assert_eq!(err["kind"], "Status");
    assert_eq!(err["message"], "pods \"nope\" not found");
}

#[tokio::test]
async fn a_paged_list_table_carries_the_continue_token() {
    let s = server().await;
    for name in ["a", "b", "c"] {
        let (code, _) = s
            .api
            .post(CMS, json!({"metadata": {"name": name}, "data": {"k": "v"}}))
            .await;
        assert_eq!(code, 201);
    }
    let (_, _, page) = get_as(&s, &format!("{CMS}?limit=2"), TABLE).await;
    assert_eq!(column_names(&page), ["Name", "Data", "Age"]);
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["rows"][0]["cells"][1], 1, "one data key");
    let token = page["metadata"]["continue"]
        .as_str()
        .expect("a continue token");
    let (_, _, rest) = get_as(&s, &format!("{CMS}?limit=2&continue={token}"), TABLE).await;
    assert_eq!(rest["rows"][0]["cells"][0], "c");
    assert!(rest["metadata"].get("continue").is_none());
}

#[tokio::test]
async fn every_served_kind_lists_as_a_table_with_its_own_columns() {
    let s = server().await;
    let expected: &[(&str, &[&str])] = &[
        ("namespaces", &["Name", "Status", "Age"]),
        (
            "services",
            &[
                "Name",
                "Type",
                "Cluster-IP",
                "External-IP",
                "Port(s)",
                "Age",
                "Selector",
            ],
        ),
        ("endpoints", &["Name", "Endpoints", "Age"]),
        ("secrets", &["Name", "Type", "Data", "Age"]),
        (
            "nodes",
            &[
                "Name",
                "Status",
                "Roles",
                "Age",
                "Version",
                "Internal-IP",
                "External-IP",
                "OS-Image",
                "Kernel-Version",
                "Container-Runtime",
            ],
        ),
        (
            "events",
            &[
                "Last Seen",
                "Type",
                "Reason",
                "Object",
                "Subobject",
                "Source",
                "Message",
                "First Seen",
                "Count",
                "Name",
            ],
        ),
        ("serviceaccounts", &["Name", "Secrets", "Age"]),
        (
            "deployments",
            &[
                "Name",
                "Ready",
                "Up-to-date",
                "Available",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
        ),
        (
            "replicasets",
            &[
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
        ),
        (
            "jobs",
            &[
                "Name",
                "Status",
                "Completions",
                "Duration",
                "Age",
                "Containers",
                "Images",
                "Selector",
            ],
        ),
        ("leases", &["Name", "Holder", "Age"]),
        (
            "endpointslices",
            &["Name", "AddressType", "Ports", "Endpoints", "Age"],
        ),
        (
            "priorityclasses",
            &["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"],
        ),
    ];
    for res in apiserver::resources::RESOURCES {
        let base = if res.group.is_empty() {
            format!("/api/{}", res.version)
        } else {
            format!("/apis/{}/{}", res.group, res.version)
        };
        let ns = if res.namespaced {
            "/namespaces/default"
        } else {
            ""
        };
        let (code, _, table) = get_as(&s, &format!("{base}{ns}/{}", res.plural), TABLE).await;
        assert_eq!(
            (code, &table["kind"]),
            (200, &json!("Table")),
            "{}",
            res.plural
        );
        assert!(
            table["rows"].is_array(),
            "{}: rows is never null",
            res.plural
        );
        if let Some((_, columns)) = expected.iter().find(|(plural, _)| *plural == res.plural) {
            assert_eq!(column_names(&table), *columns, "{}", res.plural);
        }
    }
    // The namespaces the server creates itself print with their phase.
    let (_, _, namespaces) = get_as(&s, "/api/v1/namespaces", TABLE).await;
    let default = namespaces["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["cells"][0] == "default")
        .expect("the default namespace");
    assert_eq!(default["cells"][1], "Active");
}

#[tokio::test]
async fn a_table_watch_sends_one_row_tables_with_columns_only_in_the_first() {
    let s = server().await;
    let (_, _, listed) = get_as(&s, PODS, TABLE).await;
    let rv = listed["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();
    let mut w = TableWatch::open(
        &s,
        &format!("{PODS}?watch=true&resourceVersion={rv}"),
        TABLE,
    )
    .await;
    s.api.post(PODS, pod("one")).await;
    s.api.post(PODS, pod("two")).await;
    s.api.delete(&format!("{PODS}/one")).await;
    let wait = Duration::from_secs(10);
    let first = w.next_within(wait).await.expect("ADDED one");
    assert_eq!(first["type"], "ADDED");
    assert_eq!(first["object"]["kind"], "Table");
    assert_eq!(
        column_names(&first["object"])[..5],
        ["Name", "Ready", "Status", "Restarts", "Age"]
    );
    assert_eq!(first["object"]["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(first["object"]["rows"][0]["cells"][0], "one");
    assert_eq!(
        first["object"]["rows"][0]["object"]["kind"],
        "PartialObjectMetadata"
    );
    let second = w.next_within(wait).await.expect("ADDED two");
    assert_eq!(
        second["object"]["columnDefinitions"],
        Value::Null,
        "columns only once"
    );
    assert_eq!(second["object"]["rows"][0]["cells"][0], "two");
    let deleted = w.next_within(wait).await.expect("DELETED one");
    assert_eq!(deleted["type"], "DELETED");
    assert_eq!(deleted["object"]["rows"][0]["cells"][0], "one");
}

#[tokio::test]
async fn bookmarks_in_a_table_watch_stay_plain_objects() {
    let s = server().await;
    let (_, written) = s
        .api
        .post(CMS, json!({"metadata": {"name": "marker"}}))
        .await;
    let rv = written["metadata"]["resourceVersion"].as_str().expect("rv");
    let path = format!("{CMS}?watch=true&resourceVersion={rv}&allowWatchBookmarks=true");
    let mut w = TableWatch::open(&s, &path, TABLE).await;
    let bookmark = w
        .next_within(Duration::from_secs(15))
        .await
        .expect("a bookmark within 15 s");
    assert_eq!(bookmark["type"], "BOOKMARK");
    assert_eq!(bookmark["object"]["kind"], "ConfigMap");
}
