//! End to end: the everyday kubectl workflows a student meets in the first week, driven by
//! the real kubectl against `kubeling up` (no controllers or kubelets run there, so nothing
//! changes an object but the commands below):
//!
//! - `api-resources -o wide` and its filters; `get` with `-o jsonpath`, `-o custom-columns`
//!   and `--sort-by`;
//! - `label` and `annotate` (add, `--overwrite`, remove with `key-`), `patch` in its three
//!   types (JSON merge, JSON, strategic merge);
//! - `edit` through a scripted `KUBE_EDITOR` / `EDITOR`, `scale`, `wait --for=jsonpath`;
//! - `delete --cascade=background|foreground|orphan` (the finalizers it records) and
//!   `wait --for=delete`;
//! - deleting a namespace: `Terminating`, creates refused, finalized through
//!   `namespaces/NAME/finalize`; `apply` of a Namespace manifest.
//!
//! `tests/e2e_kubectl.rs` covers create/get/list/watch/replace/delete and apply of a
//! Deployment, `tests/e2e_table.rs` the printed tables; this file does not repeat them.

mod common;

use common::Cluster;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const OBJECTS: &str = "apiVersion: apps/v1
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
        image: busybox:1.36
---
apiVersion: v1
kind: ConfigMap
metadata: {name: zeta, labels: {tier: back}}
data: {size: '1'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: alpha, labels: {tier: front}}
data: {size: '3'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: mid}
data: {size: '2'}
";

fn manifest(cluster: &Cluster, name: &str, text: &str) -> String {
    let path = cluster.dir.join(name);
    std::fs::write(&path, text).expect("write manifest");
    path.to_string_lossy().into_owned()
}

/// The lines of kubectl's output.
fn lines(out: &str) -> Vec<&str> {
    out.lines().collect()
}

