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

/// `kubectl LINE`, which must succeed; its stdout, trimmed. The line is split at spaces: no
/// argument in this file contains one (JSON is written without), so each command reads as
/// it would be typed.
fn ok(c: &Cluster, line: &str) -> String {
    c.ok(&line.split_whitespace().collect::<Vec<_>>())
        .trim()
        .to_string()
}

/// `kubectl LINE`, which must fail; its stderr, trimmed.
fn fails(c: &Cluster, line: &str) -> String {
    c.fails(&line.split_whitespace().collect::<Vec<_>>())
        .trim()
        .to_string()
}

/// The whitespace-separated words of each line (kubectl pads table columns).
fn words(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// kubectl with extra environment variables (the editor), with a discovery cache of its own
/// (`Cluster` keeps its cache directory private). Returns (success, stdout, stderr).
fn kubectl_env(
    c: &Cluster,
    cache: &Path,
    env: &[(&str, &str)],
    line: &str,
) -> (bool, String, String) {
    let out: Output = Command::new("kubectl")
        .arg(format!("--cache-dir={}", cache.display()))
        .args(line.split_whitespace())
        .env("KUBECONFIG", c.kubeconfig())
        .env_remove("KUBE_EDITOR")
        .env_remove("EDITOR")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// An executable shell script `name` in the cluster's directory; returns its path.
fn script(c: &Cluster, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = c.dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.to_string_lossy().into_owned()
}

/// How many watches of `resource` the API server is serving: its
/// `apiserver_registered_watchers` gauge, read through `kubectl get --raw /metrics`.
fn watchers(c: &Cluster, resource: &str) -> u64 {
    let prefix = format!("apiserver_registered_watchers{{resource=\"{resource}\"}} ");
    ok(c, "get --raw /metrics")
        .lines()
        .find_map(|l| l.strip_prefix(&prefix)?.trim().parse().ok())
        .unwrap_or(0)
}

/// Start `kubectl LINE` (a `wait`) in the background and return once its watch of `resource`
/// is open, so that the change the test makes next is one it sees happen. (`wait
/// --for=delete` started after the object is gone succeeds silently: the test would learn
/// nothing.)
fn start_waiting(c: &Cluster, resource: &str, line: &str) -> Child {
    let before = watchers(c, resource);
    let child = c.kubectl_background(&line.split_whitespace().collect::<Vec<_>>());
    let deadline = Instant::now() + Duration::from_secs(20);
    while watchers(c, resource) <= before {
        assert!(
            Instant::now() < deadline,
            "kubectl {line} never watched {resource}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// Wait for a background kubectl to end successfully; its stdout, trimmed.
fn finished(child: Child) -> String {
    let out = child.wait_with_output().expect("kubectl ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn kubectl_api_resources_and_get_with_jsonpath_custom_columns_and_sort_by() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");

    // -o wide adds VERBS and CATEGORIES. Namespaces have no deletecollection, as upstream.
    let wide = words(&ok(&c, "api-resources -o wide"));
    assert_eq!(
        wide[0].join(" "),
        "NAME SHORTNAMES APIVERSION NAMESPACED KIND VERBS CATEGORIES"
    );
    let row = |name: &str| wide.iter().find(|r| r[0] == name).expect("a row").join(" ");
    assert_eq!(
        row("namespaces"),
        "namespaces ns v1 false Namespace create,delete,get,list,patch,update,watch"
    );
    assert_eq!(
        row("pods"),
        "pods po v1 true Pod create,delete,deletecollection,get,list,patch,update,watch all"
    );
    assert_eq!(
        ok(&c, "api-resources --namespaced=false -o name"),
        "namespaces\nnodes\npriorityclasses.scheduling.k8s.io"
    );
    assert_eq!(
        ok(&c, "api-resources --api-group=apps -o name"),
        "deployments.apps\nreplicasets.apps"
    );
    let collections = ok(&c, "api-resources --verbs=deletecollection -o name");
    assert!(collections.contains("configmaps") && !collections.contains("namespaces"));

    c.ok(&["create", "-f", &c.manifest("objects.yaml", OBJECTS)]);
    ok(&c, "create namespace other");
    ok(
        &c,
        "create configmap aardvark -n other --from-literal=size=4",
    );

    // jsonpath: fields, a filter, and a range over a list.
    assert_eq!(
        ok(
            &c,
            "get deploy web -o jsonpath={.spec.replicas}/{.spec.template.spec.containers[0].image}"
        ),
        "2/busybox:1.36"
    );
    assert_eq!(
        ok(
            &c,
            r#"get cm -o jsonpath={.items[?(@.metadata.labels.tier=="front")].metadata.name}"#
        ),
        "alpha"
    );
    assert_eq!(
        ok(
            &c,
            r#"get cm -o jsonpath={range.items[*]}{.metadata.name}={.data.size}{"\n"}{end}"#
        ),
        "alpha=3\nmid=2\nzeta=1"
    );

    // custom-columns: a missing field prints <none>; --sort-by orders by any field.
    assert_eq!(
        ok(&c, "get cm -o custom-columns=NAME:.metadata.name,SIZE:.data.size,TIER:.metadata.labels.tier --sort-by=.data.size"),
        "NAME    SIZE   TIER\nzeta    1      back\nmid     2      <none>\nalpha   3      front"
    );
    // Across namespaces the server lists namespace by namespace; --sort-by sorts by name.
    let all = ok(&c, "get cm -A --sort-by=.metadata.name -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name");
    assert_eq!(
        words(&all),
        [
            ["NS", "NAME"],
            ["other", "aardvark"],
            ["default", "alpha"],
            ["default", "mid"],
            ["default", "zeta"]
        ]
    );
}

#[test]
fn kubectl_label_annotate_and_patch_in_all_three_types() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    c.ok(&["create", "-f", &c.manifest("objects.yaml", OBJECTS)]);

    // label: add; a second value needs --overwrite; `key-` removes.
    assert_eq!(ok(&c, "label cm mid tier=middle"), "configmap/mid labeled");
    assert_eq!(
        fails(&c, "label cm mid tier=other"),
        "error: 'tier' already has a value (middle), and --overwrite is false"
    );
    assert_eq!(
        ok(&c, "label cm mid tier=other --overwrite"),
        "configmap/mid labeled"
    );
    assert_eq!(ok(&c, "get cm -l tier=other -o name"), "configmap/mid");
    assert_eq!(ok(&c, "label cm mid tier-"), "configmap/mid unlabeled");
    let shown = words(&ok(&c, "get cm mid --show-labels"));
    assert_eq!(shown[1].last().map(String::as_str), Some("<none>"));
    // Several objects at once, by selector.
    assert_eq!(
        ok(&c, "label cm -l tier reviewed=yes"),
        "configmap/alpha labeled\nconfigmap/zeta labeled"
    );

    // annotate: the same rules (in other words).
    assert_eq!(
        ok(&c, "annotate deploy web owner=team-a"),
        "deployment.apps/web annotated"
    );
    assert_eq!(
        fails(&c, "annotate deploy web owner=team-b"),
        "error: --overwrite is false but found the following declared annotation(s): 'owner' already has a value (team-a)"
    );
    ok(&c, "annotate deploy web owner=team-b --overwrite");
    assert_eq!(
        ok(
            &c,
            "get deploy web -o jsonpath={.metadata.annotations.owner}"
        ),
        "team-b"
    );
    ok(&c, "annotate deploy web owner-");
    assert_eq!(
        ok(
            &c,
            "get deploy web -o jsonpath={.metadata.annotations.owner}"
        ),
        ""
    );

    // patch --type=merge (RFC 7386): objects merge, null deletes.
    assert_eq!(
        ok(
            &c,
            r#"patch cm mid --type=merge -p {"data":{"size":"20","color":"red"}}"#
        ),
        "configmap/mid patched"
    );
    ok(
        &c,
        r#"patch cm mid --type=merge -p {"data":{"color":null}}"#,
    );
    assert_eq!(ok(&c, "get cm mid -o jsonpath={.data}"), r#"{"size":"20"}"#);
    // The same patch again changes nothing, and kubectl says so.
    assert_eq!(
        ok(&c, r#"patch cm mid --type=merge -p {"data":{"size":"20"}}"#),
        "configmap/mid patched (no change)"
    );
    // patch --type=json (RFC 6902): operations on paths.
    ok(
        &c,
        r#"patch cm mid --type=json -p [{"op":"add","path":"/data/shape","value":"round"},{"op":"replace","path":"/data/size","value":"21"}]"#,
    );
    assert_eq!(
        ok(&c, "get cm mid -o jsonpath={.data.shape}/{.data.size}"),
        "round/21"
    );
    // patch (strategic merge, kubectl's default): containers merge by name, so naming one
    // changes it, and naming a new one adds it beside the others.
    assert_eq!(
        ok(
            &c,
            r#"patch deploy web -p {"spec":{"template":{"spec":{"containers":[{"name":"web","image":"busybox:1.37"}]}}}}"#
        ),
        "deployment.apps/web patched"
    );
    ok(
        &c,
        r#"patch deploy web --type=strategic -p {"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}"#,
    );
    let containers = "get deploy web -o jsonpath={.spec.template.spec.containers[*].name}/{.spec.template.spec.containers[*].image}";
    assert_eq!(ok(&c, containers), "web side/busybox:1.37 busybox");
    // A merge patch of the same list replaces it whole.
    ok(
        &c,
        r#"patch deploy web --type=merge -p {"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox"}]}}}}"#,
    );
    assert_eq!(ok(&c, containers), "only/busybox");
    assert_eq!(
        ok(&c, "get deploy web -o jsonpath={.metadata.generation}"),
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
    c.ok(&["create", "-f", &c.manifest("objects.yaml", OBJECTS)]);
    let cache = tempfile::tempdir().expect("cache dir");

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
    let edited = kubectl_env(
        &c,
        cache.path(),
        &[("KUBE_EDITOR", &replicas)],
        "edit deploy web",
    );
    assert_eq!(edited.1, "deployment.apps/web edited", "{}", edited.2);
    assert_eq!(ok(&c, "get deploy web -o jsonpath={.spec.replicas}"), "4");
    // Without KUBE_EDITOR kubectl falls back to EDITOR.
    let edited = kubectl_env(&c, cache.path(), &[("EDITOR", &annotate)], "edit cm mid");
    assert_eq!(edited.1, "configmap/mid edited", "{}", edited.2);
    assert_eq!(
        ok(
            &c,
            "get cm mid -o jsonpath={.metadata.annotations.edited-by}"
        ),
        "sed"
    );
    // KUBE_EDITOR wins over EDITOR; an editor that changes nothing cancels the edit.
    let both = [("KUBE_EDITOR", "true"), ("EDITOR", replicas.as_str())];
    let cancelled = kubectl_env(&c, cache.path(), &both, "edit deploy web");
    assert_eq!(
        cancelled,
        (
            true,
            String::new(),
            "Edit cancelled, no changes made.".to_string()
        )
    );

    // scale writes the /scale subresource; --current-replicas makes it conditional.
    assert_eq!(
        ok(&c, "scale deployment web --replicas=3"),
        "deployment.apps/web scaled"
    );
    assert_eq!(
        fails(&c, "scale deployment web --replicas=5 --current-replicas=2"),
        "error: Expected replicas to be 2, was 3"
    );
    ok(&c, "scale deployment web --replicas=5 --current-replicas=3");

    // wait --for=jsonpath: met at once, or a timeout with kubectl's words ...
    assert_eq!(
        ok(
            &c,
            "wait --for=jsonpath={.spec.replicas}=5 deploy/web --timeout=20s"
        ),
        "deployment.apps/web condition met"
    );
    assert_eq!(
        fails(
            &c,
            "wait --for=jsonpath={.spec.replicas}=7 deploy/web --timeout=1s"
        ),
        "error: timed out waiting for the condition on deployments/web"
    );
    // ... or met later, when a change arrives while it waits.
    let waiting = start_waiting(
        &c,
        "configmaps",
        "wait --for=jsonpath={.data.size}=9 cm/mid --timeout=30s",
    );
    ok(&c, r#"patch cm mid --type=merge -p {"data":{"size":"9"}}"#);
    assert_eq!(finished(waiting), "configmap/mid condition met");
}

#[test]
fn kubectl_delete_cascades_record_their_finalizers_and_wait_for_delete_sees_the_end() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    for policy in ["background", "foreground", "orphan"] {
        ok(
            &c,
            &format!("create deployment by-{policy} --image=busybox"),
        );
    }
    // Background: the server deletes at once (a garbage collector would then delete the
    // dependents), and kubectl's default --wait=true returns at once too.
    assert_eq!(
        ok(&c, "delete deploy by-background --cascade=background"),
        r#"deployment.apps "by-background" deleted"#
    );
    // Foreground and Orphan are recorded as finalizers on the object, which stays (with a
    // deletionTimestamp) until the garbage collector has done its part and removed them.
    // No garbage collector runs here, so kubectl must not wait for it.
    for policy in ["foreground", "orphan"] {
        assert_eq!(
            ok(
                &c,
                &format!("delete deploy by-{policy} --cascade={policy} --wait=false")
            ),
            format!(r#"deployment.apps "by-{policy}" deleted"#)
        );
    }
    let table = ok(&c, "get deploy -o custom-columns=NAME:.metadata.name,FINALIZERS:.metadata.finalizers,DELETING:.metadata.deletionTimestamp");
    let rows = words(&table);
    assert_eq!(rows.len(), 3, "{table}");
    assert_eq!(rows[1][..2], ["by-foreground", "[foregroundDeletion]"]);
    assert_eq!(rows[2][..2], ["by-orphan", "[orphan]"]);
    assert!(
        rows[1][2].ends_with('Z') && rows[2][2].ends_with('Z'),
        "{table}"
    );
    // Playing the garbage collector: removing the last finalizer completes the delete.
    ok(
        &c,
        r#"patch deploy by-foreground --type=json -p [{"op":"remove","path":"/metadata/finalizers"}]"#,
    );
    ok(
        &c,
        r#"patch deploy by-orphan --type=merge -p {"metadata":{"finalizers":null}}"#,
    );
    assert_eq!(ok(&c, "get deploy -o name"), "");

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
    c.ok(&["create", "-f", &c.manifest("held.yaml", held)]);
    assert_eq!(
        ok(&c, "delete pod held --wait=false"),
        r#"pod "held" deleted"#
    );
    assert_eq!(
        words(&ok(&c, "get pod held"))[1][..3],
        ["held", "0/1", "Terminating"]
    );
    let waiting = start_waiting(&c, "pods", "wait --for=delete pod/held --timeout=30s");
    assert_eq!(
        ok(
            &c,
            r#"patch pod held --type=json -p [{"op":"remove","path":"/metadata/finalizers"}]"#
        ),
        "pod/held patched"
    );
    assert_eq!(finished(waiting), "pod/held condition met");
    assert_eq!(
        fails(&c, "get pod held"),
        r#"Error from server (NotFound): pods "held" not found"#
    );

    // A pod that no kubelet runs has nothing to wait for: deleted at once, and kubectl's
    // own wait (the default --wait=true) returns at once.
    let quick = held.replace(
        "name: held\n  finalizers: [example.com/hold]",
        "name: quick",
    );
    c.ok(&["create", "-f", &c.manifest("quick.yaml", &quick)]);
    assert_eq!(ok(&c, "delete pod quick"), r#"pod "quick" deleted"#);
    assert_eq!(ok(&c, "get pods -o name"), "");
}

#[test]
fn kubectl_deletes_a_namespace_in_two_phases_and_applies_one_idempotently() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    assert_eq!(
        ok(&c, "create namespace doomed"),
        "namespace/doomed created"
    );
    ok(&c, "create configmap inside -n doomed --from-literal=a=b");
    assert_eq!(
        ok(
            &c,
            "get ns doomed -o jsonpath={.status.phase}/{.spec.finalizers}/{.metadata.labels}"
        ),
        r#"Active/["kubernetes"]/{"kubernetes.io/metadata.name":"doomed"}"#
    );

    // The immortal namespaces refuse.
    assert_eq!(
        fails(&c, "delete ns default"),
        r#"Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted"#
    );

    // Phase one: the DELETE marks it Terminating. The namespace controller would now empty
    // it and then finalize it; kubectl would wait for that, so here it must not.
    assert_eq!(
        ok(&c, "delete ns doomed --wait=false"),
        r#"namespace "doomed" deleted"#
    );
    let rows = words(&ok(&c, "get ns doomed"));
    assert_eq!(rows[0], ["NAME", "STATUS", "AGE"]);
    assert_eq!(rows[1][..2], ["doomed", "Terminating"]);
    // Nothing new moves in, whichever way it is created ...
    let late = c.manifest(
        "late.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late, namespace: doomed}\n",
    );
    let refused = "is forbidden: unable to create new content in namespace doomed because it is being terminated";
    assert_eq!(
        c.fails(&["create", "-f", &late]).trim(),
        format!(
            r#"Error from server (Forbidden): error when creating "{late}": configmaps "late" {refused}"#
        )
    );
    let err = fails(&c, "create configmap later -n doomed --from-literal=a=b");
    assert!(
        err.contains(&format!(r#"configmaps "later" {refused}"#)),
        "{err}"
    );
    // ... but what is inside may still change (the controller deletes it, owners edit it).
    ok(&c, "label cm inside -n doomed seen=yes");
    // Deleting again changes nothing: spec.finalizers still holds it.
    assert_eq!(
        ok(&c, "delete ns doomed --wait=false"),
        r#"namespace "doomed" deleted"#
    );
    assert_eq!(
        ok(
            &c,
            "get ns doomed -o jsonpath={.status.phase}/{.spec.finalizers}"
        ),
        r#"Terminating/["kubernetes"]"#
    );

    // Phase two, by hand (the well-known fix for a namespace "stuck in Terminating"): PUT the
    // namespace with empty spec.finalizers to its finalize subresource. It is gone at once.
    let waiting = start_waiting(
        &c,
        "namespaces",
        "wait --for=delete namespace/doomed --timeout=30s",
    );
    let finalized = c.manifest(
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
    assert_eq!(finished(waiting), "namespace/doomed condition met");
    assert_eq!(
        fails(&c, "get ns doomed"),
        r#"Error from server (NotFound): namespaces "doomed" not found"#
    );

    // apply of an unchanged Namespace manifest: created, then unchanged.
    let ns = c.manifest(
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
    // server (apimachinery's `strategicpatch.diffMaps`: a changed type is a change).
    let generated = ok(&c, "create namespace gen --dry-run=client -o yaml");
    assert!(generated.contains("creationTimestamp: null"), "{generated}");
    let generated = c.manifest("gen.yaml", &generated);
    assert_eq!(
        c.ok(&["apply", "-f", &generated]).trim(),
        "namespace/gen created"
    );
    assert_eq!(
        c.ok(&["apply", "-f", &generated]).trim(),
        "namespace/gen configured"
    );
}
