//! The Service registry's extra work: handing out ClusterIPs and NodePorts.
//!
//! Every Service (but a headless one) gets a virtual IP from the service range (default
//! `10.96.0.0/12`), and a NodePort Service a port in 30000-32767, never the same one twice.
//! Two Services created at the same moment must not get the same IP, so claiming one is a
//! storage *create* of `/registry/ipaddresses/<ip>` (or `/registry/nodeports/<port>`):
//! etcd's guarded create lets exactly one claimant win, and the loser tries another. Deleting
//! the Service releases its claims. Upstream claims the same way since 1.31 (IPAddress objects,
//! `pkg/registry/core/service/ipallocator/`); before that it kept a bitmap in one etcd key.
//! The `kubernetes` Service in `default` takes the range's first address, as upstream.

use super::{storage_error, Registry};
use crate::resources;
use crate::storage::StorageError;
use machinery::{meta, ApiError, StatusCause};
use serde_json::{json, Value};
use std::net::Ipv4Addr;

/// The ranges Services are given addresses and ports from.
#[derive(Debug, Clone, Copy)]
pub struct ServiceRanges {
    /// First address of the service CIDR.
    pub network: u32,
    /// Its prefix length.
    pub prefix: u8,
    /// NodePorts, inclusive.
    pub node_ports: (u16, u16),
}

impl Default for ServiceRanges {
    fn default() -> Self {
        ServiceRanges::parse("10.96.0.0/12").expect("a valid default")
    }
}

impl ServiceRanges {
    /// Parse a CIDR such as `10.96.0.0/12` (IPv4, /8 to /28).
    pub fn parse(cidr: &str) -> Result<Self, String> {
        let (ip, prefix) = cidr
            .split_once('/')
            .ok_or_else(|| format!("{cidr:?} is not a CIDR like 10.96.0.0/12"))?;
        let ip: Ipv4Addr = ip
            .parse()
            .map_err(|_| format!("{ip:?} is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| (8..=28).contains(p))
            .ok_or_else(|| format!("prefix /{prefix} must be between /8 and /28"))?;
        let mask = u32::MAX << (32 - prefix);
        Ok(ServiceRanges {
            network: u32::from(ip) & mask,
            prefix,
            node_ports: (30000, 32767),
        })
    }

    fn size(&self) -> u32 {
        1u32 << (32 - self.prefix)
    }

    /// Whether `ip` is a usable address of the range (not the network or broadcast address).
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let offset = u32::from(ip).wrapping_sub(self.network);
        offset >= 1 && offset < self.size() - 1
    }

    /// The range's first usable address: the `kubernetes` Service's.
    pub fn first(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.network + 1)
    }
}

fn ip_key(ip: Ipv4Addr) -> String {
    format!("/registry/ipaddresses/{ip}")
}

fn port_key(port: u16) -> String {
    format!("/registry/nodeports/{port}")
}

fn invalid(name: &str, field: &str, value: &str, why: &str) -> ApiError {
    ApiError::invalid(
        "",
        "Service",
        name,
        vec![StatusCause::invalid(field, value, why)],
    )
}

impl Registry {
    /// Claim one storage key; `Ok(false)` if someone holds it already.
    async fn claim(&self, key: &str, owner: &str) -> Result<bool, ApiError> {
        let value = serde_json::to_vec(&json!({"service": owner})).unwrap_or_default();
        match self.storage.create(key, value).await {
            Ok(_) => Ok(true),
            Err(StorageError::AlreadyExists(_)) => Ok(false),
            Err(e) => Err(storage_error(resources::namespaces(), key, e)),
        }
    }

    /// Give up claims (best effort: a leftover claim only wastes one address).
    pub(crate) async fn release(&self, keys: &[String]) {
        for key in keys {
            if let Ok(Some(kv)) = self.storage.get(key).await {
                let _ = self.storage.delete(key, kv.mod_revision).await;
            }
        }
    }

    /// Give a new Service its ClusterIP and NodePorts. Returns the claims made, so the caller
    /// can release them if the Service itself is not stored after all.
    pub(crate) async fn allocate_service(&self, svc: &mut Value) -> Result<Vec<String>, ApiError> {
        let name = meta::name(svc).to_string();
        let owner = format!("{}/{name}", meta::namespace(svc));
        let mut claimed = Vec::new();
        let result = self.allocate_into(svc, &name, &owner, &mut claimed).await;
        if result.is_err() {
            self.release(&claimed).await;
        }
        result.map(|()| claimed)
    }