/// The whitespace-separated words of each line (kubectl pads table columns).
fn words(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// kubectl with extra environment variables (the editor), with a discovery cache of its own
/// (`Cluster` keeps its cache directory private).
fn kubectl_env(c: &Cluster, cache: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new("kubectl")
        .arg(format!("--cache-dir={}", cache.display()))
        .args(args)
        .env("KUBECONFIG", c.kubeconfig())
        .env_remove("KUBE_EDITOR")
        .env_remove("EDITOR")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs")
}

/// An executable shell script `name` in the cluster's directory; returns its path.
fn script(c: &Cluster, name: &str, body: &str) -> String {
    let path = c.dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).expect("write script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.to_string_lossy().into_owned()
}

/// How many watches of `resource` the API server is serving: its
/// `apiserver_registered_watchers` gauge, read through `kubectl get --raw /metrics`.
fn watchers(c: &Cluster, resource: &str) -> u64 {
    let prefix = format!("apiserver_registered_watchers{{resource=\"{resource}\"}} ");
    c.ok(&["get", "--raw", "/metrics"])
        .lines()
        .find_map(|l| l.strip_prefix(&prefix)?.trim().parse().ok())
        .unwrap_or(0)
}

/// Start `kubectl wait ...` in the background and return once its watch of `resource` is
/// open, so that the change the test makes next is one it sees happen. (`wait --for=delete`
/// started after the object is gone succeeds silently, and the test would learn nothing.)
fn start_waiting(c: &Cluster, resource: &str, args: &[&str]) -> Child {
    let before = watchers(c, resource);
    let child = c.kubectl_background(args);
    let deadline = Instant::now() + Duration::from_secs(20);
    while watchers(c, resource) <= before {
        assert!(
            Instant::now() < deadline,
            "kubectl {args:?} never watched {resource}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[test]
fn kubectl_api_resources_and_get_with_jsonpath_custom_columns_and_sort_by() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");

    // -o wide adds VERBS and CATEGORIES. Namespaces have no deletecollection, as upstream.
    let wide = c.ok(&["api-resources", "-o", "wide"]);
    let rows = words(&wide);
    assert_eq!(
        rows[0],
        [
            "NAME",
            "SHORTNAMES",
            "APIVERSION",
            "NAMESPACED",
            "KIND",
            "VERBS",
            "CATEGORIES"
        ]
    );
    let row = |name: &str| {
        rows.iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("{name} in:\n{wide}"))
            .clone()
    };
    assert_eq!(
        row("namespaces"),
        [
            "namespaces",
            "ns",
            "v1",
            "false",
            "Namespace",
            "create,delete,get,list,patch,update,watch"
        ]
    );
    assert_eq!(
        row("pods"),
        [
            "pods",
            "po",
            "v1",
            "true",
            "Pod",
            "create,delete,deletecollection,get,list,patch,update,watch",
            "all"
        ]
    );
    assert_eq!(
        lines(&c.ok(&["api-resources", "--namespaced=false", "-o", "name"])),
        ["namespaces", "nodes", "priorityclasses.scheduling.k8s.io"]
    );
    assert_eq!(
        lines(&c.ok(&["api-resources", "--api-group=apps", "-o", "name"])),
        ["deployments.apps", "replicasets.apps"]
    );
    let collections = c.ok(&["api-resources", "--verbs=deletecollection", "-o", "name"]);
    assert!(collections.contains("configmaps") && !collections.contains("namespaces"));

    let objects = manifest(&c, "objects.yaml", OBJECTS);
    assert_eq!(c.ok(&["create", "-f", &objects]).lines().count(), 4);
    c.ok(&["create", "namespace", "other"]);
    c.ok(&[
        "create",
        "configmap",
        "aardvark",
        "-n",
        "other",
        "--from-literal=size=4",
    ]);

    // jsonpath: single fields, a filter, and a range over a list.
    assert_eq!(
        c.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}"
        ]),
        "2 busybox:1.36"
    );
    assert_eq!(
        c.ok(&[
            "get",
            "cm",
            "-o",
            "jsonpath={.items[?(@.metadata.labels.tier==\"front\")].metadata.name}"
        ]),
        "alpha"
    );
    assert_eq!(
        lines(&c.ok(&[
            "get",
            "cm",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name}={.data.size}{\"\\n\"}{end}"
        ])),
        ["alpha=3", "mid=2", "zeta=1"]
    );

    // custom-columns: a missing field prints <none>; --sort-by orders by any field.
    let table = c.ok(&[
        "get",
        "cm",
        "-o",
        "custom-columns=NAME:.metadata.name,SIZE:.data.size,TIER:.metadata.labels.tier",
        "--sort-by=.data.size",
    ]);
    assert_eq!(
        lines(&table),
        [
            "NAME    SIZE   TIER",
            "zeta    1      back",
            "mid     2      <none>",
            "alpha   3      front"
        ]
    );
    // Across namespaces the server lists namespace by namespace; --sort-by sorts by name.
    let all = c.ok(&[
        "get",
        "cm",
        "-A",
        "--sort-by=.metadata.name",
        "-o",
        "custom-columns=NS:.metadata.namespace,NAME:.metadata.name",
    ]);
    assert_eq!(
        words(&all),
        [
            vec!["NS", "NAME"],
            vec!["other", "aardvark"],
            vec!["default", "alpha"],
            vec!["default", "mid"],
            vec!["default", "zeta"]
        ]
    );
}

