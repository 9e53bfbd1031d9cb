//! End to end: the real kubectl prints `kubectl get` from kubeling's server-side Tables, with
//! upstream's columns (READY STATUS RESTARTS for pods, UP-TO-DATE for deployments, ...),
//! `-o wide`, `-A`, `--show-labels`, `-L`, several kinds at once, and `get -w`.

mod common;

use common::Cluster;
use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

const OBJECTS: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  containers:
  - name: web
    image: busybox
---
apiVersion: apps/v1
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
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: 10.96.0.10
  selector: {app: web}
  ports:
  - {port: 80, protocol: TCP}
---
apiVersion: v1
kind: Node
metadata:
  name: n1
  labels: {node-role.kubernetes.io/worker: ''}
status:
  conditions:
  - {type: Ready, status: 'True', reason: KubeletReady, message: ready}
  nodeInfo: {kubeletVersion: v1.32.0-kubeling, osImage: Debian, kernelVersion: '6.1',
    containerRuntimeVersion: 'simulated://0.1', architecture: amd64, operatingSystem: linux,
    bootID: '', machineID: '', systemUUID: '', kubeProxyVersion: ''}
  addresses:
  - {type: InternalIP, address: 10.0.0.1}
";

/// An AGE cell of a just-created object: whole seconds (`0s`, `12s`) or minutes on a slow run.
fn is_age(cell: &str) -> bool {
    let digits = cell.trim_end_matches(['s', 'm']);
    !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) && cell != digits
}

/// The whitespace-separated words of each line.
fn words(output: &str) -> Vec<Vec<String>> {
    output
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// `kubectl get ...`, shown on stderr (run with `--nocapture` to read it) and returned.
fn get(c: &Cluster, args: &[&str]) -> String {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    let out = c.ok(&all);
    eprintln!("$ kubectl {}\n{out}", all.join(" "));
    out
}

#[test]
fn kubectl_get_prints_upstreams_columns_from_server_side_tables() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    let path = c.dir.join("objects.yaml");
    std::fs::write(&path, OBJECTS).expect("write manifest");
    let created = c.ok(&["create", "-f", path.to_str().expect("utf-8 path")]);
    assert_eq!(created.lines().count(), 4, "{created}");

    // The default columns, laid out exactly as kubectl lays them out.
    let pods = get(&c, &["pods"]);
    let lines: Vec<&str> = pods.lines().collect();
    assert_eq!(lines[0], "NAME   READY   STATUS    RESTARTS   AGE");
    let age = lines[1]
        .strip_prefix("web    0/1     Pending   0          ")
        .unwrap_or_else(|| panic!("the pod's row: {:?}", lines[1]));
    assert!(is_age(age), "AGE is a duration: {age:?}");

    let wide = words(&get(&c, &["pods", "-o", "wide"]));
    assert_eq!(
        wide[0],
        [
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED",
            "NODE",
            "READINESS",
            "GATES"
        ]
    );
    assert_eq!(wide[1][..4], ["web", "0/1", "Pending", "0"]);
    assert_eq!(wide[1][5..], ["<none>", "<none>", "<none>", "<none>"]);

    // -A, --show-labels and -L read the namespace and labels from each row's object.
    let all = words(&get(&c, &["pods", "-A"]));
    assert_eq!(all[0][..2], ["NAMESPACE", "NAME"]);
    assert_eq!(all[1][..3], ["default", "web", "0/1"]);
    let labels = words(&get(&c, &["pods", "--show-labels"]));
    assert_eq!(labels[0].last().map(String::as_str), Some("LABELS"));
    assert_eq!(labels[1].last().map(String::as_str), Some("app=web"));
    let column = words(&get(&c, &["pods", "-L", "app"]));
    assert_eq!(column[0].last().map(String::as_str), Some("APP"));
    assert_eq!(column[1].last().map(String::as_str), Some("web"));

    // Several kinds at once: one table each, names prefixed with the kind.
    let tables = get(&c, &["deploy,svc,nodes,ns"]);
    let blocks: Vec<Vec<Vec<String>>> = tables.split("\n\n").map(words).collect();
    assert_eq!(blocks.len(), 4, "{tables}");
    assert_eq!(
        blocks[0][0],
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert_eq!(blocks[0][1][..4], ["deployment.apps/web", "0/2", "0", "0"]);
    assert_eq!(
        blocks[1][0],
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE"
        ]
    );
    // Every cluster has the `kubernetes` Service, with the range's first address.
    assert_eq!(
        blocks[1][1][..5],
        [
            "service/kubernetes",
            "ClusterIP",
            "10.96.0.1",
            "<none>",
            "443/TCP"
        ]
    );
    assert_eq!(
        blocks[1][2][..5],
        ["service/web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP"]
    );
    assert_eq!(blocks[2][0], ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    assert_eq!(blocks[2][1][..3], ["node/n1", "Ready", "worker"]);
    assert_eq!(blocks[2][1][4], "v1.32.0-kubeling");
    assert_eq!(blocks[3][0], ["NAME", "STATUS", "AGE"]);
    assert!(blocks[3]
        .iter()
        .any(|row| row[..2] == ["namespace/default", "Active"] && is_age(&row[2])));
    assert!(is_age(&blocks[0][1][4]) && is_age(&blocks[1][1][5]) && is_age(&blocks[2][1][3]));

    let nodes = words(&get(&c, &["nodes", "-o", "wide"]));
    assert_eq!(
        nodes[0][5..],
        [
            "INTERNAL-IP",
            "EXTERNAL-IP",
            "OS-IMAGE",
            "KERNEL-VERSION",
            "CONTAINER-RUNTIME"
        ]
    );
    assert_eq!(
        nodes[1][5..],
        ["10.0.0.1", "<none>", "Debian", "6.1", "simulated://0.1"]
    );

    // get -w: the list first, then a row for a pod created while it watches.
    let mut watch = c.kubectl_background(&["get", "pods", "-w"]);
    let (tx, rx) = mpsc::channel();
    let stdout = watch.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let next = || {
        rx.recv_timeout(Duration::from_secs(20))
            .expect("a line from get -w")
    };
    let (header, first) = (next(), next());
    assert_eq!(header, "NAME   READY   STATUS    RESTARTS   AGE");
    assert!(first.starts_with("web    0/1     Pending   0 "), "{first}");
    let later = c.dir.join("later.yaml");
    std::fs::write(
        &later,
        OBJECTS
            .split("---")
            .next()
            .expect("the pod")
            .replace("name: web\n  labels", "name: later\n  labels"),
    )
    .expect("write manifest");
    c.ok(&["create", "-f", later.to_str().expect("utf-8 path")]);
    let row = next();
    eprintln!("$ kubectl get pods -w   (and meanwhile a pod is created)\n{header}\n{first}\n{row}");
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>()[..4],
        ["later", "0/1", "Pending", "0"]
    );
    let _ = watch.kill();
    let _ = watch.wait();
}
