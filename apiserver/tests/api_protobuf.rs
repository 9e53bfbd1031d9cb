//! Protobuf request bodies over HTTP, on both stores: what kubectl's `create configmap|secret|
//! namespace|deployment` send (`Content-Type: application/vnd.kubernetes.protobuf`, `k8s\0` +
//! `runtime.Unknown`) creates the same objects as the JSON for them, updates keep optimistic
//! concurrency, a scheduler-style protobuf Binding binds, and bad bodies get a Status.
//!
//! Bodies are built with the k8s-pb prost structs the way Go writes them: every non-pointer
//! field present even when empty.

mod common;

use common::TestServer;
use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use prost::Message;
use serde_json::{json, Value};
use std::collections::BTreeMap;

api_suite!(window = 10_000;
    protobuf_bodies_create_the_same_objects_as_json,
    a_protobuf_update_replaces_and_a_stale_one_conflicts,
    a_protobuf_binding_assigns_a_node,
    bad_protobuf_bodies_get_a_status_a_person_can_read,
);

const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
const CMS: &str = "/api/v1/namespaces/default/configmaps";
const SECRETS: &str = "/api/v1/namespaces/default/secrets";
const NAMESPACES: &str = "/api/v1/namespaces";
const DEPLOYS: &str = "/apis/apps/v1/namespaces/default/deployments";
const PODS: &str = "/api/v1/namespaces/default/pods";

/// `k8s\0` + `runtime.Unknown { typeMeta, raw }`, as apimachinery's protobuf serializer writes.
fn body(api_version: &str, kind: &str, object: &impl Message) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some(api_version.into()),
            kind: Some(kind.into()),
        }),
        raw: Some(object.encode_to_vec()),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    [b"k8s\0".as_slice(), &unknown.encode_to_vec()].concat()
}

/// A fresh ObjectMeta as Go writes it: empty strings, generation 0, an empty creationTimestamp.
fn go_meta(name: &str, resource_version: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: Some(name.into()),
        generate_name: Some(String::new()),
        namespace: Some(String::new()),
        self_link: Some(String::new()),
        uid: Some(String::new()),
        resource_version: Some(resource_version.into()),
        generation: Some(0),
        creation_timestamp: Some(meta::Time::default()),
        ..Default::default()
    }
}

fn labels(app: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("app".to_string(), app.to_string())])
}

fn configmap(name: &str, resource_version: &str, value: &str) -> core::ConfigMap {
    core::ConfigMap {
        metadata: Some(go_meta(name, resource_version)),
        data: BTreeMap::from([("a".to_string(), value.to_string())]),
        ..Default::default()
    }
}

/// What `kubectl create deployment web --image=nginx --replicas=2` sends, in substance.
fn deployment(name: &str) -> apps::Deployment {
    let container = core::Container {
        name: Some("nginx".into()),
        image: Some("nginx".into()),
        image_pull_policy: Some(String::new()),
        termination_message_path: Some(String::new()),
        termination_message_policy: Some(String::new()),
        stdin: Some(false),
        tty: Some(false),
        resources: Some(core::ResourceRequirements::default()),
        ..Default::default()
    };
    apps::Deployment {
        metadata: Some(meta::ObjectMeta {
            labels: labels(name),
            ..go_meta(name, "")
        }),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(2),
            selector: Some(meta::LabelSelector {
                match_labels: labels(name),
                ..Default::default()
            }),
            template: Some(core::PodTemplateSpec {
                metadata: Some(meta::ObjectMeta {
                    labels: labels(name),
                    ..go_meta("", "")
                }),
                spec: Some(core::PodSpec {
                    containers: vec![container],
                    restart_policy: Some(String::new()),
                    dns_policy: Some(String::new()),
                    host_network: Some(false),
                    scheduler_name: Some(String::new()),
                    ..Default::default()
                }),
            }),
            strategy: Some(apps::DeploymentStrategy::default()),
            min_ready_seconds: Some(0),
            paused: Some(false),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus::default()),
    }
}

/// The JSON kubectl would send for [`deployment`].
fn deployment_json(name: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}}, "strategy": {},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}}},
        "status": {}})
}

/// An object with what differs between two creations (name, uid, times, versions) removed.
fn comparable(mut obj: Value) -> Value {
    if let Some(meta) = obj["metadata"].as_object_mut() {
        for key in [
            "name",
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "labels",
        ] {
            meta.remove(key);
        }
    }
    // The deployment's labels carry its name; compare everything else.
    if let Some(spec) = obj["spec"].as_object_mut() {
        spec.remove("selector");
        if let Some(template) = spec.get_mut("template").and_then(Value::as_object_mut) {
            template.remove("metadata");
        }
    }
    obj
}