#[test]
fn kubectl_label_annotate_and_patch_in_all_three_types() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    c.ok(&["create", "-f", &manifest(&c, "objects.yaml", OBJECTS)]);

    // label: add; a second value needs --overwrite; `key-` removes.
    assert_eq!(
        c.ok(&["label", "cm", "mid", "tier=middle"]).trim(),
        "configmap/mid labeled"
    );
    let err = c.fails(&["label", "cm", "mid", "tier=other"]);
    assert_eq!(
        err.trim(),
        "error: 'tier' already has a value (middle), and --overwrite is false"
    );
    assert_eq!(
        c.ok(&["label", "cm", "mid", "tier=other", "--overwrite"])
            .trim(),
        "configmap/mid labeled"
    );
    assert_eq!(
        c.ok(&["get", "cm", "-l", "tier=other", "-o", "name"])
            .trim(),
        "configmap/mid"
    );
    assert_eq!(
        c.ok(&["label", "cm", "mid", "tier-"]).trim(),
        "configmap/mid unlabeled"
    );
    let shown = words(&c.ok(&["get", "cm", "mid", "--show-labels"]));
    assert_eq!(shown[1].last().map(String::as_str), Some("<none>"));
    // Several objects at once, by selector.
    assert_eq!(
        lines(&c.ok(&["label", "cm", "-l", "tier", "reviewed=yes"])),
        ["configmap/alpha labeled", "configmap/zeta labeled"]
    );

    // annotate: the same rules (in other words).
    assert_eq!(
        c.ok(&["annotate", "deploy", "web", "owner=team-a"]).trim(),
        "deployment.apps/web annotated"
    );
    assert_eq!(
        c.fails(&["annotate", "deploy", "web", "owner=team-b"]).trim(),
        "error: --overwrite is false but found the following declared annotation(s): 'owner' already has a value (team-a)"
    );
    c.ok(&["annotate", "deploy", "web", "owner=team-b", "--overwrite"]);
    assert_eq!(
        c.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.metadata.annotations.owner}"
        ]),
        "team-b"
    );
    c.ok(&["annotate", "deploy", "web", "owner-"]);
    assert_eq!(
        c.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.metadata.annotations.owner}"
        ]),
        ""
    );

    // patch --type=merge (RFC 7386): objects merge, null deletes.
    assert_eq!(
        c.ok(&[
            "patch",
            "cm",
            "mid",
            "--type=merge",
            "-p",
            r#"{"data":{"size":"20","color":"red"}}"#
        ])
        .trim(),
        "configmap/mid patched"
    );
    c.ok(&[
        "patch",
        "cm",
        "mid",
        "--type=merge",
        "-p",
        r#"{"data":{"color":null}}"#,
    ]);
    assert_eq!(
        c.ok(&["get", "cm", "mid", "-o", "jsonpath={.data}"]),
        r#"{"size":"20"}"#
    );
    // The same patch again changes nothing, and kubectl says so.
    assert_eq!(
        c.ok(&[
            "patch",
            "cm",
            "mid",
            "--type=merge",
            "-p",
            r#"{"data":{"size":"20"}}"#
        ])
        .trim(),
        "configmap/mid patched (no change)"
    );
    // patch --type=json (RFC 6902): operations on paths.
    c.ok(&[
        "patch",
        "cm",
        "mid",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/data/shape","value":"round"},{"op":"replace","path":"/data/size","value":"21"}]"#,
    ]);
    assert_eq!(
        c.ok(&[
            "get",
            "cm",
            "mid",
            "-o",
            "jsonpath={.data.shape} {.data.size}"
        ]),
        "round 21"
    );
    // patch (strategic merge, kubectl's default): containers merge by name, so naming one
    // changes it, and naming a new one adds it beside the others.
    assert_eq!(
        c.ok(&["patch", "deploy", "web", "-p", r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"busybox:1.37"}]}}}}"#]).trim(),
        "deployment.apps/web patched"
    );
    c.ok(&[
        "patch",
        "deploy",
        "web",
        "--type=strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}"#,
    ]);
    assert_eq!(
        c.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[*].name}/{.spec.template.spec.containers[*].image}"]),
        "web side/busybox:1.37 busybox"
    );
    // A merge patch of the same list replaces it whole.
    c.ok(&[
        "patch",
        "deploy",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"}]}}}}"#,
    ]);
    assert_eq!(
        c.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.spec.template.spec.containers[*].name}"
        ]),
        "only"
    );
    assert_eq!(
        c.ok(&[
            "get",
            "deploy",
            "web",
            "-o",
            "jsonpath={.metadata.generation}"
        ]),
        "4",
        "every spec patch is a new generation"
    );
}

