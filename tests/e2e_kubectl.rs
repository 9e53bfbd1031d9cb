//! End to end: `kubeling up` (real etcd) driven by the real kubectl, as a student would.

mod common;

use common::Cluster;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: web
    image: busybox
    command: [sleep, '3600']
";

const CONFIGMAP: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: web}
data:
  color: blue
";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox
";

#[test]
fn kubectl_creates_reads_lists_watches_replaces_and_deletes() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let c = Cluster::up("etcd");
    let (pod, cm, deploy) = (
        c.manifest("pod.yaml", POD),
        c.manifest("cm.yaml", CONFIGMAP),
        c.manifest("deploy.yaml", DEPLOYMENT),
    );

    assert_eq!(c.ok(&["create", "-f", &pod]).trim(), "pod/web created");
    assert_eq!(
        c.ok(&["create", "-f", &cm]).trim(),
        "configmap/settings created"
    );
    assert_eq!(
        c.ok(&["create", "-f", &deploy]).trim(),
        "deployment.apps/web created"
    );
    assert!(c
        .fails(&["create", "-f", &pod])
        .contains(r#"Error from server (AlreadyExists): error when creating ""#));

    // get in every output format kubectl has
    let json: serde_json::Value =
        serde_json::from_str(&c.ok(&["get", "pod", "web", "-o", "json"])).expect("json");
    assert_eq!(json["status"]["phase"], "Pending");
    assert!(json["metadata"]["uid"].is_string());
    let yaml = c.ok(&["get", "deployment", "web", "-o", "yaml"]);
    assert!(
        yaml.contains("generation: 1") && yaml.contains("replicas: 2"),
        "{yaml}"
    );
    assert_eq!(
        c.ok(&["get", "pods,configmaps", "-o", "name"])
            .lines()
            .collect::<Vec<_>>(),
        ["pod/web", "configmap/settings"]
    );
    assert_eq!(
        c.ok(&["get", "cm", "-l", "app=web", "-o", "name"]).trim(),
        "configmap/settings"
    );
    assert_eq!(
        c.ok(&["get", "cm", "-l", "app!=web", "-o", "name"]).trim(),
        ""
    );
    assert_eq!(
        c.ok(&[
            "get",
            "po",
            "--field-selector",
            "status.phase=Pending",
            "-o",
            "name"
        ])
        .trim(),
        "pod/web"
    );
    assert_eq!(
        c.ok(&[
            "get",
            "po",
            "--field-selector",
            "spec.nodeName=n1",
            "-o",
            "name"
        ])
        .trim(),
        ""
    );
    assert!(c.ok(&["get", "ns"]).contains("kube-system"));
    assert!(c
        .ok(&["get", "deploy", "-A", "-o", "name"])
        .contains("deployment.apps/web"));
    let err = c.fails(&["get", "po", "--field-selector", "spec.bogus=1"]);
    assert!(
        err.contains("field label not supported: spec.bogus"),
        "{err}"
    );
    let err = c.fails(&["get", "pod", "nope"]);
    assert!(
        err.contains(r#"Error from server (NotFound): pods "nope" not found"#),
        "{err}"
    );

    // get -w sees a create made while it watches
    let mut watch = c.kubectl_background(&["get", "configmaps", "-w", "-o", "name"]);
    let (tx, rx) = mpsc::channel();
    let stdout = watch.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(20))
            .expect("the initial list"),
        "configmap/settings"
    );
    let later = c.manifest(
        "later.yaml",
        &CONFIGMAP.replace("name: settings", "name: later"),
    );
    c.ok(&["create", "-f", &later]);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(20))
            .expect("the concurrent create"),
        "configmap/later"
    );
    let _ = watch.kill();
    let _ = watch.wait();

    // replace with a stale object is a Conflict
    let stale = c.ok(&["get", "cm", "settings", "-o", "yaml"]);
    c.ok(&["label", "cm", "settings", "tier=frontend"]);
    let stale = c.manifest("stale.yaml", &stale.replace("color: blue", "color: red"));
    let err = c.fails(&["replace", "-f", &stale]);
    assert!(err.contains("Error from server (Conflict)") && err.contains("the object has been modified; please apply your changes to the latest version and try again"), "{err}");
    assert!(
        c.ok(&["get", "cm", "settings", "-o", "yaml"])
            .contains("color: blue"),
        "the stale write changed nothing"
    );

    // an invalid object is refused with upstream's message
    let bad = c.manifest(
        "bad.yaml",
        &POD.replace("    image: busybox\n", "")
            .replace("name: web\n  labels", "name: noimage\n  labels"),
    );
    let err = c.fails(&["create", "-f", &bad]);
    assert!(
        err.contains(r#"The Pod "noimage" is invalid: spec.containers[0].image: Required value"#),
        "{err}"
    );

    // delete
    assert_eq!(c.ok(&["delete", "-f", &pod]).trim(), r#"pod "web" deleted"#);
    assert_eq!(
        c.ok(&["delete", "configmap", "settings", "later"])
            .lines()
            .count(),
        2
    );
    assert_eq!(c.ok(&["get", "pods,configmaps", "-o", "name"]).trim(), "");
    assert!(c
        .ok(&["delete", "deployment", "web", "--cascade=background"])
        .contains("deleted"));
}

#[test]
fn kubectl_apply_creates_configures_and_leaves_unchanged_and_set_image_patches_one_container() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    let two = DEPLOYMENT.replace(
        "      - name: web\n        image: busybox\n",
        "      - name: web\n        image: busybox\n        env: [{name: A, value: '1'}]\n      - name: side\n        image: busybox\n",
    );
    let path = c.manifest("deploy.yaml", &two);
    assert_eq!(
        c.ok(&["apply", "-f", &path]).trim(),
        "deployment.apps/web created"
    );
    let last = c.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}",
    ]);
    assert!(
        last.contains("\"replicas\":2"),
        "the last-applied annotation round-trips: {last}"
    );
    assert_eq!(
        c.ok(&["apply", "-f", &path]).trim(),
        "deployment.apps/web unchanged"
    );

    // Change one field of one container: the other container and the env survive the merge.
    let changed = c.manifest(
        "deploy2.yaml",
        &two.replace("replicas: 2", "replicas: 3")
            .replace("value: '1'", "value: '2'"),
    );
    assert_eq!(
        c.ok(&["apply", "-f", &changed]).trim(),
        "deployment.apps/web configured"
    );
    let d: serde_json::Value =
        serde_json::from_str(&c.ok(&["get", "deploy", "web", "-o", "json"])).expect("json");
    assert_eq!(d["spec"]["replicas"], 3);
    assert_eq!(
        d["metadata"]["generation"], 2,
        "a spec change is a new generation"
    );
    let containers = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .clone();
    assert_eq!(containers.len(), 2);
    assert_eq!(
        containers[0]["env"],
        serde_json::json!([{"name": "A", "value": "2"}])
    );

    // `set image` sends a strategic merge patch naming one container.
    assert!(c
        .ok(&["set", "image", "deployment/web", "side=busybox:1.36"])
        .contains("image updated"));
    let images = c.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[*].image}",
    ]);
    assert_eq!(images.trim(), "busybox busybox:1.36");

    // Removing a container from the manifest removes it (kubectl computes `$patch: delete`).
    let one = c.manifest(
        "deploy3.yaml",
        &DEPLOYMENT.replace("replicas: 2", "replicas: 3"),
    );
    assert_eq!(
        c.ok(&["apply", "-f", &one]).trim(),
        "deployment.apps/web configured"
    );
    let names = c.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[*].name}",
    ]);
    assert_eq!(names.trim(), "web");
}

