//! Namespaces over HTTP, on both stores: born `Active` with the `kubernetes` finalizer,
//! deleted in two phases (`Terminating`, then gone once finalized through
//! `namespaces/NAME/finalize`), refusing new content while terminating, and offering no
//! deletecollection. Upstream: `pkg/registry/core/namespace/storage/storage.go` and the
//! NamespaceLifecycle admission plugin.

mod common;

use common::TestServer;
use serde_json::{json, Value};

api_suite!(window = 10_000;
    a_new_namespace_is_active_with_the_kubernetes_finalizer_and_its_name_label,
    a_deleted_namespace_terminates_refuses_new_content_and_goes_once_finalized,
    metadata_finalizers_hold_a_finalized_namespace_too,
    finalize_replaces_only_spec_finalizers_and_checks_what_it_is_sent,
    namespaces_offer_no_deletecollection_and_discovery_says_so,
    updates_keep_spec_finalizers_and_never_end_a_namespace_they_hold,
);

const NS: &str = "/api/v1/namespaces";

/// Assert a Status with `code` and `reason`, and return it.
fn status(got: &(u16, Value), code: u16, reason: &str) -> Value {
    assert_eq!(got.0, code, "{}", got.1);
    assert_eq!(got.1["kind"], "Status", "{}", got.1);
    assert_eq!(got.1["reason"], reason, "{}", got.1);
    got.1.clone()
}

/// A namespace DELETE that did not remove it: answered 200 with the namespace, as upstream.
fn marked(got: &(u16, Value)) -> Value {
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(got.1["kind"], "Namespace", "{}", got.1);
    got.1.clone()
}

async fn create_ns(s: &TestServer, name: &str) -> Value {
    let (code, ns) = s.api.post(NS, json!({"metadata": {"name": name}})).await;
    assert_eq!(code, 201, "{ns}");
    ns
}

async fn finalize(s: &TestServer, name: &str, finalizers: Value) -> (u16, Value) {
    s.api
        .put(
            &format!("{NS}/{name}/finalize"),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
                   "spec": {"finalizers": finalizers}}),
        )
        .await
}

async fn a_new_namespace_is_active_with_the_kubernetes_finalizer_and_its_name_label(
    s: &TestServer,
) {
    // Whatever status and finalizers the client sends, the server decides the start.
    let (code, ns) = s
        .api
        .post(
            NS,
            json!({"metadata": {"name": "team-a"}, "spec": {"finalizers": ["example.com/x"]},
                   "status": {"phase": "Terminating"}}),
        )
        .await;
    assert_eq!(code, 201, "{ns}");
    assert_eq!(ns["status"], json!({"phase": "Active"}));
    assert_eq!(
        ns["spec"]["finalizers"],
        json!(["example.com/x", "kubernetes"])
    );
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team-a"
    );
    let (_, bootstrapped) = s.api.get(&format!("{NS}/default")).await;
    assert_eq!(bootstrapped["spec"], json!({"finalizers": ["kubernetes"]}));

    // The name label cannot be changed, and a bad finalizer name is refused.
    let (code, ns) = s
        .api
        .merge_patch(
            &format!("{NS}/team-a"),
            json!({"metadata": {"labels": {"kubernetes.io/metadata.name": "other"}}}),
        )
        .await;
    assert_eq!(code, 200, "{ns}");
    assert_eq!(
        ns["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "team-a"
    );
    let got = s
        .api
        .post(
            NS,
            json!({"metadata": {"name": "bad"}, "spec": {"finalizers": ["cleanup"]}}),
        )
        .await;
    let st = status(&got, 422, "Invalid");
    assert_eq!(
        st["message"],
        "Namespace \"bad\" is invalid: spec.finalizers: Invalid value: \"cleanup\": name is neither a standard finalizer name nor is it fully qualified"
    );
}

