//! Server-side apply and managedFields over HTTP, on both stores: apply creates and merges,
//! an unchanged re-apply writes nothing, dropped fields go, managers conflict (409, upstream's
//! words) unless forced or agreeing, every write records its manager, and `fieldValidation`
//! covers every patch type.

mod common;

use common::TestServer;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

api_suite!(window = 10_000;
    apply_creates_and_an_unchanged_reapply_keeps_the_resource_version,
    apply_without_a_field_removes_it,
    another_managers_field_conflicts_with_upstreams_message_and_causes,
    force_takes_ownership_and_an_equal_value_is_shared,
    every_write_records_its_manager_in_managed_fields,
    managed_fields_sent_by_a_client_are_kept_and_an_empty_entry_clears_them,
    apply_needs_a_field_manager_and_force_needs_apply,
    apply_refuses_unknown_fields_wrong_kinds_and_items_without_keys,
    field_validation_covers_merge_strategic_and_json_patches,
    a_failed_json_patch_test_is_upstreams_generic_422,
    apply_through_status_owns_only_status,
);

const DEPLOYS: &str = "/apis/apps/v1/namespaces/default/deployments";
const CMS: &str = "/api/v1/namespaces/default/configmaps";
const APPLY: &str = "application/apply-patch+yaml";

/// One request with a body type and extra headers; answers status, headers and JSON body.
async fn send(
    s: &TestServer,
    method: &str,
    path: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, hyper::HeaderMap, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(format!("{}{}", s.api.base, path))
        .header("content-type", content_type);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request");
    let resp = client.request(req).await.expect("answered");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, value)
}

/// `PATCH ... application/apply-patch+yaml` with `query` (e.g. `fieldManager=kubectl`).
async fn apply(s: &TestServer, path: &str, query: &str, config: &str) -> (u16, Value) {
    let (code, _, body) = send(s, "PATCH", &format!("{path}?{query}"), APPLY, &[], config).await;
    (code, body)
}

/// Create `web` (2 replicas of nginx) by server-side apply as the manager `kubectl`.
async fn create_web_by_apply(s: &TestServer, web: &str) {
    let (code, body) = apply(s, web, "fieldManager=kubectl", &deployment_yaml(2, "nginx")).await;
    assert_eq!(code, 201, "{body}");
}

fn deployment_yaml(replicas: i64, image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: {image}
"
    )
}

/// The managedFields entry of `manager` (and `operation`), if any.
fn entry<'a>(obj: &'a Value, manager: &str, operation: &str) -> Option<&'a Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
}

fn owns(obj: &Value, manager: &str, operation: &str, pointer: &str) -> bool {
    entry(obj, manager, operation)
        .and_then(|e| e["fieldsV1"].pointer(pointer))
        .is_some()
}

