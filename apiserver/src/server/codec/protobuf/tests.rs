//! Unit tests of the protobuf decoder: bodies built with the same k8s-pb structs, the way Go
//! writes them (every non-pointer field present, even when empty).

use super::{decode, decode_object, DecodeError, MAGIC};
use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use serde_json::json;
use std::collections::BTreeMap;

/// `k8s\0` + a `runtime.Unknown` holding `object`, as apimachinery's protobuf serializer writes.
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
    let mut out = MAGIC.to_vec();
    out.extend(unknown.encode_to_vec());
    out
}

/// ObjectMeta as Go sends a fresh one: non-pointer strings and numbers present but empty, and
/// the zero `creationTimestamp` as an empty message.
fn go_meta(name: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: Some(name.into()),
        generate_name: Some(String::new()),
        namespace: Some(String::new()),
        self_link: Some(String::new()),
        uid: Some(String::new()),
        resource_version: Some(String::new()),
        generation: Some(0),
        creation_timestamp: Some(meta::Time::default()),
        ..Default::default()
    }
}

fn strings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_configmap_becomes_the_json_kubectl_would_have_sent() {
    let cm = core::ConfigMap {
        metadata: Some(go_meta("settings")),
        data: strings(&[("a", "b")]),
        ..Default::default()
    };
    let value = decode_object(&body("v1", "ConfigMap", &cm)).expect("decodes");
    // No "namespace": "", no "uid": "", no creationTimestamp: Go's empty values stay absent.
    assert_eq!(
        value,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "settings"}, "data": {"a": "b"}})
    );
}

/// The exact bytes kubectl 1.32 sent for `kubectl create configmap x --from-literal=a=b`
/// (printed by `-v=8`). Note ObjectMeta: every string present but empty, `generation: 0`, and
/// `creationTimestamp` as an empty message (`42 00`).
const KUBECTL_CONFIGMAP: &[u8] = &[
    0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x09, 0x43, 0x6f, 0x6e, 0x66,
    0x69, 0x67, 0x4d, 0x61, 0x70, 0x12, 0x1b, 0x0a, 0x11, 0x0a, 0x01, 0x78, 0x12, 0x00, 0x1a, 0x00,
    0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x12, 0x06, 0x0a, 0x01, 0x61, 0x12,
    0x01, 0x62, 0x1a, 0x00, 0x22, 0x00,
];

#[test]
fn the_bytes_real_kubectl_sends_decode_to_its_json() {
    assert_eq!(
        decode(KUBECTL_CONFIGMAP).expect("decodes"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}})
    );
}

#[test]
fn secret_bytes_become_base64_and_an_absent_immutable_stays_absent() {
    let secret = core::Secret {
        metadata: Some(go_meta("creds")),
        data: BTreeMap::from([("password".to_string(), b"s3cr\xffet".to_vec())]),
        r#type: Some("Opaque".into()),
        ..Default::default()
    };
    let value = decode_object(&body("v1", "Secret", &secret)).expect("decodes");
    assert_eq!(value["data"]["password"], "czNjcv9ldA==");
    assert_eq!(value["type"], "Opaque");
    assert!(value.get("immutable").is_none(), "{value}");
    assert!(value.get("stringData").is_none(), "{value}");
}

#[test]
fn a_deployment_keeps_pointer_zeros_and_drops_go_zero_values() {
    let container = core::Container {
        name: Some("nginx".into()),
        image: Some("nginx".into()),
        // Go writes these non-pointer fields even when empty; defaulting must still fill them.
        image_pull_policy: Some(String::new()),
        termination_message_path: Some(String::new()),
        stdin: Some(false),
        tty: Some(false),
        resources: Some(core::ResourceRequirements::default()),
        ..Default::default()
    };
    let deployment = apps::Deployment {
        metadata: Some(go_meta("web")),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(0), // a pointer in Go: an explicit 0 must survive
            min_ready_seconds: Some(0),
            paused: Some(false),
            selector: Some(meta::LabelSelector {
                match_labels: strings(&[("app", "web")]),
                ..Default::default()
            }),
            strategy: Some(apps::DeploymentStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_unavailable: Some(IntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: Some("25%".into()),
                    }),
                    max_surge: Some(IntOrString {
                        r#type: Some(0),
                        int_val: Some(0),
                        str_val: Some(String::new()),
                    }),
                }),
            }),
            template: Some(core::PodTemplateSpec {
                metadata: Some(meta::ObjectMeta {
                    labels: strings(&[("app", "web")]),
                    ..go_meta("")
                }),
                spec: Some(core::PodSpec {
                    containers: vec![container],
                    restart_policy: Some(String::new()),
                    host_network: Some(false),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }),
        status: Some(apps::DeploymentStatus {
            replicas: Some(0),
            observed_generation: Some(0),
            ..Default::default()
        }),
    };
    let value = decode_object(&body("apps/v1", "Deployment", &deployment)).expect("decodes");
    assert_eq!(
        value,
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 0,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate",
                    "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 0}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx", "resources": {}}]}
                }
            },
            "status": {}})
    );
}