    async fn allocate_into(
        &self,
        svc: &mut Value,
        name: &str,
        owner: &str,
        claimed: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let ranges = self.service_ranges;
        let kind = svc
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("ClusterIP")
            .to_string();
        if kind == "ExternalName" {
            return Ok(());
        }
        let asked = svc
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if asked == "None" {
            svc["spec"]["clusterIPs"] = json!(["None"]);
        } else {
            let ip = if asked.is_empty() {
                self.any_free_ip(owner, claimed).await?
            } else {
                let ip: Ipv4Addr = asked.parse().map_err(|_| {
                    invalid(name, "spec.clusterIP", &asked, "must be a valid IP address")
                })?;
                if !ranges.contains(ip) {
                    let why = format!(
                        "provided IP is not in the valid range. The range of valid IPs is {}/{}",
                        Ipv4Addr::from(ranges.network),
                        ranges.prefix
                    );
                    return Err(invalid(name, "spec.clusterIPs", &asked, &why));
                }
                if !self.claim(&ip_key(ip), owner).await? {
                    return Err(invalid(
                        name,
                        "spec.clusterIPs",
                        &asked,
                        &format!("failed to allocate IP {ip}: provided IP is already allocated"),
                    ));
                }
                claimed.push(ip_key(ip));
                ip
            };
            svc["spec"]["clusterIP"] = json!(ip.to_string());
            svc["spec"]["clusterIPs"] = json!([ip.to_string()]);
            svc["spec"]["ipFamilies"] = json!(["IPv4"]);
            svc["spec"]["ipFamilyPolicy"] = json!("SingleStack");
        }
        if kind == "NodePort" || kind == "LoadBalancer" {
            let ports = svc
                .pointer_mut("/spec/ports")
                .and_then(Value::as_array_mut)
                .map(std::mem::take)
                .unwrap_or_default();
            let mut out = Vec::new();
            for (i, mut port) in ports.into_iter().enumerate() {
                let node_port = match port.get("nodePort").and_then(Value::as_u64) {
                    Some(p) => {
                        let p = u16::try_from(p).ok().filter(|p| (ranges.node_ports.0..=ranges.node_ports.1).contains(p)).ok_or_else(|| {
                            invalid(name, &format!("spec.ports[{i}].nodePort"), &p.to_string(), "provided port is not in the valid range. The range of valid ports is 30000-32767")
                        })?;
                        if !self.claim(&port_key(p), owner).await? {
                            return Err(invalid(
                                name,
                                &format!("spec.ports[{i}].nodePort"),
                                &p.to_string(),
                                "provided port is already allocated",
                            ));
                        }
                        claimed.push(port_key(p));
                        p
                    }
                    None => self.any_free_port(owner, claimed).await?,
                };
                port["nodePort"] = json!(node_port);
                out.push(port);
            }
            svc["spec"]["ports"] = Value::Array(out);
        }
        Ok(())
    }

    async fn any_free_ip(
        &self,
        owner: &str,
        claimed: &mut Vec<String>,
    ) -> Result<Ipv4Addr, ApiError> {
        let ranges = self.service_ranges;
        // Random probes, as upstream's allocator does: quick while the range is mostly free.
        for _ in 0..1024 {
            // Skip the network address, the broadcast address and the first address (kept for
            // the `kubernetes` Service).
            let offset = 2 + rand::random::<u32>() % (ranges.size() - 3);
            let ip = Ipv4Addr::from(ranges.network + offset);
            if self.claim(&ip_key(ip), owner).await? {
                claimed.push(ip_key(ip));
                return Ok(ip);
            }
        }
        Err(ApiError::internal(
            "failed to allocate a serviceIP: range is full",
        ))
    }

    async fn any_free_port(&self, owner: &str, claimed: &mut Vec<String>) -> Result<u16, ApiError> {
        let (low, high) = self.service_ranges.node_ports;
        for _ in 0..1024 {
            let port = low + (rand::random::<u16>() % (high - low + 1));
            if self.claim(&port_key(port), owner).await? {
                claimed.push(port_key(port));
                return Ok(port);
            }
        }
        Err(ApiError::internal(
            "failed to allocate a nodePort: range is full",
        ))
    }

