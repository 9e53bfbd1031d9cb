//! Filter verdicts per node, mirroring upstream's `TestSingleConstraint` and
//! `TestMultipleConstraints` (`filtering_test.go`). As there, only this plugin runs: a node
//! another plugin would refuse (node affinity, taints) may still pass here.

use super::testutil::*;
use super::*;
use crate::framework::{Code, CycleState, FilterPlugin, Status};
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod, TopologySpreadConstraint};

const FITS: Code = Code::Success;
/// The skew would exceed maxSkew.
const SKEW: Code = Code::Unschedulable;
/// The node lacks the topology label.
const NO_LABEL: Code = Code::UnschedulableAndUnresolvable;

fn check(name: &str, pod: &Pod, pods: &[Pod], nodes: &[Node], want: &[Code]) {
    let plugin = plugin();
    let (status, state) = pre_filter(&plugin, pod, pods, nodes);
    assert!(status.is_success(), "{name}: PreFilter: {status}");
    let snap = snapshot(pods, nodes);
    for (node, want) in snap.list().iter().zip(want) {
        let got = plugin.filter(&state, pod, node);
        let reason = match want {
            Code::Unschedulable => vec![ERR_REASON_CONSTRAINTS_NOT_MATCH.to_string()],
            Code::UnschedulableAndUnresolvable => vec![ERR_REASON_NODE_LABEL_NOT_MATCH.to_string()],
            _ => vec![],
        };
        assert_eq!(got, Status::new(*want, reason), "{name}: {}", node.name());
    }
}

fn foo_pod() -> crate::testing::PodWrapper {
    make_pod("p").labels(&[("foo", "")])
}

/// The usual spread 2/1/0/3 over node-a, node-b, node-x, node-y.
fn spread_2_1_0_3() -> Vec<Pod> {
    let mut pods = vec![
        on("p-a1", "node-a", &["foo"]),
        on("p-a2", "node-a", &["foo"]),
        on("p-b1", "node-b", &["foo"]),
    ];
    pods.extend((1..=3).map(|i| on(&format!("p-y{i}"), "node-y", &["foo"])));
    pods
}

fn min_domains(c: TopologySpreadConstraint, n: i32) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        min_domains: Some(n),
        ..c
    }
}

fn ignore_affinity(c: TopologySpreadConstraint) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        node_affinity_policy: Some("Ignore".into()),
        ..c
    }
}

fn honor_taints(c: TopologySpreadConstraint) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        node_taints_policy: Some("Honor".into()),
        ..c
    }
}

