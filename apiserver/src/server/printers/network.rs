//! Networking kinds: services, endpoints, endpointslices.
//!
//! Upstream: `printService` (with `getServiceExternalIP` and `makePortString`),
//! `printEndpoints` (`formatEndpoints`) and `printEndpointSlice` in
//! `pkg/printers/internalversion/printers.go`. Long lists are cut at three entries with
//! `+ N more...`, so one Service with 500 backends still prints on one line.

use super::{int_at, list_at, str_at, Column, Printer, AGE, NAME};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub const SERVICES: Printer = Printer::new(
    &[
        NAME,
        Column::new("Type", "string", "type determines how the Service is exposed. Defaults to ClusterIP."),
        Column::new("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually assigned randomly."),
        Column::new("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
        Column::new("Port(s)", "string", "The list of ports that are exposed by this service."),
        AGE,
        Column::new("Selector", "string", "Route service traffic to pods with label keys and values matching this selector.").wide(),
    ],
    service_row,
);

pub const ENDPOINTS: Printer = Printer::new(
    &[
        NAME,
        Column::new(
            "Endpoints",
            "string",
            "The set of all endpoints is the union of all subsets.",
        ),
        AGE,
    ],
    |obj, now| {
        vec![
            json!(super::name(obj)),
            json!(format_endpoints(obj)),
            super::age(obj, now),
        ]
    },
);

pub const ENDPOINTSLICES: Printer = Printer::new(
    &[
        NAME,
        Column::new(
            "AddressType",
            "string",
            "addressType specifies the type of address carried by this EndpointSlice.",
        ),
        Column::new(
            "Ports",
            "string",
            "ports specifies the list of network ports exposed by each endpoint in this slice.",
        ),
        Column::new(
            "Endpoints",
            "string",
            "endpoints is a list of unique endpoints in this slice.",
        ),
        AGE,
    ],
    |obj, now| {
        let ports = list_at(obj, "/ports").iter().map(|p| {
            match (p.get("port").and_then(Value::as_i64), str_at(p, "/name")) {
                (Some(port), _) => port.to_string(),
                (None, "") => "*".to_string(), // every port
                (None, name) => name.to_string(),
            }
        });
        let addresses = list_at(obj, "/endpoints")
            .iter()
            .flat_map(|e| list_at(e, "/addresses"))
            .filter_map(Value::as_str)
            .map(str::to_string);
        vec![
            json!(super::name(obj)),
            json!(str_at(obj, "/addressType")),
            json!(first_three(ports)),
            json!(first_three(addresses)),
            super::age(obj, now),
        ]
    },
);

/// `a,b,c + 2 more...`, or `<unset>` for none (upstream's `listWithMoreString`).
fn first_three(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    match items.len() {
        0 => "<unset>".to_string(),
        n if n > 3 => format!("{} + {} more...", items[..3].join(","), n - 3),
        _ => items.join(","),
    }
}

/// NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE SELECTOR.
pub fn service_row(svc: &Value, now: DateTime<Utc>) -> Vec<Value> {
    // `type` and each port's `protocol` were filled by defaulting when the service was
    // written (registry/strategy/defaults.rs). Upstream's printer reads the internal type,
    // whose `clusterIPs` conversion fills from `clusterIP`; we read the v1 object, so we
    // fall back to `clusterIP` ourselves.
    let kind = str_at(svc, "/spec/type");
    let cluster_ip = list_at(svc, "/spec/clusterIPs")
        .first()
        .and_then(Value::as_str)
        .unwrap_or_else(|| str_at(svc, "/spec/clusterIP"));
    let ports: Vec<String> = list_at(svc, "/spec/ports")
        .iter()
        .map(|p| {
            let protocol = str_at(p, "/protocol");
            match int_at(p, "/nodePort") {
                0 => format!("{}/{protocol}", int_at(p, "/port")),
                node_port => format!("{}:{node_port}/{protocol}", int_at(p, "/port")),
            }
        })
        .collect();
    let or_none = |s: String| {
        if s.is_empty() {
            "<none>".to_string()
        } else {
            s
        }
    };
    vec![
        json!(super::name(svc)),
        json!(kind),
        json!(or_none(cluster_ip.to_string())),
        json!(external_ip(svc, kind)),
        json!(or_none(ports.join(","))),
        super::age(svc, now),
        json!(super::format_labels(svc.pointer("/spec/selector"))),
    ]
}

/// EXTERNAL-IP by service type: the `externalIPs` someone set, a load balancer's addresses
/// (or `<pending>` until a cloud controller assigns one), or an ExternalName's DNS name.
fn external_ip(svc: &Value, kind: &str) -> String {
    let external: Vec<&str> = list_at(svc, "/spec/externalIPs")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match kind {
        "ClusterIP" | "NodePort" if external.is_empty() => "<none>".to_string(),
        "ClusterIP" | "NodePort" => external.join(","),
        "LoadBalancer" => {
            let balancer: BTreeSet<&str> = list_at(svc, "/status/loadBalancer/ingress")
                .iter()
                .map(|i| match str_at(i, "/ip") {
                    "" => str_at(i, "/hostname"),
                    ip => ip,
                })
                .filter(|a| !a.is_empty())
                .collect();
            let all: Vec<&str> = balancer.into_iter().chain(external).collect();
            if all.is_empty() {
                "<pending>".to_string()
            } else {
                all.join(",")
            }
        }
        "ExternalName" => str_at(svc, "/spec/externalName").to_string(),
        _ => "<unknown>".to_string(),
    }
}

/// `10.244.0.5:80,10.244.0.6:80 + 3 more...`: each address with each port, at most three.
/// A subset without ports (a headless service) lists bare addresses.
pub fn format_endpoints(obj: &Value) -> String {
    let subsets = list_at(obj, "/subsets");
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    let mut shown: Vec<String> = Vec::new();
    let mut total = 0;
    for subset in subsets {
        let addresses: Vec<&str> = list_at(subset, "/addresses")
            .iter()
            .map(|a| str_at(a, "/ip"))
            .collect();
        let ports = list_at(subset, "/ports");
        let ports: Vec<Option<i64>> = if ports.is_empty() {
            vec![None]
        } else {
            ports.iter().map(|p| Some(int_at(p, "/port"))).collect()
        };
        for port in ports {
            total += addresses.len();
            for ip in &addresses {
                if shown.len() == 3 {
                    break;
                }
                shown.push(match port {
                    None => ip.to_string(),
                    Some(port) if ip.contains(':') => format!("[{ip}]:{port}"), // IPv6
                    Some(port) => format!("{ip}:{port}"),
                });
            }
        }
    }
    if total > shown.len() {
        format!("{} + {} more...", shown.join(","), total - shown.len())
    } else {
        shown.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_now;
    use super::*;

    fn service(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "web", "creationTimestamp": "2025-01-01T00:58:00Z"},
            "spec": spec, "status": status})
    }

    #[test]
    fn a_services_type_addresses_and_ports_print_as_upstream() {
        let cases: &[(&str, Value, Value, [&str; 4])] = &[
            (
                "a plain ClusterIP service",
                json!({"type": "ClusterIP", "clusterIPs": ["10.96.0.10"], "ports": [{"port": 80, "protocol": "TCP"}], "selector": {"app": "web"}}),
                json!({}),
                ["ClusterIP", "10.96.0.10", "<none>", "80/TCP"],
            ),
            (
                "a service written before clusterIPs existed shows its clusterIP",
                json!({"type": "ClusterIP", "clusterIP": "10.96.0.11", "ports": [{"port": 53, "protocol": "UDP"}, {"port": 8080, "protocol": "TCP"}]}),
                json!({}),
                ["ClusterIP", "10.96.0.11", "<none>", "53/UDP,8080/TCP"],
            ),
            (
                "a headless service has no ports and no IP to show",
                json!({"type": "ClusterIP", "clusterIP": "None"}),
                json!({}),
                ["ClusterIP", "None", "<none>", "<none>"],
            ),
            (
                "a NodePort service shows both ports and its external IPs",
                json!({"type": "NodePort", "clusterIPs": ["10.96.0.12"], "externalIPs": ["1.2.3.4"], "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}),
                json!({}),
                ["NodePort", "10.96.0.12", "1.2.3.4", "80:30080/TCP"],
            ),
            (
                "a load balancer waiting for an address is pending",
                json!({"type": "LoadBalancer", "clusterIPs": ["10.96.0.13"], "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}]}),
                json!({}),
                ["LoadBalancer", "10.96.0.13", "<pending>", "443:31443/TCP"],
            ),
            (
                "a load balancer lists its sorted ingress addresses, then external IPs",
                json!({"type": "LoadBalancer", "externalIPs": ["9.9.9.9"], "ports": []}),
                json!({"loadBalancer": {"ingress": [{"ip": "5.6.7.8"}, {"hostname": "lb.example.com"}]}}),
                [
                    "LoadBalancer",
                    "<none>",
                    "5.6.7.8,lb.example.com,9.9.9.9",
                    "<none>",
                ],
            ),
            (
                "a service that was never defaulted has no type to go by",
                json!({}),
                json!({}),
                ["", "<none>", "<unknown>", "<none>"],
            ),
            (
                "an ExternalName service shows the name it aliases",
                json!({"type": "ExternalName", "externalName": "db.example.com"}),
                json!({}),
                ["ExternalName", "<none>", "db.example.com", "<none>"],
            ),
        ];
        for (sentence, spec, status, want) in cases {
            let cells = service_row(&service(spec.clone(), status.clone()), test_now());
            let got: Vec<&str> = cells[1..5]
                .iter()
                .map(|c| c.as_str().unwrap_or("?"))
                .collect();
            assert_eq!(got, want, "{sentence}");
            assert_eq!(cells[5], "2m", "{sentence}");
        }
        let selected = service_row(
            &service(json!({"selector": {"tier": "fe", "app": "web"}}), json!({})),
            test_now(),
        );
        assert_eq!(selected[6], "app=web,tier=fe");
        assert_eq!(
            service_row(&service(json!({}), json!({})), test_now())[6],
            "<none>"
        );
    }

    #[test]
    fn endpoints_pair_addresses_with_ports_and_stop_at_three() {
        let subset = |ips: &[&str], ports: Value| json!({"addresses": ips.iter().map(|ip| json!({"ip": ip})).collect::<Vec<_>>(), "ports": ports});
        let cases: &[(&str, Value, &str)] = &[
            ("no subsets is none", json!([]), "<none>"),
            (
                "one address and port",
                json!([subset(&["10.0.0.1"], json!([{"port": 80}]))]),
                "10.0.0.1:80",
            ),
            (
                "a headless subset lists bare addresses",
                json!([subset(&["10.0.0.1", "10.0.0.2"], json!([]))]),
                "10.0.0.1,10.0.0.2",
            ),
            (
                "each address with each port, cut at three",
                json!([subset(
                    &["10.0.0.1", "10.0.0.2"],
                    json!([{"port": 80}, {"port": 443}])
                )]),
                "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...",
            ),
            (
                "an IPv6 address is bracketed",
                json!([subset(&["fd00::1"], json!([{"port": 80}]))]),
                "[fd00::1]:80",
            ),
        ];
        for (sentence, subsets, want) in cases {
            assert_eq!(
                format_endpoints(&json!({"subsets": subsets})),
                *want,
                "{sentence}"
            );
        }
    }

    #[test]
    fn an_endpointslice_lists_its_ports_and_addresses() {
        let slice = json!({"metadata": {"name": "web-abc"}, "addressType": "IPv4",
            "ports": [{"port": 80}, {"name": "metrics"}, {}],
            "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2", "10.0.0.3"]}, {"addresses": ["10.0.0.4"]}]});
        let cells = (ENDPOINTSLICES.row)(&slice, test_now());
        assert_eq!(
            json!(cells[..4]),
            json!([
                "web-abc",
                "IPv4",
                "80,metrics,*",
                "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more..."
            ])
        );
        let empty = (ENDPOINTSLICES.row)(&json!({"addressType": "IPv4"}), test_now());
        assert_eq!(json!(cells[4]), json!("<unknown>"));
        assert_eq!(json!(empty[2..4]), json!(["<unset>", "<unset>"]));
    }
}
