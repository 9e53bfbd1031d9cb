//! The `kubeling up` contract: it stops cleanly on SIGTERM; starting it again on the same
//! directory keeps every object, and a watcher resuming from the resourceVersion it had before
//! misses nothing; `--store memory` needs no etcd; a missing etcd is explained.

mod common;

use common::Cluster;

fn etcd_pid(cluster: &Cluster) -> i32 {
    let line = cluster
        .startup
        .iter()
        .find(|l| l.starts_with("etcd started (pid "))
        .expect("etcd pid line");
    line["etcd started (pid ".len()..]
        .split(')')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a pid")
}

fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn create(cluster: &Cluster, name: &str) {
    let yaml = format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    let out = cluster.kubectl_stdin(&["create", "-f", "-"], Some(&yaml));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn objects_survive_a_restart_and_a_resumed_watch_misses_nothing() {
    if !common::require(&["etcd", "kubectl"]) {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = Cluster::start_in(dir.path(), "etcd");
    create(&first, "a");
    let list: serde_json::Value =
        serde_json::from_str(&first.ok(&["get", "--raw", "/api/v1/namespaces/default/configmaps"]))
            .expect("json");
    let seen_rv = list["metadata"]["resourceVersion"]
        .as_str()
        .expect("list rv")
        .to_string();
    create(&first, "b"); // the watcher was not looking when this happened

    // An open watch must not keep the server from stopping.
    let mut watch = first.kubectl_background(&["get", "configmaps", "-w"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let etcd = etcd_pid(&first);
    let status = first.stop().expect("kubeling up exits");
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
    assert!(
        !alive(etcd),
        "etcd (pid {etcd}) was stopped with the cluster"
    );

    let second = Cluster::start_in(dir.path(), "etcd");
    assert_eq!(
        second
            .ok(&["get", "configmaps", "-o", "name"])
            .lines()
            .collect::<Vec<_>>(),
        ["configmap/a", "configmap/b"]
    );
    create(&second, "c");
    let path = format!("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={seen_rv}&timeoutSeconds=2");
    let events: Vec<(String, String)> = second
        .ok(&["get", "--raw", &path])
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).expect("one event per line");
            (
                e["type"].as_str().unwrap_or("").into(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .into(),
            )
        })
        .collect();
    let want = [
        ("ADDED".to_string(), "b".to_string()),
        ("ADDED".to_string(), "c".to_string()),
    ];
    assert_eq!(
        events, want,
        "every change after the watcher's resourceVersion, and only those"
    );
}

#[test]
fn the_memory_store_runs_without_etcd() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let c = Cluster::up("memory");
    assert!(c.startup.iter().any(|l| l.contains("in-memory store")));
    create(&c, "m");
    assert_eq!(
        c.ok(&["get", "cm", "m", "-o", "name"]).trim(),
        "configmap/m"
    );
}

#[test]
fn without_etcd_on_path_up_explains_what_to_install() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubeling"))
        .args([
            "up",
            "--dir",
            dir.path().to_str().expect("utf-8"),
            "--port",
            "0",
        ])
        .env("PATH", dir.path()) // a PATH with no etcd on it
        .output()
        .expect("kubeling runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("apt-get install etcd-server") && err.contains("--store memory"),
        "{err}"
    );
}

#[test]
fn the_apiserver_alone_logs_one_line_per_request() {
    use std::io::{Read, Write};
    let port = apiserver::etcd_process::free_port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_kubeling"))
        .args([
            "apiserver",
            "--store",
            "memory",
            "--port",
            &port.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubeling apiserver runs");
    let mut ready = String::new();
    let mut stdout = server.stdout.take().expect("stdout");
    let mut byte = [0u8; 1];
    while !ready.contains("ready") && stdout.read(&mut byte).unwrap_or(0) == 1 {
        ready.push(byte[0] as char);
    }
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.write_all(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // SAFETY: kill(2) on the pid of the child we spawned above.
    unsafe {
        libc::kill(server.id() as libc::pid_t, libc::SIGTERM);
    }
    let out = server.wait_with_output().expect("it stops");
    let log = String::from_utf8_lossy(&out.stderr);
    let line = log
        .lines()
        .find(|l| l.contains("path=/version"))
        .expect("a log line for the request");
    assert!(
        line.contains("verb=GET") && line.contains("code=200") && line.contains("latency_ms="),
        "{line}"
    );
    assert!(
        !line.contains('\u{1b}'),
        "no colour codes when not writing to a terminal"
    );
}
