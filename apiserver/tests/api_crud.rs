//! The API's object lifecycle over HTTP, on both stores: metadata the server owns, optimistic
//! concurrency, status and generation, finalizers, graceful deletion, binding and scale.

mod common;

use common::TestServer;
use serde_json::{json, Value};

api_suite!(window = 10_000;
    create_sets_server_owned_metadata_and_get_returns_it,
    generate_name_makes_a_unique_name,
    a_stale_update_conflicts_and_an_unconditional_one_wins,
    the_main_endpoint_ignores_status_and_status_changes_only_status,
    generation_counts_spec_changes_only,
    an_object_with_finalizers_is_only_marked_until_the_last_finalizer_goes,
    a_bound_pod_is_deleted_gracefully_and_an_unbound_one_at_once,
    binding_assigns_a_node_once,
    scale_reads_and_writes_replicas,
    label_and_field_selectors_filter_lists,
    limit_and_continue_page_through_a_consistent_list,
    a_list_larger_than_many_pieces_arrives_whole_from_cache_and_storage,
    deletecollection_deletes_only_what_the_selector_picks,
    propagation_policy_is_recorded_as_a_finalizer,
    merge_and_json_patches_change_only_what_they_name,
    cluster_scoped_nodes_keep_the_status_they_are_created_with,
);

const CMS: &str = "/api/v1/namespaces/default/configmaps";
const PODS: &str = "/api/v1/namespaces/default/pods";
const DEPLOYS: &str = "/apis/apps/v1/namespaces/default/deployments";

fn pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
}

fn deployment(name: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
}

fn rv(obj: &Value) -> i64 {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion")
        .parse()
        .expect("numeric")
}

/// The names of a list's items, in order.
fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