async fn apply_creates_and_an_unchanged_reapply_keeps_the_resource_version(s: &TestServer) {
    let web = format!("{DEPLOYS}/web");
    let (code, created) = apply(
        s,
        &web,
        "fieldManager=kubectl&force=false",
        &deployment_yaml(2, "nginx"),
    )
    .await;
    assert_eq!(code, 201, "apply to a missing object creates it: {created}");
    assert_eq!(created["spec"]["replicas"], 2);
    assert_eq!(created["metadata"]["generation"], 1);
    let e = entry(&created, "kubectl", "Apply").expect("the applier's entry");
    assert_eq!(e["apiVersion"], "apps/v1");
    assert_eq!(e["fieldsType"], "FieldsV1");
    assert_eq!(
        e["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}})
    );

    // The same configuration again, in JSON this time (kubectl sends JSON): nothing to write.
    let config: Value = serde_yaml::from_str(&deployment_yaml(2, "nginx")).expect("yaml");
    let (code, again) = apply(s, &web, "fieldManager=kubectl", &config.to_string()).await;
    assert_eq!(code, 200);
    assert_eq!(
        again["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    assert_eq!(again, created);

    // A change is merged and written.
    let (code, changed) = apply(
        s,
        &web,
        "fieldManager=kubectl",
        &deployment_yaml(3, "nginx:2"),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(changed["spec"]["replicas"], 3);
    assert_eq!(
        changed["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:2"
    );
    assert_eq!(changed["metadata"]["generation"], 2);
    assert_ne!(
        changed["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
}

async fn apply_without_a_field_removes_it(s: &TestServer) {
    let c = format!("{CMS}/c");
    let first = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {team: a}\ndata:\n  a: '1'\n  b: '2'\n";
    assert_eq!(apply(s, &c, "fieldManager=ops", first).await.0, 201);
    // Someone else sets c; ops then stops sending b and its label.
    let (code, _) = s
        .api
        .merge_patch(
            &format!("{c}?fieldManager=other"),
            json!({"data": {"c": "3"}}),
        )
        .await;
    assert_eq!(code, 200);
    let second = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n";
    let (code, cm) = apply(s, &c, "fieldManager=ops", second).await;
    assert_eq!(code, 200, "{cm}");
    assert_eq!(
        cm["data"],
        json!({"a": "1", "c": "3"}),
        "b is gone, c (not ops') stays"
    );
    assert!(cm["metadata"].get("labels").is_none(), "{cm}");
    assert_eq!(
        entry(&cm, "ops", "Apply").expect("ops")["fieldsV1"],
        json!({"f:data": {"f:a": {}}})
    );
}

async fn another_managers_field_conflicts_with_upstreams_message_and_causes(s: &TestServer) {
    let web = format!("{DEPLOYS}/web");
    // Created by client-side apply: kubectl-client-side-apply owns everything it sent.
    let body: Value = serde_yaml::from_str(&deployment_yaml(2, "nginx")).expect("yaml");
    let (code, _, _) = send(
        s,
        "POST",
        &format!("{DEPLOYS}?fieldManager=kubectl-client-side-apply"),
        "application/json",
        &[],
        &body.to_string(),
    )
    .await;
    assert_eq!(code, 201);
    let before = s.api.get(&web).await.1;

    let (code, status) = apply(
        s,
        &web,
        "fieldManager=ops&force=false",
        &deployment_yaml(3, "nginx"),
    )
    .await;
    assert_eq!(code, 409, "{status}");
    assert_eq!(status["reason"], "Conflict");
    assert_eq!(
        status["message"],
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
    );
    assert_eq!(
        status["details"]["causes"],
        json!([{"reason": "FieldManagerConflict", "message": "conflict with \"kubectl-client-side-apply\" using apps/v1", "field": ".spec.replicas"}])
    );
    assert_eq!(s.api.get(&web).await.1, before, "a conflict writes nothing");

    // Two conflicting fields are listed by manager.
    let (code, status) = apply(s, &web, "fieldManager=ops", &deployment_yaml(3, "nginx:2")).await;
    assert_eq!(code, 409);
    assert_eq!(
        status["message"],
        "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image"
    );
}

async fn force_takes_ownership_and_an_equal_value_is_shared(s: &TestServer) {
    let web = format!("{DEPLOYS}/web");
    create_web_by_apply(s, &web).await;
    // kubectl scale: a merge patch of the Scale, manager from the User-Agent.
    let (code, _, _) = send(
        s,
        "PATCH",
        &format!("{web}/scale"),
        "application/merge-patch+json",
        &[("user-agent", "kubectl/v1.32.5 (linux/amd64) kubernetes/abc")],
        r#"{"spec":{"replicas":5}}"#,
    )
    .await;
    assert_eq!(code, 200);
    let scaled = s.api.get(&web).await.1;
    assert!(owns(&scaled, "kubectl", "Update", "/f:spec/f:replicas"));
    assert_eq!(
        entry(&scaled, "kubectl", "Update").expect("scaler")["subresource"],
        "scale"
    );
    assert!(
        !owns(&scaled, "kubectl", "Apply", "/f:spec/f:replicas"),
        "the scale took replicas"
    );

    let (code, status) = apply(
        s,
        &web,
        "fieldManager=kubectl",
        &deployment_yaml(3, "nginx"),
    )
    .await;
    assert_eq!(code, 409);
    assert_eq!(
        status["message"],
        "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"
    );

    // Agreeing with the current value: no conflict, both own it.
    let (code, shared) = apply(s, &web, "fieldManager=other", &deployment_yaml(5, "nginx")).await;
    assert_eq!(code, 200, "{shared}");
    assert!(owns(&shared, "other", "Apply", "/f:spec/f:replicas"));
    assert!(owns(&shared, "kubectl", "Update", "/f:spec/f:replicas"));

    // Forcing takes the field from everyone else.
    let (code, forced) = apply(
        s,
        &web,
        "fieldManager=kubectl&force=true",
        &deployment_yaml(3, "nginx"),
    )
    .await;
    assert_eq!(code, 200, "{forced}");
    assert_eq!(forced["spec"]["replicas"], 3);
    assert!(owns(&forced, "kubectl", "Apply", "/f:spec/f:replicas"));
    assert!(!owns(&forced, "other", "Apply", "/f:spec/f:replicas"));
    assert!(
        entry(&forced, "kubectl", "Update").is_none(),
        "the scaler owned nothing else"
    );
}

async fn every_write_records_its_manager_in_managed_fields(s: &TestServer) {
    let kubectl = [("user-agent", "kubectl/v1.32.5 (linux/amd64) kubernetes/abc")];
    let (code, _, created) = send(
        s,
        "POST",
        &format!("{CMS}?fieldManager=kubectl-create"),
        "application/json",
        &kubectl,
        r#"{"metadata":{"name":"m","labels":{"a":"1"}},"data":{"k":"v"}}"#,
    )
    .await;
    assert_eq!(code, 201);
    let e = entry(&created, "kubectl-create", "Update").expect("creator");
    assert_eq!(e["apiVersion"], "v1");
    assert!(e["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        e["fieldsV1"],
        json!({"f:data": {".": {}, "f:k": {}}, "f:metadata": {"f:labels": {".": {}, "f:a": {}}}})
    );

    // An update without fieldManager: the manager is the User-Agent's product.
    let mut cm = created.clone();
    cm["data"]["k"] = json!("w");
    let (code, _, updated) = send(
        s,
        "PUT",
        &format!("{CMS}/m"),
        "application/json",
        &kubectl,
        &cm.to_string(),
    )
    .await;
    assert_eq!(code, 200);
    assert!(owns(&updated, "kubectl", "Update", "/f:data/f:k"));
    assert!(
        !owns(&updated, "kubectl-create", "Update", "/f:data/f:k"),
        "the updater took k"
    );

    // Patches of every format record their writer too.
    let (code, _, patched) = send(
        s,
        "PATCH",
        &format!("{CMS}/m?fieldManager=kubectl-label"),
        "application/merge-patch+json",
        &[],
        r#"{"metadata":{"labels":{"b":"2"}}}"#,
    )
    .await;
    assert_eq!(code, 200);
    assert!(owns(
        &patched,
        "kubectl-label",
        "Update",
        "/f:metadata/f:labels/f:b"
    ));
    let (code, _, patched) = send(
        s,
        "PATCH",
        &format!("{CMS}/m?fieldManager=kubectl-patch"),
        "application/json-patch+json",
        &[],
        r#"[{"op":"add","path":"/data/j","value":"x"}]"#,
    )
    .await;
    assert_eq!(code, 200);
    assert!(owns(&patched, "kubectl-patch", "Update", "/f:data/f:j"));

    // A write that changes nothing changes no time and no resourceVersion.
    let (code, _, same) = send(
        s,
        "PATCH",
        &format!("{CMS}/m?fieldManager=someone"),
        "application/merge-patch+json",
        &[],
        r#"{"data":{"j":"x"}}"#,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(same, patched);

    // A status write is recorded with `subresource: status` and owns only status.
    let pods = "/api/v1/namespaces/default/pods";
    let pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    let (code, _) = s
        .api
        .post(&format!("{pods}?fieldManager=kubectl-create"), pod)
        .await;
    assert_eq!(code, 201);
    let (code, _, status) = send(
        s,
        "PATCH",
        &format!("{pods}/p/status?fieldManager=kubelet"),
        "application/merge-patch+json",
        &[],
        r#"{"status":{"phase":"Running"}}"#,
    )
    .await;
    assert_eq!(code, 200);
    let kubelet = entry(&status, "kubelet", "Update").expect("the status writer");
    assert_eq!(kubelet["subresource"], "status");
    assert_eq!(kubelet["fieldsV1"], json!({"f:status": {"f:phase": {}}}));
    assert!(
        entry(&status, "kubectl-create", "Update").expect("creator")["fieldsV1"]
            .get("f:status")
            .is_none(),
        "a create does not own the status the server set"
    );
}

async fn managed_fields_sent_by_a_client_are_kept_and_an_empty_entry_clears_them(s: &TestServer) {
    let (code, created) = s
        .api
        .post(
            &format!("{CMS}?fieldManager=a"),
            json!({"metadata": {"name": "r"}, "data": {"k": "v"}}),
        )
        .await;
    assert_eq!(code, 201);
    assert!(entry(&created, "a", "Update").is_some());
    let (code, cleared) = s
        .api
        .merge_patch(
            &format!("{CMS}/r?fieldManager=b"),
            json!({"metadata": {"managedFields": [{}]}}),
        )
        .await;
    assert_eq!(code, 200);
    assert!(
        cleared["metadata"].get("managedFields").is_none(),
        "{cleared}"
    );
    // An untracked object stays untracked by updates...
    let (_, updated) = s
        .api
        .merge_patch(
            &format!("{CMS}/r?fieldManager=b"),
            json!({"data": {"k": "w"}}),
        )
        .await;
    assert!(updated["metadata"].get("managedFields").is_none());
    // ... until someone applies: what was there gets the owner `before-first-apply`.
    let (code, applied) = apply(
        s,
        &format!("{CMS}/r"),
        "fieldManager=ops",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\ndata: {x: '1'}\n",
    )
    .await;
    assert_eq!(code, 200, "{applied}");
    assert!(owns(
        &applied,
        "before-first-apply",
        "Update",
        "/f:data/f:k"
    ));
    assert!(owns(&applied, "ops", "Apply", "/f:data/f:x"));
}

async fn apply_needs_a_field_manager_and_force_needs_apply(s: &TestServer) {
    let (code, status) = apply(
        s,
        &format!("{CMS}/x"),
        "",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .await;
    assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")));
    assert_eq!(
        status["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
    );
    let (code, status) = s
        .api
        .merge_patch(&format!("{CMS}/x?force=true"), json!({}))
        .await;
    assert_eq!(code, 422);
    assert_eq!(
        status["message"],
        "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"
    );
    assert_eq!(
        s.api.get(&format!("{CMS}/x")).await.0,
        404,
        "nothing was created"
    );
}

async fn apply_refuses_unknown_fields_wrong_kinds_and_items_without_keys(s: &TestServer) {
    let web = format!("{DEPLOYS}/web");
    let typo = deployment_yaml(1, "nginx").replace("replicas:", "replicaz:");
    // Unknown fields are refused whatever fieldValidation says: the kind's schema decides.
    let (code, status) = apply(
        s,
        &web,
        "fieldManager=kubectl&fieldValidation=Ignore",
        &typo,
    )
    .await;
    assert_eq!(code, 400);
    assert_eq!(
        status["message"],
        "failed to create typed patch object (/web; apps/v1, Kind=Deployment): .spec.replicaz: field not declared in schema"
    );
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n";
    let (code, status) = apply(s, &web, "fieldManager=kubectl", service).await;
    assert_eq!(code, 400);
    assert_eq!(status["message"], "invalid object type: /v1, Kind=Service");
    let nameless = deployment_yaml(1, "nginx").replace("- name: web\n        image", "- image");
    let (code, status) = apply(s, &web, "fieldManager=kubectl", &nameless).await;
    assert_eq!(code, 400);
    assert!(status["message"].as_str().unwrap_or("").ends_with(
        ".spec.template.spec.containers: element 0: associative list with keys has an element that omits key field \"name\" (and doesn't have default value)"
    ), "{status}");
    let (code, _) = apply(s, &web, "fieldManager=kubectl", "spec: [unclosed").await;
    assert_eq!(code, 400);
    assert_eq!(s.api.get(&web).await.0, 404, "nothing was created");
}

async fn field_validation_covers_merge_strategic_and_json_patches(s: &TestServer) {
    let (code, _) = s
        .api
        .post(CMS, json!({"metadata": {"name": "v"}, "data": {"k": "v"}}))
        .await;
    assert_eq!(code, 201);
    let path = format!("{CMS}/v");
    let merge = r#"{"bogus":1}"#;

    let (code, _, status) = send(
        s,
        "PATCH",
        &format!("{path}?fieldValidation=Strict"),
        "application/strategic-merge-patch+json",
        &[],
        merge,
    )
    .await;
    assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")));
    assert_eq!(
        status["message"],
        " \"\" is invalid: patch: Invalid value: \"map[bogus:1]\": strict decoding error: unknown field \"bogus\""
    );
    let (code, _, status) = send(
        s,
        "PATCH",
        &format!("{path}?fieldValidation=Strict"),
        "application/merge-patch+json",
        &[],
        merge,
    )
    .await;
    assert_eq!(code, 422);
    let message = status["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with(" \"\" is invalid: patch: Invalid value: \"{"),
        "{message}"
    );
    assert!(
        message.ends_with("\": strict decoding error: unknown field \"bogus\""),
        "{message}"
    );
    let (code, _, _) = send(
        s,
        "PATCH",
        &format!("{path}?fieldValidation=Strict"),
        "application/json-patch+json",
        &[],
        r#"[{"op":"add","path":"/bogus","value":1}]"#,
    )
    .await;
    assert_eq!(code, 422);

    // Warn (the default): accepted, with the warning kubectl prints.
    let (code, headers, _) = send(
        s,
        "PATCH",
        &format!("{path}?fieldValidation=Warn"),
        "application/merge-patch+json",
        &[],
        merge,
    )
    .await;
    assert_eq!(code, 200);
    let warnings: Vec<&str> = headers
        .get_all("warning")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(warnings, ["299 - \"unknown field \\\"bogus\\\"\""]);

    // Ignore: accepted quietly; the unknown field is dropped either way.
    let (code, headers, cm) = send(
        s,
        "PATCH",
        &format!("{path}?fieldValidation=Ignore"),
        "application/json-patch+json",
        &[],
        r#"[{"op":"add","path":"/bogus","value":1}]"#,
    )
    .await;
    assert_eq!(code, 200);
    assert!(headers.get("warning").is_none());
    assert!(cm.get("bogus").is_none());
}

async fn a_failed_json_patch_test_is_upstreams_generic_422(s: &TestServer) {
    let (code, _) = s
        .api
        .post(CMS, json!({"metadata": {"name": "t"}, "data": {"k": "v"}}))
        .await;
    assert_eq!(code, 201);
    let (code, _, status) = send(s, "PATCH", &format!("{CMS}/t"), "application/json-patch+json", &[],
        r#"[{"op":"test","path":"/data/k","value":"other"},{"op":"replace","path":"/data/k","value":"x"}]"#).await;
    assert_eq!(code, 422);
    assert_eq!(
        status,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "the server rejected our request due to an error in our request",
            "reason": "Invalid", "code": 422})
    );
    assert_eq!(s.api.get(&format!("{CMS}/t")).await.1["data"]["k"], "v");
}

async fn apply_through_status_owns_only_status(s: &TestServer) {
    let web = format!("{DEPLOYS}/web");
    create_web_by_apply(s, &web).await;
    let status = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 9}\nstatus: {replicas: 2}\n";
    let (code, obj) = apply(
        s,
        &format!("{web}/status"),
        "fieldManager=controller",
        status,
    )
    .await;
    assert_eq!(code, 200, "{obj}");
    assert_eq!(obj["status"]["replicas"], 2);
    assert_eq!(
        obj["spec"]["replicas"], 2,
        "status writes change only status"
    );
    let e = entry(&obj, "controller", "Apply").expect("the status applier");
    assert_eq!(e["subresource"], "status");
    assert_eq!(e["fieldsV1"], json!({"f:status": {"f:replicas": {}}}));
    // Applying status to a missing object is a 404, not a create.
    let (code, _) = apply(
        s,
        &format!("{DEPLOYS}/nope/status"),
        "fieldManager=controller",
        &status.replace("web", "nope"),
    )
    .await;
    assert_eq!(code, 404);
}
