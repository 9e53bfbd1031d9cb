//! DefaultPreemption end to end: a pod, a cluster, the statuses Filter left, and what
//! PostFilter answers. Mirrors `TestPostFilter`, `TestDryRunPreemption` and
//! `TestSelectBestCandidate` in upstream's `default_preemption_test.go`.
//!
//! The framework here is assembled by hand from two tiny test plugins, so these tests depend on
//! nothing but the preemption logic: `CpuAndPodsFit` (a cut-down NodeResourcesFit) and
//! `ErrorOnLabel` (upstream's `TestPlugin`: its PreFilter extensions fail on nodes labelled
//! `error=true`).

use super::victims::tests::pdb;
use super::*;
use crate::framework::{FilterPlugin, NodeInfo};
use crate::framework::{Framework, PodInfo, PreFilterPlugin, PreFilterResult};
use crate::testing::{make_node, make_pod};
use k8s_openapi::api::core::v1::{PodCondition, PodStatus};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// Filter: the pod's CPU request must fit the node's free CPU, and the node must have room for
/// one more pod. Reasons as NodeResourcesFit words them.
struct CpuAndPodsFit;

impl Plugin for CpuAndPodsFit {
    fn name(&self) -> &'static str {
        "CpuAndPodsFit"
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
}

impl FilterPlugin for CpuAndPodsFit {
    fn filter(&self, _: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
        if node.pods.len() as i64 + 1 > node.allocatable.allowed_pod_number {
            return Status::unschedulable("Too many pods");
        }
        let cpu = crate::framework::resource::pod_requests(pod).milli_cpu;
        if cpu > 0 && node.requested.milli_cpu + cpu > node.allocatable.milli_cpu {
            return Status::unschedulable("Insufficient cpu");
        }
        Status::success()
    }
}

/// PreFilter whose AddPod/RemovePod fail on nodes labelled `error=true`.
struct ErrorOnLabel;

impl Plugin for ErrorOnLabel {
    fn name(&self) -> &'static str {
        "test-plugin"
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
}

fn has_error_label(node: &NodeInfo) -> bool {
    let labels = node.node.metadata.labels.as_ref();
    labels.and_then(|l| l.get("error")).map(String::as_str) == Some("true")
}

impl PreFilterPlugin for ErrorOnLabel {
    fn pre_filter(
        &self,
        _: &mut CycleState,
        _: &Pod,
        _: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        (None, Status::success())
    }
    fn add_pod(&self, _: &mut CycleState, pod: &Pod, _: &PodInfo, node: &NodeInfo) -> Status {
        match has_error_label(node) {
            true => Status::error(format!("failed to add pod: {}", name_of(pod))),
            false => Status::success(),
        }
    }
    fn remove_pod(&self, _: &mut CycleState, pod: &Pod, _: &PodInfo, node: &NodeInfo) -> Status {
        match has_error_label(node) {
            true => Status::error(format!("failed to remove pod: {}", name_of(pod))),
            false => Status::success(),
        }
    }
}

fn name_of(pod: &Pod) -> &str {
    pod.metadata.name.as_deref().unwrap_or("")
}

/// The plugin with a fixed dry-run start.
fn plugin(args: DefaultPreemptionArgs, offset_rand: fn(usize) -> usize) -> Arc<DefaultPreemption> {
    Arc::new(DefaultPreemption { args, offset_rand })
}

/// A framework of the two test plugins and `preemption`, assembled by hand.
fn test_framework(preemption: Arc<DefaultPreemption>) -> Framework {
    Framework {
        profile_name: "test".to_string(),
        pre_filter: vec![Arc::new(ErrorOnLabel)],
        filter: vec![Arc::new(CpuAndPodsFit)],
        post_filter: vec![preemption],
        ..Framework::default()
    }
}

/// Run PreFilter (to fill the cycle state, as the scheduler would) and then PostFilter.
fn run_post_filter(
    framework: &Framework,
    snapshot: &Snapshot,
    pdbs: &[Arc<PodDisruptionBudget>],
    pod: &Pod,
    statuses: &NodeToStatus,
) -> (Option<PostFilterResult>, Status) {
    let mut state = CycleState::new();
    let (_, status) = framework.run_pre_filter_plugins(&mut state, pod, snapshot);
    assert!(status.is_success(), "PreFilter: {status}");
    let ctx = PostFilterContext {
        framework,
        snapshot,
        pdbs,
    };
    let post_filter = framework.post_filter[0].as_post_filter();
    match post_filter {
        Some(p) => p.post_filter(&ctx, &state, pod, statuses),
        None => panic!("the plugin is a PostFilter plugin"),
    }
}

/// A node with `cpu` and room for `max_pods` pods, carrying `pods`.
fn node(name: &str, cpu: &str, max_pods: i64, pods: Vec<Pod>) -> NodeInfo {
    make_node(name)
        .capacity(cpu, "1Gi", max_pods)
        .info_with(pods)
}

