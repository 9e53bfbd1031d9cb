//! End to end: what the real kubectl makes of our discovery and OpenAPI documents.
//!
//! - `kubectl explain` reads the OpenAPI v3 documents (fields, types, descriptions);
//! - `kubectl create -f` / `apply -f` find the `fieldValidation` parameter there and leave
//!   validation to the server, and `apply` computes its patch from the schemas' merge keys;
//! - kubectl 1.32 discovers resources through aggregated discovery (2 requests), kubectl
//!   1.27, which asks only for the older v2beta1 format, through legacy discovery; both
//!   must see the same resources.

mod common;

use common::Cluster;
use std::process::Command;

/// A kubectl that speaks only legacy discovery to us (it asks for aggregated v2beta1, which
/// we do not serve). Present on the project's machines next to the version dispatcher.
const KUBECTL_127: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27";

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: busybox
";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox
        env: [{name: ONE, value: '1'}, {name: TWO, value: '2'}]
      - name: side
        image: busybox
";

/// What `kubectl api-resources` must print for each resource, as upstream's server makes it
/// print: (NAME, SHORTNAMES, APIVERSION, NAMESPACED, KIND).
const API_RESOURCES: &[[&str; 5]] = &[
    ["configmaps", "cm", "v1", "true", "ConfigMap"],
    ["endpoints", "ep", "v1", "true", "Endpoints"],
    ["events", "ev", "v1", "true", "Event"],
    ["namespaces", "ns", "v1", "false", "Namespace"],
    ["nodes", "no", "v1", "false", "Node"],
    ["pods", "po", "v1", "true", "Pod"],
    ["secrets", "", "v1", "true", "Secret"],
    ["serviceaccounts", "sa", "v1", "true", "ServiceAccount"],
    ["services", "svc", "v1", "true", "Service"],
    ["deployments", "deploy", "apps/v1", "true", "Deployment"],
    ["replicasets", "rs", "apps/v1", "true", "ReplicaSet"],
    ["jobs", "", "batch/v1", "true", "Job"],
    ["leases", "", "coordination.k8s.io/v1", "true", "Lease"],
    [
        "endpointslices",
        "",
        "discovery.k8s.io/v1",
        "true",
        "EndpointSlice",
    ],
    [
        "priorityclasses",
        "pc",
        "scheduling.k8s.io/v1",
        "false",
        "PriorityClass",
    ],
];

