//! Which pods on one node must go so the preemptor fits: `SelectVictimsOnNode`, and the
//! PodDisruptionBudget bookkeeping it needs.
//!
//! The search is greedy and cheap on purpose. First take *every* lower-priority pod off the node
//! (on a copy) and ask the Filter plugins whether the preemptor fits now. If it does not, no
//! amount of preemption on this node helps. If it does, put the pods back one at a time, most
//! important first, and keep each one that still leaves room: the ones that do not fit back are
//! the victims. Pods whose eviction would break a PodDisruptionBudget get the first chance to be
//! put back, so budgets are broken only when there is no other way.
//! Upstream: `SelectVictimsOnNode` and `filterPodsWithPDBViolation` in
//! `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`,
//! `MoreImportantPod` and `GetPodStartTime` in `pkg/scheduler/util/utils.go`.

use crate::framework::{CycleState, Framework, NodeInfo, PodInfo, Status};
use crate::plugins::priority_sort::pod_priority;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use machinery::labels::Selector;
use std::cmp::Ordering;
use std::sync::Arc;

/// Upstream's reason for a node without any lower-priority pod: evicting nothing changes nothing.
pub const NO_VICTIMS_REASON: &str = "No preemption victims found for incoming pod";

/// The victims chosen on one node, most important first, and how many of them break a budget.
#[derive(Debug, Clone)]
pub struct Victims {
    pub pods: Vec<Arc<Pod>>,
    pub num_pdb_violations: i64,
}

/// Find the fewest pods to evict from `node` so that `pod` passes every Filter plugin.
///
/// `state` and `node` must be the caller's private copies: pods are taken off and put back on
/// them while searching. `Err` carries the status that explains why this node cannot help.
pub fn select_victims_on_node(
    framework: &Framework,
    state: &mut CycleState,
    pod: &Pod,
    node: &mut NodeInfo,
    pdbs: &[Arc<PodDisruptionBudget>],
) -> Result<Victims, Status> {
    // 1. Every pod of lower priority is a potential victim; take them all off the node.
    let preemptor_priority = pod_priority(pod);
    let mut potential: Vec<PodInfo> = node
        .pods
        .iter()
        .filter(|p| pod_priority(&p.pod) < preemptor_priority)
        .cloned()
        .collect();
    for victim in &potential {
        remove_pod(framework, state, pod, victim, node)?;
    }
    if potential.is_empty() {
        // Nothing was removed, so the node is exactly as the Filter plugins already saw it.
        return Err(Status::unresolvable(NO_VICTIMS_REASON));
    }

    // 2. Does the pod fit with all of them gone? If not, this node is hopeless. (Upstream does
    // not try to help a pod that needs affinity *to* one of its victims: not worth the cost.)
    let status = run_filters(framework, state, pod, node);
    if !status.is_success() {
        return Err(status);
    }

    // 3. Put pods back, most important first; budget-protected pods get the first chance.
    potential.sort_by(more_important_pod);
    let (violating, non_violating) = filter_pods_with_pdb_violation(potential, pdbs);
    let had_both_kinds = !violating.is_empty() && !non_violating.is_empty();
    let mut victims: Vec<PodInfo> = Vec::new();
    let mut num_pdb_violations = 0;
    for candidate in violating {
        if !reprieve(framework, state, pod, node, candidate, &mut victims)? {
            num_pdb_violations += 1;
        }
    }
    for candidate in non_violating {
        reprieve(framework, state, pod, node, candidate, &mut victims)?;
    }

    // The two passes each kept importance order; merged, they need sorting again.
    if had_both_kinds {
        victims.sort_by(more_important_pod);
    }
    Ok(Victims {
        pods: victims.into_iter().map(|v| v.pod).collect(),
        num_pdb_violations,
    })
}

/// Put `candidate` back on the node; if the pod no longer fits, take it off again and make it a
/// victim. Returns whether it could stay.
fn reprieve(
    framework: &Framework,
    state: &mut CycleState,
    pod: &Pod,
    node: &mut NodeInfo,
    candidate: PodInfo,
    victims: &mut Vec<PodInfo>,
) -> Result<bool, Status> {
    add_pod(framework, state, pod, &candidate, node)?;
    let fits = run_filters(framework, state, pod, node).is_success();
    if !fits {
        remove_pod(framework, state, pod, &candidate, node)?;
        victims.push(candidate);
    }
    Ok(fits)
}

/// Take `victim` off the node and tell the PreFilter plugins, whose precomputed state (pod
/// counts per topology domain, for instance) depends on which pods are where.
fn remove_pod(
    framework: &Framework,
    state: &mut CycleState,
    pod: &Pod,
    victim: &PodInfo,
    node: &mut NodeInfo,
) -> Result<(), Status> {
    node.remove_pod(&victim.key());
    let status = framework.run_pre_filter_extension_remove_pod(state, pod, victim, node);
    extension_result("RemovePod", status)
}

