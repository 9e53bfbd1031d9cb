//! PreScore/Score/NormalizeScore, mirroring upstream's `scoring_test.go` (`TestPreferredAffinity`,
//! `TestPreferredAffinityWithHardPodAffinitySymmetricWeight`), plus the args and events.

use super::filtering_tests::namespaces;
use super::testutil::*;
use super::*;
use crate::framework::{
    ClusterEvent, Code, CycleState, NodeScore, Plugin, PreScorePlugin, ScorePlugin, Status,
};
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod};
use serde_json::json;

/// PreScore, then Score every node and normalise; `Err` carries PreScore's non-success status.
fn scores(
    plugin: &InterPodAffinity,
    pod: &Pod,
    pods: &[Pod],
    nodes: &[Node],
) -> Result<Vec<i64>, Status> {
    let snap = snapshot(pods, nodes);
    let mut state = CycleState::new();
    let status = plugin.pre_score(&mut state, pod, snap.list(), &snap);
    if !status.is_success() {
        return Err(status);
    }
    let mut list: Vec<NodeScore> = snap
        .list()
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
    Ok(list.into_iter().map(|s| s.score).collect())
}

fn security(value: &str) -> [(&str, &str); 1] {
    [("security", value)]
}

#[test]
fn preferred_terms_in_both_directions_give_upstreams_scores() {
    let china = [("region", "China")];
    let india = [("region", "India")];
    let az1 = [("az", "az1")];
    let az2 = [("az", "az2")];
    let china_az1 = [("region", "China"), ("az", "az1")];
    let stay_with_s1 = affinity().preferred(5, term_in("security", &["S1"], "region"));
    let stay_with_s2 = affinity().preferred(6, term_in("security", &["S2"], "region"));
    let affinity3 = affinity()
        .preferred(
            8,
            term(
                vec![
                    expr("security", "NotIn", &["S1"]),
                    expr("security", "In", &["S2"]),
                ],
                "region",
            ),
        )
        .preferred(
            2,
            term(
                vec![
                    expr("security", "Exists", &[]),
                    expr("wrongkey", "DoesNotExist", &[]),
                ],
                "region",
            ),
        );
    let hard = affinity()
        .required(term_in("security", &["S1", "value2"], "region"))
        .required(term(
            vec![
                expr("security", "Exists", &[]),
                expr("wrongkey", "DoesNotExist", &[]),
            ],
            "region",
        ));
    let away_from_s1 = affinity().anti_preferred(5, term_in("security", &["S1"], "az"));
    let away_from_s2 = affinity().anti_preferred(5, term_in("security", &["S2"], "az"));
    let with_s1_away_from_s2 = affinity()
        .preferred(8, term_in("security", &["S1"], "region"))
        .anti_preferred(5, term_in("security", &["S2"], "az"));
    let team1_s1 = || {
        let mut t =
            in_namespaces_labelled(term_in("security", &["S1"], "region"), "team", &["team1"]);
        t.namespaces = Some(vec!["subteam2.team2".to_string()]);
        t
    };
    let ns_affinity = affinity().preferred(5, team1_s1());
    let ns_anti_affinity = affinity().anti_preferred(5, team1_s1());

    let pod = |l: &[(&str, &str)], a: Option<&AffinityBuilder>| {
        let p = make_pod("incoming").labels(l);
        match a {
            Some(a) => p.affinity(a).obj(),
            None => p.obj(),
        }
    };
    let on = |name: &str, node_name: &str, l: &[(&str, &str)], a: Option<&AffinityBuilder>| {
        let p = make_pod(name).node(node_name).labels(l);
        match a {
            Some(a) => p.affinity(a).obj(),
            None => p.obj(),
        }
    };
    let in_ns = |ns: &str, node_name: &str| {
        make_pod("e")
            .namespace(ns)
            .node(node_name)
            .labels(&security("S1"))
            .obj()
    };
    let n = |name: &str, l: &[(&str, &str)]| node(name, l);
    let skip = || Err(Status::skip());
    type Case = (
        &'static str,
        Pod,
        Vec<Pod>,
        Vec<Node>,
        Result<Vec<i64>, Status>,
    );
    let cases: Vec<Case> = vec![
        (
            "no affinity anywhere: PreScore skips",
            pod(&security("S1"), None),
            vec![],
            vec![n("node1", &china), n("node2", &india), n("node3", &az1)],
            skip(),
        ),
        (
            "affinity: the node in the topology of a matching pod scores highest",
            pod(&security("S1"), Some(&stay_with_s1)),
            vec![
                on("a", "node1", &security("S1"), None),
                on("b", "node2", &security("S2"), None),
                on("c", "node3", &security("S1"), None),
            ],
            vec![n("node1", &china), n("node2", &india), n("node3", &az1)],
            Ok(vec![100, 0, 0]),
        ),
        (
            "affinity: every node of the matching pod's region gets the same score",
            pod(&[], Some(&stay_with_s1)),
            vec![on("a", "node1", &security("S1"), None)],
            vec![n("node1", &china), n("node2", &china_az1), n("node3", &india)],
            Ok(vec![100, 100, 0]),
        ),
        (
            "affinity: the region with more matching pods scores higher",
            pod(&security("S1"), Some(&stay_with_s2)),
            ["node1", "node1", "node2", "node3", "node4", "node5"]
                .iter()
                .enumerate()
                .map(|(i, nn)| on(&format!("e{i}"), nn, &security("S2"), None))
                .collect(),
            vec![n("node1", &china), n("node2", &india), n("node3", &china), n("node4", &china), n("node5", &india)],
            Ok(vec![100, 0, 100, 100, 0]),
        ),
        (
            "affinity: several weighted terms with different operators",
            pod(&security("S1"), Some(&affinity3)),
            vec![
                on("a", "node1", &security("S1"), None),
                on("b", "node2", &security("S2"), None),
                on("c", "node3", &security("S1"), None),
            ],
            vec![n("node1", &china), n("node2", &india), n("node3", &az1)],
            Ok(vec![20, 100, 0]),
        ),
        (
            "affinity symmetry: existing pods' preferred terms that select the incoming pod",
            pod(&security("S2"), None),
            vec![on("a", "node1", &security("S1"), Some(&stay_with_s1)), on("b", "node2", &security("S2"), Some(&stay_with_s2))],
            vec![n("node1", &china), n("node2", &india), n("node3", &az1)],
            Ok(vec![0, 100, 0]),
        ),
        (
            "affinity symmetry with a namespace selector",
            make_pod("incoming").namespace("subteam1.team1").labels(&security("S1")).obj(),
            vec![on("a", "node1", &security("S1"), Some(&ns_affinity)), on("b", "node2", &security("S2"), Some(&stay_with_s2))],
            vec![n("node1", &china), n("node2", &india), n("node3", &az1)],
            Ok(vec![100, 0, 0]),
        ),
        (
            "anti-affinity symmetry with a namespace selector",
            make_pod("incoming").namespace("subteam1.team1").labels(&security("S1")).obj(),
            vec![on("a", "node1", &security("S1"), Some(&ns_anti_affinity)), on("b", "node2", &security("S2"), Some(&stay_with_s2))],
            vec![n("node1", &china), n("node2", &india), n("node3", &az1)],
            Ok(vec![0, 100, 100]),
        ),
        (
            "affinity symmetry: existing pods' required terms count with hardPodAffinityWeight",
            pod(&security("S1"), None),
            vec![on("a", "node1", &security("S1"), Some(&hard)), on("b", "node2", &security("S2"), Some(&hard))],
            vec![n("node1", &china), n("node2", &india), n("node3", &az1)],
            Ok(vec![100, 100, 0]),
        ),
        (
            "anti-affinity: the node without matching pods scores highest",
            pod(&security("S1"), Some(&away_from_s1)),
            vec![on("a", "node1", &security("S1"), None), on("b", "node2", &security("S2"), None)],
            vec![n("node1", &az1), n("node2", &china)],
            Ok(vec![0, 100]),
        ),
        (
            "anti-affinity: a node outside the topology scores highest",
            pod(&security("S1"), Some(&away_from_s1)),
            vec![on("a", "node1", &security("S1"), None), on("b", "node2", &security("S1"), None)],
            vec![n("node1", &az1), n("node2", &china)],
            Ok(vec![0, 100]),
        ),
        (
            "anti-affinity: the node with more matching pods scores lower",
            pod(&security("S1"), Some(&away_from_s1)),
            vec![
                on("a", "node1", &security("S1"), None),
                on("b", "node1", &security("S1"), None),
                on("c", "node2", &security("S2"), None),
            ],
            vec![n("node1", &az1), n("node2", &india)],
            Ok(vec![0, 100]),
        ),
        (
            "anti-affinity symmetry: existing pods that dislike the incoming pod lower their node",
            pod(&security("S2"), None),
            vec![on("a", "node1", &security("S1"), Some(&away_from_s2)), on("b", "node2", &security("S2"), Some(&away_from_s1))],
            vec![n("node1", &az1), n("node2", &az2)],
            Ok(vec![0, 100]),
        ),
        (
            "affinity and anti-affinity preferred together",
            pod(&security("S1"), Some(&with_s1_away_from_s2)),
            vec![on("a", "node1", &security("S1"), None), on("b", "node2", &security("S1"), None)],
            vec![n("node1", &china), n("node2", &az1)],
            Ok(vec![100, 0]),
        ),
        (
            "affinity and anti-affinity when the pods share labels: same region, different nodes",
            pod(&security("S1"), Some(&with_s1_away_from_s2)),
            ["node1", "node1", "node2", "node3", "node3", "node4", "node5"]
                .iter()
                .enumerate()
                .map(|(i, nn)| on(&format!("e{i}"), nn, &security("S1"), None))
                .collect(),
            vec![n("node1", &china_az1), n("node2", &india), n("node3", &china), n("node4", &china), n("node5", &india)],
            Ok(vec![100, 0, 100, 100, 0]),
        ),
        (
            "affinity, anti-affinity and both symmetries together",
            pod(&security("S1"), Some(&with_s1_away_from_s2)),
            vec![
                on("a", "node1", &security("S1"), None),
                on("b", "node2", &security("S2"), None),
                on("c", "node3", &[], Some(&with_s1_away_from_s2)),
                on("d", "node4", &[], Some(&away_from_s1)),
            ],
            vec![n("node1", &china), n("node2", &az1), n("node3", &india), n("node4", &az2)],
            Ok(vec![100, 0, 100, 0]),
        ),
        (
            "nodes of one topology where only some hold pods with affinity score equally",
            pod(&security("S1"), None),
            vec![on("a", "node1", &security("S1"), None), on("b", "node2", &[], Some(&with_s1_away_from_s2))],
            vec![n("node1", &china), n("node2", &china)],
            Ok(vec![0, 0]),
        ),
        (
            "a preferred term that cannot be parsed fails PreScore",
            pod(&[], Some(&affinity().preferred(8, term(vec![expr("security", "Near", &["S1"])], "region")))),
            vec![],
            vec![n("node1", &china), n("node2", &china)],
            Err(Status::error(
                "failed to parse pod: preferredAffinityTerms: \"Near\" is not a valid label selector operator",
            )),
        ),
        (
            "affinity with pods matching the namespace selector",
            make_pod("incoming").namespace("subteam1.team1").labels(&security("S1")).affinity(&ns_affinity).obj(),
            vec![in_ns("subteam1.team1", "node1"), in_ns("subteam1.team1", "node1"), in_ns("subteam1.team2", "node1"), in_ns("subteam2.team1", "node2")],
            vec![n("node1", &china), n("node2", &india)],
            Ok(vec![100, 0]),
        ),
        (
            "affinity with pods matching the namespace selector and the namespaces list",
            make_pod("incoming").namespace("subteam1.team1").labels(&security("S1")).affinity(&ns_affinity).obj(),
            vec![in_ns("subteam1.team1", "node1"), in_ns("subteam1.team1", "node1"), in_ns("subteam2.team2", "node1"), in_ns("subteam2.team1", "node2")],
            vec![n("node1", &china), n("node2", &india)],
            Ok(vec![100, 0]),
        ),
        (
            "anti-affinity with pods matching the namespace selector",
            make_pod("incoming").namespace("subteam1.team1").labels(&security("S1")).affinity(&ns_anti_affinity).obj(),
            vec![in_ns("subteam1.team1", "node1"), in_ns("subteam1.team1", "node1"), in_ns("subteam1.team2", "node1"), in_ns("subteam2.team1", "node2")],
            vec![n("node1", &china), n("node2", &india)],
            Ok(vec![0, 100]),
        ),
        (
            "no nodes to score: PreScore skips",
            pod(&security("S2"), None),
            vec![],
            vec![],
            skip(),
        ),
    ];
    let plugin =
        InterPodAffinity::new(InterPodAffinityArgs::default()).with_namespaces(namespaces());
    for (name, pod, pods, nodes, want) in cases {
        assert_eq!(scores(&plugin, &pod, &pods, &nodes), want, "{name}");
    }
}

