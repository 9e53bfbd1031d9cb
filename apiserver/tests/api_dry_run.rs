//! Server-side dry run (`?dryRun=All`): every check a real write makes, and nothing stored.

mod common;

use common::TestServer;
use serde_json::{json, Value};

api_suite!(window = 10_000;
    a_dry_run_create_answers_as_a_create_and_stores_nothing,
    a_dry_run_create_fails_as_a_real_one_would,
    dry_run_updates_patches_and_deletes_change_nothing,
    a_dry_run_service_gets_an_address_and_keeps_none,
);

const CMS: &str = "/api/v1/namespaces/default/configmaps";
const PODS: &str = "/api/v1/namespaces/default/pods";

async fn dry(s: &TestServer, method: &str, path: &str, body: Value) -> (u16, Value) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let content_type = match method {
        "PATCH" => "application/merge-patch+json",
        _ => "application/json",
    };
    s.api
        .call_as(
            method,
            &format!("{path}{sep}dryRun=All"),
            content_type,
            Some(body),
        )
        .await
}

async fn a_dry_run_create_answers_as_a_create_and_stores_nothing(s: &TestServer) {
    let before = s.storage.current_revision().await.unwrap();
    let pod = json!({"metadata": {"name": "web"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
    let (code, created) = dry(s, "POST", PODS, pod).await;
    assert_eq!(code, 201, "{created}");
    // Defaulted and prepared exactly as a real create would be...
    assert_eq!(created["spec"]["restartPolicy"], "Always");
    assert_eq!(created["status"]["phase"], "Pending");
    assert!(created["metadata"]["uid"].is_string(), "{created}");
    // ...but never stored: no resourceVersion, no object, no new revision.
    assert!(
        created["metadata"].get("resourceVersion").is_none(),
        "{created}"
    );
    assert_eq!(s.api.get(&format!("{PODS}/web")).await.0, 404);
    assert_eq!(s.storage.current_revision().await.unwrap(), before);
}

async fn a_dry_run_create_fails_as_a_real_one_would(s: &TestServer) {
    s.api
        .post(CMS, json!({"metadata": {"name": "there"}}))
        .await;
    let (code, err) = dry(s, "POST", CMS, json!({"metadata": {"name": "there"}})).await;
    assert_eq!(
        (code, err["reason"].as_str()),
        (409, Some("AlreadyExists")),
        "{err}"
    );
    let no_image = json!({"metadata": {"name": "bad"}, "spec": {"containers": [{"name": "c"}]}});
    let (code, err) = dry(s, "POST", PODS, no_image).await;
    assert_eq!(code, 422, "{err}");
    assert_eq!(
        err["message"],
        "Pod \"bad\" is invalid: spec.containers[0].image: Required value"
    );
    let (code, err) = dry(
        s,
        "POST",
        "/api/v1/namespaces/nowhere/configmaps",
        json!({"metadata": {"name": "x"}}),
    )
    .await;
    assert_eq!(code, 404, "{err}");
}

async fn dry_run_updates_patches_and_deletes_change_nothing(s: &TestServer) {
    let (_, cm) = s
        .api
        .post(
            CMS,
            json!({"metadata": {"name": "cfg"}, "data": {"k": "v1"}}),
        )
        .await;
    let path = format!("{CMS}/cfg");
    let rv = cm["metadata"]["resourceVersion"].clone();

    let mut changed = cm.clone();
    changed["data"]["k"] = json!("v2");
    let (code, answer) = dry(s, "PUT", &path, changed.clone()).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["data"]["k"], "v2", "the answer shows the change");
    let (code, answer) = dry(s, "PATCH", &path, json!({"data": {"k": "v3"}})).await;
    assert_eq!(
        (code, &answer["data"]["k"]),
        (200, &json!("v3")),
        "{answer}"
    );
    let (code, answer) = dry(s, "DELETE", &path, json!({})).await;
    assert_eq!(code, 200, "{answer}");

    let (_, now) = s.api.get(&path).await;
    assert_eq!(
        (&now["data"]["k"], &now["metadata"]["resourceVersion"]),
        (&json!("v1"), &rv)
    );

    // A stale resourceVersion is a conflict in a dry run too.
    changed["metadata"]["resourceVersion"] = json!("1");
    let (code, err) = dry(s, "PUT", &path, changed).await;
    assert_eq!(
        (code, err["reason"].as_str()),
        (409, Some("Conflict")),
        "{err}"
    );
}

async fn a_dry_run_service_gets_an_address_and_keeps_none(s: &TestServer) {
    let svc =
        json!({"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}], "type": "NodePort"}});
    let services = "/api/v1/namespaces/default/services";
    let (code, answer) = dry(s, "POST", services, svc.clone()).await;
    assert_eq!(code, 201, "{answer}");
    assert!(
        answer["spec"]["clusterIP"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("10.")),
        "{answer}"
    );
    assert!(answer["spec"]["ports"][0]["nodePort"].is_u64(), "{answer}");
    // Nothing was claimed: the dry-run address is still free for anyone to take.
    let ip = answer["spec"]["clusterIP"].clone();
    let mut pinned = svc;
    pinned["spec"]["clusterIP"] = ip.clone();
    let (code, real) = s.api.post(services, pinned).await;
    assert_eq!(code, 201, "{real}");
    assert_eq!(real["spec"]["clusterIP"], ip);
}
