//! Score values after NormalizeScore, mirroring upstream's `TestPodTopologySpreadScore`
//! (`scoring_test.go`).

use super::scoring_tests::{foo_pods, host, run, system_plugin, zone_host, HOSTNAME};
use super::testutil::*;
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod, TopologySpreadConstraint};

#[test]
fn scores_match_upstreams() {
    let foo = || exists("foo");
    let bar = || exists("bar");
    let with_constraint =
        |c: TopologySpreadConstraint| make_pod("p").labels(&[("foo", "")]).spread(c).obj();
    let hosts = |names: &[&str]| names.iter().map(|n| host(n)).collect::<Vec<_>>();
    let abcd = || hosts(&["node-a", "node-b", "node-c", "node-d"]);
    let zones4 = || {
        vec![
            zone_host("node-a", "zone1"),
            zone_host("node-b", "zone1"),
            zone_host("node-x", "zone2"),
            zone_host("node-y", "zone2"),
        ]
    };
    let by_node = |n: &str, foo: bool| {
        if foo {
            node(n, &[("node", n), ("foo", "")])
        } else {
            node(n, &[("node", n)])
        }
    };
    let abc_foo = || {
        vec![
            by_node("node-a", true),
            by_node("node-b", true),
            by_node("node-c", false),
        ]
    };
    let two_one_one = || foo_pods(&[("node-a", 2), ("node-b", 1), ("node-c", 1)]);
    let zone_foo_host_bar = || {
        make_pod("p")
            .labels(&[("foo", ""), ("bar", "")])
            .spread(constraint(1, "zone", SOFT, foo()))
            .spread(constraint(1, HOSTNAME, SOFT, bar()))
            .obj()
    };
    let keys = |c: TopologySpreadConstraint, k: &[&str]| TopologySpreadConstraint {
        match_label_keys: Some(k.iter().map(|s| s.to_string()).collect()),
        ..c
    };
    let policy = |c: TopologySpreadConstraint, affinity: Option<&str>, taints: Option<&str>| {
        TopologySpreadConstraint {
            node_affinity_policy: affinity.map(String::from),
            node_taints_policy: taints.map(String::from),
            ..c
        }
    };
    let four_three_two_one =
        || foo_pods(&[("node-a", 4), ("node-b", 3), ("node-c", 2), ("node-d", 1)]);
    let four_two_one_three =
        || foo_pods(&[("node-a", 4), ("node-b", 2), ("node-x", 1), ("node-y", 3)]);
    let labelled = |name: &str, n: &str, keys: &[&str]| on(name, n, keys);
    type Case = (&'static str, Pod, Vec<Pod>, Vec<Node>, Vec<Node>, Vec<i64>);
    let cases: Vec<Case> = vec![
        (
            "one constraint on node, no existing pods",
            with_constraint(constraint(1, HOSTNAME, SOFT, foo())),
            vec![],
            hosts(&["node-a", "node-b"]),
            vec![],
            vec![100, 100],
        ),
        (
            "one constraint on node, only one node is a candidate",
            with_constraint(constraint(1, HOSTNAME, SOFT, foo())),
            foo_pods(&[("node-a", 2), ("node-b", 1)]),
            hosts(&["node-a"]),
            hosts(&["node-b"]),
            vec![100],
        ),
        (
            "one constraint on node, all nodes hold as many matching pods",
            with_constraint(constraint(1, HOSTNAME, SOFT, foo())),
            foo_pods(&[("node-a", 1), ("node-b", 1)]),
            hosts(&["node-a", "node-b"]),
            vec![],
            vec![100, 100],
        ),
        (
            "one constraint on node, spread 2/1/0/3",
            with_constraint(constraint(1, HOSTNAME, SOFT, foo())),
            foo_pods(&[("node-a", 2), ("node-b", 1), ("node-d", 3)]),
            abcd(),
            vec![],
            vec![20, 60, 100, 0],
        ),
        (
            "one constraint on node, missing selector",
            with_constraint(constraint(1, HOSTNAME, SOFT, None)),
            foo_pods(&[("node-a", 2), ("node-b", 1), ("node-d", 3)]),
            abcd(),
            vec![],
            vec![100, 100, 100, 100],
        ),
        (
            "one constraint on node, spread 2/1/0/3, maxSkew 2",
            with_constraint(constraint(2, HOSTNAME, SOFT, foo())),
            foo_pods(&[("node-a", 2), ("node-b", 1), ("node-d", 3)]),
            abcd(),
            vec![],
            vec![33, 66, 100, 16],
        ),
        (
            "one constraint on node, spread 4/3/2/1, maxSkew 3",
            with_constraint(constraint(3, HOSTNAME, SOFT, foo())),
            four_three_two_one(),
            abcd(),
            vec![],
            vec![44, 66, 77, 100],
        ),
        (
            "system defaults for a ReplicaSet's pod on nodes without zones: hostname spreading",
            make_pod("p")
                .labels(&[("foo", "")])
                .owned_by("apps/v1", "ReplicaSet", "rs1")
                .obj(),
            four_three_two_one(),
            abcd(),
            vec![],
            vec![44, 66, 77, 100],
        ),
        (
            "one constraint on node, 4/2/1/~3~",
            with_constraint(constraint(1, HOSTNAME, SOFT, foo())),
            four_two_one_three(),
            hosts(&["node-a", "node-b", "node-x"]),
            hosts(&["node-y"]),
            vec![33, 83, 100],
        ),
        (
            "one constraint on node, 4/?2?/1/~3~: node-b lacks the topology label",
            with_constraint(constraint(1, HOSTNAME, SOFT, foo())),
            four_two_one_three(),
            vec![
                host("node-a"),
                node("node-b", &[("n", "node-b")]),
                host("node-x"),
            ],
            hosts(&["node-y"]),
            vec![16, 0, 100],
        ),
        (
            "one constraint on zone, 4/2/1/~3~",
            with_constraint(constraint(1, "zone", SOFT, foo())),
            four_two_one_three(),
            vec![
                zone_host("node-a", "zone1"),
                zone_host("node-b", "zone1"),
                zone_host("node-x", "zone2"),
            ],
            vec![zone_host("node-y", "zone2")],
            vec![75, 75, 100],
        ),
        (
            "two constraints on zone and node, 2/~1~/2/~4~",
            make_pod("p")
                .labels(&[("foo", "")])
                .spread(constraint(1, "zone", SOFT, foo()))
                .spread(constraint(1, HOSTNAME, SOFT, foo()))
                .obj(),
            foo_pods(&[("node-a", 2), ("node-b", 1), ("node-x", 2), ("node-y", 4)]),
            vec![zone_host("node-a", "zone1"), zone_host("node-x", "zone2")],
            vec![zone_host("node-b", "zone1"), zone_host("node-y", "zone2")],
            vec![100, 63],
        ),
        (
            "two constraints with different selectors",
            zone_foo_host_bar(),
            vec![
                labelled("p-a1", "node-a", &["foo"]),
                labelled("p-b1", "node-b", &["foo", "bar"]),
                labelled("p-y1", "node-y", &["foo"]),
                labelled("p-y2", "node-y", &["bar"]),
            ],
            zones4(),
            vec![],
            vec![60, 20, 100, 60],
        ),
        (
            "two constraints with different selectors, some nodes without pods",
            zone_foo_host_bar(),
            vec![
                labelled("p-b1", "node-b", &["bar"]),
                labelled("p-x1", "node-x", &["foo"]),
                labelled("p-y1", "node-y", &["foo", "bar"]),
            ],
            zones4(),
            vec![],
            vec![100, 60, 40, 0],
        ),
        (
            "two constraints with different selectors, 3 of 4 nodes candidates",
            zone_foo_host_bar(),
            vec![
                labelled("p-a1", "node-a", &["foo"]),
                labelled("p-b1", "node-b", &["foo", "bar"]),
                labelled("p-y1", "node-y", &["foo"]),
                labelled("p-y2", "node-y", &["bar"]),
            ],
            vec![
                zone_host("node-a", "zone1"),
                zone_host("node-b", "zone1"),
                zone_host("node-x", "zone2"),
            ],
            vec![zone_host("node-y", "zone2")],
            vec![50, 25, 100],
        ),
        (
            "pods in another namespace do not count",
            with_constraint(constraint(1, HOSTNAME, SOFT, foo())),
            vec![
                make_pod("p-a1")
                    .namespace("ns1")
                    .node("node-a")
                    .labels(&[("foo", "")])
                    .obj(),
                labelled("p-a2", "node-a", &["foo"]),
                labelled("p-b1", "node-b", &["foo"]),
                labelled("p-b2", "node-b", &["foo"]),
            ],
            hosts(&["node-a", "node-b"]),
            vec![],
            vec![100, 33],
        ),
        (
            "terminating pods do not count",
            with_constraint(constraint(1, HOSTNAME, SOFT, foo())),
            vec![
                make_pod("p-a")
                    .node("node-a")
                    .labels(&[("foo", "")])
                    .terminating()
                    .obj(),
                labelled("p-b", "node-b", &["foo"]),
            ],
            hosts(&["node-a", "node-b"]),
            vec![],
            vec![100, 0],
        ),
        (
            "minDomains has no effect on soft constraints",
            with_constraint(TopologySpreadConstraint {
                min_domains: Some(10),
                ..constraint(2, "node", SOFT, foo())
            }),
            foo_pods(&[("node-a", 2), ("node-b", 2), ("node-c", 1)]),
            vec![
                by_node("node-a", false),
                by_node("node-b", false),
                by_node("node-c", false),
            ],
            vec![],
            vec![75, 75, 100],
        ),
        (
            "nodeAffinityPolicy Honor with a nodeSelector",
            make_pod("p")
                .labels(&[("foo", "")])
                .node_selector(&[("foo", "")])
                .spread(constraint(1, "node", SOFT, foo()))
                .obj(),
            two_one_one(),
            abc_foo(),
            vec![],
            vec![0, 33, 100],
        ),
        (
            "nodeAffinityPolicy Ignore with a nodeSelector",
            make_pod("p")
                .labels(&[("foo", "")])
                .node_selector(&[("foo", "")])
                .spread(policy(
                    constraint(1, "node", SOFT, foo()),
                    Some("Ignore"),
                    None,
                ))
                .obj(),
            two_one_one(),
            abc_foo(),
            vec![],
            vec![66, 100, 100],
        ),
        (
            "nodeAffinityPolicy Honor with node affinity",
            make_pod("p")
                .labels(&[("foo", "")])
                .node_affinity("foo", "In", &[""])
                .spread(constraint(1, "node", SOFT, foo()))
                .obj(),
            two_one_one(),
            abc_foo(),
            vec![],
            vec![0, 33, 100],
        ),
        (
            "nodeAffinityPolicy Ignore with node affinity",
            make_pod("p")
                .labels(&[("foo", "")])
                .node_affinity("foo", "In", &[""])
                .spread(policy(
                    constraint(1, "node", SOFT, foo()),
                    Some("Ignore"),
                    None,
                ))
                .obj(),
            two_one_one(),
            abc_foo(),
            vec![],
            vec![66, 100, 100],
        ),
        (
            "nodeTaintsPolicy Honor",
            with_constraint(policy(
                constraint(1, "node", SOFT, foo()),
                None,
                Some("Honor"),
            )),
            two_one_one(),
            vec![
                by_node("node-a", false),
                by_node("node-b", false),
                tainted(by_node("node-c", false)),
            ],
            vec![],
            vec![0, 33, 100],
        ),
        (
            "nodeTaintsPolicy Ignore",
            with_constraint(constraint(1, "node", SOFT, foo())),
            two_one_one(),
            vec![
                by_node("node-a", false),
                by_node("node-b", false),
                tainted(by_node("node-c", false)),
            ],
            vec![],
            vec![66, 100, 100],
        ),
        (
            "matchLabelKeys ANDed with empty selectors",
            make_pod("p")
                .labels(&[("foo", ""), ("bar", "")])
                .spread(keys(
                    constraint(1, "zone", SOFT, Some(Default::default())),
                    &["foo"],
                ))
                .spread(keys(
                    constraint(1, HOSTNAME, SOFT, Some(Default::default())),
                    &["bar"],
                ))
                .obj(),
            vec![
                labelled("p-a1", "node-a", &["foo"]),
                labelled("p-b1", "node-b", &["foo", "bar"]),
                labelled("p-y1", "node-c", &["foo"]),
                labelled("p-y2", "node-c", &["bar"]),
            ],
            vec![
                zone_host("node-a", "zone1"),
                zone_host("node-b", "zone1"),
                zone_host("node-c", "zone2"),
                zone_host("node-d", "zone2"),
            ],
            vec![],
            vec![60, 20, 60, 100],
        ),
        (
            "matchLabelKeys ANDed with a non-empty selector",
            make_pod("p")
                .labels(&[("foo", ""), ("bar", ""), ("baz", "")])
                .spread(constraint(1, "zone", SOFT, foo()))
                .spread(keys(constraint(1, HOSTNAME, SOFT, bar()), &["baz"]))
                .obj(),
            vec![
                labelled("p-a1", "node-a", &["foo"]),
                labelled("p-b1", "node-b", &["foo", "bar", "baz"]),
                labelled("p-c1", "node-c", &["foo"]),
                labelled("p-c2", "node-c", &["bar"]),
                labelled("p-d3", "node-c", &["bar", "baz"]),
            ],
            vec![
                zone_host("node-a", "zone1"),
                zone_host("node-b", "zone1"),
                zone_host("node-c", "zone2"),
                zone_host("node-d", "zone2"),
            ],
            vec![],
            vec![60, 20, 60, 100],
        ),
    ];
    // As upstream's test: the system defaults are configured (they apply only to the pod
    // without constraints of its own).
    for (name, pod, pods, nodes, failed, want) in cases {
        assert_eq!(
            run(&system_plugin(), &pod, &pods, &nodes, &failed).0,
            Ok(want),
            "{name}"
        );
    }
}