#[test]
fn ignoring_preferred_terms_of_existing_pods_skips_a_pod_without_its_own() {
    let pod = make_pod("incoming").labels(&security("S2")).obj();
    let with_s1 = affinity()
        .preferred(8, term_in("security", &["S1"], "region"))
        .anti_preferred(5, term_in("security", &["S2"], "az"));
    let pods = vec![
        make_pod("a")
            .node("node1")
            .labels(&security("S1"))
            .affinity(&with_s1)
            .obj(),
        make_pod("b")
            .node("node2")
            .labels(&security("S2"))
            .affinity(&affinity().preferred(6, term_in("security", &["S2"], "region")))
            .obj(),
    ];
    let nodes = vec![
        node("node1", &[("region", "China")]),
        node("node2", &[("region", "India")]),
    ];
    let args = |ignore| InterPodAffinityArgs {
        ignore_preferred_terms_of_existing_pods: ignore,
        ..InterPodAffinityArgs::default()
    };
    let ignoring = InterPodAffinity::new(args(true));
    assert_eq!(
        scores(&ignoring, &pod, &pods, &nodes),
        Err(Status::skip()),
        "ignored"
    );
    let counting = InterPodAffinity::new(args(false));
    assert_eq!(
        scores(&counting, &pod, &pods, &nodes),
        Ok(vec![0, 100]),
        "counted"
    );
}

