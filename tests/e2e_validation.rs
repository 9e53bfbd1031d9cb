//! End to end: the real kubectl against `kubeling up` prints validation errors exactly as it
//! prints a real API server's (`The Pod "x" is invalid: <field>: <message>`), because the
//! server sends upstream's causes and kubectl builds its text from them.

mod common;

use common::Cluster;

const NO_IMAGE: &str = "apiVersion: v1
kind: Pod
metadata: {name: no-image}
spec:
  containers: [{name: web}]
";

const TWINS: &str = "apiVersion: v1
kind: Pod
metadata: {name: twins}
spec:
  containers:
  - {name: web, image: busybox}
  - {name: web, image: busybox}
";

const BAD_PORT: &str = "apiVersion: v1
kind: Pod
metadata: {name: bad-port}
spec:
  containers:
  - name: web
    image: busybox
    ports: [{containerPort: 70000}]
";

fn deployment(selector: &str, labels: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  selector:
    matchLabels: {{app: {selector}}}
  template:
    metadata:
      labels: {{app: {labels}}}
    spec:
      containers: [{{name: web, image: busybox}}]
"
    )
}

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{port: 80}]
";

#[test]
fn kubectl_prints_upstreams_validation_messages() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let c = Cluster::up("etcd");
    let create = |name: &str, text: &str| {
        let file = c.manifest(name, text);
        c.fails(&["create", "-f", &file]).trim().to_string()
    };

    assert_eq!(
        create("no-image.yaml", NO_IMAGE),
        r#"The Pod "no-image" is invalid: spec.containers[0].image: Required value"#
    );
    assert_eq!(
        create("twins.yaml", TWINS),
        r#"The Pod "twins" is invalid: spec.containers[1].name: Duplicate value: "web""#
    );
    assert_eq!(
        create("bad-port.yaml", BAD_PORT),
        r#"The Pod "bad-port" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"#
    );
    assert_eq!(
        create("mismatch.yaml", &deployment("web", "x")),
        r#"The Deployment "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`"#
    );
    // Nothing refused was stored.
    let listed = c.ok(&["get", "pods,deployments", "-o", "name"]);
    assert_eq!(listed.trim(), "", "refused objects must not exist");

    // A Deployment's selector is fixed once it exists, even when the template follows it.
    let good = c.manifest("web.yaml", &deployment("web", "web"));
    c.ok(&["create", "-f", &good]);
    let moved = c.manifest("moved.yaml", &deployment("web2", "web2"));
    assert_eq!(
        c.fails(&["replace", "-f", &moved]).trim(),
        r#"The Deployment "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"#
    );

    // A Service's ClusterIP is fixed once allocated. Upstream copies a new clusterIP into
    // clusterIPs first, then validation refuses the changed list: hence `[]string{...}`.
    let svc = c.manifest("svc.yaml", SERVICE);
    c.ok(&["create", "-f", &svc]);
    let err = c.fails(&[
        "patch",
        "service",
        "web",
        "-p",
        r#"{"spec":{"clusterIP":"10.96.7.7"}}"#,
    ]);
    assert_eq!(
        err.trim(),
        r#"The Service "web" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.7.7"}: may not change once set"#
    );
}