    /// The claims a stored Service holds (to release when it is deleted).
    pub(crate) fn service_claims(svc: &Value) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(ip) = svc
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .and_then(|ip| ip.parse::<Ipv4Addr>().ok())
        {
            keys.push(ip_key(ip));
        }
        for port in svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(p) = port
                .get("nodePort")
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
            {
                keys.push(port_key(p));
            }
        }
        keys
    }

    /// Create the `kubernetes` Service in `default`, with the range's first address.
    pub(crate) async fn bootstrap_kubernetes_service(&self) -> Result<(), ApiError> {
        let services = resources::find("", "v1", "services")
            .ok_or_else(|| ApiError::internal("services are not served"))?;
        // Look first: on a restart it exists, and creating it again would fail on its address.
        match self.get(services, "default", "kubernetes").await {
            Ok(_) => return Ok(()),
            Err(e) if e.code == 404 => {}
            Err(e) => return Err(e),
        }
        let svc = json!({"metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": self.service_ranges.first().to_string(),
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}});
        match self.create(services, "default", svc).await {
            Ok(_) => Ok(()),
            Err(e) if e.reason == "AlreadyExists" => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// On update a Service keeps its ClusterIP (it cannot change) and the NodePorts of its ports.
pub(crate) fn carry_over(old: &Value, new: &mut Value) -> Result<(), ApiError> {
    let old_ip = old
        .pointer("/spec/clusterIP")
        .cloned()
        .unwrap_or(Value::Null);
    match new.pointer("/spec/clusterIP").and_then(Value::as_str) {
        None | Some("") => {
            if !old_ip.is_null() {
                new["spec"]["clusterIP"] = old_ip.clone();
                if let Some(ips) = old.pointer("/spec/clusterIPs") {
                    new["spec"]["clusterIPs"] = ips.clone();
                }
            }
        }
        Some(ip) if Some(ip) != old_ip.as_str() => {
            // A new `clusterIP` with the old (or no) `clusterIPs` means "this IP now": make the list
            // say so, and let the Service's update validation refuse the change with
            // upstream's words (`normalizeClusterIPs` in pkg/registry/core/service/strategy.go).
            let ips = new.pointer("/spec/clusterIPs");
            if ips.is_none() || ips == old.pointer("/spec/clusterIPs") {
                new["spec"]["clusterIPs"] = serde_json::json!([ip]);
            }
        }
        Some(_) => {}
    }
    for field in ["ipFamilies", "ipFamilyPolicy", "clusterIPs"] {
        if new.pointer(&format!("/spec/{field}")).is_none() {
            if let Some(v) = old.pointer(&format!("/spec/{field}")) {
                new["spec"][field] = v.clone();
            }
        }
    }
    let old_ports: Vec<Value> = old
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if let Some(ports) = new.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
        for port in ports {
            if port.get("nodePort").is_none() {
                if let Some(p) = old_ports
                    .iter()
                    .find(|o| o.get("port") == port.get("port"))
                    .and_then(|o| o.get("nodePort"))
                {
                    port["nodePort"] = p.clone();
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_range_is_10_96_0_0_slash_12_and_its_first_address_is_dot_1() {
        let r = ServiceRanges::default();
        assert_eq!(r.first(), Ipv4Addr::new(10, 96, 0, 1));
        assert!(r.contains(Ipv4Addr::new(10, 111, 255, 254)));
        assert!(!r.contains(Ipv4Addr::new(10, 112, 0, 1)));
        assert!(
            !r.contains(Ipv4Addr::new(10, 96, 0, 0)),
            "not the network address"
        );
    }

    #[test]
    fn bad_ranges_are_refused_with_a_reason() {
        assert!(ServiceRanges::parse("10.96.0.0").is_err());
        assert!(ServiceRanges::parse("10.96.0.0/30").is_err());
        assert!(ServiceRanges::parse("nonsense/12").is_err());
        assert_eq!(
            ServiceRanges::parse("10.0.0.7/24").unwrap().first(),
            Ipv4Addr::new(10, 0, 0, 1)
        );
    }

    #[test]
    fn an_update_keeps_the_cluster_ip_and_node_ports_and_a_new_ip_reaches_cluster_ips() {
        let old = json!({"metadata": {"name": "s"}, "spec": {"clusterIP": "10.96.0.9", "clusterIPs": ["10.96.0.9"],
            "ports": [{"port": 80, "nodePort": 30080}]}});
        let mut new = json!({"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}});
        carry_over(&old, &mut new).unwrap();
        assert_eq!(
            (
                new["spec"]["clusterIP"].clone(),
                new["spec"]["ports"][0]["nodePort"].clone()
            ),
            (json!("10.96.0.9"), json!(30080))
        );
        // The change itself is refused by validation (validation/service.rs), which sees it
        // in clusterIPs, where upstream looks.
        let mut changed = json!({"metadata": {"name": "s"}, "spec": {"clusterIP": "10.96.0.10",
            "clusterIPs": ["10.96.0.9"]}});
        carry_over(&old, &mut changed).unwrap();
        assert_eq!(changed["spec"]["clusterIPs"], json!(["10.96.0.10"]));
    }
}