/// Put `pod_info` back on the node and tell the PreFilter plugins.
fn add_pod(
    framework: &Framework,
    state: &mut CycleState,
    pod: &Pod,
    pod_info: &PodInfo,
    node: &mut NodeInfo,
) -> Result<(), Status> {
    node.add_pod(pod_info.clone());
    let status = framework.run_pre_filter_extension_add_pod(state, pod, pod_info, node);
    extension_result("AddPod", status)
}

/// A failing extension is an internal error, worded as upstream's framework words it.
fn extension_result(extension: &str, status: Status) -> Result<(), Status> {
    if status.is_success() {
        return Ok(());
    }
    let plugin = status.plugin.unwrap_or("");
    Err(Status::error(format!(
        "running {extension} on PreFilter plugin {plugin:?}: {}",
        status.message()
    )))
}

/// Run the Filter plugins on the node as it is now: Success, or the first rejection.
/// (Upstream's `RunFilterPluginsWithNominatedPods` also counts pods nominated to this node with
/// at least the preemptor's priority; kubeling's framework keeps no nominated pods yet.)
fn run_filters(framework: &Framework, state: &CycleState, pod: &Pod, node: &NodeInfo) -> Status {
    framework
        .run_filter_plugins(state, pod, node)
        .into_iter()
        .map(|(_, status)| status)
        .find(|status| !status.is_success())
        .unwrap_or_else(Status::success)
}

/// Split `pods` (keeping their order) into those whose eviction would break a
/// PodDisruptionBudget and those whose would not. Each budget's `disruptionsAllowed` is spent
/// one victim at a time, so with one disruption allowed the first matching pod is fine and the
/// second is not.
pub fn filter_pods_with_pdb_violation(
    pods: Vec<PodInfo>,
    pdbs: &[Arc<PodDisruptionBudget>],
) -> (Vec<PodInfo>, Vec<PodInfo>) {
    let mut allowed: Vec<i32> = pdbs
        .iter()
        .map(|pdb| pdb.status.as_ref().map_or(0, |s| s.disruptions_allowed))
        .collect();
    // A budget whose selector does not parse matches no pod, as upstream.
    let selectors: Vec<Option<Selector>> = pdbs
        .iter()
        .map(|pdb| {
            let selector = pdb.spec.as_ref()?.selector.as_ref()?;
            Selector::from_label_selector(selector).ok()
        })
        .collect();

    let (mut violating, mut non_violating) = (Vec::new(), Vec::new());
    for pod_info in pods {
        let mut violated = false;
        // A pod without labels matches no budget.
        if let Some(labels) = pod_info
            .pod
            .metadata
            .labels
            .as_ref()
            .filter(|l| !l.is_empty())
        {
            for (i, pdb) in pdbs.iter().enumerate() {
                if pdb.metadata.namespace.as_deref().unwrap_or("default") != pod_info.namespace() {
                    continue;
                }
                // A missing or empty selector matches nothing (not everything) for budgets.
                match &selectors[i] {
                    Some(s) if !s.is_empty() && s.matches_map(labels) => {}
                    _ => continue,
                }
                // The API server already counted a pod listed in disruptedPods (its eviction is
                // under way); counting it again would spend the budget twice.
                let disrupted = pdb.status.as_ref().and_then(|s| s.disrupted_pods.as_ref());
                if disrupted.is_some_and(|d| d.contains_key(pod_info.name())) {
                    continue;
                }
                allowed[i] -= 1;
                if allowed[i] < 0 {
                    violated = true;
                }
            }
        }
        if violated {
            violating.push(pod_info);
        } else {
            non_violating.push(pod_info);
        }
    }
    (violating, non_violating)
}

/// Order pods most important first: higher priority, then (same priority) the one that has run
/// longer. Upstream: `util.MoreImportantPod`.
pub fn more_important_pod(a: &PodInfo, b: &PodInfo) -> Ordering {
    pod_priority(&b.pod)
        .cmp(&pod_priority(&a.pod))
        .then_with(|| pod_start_time(&a.pod).cmp(&pod_start_time(&b.pod)))
}

