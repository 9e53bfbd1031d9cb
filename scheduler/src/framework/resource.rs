//! How much a pod asks for, and how much a node has: [`Resource`].
//!
//! A pod's request is not simply the sum of its containers. Init containers run one after the
//! other *before* the app containers, so the pod needs the largest of them, not their sum; sidecars
//! (init containers with `restartPolicy: Always`) keep running, so they add up with everything
//! after them; and `spec.overhead` (the sandbox's own cost) comes on top.
//! Upstream: `k8s.io/component-helpers/resource/helpers.go` (`PodRequests`) and
//! `pkg/scheduler/framework/types.go` (`Resource`, `calculateResource`).

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use machinery::quantity::{parse_milli, parse_value};
use std::collections::BTreeMap;

/// What an unset CPU request counts as when *scoring* (not filtering): 0.1 core.
/// Upstream: `pkg/scheduler/util/pod_resources.go` `DefaultMilliCPURequest`.
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
/// What an unset memory request counts as when scoring: 200 MiB.
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

/// An amount of every resource the scheduler tracks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    pub milli_cpu: i64,
    /// Bytes.
    pub memory: i64,
    /// Bytes.
    pub ephemeral_storage: i64,
    /// How many pods (only meaningful for a node's allocatable).
    pub allowed_pod_number: i64,
    /// Extended resources such as `nvidia.com/gpu` and `hugepages-2Mi`, as whole numbers.
    pub scalar: BTreeMap<String, i64>,
}

impl Resource {
    /// Read a `ResourceList` (`{"cpu": "100m", "memory": "1Gi", ...}`). A quantity that does
    /// not parse counts as zero: the API server validates quantities, so this only happens when
    /// reading a foreign cluster's odd object, and a scheduler must not crash on it.
    pub fn from_list(list: &BTreeMap<String, Quantity>) -> Resource {
        let mut r = Resource::default();
        for (name, q) in list {
            r.add_named(name, &q.0);
        }
        r
    }

    fn add_named(&mut self, name: &str, quantity: &str) {
        match name {
            "cpu" => self.milli_cpu += parse_milli(quantity).unwrap_or(0),
            "memory" => self.memory += parse_value(quantity).unwrap_or(0),
            "ephemeral-storage" => self.ephemeral_storage += parse_value(quantity).unwrap_or(0),
            "pods" => self.allowed_pod_number += parse_value(quantity).unwrap_or(0),
            other => {
                *self.scalar.entry(other.to_string()).or_default() +=
                    parse_value(quantity).unwrap_or(0)
            }
        }
    }

    pub fn add(&mut self, other: &Resource) {
        self.milli_cpu += other.milli_cpu;
        self.memory += other.memory;
        self.ephemeral_storage += other.ephemeral_storage;
        self.allowed_pod_number += other.allowed_pod_number;
        for (k, v) in &other.scalar {
            *self.scalar.entry(k.clone()).or_default() += v;
        }
    }

    pub fn sub(&mut self, other: &Resource) {
        self.milli_cpu -= other.milli_cpu;
        self.memory -= other.memory;
        self.ephemeral_storage -= other.ephemeral_storage;
        self.allowed_pod_number -= other.allowed_pod_number;
        for (k, v) in &other.scalar {
            *self.scalar.entry(k.clone()).or_default() -= v;
        }
    }

    /// Each field becomes the larger of the two.
    pub fn set_max(&mut self, other: &Resource) {
        self.milli_cpu = self.milli_cpu.max(other.milli_cpu);
        self.memory = self.memory.max(other.memory);
        self.ephemeral_storage = self.ephemeral_storage.max(other.ephemeral_storage);
        self.allowed_pod_number = self.allowed_pod_number.max(other.allowed_pod_number);
        for (k, v) in &other.scalar {
            let e = self.scalar.entry(k.clone()).or_default();
            *e = (*e).max(*v);
        }
    }

    /// The amount of one resource by its API name (`cpu` in millicores, the rest as values).
    pub fn get(&self, name: &str) -> i64 {
        match name {
            "cpu" => self.milli_cpu,
            "memory" => self.memory,
            "ephemeral-storage" => self.ephemeral_storage,
            "pods" => self.allowed_pod_number,
            other => self.scalar.get(other).copied().unwrap_or(0),
        }
    }
}

