//! PreFilter's counts with `nodeAffinityPolicy`, `nodeTaintsPolicy` and `matchLabelKeys`,
//! mirroring those cases of upstream's `TestPreFilterState` (`filtering_test.go`).

use super::common::SpreadConstraint;
use super::testutil::*;
use crate::framework::Status;
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod, TopologySpreadConstraint};

#[test]
fn pre_filter_honors_node_inclusion_policies_and_match_label_keys() {
    let foo = || exists("foo");
    let bar = || exists("bar");
    let p = || make_pod("p").labels(&[("foo", "")]);
    let abc = |c_labels: &[(&str, &str)]| {
        vec![
            node("node-a", &[("node", "node-a"), ("foo", "")]),
            node("node-b", &[("node", "node-b"), ("foo", "")]),
            node("node-c", c_labels),
        ]
    };
    let bar_pods = || {
        vec![
            on("p-a", "node-a", &["bar"]),
            on("p-b", "node-b", &["bar"]),
            on("p-c", "node-b", &["bar"]),
            on("p-d", "node-c", &[]),
        ]
    };
    let ab_2 = || {
        w(
            vec![("node", "node-a", 1), ("node", "node-b", 2)],
            vec![("node", 2)],
            vec![("node", ("node-a", 1), ("node-b", 2))],
        )
    };
    let abc_3 = || {
        w(
            vec![
                ("node", "node-a", 1),
                ("node", "node-b", 2),
                ("node", "node-c", 0),
            ],
            vec![("node", 3)],
            vec![("node", ("node-c", 0), ("node-a", 1))],
        )
    };
    let with_keys = |c: TopologySpreadConstraint, keys: &[&str]| TopologySpreadConstraint {
        match_label_keys: Some(keys.iter().map(|k| k.to_string()).collect()),
        ..c
    };
    let taints = |c: TopologySpreadConstraint, t: &str| TopologySpreadConstraint {
        node_taints_policy: Some(t.into()),
        ..c
    };
    let affinity = |c: TopologySpreadConstraint, a: &str| TopologySpreadConstraint {
        node_affinity_policy: Some(a.into()),
        ..c
    };
    let foo_a = |name: &str, n: &str| make_pod(name).node(n).labels(&[("foo", "a")]).obj();
    let five_a = || {
        vec![
            foo_a("p-a1", "node-a"),
            foo_a("p-a2", "node-a"),
            foo_a("p-b1", "node-b"),
            foo_a("p-y1", "node-y"),
            foo_a("p-y2", "node-y"),
        ]
    };

    type Case = (
        &'static str,
        Pod,
        Vec<Pod>,
        Vec<Node>,
        Option<Vec<SpreadConstraint>>,
        Want,
    );
    let cases: Vec<Case> = vec![
        (
            "nodeAffinityPolicy Honor leaves out nodes the nodeSelector excludes",
            p().node_selector(&[("foo", "")])
                .spread(constraint(1, "node", HARD, bar()))
                .obj(),
            bar_pods(),
            abc(&[("node", "node-c"), ("bar", "")]),
            Some(vec![parsed(1, "node", Some("bar"), HONOR, IGNORE)]),
            ab_2(),
        ),
        (
            "nodeAffinityPolicy Ignore counts them",
            p().node_selector(&[("foo", "")])
                .spread(affinity(constraint(1, "node", HARD, bar()), "Ignore"))
                .obj(),
            bar_pods(),
            abc(&[("node", "node-c"), ("bar", "")]),
            Some(vec![parsed(1, "node", Some("bar"), IGNORE, IGNORE)]),
            abc_3(),
        ),
        (
            "nodeAffinityPolicy Honor leaves out nodes the node affinity excludes",
            p().node_affinity("foo", "In", &[""])
                .spread(constraint(1, "node", HARD, bar()))
                .obj(),
            bar_pods(),
            abc(&[("node", "node-c"), ("bar", "")]),
            None,
            ab_2(),
        ),
        (
            "nodeAffinityPolicy Ignore counts nodes the node affinity excludes",
            p().node_affinity("foo", "In", &[""])
                .spread(affinity(constraint(1, "node", HARD, bar()), "Ignore"))
                .obj(),
            bar_pods(),
            abc(&[("node", "node-c"), ("bar", "")]),
            None,
            abc_3(),
        ),
        (
            "nodeTaintsPolicy Ignore (the default) counts tainted nodes",
            p().spread(constraint(1, "node", HARD, bar())).obj(),
            bar_pods(),
            vec![
                node("node-a", &[("node", "node-a")]),
                node("node-b", &[("node", "node-b")]),
                tainted(node("node-c", &[("node", "node-c"), ("bar", "")])),
            ],
            Some(vec![parsed(1, "node", Some("bar"), HONOR, IGNORE)]),
            abc_3(),
        ),
        (
            "nodeTaintsPolicy Honor leaves out nodes with taints the pod does not tolerate",
            p().spread(taints(constraint(1, "node", HARD, bar()), "Honor"))
                .obj(),
            bar_pods(),
            vec![
                node("node-a", &[("node", "node-a")]),
                node("node-b", &[("node", "node-b")]),
                tainted(node("node-c", &[("node", "node-c"), ("bar", "")])),
            ],
            Some(vec![parsed(1, "node", Some("bar"), HONOR, HONOR)]),
            ab_2(),
        ),
        (
            "nodeTaintsPolicy Honor counts nodes whose taints the pod tolerates",
            p().toleration("node.kubernetes.io/unschedulable", "", "NoSchedule")
                .spread(taints(constraint(1, "node", HARD, bar()), "Honor"))
                .obj(),
            bar_pods(),
            vec![
                node("node-a", &[("node", "node-a")]),
                node("node-b", &[("node", "node-b")]),
                tainted(node("node-c", &[("node", "node-c"), ("bar", "")])),
            ],
            None,
            abc_3(),
        ),
        (
            "two constraints, zone Honor/Ignore, node Ignore/Ignore",
            p().node_selector(&[("foo", "")])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(affinity(constraint(1, "node", HARD, foo()), "Ignore"))
                .obj(),
            vec![
                on("p-b1", "node-b", &["foo"]),
                on("p-b2", "node-b", &["foo"]),
                on("p-x1", "node-x", &["foo"]),
            ],
            vec![
                node(
                    "node-a",
                    &[("zone", "zone1"), ("node", "node-a"), ("foo", "")],
                ),
                zn("node-b", "zone1"),
                node(
                    "node-x",
                    &[("zone", "zone2"), ("node", "node-x"), ("foo", "")],
                ),
            ],
            None,
            w(
                vec![
                    ("zone", "zone1", 0),
                    ("zone", "zone2", 1),
                    ("node", "node-a", 0),
                    ("node", "node-b", 2),
                    ("node", "node-x", 1),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone1", 0), ("zone2", 1)),
                    ("node", ("node-a", 0), ("node-x", 1)),
                ],
            ),
        ),
        (
            "two constraints, zone Honor/Honor, node Honor/Ignore",
            p().spread(taints(constraint(1, "zone", HARD, foo()), "Honor"))
                .spread(constraint(1, "node", HARD, foo()))
                .obj(),
            vec![
                on("p-b1", "node-b", &["foo"]),
                on("p-b2", "node-b", &["foo"]),
                on("p-x1", "node-x", &["foo"]),
            ],
            vec![
                node(
                    "node-a",
                    &[("zone", "zone1"), ("node", "node-a"), ("foo", "")],
                ),
                tainted(zn("node-b", "zone1")),
                node(
                    "node-x",
                    &[("zone", "zone2"), ("node", "node-x"), ("foo", "")],
                ),
            ],
            None,
            w(
                vec![
                    ("zone", "zone1", 0),
                    ("zone", "zone2", 1),
                    ("node", "node-a", 0),
                    ("node", "node-b", 2),
                    ("node", "node-x", 1),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone1", 0), ("zone2", 1)),
                    ("node", ("node-a", 0), ("node-x", 1)),
                ],
            ),
        ),
        (
            "two constraints, both Honor/Ignore, with a nodeSelector",
            p().node_selector(&[("foo", "")])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", HARD, foo()))
                .obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-a2", "node-a", &["foo"]),
                on("p-x1", "node-x", &["foo"]),
                on("p-y1", "node-y", &["foo"]),
            ],
            vec![
                zn("node-a", "zone1"),
                tainted(node(
                    "node-b",
                    &[("zone", "zone1"), ("node", "node-b"), ("foo", "")],
                )),
                node(
                    "node-x",
                    &[("zone", "zone2"), ("node", "node-x"), ("foo", "")],
                ),
                zn("node-y", "zone2"),
            ],
            None,
            w(
                vec![
                    ("zone", "zone1", 0),
                    ("zone", "zone2", 1),
                    ("node", "node-b", 0),
                    ("node", "node-x", 1),
                ],
                vec![("zone", 2), ("node", 2)],
                vec![
                    ("zone", ("zone1", 0), ("zone2", 1)),
                    ("node", ("node-b", 0), ("node-x", 1)),
                ],
            ),
        ),
        (
            "two constraints, zone Ignore/Ignore, node Honor/Honor",
            p().node_selector(&[("foo", "")])
                .spread(affinity(constraint(1, "zone", HARD, foo()), "Ignore"))
                .spread(taints(constraint(1, "node", HARD, foo()), "Honor"))
                .obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-a2", "node-a", &["foo"]),
                on("p-x1", "node-x", &["foo"]),
                on("p-x2", "node-x", &["foo"]),
                on("p-y1", "node-y", &["foo"]),
            ],
            vec![
                zn("node-a", "zone1"),
                tainted(node(
                    "node-b",
                    &[("zone", "zone1"), ("node", "node-b"), ("foo", "")],
                )),
                node(
                    "node-x",
                    &[("zone", "zone2"), ("node", "node-x"), ("foo", "")],
                ),
                node(
                    "node-y",
                    &[("zone", "zone2"), ("node", "node-y"), ("foo", "")],
                ),
            ],
            None,
            w(
                vec![
                    ("zone", "zone1", 2),
                    ("zone", "zone2", 3),
                    ("node", "node-x", 2),
                    ("node", "node-y", 1),
                ],
                vec![("zone", 2), ("node", 2)],
                vec![
                    ("zone", ("zone1", 2), ("zone2", 3)),
                    ("node", ("node-y", 1), ("node-x", 2)),
                ],
            ),
        ),
        (
            "matchLabelKeys are ANDed with a non-empty selector",
            make_pod("p")
                .labels(&[("foo", ""), ("bar", "a")])
                .spread(with_keys(constraint(1, "zone", HARD, foo()), &["bar"]))
                .obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                make_pod("p-a2")
                    .node("node-a")
                    .labels(&[("foo", ""), ("bar", "a")])
                    .obj(),
                on("p-b1", "node-b", &["foo"]),
                make_pod("p-y1")
                    .node("node-y")
                    .labels(&[("foo", ""), ("bar", "a")])
                    .obj(),
                on("p-y2", "node-y", &["bar"]),
            ],
            four_nodes(),
            Some(vec![parsed(1, "zone", Some("bar=a,foo"), HONOR, IGNORE)]),
            w(
                vec![("zone", "zone1", 1), ("zone", "zone2", 1)],
                vec![("zone", 2)],
                vec![("zone", ("zone2", 1), ("zone1", 1))],
            ),
        ),
        (
            "matchLabelKeys are ANDed with an empty selector",
            make_pod("p")
                .labels(&[("foo", "a")])
                .spread(with_keys(
                    constraint(1, "zone", HARD, Some(Default::default())),
                    &["foo"],
                ))
                .obj(),
            five_a(),
            four_nodes(),
            Some(vec![parsed(1, "zone", Some("foo=a"), HONOR, IGNORE)]),
            w(
                vec![("zone", "zone1", 3), ("zone", "zone2", 2)],
                vec![("zone", 2)],
                vec![("zone", ("zone2", 2), ("zone1", 3))],
            ),
        ),
        (
            "matchLabelKeys do not turn a missing selector into one",
            p().spread(with_keys(constraint(1, "zone", HARD, None), &["bar"]))
                .obj(),
            five_a(),
            four_nodes(),
            Some(vec![parsed(1, "zone", None, HONOR, IGNORE)]),
            w(
                vec![("zone", "zone1", 0), ("zone", "zone2", 0)],
                vec![("zone", 2)],
                vec![("zone", ("zone2", 0), ("zone1", 0))],
            ),
        ),
        (
            "a matchLabelKeys key the pod does not have is ignored",
            p().spread(with_keys(constraint(1, "zone", HARD, foo()), &["bar"]))
                .obj(),
            five_a(),
            four_nodes(),
            Some(vec![parsed(1, "zone", Some("foo"), HONOR, IGNORE)]),
            w(
                vec![("zone", "zone1", 3), ("zone", "zone2", 2)],
                vec![("zone", 2)],
                vec![("zone", ("zone2", 2), ("zone1", 3))],
            ),
        ),
    ];
    // A default constraint, to show that a pod's own constraints replace the defaults.
    let plugin = plugin_with(vec![constraint(2, "node", HARD, None)]);
    for (name, pod, pods, nodes, want_constraints, want) in cases {
        let (status, state) = pre_filter(&plugin, &pod, &pods, &nodes);
        assert_eq!(status, Status::success(), "{name}");
        let got = read(&state);
        if let Some(constraints) = want_constraints {
            assert_eq!(got.constraints, constraints, "{name}: constraints");
        }
        assert_state(name, &got, &want);
    }
}