/// When the pod started: `status.startTime`, else `metadata.creationTimestamp`.
///
/// Upstream uses "now" for a pod that has not started yet (bound or assumed, still creating);
/// kubeling stays a pure function of its input and uses the creation time instead. A pod with
/// neither counts as the newest possible, as "now" would.
pub fn pod_start_time(pod: &Pod) -> DateTime<Utc> {
    pod.status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .or(pod.metadata.creation_timestamp.as_ref())
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.0)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::testing::make_pod;
    use k8s_openapi::api::policy::v1::{PodDisruptionBudgetSpec, PodDisruptionBudgetStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
    use std::collections::BTreeMap;

    /// A budget in `namespace` selecting `labels`, with `allowed` disruptions left.
    pub fn pdb(namespace: &str, labels: &[(&str, &str)], allowed: i32) -> PodDisruptionBudget {
        let mut pdb = PodDisruptionBudget::default();
        pdb.metadata.name = Some("budget".to_string());
        pdb.metadata.namespace = Some(namespace.to_string());
        pdb.spec = Some(PodDisruptionBudgetSpec {
            selector: Some(LabelSelector {
                match_labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                match_expressions: None,
            }),
            ..Default::default()
        });
        pdb.status = Some(PodDisruptionBudgetStatus {
            disruptions_allowed: allowed,
            ..Default::default()
        });
        pdb
    }

    fn names(pods: &[PodInfo]) -> Vec<&str> {
        pods.iter().map(|p| p.name()).collect()
    }

    #[test]
    fn victims_are_split_by_whether_their_eviction_breaks_a_budget() {
        let web = |name: &str| make_pod(name).labels(&[("app", "web")]).info();
        let mut disrupted = pdb("default", &[("app", "web")], 0);
        if let Some(status) = disrupted.status.as_mut() {
            let mut map = BTreeMap::new();
            map.insert("a".to_string(), Time(chrono::Utc::now()));
            status.disrupted_pods = Some(map);
        }
        let mut empty_selector = pdb("default", &[], 0);
        empty_selector.spec = Some(PodDisruptionBudgetSpec {
            selector: Some(LabelSelector::default()),
            ..Default::default()
        });
        // (name, pods in importance order, budgets, the pods that break a budget)
        type Case = (
            &'static str,
            Vec<PodInfo>,
            Vec<PodDisruptionBudget>,
            Vec<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                "one disruption allowed: the first pod spends it, the second breaks the budget",
                vec![web("a"), web("b")],
                vec![pdb("default", &[("app", "web")], 1)],
                vec!["b"],
            ),
            (
                "no budget: nobody violates",
                vec![web("a"), web("b")],
                vec![],
                vec![],
            ),
            (
                "a budget in another namespace does not protect the pod",
                vec![web("a")],
                vec![pdb("other", &[("app", "web")], 0)],
                vec![],
            ),
            (
                "a budget selecting other labels does not protect the pod",
                vec![web("a")],
                vec![pdb("default", &[("app", "db")], 0)],
                vec![],
            ),
            (
                "an empty selector matches nothing",
                vec![web("a")],
                vec![empty_selector],
                vec![],
            ),
            (
                "a pod without labels matches no budget",
                vec![make_pod("bare").info()],
                vec![pdb("default", &[("app", "web")], 0)],
                vec![],
            ),
            (
                "a pod already in disruptedPods does not spend the budget again",
                vec![web("a"), web("b")],
                vec![disrupted],
                vec!["b"],
            ),
        ];
        for (name, pods, pdbs, want_violating) in cases {
            let pdbs: Vec<Arc<PodDisruptionBudget>> = pdbs.into_iter().map(Arc::new).collect();
            let all: Vec<String> = pods.iter().map(|p| p.name().to_string()).collect();
            let (violating, non_violating) = filter_pods_with_pdb_violation(pods, &pdbs);
            assert_eq!(names(&violating), want_violating, "{name}");
            assert_eq!(
                violating.len() + non_violating.len(),
                all.len(),
                "{name}: every pod lands in one group"
            );
        }
    }

    #[test]
    fn importance_is_priority_then_the_longer_running_pod() {
        let at = |secs: i64| Time(DateTime::from_timestamp(secs, 0).unwrap_or_default());
        let started = |name: &str, p: i32, secs: i64| {
            make_pod(name)
                .priority(p)
                .with(|pod| {
                    pod.status = Some(k8s_openapi::api::core::v1::PodStatus {
                        start_time: Some(at(secs)),
                        ..Default::default()
                    })
                })
                .info()
        };
        let created = |name: &str, p: i32, secs: i64| {
            make_pod(name)
                .priority(p)
                .with(|pod| pod.metadata.creation_timestamp = Some(at(secs)))
                .info()
        };
        let mut pods = vec![
            make_pod("never-started").priority(5).info(),
            started("new", 5, 200),
            created("created-early", 5, 50),
            started("old", 5, 100),
            started("low", 1, 0),
            started("high", 9, 300),
        ];
        pods.sort_by(more_important_pod);
        assert_eq!(
            names(&pods),
            [
                "high",
                "created-early",
                "old",
                "new",
                "never-started",
                "low"
            ]
        );
    }
}
