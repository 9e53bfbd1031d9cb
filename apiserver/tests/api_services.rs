//! Services get ClusterIPs and NodePorts from their ranges, never the same one twice, even
//! when created at the same moment; deleting a Service frees them.

mod common;

use common::TestServer;
use serde_json::{json, Value};
use std::collections::HashSet;

api_suite!(window = 10_000;
    the_kubernetes_service_has_the_first_address,
    concurrent_creates_never_share_an_ip,
    an_asked_for_ip_must_be_free_and_in_range_and_is_freed_by_delete,
    a_headless_service_gets_no_ip,
    node_ports_come_from_30000_to_32767_and_are_not_shared,
    an_update_keeps_the_ip_and_may_not_change_it,
);

const SVCS: &str = "/api/v1/namespaces/default/services";

fn svc(name: &str, spec: Value) -> Value {
    let mut spec = spec;
    if spec.get("ports").is_none() {
        spec["ports"] = json!([{"port": 80}]);
    }
    json!({"metadata": {"name": name}, "spec": spec})
}

async fn the_kubernetes_service_has_the_first_address(s: &TestServer) {
    let (code, k) = s.api.get(&format!("{SVCS}/kubernetes")).await;
    assert_eq!(code, 200);
    assert_eq!(k["spec"]["clusterIP"], "10.96.0.1");
    assert_eq!(k["spec"]["ports"][0]["port"], 443);
}

async fn concurrent_creates_never_share_an_ip(s: &TestServer) {
    let creates = (0..30).map(|i| {
        let api = s.api.clone();
        tokio::spawn(async move { api.post(SVCS, svc(&format!("s{i}"), json!({}))).await })
    });
    let mut ips = HashSet::new();
    for c in creates {
        let (code, created) = c.await.expect("task");
        assert_eq!(code, 201, "{created}");
        let ip: std::net::Ipv4Addr = created["spec"]["clusterIP"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            ip.octets()[0] == 10 && (96..=111).contains(&ip.octets()[1]),
            "{ip} is in 10.96.0.0/12"
        );
        assert_ne!(
            ip.to_string(),
            "10.96.0.1",
            "the first address is the kubernetes Service's"
        );
        assert_eq!(created["spec"]["clusterIPs"], json!([ip.to_string()]));
        assert!(ips.insert(ip), "{ip} handed out twice");
    }
}

async fn an_asked_for_ip_must_be_free_and_in_range_and_is_freed_by_delete(s: &TestServer) {
    let (code, _) = s
        .api
        .post(SVCS, svc("a", json!({"clusterIP": "10.96.5.5"})))
        .await;
    assert_eq!(code, 201);
    let (code, err) = s
        .api
        .post(SVCS, svc("b", json!({"clusterIP": "10.96.5.5"})))
        .await;
    assert_eq!(code, 422);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("provided IP is already allocated"),
        "{err}"
    );
    let (code, err) = s
        .api
        .post(SVCS, svc("c", json!({"clusterIP": "192.168.0.1"})))
        .await;
    assert_eq!(code, 422);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not in the valid range"),
        "{err}"
    );
    assert_eq!(s.api.delete(&format!("{SVCS}/a")).await.0, 200);
    let (code, b) = s
        .api
        .post(SVCS, svc("b", json!({"clusterIP": "10.96.5.5"})))
        .await;
    assert_eq!(
        (code, b["spec"]["clusterIP"].clone()),
        (201, json!("10.96.5.5")),
        "freed by the delete"
    );
}

async fn a_headless_service_gets_no_ip(s: &TestServer) {
    let (code, h) = s
        .api
        .post(SVCS, svc("h", json!({"clusterIP": "None"})))
        .await;
    assert_eq!(code, 201);
    assert_eq!(
        (
            h["spec"]["clusterIP"].clone(),
            h["spec"]["clusterIPs"].clone()
        ),
        (json!("None"), json!(["None"]))
    );
}

async fn node_ports_come_from_30000_to_32767_and_are_not_shared(s: &TestServer) {
    let (_, a) = s
        .api
        .post(
            SVCS,
            svc(
                "np",
                json!({"type": "NodePort", "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]}),
            ),
        )
        .await;
    let ports: Vec<u64> = a["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["nodePort"].as_u64().unwrap())
        .collect();
    assert!(
        ports.iter().all(|p| (30000..=32767).contains(p)),
        "{ports:?}"
    );
    assert_ne!(ports[0], ports[1]);
    let taken = json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": ports[0]}]});
    let (code, err) = s.api.post(SVCS, svc("np2", taken)).await;
    assert_eq!(code, 422, "{err}");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("provided port is already allocated"));
}

async fn an_update_keeps_the_ip_and_may_not_change_it(s: &TestServer) {
    let (_, u) = s.api.post(SVCS, svc("u", json!({}))).await;
    let ip = u["spec"]["clusterIP"].clone();
    let (code, after) = s
        .api
        .put(
            &format!("{SVCS}/u"),
            svc("u", json!({"ports": [{"port": 8080}]})),
        )
        .await;
    assert_eq!(code, 200, "{after}");
    assert_eq!(after["spec"]["clusterIP"], ip, "kept without being resent");
    let (code, err) = s
        .api
        .put(
            &format!("{SVCS}/u"),
            svc("u", json!({"clusterIP": "10.96.9.9"})),
        )
        .await;
    assert_eq!(code, 422, "{err}");
    assert!(err["message"]
        .as_str()
        .unwrap()
        .contains("may not change once set"));
}
