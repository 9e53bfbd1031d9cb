//! PreScore/Score/NormalizeScore, mirroring upstream's `scoring_test.go` (`TestPreScoreSkip`,
//! `TestPreScoreStateEmptyNodes`, `TestPodTopologySpreadScore`), plus the args and events.

use super::common::TopologyPair;
use super::scoring::{topology_normalizing_weight, PreScoreState, PRE_SCORE_STATE_KEY};
use super::testutil::*;
use super::*;
use crate::framework::{
    ClusterEvent, CycleState, NodeInfo, NodeScore, Plugin, PreScorePlugin, ScorePlugin, Status,
};
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod};
use std::collections::BTreeSet;
use std::sync::Arc;

pub(super) const HOSTNAME: &str = "kubernetes.io/hostname";
const ZONE: &str = "topology.kubernetes.io/zone";

pub(super) fn system_plugin() -> PodTopologySpread {
    PodTopologySpread::new(PodTopologySpreadArgs::default())
}

/// PreScore with `nodes` as the filtered nodes (`failed` exist but did not pass the filters),
/// then Score and NormalizeScore them. `Err`: PreScore's status when not Success.
pub(super) fn run(
    plugin: &PodTopologySpread,
    pod: &Pod,
    pods: &[Pod],
    nodes: &[Node],
    failed: &[Node],
) -> (Result<Vec<i64>, Status>, CycleState) {
    let all = [nodes, failed].concat();
    let snap = snapshot(pods, &all);
    let filtered: Vec<Arc<NodeInfo>> = nodes
        .iter()
        .filter_map(|n| snap.get(n.metadata.name.as_deref().unwrap_or("")).cloned())
        .collect();
    let mut state = CycleState::new();
    let status = plugin.pre_score(&mut state, pod, &filtered, &snap);
    if !status.is_success() {
        return (Err(status), state);
    }
    let mut list: Vec<NodeScore> = filtered
        .iter()
        .map(|n| {
            let (score, status) = plugin.score(&state, pod, n);
            assert!(status.is_success(), "{status}");
            NodeScore {
                name: n.name().to_string(),
                score,
            }
        })
        .collect();
    assert!(plugin.normalize_score(&state, pod, &mut list).is_success());
    (Ok(list.into_iter().map(|s| s.score).collect()), state)
}

pub(super) fn host(name: &str) -> Node {
    node(name, &[(HOSTNAME, name)])
}

pub(super) fn zone_host(name: &str, zone: &str) -> Node {
    node(name, &[("zone", zone), (HOSTNAME, name)])
}

/// `counts` pods labelled foo on each of the nodes named, e.g. `[("node-a", 2)]`.
pub(super) fn foo_pods(counts: &[(&str, usize)]) -> Vec<Pod> {
    counts
        .iter()
        .flat_map(|(n, count)| (0..*count).map(move |i| on(&format!("p-{n}-{i}"), n, &["foo"])))
        .collect()
}

#[test]
fn pre_score_skips_when_there_is_nothing_to_spread() {
    let nodes = [host("node-a"), host("node-b")];
    let rs = |p: crate::testing::PodWrapper| {
        p.labels(&[("foo", "bar")])
            .owned_by("apps/v1", "ReplicaSet", "rs1")
    };
    let cases = [
        (
            "the pod has no soft constraints",
            plugin_with(vec![]),
            make_pod("p").obj(),
            &nodes[..],
        ),
        (
            "the pod belongs to no workload, so default constraints do not apply",
            plugin_with(vec![constraint(2, "planet", SOFT, None)]),
            make_pod("p").labels(&[("foo", "bar")]).obj(),
            &nodes[..],
        ),
        (
            "only hard default constraints",
            plugin_with(vec![constraint(2, "planet", HARD, None)]),
            rs(make_pod("p")).obj(),
            &nodes[..],
        ),
        (
            "no nodes at all",
            system_plugin(),
            rs(make_pod("p")).obj(),
            &[],
        ),
    ];
    for (name, plugin, pod, nodes) in cases {
        assert_eq!(
            run(&plugin, &pod, &[], nodes, &[]).0,
            Err(Status::skip()),
            "{name}"
        );
    }
}