/// kubectl's stdout and its `-v` log (stderr) together.
fn logged(c: &Cluster, args: &[&str]) -> (String, String) {
    let out = c.kubectl(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "kubectl {args:?} failed:\n{stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// The rows of `kubectl api-resources`, cut at the header's column starts (SHORTNAMES may be
/// empty, so splitting at spaces would shift columns).
fn api_resources_rows(output: &str) -> Vec<[String; 5]> {
    let mut lines = output.lines();
    let header = lines.next().expect("a header line");
    let starts: Vec<usize> = ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
        .iter()
        .map(|h| header.find(h).expect("column in header"))
        .collect();
    lines
        .map(|line| {
            std::array::from_fn(|i| {
                let end = starts
                    .get(i + 1)
                    .copied()
                    .unwrap_or(line.len())
                    .min(line.len());
                line.get(starts[i].min(end)..end)
                    .unwrap_or_default()
                    .trim()
                    .to_string()
            })
        })
        .collect()
}

fn assert_api_resources(output: &str, who: &str) {
    let rows = api_resources_rows(output);
    for expected in API_RESOURCES {
        let row = rows
            .iter()
            .find(|r| r[0] == expected[0])
            .unwrap_or_else(|| panic!("{who}: {} missing from\n{output}", expected[0]));
        assert_eq!(row, &expected.map(String::from), "{who}");
    }
    assert_eq!(
        rows.len(),
        API_RESOURCES.len(),
        "{who}: no more, no less:\n{output}"
    );
}

#[test]
fn kubectl_explain_prints_fields_types_and_descriptions() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    let (containers, log) = logged(&c, &["explain", "pod.spec.containers", "-v=6"]);
    assert!(log.contains("/openapi/v3/api/v1?hash="), "{log}");
    assert!(
        containers.starts_with("KIND:       Pod\nVERSION:    v1\n"),
        "{containers}"
    );
    assert!(
        containers.contains("FIELD: containers <[]Container>"),
        "{containers}"
    );
    assert!(
        containers.contains("  image\t<string>\n    Container image name."),
        "{containers}"
    );
    assert!(
        containers.contains("  name\t<string> -required-\n"),
        "{containers}"
    );
    assert!(
        containers.contains("  ports\t<[]ContainerPort>\n"),
        "{containers}"
    );

    // metadata is not required upstream, though k8s-openapi's Rust type makes it so.
    let pod = c.ok(&["explain", "pods"]);
    assert!(pod.contains("  metadata\t<ObjectMeta>\n"), "{pod}");
    assert!(pod.contains("Pod is a collection of containers"), "{pod}");

    let spec = c.ok(&["explain", "deployment.spec", "--recursive"]);
    assert!(
        spec.starts_with("GROUP:      apps\nKIND:       Deployment\n"),
        "{spec}"
    );
    for line in [
        "  selector\t<LabelSelector> -required-",
        "  template\t<PodTemplateSpec> -required-",
        "      containers\t<[]Container> -required-",
        "        image\t<string>",
        "      maxSurge\t<IntOrString>",
    ] {
        assert!(spec.contains(&format!("{line}\n")), "{line:?} in\n{spec}");
    }

    let err = c.fails(&["explain", "pod.spec.nope"]);
    assert!(err.contains(r#"field "nope" does not exist"#), "{err}");
}

#[test]
fn kubectl_leaves_validation_to_the_server_and_applies_with_the_servers_merge_keys() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    let pod = c.manifest("pod.yaml", POD);
    let (out, log) = logged(&c, &["create", "-f", &pod, "-v=6"]);
    assert_eq!(out.trim(), "pod/web created");
    // The v3 document said "this server validates": no v2 download, no client-side check.
    assert!(
        log.contains("GET http"),
        "kubectl logged its requests: {log}"
    );
    assert!(log.contains("/openapi/v3/api/v1?hash="), "{log}");
    assert!(!log.contains("/openapi/v2"), "{log}");
    assert!(log.contains("fieldValidation=Strict"), "{log}");

    let typo = c.manifest(
        "typo.yaml",
        &POD.replace("web\n    image", "typo\n    imagee"),
    );
    let err = c.fails(&["create", "-f", &typo]);
    assert!(
        err.contains(r#"Error from server (BadRequest): error when creating ""#)
            && err.contains(r#"Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee""#),
        "{err}"
    );

    // apply computes its patch from the v3 schemas (they advertise strategic merge patch),
    // so removing a container and an env var must come out as `$patch: delete` by key.
    let deploy = c.manifest("deploy.yaml", DEPLOYMENT);
    assert_eq!(
        c.ok(&["apply", "-f", &deploy]).trim(),
        "deployment.apps/web created"
    );
    let smaller = DEPLOYMENT
        .replace(", {name: TWO, value: '2'}", "")
        .replace("      - name: side\n        image: busybox\n", "");
    let smaller = c.manifest("deploy2.yaml", &smaller);
    let (out, log) = logged(&c, &["apply", "-f", &smaller, "-v=8"]);
    assert_eq!(out.trim(), "deployment.apps/web configured");
    assert!(!log.contains("OpenAPI V3 path does not"), "{log}");
    assert!(!log.contains("error calculating patch"), "{log}");
    let containers = c.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[*].name} {.spec.template.spec.containers[0].env[*].name}",
    ]);
    assert_eq!(containers.trim(), "web ONE");
}

#[test]
fn api_resources_and_get_all_work_through_aggregated_and_legacy_discovery() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    c.ok(&["create", "-f", &c.manifest("pod.yaml", POD)]);
    c.ok(&["create", "-f", &c.manifest("deploy.yaml", DEPLOYMENT)]);

    // kubectl 1.32: aggregated discovery, so /api and /apis and nothing per group-version.
    let (out, log) = logged(&c, &["api-resources", "-v=8"]);
    assert!(
        log.contains(AGGREGATED),
        "the aggregated document was served:\n{log}"
    );
    assert!(!log.contains("/api/v1?timeout"), "{log}");
    assert!(!log.contains("/apis/apps/v1?timeout"), "{log}");
    assert_api_resources(&out, "kubectl 1.32");
    let all = c.ok(&["get", "all"]);
    for name in ["pod/web", "service/kubernetes", "deployment.apps/web"] {
        assert!(all.contains(name), "{name} in\n{all}");
    }

    // kubectl 1.27: legacy discovery, one APIResourceList per group-version.
    if !std::path::Path::new(KUBECTL_127).exists() {
        eprintln!("SKIPPED (legacy half): {KUBECTL_127} is not installed");
        return;
    }
    let cache = tempfile::tempdir().expect("cache dir");
    let old = |args: &[&str]| {
        let out = Command::new(KUBECTL_127)
            .arg(format!("--cache-dir={}", cache.path().display()))
            .args(args)
            .env("KUBECONFIG", c.kubeconfig())
            .output()
            .expect("kubectl 1.27 runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "kubectl 1.27 {args:?}:\n{stderr}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    };
    let (out, log) = old(&["api-resources", "-v=6"]);
    assert!(log.contains("/api/v1?timeout"), "{log}");
    assert!(log.contains("/apis/apps/v1?timeout"), "{log}");
    assert_api_resources(&out, "kubectl 1.27");
    let (all, _) = old(&["get", "all"]);
    for name in ["pod/web", "service/kubernetes", "deployment.apps/web"] {
        assert!(all.contains(name), "{name} in\n{all}");
    }
}