#[test]
fn hard_pod_affinity_weight_scores_existing_pods_required_terms() {
    let service_s1 = [("service", "S1")];
    let hard = affinity().required({
        let mut t =
            in_namespaces_labelled(term_in("service", &["S1"], "region"), "team", &["team1"]);
        t.namespaces = Some(vec!["default".to_string(), "subteam2.team2".to_string()]);
        t
    });
    let pods = vec![
        make_pod("a").node("node1").affinity(&hard).obj(),
        make_pod("b").node("node2").affinity(&hard).obj(),
    ];
    let nodes = vec![
        node("node1", &[("region", "China")]),
        node("node2", &[("region", "India")]),
        node("node3", &[("az", "az1")]),
    ];
    let incoming = |ns: &str| make_pod("incoming").namespace(ns).labels(&service_s1).obj();
    let cases = [
        (
            "with the default weight",
            "default",
            1,
            Ok(vec![100, 100, 0]),
        ),
        ("with zero weight", "default", 0, Err(Status::skip())),
        (
            "with no matching namespace",
            "subteam1.team2",
            1,
            Err(Status::skip()),
        ),
        (
            "with a matching namespace selector",
            "subteam1.team1",
            1,
            Ok(vec![100, 100, 0]),
        ),
        (
            "with a matching namespaces list",
            "subteam2.team2",
            1,
            Ok(vec![100, 100, 0]),
        ),
    ];
    for (name, ns, weight, want) in cases {
        let args = InterPodAffinityArgs {
            hard_pod_affinity_weight: weight,
            ..InterPodAffinityArgs::default()
        };
        let plugin = InterPodAffinity::new(args).with_namespaces(namespaces());
        assert_eq!(
            scores(&plugin, &incoming(ns), &pods, &nodes),
            want,
            "{name}"
        );
    }
}