async fn create_sets_server_owned_metadata_and_get_returns_it(s: &TestServer) {
    let (code, created) = s
        .api
        .post(CMS, json!({"metadata": {"name": "c1"}, "data": {"k": "v"}}))
        .await;
    assert_eq!(code, 201, "{created}");
    let m = &created["metadata"];
    assert_eq!(m["namespace"], "default");
    assert_eq!(m["uid"].as_str().map(str::len), Some(36), "a uid is a UUID");
    assert!(m["creationTimestamp"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert!(rv(&created) > 0);
    assert_eq!(
        created["kind"], "ConfigMap",
        "kind and apiVersion are filled in"
    );
    let (code, got) = s.api.get(&format!("{CMS}/c1")).await;
    assert_eq!((code, &got), (200, &created));
    let (code, _) = s.api.post(DEPLOYS, deployment("d", 1)).await;
    assert_eq!(code, 201);
    assert_eq!(
        s.api.get(&format!("{DEPLOYS}/d")).await.1["metadata"]["generation"],
        1
    );
}

async fn generate_name_makes_a_unique_name(s: &TestServer) {
    let body = json!({"metadata": {"generateName": "web-"}});
    let (_, a) = s.api.post(CMS, body.clone()).await;
    let (_, b) = s.api.post(CMS, body).await;
    let (na, nb) = (
        a["metadata"]["name"].as_str().unwrap(),
        b["metadata"]["name"].as_str().unwrap(),
    );
    assert!(na.starts_with("web-") && na.len() == 9, "{na}");
    assert_ne!(na, nb);
}

async fn a_stale_update_conflicts_and_an_unconditional_one_wins(s: &TestServer) {
    let (_, v1) = s
        .api
        .post(CMS, json!({"metadata": {"name": "c"}, "data": {"n": "1"}}))
        .await;
    let mut v2 = v1.clone();
    v2["data"]["n"] = json!("2");
    let (code, v2) = s.api.put(&format!("{CMS}/c"), v2).await;
    assert_eq!(code, 200);
    assert!(rv(&v2) > rv(&v1));
    let mut stale = v1.clone();
    stale["data"]["n"] = json!("3");
    let (code, status) = s.api.put(&format!("{CMS}/c"), stale.clone()).await;
    assert_eq!(code, 409);
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(status["message"], "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again");
    // Without a resourceVersion the update does not depend on what was read.
    stale["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let (code, v3) = s.api.put(&format!("{CMS}/c"), stale).await;
    assert_eq!((code, &v3["data"]["n"]), (200, &json!("3")));
    assert_eq!(
        v3["metadata"]["uid"], v1["metadata"]["uid"],
        "the uid never changes"
    );
}

async fn the_main_endpoint_ignores_status_and_status_changes_only_status(s: &TestServer) {
    let (_, created) = s.api.post(PODS, pod("p")).await;
    assert_eq!(
        created["status"]["phase"], "Pending",
        "a new pod is Pending"
    );
    let mut changed = created.clone();
    changed["status"]["phase"] = json!("Running");
    changed["metadata"]["labels"] = json!({"a": "b"});
    let (_, after) = s.api.put(&format!("{PODS}/p"), changed.clone()).await;
    assert_eq!(
        after["status"]["phase"], "Pending",
        "status is ignored on the main endpoint"
    );
    assert_eq!(after["metadata"]["labels"]["a"], "b");
    changed["metadata"]["labels"] = json!({"a": "c"});
    changed["metadata"]["resourceVersion"] = after["metadata"]["resourceVersion"].clone();
    let (code, after) = s.api.put(&format!("{PODS}/p/status"), changed).await;
    assert_eq!(code, 200);
    assert_eq!(after["status"]["phase"], "Running");
    assert_eq!(
        after["metadata"]["labels"]["a"], "b",
        "/status changes nothing but status"
    );
}

async fn generation_counts_spec_changes_only(s: &TestServer) {
    s.api.post(DEPLOYS, deployment("g", 1)).await;
    let path = format!("{DEPLOYS}/g");
    let (_, d) = s
        .api
        .merge_patch(&path, json!({"metadata": {"labels": {"x": "y"}}}))
        .await;
    assert_eq!(d["metadata"]["generation"], 1, "labels are not spec");
    let (_, d) = s
        .api
        .merge_patch(
            &format!("{path}/status"),
            json!({"status": {"replicas": 1}}),
        )
        .await;
    assert_eq!(
        (
            d["metadata"]["generation"].clone(),
            d["status"]["replicas"].clone()
        ),
        (json!(1), json!(1))
    );
    let (_, d) = s
        .api
        .merge_patch(&path, json!({"spec": {"replicas": 3}}))
        .await;
    assert_eq!(d["metadata"]["generation"], 2);
}

async fn an_object_with_finalizers_is_only_marked_until_the_last_finalizer_goes(s: &TestServer) {
    s.api
        .post(
            CMS,
            json!({"metadata": {"name": "f", "finalizers": ["example.com/hold"]}}),
        )
        .await;
    let (code, marked) = s.api.delete(&format!("{CMS}/f")).await;
    assert_eq!(code, 200, "answered, not yet deleted");
    assert!(marked["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(s.api.get(&format!("{CMS}/f")).await.0, 200, "still there");
    // The one case upstream still answers 202: the deprecated `orphanDependents: false`.
    let (code, _) = s
        .api
        .call(
            "DELETE",
            &format!("{CMS}/f"),
            Some(json!({"orphanDependents": false})),
        )
        .await;
    assert_eq!(code, 202);
    let mut more = marked.clone();
    more["metadata"]["finalizers"] = json!(["example.com/hold", "example.com/new"]);
    let (code, status) = s.api.put(&format!("{CMS}/f"), more).await;
    assert_eq!(code, 422, "no new finalizers while deleting: {status}");
    let (code, _) = s
        .api
        .merge_patch(
            &format!("{CMS}/f"),
            json!({"metadata": {"finalizers": null}}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(
        s.api.get(&format!("{CMS}/f")).await.0,
        404,
        "gone with its last finalizer"
    );
}

async fn a_bound_pod_is_deleted_gracefully_and_an_unbound_one_at_once(s: &TestServer) {
    s.api.post(PODS, pod("free")).await;
    assert_eq!(s.api.delete(&format!("{PODS}/free")).await.0, 200);
    s.api.post(PODS, pod("bound")).await;
    s.api
        .post(
            &format!("{PODS}/bound/binding"),
            json!({"target": {"kind": "Node", "name": "n1"}}),
        )
        .await;
    let (code, p) = s.api.delete(&format!("{PODS}/bound")).await;
    assert_eq!(code, 200);
    assert_eq!(p["metadata"]["deletionGracePeriodSeconds"], 30);
    let (code, _) = s
        .api
        .call(
            "DELETE",
            &format!("{PODS}/bound"),
            Some(json!({"gracePeriodSeconds": 0})),
        )
        .await;
    assert_eq!(code, 200, "the kubelet's grace-0 delete removes it");
    assert_eq!(s.api.get(&format!("{PODS}/bound")).await.0, 404);
}

async fn binding_assigns_a_node_once(s: &TestServer) {
    s.api.post(PODS, pod("b")).await;
    let bind = |node: &str| json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "b"}, "target": {"kind": "Node", "name": node}});
    let (code, _) = s.api.post(&format!("{PODS}/b/binding"), bind("n1")).await;
    assert_eq!(code, 201);
    let (_, p) = s.api.get(&format!("{PODS}/b")).await;
    assert_eq!(p["spec"]["nodeName"], "n1");
    assert_eq!(p["status"]["conditions"][0]["type"], "PodScheduled");
    let (code, status) = s.api.post(&format!("{PODS}/b/binding"), bind("n2")).await;
    assert_eq!(code, 409, "{status}");
}

async fn scale_reads_and_writes_replicas(s: &TestServer) {
    s.api.post(DEPLOYS, deployment("web", 2)).await;
    let (code, scale) = s.api.get(&format!("{DEPLOYS}/web/scale")).await;
    assert_eq!(code, 200);
    assert_eq!(
        (scale["kind"].clone(), scale["spec"]["replicas"].clone()),
        (json!("Scale"), json!(2))
    );
    assert_eq!(scale["status"]["selector"], "app=web");
    let (code, scale) = s
        .api
        .merge_patch(
            &format!("{DEPLOYS}/web/scale"),
            json!({"spec": {"replicas": 5}}),
        )
        .await;
    assert_eq!((code, scale["spec"]["replicas"].clone()), (200, json!(5)));
    assert_eq!(
        s.api.get(&format!("{DEPLOYS}/web")).await.1["spec"]["replicas"],
        5
    );
}

async fn label_and_field_selectors_filter_lists(s: &TestServer) {
    for (name, app) in [("a", "web"), ("b", "web"), ("c", "db")] {
        s.api
            .post(
                CMS,
                json!({"metadata": {"name": name, "labels": {"app": app}}}),
            )
            .await;
    }
    let (_, l) = s.api.get(&format!("{CMS}?labelSelector=app%3Dweb")).await;
    assert_eq!(names(&l), ["a", "b"]);
    let (_, l) = s
        .api
        .get(&format!("{CMS}?labelSelector=app%20notin%20(web)"))
        .await;
    assert_eq!(names(&l), ["c"]);
    let (_, l) = s
        .api
        .get(&format!("{CMS}?fieldSelector=metadata.name%3Db"))
        .await;
    assert_eq!(names(&l), ["b"]);
    let (_, l) = s.api.get(&format!("{CMS}?labelSelector=nothing")).await;
    assert_eq!(
        l["items"],
        json!([]),
        "an empty list has items: [] never null"
    );
    assert!(l["metadata"]["resourceVersion"].is_string());
    // The same selection from the watch cache, "not older than" the consistent list's version
    // (with resourceVersion=0 the cache may answer before it has seen the newest writes).
    let rv = l["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, l) = s
        .api
        .get(&format!(
            "{CMS}?labelSelector=app%3Dweb&resourceVersion={rv}"
        ))
        .await;
    assert_eq!(names(&l), ["a", "b"]);
    // Pod field selectors.
    s.api.post(PODS, pod("p1")).await;
    s.api
        .post(
            &format!("{PODS}/p1/binding"),
            json!({"target": {"name": "n1"}}),
        )
        .await;
    s.api.post(PODS, pod("p2")).await;
    let (_, l) = s
        .api
        .get("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1")
        .await;
    assert_eq!(names(&l), ["p1"]);
    let (_, l) = s
        .api
        .get("/api/v1/pods?fieldSelector=spec.nodeName%3D,status.phase%3DPending")
        .await;
    assert_eq!(names(&l), ["p2"], "unscheduled pods have an empty nodeName");
}

async fn limit_and_continue_page_through_a_consistent_list(s: &TestServer) {
    for i in 0..7 {
        s.api
            .post(CMS, json!({"metadata": {"name": format!("c{i}")}}))
            .await;
    }
    let (_, first) = s.api.get(&format!("{CMS}?limit=3")).await;
    let mut seen: Vec<String> = Vec::new();
    let mut page = first.clone();
    loop {
        for item in page["items"].as_array().unwrap() {
            seen.push(item["metadata"]["name"].as_str().unwrap().to_string());
        }
        let Some(token) = page["metadata"]["continue"].as_str() else {
            break;
        };
        // Writes between pages do not show up: every page is read at the first page's revision.
        s.api
            .post(
                CMS,
                json!({"metadata": {"name": format!("late{}", seen.len())}}),
            )
            .await;
        page = s
            .api
            .get(&format!("{CMS}?limit=3&continue={token}"))
            .await
            .1;
        assert_eq!(
            page["metadata"]["resourceVersion"],
            first["metadata"]["resourceVersion"]
        );
    }
    assert_eq!(seen, ["c0", "c1", "c2", "c3", "c4", "c5", "c6"]);
}

/// A list is sent in 256 KiB pieces (`server/list_body.rs`): one of about 1.2 MiB must arrive
/// whole, in order, with a `Content-Length` that matches, from the watch cache and from storage,
/// and converted to YAML when asked.
async fn a_list_larger_than_many_pieces_arrives_whole_from_cache_and_storage(s: &TestServer) {
    let payload = "x".repeat(4000);
    for i in 0..300 {
        let (code, body) = s
            .api
            .post(
                CMS,
                json!({"metadata": {"name": format!("big{i:03}")}, "data": {"payload": payload}}),
            )
            .await;
        assert_eq!(code, 201, "{body}");
    }
    let expected: Vec<String> = (0..300).map(|i| format!("big{i:03}")).collect();
    for path in [format!("{CMS}?resourceVersion=0"), CMS.to_string()] {
        // The cache may be a moment behind the last create: ask until it has them all.
        let mut tries = 0;
        let (headers, body) = loop {
            let (code, headers, body) = s.api.get_with(&path, &[]).await;
            assert_eq!(code, 200, "{path}");
            let list: Value = serde_json::from_slice(&body).expect("the list is JSON");
            if list["items"].as_array().map(Vec::len) == Some(300) || tries == 50 {
                break (headers, body);
            }
            tries += 1;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        assert!(body.len() > 1_000_000, "{path}: {} bytes", body.len());
        let length = headers["content-length"].to_str().unwrap().parse::<usize>();
        assert_eq!(length, Ok(body.len()), "{path}: Content-Length");
        let list: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(list["kind"], "ConfigMapList");
        assert_eq!(names(&list), expected, "{path}");
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|cm| cm["data"]["payload"] == payload.as_str()));
    }
    let (code, _, yaml) = s
        .api
        .get_with(
            &format!("{CMS}?resourceVersion=0"),
            &[("accept", "application/yaml")],
        )
        .await;
    assert_eq!(code, 200);
    let list: Value = serde_yaml::from_slice(&yaml).expect("the list is YAML");
    assert_eq!(names(&list), expected);
}

async fn deletecollection_deletes_only_what_the_selector_picks(s: &TestServer) {
    for (name, app) in [("a", "web"), ("b", "web"), ("c", "db")] {
        s.api
            .post(
                CMS,
                json!({"metadata": {"name": name, "labels": {"app": app}}}),
            )
            .await;
    }
    let (code, deleted) = s
        .api
        .delete(&format!("{CMS}?labelSelector=app%3Dweb"))
        .await;
    assert_eq!(code, 200);
    assert_eq!(deleted["items"].as_array().map(Vec::len), Some(2));
    let (_, l) = s.api.get(CMS).await;
    assert_eq!(l["items"].as_array().map(Vec::len), Some(1));
}

async fn propagation_policy_is_recorded_as_a_finalizer(s: &TestServer) {
    s.api.post(DEPLOYS, deployment("o", 1)).await;
    let (code, d) = s
        .api
        .call(
            "DELETE",
            &format!("{DEPLOYS}/o"),
            Some(json!({"propagationPolicy": "Orphan"})),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(d["metadata"]["finalizers"], json!(["orphan"]));
    let (code, status) = s
        .api
        .call(
            "DELETE",
            &format!("{DEPLOYS}/o"),
            Some(json!({"propagationPolicy": "Sideways"})),
        )
        .await;
    assert_eq!(code, 400, "{status}");
}

async fn merge_and_json_patches_change_only_what_they_name(s: &TestServer) {
    s.api.post(CMS, json!({"metadata": {"name": "m", "labels": {"keep": "1", "drop": "1"}}, "data": {"a": "1"}})).await;
    let path = format!("{CMS}/m");
    let (code, m) = s
        .api
        .merge_patch(
            &path,
            json!({"metadata": {"labels": {"drop": null, "new": "1"}}, "data": {"b": "2"}}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(m["metadata"]["labels"], json!({"keep": "1", "new": "1"}));
    assert_eq!(m["data"], json!({"a": "1", "b": "2"}));
    let ops = json!([{"op": "replace", "path": "/data/a", "value": "9"}, {"op": "remove", "path": "/data/b"}]);
    let (code, m) = s
        .api
        .call_as("PATCH", &path, "application/json-patch+json", Some(ops))
        .await;
    assert_eq!((code, m["data"].clone()), (200, json!({"a": "9"})));
}

async fn cluster_scoped_nodes_keep_the_status_they_are_created_with(s: &TestServer) {
    let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
        "status": {"capacity": {"cpu": "4", "pods": "110"}}});
    let (code, n) = s.api.post("/api/v1/nodes", node).await;
    assert_eq!(code, 201, "{n}");
    assert_eq!(n["status"]["capacity"]["cpu"], "4");
    assert!(n["metadata"].get("namespace").is_none());
    assert_eq!(s.api.get("/api/v1/nodes/n1").await.0, 200);
    assert_eq!(
        s.api.get("/api/v1/namespaces/default/nodes/n1").await.0,
        404,
        "nodes live in no namespace"
    );
}

#[tokio::test]
async fn new_objects_are_defaulted_as_upstream_and_client_values_win() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    let (_, p) = s.api.post(PODS, pod("d")).await;
    let spec = &p["spec"];
    assert_eq!(
        (spec["restartPolicy"].clone(), spec["dnsPolicy"].clone()),
        (json!("Always"), json!("ClusterFirst"))
    );
    assert_eq!(spec["terminationGracePeriodSeconds"], 30);
    assert_eq!(spec["schedulerName"], "default-scheduler");
    assert_eq!(
        spec["containers"][0]["imagePullPolicy"], "Always",
        "busybox has no tag"
    );
    let (_, d) = s.api.post(DEPLOYS, deployment("dd", 2)).await;
    assert_eq!(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");
    assert_eq!(d["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(d["spec"]["replicas"], 2, "the client's value wins");
    // An update that changes nothing the client owns is still no change: defaults are stable.
    let (_, again) = s
        .api
        .put(&format!("{DEPLOYS}/dd"), deployment("dd", 2))
        .await;
    assert_eq!(again["metadata"]["generation"], 1);
    assert_eq!(
        again["metadata"]["resourceVersion"],
        d["metadata"]["resourceVersion"]
    );
    let (_, svc) = s
        .api
        .post(
            "/api/v1/namespaces/default/services",
            json!({"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}),
        )
        .await;
    assert_eq!(
        svc["spec"]["ports"][0],
        json!({"port": 80, "protocol": "TCP", "targetPort": 80})
    );
    assert_eq!(svc["spec"]["type"], "ClusterIP");
}