#[test]
fn kubectl_edit_through_a_scripted_editor_scale_and_wait_for_jsonpath() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    c.ok(&["create", "-f", &manifest(&c, "objects.yaml", OBJECTS)]);
    let cache = tempfile::tempdir().expect("cache dir");
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let out = kubectl_env(&c, cache.path(), env, args);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // kubectl writes the object to a temp file, runs the editor on it, and sends what changed
    // as a patch. Our "editor" is a script that edits the file with sed.
    let replicas = script(
        &c,
        "replicas.sh",
        r#"sed -i 's/^  replicas: 2$/  replicas: 4/' "$1""#,
    );
    let annotate = script(
        &c,
        "annotate.sh",
        r#"sed -i 's/^  name: mid$/  name: mid\n  annotations:\n    edited-by: sed/' "$1""#,
    );
    let (ok, out, err) = run(&[("KUBE_EDITOR", &replicas)], &["edit", "deploy", "web"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "deployment.apps/web edited");
    assert_eq!(
        c.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]),
        "4"
    );
    // Without KUBE_EDITOR kubectl falls back to EDITOR.
    let (ok, out, err) = run(&[("EDITOR", &annotate)], &["edit", "cm", "mid"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "configmap/mid edited");
    assert_eq!(
        c.ok(&[
            "get",
            "cm",
            "mid",
            "-o",
            "jsonpath={.metadata.annotations.edited-by}"
        ]),
        "sed"
    );
    // KUBE_EDITOR wins over EDITOR; an editor that changes nothing cancels the edit.
    let (ok, out, err) = run(
        &[("KUBE_EDITOR", "true"), ("EDITOR", &replicas)],
        &["edit", "deploy", "web"],
    );
    assert!(ok, "{err}");
    assert_eq!(
        (out.as_str(), err.trim()),
        ("", "Edit cancelled, no changes made.")
    );

    // scale writes the /scale subresource; --current-replicas makes it conditional.
    assert_eq!(
        c.ok(&["scale", "deployment", "web", "--replicas=3"]).trim(),
        "deployment.apps/web scaled"
    );
    assert_eq!(
        c.fails(&[
            "scale",
            "deployment",
            "web",
            "--replicas=5",
            "--current-replicas=2"
        ])
        .trim(),
        "error: Expected replicas to be 2, was 3"
    );
    c.ok(&[
        "scale",
        "deployment",
        "web",
        "--replicas=5",
        "--current-replicas=3",
    ]);

    // wait --for=jsonpath: met at once, or a timeout with kubectl's words.
    assert_eq!(
        c.ok(&[
            "wait",
            "--for=jsonpath={.spec.replicas}=5",
            "deploy/web",
            "--timeout=20s"
        ])
        .trim(),
        "deployment.apps/web condition met"
    );
    assert_eq!(
        c.fails(&[
            "wait",
            "--for=jsonpath={.spec.replicas}=7",
            "deploy/web",
            "--timeout=1s"
        ])
        .trim(),
        "error: timed out waiting for the condition on deployments/web"
    );
    // ... and met later, when a change arrives while it waits.
    let waiting = start_waiting(
        &c,
        "configmaps",
        &[
            "wait",
            "--for=jsonpath={.data.size}=9",
            "cm/mid",
            "--timeout=30s",
        ],
    );
    c.ok(&[
        "patch",
        "cm",
        "mid",
        "--type=merge",
        "-p",
        r#"{"data":{"size":"9"}}"#,
    ]);
    let out = waiting.wait_with_output().expect("kubectl wait ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "configmap/mid condition met"
    );
}