async fn protobuf_bodies_create_the_same_objects_as_json(s: &TestServer) {
    let secret = core::Secret {
        metadata: Some(go_meta("pb", "")),
        data: BTreeMap::from([("password".to_string(), b"hunter2".to_vec())]),
        r#type: Some("Opaque".into()),
        ..Default::default()
    };
    let namespace = core::Namespace {
        metadata: Some(go_meta("pb", "")),
        spec: Some(core::NamespaceSpec::default()),
        status: Some(core::NamespaceStatus::default()),
    };
    let cases = [
        (
            CMS,
            body("v1", "ConfigMap", &configmap("pb", "", "b")),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "js"}, "data": {"a": "b"}}),
        ),
        (
            SECRETS,
            body("v1", "Secret", &secret),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "js"},
                "data": {"password": "aHVudGVyMg=="}, "type": "Opaque"}),
        ),
        (
            NAMESPACES,
            body("v1", "Namespace", &namespace),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "js"}, "spec": {}, "status": {}}),
        ),
        (
            DEPLOYS,
            body("apps/v1", "Deployment", &deployment("pb")),
            deployment_json("js"),
        ),
    ];
    for (url, protobuf, json_body) in cases {
        let (code, created) = s.api.raw_json("POST", url, PROTOBUF, &protobuf).await;
        assert_eq!(code, 201, "{url}: {created}");
        assert_eq!(created["metadata"]["name"], "pb");
        let (code, from_json) = s.api.post(url, json_body).await;
        assert_eq!(code, 201, "{url}: {from_json}");

        // Read back (as JSON) both: defaulted and stored alike.
        let (_, pb) = s.api.get(&format!("{url}/pb")).await;
        let (_, js) = s.api.get(&format!("{url}/js")).await;
        assert_eq!(comparable(pb), comparable(js), "{url}");
    }

    // Defaulting saw the absent fields Go sent as "" (imagePullPolicy, restartPolicy, ...).
    let (_, web) = s.api.get(&format!("{DEPLOYS}/pb")).await;
    let pod = &web["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Always", "{web}");
    assert_eq!(pod["containers"][0]["imagePullPolicy"], "Always", "{web}");
    assert_eq!(web["spec"]["replicas"], 2);
    assert!(pod["containers"][0].get("stdin").is_none(), "{web}");
}

async fn a_protobuf_update_replaces_and_a_stale_one_conflicts(s: &TestServer) {
    let (code, v1) = s
        .api
        .raw_json(
            "POST",
            CMS,
            PROTOBUF,
            &body("v1", "ConfigMap", &configmap("c", "", "1")),
        )
        .await;
    assert_eq!(code, 201, "{v1}");
    let rv1 = v1["metadata"]["resourceVersion"]
        .as_str()
        .expect("rv")
        .to_string();

    let update = body("v1", "ConfigMap", &configmap("c", &rv1, "2"));
    let (code, v2) = s
        .api
        .raw_json("PUT", &format!("{CMS}/c"), PROTOBUF, &update)
        .await;
    assert_eq!((code, &v2["data"]["a"]), (200, &json!("2")), "{v2}");
    assert_eq!(v2["metadata"]["uid"], v1["metadata"]["uid"]);

    let stale = body("v1", "ConfigMap", &configmap("c", &rv1, "3"));
    let (code, status) = s
        .api
        .raw_json("PUT", &format!("{CMS}/c"), PROTOBUF, &stale)
        .await;
    assert_eq!(
        (code, &status["reason"]),
        (409, &json!("Conflict")),
        "{status}"
    );
}

async fn a_protobuf_binding_assigns_a_node(s: &TestServer) {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    assert_eq!(s.api.post(PODS, pod).await.0, 201);
    // What kube-scheduler (a Go client speaking protobuf) posts.
    let binding = core::Binding {
        metadata: Some(go_meta("b", "")),
        target: Some(core::ObjectReference {
            kind: Some("Node".into()),
            name: Some("n1".into()),
            ..Default::default()
        }),
    };
    let (code, status) = s
        .api
        .raw_json(
            "POST",
            &format!("{PODS}/b/binding"),
            PROTOBUF,
            &body("v1", "Binding", &binding),
        )
        .await;
    assert_eq!(code, 201, "{status}");
    assert_eq!(
        s.api.get(&format!("{PODS}/b")).await.1["spec"]["nodeName"],
        "n1"
    );
}

async fn bad_protobuf_bodies_get_a_status_a_person_can_read(s: &TestServer) {
    // JSON bytes sent as protobuf: no `k8s\0` prefix.
    let (code, status) = s
        .api
        .raw_json("POST", CMS, PROTOBUF, br#"{"kind":"ConfigMap"}"#)
        .await;
    assert_eq!((code, &status["kind"]), (400, &json!("Status")), "{status}");
    assert!(
        status["message"].as_str().unwrap_or("").contains("k8s\\0"),
        "{status}"
    );

    // A kind this server does not serve: 415 naming it.
    let role = body(
        "rbac.authorization.k8s.io/v1",
        "Role",
        &core::ConfigMap::default(),
    );
    let (code, status) = s.api.raw_json("POST", CMS, PROTOBUF, &role).await;
    assert_eq!(
        (code, &status["reason"]),
        (415, &json!("UnsupportedMediaType")),
        "{status}"
    );
    assert!(
        status["message"].as_str().unwrap_or("").contains("Role"),
        "{status}"
    );

    // A truncated object: 400, and the server keeps serving.
    let mut truncated = body("v1", "ConfigMap", &configmap("t", "", "x"));
    truncated.truncate(truncated.len() - 3);
    let (code, status) = s.api.raw_json("POST", CMS, PROTOBUF, &truncated).await;
    assert_eq!(code, 400, "{status}");
    assert_eq!(s.api.get(CMS).await.0, 200);

    // A kind that does not match the URL is refused as for JSON.
    let secret_at_cms = body("v1", "Secret", &core::Secret::default());
    let (code, status) = s.api.raw_json("POST", CMS, PROTOBUF, &secret_at_cms).await;
    assert_eq!(code, 400, "{status}");
}