#[test]
fn times_are_rfc3339_and_micro_times_keep_microseconds() {
    let event = core::Event {
        metadata: Some(meta::ObjectMeta {
            creation_timestamp: Some(meta::Time {
                seconds: Some(1_714_557_600),
                nanos: Some(123_456_789),
            }),
            ..go_meta("e1")
        }),
        event_time: Some(meta::MicroTime {
            seconds: Some(1_714_557_600),
            nanos: Some(123_456_789),
        }),
        count: Some(0),                           // `count,omitempty` in Go: left out
        reporting_component: Some(String::new()), // no omitempty: Go's JSON writes ""
        ..Default::default()
    };
    let value = decode_object(&body("v1", "Event", &event)).expect("decodes");
    // Upstream keeps only the seconds of a Time (time_proto.go).
    assert_eq!(
        value["metadata"]["creationTimestamp"],
        "2024-05-01T10:00:00Z"
    );
    assert_eq!(value["eventTime"], "2024-05-01T10:00:00.123456Z");
    assert!(value.get("count").is_none(), "{value}");
    assert_eq!(value["reportingComponent"], "");
}

#[test]
fn a_volume_holds_its_source_inline() {
    let pod = core::Pod {
        metadata: Some(go_meta("p")),
        spec: Some(core::PodSpec {
            volumes: vec![core::Volume {
                name: Some("data".into()),
                volume_source: Some(core::VolumeSource {
                    empty_dir: Some(core::EmptyDirVolumeSource::default()),
                    ..Default::default()
                }),
            }],
            ..Default::default()
        }),
        status: None,
    };
    let value = decode_object(&body("v1", "Pod", &pod)).expect("decodes");
    assert_eq!(
        value["spec"]["volumes"],
        json!([{"name": "data", "emptyDir": {}}])
    );
}

#[test]
fn every_served_kind_has_a_decoder() {
    for res in crate::resources::RESOURCES {
        let empty = body(&res.api_version(), res.kind, &core::ConfigMap::default());
        let value = decode_object(&empty)
            .unwrap_or_else(|e| panic!("{} {}: {e}", res.api_version(), res.kind));
        assert_eq!(value["kind"], res.kind);
    }
}

#[test]
fn a_body_without_the_prefix_is_a_400_that_says_so() {
    let err = decode(b"{\"kind\": \"ConfigMap\"}").expect_err("not protobuf");
    assert_eq!(err.code, 400);
    assert!(err.message.contains("k8s\\0"), "{}", err.message);
}

#[test]
fn a_kind_we_do_not_serve_is_a_415_naming_it() {
    let err = decode(&body(
        "rbac.authorization.k8s.io/v1",
        "Role",
        &core::ConfigMap::default(),
    ))
    .expect_err("not served");
    assert_eq!(err.code, 415);
    assert_eq!(err.reason, "UnsupportedMediaType");
    assert!(err.message.contains("Role"), "{}", err.message);
}

#[test]
fn broken_envelopes_and_objects_are_400s_never_panics() {
    // Only the prefix; a truncated envelope; an envelope without kind.
    for broken in [MAGIC.to_vec(), [&MAGIC[..], &[0x0a, 0x20, 0x01]].concat()] {
        assert_eq!(decode(&broken).expect_err("broken").code, 400);
    }
    let no_kind = [&MAGIC[..], &Unknown::default().encode_to_vec()].concat();
    assert!(matches!(
        decode_object(&no_kind),
        Err(DecodeError::Envelope(_))
    ));

    // A ConfigMap whose field 2 (data) claims more bytes than there are.
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
        }),
        raw: Some(vec![0x12, 0x7f, 0x01]),
        ..Default::default()
    };
    let truncated = [&MAGIC[..], &unknown.encode_to_vec()].concat();
    let err = decode(&truncated).expect_err("truncated object");
    assert_eq!(err.code, 400);
    assert!(err.message.contains("ConfigMap"), "{}", err.message);
}

#[test]
fn compressed_bodies_are_refused_with_415() {
    let unknown = Unknown {
        type_meta: Some(TypeMeta {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
        }),
        content_encoding: Some("gzip".into()),
        ..Default::default()
    };
    let gz = [&MAGIC[..], &unknown.encode_to_vec()].concat();
    assert_eq!(decode(&gz).expect_err("gzip").code, 415);
}
