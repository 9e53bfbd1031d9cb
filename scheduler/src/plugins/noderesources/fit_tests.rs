//! NodeResourcesFit's Filter, case by case as upstream's `TestEnoughRequests`,
//! `TestNotEnoughRequests`, `TestStorageRequests` and `TestRestartableInitContainers`
//! (`fit_test.go`). The node has `cpu: 10m, memory: 20, pods: 32, example.com/aaa: 5,
//! ephemeral-storage: 20, hugepages-2Mi: 5` allocatable and one pod already on it.

use super::fit::{self, fits_request, InsufficientResource};
use super::test_util::node_with;
use crate::framework::resource::pod_requests;
use crate::framework::{Code, CycleState, NodeInfo, PodInfo, Snapshot, Status};
use crate::plugins::FactoryContext;
use k8s_openapi::api::core::v1::{Container, Pod, PodSpec, ResourceRequirements};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const AAA: &str = "example.com/aaa";
const BBB: &str = "example.com/bbb";
const K8S_A: &str = "kubernetes.io/something";
const K8S_B: &str = "subdomain.kubernetes.io/something";
const HUGE: &str = "hugepages-2Mi";

type Requests = BTreeMap<String, Quantity>;

/// One container's requests: cpu in millicores and memory in bytes (written even when 0, as
/// upstream's `newResourcePod` does), then any scalar resources.
fn r(milli_cpu: i64, memory: i64, scalars: &[(&str, i64)]) -> Requests {
    let mut list = BTreeMap::from([
        ("cpu".to_string(), Quantity(format!("{milli_cpu}m"))),
        ("memory".to_string(), Quantity(memory.to_string())),
    ]);
    for (name, quantity) in scalars {
        list.insert(name.to_string(), Quantity(quantity.to_string()));
    }
    list
}

/// Only an ephemeral-storage request.
fn storage(bytes: i64) -> Requests {
    BTreeMap::from([("ephemeral-storage".to_string(), Quantity(bytes.to_string()))])
}

