//! End to end: the real kubectl's `create configmap|secret|namespace|deployment`, which send
//! protobuf bodies (`application/vnd.kubernetes.protobuf`), against `kubeling up` (real etcd);
//! then `kubectl get -o json` reads every field back.

mod common;

use common::Cluster;
use serde_json::Value;

fn get_json(c: &Cluster, args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    serde_json::from_str(&c.ok(&all)).expect("kubectl prints JSON")
}

#[test]
fn kubectl_create_sends_protobuf_and_the_objects_read_back_intact() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let c = Cluster::up("etcd");

    // -v=8 shows the request: prove this really is the protobuf path.
    let out = c.kubectl(&["create", "configmap", "x", "--from-literal=a=b", "-v=8"]);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("Content-Type: application/vnd.kubernetes.protobuf"),
        "kubectl sent no protobuf body:\n{log}"
    );
    assert!(log.contains("201 Created"), "{log}");

    assert_eq!(
        c.ok(&[
            "create",
            "secret",
            "generic",
            "s",
            "--from-literal=password=hunter2"
        ])
        .trim(),
        "secret/s created"
    );
    assert_eq!(
        c.ok(&["create", "namespace", "team-a"]).trim(),
        "namespace/team-a created"
    );
    assert_eq!(
        c.ok(&[
            "create",
            "deployment",
            "web",
            "--image=nginx",
            "--replicas=2"
        ])
        .trim(),
        "deployment.apps/web created"
    );
    // `replicas` is a pointer in Go: an explicit 0 must not be defaulted to 1.
    c.ok(&[
        "create",
        "deployment",
        "idle",
        "--image=nginx",
        "--replicas=0",
    ]);

    let cm = get_json(&c, &["configmap", "x"]);
    assert_eq!(cm["data"]["a"], "b");
    assert_eq!(cm["metadata"]["namespace"], "default");
    assert!(cm["metadata"]["uid"].is_string());
    // Go sent every empty ObjectMeta string; none may come back as "".
    assert!(cm["metadata"].get("generateName").is_none(), "{cm}");
    assert!(cm.get("immutable").is_none(), "{cm}");

    let secret = get_json(&c, &["secret", "s"]);
    assert_eq!(
        secret["data"]["password"], "aHVudGVyMg==",
        "protobuf bytes -> base64"
    );
    assert_eq!(secret["type"], "Opaque");

    let ns = get_json(&c, &["namespace", "team-a"]);
    assert_eq!(ns["status"]["phase"], "Active");

    let web = get_json(&c, &["deployment", "web"]);
    assert_eq!(web["spec"]["replicas"], 2);
    assert_eq!(web["spec"]["selector"]["matchLabels"]["app"], "web");
    assert_eq!(web["metadata"]["generation"], 1);
    let pod = &web["spec"]["template"]["spec"];
    assert_eq!(pod["containers"][0]["name"], "nginx");
    assert_eq!(pod["containers"][0]["image"], "nginx");
    // Defaults filled in, though Go sent these fields as "".
    assert_eq!(pod["containers"][0]["imagePullPolicy"], "Always");
    assert_eq!(pod["restartPolicy"], "Always");
    assert_eq!(pod["dnsPolicy"], "ClusterFirst");

    let idle = get_json(&c, &["deployment", "idle"]);
    assert_eq!(idle["spec"]["replicas"], 0, "{idle}");
}
