//! NodePorts: two pods cannot listen on the same host port of the same node.
//!
//! A container port with `hostPort` set is forwarded from the node's own address, so it is a
//! node-wide resource. Two uses of one port number clash when they share the protocol and their
//! host IPs overlap: equal IPs overlap, and `0.0.0.0` (all addresses, also what an empty
//! `hostIP` means) overlaps every IP.
//!
//! ```text
//!   wanted \ in use      TCP 0.0.0.0:80   TCP 10.0.0.1:80   UDP 0.0.0.0:80
//!   TCP 0.0.0.0:80       clash            clash             fine
//!   TCP 10.0.0.1:80      clash            clash             fine
//!   TCP 10.0.0.2:80      clash            fine              fine
//! ```
//!
//! PreFilter collects the pod's host ports once (and Skips pods without any, the common case);
//! Filter compares them with the node's `used_ports`. The rejection is `Unschedulable`:
//! evicting the pod holding the port frees it, so preemption can help.
//! Upstream: `pkg/scheduler/framework/plugins/nodeports/node_ports.go`, `GetHostPorts` in
//! `pkg/scheduler/util/utils.go`, `HostPortInfo.CheckConflict` in `pkg/scheduler/framework/types.go`.

use crate::framework::types::HostPort;
use crate::framework::{
    ClusterEvent, CycleState, FilterPlugin, NodeInfo, Plugin, PreFilterPlugin, PreFilterResult,
    Snapshot, Status,
};
use crate::plugins::{no_args, FactoryContext};
use k8s_openapi::api::core::v1::Pod;
use std::collections::HashSet;
use std::sync::Arc;

pub const NAME: &str = "NodePorts";

/// The reason a node with a clashing port gives.
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

const PRE_FILTER_STATE_KEY: &str = "PreFilterNodePorts";

/// "All addresses of the node".
const BIND_ALL_HOST_IP: &str = "0.0.0.0";

pub struct NodePorts;

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    no_args(NAME, args)?;
    Ok(Arc::new(NodePorts))
}

/// What PreFilter leaves for Filter: the host ports the pod wants.
#[derive(Debug, Clone)]
struct PreFilterState {
    wanted: Vec<HostPort>,
}

/// The host ports a pod will hold while it runs: those of its containers and of its sidecars
/// (init containers with `restartPolicy: Always`). Ordinary init containers have exited
/// before the app containers start, so their ports are not held.
pub fn pod_host_ports(pod: &Pod) -> Vec<HostPort> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    let sidecars = spec
        .init_containers
        .iter()
        .flatten()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"));
    let mut ports = Vec::new();
    for container in sidecars.chain(spec.containers.iter()) {
        for port in container.ports.iter().flatten() {
            if let Some(host_port) = port.host_port.filter(|p| *p > 0) {
                ports.push(sanitized(HostPort {
                    ip: port.host_ip.clone().unwrap_or_default(),
                    protocol: port.protocol.clone().unwrap_or_default(),
                    port: host_port,
                }));
            }
        }
    }
    ports
}

/// An empty host IP means all addresses, an empty protocol means TCP (the API defaults).
fn sanitized(mut p: HostPort) -> HostPort {
    if p.ip.is_empty() {
        p.ip = BIND_ALL_HOST_IP.to_string();
    }
    if p.protocol.is_empty() {
        p.protocol = "TCP".to_string();
    }
    p
}

/// Would `wanted` clash with any port already in use?
pub fn conflicts(used: &HashSet<HostPort>, wanted: &HostPort) -> bool {
    let wanted = sanitized(wanted.clone());
    used.iter().map(|u| sanitized(u.clone())).any(|u| {
        u.protocol == wanted.protocol
            && u.port == wanted.port
            && (u.ip == wanted.ip || u.ip == BIND_ALL_HOST_IP || wanted.ip == BIND_ALL_HOST_IP)
    })
}

/// Do all of the pod's host ports fit on this node? (Upstream `nodeports.Fits`, which
/// preemption and other callers use without a cycle state.)
pub fn fits(pod: &Pod, node: &NodeInfo) -> bool {
    fits_ports(&pod_host_ports(pod), node)
}

