//! Bad input gets the right 4xx `Status` — never a 5xx — and leaves nothing half-written.

mod common;

use common::TestServer;
use serde_json::{json, Value};

api_suite!(window = 10_000;
    every_bad_request_gets_its_status_and_writes_nothing,
    unknown_urls_and_verbs_get_404_and_405,
    discovery_version_and_health_answer,
    metrics_count_requests_by_verb_resource_and_code,
    a_yaml_body_is_accepted,
);

const CMS: &str = "/api/v1/namespaces/default/configmaps";

/// Assert a Status with `code` and `reason`, and return its message.
fn status(got: &(u16, Value), code: u16, reason: &str) -> String {
    assert_eq!(got.0, code, "{}", got.1);
    assert_eq!(got.1["kind"], "Status", "{}", got.1);
    assert_eq!(got.1["code"], code);
    assert_eq!(got.1["reason"], reason, "{}", got.1);
    got.1["message"].as_str().unwrap_or("").to_string()
}

async fn every_bad_request_gets_its_status_and_writes_nothing(s: &TestServer) {
    s.api
        .post(
            CMS,
            json!({"metadata": {"name": "exists"}, "data": {"a": "1"}}),
        )
        .await;
    let before = s.storage.current_revision().await.unwrap();
    let api = &s.api;

    let msg = status(
        &api.raw_json("POST", CMS, "application/json", b"{not json")
            .await,
        400,
        "BadRequest",
    );
    assert!(msg.contains("not valid JSON"), "{msg}");
    let msg = status(
        &api.raw_json("POST", CMS, "application/yaml", b"a: [b")
            .await,
        400,
        "BadRequest",
    );
    assert!(msg.contains("not valid YAML"), "{msg}");
    status(
        &api.post(CMS, json!(["a", "list"])).await,
        400,
        "BadRequest",
    );
    let msg = status(
        &api.put(
            &format!("{CMS}/exists"),
            json!({"metadata": {"name": "other"}}),
        )
        .await,
        400,
        "BadRequest",
    );
    assert_eq!(
        msg,
        "the name of the object (other) does not match the name on the URL (exists)"
    );
    let msg = status(
        &api.post(
            CMS,
            json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "k"}}),
        )
        .await,
        400,
        "BadRequest",
    );
    assert!(
        msg.contains("(Pod)") && msg.contains("(ConfigMap)"),
        "{msg}"
    );
    status(
        &api.post(
            CMS,
            json!({"apiVersion": "apps/v1", "metadata": {"name": "k"}}),
        )
        .await,
        400,
        "BadRequest",
    );
    status(
        &api.post(
            CMS,
            json!({"metadata": {"name": "k", "namespace": "kube-system"}}),
        )
        .await,
        400,
        "BadRequest",
    );
    let msg = status(
        &api.post(CMS, json!({"metadata": {"name": "k"}, "data": {"n": 5}}))
            .await,
        400,
        "BadRequest",
    );
    assert!(
        msg.starts_with("ConfigMap in version \"v1\" cannot be handled as a ConfigMap"),
        "{msg}"
    );
    status(
        &api.post(
            CMS,
            json!({"metadata": {"name": "k", "resourceVersion": "5"}}),
        )
        .await,
        400,
        "BadRequest",
    );
    let big = vec![b' '; 3 * 1024 * 1024 + 1];
    status(
        &api.raw_json("POST", CMS, "application/json", &big).await,
        413,
        "RequestEntityTooLarge",
    );
    // An unknown dryRun value is refused (only `All` exists), and nothing is written.
    let message = status(
        &api.call_as(
            "POST",
            &format!("{CMS}?dryRun=Everything"),
            "application/json",
            Some(json!({"metadata": {"name": "dry"}})),
        )
        .await,
        422,
        "Invalid",
    );
    assert!(message.contains("supported values: \"All\""), "{message}");
    // A protobuf envelope cut short is a malformed body; a format we do not read at all is 415.
    status(
        &api.raw_json("POST", CMS, "application/vnd.kubernetes.protobuf", b"k8s\0")
            .await,
        400,
        "BadRequest",
    );
    status(
        &api.raw_json("POST", CMS, "application/xml", b"<configmap/>")
            .await,
        415,
        "UnsupportedMediaType",
    );
    status(
        &api.call_as(
            "PATCH",
            &format!("{CMS}/exists"),
            "application/apply-patch+yaml",
            Some(json!({})),
        )
        .await,
        422,
        "Invalid",
    );
    status(
        &api.get(&format!("{CMS}?labelSelector=a%20in%20(")).await,
        400,
        "BadRequest",
    );
    let msg = status(
        &api.get(&format!("{CMS}?fieldSelector=spec.nope%3D1")).await,
        400,
        "BadRequest",
    );
    assert_eq!(msg, "field label not supported: spec.nope");
    status(
        &api.get(&format!("{CMS}?continue=garbage")).await,
        400,
        "BadRequest",
    );
    status(
        &api.get(&format!("{CMS}?limit=many")).await,
        400,
        "BadRequest",
    );
    status(
        &api.get(&format!("{CMS}?watch=true&resourceVersion=abc"))
            .await,
        400,
        "BadRequest",
    );
    let msg = status(
        &api.post(CMS, json!({"metadata": {"name": "Bad_Name"}}))
            .await,
        422,
        "Invalid",
    );
    assert!(
        msg.starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value"),
        "{msg}"
    );
    let got = api.post(CMS, json!({"metadata": {}})).await;
    status(&got, 422, "Invalid");
    assert_eq!(got.1["details"]["causes"][0]["field"], "metadata.name");
    let got = api
        .post(
            "/api/v1/namespaces/default/pods",
            json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}),
        )
        .await;
    let msg = status(&got, 422, "Invalid");
    assert_eq!(
        msg,
        "Pod \"p\" is invalid: spec.containers[0].image: Required value"
    );
    let msg = status(
        &api.post(
            "/api/v1/namespaces/nowhere/configmaps",
            json!({"metadata": {"name": "k"}}),
        )
        .await,
        404,
        "NotFound",
    );
    assert_eq!(msg, "namespaces \"nowhere\" not found");
    status(
        &api.post(CMS, json!({"metadata": {"name": "exists"}})).await,
        409,
        "AlreadyExists",
    );
    status(&api.get(&format!("{CMS}/missing")).await, 404, "NotFound");
    status(
        &api.delete(&format!("{CMS}/missing")).await,
        404,
        "NotFound",
    );
    status(
        &api.merge_patch(&format!("{CMS}/exists"), json!(["not", "an", "object"]))
            .await,
        400,
        "BadRequest",
    );
    let bad_op = json!([{"op": "remove", "path": "/data/nope"}]);
    status(
        &api.call_as(
            "PATCH",
            &format!("{CMS}/exists"),
            "application/json-patch+json",
            Some(bad_op),
        )
        .await,
        422,
        "Invalid",
    );

    assert_eq!(
        s.storage.current_revision().await.unwrap(),
        before,
        "no bad request wrote anything"
    );
    let (_, obj) = api.get(&format!("{CMS}/exists")).await;
    assert_eq!(obj["data"]["a"], "1");
}