#[test]
fn normalize_maps_the_lowest_score_to_zero_and_the_highest_to_one_hundred() {
    let plugin = InterPodAffinity::new(InterPodAffinityArgs::default());
    let mut state = CycleState::new();
    let map = [("zone".to_string(), [("z1".to_string(), 1)].into())].into();
    state.write(
        super::scoring::PRE_SCORE_STATE_KEY,
        super::scoring::PreScoreState {
            topology_score: map,
        },
    );
    let cases = [
        (
            "negative and positive scores",
            vec![-10, 0, 10],
            vec![0, 50, 100],
        ),
        ("truncated, not rounded", vec![0, 2, 3], vec![0, 66, 100]),
        ("all equal scores are all zero", vec![7, 7], vec![0, 0]),
    ];
    for (name, raw, want) in cases {
        let mut list: Vec<NodeScore> = raw
            .iter()
            .map(|s| NodeScore {
                name: "n".into(),
                score: *s,
            })
            .collect();
        assert!(plugin
            .normalize_score(&state, &make_pod("p").obj(), &mut list)
            .is_success());
        let got: Vec<i64> = list.iter().map(|s| s.score).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn args_are_defaulted_and_checked_as_upstream() {
    let ok = |weight, ignore| {
        Ok(InterPodAffinityArgs {
            hard_pod_affinity_weight: weight,
            ignore_preferred_terms_of_existing_pods: ignore,
        })
    };
    let cases: Vec<(
        &str,
        Option<serde_json::Value>,
        Result<InterPodAffinityArgs, String>,
    )> = vec![
        ("no args give the defaults", None, ok(1, false)),
        (
            "an empty object gives the defaults",
            Some(json!({})),
            ok(1, false),
        ),
        (
            "apiVersion and kind are accepted",
            Some(
                json!({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "InterPodAffinityArgs"}),
            ),
            ok(1, false),
        ),
        (
            "both fields can be set",
            Some(json!({"hardPodAffinityWeight": 100, "ignorePreferredTermsOfExistingPods": true})),
            ok(100, true),
        ),
        (
            "zero weight is allowed",
            Some(json!({"hardPodAffinityWeight": 0})),
            ok(0, false),
        ),
        (
            "a negative weight is refused",
            Some(json!({"hardPodAffinityWeight": -1})),
            Err("hardPodAffinityWeight: Invalid value: -1: not in valid range [0, 100]".into()),
        ),
        (
            "a weight above 100 is refused",
            Some(json!({"hardPodAffinityWeight": 101})),
            Err("hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]".into()),
        ),
    ];
    for (name, args, want) in cases {
        assert_eq!(
            InterPodAffinityArgs::from_json(args.as_ref()),
            want,
            "{name}"
        );
    }
    let typo = InterPodAffinityArgs::from_json(Some(&json!({"hardPodAffinity": 2})));
    assert!(typo.is_err_and(|e| e.contains("unknown field `hardPodAffinity`")));
    let factory = super::new(
        Some(&json!({"hardPodAffinityWeight": 200})),
        &Default::default(),
    );
    assert!(factory.is_err(), "the factory refuses invalid args");
}

#[test]
fn pod_and_node_changes_may_make_a_rejected_pod_fit() {
    let plugin = InterPodAffinity::new(InterPodAffinityArgs::default());
    assert_eq!(plugin.name(), "InterPodAffinity");
    assert_eq!(
        plugin.events_to_register(),
        vec![
            ClusterEvent::POD_ADD,
            ClusterEvent::POD_UPDATE,
            ClusterEvent::POD_DELETE,
            ClusterEvent::NODE_ADD,
            ClusterEvent::NODE_UPDATE,
        ]
    );
    assert_eq!(Code::Skip, Status::skip().code);
}