#[test]
fn pre_score_finds_the_domains_and_weights_as_upstream() {
    let foo = || exists("foo");
    let three = || {
        vec![
            zone_host("node-a", "zone1"),
            zone_host("node-b", "zone1"),
            zone_host("node-x", "zone2"),
        ]
    };
    let pairs = |p: &[(&str, &str)]| {
        p.iter()
            .map(|(k, v)| (TopologyPair::new(k, v), 0))
            .collect()
    };
    let rs_pod = || {
        make_pod("p")
            .labels(&[("foo", "tar"), ("baz", "sup")])
            .owned_by("apps/v1", "ReplicaSet", "rs1")
    };
    let workload = Some("baz=sup,foo=tar");
    type Case = (
        &'static str,
        PodTopologySpread,
        Pod,
        Vec<Node>,
        PreScoreState,
    );
    let cases: Vec<Case> = vec![
        (
            "two constraints",
            plugin_with(vec![]),
            make_pod("p")
                .labels(&[("foo", "")])
                .spread(constraint(1, "zone", SOFT, foo()))
                .spread(constraint(1, HOSTNAME, SOFT, foo()))
                .obj(),
            three(),
            PreScoreState {
                constraints: vec![
                    parsed(1, "zone", Some("foo"), HONOR, IGNORE),
                    parsed(1, HOSTNAME, Some("foo"), HONOR, IGNORE),
                ],
                ignored_nodes: BTreeSet::new(),
                topology_pair_to_pod_counts: pairs(&[("zone", "zone1"), ("zone", "zone2")]),
                topology_normalizing_weight: vec![
                    topology_normalizing_weight(2),
                    topology_normalizing_weight(3),
                ],
            },
        ),
        (
            "a missing selector",
            plugin_with(vec![]),
            make_pod("p")
                .labels(&[("foo", "")])
                .spread(constraint(1, "zone", SOFT, None))
                .obj(),
            three(),
            PreScoreState {
                constraints: vec![parsed(1, "zone", None, HONOR, IGNORE)],
                ignored_nodes: BTreeSet::new(),
                topology_pair_to_pod_counts: pairs(&[("zone", "zone1"), ("zone", "zone2")]),
                topology_normalizing_weight: vec![topology_normalizing_weight(2)],
            },
        ),
        (
            "a node without the zone label is ignored",
            plugin_with(vec![]),
            make_pod("p")
                .labels(&[("foo", "")])
                .spread(constraint(1, "zone", SOFT, foo()))
                .spread(constraint(1, HOSTNAME, SOFT, exists("bar")))
                .obj(),
            vec![
                zone_host("node-a", "zone1"),
                zone_host("node-b", "zone1"),
                host("node-x"),
            ],
            PreScoreState {
                constraints: vec![
                    parsed(1, "zone", Some("foo"), HONOR, IGNORE),
                    parsed(1, HOSTNAME, Some("bar"), HONOR, IGNORE),
                ],
                ignored_nodes: BTreeSet::from(["node-x".to_string()]),
                topology_pair_to_pod_counts: pairs(&[("zone", "zone1")]),
                topology_normalizing_weight: vec![
                    topology_normalizing_weight(1),
                    topology_normalizing_weight(2),
                ],
            },
        ),
        (
            "system defaults for a ReplicaSet's pod: nodes without a zone form a zone of their own",
            system_plugin(),
            rs_pod().obj(),
            vec![
                node("node-a", &[(HOSTNAME, "node-a"), (ZONE, "mars")]),
                node("node-b", &[(HOSTNAME, "node-b"), (ZONE, "mars")]),
                host("node-c"),
                host("node-d"),
            ],
            PreScoreState {
                constraints: vec![
                    parsed(3, HOSTNAME, workload, HONOR, IGNORE),
                    parsed(5, ZONE, workload, HONOR, IGNORE),
                ],
                ignored_nodes: BTreeSet::new(),
                topology_pair_to_pod_counts: pairs(&[(ZONE, "mars"), (ZONE, "")]),
                topology_normalizing_weight: vec![
                    topology_normalizing_weight(4),
                    topology_normalizing_weight(2),
                ],
            },
        ),
        (
            "listed defaults for a ReplicaSet's pod: only the soft ones",
            plugin_with(vec![
                constraint(1, HOSTNAME, SOFT, None),
                constraint(2, "rack", HARD, None),
                constraint(2, "planet", SOFT, None),
            ]),
            rs_pod().obj(),
            vec![node(
                "node-a",
                &[("rack", "rack1"), (HOSTNAME, "node-a"), ("planet", "mars")],
            )],
            PreScoreState {
                constraints: vec![
                    parsed(1, HOSTNAME, workload, HONOR, IGNORE),
                    parsed(2, "planet", workload, HONOR, IGNORE),
                ],
                ignored_nodes: BTreeSet::new(),
                topology_pair_to_pod_counts: pairs(&[("planet", "mars")]),
                topology_normalizing_weight: vec![
                    topology_normalizing_weight(1),
                    topology_normalizing_weight(1),
                ],
            },
        ),
        (
            "the pod's own constraints replace the defaults",
            plugin_with(vec![constraint(2, "galaxy", SOFT, None)]),
            rs_pod()
                .spread(constraint(1, "zone", HARD, exists("bar")))
                .spread(constraint(
                    2,
                    "planet",
                    SOFT,
                    match_labels(&[("baz", "sup")]),
                ))
                .obj(),
            vec![node(
                "node-a",
                &[("planet", "mars"), ("galaxy", "andromeda")],
            )],
            PreScoreState {
                constraints: vec![parsed(2, "planet", Some("baz=sup"), HONOR, IGNORE)],
                ignored_nodes: BTreeSet::new(),
                topology_pair_to_pod_counts: pairs(&[("planet", "mars")]),
                topology_normalizing_weight: vec![topology_normalizing_weight(1)],
            },
        ),
    ];
    for (name, plugin, pod, nodes, want) in cases {
        let (result, state) = run(&plugin, &pod, &[], &nodes, &[]);
        assert!(result.is_ok(), "{name}: {result:?}");
        let got = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY).cloned();
        assert_eq!(got, Some(want), "{name}");
    }
}

#[test]
fn pod_and_node_changes_may_make_a_rejected_pod_fit() {
    let plugin = system_plugin();
    assert_eq!(plugin.name(), "PodTopologySpread");
    assert_eq!(
        plugin.events_to_register(),
        vec![
            ClusterEvent::POD_ADD,
            ClusterEvent::POD_UPDATE,
            ClusterEvent::POD_DELETE,
            ClusterEvent::NODE_ADD,
            ClusterEvent::NODE_UPDATE,
            ClusterEvent::NODE_DELETE,
        ]
    );
    assert_eq!(system_default_constraints().len(), 2);
}
