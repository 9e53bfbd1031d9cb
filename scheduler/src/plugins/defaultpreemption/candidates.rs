//! Finding candidate nodes (a "dry run" of preemption on each) and picking the best one.
//!
//! Trying every node of a 5000-node cluster would be slow, and the first few good answers are
//! about as good as the best: the dry run starts at a random node (so every preemptor does not
//! pile onto the first node of the list) and stops once it has enough candidates, at least one
//! of them breaking no PodDisruptionBudget. The pick then prefers, in order: fewest budgets
//! broken, least important victims, fewest victims, victims that started most recently.
//! Upstream: `DryRunPreemption`, `SelectCandidate` and `pickOneNodeForPreemption` in
//! `pkg/scheduler/framework/preemption/preemption.go`; `calculateNumCandidates` in
//! `pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go`.

use super::victims::{pod_start_time, select_victims_on_node, Victims};
use super::DefaultPreemptionArgs;
use crate::framework::{Code, CycleState, NodeInfo, NodeToStatus, PostFilterContext, Status};
use crate::plugins::priority_sort::pod_priority;
use k8s_openapi::api::core::v1::Pod;
use std::sync::Arc;

/// A node where the preemptor would fit once `victims` are gone.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub name: String,
    pub victims: Victims,
}

/// How many candidates the dry run should find among `num_nodes` nodes: the larger of the
/// percentage and the absolute minimum, but never more than there are nodes.
pub fn calculate_num_candidates(args: &DefaultPreemptionArgs, num_nodes: usize) -> usize {
    let by_percentage = num_nodes * args.min_candidate_nodes_percentage.max(0) as usize / 100;
    by_percentage
        .max(args.min_candidate_nodes_absolute.max(0) as usize)
        .min(num_nodes)
}

/// What the dry run found.
#[derive(Debug, Default)]
pub struct DryRun {
    /// Candidates breaking no budget first, then the others.
    pub candidates: Vec<Candidate>,
    /// Why each node tried without success cannot help.
    pub node_statuses: NodeToStatus,
    /// Internal errors met on the way (a PreFilter extension failed, ...).
    pub errors: Vec<String>,
}

/// Try preemption on `potential_nodes`, starting at `offset` and wrapping around, until
/// `num_candidates` candidates are found (at least one of them breaking no budget) or every
/// node was tried. Each try works on its own copy of the node and of the cycle state.
///
/// Upstream tries nodes in parallel goroutines; kubeling tries them one after the other, which
/// gives the same candidates in a predictable order.
pub fn dry_run_preemption(
    ctx: &PostFilterContext<'_>,
    state: &CycleState,
    pod: &Pod,
    potential_nodes: &[Arc<NodeInfo>],
    offset: usize,
    num_candidates: usize,
) -> DryRun {
    let mut non_violating: Vec<Candidate> = Vec::new();
    let mut violating: Vec<Candidate> = Vec::new();
    let mut run = DryRun::default();
    for i in 0..potential_nodes.len() {
        let mut node = NodeInfo::clone(&potential_nodes[(offset + i) % potential_nodes.len()]);
        let mut state = state.clone();
        let name = node.name().to_string();
        let outcome = select_victims_on_node(ctx.framework, &mut state, pod, &mut node, ctx.pdbs);
        let status = match outcome {
            Ok(victims) if !victims.pods.is_empty() => {
                let list = if victims.num_pdb_violations == 0 {
                    &mut non_violating
                } else {
                    &mut violating
                };
                // Each list holds at most `num_candidates`, as upstream's fixed-size lists.
                if list.len() < num_candidates {
                    list.push(Candidate { name, victims });
                }
                if !non_violating.is_empty()
                    && non_violating.len() + violating.len() >= num_candidates
                {
                    break;
                }
                continue;
            }
            Ok(_) => Status::error(format!("expected at least one victim pod on node {name:?}")),
            Err(status) => status,
        };
        if status.code == Code::Error {
            run.errors.push(status.message());
        }
        run.node_statuses.insert(name, status);
    }
    non_violating.extend(violating);
    run.candidates = non_violating;
    run
}

/// One criterion of the pick: a higher value is a better node.
type ScoreFunc = fn(&Candidate) -> i128;

/// Fewer broken budgets is better.
fn min_num_pdb_violations(c: &Candidate) -> i128 {
    -i128::from(c.victims.num_pdb_violations)
}

/// A lower highest victim priority is better (victims are sorted, most important first).
fn min_highest_priority(c: &Candidate) -> i128 {
    -c.victims
        .pods
        .first()
        .map_or(0, |p| i128::from(pod_priority(p)))
}

/// A smaller sum of victim priorities is better. Each priority is shifted by 2^31 to be
/// positive first, so two victims of priority -10 do not sum "better" than one.
fn min_sum_priorities(c: &Candidate) -> i128 {
    -c.victims
        .pods
        .iter()
        .map(|p| i128::from(pod_priority(p)) + (1i128 << 31))
        .sum::<i128>()
}

/// Fewer victims is better.
fn min_num_pods(c: &Candidate) -> i128 {
    -(c.victims.pods.len() as i128)
}

/// Among the victims of the highest priority, take the one that started first; the node where
/// that start is latest is better (it throws away the least work).
/// Upstream: `util.GetEarliestPodStartTime`.
fn latest_start_time(c: &Candidate) -> i128 {
    let Some(top) = c.victims.pods.first() else {
        return i128::MIN;
    };
    let highest = pod_priority(top);
    let earliest = c
        .victims
        .pods
        .iter()
        .filter(|p| pod_priority(p) == highest)
        .map(|p| pod_start_time(p))
        .min()
        .unwrap_or_else(|| pod_start_time(top));
    i128::from(earliest.timestamp()) * 1_000_000_000 + i128::from(earliest.timestamp_subsec_nanos())
}