async fn unknown_urls_and_verbs_get_404_and_405(s: &TestServer) {
    status(
        &s.api.get("/api/v1/namespaces/default/widgets").await,
        404,
        "NotFound",
    );
    status(
        &s.api.get("/apis/nope.example.com/v1").await,
        404,
        "NotFound",
    );
    status(
        &s.api
            .get("/api/v1/namespaces/default/pods/p/nonsense")
            .await,
        404,
        "NotFound",
    );
    status(
        &s.api
            .post(
                &format!("{CMS}/named"),
                json!({"metadata": {"name": "named"}}),
            )
            .await,
        405,
        "MethodNotAllowed",
    );
    status(&s.api.put(CMS, json!({})).await, 405, "MethodNotAllowed");
    status(
        &s.api
            .post("/api/v1/namespaces/default/configmaps/x/binding", json!({}))
            .await,
        404,
        "NotFound",
    );
}

async fn discovery_version_and_health_answer(s: &TestServer) {
    let (code, v) = s.api.get("/version").await;
    assert_eq!(
        (code, v["gitVersion"].clone(), v["minor"].clone()),
        (200, json!("v1.32.0-kubeling"), json!("32"))
    );
    let (_, api) = s.api.get("/api").await;
    assert_eq!(api["versions"], json!(["v1"]));
    assert!(api["serverAddressByClientCIDRs"].is_array());
    let (_, core) = s.api.get("/api/v1").await;
    let pods = core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "pods")
        .unwrap();
    assert_eq!(
        (pods["singularName"].clone(), pods["namespaced"].clone()),
        (json!("pod"), json!(true))
    );
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert_eq!(pods["categories"], json!(["all"]));
    assert!(core["resources"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "pods/binding"));
    let (_, groups) = s.api.get("/apis").await;
    let names: Vec<&str> = groups["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "apps",
            "batch",
            "coordination.k8s.io",
            "discovery.k8s.io",
            "scheduling.k8s.io"
        ]
    );
    let (_, apps) = s.api.get("/apis/apps/v1").await;
    let scale = apps["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "deployments/scale")
        .unwrap();
    assert_eq!(
        (scale["group"].clone(), scale["kind"].clone()),
        (json!("autoscaling"), json!("Scale"))
    );
    assert_eq!(s.api.raw("GET", "/openapi/v2", "", vec![]).await.0, 200);
    for path in ["/healthz", "/livez", "/readyz"] {
        assert_eq!(
            s.api.raw("GET", path, "", vec![]).await,
            (200, b"ok".to_vec()),
            "{path}"
        );
    }
}

