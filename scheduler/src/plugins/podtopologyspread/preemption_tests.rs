//! Preemption's "what if" updates, mirroring upstream's `TestPreFilterStateAddPod` and
//! `TestPreFilterStateRemovePod` (`filtering_test.go`).

use super::filtering::PreFilterState;
use super::testutil::*;
use crate::framework::{CycleState, PodInfo, PreFilterPlugin};
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod};
use std::sync::Arc;

/// PreFilter, then AddPod (`delta` 1) or RemovePod (-1) of `changed` on node `on_node`.
fn after_change(
    preemptor: &Pod,
    existing: &[Pod],
    nodes: &[Node],
    changed: &Pod,
    on_node: &str,
    delta: i64,
) -> PreFilterState {
    let snap = snapshot(existing, nodes);
    let mut state = CycleState::new();
    let (_, status) = plugin().pre_filter(&mut state, preemptor, &snap);
    assert!(status.is_success(), "{status}");
    let info = PodInfo::new(Arc::new(changed.clone()));
    let node = snap.get(on_node).expect("node");
    let status = if delta > 0 {
        plugin().add_pod(&mut state, preemptor, &info, node)
    } else {
        plugin().remove_pod(&mut state, preemptor, &info, node)
    };
    assert!(status.is_success(), "{status}");
    read(&state)
}