/// Pick the node to preempt on: apply each criterion in turn to the nodes still tied; the first
/// one left alone wins; if all criteria tie, the first candidate (in dry-run order) wins.
pub fn pick_one_node_for_preemption(candidates: &[Candidate]) -> Option<&Candidate> {
    const CRITERIA: [ScoreFunc; 5] = [
        min_num_pdb_violations,
        min_highest_priority,
        min_sum_priorities,
        min_num_pods,
        latest_start_time,
    ];
    let mut tied: Vec<&Candidate> = candidates.iter().collect();
    for score in CRITERIA {
        let best = tied.iter().map(|c| score(c)).max()?;
        tied.retain(|c| score(c) == best);
        if tied.len() == 1 {
            break;
        }
    }
    tied.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::make_pod;
    use chrono::DateTime;
    use k8s_openapi::api::core::v1::PodStatus;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    /// A victim with a priority and a start time in seconds.
    fn victim(priority: i32, started: i64) -> Arc<Pod> {
        let start = DateTime::from_timestamp(started, 0).unwrap_or_default();
        Arc::new(
            make_pod("v")
                .priority(priority)
                .with(|p| {
                    p.status = Some(PodStatus {
                        start_time: Some(Time(start)),
                        ..Default::default()
                    })
                })
                .obj(),
        )
    }

    fn candidate(name: &str, violations: i64, pods: Vec<Arc<Pod>>) -> Candidate {
        Candidate {
            name: name.to_string(),
            victims: Victims {
                pods,
                num_pdb_violations: violations,
            },
        }
    }

    #[test]
    fn the_pick_applies_each_tie_break_in_upstream_order() {
        let cases = vec![
            (
                "fewest PDB violations wins even with more important victims",
                vec![
                    candidate("a", 1, vec![victim(1, 0)]),
                    candidate("b", 0, vec![victim(100, 0)]),
                ],
                "b",
            ),
            (
                "then the lowest highest-priority victim",
                vec![
                    candidate("a", 0, vec![victim(50, 0)]),
                    candidate("b", 0, vec![victim(10, 0), victim(10, 0), victim(10, 0)]),
                ],
                "b",
            ),
            (
                "then the smallest sum of victim priorities",
                vec![
                    candidate("a", 0, vec![victim(10, 0), victim(5, 0)]),
                    candidate("b", 0, vec![victim(10, 0), victim(1, 0)]),
                ],
                "b",
            ),
            (
                "negative priorities do not make more victims look cheaper",
                vec![
                    candidate("a", 0, vec![victim(-10, 0), victim(-10, 0)]),
                    candidate("b", 0, vec![victim(-10, 0)]),
                ],
                "b",
            ),
            (
                "then the fewest victims",
                vec![
                    candidate("a", 0, vec![victim(10, 0), victim(0, 0), victim(0, 0)]),
                    candidate("b", 0, vec![victim(10, 0), victim(0, 0)]),
                    candidate("c", 0, vec![victim(10, 0), victim(0, 0), victim(0, 0)]),
                ],
                "b",
            ),
            (
                "then the latest start among the highest-priority victims",
                vec![
                    candidate("a", 0, vec![victim(10, 100), victim(10, 5)]),
                    candidate("b", 0, vec![victim(10, 50), victim(10, 60)]),
                ],
                "b",
            ),
            (
                "lower-priority victims' start times do not count",
                vec![
                    candidate("a", 0, vec![victim(10, 100), victim(5, 1)]),
                    candidate("b", 0, vec![victim(10, 50), victim(5, 999)]),
                ],
                "a",
            ),
            (
                "a full tie goes to the first candidate",
                vec![
                    candidate("a", 0, vec![victim(10, 7)]),
                    candidate("b", 0, vec![victim(10, 7)]),
                ],
                "a",
            ),
            (
                "a single candidate is picked",
                vec![candidate("only", 3, vec![victim(10, 7)])],
                "only",
            ),
        ];
        for (name, candidates, want) in cases {
            let got = pick_one_node_for_preemption(&candidates).map(|c| c.name.as_str());
            assert_eq!(got, Some(want), "{name}");
        }
        assert!(
            pick_one_node_for_preemption(&[]).is_none(),
            "no candidates, no pick"
        );
    }

    #[test]
    fn the_number_of_candidates_is_the_larger_minimum_capped_by_the_node_count() {
        let args = |percentage, absolute| DefaultPreemptionArgs {
            min_candidate_nodes_percentage: percentage,
            min_candidate_nodes_absolute: absolute,
        };
        let cases = [
            (
                "defaults on a small cluster try every node",
                args(10, 100),
                10,
                10,
            ),
            (
                "defaults on 1000 nodes: the absolute 100",
                args(10, 100),
                1000,
                100,
            ),
            (
                "defaults on 5000 nodes: 10% is 500",
                args(10, 100),
                5000,
                500,
            ),
            ("a larger percentage wins", args(40, 100), 1000, 400),
            (
                "an absolute of zero leaves the percentage",
                args(1, 0),
                1000,
                10,
            ),
            ("never more than there are nodes", args(100, 100), 7, 7),
            ("no nodes, no candidates", args(10, 100), 0, 0),
        ];
        for (name, args, nodes, want) in cases {
            assert_eq!(calculate_num_candidates(&args, nodes), want, "{name}");
        }
    }
}