async fn metrics_count_requests_by_verb_resource_and_code(s: &TestServer) {
    s.api.get(&format!("{CMS}/missing")).await;
    s.api.get(CMS).await;
    let (code, body) = s.api.raw("GET", "/metrics", "", vec![]).await;
    let text = String::from_utf8(body).unwrap();
    assert_eq!(code, 200);
    assert!(
        text.contains(r#"apiserver_request_total{verb="GET",resource="configmaps",code="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"apiserver_request_total{verb="LIST",resource="configmaps",code="200"} 1"#),
        "{text}"
    );
    assert!(text.contains("apiserver_request_duration_seconds_bucket{verb=\"LIST\",resource=\"configmaps\",le=\"+Inf\"} 1"));
}

async fn a_yaml_body_is_accepted(s: &TestServer) {
    let yaml = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  k: v\n";
    let (code, obj) = s.api.raw_json("POST", CMS, "application/yaml", yaml).await;
    assert_eq!(code, 201, "{obj}");
    assert_eq!(obj["data"]["k"], "v");
}

#[tokio::test]
async fn list_options_that_contradict_each_other_are_invalid() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    for query in [
        "resourceVersionMatch=Exact",
        "resourceVersion=0&resourceVersionMatch=Exact",
        "resourceVersion=1&resourceVersionMatch=Bogus",
    ] {
        let got = s.api.get(&format!("{CMS}?{query}")).await;
        let msg = status(&got, 422, "Invalid");
        assert!(
            msg.starts_with("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch"),
            "{query}: {msg}"
        );
    }
    let (_, list) = s.api.get(CMS).await;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        s.api
            .get(&format!(
                "{CMS}?resourceVersion={rv}&resourceVersionMatch=Exact"
            ))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn query_delete_options_keep_the_body_preconditions() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    s.api
        .post(CMS, json!({"metadata": {"name": "guarded"}}))
        .await;
    let body = json!({"preconditions": {"uid": "not-the-uid"}});
    let got = s
        .api
        .call(
            "DELETE",
            &format!("{CMS}/guarded?propagationPolicy=Background"),
            Some(body),
        )
        .await;
    let msg = status(&got, 409, "Conflict");
    assert!(
        msg.contains("Precondition failed: UID in precondition: not-the-uid"),
        "{msg}"
    );
    assert_eq!(
        s.api.get(&format!("{CMS}/guarded")).await.0,
        200,
        "not deleted"
    );
}

#[tokio::test]
async fn timeout_seconds_zero_means_the_default_not_now() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    let mut w = s
        .api
        .watch(&format!(
            "{CMS}?watch=true&resourceVersion=0&timeoutSeconds=0"
        ))
        .await;
    s.api
        .post(CMS, json!({"metadata": {"name": "later"}}))
        .await;
    assert_eq!(w.next().await["type"], "ADDED", "the watch is still open");
}

#[tokio::test]
async fn unknown_resources_do_not_become_metric_labels() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    s.api.get("/api/v1/namespaces/default/widgets").await;
    let (_, body) = s.api.raw("GET", "/metrics", "", vec![]).await;
    assert!(!String::from_utf8(body).unwrap().contains("widgets"));
}

#[tokio::test]
async fn a_name_selector_with_a_limit_over_many_pages_finds_its_object_in_every_scope() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    for i in 0..150 {
        s.api
            .post(CMS, json!({"metadata": {"name": format!("c{i:03}")}}))
            .await;
    }
    let list = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        s.api.get(&format!(
            "{CMS}?fieldSelector=metadata.name%3Dc149&limit=10"
        )),
    )
    .await
    .expect("the list finishes");
    assert_eq!(list.1["items"].as_array().map(Vec::len), Some(1));
    let (_, all) = s
        .api
        .get("/api/v1/configmaps?fieldSelector=metadata.name%3Dc001")
        .await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(1),
        "across namespaces too"
    );
}