fn fits_ports(wanted: &[HostPort], node: &NodeInfo) -> bool {
    !wanted.iter().any(|p| conflicts(&node.used_ports, p))
}

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }

    /// A port is freed when the pod holding it goes away; a new node has all ports free.
    /// (Host ports of a pod cannot change, so pod updates never help. Node updates are
    /// registered as upstream does when it cannot tell a missed Node/Add from an update.)
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![
            ClusterEvent::POD_DELETE,
            ClusterEvent::NODE_ADD,
            ClusterEvent::NODE_UPDATE,
        ]
    }
}

impl PreFilterPlugin for NodePorts {
    fn pre_filter(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _snapshot: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        let wanted = pod_host_ports(pod);
        if wanted.is_empty() {
            // Most pods use no host port: nothing for Filter to check.
            return (None, Status::skip());
        }
        state.write(PRE_FILTER_STATE_KEY, PreFilterState { wanted });
        (None, Status::success())
    }
    // No add_pod/remove_pod: the state is the pod's own ports, which other pods do not change.
}

impl FilterPlugin for NodePorts {
    fn filter(&self, state: &CycleState, _pod: &Pod, node: &NodeInfo) -> Status {
        let Some(s) = state.read::<PreFilterState>(PRE_FILTER_STATE_KEY) else {
            return Status::error(format!(
                "reading {PRE_FILTER_STATE_KEY:?} from cycleState: not found"
            ));
        };
        if fits_ports(&s.wanted, node) {
            Status::success()
        } else {
            Status::unschedulable(ERR_REASON)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::Code;
    use crate::testing::{make_node, make_pod};
    use k8s_openapi::api::core::v1::{Container, ContainerPort};

    /// A pod with one container per port, each written `PROTOCOL/IP/PORT` as upstream's tests do.
    fn pod_with_ports(name: &str, ports: &[&str]) -> Pod {
        make_pod(name)
            .with(|pod| {
                let spec = pod.spec.get_or_insert_with(Default::default);
                for (i, p) in ports.iter().enumerate() {
                    spec.containers.push(container(&format!("c{i}"), p));
                }
            })
            .obj()
    }

    fn container(name: &str, port: &str) -> Container {
        let parts: Vec<&str> = port.split('/').collect();
        Container {
            name: name.to_string(),
            ports: Some(vec![ContainerPort {
                protocol: Some(parts[0].to_string()),
                host_ip: Some(parts[1].to_string()),
                host_port: Some(parts[2].parse().expect("test port")),
                container_port: 80,
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    /// PreFilter then Filter, as the framework runs them; `None` means PreFilter skipped.
    fn run(pod: &Pod, node: &NodeInfo) -> Option<Status> {
        let mut state = CycleState::new();
        let (result, status) = NodePorts.pre_filter(&mut state, pod, &Snapshot::default());
        assert_eq!(result, None);
        if status.is_skip() {
            return None;
        }
        assert!(status.is_success(), "{status}");
        Some(NodePorts.filter(&state, pod, node))
    }

    #[test]
    fn host_ports_clash_on_equal_protocol_and_port_with_overlapping_ips() {
        let cases: [(&str, &[&str], &[&str], bool); 12] = [
            (
                "another port",
                &["UDP/127.0.0.1/8080"],
                &["UDP/127.0.0.1/9090"],
                true,
            ),
            (
                "the same udp port",
                &["UDP/127.0.0.1/8080"],
                &["UDP/127.0.0.1/8080"],
                false,
            ),
            (
                "the same tcp port",
                &["TCP/127.0.0.1/8080"],
                &["TCP/127.0.0.1/8080"],
                false,
            ),
            (
                "a different host ip",
                &["TCP/127.0.0.1/8080"],
                &["TCP/127.0.0.2/8080"],
                true,
            ),
            (
                "a different protocol",
                &["UDP/127.0.0.1/8080"],
                &["TCP/127.0.0.1/8080"],
                true,
            ),
            (
                "the second port clashes",
                &["UDP/127.0.0.1/8000", "UDP/127.0.0.1/8080"],
                &["UDP/127.0.0.1/8080"],
                false,
            ),
            (
                "the first port clashes",
                &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8080"],
                &["TCP/127.0.0.1/8001", "UDP/127.0.0.1/8081"],
                false,
            ),
            (
                "a wanted 0.0.0.0 clashes with any ip",
                &["TCP/0.0.0.0/8001"],
                &["TCP/127.0.0.1/8001"],
                false,
            ),
            (
                "one of two wanted ports is on 0.0.0.0 and clashes",
                &["TCP/10.0.10.10/8001", "TCP/0.0.0.0/8001"],
                &["TCP/127.0.0.1/8001"],
                false,
            ),
            (
                "a used 0.0.0.0 clashes with any wanted ip",
                &["TCP/127.0.0.1/8001"],
                &["TCP/0.0.0.0/8001"],
                false,
            ),
            (
                "0.0.0.0 does not bridge protocols",
                &["UDP/127.0.0.1/8001"],
                &["TCP/0.0.0.0/8001"],
                true,
            ),
            (
                "an empty host ip means 0.0.0.0",
                &["UDP/127.0.0.1/8001"],
                &["TCP//8001", "UDP//8001"],
                false,
            ),
        ];
        for (name, wanted, used, fits) in cases {
            let pod = pod_with_ports("p", wanted);
            let node = make_node("n").info_with(vec![pod_with_ports("existing", used)]);
            let status = run(&pod, &node).expect(name);
            if fits {
                assert!(status.is_success(), "{name}: {status}");
            } else {
                assert_eq!(status.code, Code::Unschedulable, "{name}");
                assert_eq!(status.reasons, vec![ERR_REASON], "{name}");
            }
        }
    }

    #[test]
    fn a_pod_without_host_ports_skips_the_filter() {
        let node = make_node("n").info_with(vec![pod_with_ports("e", &["TCP/0.0.0.0/80"])]);
        assert!(run(&make_pod("p").req("1", "1Gi").obj(), &node).is_none());
        // A containerPort without hostPort is not a host port either.
        let container_only = make_pod("p").with(|pod| {
            let mut c = container("c", "TCP/0.0.0.0/80");
            if let Some(p) = c.ports.as_mut().and_then(|ps| ps.first_mut()) {
                p.host_port = None;
            }
            pod.spec
                .get_or_insert_with(Default::default)
                .containers
                .push(c);
        });
        assert!(run(&container_only.obj(), &node).is_none());
    }

    #[test]
    fn sidecar_ports_count_but_ordinary_init_container_ports_do_not() {
        let node = make_node("n").info_with(vec![pod_with_ports("e", &["TCP/0.0.0.0/8080"])]);
        let with_init = |restart_policy: Option<&str>| {
            let mut init = container("init", "TCP/0.0.0.0/8080");
            init.restart_policy = restart_policy.map(str::to_string);
            make_pod("p")
                .with(|pod| {
                    let spec = pod.spec.get_or_insert_with(Default::default);
                    spec.init_containers = Some(vec![init]);
                })
                .obj()
        };
        let status = run(&with_init(Some("Always")), &node).expect("sidecar has a port");
        assert_eq!(status.code, Code::Unschedulable, "a sidecar holds its port");
        assert!(
            run(&with_init(None), &node).is_none(),
            "an init container's port is released before the app starts"
        );
    }

    #[test]
    fn filter_without_pre_filter_state_is_an_error_not_a_panic() {
        let pod = pod_with_ports("p", &["TCP/0.0.0.0/80"]);
        let status = NodePorts.filter(&CycleState::new(), &pod, &make_node("n").info());
        assert_eq!(status.code, Code::Error);
        assert!(!fits(&pod, &make_node("n").info_with(vec![pod.clone()])));
    }

    #[test]
    fn a_deleted_pod_or_a_new_node_may_free_a_port() {
        let events = NodePorts.events_to_register();
        for e in [ClusterEvent::POD_DELETE, ClusterEvent::NODE_ADD] {
            assert!(events.contains(&e), "{e:?}");
        }
    }
}