#[test]
fn a_single_constraint_gives_upstreams_verdicts() {
    let foo = || exists("foo");
    let by_node = |n: &str| node(n, &[("node", n)]);
    let by_node_foo = |n: &str| node(n, &[("node", n), ("foo", "")]);
    let abxy_foo = || {
        vec![
            by_node_foo("node-a"),
            by_node_foo("node-b"),
            by_node_foo("node-x"),
            by_node("node-y"),
        ]
    };
    let one_each = || {
        vec![
            on("p-b1", "node-a", &["foo"]),
            on("p-b2", "node-b", &["foo"]),
            on("p-y1", "node-y", &["foo"]),
        ]
    };
    type Case = (&'static str, Pod, Vec<Pod>, Vec<Node>, Vec<Code>);
    let cases: Vec<Case> = vec![
        ("no existing pods", foo_pod().spread(constraint(1, "zone", HARD, foo())).obj(), vec![], four_nodes(), vec![FITS; 4]),
        (
            "no existing pods, and the pod does not match itself",
            foo_pod().spread(constraint(1, "zone", HARD, exists("bar"))).obj(),
            vec![],
            four_nodes(),
            vec![FITS; 4],
        ),
        (
            "pods in another namespace do not count",
            foo_pod().spread(constraint(1, "zone", HARD, foo())).obj(),
            vec![
                make_pod("p-a1").namespace("ns1").node("node-a").labels(&[("foo", "")]).obj(),
                make_pod("p-b1").namespace("ns2").node("node-a").labels(&[("foo", "")]).obj(),
                on("p-x1", "node-x", &["foo"]),
                on("p-y1", "node-y", &["foo"]),
            ],
            four_nodes(),
            vec![FITS, FITS, SKEW, SKEW],
        ),
        (
            "a missing selector matches no existing pod",
            foo_pod().spread(constraint(1, "zone", HARD, None)).obj(),
            vec![on("p-x1", "node-x", &["foo"]), on("p-y1", "node-y", &["foo"])],
            four_nodes(),
            vec![FITS; 4],
        ),
        (
            "pods spread 3/3 over the zones: every node fits",
            foo_pod().spread(constraint(1, "zone", HARD, foo())).obj(),
            spread_2_1_0_3(),
            four_nodes(),
            vec![FITS; 4],
        ),
        (
            "a node without the zone label makes the spread 1/2",
            foo_pod().spread(constraint(1, "zone", HARD, foo())).obj(),
            vec![on("p-a1", "node-a", &["foo"]), on("p-b1", "node-b", &["foo"]), on("p-x1", "node-x", &["foo"]), on("p-y1", "node-y", &["foo"])],
            vec![zn("node-a", "zone1"), node("node-b", &[("zon", "zone1"), ("node", "node-b")]), zn("node-x", "zone2"), zn("node-y", "zone2")],
            vec![FITS, NO_LABEL, SKEW, SKEW],
        ),
        (
            "no node has the topology label",
            foo_pod().spread(constraint(1, "rack", HARD, foo())).obj(),
            vec![],
            vec![zn("node-a", "zone1"), zn("node-x", "zone2")],
            vec![NO_LABEL, NO_LABEL],
        ),
        (
            "pods spread 2/1/0/3 over nodes: only the empty node fits",
            foo_pod().spread(constraint(1, "node", HARD, foo())).obj(),
            spread_2_1_0_3(),
            four_nodes(),
            vec![SKEW, SKEW, FITS, SKEW],
        ),
        (
            "pods spread 2/1/0/3 with maxSkew 2",
            foo_pod().spread(constraint(2, "node", HARD, foo())).obj(),
            spread_2_1_0_3(),
            four_nodes(),
            vec![SKEW, FITS, FITS, SKEW],
        ),
        (
            "pods spread 2/1/0/3, and the pod does not match itself",
            make_pod("p").labels(&[("bar", "")]).spread(constraint(1, "node", HARD, foo())).obj(),
            spread_2_1_0_3(),
            four_nodes(),
            vec![SKEW, FITS, FITS, SKEW],
        ),
        (
            "node affinity leaves 2/~1~/~0~/3, so node-a fits (node-b and node-x are another plugin's job)",
            foo_pod().node_affinity("node", "In", &["node-a", "node-y"]).spread(constraint(1, "node", HARD, foo())).obj(),
            spread_2_1_0_3(),
            four_nodes(),
            vec![FITS, FITS, FITS, SKEW],
        ),
        (
            "terminating pods do not count",
            foo_pod().spread(constraint(1, "node", HARD, foo())).obj(),
            vec![make_pod("p-a").node("node-a").labels(&[("foo", "")]).terminating().obj(), on("p-b", "node-b", &["foo"])],
            vec![by_node("node-a"), by_node("node-b")],
            vec![FITS, SKEW],
        ),
        (
            "node affinity leaves zones 0/~2~/0/1 by node, so zone1 fits",
            foo_pod().node_affinity("node", "NotIn", &["node-b"]).spread(constraint(1, "zone", HARD, foo())).obj(),
            vec![on("p-b1", "node-b", &["foo"]), on("p-b2", "node-b", &["foo"]), on("p-y1", "node-y", &["foo"])],
            four_nodes(),
            vec![FITS, FITS, SKEW, SKEW],
        ),
        (
            "2/2/1 with maxSkew 2 and fewer domains than minDomains: only the third node fits",
            foo_pod().spread(min_domains(constraint(2, "node", HARD, foo()), 4)).obj(),
            vec![on("p-a1", "node-a", &["foo"]), on("p-a2", "node-a", &["foo"]), on("p-b1", "node-b", &["foo"]), on("p-b2", "node-b", &["foo"]), on("p-c1", "node-c", &["foo"])],
            vec![by_node("node-a"), by_node("node-b"), by_node("node-c")],
            vec![SKEW, SKEW, FITS],
        ),
        (
            "2/2/1 with maxSkew 2 and more domains than minDomains: every node fits",
            foo_pod().spread(min_domains(constraint(2, "node", HARD, foo()), 2)).obj(),
            vec![on("p-a1", "node-a", &["foo"]), on("p-a2", "node-a", &["foo"]), on("p-b1", "node-b", &["foo"]), on("p-b2", "node-b", &["foo"]), on("p-c1", "node-c", &["foo"])],
            vec![by_node("node-a"), by_node("node-b"), by_node("node-c")],
            vec![FITS; 3],
        ),
        (
            "zones 2/1 with maxSkew 2 and fewer domains than minDomains: zone2 fits",
            foo_pod().spread(min_domains(constraint(2, "zone", HARD, foo()), 3)).obj(),
            vec![on("p-b1", "node-a", &["foo"]), on("p-b2", "node-b", &["foo"]), on("p-y1", "node-y", &["foo"])],
            four_nodes(),
            vec![SKEW, SKEW, FITS, FITS],
        ),
        (
            "zones 2/1 with maxSkew 2 and more domains than minDomains: every node fits",
            foo_pod().spread(min_domains(constraint(2, "zone", HARD, foo()), 1)).obj(),
            vec![on("p-b1", "node-a", &["foo"]), on("p-b2", "node-b", &["foo"]), on("p-y1", "node-y", &["foo"])],
            four_nodes(),
            vec![FITS; 4],
        ),
        (
            "nodeAffinityPolicy Honor with a nodeSelector: 1/1/0/~0~",
            foo_pod().node_selector(&[("foo", "")]).spread(constraint(1, "node", HARD, foo())).obj(),
            one_each(),
            abxy_foo(),
            vec![SKEW, SKEW, FITS, FITS],
        ),
        (
            "nodeAffinityPolicy Ignore with a nodeSelector: 1/1/0/~1~",
            foo_pod().node_selector(&[("foo", "")]).spread(ignore_affinity(constraint(1, "node", HARD, foo()))).obj(),
            one_each(),
            abxy_foo(),
            vec![SKEW, SKEW, FITS, SKEW],
        ),
        (
            "nodeAffinityPolicy Honor with node affinity: 1/1/0/~0~",
            foo_pod().node_affinity("foo", "In", &[""]).spread(constraint(1, "node", HARD, foo())).obj(),
            one_each(),
            abxy_foo(),
            vec![SKEW, SKEW, FITS, FITS],
        ),
        (
            "nodeAffinityPolicy Ignore with node affinity: 1/1/0/~1~",
            foo_pod().node_affinity("foo", "In", &[""]).spread(ignore_affinity(constraint(1, "node", HARD, foo()))).obj(),
            one_each(),
            abxy_foo(),
            vec![SKEW, SKEW, FITS, SKEW],
        ),
        (
            "nodeTaintsPolicy Honor: 1/1/0/~0~",
            foo_pod().spread(honor_taints(constraint(1, "node", HARD, foo()))).obj(),
            one_each(),
            vec![by_node_foo("node-a"), by_node_foo("node-b"), by_node_foo("node-x"), tainted(by_node("node-y"))],
            vec![SKEW, SKEW, FITS, FITS],
        ),
        (
            "nodeTaintsPolicy Ignore: 1/1/0/~1~",
            foo_pod().spread(constraint(1, "node", HARD, foo())).obj(),
            one_each(),
            vec![by_node_foo("node-a"), by_node_foo("node-b"), by_node_foo("node-x"), tainted(by_node("node-y"))],
            vec![SKEW, SKEW, FITS, SKEW],
        ),
    ];
    for (name, pod, pods, nodes, want) in cases {
        check(name, &pod, &pods, &nodes, &want);
    }
}

#[test]
fn several_constraints_must_all_hold() {
    let foo = || exists("foo");
    let bar = || exists("bar");
    let zone_node = || {
        foo_pod()
            .spread(constraint(1, "zone", HARD, foo()))
            .spread(constraint(1, "node", HARD, foo()))
    };
    let foo_bar = || {
        make_pod("p")
            .labels(&[("foo", ""), ("bar", "")])
            .spread(constraint(1, "zone", HARD, foo()))
            .spread(constraint(1, "node", HARD, bar()))
    };
    let with_foo =
        |name: &str, zone: &str| node(name, &[("zone", zone), ("node", name), ("foo", "")]);
    let a1_b1_y1 = || {
        vec![
            on("p-a1", "node-a", &["foo"]),
            on("p-b1", "node-b", &["foo"]),
            on("p-y1", "node-y", &["foo"]),
        ]
    };
    type Case = (&'static str, Pod, Vec<Pod>, Vec<Node>, Vec<Code>);
    let cases: Vec<Case> = vec![
        (
            "zone and node, spreads [3/3, 2/1/0/3]: only node-x satisfies both",
            zone_node().obj(),
            spread_2_1_0_3(),
            four_nodes(),
            vec![SKEW, SKEW, FITS, SKEW],
        ),
        (
            "zone and node, spreads [3/4, 2/1/0/4]: no node satisfies both",
            zone_node().obj(),
            [spread_2_1_0_3(), vec![on("p-y4", "node-y", &["foo"])]].concat(),
            four_nodes(),
            vec![SKEW; 4],
        ),
        (
            "different selectors, spreads [1/0, 1/0/0/1]: node-x",
            foo_bar().obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-y1", "node-y", &["bar"]),
            ],
            four_nodes(),
            vec![SKEW, SKEW, FITS, SKEW],
        ),
        (
            "different selectors, spreads [1/0, 0/0/1/1]: none",
            foo_bar().obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-x1", "node-x", &["bar"]),
                on("p-y1", "node-y", &["bar"]),
            ],
            four_nodes(),
            vec![SKEW; 4],
        ),
        (
            "different selectors, spreads [2/3, 1/0/0/1]: node-b",
            foo_bar().obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-a2", "node-a", &["foo", "bar"]),
                on("p-y1", "node-y", &["foo"]),
                on("p-y2", "node-y", &["foo", "bar"]),
                on("p-y3", "node-y", &["foo"]),
            ],
            four_nodes(),
            vec![SKEW, FITS, SKEW, SKEW],
        ),
        (
            "the pod does not match its zone constraint, so only the node one limits",
            make_pod("p")
                .labels(&[("bar", "")])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", HARD, bar()))
                .obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-x1", "node-x", &["bar"]),
                on("p-y1", "node-y", &["bar"]),
            ],
            four_nodes(),
            vec![FITS, FITS, SKEW, SKEW],
        ),
        (
            "node-x lacks the node label, spreads [1/1, 1/0/?/1]: node-b",
            zone_node().obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-y3", "node-y", &["foo"]),
            ],
            vec![
                zn("node-a", "zone1"),
                zn("node-b", "zone1"),
                node("node-x", &[("zone", "zone2")]),
                zn("node-y", "zone2"),
            ],
            vec![SKEW, FITS, NO_LABEL, SKEW],
        ),
        (
            "zone Honor/Ignore, node Ignore/Ignore, with a nodeSelector",
            foo_pod()
                .node_selector(&[("foo", "")])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(ignore_affinity(constraint(1, "node", HARD, foo())))
                .obj(),
            a1_b1_y1(),
            vec![
                with_foo("node-a", "zone1"),
                with_foo("node-b", "zone1"),
                with_foo("node-x", "zone2"),
                zn("node-y", "zone2"),
            ],
            vec![SKEW, SKEW, FITS, SKEW],
        ),
        (
            "zone Honor/Honor, node Honor/Ignore, one node tainted",
            foo_pod()
                .spread(honor_taints(constraint(1, "zone", HARD, foo())))
                .spread(constraint(1, "node", HARD, foo()))
                .obj(),
            a1_b1_y1(),
            vec![
                with_foo("node-a", "zone1"),
                with_foo("node-b", "zone1"),
                with_foo("node-x", "zone2"),
                tainted(zn("node-y", "zone2")),
            ],
            vec![SKEW, SKEW, FITS, SKEW],
        ),
        (
            "zone Honor/Ignore, node Honor/Ignore, with a nodeSelector and a tainted node",
            foo_pod()
                .node_selector(&[("foo", "")])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", HARD, foo()))
                .obj(),
            a1_b1_y1(),
            vec![
                with_foo("node-a", "zone1"),
                zn("node-b", "zone1"),
                with_foo("node-x", "zone2"),
                tainted(with_foo("node-y", "zone2")),
            ],
            vec![SKEW, FITS, FITS, SKEW],
        ),
        (
            "zone Honor/Honor, node Ignore/Ignore, with a nodeSelector and a tainted node",
            foo_pod()
                .node_selector(&[("foo", "")])
                .spread(honor_taints(constraint(1, "zone", HARD, foo())))
                .spread(ignore_affinity(constraint(1, "node", HARD, foo())))
                .obj(),
            a1_b1_y1(),
            vec![
                with_foo("node-a", "zone1"),
                zn("node-b", "zone1"),
                with_foo("node-x", "zone2"),
                tainted(with_foo("node-y", "zone2")),
            ],
            vec![SKEW, SKEW, FITS, SKEW],
        ),
    ];
    for (name, pod, pods, nodes, want) in cases {
        check(name, &pod, &pods, &nodes, &want);
    }
}

#[test]
fn filter_without_pre_filter_is_an_error() {
    let node = crate::framework::NodeInfo::new(std::sync::Arc::new(node("n", &[])));
    let status = plugin().filter(&CycleState::new(), &make_pod("p").obj(), &node);
    assert_eq!(
        status,
        Status::error("reading \"PreFilterPodTopologySpread\" from cycleState: not found")
    );
}