async fn a_deleted_namespace_terminates_refuses_new_content_and_goes_once_finalized(
    s: &TestServer,
) {
    create_ns(s, "doomed").await;
    let cms = "/api/v1/namespaces/doomed/configmaps";
    let (code, _) = s.api.post(cms, json!({"metadata": {"name": "old"}})).await;
    assert_eq!(code, 201);

    // The first DELETE marks it; nothing is removed.
    let ns = marked(&s.api.delete(&format!("{NS}/doomed")).await);
    assert_eq!(ns["status"]["phase"], "Terminating");
    assert!(ns["metadata"]["deletionTimestamp"].is_string(), "{ns}");
    assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
    let (code, stored) = s.api.get(&format!("{NS}/doomed")).await;
    assert_eq!(
        (code, &stored["status"]["phase"]),
        (200, &json!("Terminating"))
    );

    // Nothing new may move in, at once (no waiting for the watch cache) ...
    let got = s.api.post(cms, json!({"metadata": {"name": "new"}})).await;
    let st = status(&got, 403, "Forbidden");
    assert_eq!(
        st["message"],
        "configmaps \"new\" is forbidden: unable to create new content in namespace doomed because it is being terminated"
    );
    assert_eq!(
        st["details"]["causes"],
        json!([{"reason": "NamespaceTerminating", "message": "namespace doomed is being terminated",
                "field": "metadata.namespace"}])
    );
    // ... but what is there may still change and go: the namespace controller needs that.
    let (code, _) = s
        .api
        .merge_patch(&format!("{cms}/old"), json!({"data": {"a": "1"}}))
        .await;
    assert_eq!(code, 200);

    // A second DELETE changes nothing while spec.finalizers holds it.
    let again = marked(&s.api.delete(&format!("{NS}/doomed")).await);
    assert_eq!(
        again["metadata"]["resourceVersion"],
        stored["metadata"]["resourceVersion"]
    );
    // The immortal namespaces stay immortal.
    status(
        &s.api.delete(&format!("{NS}/kube-system")).await,
        403,
        "Forbidden",
    );

    // Finalizing with no finalizers left deletes it for real.
    let (code, last) = finalize(s, "doomed", json!([])).await;
    assert_eq!(code, 200, "{last}");
    assert_eq!(last["spec"], json!({}));
    status(&s.api.get(&format!("{NS}/doomed")).await, 404, "NotFound");
    // Its name is free again, and the new namespace is Active.
    let reborn = create_ns(s, "doomed").await;
    assert_eq!(reborn["status"]["phase"], "Active");
    let (code, _) = s.api.post(cms, json!({"metadata": {"name": "new"}})).await;
    assert_eq!(code, 201);
}

async fn metadata_finalizers_hold_a_finalized_namespace_too(s: &TestServer) {
    let (code, _) = s
        .api
        .post(
            NS,
            json!({"metadata": {"name": "held", "finalizers": ["example.com/hold"]}}),
        )
        .await;
    assert_eq!(code, 201);
    let path = format!("{NS}/held");
    let ns = marked(
        &s.api
            .call(
                "DELETE",
                &path,
                Some(json!({"propagationPolicy": "Orphan"})),
            )
            .await,
    );
    assert_eq!(
        ns["metadata"]["finalizers"],
        json!(["example.com/hold", "orphan"])
    );
    // spec.finalizers empty, metadata.finalizers not: still there, still Terminating.
    let (code, ns) = finalize(s, "held", json!([])).await;
    assert_eq!(code, 200, "{ns}");
    let (code, ns) = s.api.get(&path).await;
    assert_eq!((code, &ns["status"]["phase"]), (200, &json!("Terminating")));
    // Now an ordinary DELETE can change the garbage collector's finalizer ...
    let ns = marked(
        &s.api
            .call(
                "DELETE",
                &path,
                Some(json!({"propagationPolicy": "Background"})),
            )
            .await,
    );
    assert_eq!(ns["metadata"]["finalizers"], json!(["example.com/hold"]));
    // ... and removing the last finalizer deletes it.
    let (code, _) = s
        .api
        .merge_patch(&path, json!({"metadata": {"finalizers": null}}))
        .await;
    assert_eq!(code, 200);
    status(&s.api.get(&path).await, 404, "NotFound");
}

