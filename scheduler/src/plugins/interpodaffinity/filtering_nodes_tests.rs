//! Filter over several nodes, mirroring upstream's `TestRequiredAffinityMultipleNodes`
//! (`filtering_test.go`). Upstream's pods in namespace "" are kubeling's pods in `default`.

use super::filtering_tests::{affinity_fails, anti_fails, check, existing_fails, ok, plugin};
use super::testutil::*;
use crate::framework::Status;
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod};

#[test]
fn required_affinity_over_several_nodes_gives_upstreams_verdicts() {
    let china = [("region", "China")];
    let china_az1 = [("region", "China"), ("az", "az1")];
    let india = [("region", "India")];
    fn r1<'a>(zone: &'a str, host: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![("region", "r1"), ("zone", zone), ("hostname", host)]
    }
    let ab = |za: &str, zb: &str| {
        vec![
            node("nodeA", &r1(za, "nodeA")),
            node("nodeB", &r1(zb, "nodeB")),
        ]
    };
    let regions = || {
        vec![
            node("nodeA", &china),
            node("nodeB", &china_az1),
            node("nodeC", &india),
        ]
    };
    let foo_bar = [("foo", "bar")];
    type Case = (&'static str, Pod, Vec<Pod>, Vec<Node>, Status, Vec<Status>);
    let cases: Vec<Case> = vec![
        (
            "all nodes in the region of a matching pod fit",
            make_pod("p")
                .affinity(&affinity().required(term_in("foo", &["bar"], "region")))
                .obj(),
            vec![make_pod("p1").node("nodeA").labels(&foo_bar).obj()],
            regions(),
            ok(),
            vec![ok(), ok(), affinity_fails()],
        ),
        (
            "the first pod of a collection that matches its own terms may go to any node",
            make_pod("p")
                .labels(&[("foo", "bar"), ("service", "securityscan")])
                .affinity(
                    &affinity()
                        .required(term_in("foo", &["bar"], "zone"))
                        .required(term_in("service", &["securityscan"], "zone")),
                )
                .obj(),
            vec![make_pod("p1").node("nodeA").labels(&foo_bar).obj()],
            vec![
                node("nodeA", &[("zone", "az1"), ("hostname", "h1")]),
                node("nodeB", &[("zone", "az2"), ("hostname", "h2")]),
            ],
            ok(),
            vec![ok(), ok()],
        ),
        (
            "the first pod of a collection still needs nodes with the topology labels",
            make_pod("p")
                .labels(&[("foo", "bar"), ("service", "securityscan")])
                .affinity(
                    &affinity()
                        .required(term_in("foo", &["bar"], "zone"))
                        .required(term_in("service", &["securityscan"], "zone")),
                )
                .obj(),
            vec![make_pod("p1").node("nodeA").labels(&foo_bar).obj()],
            vec![
                node("nodeA", &[("zoneLabel", "az1"), ("hostname", "h1")]),
                node("nodeB", &[("zoneLabel", "az2"), ("hostname", "h2")]),
            ],
            ok(),
            vec![affinity_fails(), affinity_fails()],
        ),
        (
            "anti-affinity keeps the pod out of the whole region of a matching pod",
            make_pod("p")
                .affinity(&affinity().anti_required(term_in("foo", &["abc"], "region")))
                .obj(),
            vec![make_pod("e").node("nodeA").labels(&[("foo", "abc")]).obj()],
            vec![
                node("nodeA", &[("region", "r1"), ("hostname", "nodeA")]),
                node("nodeB", &[("region", "r1"), ("hostname", "nodeB")]),
            ],
            ok(),
            vec![anti_fails(), anti_fails()],
        ),
        (
            "anti-affinity applies when any one of its terms selects a pod",
            make_pod("p")
                .affinity(
                    &affinity()
                        .anti_required(term_in("foo", &["abc"], "region"))
                        .anti_required(term_in("service", &["securityscan"], "zone")),
                )
                .obj(),
            vec![make_pod("e")
                .node("nodeA")
                .labels(&[("foo", "abc"), ("service", "securityscan")])
                .obj()],
            ab("z1", "z2"),
            ok(),
            vec![anti_fails(), anti_fails()],
        ),
        (
            "anti-affinity leaves the other regions free",
            make_pod("p")
                .affinity(&affinity().anti_required(term_in("foo", &["abc"], "region")))
                .obj(),
            vec![make_pod("e").node("nodeA").labels(&[("foo", "abc")]).obj()],
            regions(),
            ok(),
            vec![anti_fails(), anti_fails(), ok()],
        ),
        (
            "an existing pod in another namespace neither matches nor keeps the pod away",
            make_pod("p")
                .namespace("NS1")
                .labels(&[("foo", "123")])
                .affinity(&affinity().anti_required(term_in("foo", &["bar"], "region")))
                .obj(),
            vec![
                make_pod("a")
                    .node("nodeA")
                    .namespace("NS1")
                    .labels(&foo_bar)
                    .obj(),
                make_pod("c")
                    .node("nodeC")
                    .namespace("NS2")
                    .affinity(&affinity().anti_required(term_in("foo", &["123"], "region")))
                    .obj(),
            ],
            regions(),
            ok(),
            vec![anti_fails(), anti_fails(), ok()],
        ),
        (
            "an existing pod's term over a label no node has keeps nothing away",
            make_pod("p").labels(&[("foo", "")]).obj(),
            vec![make_pod("e")
                .node("nodeA")
                .affinity(&affinity().anti_required(term_exists("foo", "invalid-node-label")))
                .obj()],
            ab("z1", "z1"),
            Status::skip(),
            vec![],
        ),
        (
            "the pod's own anti-affinity over a label no node has keeps it from nothing",
            make_pod("p")
                .node("nodeA")
                .affinity(&affinity().anti_required(term_exists("foo", "invalid-node-label")))
                .obj(),
            vec![make_pod("e").node("nodeA").labels(&[("foo", "")]).obj()],
            ab("z1", "z1"),
            ok(),
            vec![ok(), ok()],
        ),
        (
            "existing pods' anti-affinity terms each cover a domain of both nodes",
            make_pod("p").labels(&[("foo", ""), ("bar", "")]).obj(),
            vec![
                make_pod("e1")
                    .node("nodeA")
                    .affinity(&affinity().anti_required(term_exists("foo", "zone")))
                    .obj(),
                make_pod("e2")
                    .node("nodeA")
                    .affinity(&affinity().anti_required(term_exists("bar", "region")))
                    .obj(),
            ],
            ab("z1", "z2"),
            ok(),
            vec![existing_fails(), existing_fails()],
        ),
        (
            "the pod's anti-affinity terms each select a pod on one of the nodes",
            make_pod("p")
                .affinity(
                    &affinity()
                        .anti_required(term_exists("foo", "zone"))
                        .anti_required(term_exists("bar", "region")),
                )
                .obj(),
            vec![
                make_pod("a").node("nodeA").labels(&[("foo", "")]).obj(),
                make_pod("b").node("nodeB").labels(&[("bar", "")]).obj(),
            ],
            ab("z1", "z2"),
            ok(),
            vec![anti_fails(), anti_fails()],
        ),
        (
            "an existing pod's term counts only when selector and topology key both match",
            make_pod("p").labels(&[("foo", ""), ("bar", "")]).obj(),
            vec![make_pod("e")
                .node("nodeA")
                .affinity(
                    &affinity()
                        .anti_required(term_exists("foo", "invalid-node-label"))
                        .anti_required(term_exists("bar", "zone")),
                )
                .obj()],
            ab("z1", "z2"),
            ok(),
            vec![existing_fails(), ok()],
        ),
        (
            "the pod's term counts only when selector and topology key both match",
            make_pod("p")
                .affinity(
                    &affinity()
                        .anti_required(term_exists("foo", "invalid-node-label"))
                        .anti_required(term_exists("bar", "zone")),
                )
                .obj(),
            vec![make_pod("podA")
                .node("nodeA")
                .labels(&[("foo", ""), ("bar", "")])
                .obj()],
            ab("z1", "z2"),
            ok(),
            vec![anti_fails(), ok()],
        ),
        (
            "an existing pod's region-wide term covers both nodes",
            make_pod("p").labels(&[("foo", ""), ("bar", "")]).obj(),
            vec![make_pod("e")
                .node("nodeA")
                .affinity(
                    &affinity()
                        .anti_required(term_exists("foo", "region"))
                        .anti_required(term_exists("bar", "zone")),
                )
                .obj()],
            ab("z1", "z2"),
            ok(),
            vec![existing_fails(), existing_fails()],
        ),
        (
            "the pod's region-wide term covers both nodes",
            make_pod("p")
                .affinity(
                    &affinity()
                        .anti_required(term_exists("foo", "region"))
                        .anti_required(term_exists("bar", "zone")),
                )
                .obj(),
            vec![make_pod("e")
                .node("nodeA")
                .labels(&[("foo", ""), ("bar", "")])
                .obj()],
            ab("z1", "z2"),
            ok(),
            vec![anti_fails(), anti_fails()],
        ),
        (
            "existing pods on two nodes leave only the third zone",
            make_pod("p").labels(&[("foo", ""), ("bar", "")]).obj(),
            vec![
                make_pod("a")
                    .node("nodeA")
                    .affinity(
                        &affinity()
                            .anti_required(term_exists("foo", "zone"))
                            .anti_required(term_exists("labelA", "zone")),
                    )
                    .obj(),
                make_pod("b")
                    .node("nodeB")
                    .affinity(
                        &affinity()
                            .anti_required(term_exists("bar", "zone"))
                            .anti_required(term_exists("labelB", "zone")),
                    )
                    .obj(),
            ],
            vec![
                node("nodeA", &r1("z1", "nodeA")),
                node("nodeB", &r1("z2", "nodeB")),
                node("nodeC", &r1("z3", "nodeC")),
            ],
            ok(),
            vec![existing_fails(), existing_fails(), ok()],
        ),
        (
            "one pod matching all affinity terms satisfies them in every shared domain",
            make_pod("p")
                .affinity(
                    &affinity()
                        .required(term_exists("foo", "region"))
                        .required(term_exists("bar", "zone")),
                )
                .obj(),
            vec![make_pod("pod1")
                .labels(&[("foo", ""), ("bar", "")])
                .node("nodeA")
                .obj()],
            ab("z1", "z1"),
            ok(),
            vec![ok(), ok()],
        ),
        (
            "affinity terms must all be matched by the same pod",
            make_pod("p")
                .affinity(
                    &affinity()
                        .required(term_exists("foo", "region"))
                        .required(term_exists("bar", "zone")),
                )
                .obj(),
            vec![
                make_pod("pod1").node("nodeA").labels(&[("foo", "")]).obj(),
                make_pod("pod2").node("nodeB").labels(&[("bar", "")]).obj(),
            ],
            ab("z1", "z2"),
            ok(),
            vec![affinity_fails(), affinity_fails()],
        ),
    ];
    for (name, pod, pods, nodes, want_pre_filter, want_filter) in cases {
        check(
            name,
            &plugin(),
            (pod, pods, nodes),
            want_pre_filter,
            want_filter,
        );
    }
}
