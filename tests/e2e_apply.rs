//! End to end: server-side apply driven by the real kubectl (`kubectl apply --server-side`),
//! against `kubeling up` with etcd.

mod common;

use common::Cluster;

fn deployment(replicas: u32, image: &str) -> String {
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

fn get(cluster: &Cluster, jsonpath: &str) -> String {
    cluster.ok(&[
        "get",
        "deployment",
        "web",
        "-o",
        &format!("jsonpath={jsonpath}"),
    ])
}

/// What kubectl prints for a one-field conflict with `manager`.
fn conflict_text(manager: &str) -> String {
    format!(
        "error: Apply failed with 1 conflict: conflict with {manager}: .spec.replicas
Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
"
    )
}

#[test]
fn kubectl_applies_server_side_conflicts_and_forces() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let c = Cluster::up("etcd");
    let file = c.manifest("web.yaml", &deployment(2, "busybox"));

    // Creates, then an unchanged re-apply writes nothing.
    let out = c.ok(&["apply", "--server-side", "-f", &file]);
    assert_eq!(out, "deployment.apps/web serverside-applied\n");
    let rv = get(&c, "{.metadata.resourceVersion}");
    let out = c.ok(&["apply", "--server-side", "-f", &file]);
    assert_eq!(out, "deployment.apps/web serverside-applied\n");
    assert_eq!(get(&c, "{.metadata.resourceVersion}"), rv);

    // A change, re-applied.
    let file = c.manifest("web.yaml", &deployment(3, "busybox:1.36"));
    c.ok(&["apply", "--server-side", "-f", &file]);
    assert_eq!(
        get(
            &c,
            "{.spec.replicas} {.spec.template.spec.containers[0].image}"
        ),
        "3 busybox:1.36"
    );

    // Someone else changes replicas; applying another value now conflicts, and kubectl says
    // so in its own words around the server's message.
    c.ok(&[
        "patch",
        "deployment",
        "web",
        "--type=merge",
        "-p",
        r#"{"spec":{"replicas":5}}"#,
    ]);
    let file = c.manifest("web.yaml", &deployment(4, "busybox:1.36"));
    let err = c.fails(&["apply", "--server-side", "-f", &file]);
    assert_eq!(err, conflict_text(r#""kubectl-patch" using apps/v1"#));
    assert_eq!(
        get(&c, "{.spec.replicas}"),
        "5",
        "a conflict changes nothing"
    );

    // --force-conflicts takes the field over.
    let out = c.ok(&["apply", "--server-side", "--force-conflicts", "-f", &file]);
    assert_eq!(out, "deployment.apps/web serverside-applied\n");
    assert_eq!(get(&c, "{.spec.replicas}"), "4");

    // kubectl scale writes through /scale: the conflict names the subresource.
    c.ok(&["scale", "deployment", "web", "--replicas=6"]);
    let file = c.manifest("web.yaml", &deployment(7, "busybox:1.36"));
    let err = c.fails(&["apply", "--server-side", "-f", &file]);
    assert!(
        err.contains(r#"with subresource "scale" using apps/v1: .spec.replicas"#),
        "{err}"
    );

    // managedFields are there for --show-managed-fields, and hidden otherwise.
    let yaml = c.ok(&[
        "get",
        "deployment",
        "web",
        "-o",
        "yaml",
        "--show-managed-fields",
    ]);
    assert!(yaml.contains("  managedFields:\n"), "{yaml}");
    assert!(
        yaml.contains("    manager: kubectl\n    operation: Apply\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("    operation: Update\n    subresource: scale\n"),
        "{yaml}"
    );
    assert!(yaml.contains("f:replicas: {}"), "{yaml}");
    assert!(yaml.contains(r#"k:{"name":"web"}:"#), "{yaml}");
    let plain = c.ok(&["get", "deployment", "web", "-o", "yaml"]);
    assert!(!plain.contains("managedFields"), "{plain}");
}

#[test]
fn a_client_side_applied_object_moves_to_server_side_apply() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let c = Cluster::up("etcd");
    let file = c.manifest("web.yaml", &deployment(2, "busybox"));
    c.ok(&["apply", "-f", &file]);
    // kubectl may take over what it set itself with client-side apply: no conflict, and its
    // migration of the managedFields (a JSON patch) and re-apply succeed without a warning.
    let file = c.manifest("web.yaml", &deployment(3, "busybox"));
    let out = c.kubectl(&["apply", "--server-side", "-f", &file]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(get(&c, "{.spec.replicas}"), "3");
    let managers = get(
        &c,
        "{range .metadata.managedFields[*]}{.manager}/{.operation} {end}",
    );
    assert_eq!(managers, "kubectl-last-applied/Apply kubectl/Apply ");
    // The server kept the client-side annotation current, so client-side apply still works.
    let file = c.manifest("web.yaml", &deployment(4, "busybox"));
    assert_eq!(
        c.ok(&["apply", "-f", &file]),
        "deployment.apps/web configured\n"
    );
    assert_eq!(get(&c, "{.spec.replicas}"), "4");
}

#[test]
fn server_side_dry_runs_check_everything_and_store_nothing() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let c = Cluster::up("etcd");
    let file = c.manifest("web.yaml", &deployment(2, "busybox"));
    assert_eq!(
        c.ok(&["apply", "--dry-run=server", "-f", &file]),
        "deployment.apps/web created (server dry run)\n"
    );
    assert_eq!(
        c.ok(&["apply", "--server-side", "--dry-run=server", "-f", &file]),
        "deployment.apps/web serverside-applied (server dry run)\n"
    );
    assert_eq!(
        c.ok(&[
            "create",
            "configmap",
            "cfg",
            "--from-literal=a=1",
            "--dry-run=server"
        ]),
        "configmap/cfg created (server dry run)\n"
    );
    let err = c.fails(&["get", "deployment", "web"]);
    assert_eq!(
        err.trim(),
        r#"Error from server (NotFound): deployments.apps "web" not found"#
    );
    // A dry run meets the same validation as a real write.
    let bad = c.manifest("bad.yaml", &deployment(2, ""));
    let err = c.fails(&["apply", "--dry-run=server", "-f", &bad]);
    assert!(
        err.contains("spec.template.spec.containers[0].image: Required value"),
        "{err}"
    );
    // An existing object: the change is shown, not made.
    c.ok(&["apply", "-f", &file]);
    let scaled = c.manifest("web.yaml", &deployment(5, "busybox"));
    assert_eq!(
        c.ok(&["apply", "--dry-run=server", "-f", &scaled]),
        "deployment.apps/web configured (server dry run)\n"
    );
    assert_eq!(
        c.ok(&["delete", "deployment", "web", "--dry-run=server"]),
        "deployment.apps \"web\" deleted (server dry run)\n"
    );
    assert_eq!(get(&c, "{.spec.replicas}"), "2");
}