async fn finalize_replaces_only_spec_finalizers_and_checks_what_it_is_sent(s: &TestServer) {
    create_ns(s, "fin").await;
    // On a namespace that is not being deleted, finalize just replaces the list ...
    let (code, ns) = s
        .api
        .put(
            &format!("{NS}/fin/finalize"),
            json!({"metadata": {"name": "fin", "labels": {"ignored": "yes"}},
                   "spec": {"finalizers": ["example.com/x"]}, "status": {"phase": "Terminating"}}),
        )
        .await;
    assert_eq!(code, 200, "{ns}");
    assert_eq!(ns["spec"]["finalizers"], json!(["example.com/x"]));
    // ... and nothing else: not the labels, not the status.
    assert_eq!(ns["status"]["phase"], "Active");
    assert!(ns["metadata"]["labels"].get("ignored").is_none(), "{ns}");
    let rv = ns["metadata"]["resourceVersion"].clone();

    // A dry run answers as the write would, and writes nothing.
    let (code, ns) = s
        .api
        .put(
            &format!("{NS}/fin/finalize?dryRun=All"),
            json!({"metadata": {"name": "fin"}, "spec": {"finalizers": ["example.com/y"]}}),
        )
        .await;
    assert_eq!(code, 200, "{ns}");
    assert_eq!(ns["spec"]["finalizers"], json!(["example.com/y"]));
    let (_, stored) = s.api.get(&format!("{NS}/fin")).await;
    assert_eq!(stored["spec"]["finalizers"], json!(["example.com/x"]));
    let got = s
        .api
        .put(
            &format!("{NS}/fin/finalize?dryRun=Maybe"),
            json!({"metadata": {"name": "fin"}, "spec": {}}),
        )
        .await;
    status(&got, 422, "Invalid");

    // The same list again writes nothing.
    let (_, same) = finalize(s, "fin", json!(["example.com/x"])).await;
    assert_eq!(same["metadata"]["resourceVersion"], rv);

    // Bad input gets its Status.
    let st = status(
        &finalize(s, "fin", json!(["cleanup"])).await,
        422,
        "Invalid",
    );
    assert_eq!(st["details"]["causes"][0]["field"], "spec.finalizers[0]");
    let got = s
        .api
        .put(
            &format!("{NS}/fin/finalize"),
            json!({"metadata": {"name": "other"}, "spec": {}}),
        )
        .await;
    status(&got, 400, "BadRequest");
    let got = s
        .api
        .put(
            &format!("{NS}/fin/finalize"),
            json!({"metadata": {"name": "fin", "resourceVersion": "1"}, "spec": {}}),
        )
        .await;
    status(&got, 409, "Conflict");
    status(&finalize(s, "nowhere", json!([])).await, 404, "NotFound");
    for method in ["GET", "PATCH", "DELETE", "POST"] {
        let got = s
            .api
            .call(method, &format!("{NS}/fin/finalize"), Some(json!({})))
            .await;
        status(&got, 405, "MethodNotAllowed");
    }
    let (_, ns) = s.api.get(&format!("{NS}/fin")).await;
    assert_eq!(ns["spec"]["finalizers"], json!(["example.com/x"]));
}

async fn namespaces_offer_no_deletecollection_and_discovery_says_so(s: &TestServer) {
    create_ns(s, "survivor").await;
    let got = s.api.delete(NS).await;
    let st = status(&got, 405, "MethodNotAllowed");
    assert_eq!(
        st["message"],
        "the server does not allow this method on the requested resource"
    );
    let (code, _) = s.api.get(&format!("{NS}/survivor")).await;
    assert_eq!(code, 200, "nothing was deleted");

    let (_, core) = s.api.get("/api/v1").await;
    let entry = |name: &str| {
        core["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|e| e["name"] == name).cloned())
            .unwrap_or_else(|| panic!("{name} in /api/v1"))
    };
    let verbs = entry("namespaces")["verbs"].clone();
    assert!(!verbs
        .as_array()
        .expect("verbs")
        .contains(&json!("deletecollection")));
    let finalize = entry("namespaces/finalize");
    assert_eq!(
        (&finalize["kind"], &finalize["verbs"]),
        (&json!("Namespace"), &json!(["update"]))
    );
}

async fn updates_keep_spec_finalizers_and_never_end_a_namespace_they_hold(s: &TestServer) {
    create_ns(s, "held").await;
    let path = format!("{NS}/held");
    // Only `finalize` changes spec.finalizers: an update that drops them keeps them.
    let (code, ns) = s
        .api
        .merge_patch(
            &path,
            json!({"spec": {"finalizers": null}, "metadata": {"labels": {"a": "b"}}}),
        )
        .await;
    assert_eq!(code, 200, "{ns}");
    assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(ns["metadata"]["labels"]["a"], "b");
    // Terminating, with no metadata finalizers: an update must not delete it while the
    // `kubernetes` finalizer in its spec still holds it.
    marked(&s.api.delete(&path).await);
    let (code, ns) = s
        .api
        .merge_patch(&path, json!({"metadata": {"labels": {"c": "d"}}}))
        .await;
    assert_eq!(code, 200, "{ns}");
    let (code, ns) = s.api.get(&path).await;
    assert_eq!(code, 200, "still there: {ns}");
    assert_eq!(ns["status"]["phase"], "Terminating");
    assert_eq!(ns["metadata"]["labels"]["c"], "d");
}