#[test]
fn kubectl_delete_cascades_record_their_finalizers_and_wait_for_delete_sees_the_end() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    for policy in ["background", "foreground", "orphan"] {
        c.ok(&[
            "create",
            "deployment",
            &format!("by-{policy}"),
            "--image=busybox",
        ]);
    }
    // Background: the server deletes at once (a garbage collector would then delete the
    // dependents), and kubectl's default --wait=true returns at once too.
    assert_eq!(
        c.ok(&["delete", "deploy", "by-background", "--cascade=background"])
            .trim(),
        r#"deployment.apps "by-background" deleted"#
    );
    // Foreground and Orphan are recorded as finalizers on the object, which stays (with a
    // deletionTimestamp) until the garbage collector has done its part and removed them.
    // No garbage collector runs here, so kubectl must not wait for it.
    for policy in ["foreground", "orphan"] {
        assert_eq!(
            c.ok(&[
                "delete",
                "deploy",
                &format!("by-{policy}"),
                &format!("--cascade={policy}"),
                "--wait=false"
            ])
            .trim(),
            format!(r#"deployment.apps "by-{policy}" deleted"#)
        );
    }
    let table = c.ok(&[
        "get",
        "deploy",
        "-o",
        "custom-columns=NAME:.metadata.name,FINALIZERS:.metadata.finalizers,DELETING:.metadata.deletionTimestamp",
    ]);
    let rows = words(&table);
    assert_eq!(rows.len(), 3, "{table}");
    assert_eq!(rows[1][..2], ["by-foreground", "[foregroundDeletion]"]);
    assert_eq!(rows[2][..2], ["by-orphan", "[orphan]"]);
    assert!(
        rows[1][2].ends_with('Z') && rows[2][2].ends_with('Z'),
        "{table}"
    );
    // Playing the garbage collector: removing the last finalizer completes the delete.
    c.ok(&[
        "patch",
        "deploy",
        "by-foreground",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
    ]);
    c.ok(&[
        "patch",
        "deploy",
        "by-orphan",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    assert_eq!(c.ok(&["get", "deploy", "-o", "name"]), "");

    // wait --for=delete follows an object held by a finalizer until it is gone.
    let held = "apiVersion: v1
kind: Pod
metadata:
  name: held
  finalizers: [example.com/hold]
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: busybox}
";
    c.ok(&["create", "-f", &manifest(&c, "held.yaml", held)]);
    assert_eq!(
        c.ok(&["delete", "pod", "held", "--wait=false"]).trim(),
        r#"pod "held" deleted"#
    );
    let status = words(&c.ok(&["get", "pod", "held"]));
    assert_eq!(status[1][..3], ["held", "0/1", "Terminating"]);
    let waiting = start_waiting(
        &c,
        "pods",
        &["wait", "--for=delete", "pod/held", "--timeout=30s"],
    );
    assert_eq!(
        c.ok(&[
            "patch",
            "pod",
            "held",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#
        ])
        .trim(),
        "pod/held patched"
    );
    let out = waiting.wait_with_output().expect("kubectl wait ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "pod/held condition met"
    );
    assert!(c
        .fails(&["get", "pod", "held"])
        .contains(r#"Error from server (NotFound): pods "held" not found"#));

    // A pod that no kubelet runs has nothing to wait for: deleted at once, and kubectl's
    // own wait (the default --wait=true) returns at once.
    let quick = held.replace(
        "name: held\n  finalizers: [example.com/hold]",
        "name: quick",
    );
    c.ok(&["create", "-f", &manifest(&c, "quick.yaml", &quick)]);
    assert_eq!(
        c.ok(&["delete", "pod", "quick"]).trim(),
        r#"pod "quick" deleted"#
    );
    assert_eq!(c.ok(&["get", "pods", "-o", "name"]), "");
}

#[test]
fn kubectl_deletes_a_namespace_in_two_phases_and_applies_one_idempotently() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    assert_eq!(
        c.ok(&["create", "namespace", "doomed"]).trim(),
        "namespace/doomed created"
    );
    c.ok(&[
        "create",
        "configmap",
        "inside",
        "-n",
        "doomed",
        "--from-literal=a=b",
    ]);
    assert_eq!(
        c.ok(&[
            "get",
            "ns",
            "doomed",
            "-o",
            "jsonpath={.status.phase} {.spec.finalizers} {.metadata.labels}"
        ]),
        r#"Active ["kubernetes"] {"kubernetes.io/metadata.name":"doomed"}"#
    );

    // The immortal namespaces refuse.
    assert_eq!(
        c.fails(&["delete", "ns", "default"]).trim(),
        r#"Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted"#
    );

    // Phase one: the DELETE marks it Terminating. The namespace controller would now empty
    // it and then finalize it; kubectl would wait for that, so here it must not.
    assert_eq!(
        c.ok(&["delete", "ns", "doomed", "--wait=false"]).trim(),
        r#"namespace "doomed" deleted"#
    );
    let rows = words(&c.ok(&["get", "ns", "doomed"]));
    assert_eq!(rows[0], ["NAME", "STATUS", "AGE"]);
    assert_eq!(rows[1][..2], ["doomed", "Terminating"]);
    // Nothing new moves in, whichever way it is created ...
    let late = manifest(
        &c,
        "late.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: doomed}\n",
    );
    assert_eq!(
        c.fails(&["create", "-f", &late]).trim(),
        format!(
            r#"Error from server (Forbidden): error when creating "{late}": configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated"#
        )
    );
    let err = c.fails(&[
        "create",
        "configmap",
        "later",
        "-n",
        "doomed",
        "--from-literal=a=b",
    ]);
    assert!(
        err.contains(r#"configmaps "later" is forbidden: unable to create new content in namespace doomed because it is being terminated"#),
        "{err}"
    );
    // ... but what is inside may still change (the controller deletes it, owners edit it).
    c.ok(&["label", "cm", "inside", "-n", "doomed", "seen=yes"]);
    // Deleting again changes nothing: spec.finalizers still holds it.
    assert_eq!(
        c.ok(&["delete", "ns", "doomed", "--wait=false"]).trim(),
        r#"namespace "doomed" deleted"#
    );
    assert_eq!(
        c.ok(&[
            "get",
            "ns",
            "doomed",
            "-o",
            "jsonpath={.status.phase} {.spec.finalizers}"
        ]),
        r#"Terminating ["kubernetes"]"#
    );

    // Phase two, by hand (the well-known fix for a namespace "stuck in Terminating"): PUT the
    // namespace with empty spec.finalizers to its finalize subresource. It is gone at once.
    let waiting = start_waiting(
        &c,
        "namespaces",
        &["wait", "--for=delete", "namespace/doomed", "--timeout=30s"],
    );
    let finalized = manifest(
        &c,
        "finalize.json",
        r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"doomed"},"spec":{"finalizers":[]}}"#,
    );
    let body = c.ok(&[
        "replace",
        "--raw",
        "/api/v1/namespaces/doomed/finalize",
        "-f",
        &finalized,
    ]);
    let last: serde_json::Value = serde_json::from_str(&body).expect("the namespace as JSON");
    assert_eq!(last["spec"], serde_json::json!({}));
    let out = waiting.wait_with_output().expect("kubectl wait ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "namespace/doomed condition met"
    );
    assert_eq!(
        c.fails(&["get", "ns", "doomed"]).trim(),
        r#"Error from server (NotFound): namespaces "doomed" not found"#
    );

    // apply of an unchanged Namespace manifest: created, then unchanged.
    let ns = manifest(
        &c,
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lab\n  labels: {team: a}\n",
    );
    assert_eq!(c.ok(&["apply", "-f", &ns]).trim(), "namespace/lab created");
    assert_eq!(
        c.ok(&["apply", "-f", &ns]).trim(),
        "namespace/lab unchanged"
    );
    // A manifest written by `create --dry-run=client -o yaml` carries `creationTimestamp: null`.
    // kubectl computes apply's patch itself, finds null where the live object has a time, and
    // sends {"metadata":{"creationTimestamp":null}}: "configured" every time, against any API
    // server (apimachinery's strategicpatch diffMaps; kubernetes/kubernetes#66450).
    let generated = c.ok(&[
        "create",
        "namespace",
        "gen",
        "--dry-run=client",
        "-o",
        "yaml",
    ]);
    assert!(generated.contains("creationTimestamp: null"), "{generated}");
    let generated = manifest(&c, "gen.yaml", &generated);
    assert_eq!(
        c.ok(&["apply", "-f", &generated]).trim(),
        "namespace/gen created"
    );
    assert_eq!(
        c.ok(&["apply", "-f", &generated]).trim(),
        "namespace/gen configured"
    );
}