fn containers(prefix: &str, requests: &[Requests], sidecar: bool) -> Vec<Container> {
    requests
        .iter()
        .enumerate()
        .map(|(i, list)| Container {
            name: format!("{prefix}{i}"),
            restart_policy: sidecar.then(|| "Always".to_string()),
            resources: Some(ResourceRequirements {
                requests: Some(list.clone()),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect()
}

/// A pod with these app containers and (plain) init containers.
fn pod(apps: &[Requests], inits: &[Requests]) -> Pod {
    Pod {
        spec: Some(PodSpec {
            containers: containers("c", apps, false),
            init_containers: Some(containers("init", inits, false)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The pod already on the node, with one container.
fn existing(requests: Requests) -> Pod {
    let mut p = pod(&[requests], &[]);
    p.metadata.name = Some("existing".to_string());
    p
}

fn node(pods: &str, others: &[(&str, &str)], on_it: Pod) -> NodeInfo {
    let mut items = vec![("pods", pods)];
    items.extend_from_slice(others);
    let mut info = node_with("node", &items).info();
    info.add_pod(PodInfo::new(Arc::new(on_it)));
    info
}

fn roomy_node(on_it: Pod) -> NodeInfo {
    let others = [
        ("cpu", "10m"),
        ("memory", "20"),
        (AAA, "5"),
        ("ephemeral-storage", "20"),
        (HUGE, "5"),
    ];
    node("32", &others, on_it)
}

fn short(name: &str, requested: i64, used: i64, capacity: i64) -> InsufficientResource {
    InsufficientResource {
        resource_name: name.to_string(),
        reason: format!("Insufficient {name}"),
        requested,
        used,
        capacity,
    }
}

/// PreFilter + Filter through the plugin, and `fits_request` directly; both must agree with
/// the expected shortfalls.
fn check(
    name: &str,
    args: serde_json::Value,
    pod: &Pod,
    node: &NodeInfo,
    want: &[InsufficientResource],
) {
    let plugin = fit::new(Some(&args), &FactoryContext::default()).unwrap();
    let mut state = CycleState::new();
    let (_, status) =
        plugin
            .as_pre_filter()
            .unwrap()
            .pre_filter(&mut state, pod, &Snapshot::default());
    assert!(status.is_success(), "{name}: prefilter {status}");
    let got = plugin.as_filter().unwrap().filter(&state, pod, node);
    let want_status = if want.is_empty() {
        Status::success()
    } else {
        Status::new(
            Code::Unschedulable,
            want.iter().map(|w| w.reason.clone()).collect(),
        )
    };
    assert_eq!(got, want_status, "{name}");

    let groups: BTreeSet<String> = args["ignoredResourceGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(String::from))
        .collect();
    let ignored: BTreeSet<String> = args["ignoredResources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(String::from))
        .collect();
    assert_eq!(
        fits_request(&pod_requests(pod), node, &ignored, &groups),
        want,
        "{name}"
    );
}

#[test]
fn filter_reports_every_insufficient_resource_as_upstream() {
    let none = json!({});
    #[rustfmt::skip]
    let cases: Vec<(&str, Pod, Pod, serde_json::Value, Vec<InsufficientResource>)> = vec![
        ("no resources requested always fits", Pod::default(), existing(r(10, 20, &[])), none.clone(), vec![]),
        ("too many resources fails", pod(&[r(1, 1, &[])], &[]), existing(r(10, 20, &[])), none.clone(),
            vec![short("cpu", 1, 10, 10), short("memory", 1, 20, 20)]),
        ("too many resources fails due to init container cpu", pod(&[r(1, 1, &[])], &[r(3, 1, &[])]),
            existing(r(8, 19, &[])), none.clone(), vec![short("cpu", 3, 8, 10)]),
        ("too many resources fails due to highest init container cpu",
            pod(&[r(1, 1, &[])], &[r(3, 1, &[]), r(2, 1, &[])]), existing(r(8, 19, &[])), none.clone(),
            vec![short("cpu", 3, 8, 10)]),
        ("too many resources fails due to init container memory", pod(&[r(1, 1, &[])], &[r(1, 3, &[])]),
            existing(r(9, 19, &[])), none.clone(), vec![short("memory", 3, 19, 20)]),
        ("too many resources fails due to highest init container memory",
            pod(&[r(1, 1, &[])], &[r(1, 3, &[]), r(1, 2, &[])]), existing(r(9, 19, &[])), none.clone(),
            vec![short("memory", 3, 19, 20)]),
        ("init container fits because it's the max, not sum, of containers and init containers",
            pod(&[r(1, 1, &[])], &[r(1, 1, &[])]), existing(r(9, 19, &[])), none.clone(), vec![]),
        ("multiple init containers fit because it's the max, not sum, of containers and init containers",
            pod(&[r(1, 1, &[])], &[r(1, 1, &[]), r(1, 1, &[])]), existing(r(9, 19, &[])), none.clone(), vec![]),
        ("both resources fit", pod(&[r(1, 1, &[])], &[]), existing(r(5, 5, &[])), none.clone(), vec![]),
        ("one resource memory fits", pod(&[r(2, 1, &[])], &[]), existing(r(9, 5, &[])), none.clone(),
            vec![short("cpu", 2, 9, 10)]),
        ("one resource cpu fits", pod(&[r(1, 2, &[])], &[]), existing(r(5, 19, &[])), none.clone(),
            vec![short("memory", 2, 19, 20)]),
        ("equal edge case", pod(&[r(5, 1, &[])], &[]), existing(r(5, 19, &[])), none.clone(), vec![]),
        ("equal edge case for init container", pod(&[r(4, 1, &[])], &[r(5, 1, &[])]),
            existing(r(5, 19, &[])), none.clone(), vec![]),
        ("extended resource fits", pod(&[r(0, 0, &[(AAA, 1)])], &[]), existing(r(0, 0, &[])), none.clone(), vec![]),
        ("extended resource fits for init container", pod(&[r(0, 0, &[])], &[r(0, 0, &[(AAA, 1)])]),
            existing(r(0, 0, &[])), none.clone(), vec![]),
        ("extended resource capacity enforced", pod(&[r(1, 1, &[(AAA, 10)])], &[]),
            existing(r(0, 0, &[(AAA, 0)])), none.clone(), vec![short(AAA, 10, 0, 5)]),
        ("extended resource capacity enforced for init container", pod(&[r(0, 0, &[])], &[r(1, 1, &[(AAA, 10)])]),
            existing(r(0, 0, &[(AAA, 0)])), none.clone(), vec![short(AAA, 10, 0, 5)]),
        ("extended resource allocatable enforced", pod(&[r(1, 1, &[(AAA, 1)])], &[]),
            existing(r(0, 0, &[(AAA, 5)])), none.clone(), vec![short(AAA, 1, 5, 5)]),
        ("extended resource allocatable enforced for init container", pod(&[r(0, 0, &[])], &[r(1, 1, &[(AAA, 1)])]),
            existing(r(0, 0, &[(AAA, 5)])), none.clone(), vec![short(AAA, 1, 5, 5)]),
        ("extended resource allocatable enforced for multiple containers",
            pod(&[r(1, 1, &[(AAA, 3)]), r(1, 1, &[(AAA, 3)])], &[]), existing(r(0, 0, &[(AAA, 2)])), none.clone(),
            vec![short(AAA, 6, 2, 5)]),
        ("extended resource allocatable admits multiple init containers",
            pod(&[r(0, 0, &[])], &[r(1, 1, &[(AAA, 3)]), r(1, 1, &[(AAA, 3)])]), existing(r(0, 0, &[(AAA, 2)])),
            none.clone(), vec![]),
        ("extended resource allocatable enforced for multiple init containers",
            pod(&[r(0, 0, &[])], &[r(1, 1, &[(AAA, 6)]), r(1, 1, &[(AAA, 3)])]), existing(r(0, 0, &[(AAA, 2)])),
            none.clone(), vec![short(AAA, 6, 2, 5)]),
        ("extended resource allocatable enforced for unknown resource", pod(&[r(1, 1, &[(BBB, 1)])], &[]),
            existing(r(0, 0, &[])), none.clone(), vec![short(BBB, 1, 0, 0)]),
        ("extended resource allocatable enforced for unknown resource for init container",
            pod(&[r(0, 0, &[])], &[r(1, 1, &[(BBB, 1)])]), existing(r(0, 0, &[])), none.clone(),
            vec![short(BBB, 1, 0, 0)]),
        ("kubernetes.io resource capacity enforced", pod(&[r(1, 1, &[(K8S_A, 10)])], &[]),
            existing(r(0, 0, &[])), none.clone(), vec![short(K8S_A, 10, 0, 0)]),
        ("kubernetes.io resource capacity enforced for init container", pod(&[r(0, 0, &[])], &[r(1, 1, &[(K8S_B, 10)])]),
            existing(r(0, 0, &[])), none.clone(), vec![short(K8S_B, 10, 0, 0)]),
        ("hugepages resource capacity enforced", pod(&[r(1, 1, &[(HUGE, 10)])], &[]),
            existing(r(0, 0, &[(HUGE, 0)])), none.clone(), vec![short(HUGE, 10, 0, 5)]),
        ("hugepages resource capacity enforced for init container", pod(&[r(0, 0, &[])], &[r(1, 1, &[(HUGE, 10)])]),
            existing(r(0, 0, &[(HUGE, 0)])), none.clone(), vec![short(HUGE, 10, 0, 5)]),
        ("hugepages resource allocatable enforced for multiple containers",
            pod(&[r(1, 1, &[(HUGE, 3)]), r(1, 1, &[(HUGE, 3)])], &[]), existing(r(0, 0, &[(HUGE, 2)])), none.clone(),
            vec![short(HUGE, 6, 2, 5)]),
        ("skip checking ignored extended resource", pod(&[r(1, 1, &[(BBB, 1)])], &[]), existing(r(0, 0, &[])),
            json!({"ignoredResources": [BBB]}), vec![]),
        ("resources + pod overhead fits",
            with_overhead(pod(&[r(1, 1, &[])], &[]), "3m", "13"), existing(r(5, 5, &[])), none.clone(), vec![]),
        ("requests + overhead does not fit for memory",
            with_overhead(pod(&[r(1, 1, &[])], &[]), "1m", "15"), existing(r(5, 5, &[])), none.clone(),
            vec![short("memory", 16, 5, 20)]),
        ("skip checking ignored extended resource via resource groups",
            pod(&[r(1, 1, &[(BBB, 1), (K8S_A, 1)])], &[]), existing(r(0, 0, &[])),
            json!({"ignoredResourceGroups": ["example.com"]}), vec![short(K8S_A, 1, 0, 0)]),
        ("skip checking extended resource request with quantity zero via resource groups",
            pod(&[r(1, 1, &[(AAA, 0)])], &[]), existing(r(0, 0, &[(AAA, 6)])), none.clone(), vec![]),
        ("skip checking resource request with quantity zero",
            pod(&[r(0, 0, &[(AAA, 1)])], &[]), existing(r(20, 30, &[(AAA, 1)])), none.clone(), vec![]),
        // Upstream's TestStorageRequests.
        ("empty storage requested, and pod fits", pod(&[r(1, 1, &[])], &[]), existing(r(2, 10, &[])),
            none.clone(), vec![]),
        ("storage ephemeral local storage request exceeds allocatable", pod(&[storage(25)], &[]),
            existing(r(2, 2, &[])), none.clone(), vec![short("ephemeral-storage", 25, 0, 20)]),
        ("ephemeral local storage is sufficient", pod(&[storage(5)], &[]),
            existing({ let mut e = r(2, 2, &[]); e.extend(storage(10)); e }), none.clone(), vec![]),
        ("storage pod fits", pod(&[storage(10)], &[]), existing(r(2, 2, &[])), none.clone(), vec![]),
        // A request for a name the scheduler does not track (not scalar) is ignored, as upstream.
        ("a request for an untracked resource name is ignored", pod(&[r(0, 0, &[("foo", 100)])], &[]),
            existing(r(0, 0, &[])), none.clone(), vec![]),
    ];
    for (name, pod, on_node, args, want) in cases {
        check(name, args, &pod, &roomy_node(on_node), &want);
    }
}

fn with_overhead(mut pod: Pod, cpu: &str, memory: &str) -> Pod {
    if let Some(spec) = pod.spec.as_mut() {
        spec.overhead = Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.to_string())),
            ("memory".to_string(), Quantity(memory.to_string())),
        ]));
    }
    pod
}

#[test]
fn a_full_node_rejects_every_pod_with_too_many_pods_even_when_resources_fit() {
    let too_many = InsufficientResource {
        resource_name: "pods".to_string(),
        reason: "Too many pods".to_string(),
        requested: 1,
        used: 1,
        capacity: 1,
    };
    #[rustfmt::skip]
    let cases = [
        ("even without specified resources, predicate fails when there's no space for additional pod",
            Pod::default(), r(10, 20, &[])),
        ("even if both resources fit, predicate fails when there's no space for additional pod",
            pod(&[r(1, 1, &[])], &[]), r(5, 5, &[])),
        ("even for equal edge case, predicate fails when there's no space for additional pod",
            pod(&[r(5, 1, &[])], &[]), r(5, 19, &[])),
        ("even for equal edge case, predicate fails when there's no space for additional pod due to init container",
            pod(&[r(5, 1, &[])], &[r(5, 1, &[])]), r(5, 19, &[])),
    ];
    for (name, pod, on_node) in cases {
        let node = node("1", &[("cpu", "10m"), ("memory", "20")], existing(on_node));
        check(
            name,
            json!({}),
            &pod,
            &node,
            std::slice::from_ref(&too_many),
        );
    }
}

#[test]
fn sidecars_count_next_to_the_app_containers() {
    let mut with_sidecar = pod(&[r(1, 1, &[])], &[]);
    if let Some(spec) = with_sidecar.spec.as_mut() {
        spec.init_containers = Some(containers("sidecar", &[r(3, 1, &[])], true));
    }
    // 1m + 3m of the 10m: fits next to 6m, not next to 7m.
    check(
        "fits",
        json!({}),
        &with_sidecar,
        &roomy_node(existing(r(6, 0, &[]))),
        &[],
    );
    check(
        "does not fit",
        json!({}),
        &with_sidecar,
        &roomy_node(existing(r(7, 0, &[]))),
        &[short("cpu", 4, 7, 10)],
    );
}