#[test]
fn adding_a_pod_updates_counts_and_critical_paths_as_upstream() {
    let foo = || exists("foo");
    let node_only = || {
        make_pod("p")
            .labels(&[("foo", "")])
            .spread(constraint(1, "node", HARD, foo()))
            .obj()
    };
    let zone_and_node = || {
        make_pod("p")
            .labels(&[("foo", "")])
            .spread(constraint(1, "zone", HARD, foo()))
            .spread(constraint(1, "node", HARD, foo()))
            .obj()
    };
    let zone_foo_node_bar = || {
        make_pod("p")
            .labels(&[("foo", ""), ("bar", "")])
            .spread(constraint(1, "zone", HARD, foo()))
            .spread(constraint(1, "node", HARD, exists("bar")))
            .obj()
    };
    let zone_only = || {
        make_pod("p")
            .labels(&[("foo", "")])
            .spread(constraint(1, "zone", HARD, foo()))
    };
    let ab = || vec![zn("node-a", "zone1"), zn("node-b", "zone1")];
    let ax = || vec![zn("node-a", "zone1"), zn("node-x", "zone2")];
    let abx = || {
        vec![
            zn("node-a", "zone1"),
            zn("node-b", "zone1"),
            zn("node-x", "zone2"),
        ]
    };
    let foo_bar_nodes = || {
        vec![
            node(
                "node-a",
                &[("zone", "zone1"), ("node", "node-a"), ("foo", "bar")],
            ),
            node(
                "node-b",
                &[("zone", "zone2"), ("node", "node-b"), ("foo", "")],
            ),
        ]
    };
    let zoned = |name: &str, n: &str, zone: &str, foo: bool| {
        let mut l = vec![("zone", zone)];
        if foo {
            l.push(("foo", ""));
        }
        make_pod(name).node(n).labels(&l).obj()
    };
    let max = ("", i64::from(i32::MAX));
    type Case = (
        &'static str,
        Pod,
        Vec<Pod>,
        Vec<Node>,
        Pod,
        &'static str,
        Want,
    );
    let cases: Vec<Case> = vec![
        (
            "node-a and node-b both hold the minimum",
            node_only(),
            vec![],
            ab(),
            on("p-a1", "node-a", &["foo"]),
            "node-a",
            w(
                vec![("node", "node-a", 1), ("node", "node-b", 0)],
                vec![("node", 2)],
                vec![("node", ("node-b", 0), ("node-a", 1))],
            ),
        ),
        (
            "only node-a changes the minimum",
            node_only(),
            vec![on("p-b1", "node-b", &["foo"])],
            ab(),
            on("p-a1", "node-a", &["foo"]),
            "node-a",
            w(
                vec![("node", "node-a", 1), ("node", "node-b", 1)],
                vec![("node", 2)],
                vec![("node", ("node-a", 1), ("node-b", 1))],
            ),
        ),
        (
            "a pod in another namespace changes nothing",
            node_only(),
            vec![on("p-b1", "node-b", &["foo"])],
            ab(),
            make_pod("p-a1")
                .namespace("ns1")
                .node("node-a")
                .labels(&[("foo", "")])
                .obj(),
            "node-a",
            w(
                vec![("node", "node-a", 0), ("node", "node-b", 1)],
                vec![("node", 2)],
                vec![("node", ("node-a", 0), ("node-b", 1))],
            ),
        ),
        (
            "a pod on a non-critical node",
            node_only(),
            vec![on("p-b1", "node-b", &["foo"])],
            ab(),
            on("p-b2", "node-b", &["foo"]),
            "node-b",
            w(
                vec![("node", "node-a", 0), ("node", "node-b", 2)],
                vec![("node", 2)],
                vec![("node", ("node-a", 0), ("node-b", 2))],
            ),
        ),
        (
            "node-a and node-x both hold the minimum on zone and node",
            zone_and_node(),
            vec![],
            ax(),
            on("p-a1", "node-a", &["foo"]),
            "node-a",
            w(
                vec![
                    ("zone", "zone1", 1),
                    ("zone", "zone2", 0),
                    ("node", "node-a", 1),
                    ("node", "node-x", 0),
                ],
                vec![("zone", 2), ("node", 2)],
                vec![
                    ("zone", ("zone2", 0), ("zone1", 1)),
                    ("node", ("node-x", 0), ("node-a", 1)),
                ],
            ),
        ),
        (
            "only node-a changes the minimum on zone and node",
            zone_and_node(),
            vec![on("p-x1", "node-x", &["foo"])],
            ax(),
            on("p-a1", "node-a", &["foo"]),
            "node-a",
            w(
                vec![
                    ("zone", "zone1", 1),
                    ("zone", "zone2", 1),
                    ("node", "node-a", 1),
                    ("node", "node-x", 1),
                ],
                vec![("zone", 2), ("node", 2)],
                vec![
                    ("zone", ("zone1", 1), ("zone2", 1)),
                    ("node", ("node-a", 1), ("node-x", 1)),
                ],
            ),
        ),
        (
            "node-a changes the node minimum, node-x holds the zone minimum",
            zone_and_node(),
            vec![
                on("p-b1", "node-b", &["foo"]),
                on("p-b2", "node-b", &["foo"]),
                on("p-x1", "node-x", &["foo"]),
            ],
            abx(),
            on("p-a1", "node-a", &["foo"]),
            "node-a",
            w(
                vec![
                    ("zone", "zone1", 3),
                    ("zone", "zone2", 1),
                    ("node", "node-a", 1),
                    ("node", "node-b", 2),
                    ("node", "node-x", 1),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone2", 1), ("zone1", 3)),
                    ("node", ("node-a", 1), ("node-x", 1)),
                ],
            ),
        ),
        (
            "different selectors: the added pod counts for the zone only",
            zone_foo_node_bar(),
            vec![
                on("p-b1", "node-b", &["foo", "bar"]),
                on("p-x1", "node-x", &["foo", "bar"]),
                on("p-x2", "node-x", &["bar"]),
            ],
            abx(),
            on("p-a1", "node-a", &["foo"]),
            "node-a",
            w(
                vec![
                    ("zone", "zone1", 2),
                    ("zone", "zone2", 1),
                    ("node", "node-a", 0),
                    ("node", "node-b", 1),
                    ("node", "node-x", 2),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone2", 1), ("zone1", 2)),
                    ("node", ("node-a", 0), ("node-b", 1)),
                ],
            ),
        ),
        (
            "different selectors: the added pod counts for both",
            zone_foo_node_bar(),
            vec![
                on("p-b1", "node-b", &["bar"]),
                on("p-x1", "node-x", &["foo", "bar"]),
                on("p-x2", "node-x", &["bar"]),
            ],
            abx(),
            on("p-a1", "node-a", &["foo", "bar"]),
            "node-a",
            w(
                vec![
                    ("zone", "zone1", 1),
                    ("zone", "zone2", 1),
                    ("node", "node-a", 1),
                    ("node", "node-b", 1),
                    ("node", "node-x", 2),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone1", 1), ("zone2", 1)),
                    ("node", ("node-a", 1), ("node-b", 1)),
                ],
            ),
        ),
        (
            "a pod added on a node the preemptor's node affinity excludes does not count",
            zone_only().node_affinity("foo", "NotIn", &["bar"]).obj(),
            vec![
                zoned("p-a2", "node-a", "zone1", true),
                zoned("p-b1", "node-b", "zone2", true),
            ],
            foo_bar_nodes(),
            zoned("p-a1", "node-a", "zone1", true),
            "node-a",
            w(
                vec![("zone", "zone2", 1)],
                vec![("zone", 1)],
                vec![("zone", ("zone2", 1), max)],
            ),
        ),
        (
            "a pod added on a node the preemptor's node affinity allows counts",
            zone_only().obj(),
            vec![
                zoned("p-a1", "node-a", "zone1", true),
                zoned("p-b2", "node-b", "zone2", true),
            ],
            foo_bar_nodes(),
            zoned("p-b1", "node-b", "zone2", true),
            "node-b",
            w(
                vec![("zone", "zone1", 1), ("zone", "zone2", 2)],
                vec![("zone", 2)],
                vec![("zone", ("zone1", 1), ("zone2", 2))],
            ),
        ),
        (
            "a pod the selector does not select does not count",
            zone_only().obj(),
            vec![
                zoned("p-a1", "node-a", "zone1", true),
                zoned("p-b2", "node-b", "zone2", true),
            ],
            foo_bar_nodes(),
            zoned("p-b1", "node-b", "zone2", false),
            "node-b",
            w(
                vec![("zone", "zone1", 1), ("zone", "zone2", 1)],
                vec![("zone", 2)],
                vec![("zone", ("zone1", 1), ("zone2", 1))],
            ),
        ),
        (
            "taints are ignored by default, tolerated or not",
            zone_only()
                .toleration("node.kubernetes.io/unschedulable", "", "NoSchedule")
                .obj(),
            vec![
                zoned("p-a1", "node-a", "zone1", true),
                zoned("p-b2", "node-b", "zone2", true),
            ],
            vec![tainted(zn("node-a", "zone1")), zn("node-b", "zone2")],
            zoned("p-b1", "node-b", "zone2", true),
            "node-b",
            w(
                vec![("zone", "zone1", 1), ("zone", "zone2", 2)],
                vec![("zone", 2)],
                vec![("zone", ("zone1", 1), ("zone2", 2))],
            ),
        ),
    ];
    for (name, preemptor, existing, nodes, added, on_node, want) in cases {
        let got = after_change(&preemptor, &existing, &nodes, &added, on_node, 1);
        assert_state(name, &got, &want);
    }
}