fn container_requests(c: &Container) -> Resource {
    c.resources
        .as_ref()
        .and_then(|r| r.requests.as_ref())
        .map(Resource::from_list)
        .unwrap_or_default()
}

/// A sidecar is an init container that keeps running (`restartPolicy: Always`).
fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

/// The pod's effective request, as upstream's `PodRequests`:
/// `max(sum(containers) + sum(sidecars), max over init containers of (init + sidecars before it))`
/// plus `spec.overhead`.
pub fn pod_requests(pod: &Pod) -> Resource {
    pod_requests_with(pod, container_requests)
}

/// Like [`pod_requests`], but a container without a CPU or memory request counts as
/// [`DEFAULT_MILLI_CPU_REQUEST`] / [`DEFAULT_MEMORY_REQUEST`]. Scoring uses this so that
/// request-less pods do not all pile onto one node that looks empty.
pub fn pod_non_zero_requests(pod: &Pod) -> Resource {
    pod_requests_with(pod, |c| {
        let mut r = container_requests(c);
        let has = |name: &str| {
            c.resources
                .as_ref()
                .and_then(|r| r.requests.as_ref())
                .is_some_and(|req| req.contains_key(name))
        };
        if !has("cpu") {
            r.milli_cpu = DEFAULT_MILLI_CPU_REQUEST;
        }
        if !has("memory") {
            r.memory = DEFAULT_MEMORY_REQUEST;
        }
        r
    })
}

fn pod_requests_with(pod: &Pod, per_container: impl Fn(&Container) -> Resource) -> Resource {
    let Some(spec) = pod.spec.as_ref() else {
        return Resource::default();
    };
    let mut requests = Resource::default();
    for c in &spec.containers {
        requests.add(&per_container(c));
    }
    let mut sidecars = Resource::default();
    let mut init_peak = Resource::default();
    for c in spec.init_containers.iter().flatten() {
        let mut running_now = per_container(c);
        if is_sidecar(c) {
            sidecars.add(&running_now);
            running_now = sidecars.clone();
        } else {
            running_now.add(&sidecars);
        }
        init_peak.set_max(&running_now);
    }
    requests.add(&sidecars);
    requests.set_max(&init_peak);
    if let Some(overhead) = spec.overhead.as_ref() {
        requests.add(&Resource::from_list(overhead));
    }
    requests
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::make_pod;

    #[test]
    fn a_pod_requests_the_sum_of_its_containers() {
        let pod = make_pod("p").req("100m", "1Gi").req("200m", "1Gi").obj();
        let r = pod_requests(&pod);
        assert_eq!((r.milli_cpu, r.memory), (300, 2 << 30));
    }

    #[test]
    fn an_init_container_larger_than_the_app_containers_sets_the_request() {
        let pod = make_pod("p").req("100m", "1Gi").init_req("2", "10Mi").obj();
        let r = pod_requests(&pod);
        assert_eq!((r.milli_cpu, r.memory), (2000, 1 << 30));
    }

    #[test]
    fn sidecars_add_to_everything_that_runs_after_them() {
        let pod = make_pod("p")
            .req("100m", "0")
            .sidecar_req("50m", "0")
            .init_req("500m", "0")
            .obj();
        // The init container runs next to the sidecar (550m); the app runs next to it (150m).
        assert_eq!(pod_requests(&pod).milli_cpu, 550);
    }

    #[test]
    fn overhead_is_added_on_top() {
        let pod = make_pod("p")
            .req("100m", "1Mi")
            .overhead("10m", "1Mi")
            .obj();
        let r = pod_requests(&pod);
        assert_eq!((r.milli_cpu, r.memory), (110, 2 << 20));
    }

    #[test]
    fn scoring_counts_a_missing_request_as_the_default() {
        let pod = make_pod("p").container("c").obj();
        let r = pod_non_zero_requests(&pod);
        assert_eq!(
            (r.milli_cpu, r.memory),
            (DEFAULT_MILLI_CPU_REQUEST, DEFAULT_MEMORY_REQUEST)
        );
        assert_eq!(pod_requests(&pod).milli_cpu, 0);
    }
}