#[test]
fn kubectl_validation_modes_reject_warn_about_or_ignore_a_misspelled_field() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    let typo = c.manifest("typo.yaml", &POD.replace("    command:", "    comand:"));
    let err = c.fails(&["create", "-f", &typo]);
    assert!(
        err.contains(r#"Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].comand""#),
        "{err}"
    );
    let out = c.kubectl(&["create", "-f", &typo, "--validate=warn"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"Warning: unknown field "spec.containers[0].comand""#),
        "{stderr}"
    );
    c.ok(&["delete", "pod", "web"]);
    assert!(c
        .ok(&["create", "-f", &typo, "--validate=false"])
        .contains("pod/web created"));
}

#[test]
fn kubectl_describe_shows_a_pod_and_the_events_about_it() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    c.ok(&["create", "-f", &c.manifest("pod.yaml", POD)]);
    let uid = c.ok(&["get", "pod", "web", "-o", "jsonpath={.metadata.uid}"]);
    let event = format!(
        "apiVersion: v1\nkind: Event\nmetadata: {{name: web.1}}\n\
         involvedObject: {{apiVersion: v1, kind: Pod, name: web, namespace: default, uid: {uid}}}\n\
         reason: Scheduled\nmessage: Successfully assigned default/web to n1\ntype: Normal\n\
         source: {{component: default-scheduler}}\ncount: 1\n"
    );
    c.ok(&["create", "-f", &c.manifest("event.yaml", &event)]);
    let out = c.ok(&["describe", "pod", "web"]);
    // kubectl aligns columns to the widest label; compare with whitespace collapsed.
    let flat = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for want in [
        "Name: web",
        "Status: Pending",
        "Image: busybox",
        "QoS Class: BestEffort",
    ] {
        assert!(flat.contains(want), "{want:?} missing from:\n{out}");
    }
    let events = out.split("Events:").nth(1).unwrap_or("");
    assert!(
        events.contains("Normal")
            && events.contains("Scheduled")
            && events.contains("default-scheduler")
            && events.contains("Successfully assigned default/web to n1"),
        "the event is listed under Events:\n{out}"
    );
}