/// A pod already running on `node`.
fn running(name: &str, node: &str, priority: i32, cpu: &str) -> Pod {
    make_pod(name)
        .node(node)
        .priority(priority)
        .req(cpu, "")
        .obj()
}

/// The pod looking for a place: named `p`, as upstream's tests.
fn preemptor(priority: i32, cpu: &str) -> Pod {
    make_pod("p").priority(priority).req(cpu, "").obj()
}

fn terminating(mut pod: Pod, condition_reason: Option<&str>) -> Pod {
    pod.metadata.deletion_timestamp = Some(Time(chrono::Utc::now()));
    let conditions = condition_reason.map(|reason| {
        vec![PodCondition {
            type_: "DisruptionTarget".to_string(),
            status: "True".to_string(),
            reason: Some(reason.to_string()),
            ..Default::default()
        }]
    });
    pod.status = Some(PodStatus {
        conditions,
        ..Default::default()
    });
    pod
}

fn nominated_to(mut pod: Pod, node: &str) -> Pod {
    pod.status = Some(PodStatus {
        nominated_node_name: Some(node.to_string()),
        ..Default::default()
    });
    pod
}

const UNSCHED: Code = Code::Unschedulable;
const UNRESOLVABLE: Code = Code::UnschedulableAndUnresolvable;
const LOW: i32 = 0;
const MID: i32 = 100;
const HIGH: i32 = 1000;
const VERY_HIGH: i32 = 10000;

/// What PostFilter should answer.
#[derive(Debug)]
enum Want {
    /// Success: nominate the pod to this node after evicting these victims (in this order).
    Nominate(&'static str, Vec<&'static str>),
    /// No node can be helped: Unschedulable with this message, and an empty nomination.
    NoCandidate(&'static str),
    /// The pod may not preempt: Unschedulable with this message, no result.
    NotEligible(&'static str),
    /// An internal error with this message, no result.
    Error(&'static str),
}

struct Case {
    name: &'static str,
    pod: Pod,
    nodes: Vec<NodeInfo>,
    statuses: Vec<(&'static str, Code)>,
    pdbs: Vec<PodDisruptionBudget>,
    args: DefaultPreemptionArgs,
    offset: fn(usize) -> usize,
    want: Want,
}

fn case(
    name: &'static str,
    pod: Pod,
    nodes: Vec<NodeInfo>,
    statuses: Vec<(&'static str, Code)>,
    want: Want,
) -> Case {
    Case {
        name,
        pod,
        nodes,
        statuses,
        pdbs: Vec::new(),
        args: DefaultPreemptionArgs::default(),
        offset: |_| 0,
        want,
    }
}

impl Case {
    fn pdbs(mut self, pdbs: Vec<PodDisruptionBudget>) -> Self {
        self.pdbs = pdbs;
        self
    }
    fn candidates(mut self, percentage: i32, absolute: i32, offset: fn(usize) -> usize) -> Self {
        self.args = DefaultPreemptionArgs {
            min_candidate_nodes_percentage: percentage,
            min_candidate_nodes_absolute: absolute,
        };
        self.offset = offset;
        self
    }

    fn check(self) {
        let Case {
            name,
            pod,
            nodes,
            statuses,
            pdbs,
            args,
            offset,
            want,
        } = self;
        let framework = test_framework(plugin(args, offset));
        let snapshot = Snapshot::new(nodes);
        let pdbs: Vec<Arc<PodDisruptionBudget>> = pdbs.into_iter().map(Arc::new).collect();
        let statuses: NodeToStatus = statuses
            .iter()
            .map(|(n, code)| (n.to_string(), Status::new(*code, Vec::new())))
            .collect();
        let (result, status) = run_post_filter(&framework, &snapshot, &pdbs, &pod, &statuses);
        let got_victims = |r: &PostFilterResult| -> Vec<String> {
            r.victims.iter().map(|v| name_of(v).to_string()).collect()
        };
        match want {
            Want::Nominate(node, victims) => {
                assert_eq!(status, Status::success(), "{name}");
                let result = result.unwrap_or_else(|| panic!("{name}: no result"));
                assert_eq!(result.nominated_node_name, node, "{name}");
                assert_eq!(got_victims(&result), victims, "{name}");
            }
            Want::NoCandidate(message) => {
                assert_eq!(status, Status::unschedulable(message), "{name}");
                let result = result.unwrap_or_else(|| panic!("{name}: no result"));
                assert_eq!(
                    result.nominated_node_name, "",
                    "{name}: clears the nomination"
                );
                assert!(result.victims.is_empty(), "{name}");
            }
            Want::NotEligible(message) => {
                assert_eq!(status, Status::unschedulable(message), "{name}");
                assert!(result.is_none(), "{name}");
            }
            Want::Error(message) => {
                assert_eq!(status, Status::error(message), "{name}");
                assert!(result.is_none(), "{name}");
            }
        }
    }
}

/// Label a pod `budget=<value>`, for the budgets of the tests to select.
fn in_budget(mut pod: Pod, value: &str) -> Pod {
    pod.metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert("budget".to_string(), value.to_string());
    pod
}

mod choosing;
mod post_filter;