#[tokio::test]
async fn an_absurd_grace_period_is_clamped_and_a_second_delete_only_shortens_it() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    let pods = "/api/v1/namespaces/default/pods";
    s.api.post(pods, json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}})).await;
    s.api
        .post(
            &format!("{pods}/p/binding"),
            json!({"target": {"name": "n1"}}),
        )
        .await;
    let body = json!({"gracePeriodSeconds": i64::MAX});
    let (code, pod) = s.api.call("DELETE", &format!("{pods}/p"), Some(body)).await;
    assert_eq!(code, 200, "{pod}");
    assert_eq!(pod["metadata"]["deletionGracePeriodSeconds"], i32::MAX);
    let (_, pod) = s
        .api
        .call(
            "DELETE",
            &format!("{pods}/p"),
            Some(json!({"gracePeriodSeconds": 10})),
        )
        .await;
    assert_eq!(
        pod["metadata"]["deletionGracePeriodSeconds"], 10,
        "shortened"
    );
    let (_, pod) = s
        .api
        .call(
            "DELETE",
            &format!("{pods}/p"),
            Some(json!({"gracePeriodSeconds": 60})),
        )
        .await;
    assert_eq!(
        pod["metadata"]["deletionGracePeriodSeconds"], 10,
        "never lengthened"
    );
}

#[tokio::test]
async fn the_namespaces_every_cluster_needs_cannot_be_deleted() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    for ns in ["default", "kube-system", "kube-public"] {
        let got = s.api.delete(&format!("/api/v1/namespaces/{ns}")).await;
        let msg = status(&got, 403, "Forbidden");
        assert_eq!(
            msg,
            format!("namespaces \"{ns}\" is forbidden: this namespace may not be deleted")
        );
    }
}

#[tokio::test]
async fn a_scale_patch_pins_a_version_only_when_it_names_one() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    let deploys = "/apis/apps/v1/namespaces/default/deployments";
    let d = json!({"metadata": {"name": "d"}, "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}},
        "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
    s.api.post(deploys, d).await;
    let (_, scale) = s.api.get(&format!("{deploys}/d/scale")).await;
    s.api
        .merge_patch(
            &format!("{deploys}/d"),
            json!({"metadata": {"labels": {"x": "y"}}}),
        )
        .await;
    let (code, _) = s
        .api
        .merge_patch(
            &format!("{deploys}/d/scale"),
            json!({"spec": {"replicas": 2}}),
        )
        .await;
    assert_eq!(
        code, 200,
        "an unpinned scale patch applies to the newest object"
    );
    let stale = json!({"metadata": {"resourceVersion": scale["metadata"]["resourceVersion"]}, "spec": {"replicas": 3}});
    let got = s
        .api
        .merge_patch(&format!("{deploys}/d/scale"), stale)
        .await;
    status(&got, 409, "Conflict");
}

#[tokio::test]
async fn binding_is_one_change_that_sets_the_node_and_the_condition() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    let pods = "/api/v1/namespaces/default/pods";
    let (_, p) = s.api.post(pods, json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]}})).await;
    let rv = p["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut w = s
        .api
        .watch(&format!("{pods}?watch=true&resourceVersion={rv}"))
        .await;
    s.api
        .post(
            &format!("{pods}/p/binding"),
            json!({"target": {"name": "n1"}}),
        )
        .await;
    let event = w.next().await;
    assert_eq!(event["object"]["spec"]["nodeName"], "n1");
    assert_eq!(
        event["object"]["status"]["conditions"][0]["type"],
        "PodScheduled"
    );
    assert!(
        w.next_within(std::time::Duration::from_millis(300))
            .await
            .is_none(),
        "one event, not two"
    );
}

#[tokio::test]
async fn a_watch_whose_client_left_is_cleaned_up_even_if_nothing_matches() {
    let s = TestServer::start(common::Backend::Memory, 100)
        .await
        .expect("server");
    let w = s
        .api
        .watch(&format!(
            "{CMS}?watch=true&fieldSelector=metadata.name%3Dnothing"
        ))
        .await;
    drop(w);
    let mut text = String::new();
    for _ in 0..50 {
        let (_, body) = s.api.raw("GET", "/metrics", "", vec![]).await;
        text = String::from_utf8(body).unwrap();
        if text.contains("apiserver_registered_watchers{resource=\"configmaps\"} 0") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the watcher was never cleaned up:\n{text}");
}