#[test]
fn removing_a_pod_updates_counts_and_critical_paths_as_upstream() {
    let foo = || exists("foo");
    let zone_only = || {
        make_pod("p")
            .labels(&[("foo", "")])
            .spread(constraint(1, "zone", HARD, foo()))
    };
    let abx = || {
        vec![
            zn("node-a", "zone1"),
            zn("node-b", "zone1"),
            zn("node-x", "zone2"),
        ]
    };
    let four_pods = || {
        vec![
            on("p-a1", "node-a", &["foo"]),
            on("p-b1", "node-b", &["foo"]),
            on("p-x1", "node-x", &["foo"]),
            on("p-y1", "node-y", &["foo"]),
        ]
    };
    let foo_bar_nodes = || {
        vec![
            node(
                "node-a",
                &[("zone", "zone1"), ("node", "node-a"), ("foo", "bar")],
            ),
            node(
                "node-b",
                &[("zone", "zone2"), ("node", "node-b"), ("foo", "")],
            ),
        ]
    };
    let zoned = |name: &str, n: &str, zone: &str| {
        make_pod(name)
            .node(n)
            .labels(&[("zone", zone), ("foo", "")])
            .obj()
    };
    let max = ("", i64::from(i32::MAX));
    type Case = (
        &'static str,
        Pod,
        Vec<Pod>,
        Vec<Node>,
        Pod,
        &'static str,
        Want,
    );
    let cases: Vec<Case> = vec![
        (
            "the zone minimum stays where it was",
            zone_only().obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-b1", "node-b", &["foo"]),
                on("p-x1", "node-x", &["foo"]),
            ],
            abx(),
            on("p-a1", "node-a", &["foo"]),
            "node-a",
            w(
                vec![("zone", "zone1", 1), ("zone", "zone2", 1)],
                vec![("zone", 2)],
                vec![("zone", ("zone1", 1), ("zone2", 1))],
            ),
        ),
        (
            "the zone minimum moves",
            zone_only().obj(),
            four_pods(),
            four_nodes(),
            on("p-a1", "node-a", &["foo"]),
            "node-a",
            w(
                vec![("zone", "zone1", 1), ("zone", "zone2", 2)],
                vec![("zone", 2)],
                vec![("zone", ("zone1", 1), ("zone2", 2))],
            ),
        ),
        (
            "removing a pod the selector does not select changes nothing",
            zone_only().obj(),
            [vec![on("p-a0", "node-a", &["bar"])], four_pods()].concat(),
            four_nodes(),
            on("p-a0", "node-a", &["bar"]),
            "node-a",
            w(
                vec![("zone", "zone1", 2), ("zone", "zone2", 2)],
                vec![("zone", 2)],
                vec![("zone", ("zone1", 2), ("zone2", 2))],
            ),
        ),
        (
            "two constraints",
            make_pod("p")
                .labels(&[("foo", "")])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", HARD, foo()))
                .obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-a2", "node-a", &["foo"]),
                on("p-b1", "node-b", &["foo"]),
                on("p-x1", "node-x", &["foo"]),
                on("p-x2", "node-x", &["foo"]),
            ],
            abx(),
            on("p-x1", "node-x", &["foo"]),
            "node-x",
            w(
                vec![
                    ("zone", "zone1", 3),
                    ("zone", "zone2", 1),
                    ("node", "node-a", 2),
                    ("node", "node-b", 1),
                    ("node", "node-x", 1),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone2", 1), ("zone1", 3)),
                    ("node", ("node-b", 1), ("node-x", 1)),
                ],
            ),
        ),
        (
            "a pod removed from a node the preemptor's node affinity excludes does not count",
            zone_only().node_affinity("foo", "NotIn", &["bar"]).obj(),
            vec![
                zoned("p-a2", "node-a", "zone1"),
                zoned("p-b1", "node-b", "zone2"),
            ],
            foo_bar_nodes(),
            zoned("p-a1", "node-a", "zone1"),
            "node-a",
            w(
                vec![("zone", "zone2", 1)],
                vec![("zone", 1)],
                vec![("zone", ("zone2", 1), max)],
            ),
        ),
        (
            "a pod removed from a node the preemptor's node affinity allows counts",
            zone_only().obj(),
            vec![
                zoned("p-a1", "node-a", "zone1"),
                zoned("p-b2", "node-b", "zone2"),
            ],
            foo_bar_nodes(),
            zoned("p-b1", "node-b", "zone2"),
            "node-b",
            w(
                vec![("zone", "zone1", 1), ("zone", "zone2", 0)],
                vec![("zone", 2)],
                vec![("zone", ("zone2", 0), ("zone1", 1))],
            ),
        ),
    ];
    for (name, preemptor, existing, nodes, removed, on_node, want) in cases {
        let got = after_change(&preemptor, &existing, &nodes, &removed, on_node, -1);
        assert_state(name, &got, &want);
    }
}
