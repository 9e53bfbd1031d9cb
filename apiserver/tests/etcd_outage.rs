//! When etcd goes away the API server answers 503/504 `Status` errors (never hangs, never a
//! bare 500), and when etcd comes back, service resumes by itself.

mod common;

use apiserver::etcd_process::EtcdProcess;
use apiserver::storage::etcd::EtcdStorage;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn requests_fail_with_503_while_etcd_is_down_and_recover_when_it_returns() {
    let Some(mut etcd) = common::start_etcd() else {
        return;
    };
    let endpoint = etcd.process.endpoint.clone();
    let storage = EtcdStorage::connect(std::slice::from_ref(&endpoint))
        .await
        .expect("connect");
    let api = common::serve(std::sync::Arc::new(storage), 1000).await;
    let cms = "/api/v1/namespaces/default/configmaps";
    assert_eq!(
        api.post(cms, json!({"metadata": {"name": "before"}}))
            .await
            .0,
        201
    );

    // Stop etcd (by the PID we started), keeping its data and ports for the restart.
    let client_port: u16 = endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    etcd.process.stop();
    let (code, status) = api.post(cms, json!({"metadata": {"name": "during"}})).await;
    assert!(code == 503 || code == 504, "got {code}: {status}");
    assert_eq!(status["kind"], "Status");
    let (code, _) = api.get(&format!("{cms}/before")).await;
    assert!(
        code == 503 || code == 504,
        "a read from etcd fails too, got {code}"
    );
    assert_eq!(
        api.raw("GET", "/readyz", "", vec![]).await.0,
        503,
        "not ready without etcd"
    );
    assert_eq!(
        api.get(&format!("{cms}?resourceVersion=0")).await.0,
        200,
        "the watch cache still answers"
    );

    // Bring etcd back on the same data directory and client port.
    let peer = apiserver::etcd_process::free_port();
    etcd.process = EtcdProcess::start(etcd.dir.path(), client_port, peer).expect("etcd restarts");
    let started = Instant::now();
    loop {
        let (code, _) = api.post(cms, json!({"metadata": {"name": "after"}})).await;
        if code == 201 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "service did not come back (last code {code})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        api.get(&format!("{cms}/before")).await.0,
        200,
        "nothing was lost"
    );
    // The watch cache caught up too.
    let started = Instant::now();
    while !api
        .get(&format!("{cms}?resourceVersion=0"))
        .await
        .1
        .to_string()
        .contains("\"after\"")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the watch cache did not resume"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
