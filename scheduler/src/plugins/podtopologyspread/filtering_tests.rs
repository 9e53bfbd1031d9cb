//! PreFilter's counts, mirroring upstream's `TestPreFilterState` (`filtering_test.go`): the
//! plain cases, the default constraints, and when PreFilter skips. Node inclusion policies and
//! `matchLabelKeys` are in `inclusion_tests.rs`, preemption's AddPod/RemovePod in
//! `preemption_tests.rs`, Filter's verdicts in `filtering_verdict_tests.rs`.

use super::common::SpreadConstraint;
use super::testutil::*;
use super::*;
use crate::framework::Status;
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod};

#[test]
fn pre_filter_counts_matching_pods_per_domain_as_upstream() {
    let foo = || exists("foo");
    let bar = || exists("bar");
    let p = || make_pod("p").labels(&[("foo", "")]);
    let five = || {
        vec![
            on("p-a1", "node-a", &["foo"]),
            on("p-a2", "node-a", &["foo"]),
            on("p-b1", "node-b", &["foo"]),
            on("p-y1", "node-y", &["foo"]),
            on("p-y2", "node-y", &["foo"]),
        ]
    };
    let seven = || {
        let mut pods = vec![
            on("p-a1", "node-a", &["foo"]),
            on("p-a2", "node-a", &["foo"]),
            on("p-b1", "node-b", &["foo"]),
        ];
        pods.extend((1..=4).map(|i| on(&format!("p-y{i}"), "node-y", &["foo"])));
        pods
    };
    let aby = || {
        vec![
            zn("node-a", "zone1"),
            zn("node-b", "zone1"),
            zn("node-y", "zone2"),
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
            "a clean cluster with one constraint",
            p().spread(constraint(5, "zone", HARD, match_labels(&[("foo", "bar")])))
                .obj(),
            vec![],
            four_nodes(),
            Some(vec![parsed(5, "zone", Some("foo=bar"), HONOR, IGNORE)]),
            w(
                vec![("zone", "zone1", 0), ("zone", "zone2", 0)],
                vec![("zone", 2)],
                vec![("zone", ("zone1", 0), ("zone2", 0))],
            ),
        ),
        (
            "one constraint",
            p().spread(constraint(1, "zone", HARD, foo())).obj(),
            five(),
            four_nodes(),
            Some(vec![parsed(1, "zone", Some("foo"), HONOR, IGNORE)]),
            w(
                vec![("zone", "zone1", 3), ("zone", "zone2", 2)],
                vec![("zone", 2)],
                vec![("zone", ("zone2", 2), ("zone1", 3))],
            ),
        ),
        (
            "a missing label selector matches no pod",
            p().spread(constraint(1, "zone", HARD, None)).obj(),
            five(),
            four_nodes(),
            Some(vec![parsed(1, "zone", None, HONOR, IGNORE)]),
            w(
                vec![("zone", "zone1", 0), ("zone", "zone2", 0)],
                vec![("zone", 2)],
                vec![("zone", ("zone2", 0), ("zone1", 0))],
            ),
        ),
        (
            "one constraint on a three-zone cluster",
            p().spread(constraint(1, "zone", HARD, foo())).obj(),
            five(),
            [
                four_nodes(),
                vec![zn("node-o", "zone3"), zn("node-p", "zone3")],
            ]
            .concat(),
            None,
            w(
                vec![
                    ("zone", "zone1", 3),
                    ("zone", "zone2", 2),
                    ("zone", "zone3", 0),
                ],
                vec![("zone", 3)],
                vec![("zone", ("zone3", 0), ("zone2", 2))],
            ),
        ),
        (
            "pods in another namespace do not count",
            p().spread(constraint(1, "zone", HARD, foo())).obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                make_pod("p-a2")
                    .namespace("ns1")
                    .node("node-a")
                    .labels(&[("foo", "")])
                    .obj(),
                on("p-b1", "node-b", &["foo"]),
                make_pod("p-y1")
                    .namespace("ns2")
                    .node("node-y")
                    .labels(&[("foo", "")])
                    .obj(),
                on("p-y2", "node-y", &["foo"]),
            ],
            four_nodes(),
            None,
            w(
                vec![("zone", "zone1", 2), ("zone", "zone2", 1)],
                vec![("zone", 2)],
                vec![("zone", ("zone2", 1), ("zone1", 2))],
            ),
        ),
        (
            "two constraints",
            p().spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", HARD, foo()))
                .obj(),
            seven(),
            four_nodes(),
            Some(vec![
                parsed(1, "zone", Some("foo"), HONOR, IGNORE),
                parsed(1, "node", Some("foo"), HONOR, IGNORE),
            ]),
            w(
                vec![
                    ("zone", "zone1", 3),
                    ("zone", "zone2", 4),
                    ("node", "node-a", 2),
                    ("node", "node-b", 1),
                    ("node", "node-x", 0),
                    ("node", "node-y", 4),
                ],
                vec![("zone", 2), ("node", 4)],
                vec![
                    ("zone", ("zone1", 3), ("zone2", 4)),
                    ("node", ("node-x", 0), ("node-b", 1)),
                ],
            ),
        ),
        (
            "soft constraints are left to scoring",
            p().spread(constraint(1, "zone", SOFT, foo()))
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", SOFT, foo()))
                .spread(constraint(1, "node", HARD, foo()))
                .obj(),
            seven(),
            aby(),
            Some(vec![
                parsed(1, "zone", Some("foo"), HONOR, IGNORE),
                parsed(1, "node", Some("foo"), HONOR, IGNORE),
            ]),
            w(
                vec![
                    ("zone", "zone1", 3),
                    ("zone", "zone2", 4),
                    ("node", "node-a", 2),
                    ("node", "node-b", 1),
                    ("node", "node-y", 4),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone1", 3), ("zone2", 4)),
                    ("node", ("node-b", 1), ("node-a", 2)),
                ],
            ),
        ),
        (
            "constraints with different selectors, simple",
            make_pod("p")
                .labels(&[("foo", ""), ("bar", "")])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", HARD, bar()))
                .obj(),
            vec![on("p-a", "node-a", &["foo"]), on("p-b", "node-b", &["bar"])],
            aby(),
            None,
            w(
                vec![
                    ("zone", "zone1", 1),
                    ("zone", "zone2", 0),
                    ("node", "node-a", 0),
                    ("node", "node-b", 1),
                    ("node", "node-y", 0),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone2", 0), ("zone1", 1)),
                    ("node", ("node-a", 0), ("node-y", 0)),
                ],
            ),
        ),
        (
            "constraints with different selectors, pods with both labels",
            make_pod("p")
                .labels(&[("foo", ""), ("bar", "")])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", HARD, bar()))
                .obj(),
            vec![
                on("p-a1", "node-a", &["foo"]),
                on("p-a2", "node-a", &["foo", "bar"]),
                on("p-b1", "node-b", &["foo"]),
                on("p-y1", "node-y", &["foo"]),
                on("p-y2", "node-y", &["foo", "bar"]),
                on("p-y3", "node-y", &["foo"]),
                on("p-y4", "node-y", &["foo", "bar"]),
            ],
            aby(),
            None,
            w(
                vec![
                    ("zone", "zone1", 3),
                    ("zone", "zone2", 4),
                    ("node", "node-a", 1),
                    ("node", "node-b", 0),
                    ("node", "node-y", 2),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone1", 3), ("zone2", 4)),
                    ("node", ("node-b", 0), ("node-a", 1)),
                ],
            ),
        ),
        (
            "two constraints and required node affinity excluding a node",
            p().node_affinity("node", "NotIn", &["node-x"])
                .spread(constraint(1, "zone", HARD, foo()))
                .spread(constraint(1, "node", HARD, foo()))
                .obj(),
            seven(),
            four_nodes(),
            None,
            w(
                vec![
                    ("zone", "zone1", 3),
                    ("zone", "zone2", 4),
                    ("node", "node-a", 2),
                    ("node", "node-b", 1),
                    ("node", "node-y", 4),
                ],
                vec![("zone", 2), ("node", 3)],
                vec![
                    ("zone", ("zone1", 3), ("zone2", 4)),
                    ("node", ("node-b", 1), ("node-a", 2)),
                ],
            ),
        ),
        (
            "the pod's own constraints replace the default ones",
            make_pod("p")
                .labels(&[("foo", "bar"), ("baz", "tar")])
                .owned_by("apps/v1", "ReplicaSet", "rs1")
                .spread(constraint(1, "zone", HARD, match_labels(&[("baz", "tar")])))
                .spread(constraint(
                    2,
                    "planet",
                    SOFT,
                    match_labels(&[("fot", "rok")]),
                ))
                .obj(),
            vec![],
            vec![],
            Some(vec![parsed(1, "zone", Some("baz=tar"), HONOR, IGNORE)]),
            w(
                vec![],
                vec![],
                vec![("zone", ("", i64::from(i32::MAX)), ("", i64::from(i32::MAX)))],
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

#[test]
fn pre_filter_skips_pods_without_hard_constraints() {
    let defaults = || {
        vec![
            constraint(3, "node", HARD, None),
            constraint(2, "node", SOFT, None),
            constraint(5, "rack", HARD, None),
        ]
    };
    let rs_pod = || {
        make_pod("p")
            .labels(&[("foo", "bar"), ("baz", "kar")])
            .owned_by("apps/v1", "ReplicaSet", "rs1")
    };
    let cases = [
        (
            "a pod without constraints and no defaults",
            plugin(),
            make_pod("p").labels(&[("foo", "")]).obj(),
        ),
        (
            "a pod that belongs to no workload gets no defaults",
            plugin_with(defaults()),
            make_pod("p").labels(&[("foo", "bar")]).obj(),
        ),
        (
            "only soft defaults",
            plugin_with(vec![constraint(2, "node", SOFT, None)]),
            rs_pod().obj(),
        ),
        (
            "the system defaults are all soft",
            PodTopologySpread::new(PodTopologySpreadArgs::default()),
            rs_pod().obj(),
        ),
    ];
    for (name, plugin, pod) in cases {
        let (status, _) = pre_filter(&plugin, &pod, &[], &four_nodes());
        assert_eq!(status, Status::skip(), "{name}");
    }
}

#[test]
fn default_constraints_select_the_pods_of_the_same_workload() {
    let defaults = vec![
        constraint(3, "node", HARD, None),
        constraint(2, "node", SOFT, None),
        constraint(5, "rack", HARD, None),
    ];
    // Upstream would take the ReplicaSet's selector; kubeling stands in with the pod's labels.
    let pod = make_pod("p")
        .labels(&[("foo", "bar"), ("baz", "kar")])
        .owned_by("apps/v1", "ReplicaSet", "rs1")
        .obj();
    let (status, state) = pre_filter(&plugin_with(defaults), &pod, &[], &[]);
    assert_eq!(status, Status::success());
    let got = read(&state);
    assert_eq!(
        got.constraints,
        vec![
            parsed(3, "node", Some("baz=kar,foo=bar"), HONOR, IGNORE),
            parsed(5, "rack", Some("baz=kar,foo=bar"), HONOR, IGNORE),
        ]
    );
    let unset = ("", i64::from(i32::MAX));
    assert_state(
        "no nodes",
        &got,
        &w(
            vec![],
            vec![],
            vec![("node", unset, unset), ("rack", unset, unset)],
        ),
    );

    // A StatefulSet's per-pod labels are left out, or the selector would select only the pod.
    let pod = make_pod("web-0")
        .labels(&[
            ("app", "web"),
            ("statefulset.kubernetes.io/pod-name", "web-0"),
            ("controller-revision-hash", "abc"),
            ("apps.kubernetes.io/pod-index", "0"),
        ])
        .owned_by("apps/v1", "StatefulSet", "web")
        .obj();
    let (_, state) = pre_filter(
        &plugin_with(vec![constraint(1, "zone", HARD, None)]),
        &pod,
        &[],
        &four_nodes(),
    );
    assert_eq!(
        read(&state).constraints,
        vec![parsed(1, "zone", Some("app=web"), HONOR, IGNORE)]
    );
}

#[test]
fn a_selector_that_cannot_be_parsed_is_an_error() {
    let mut selector = exists("foo");
    if let Some(s) = selector.as_mut() {
        s.match_expressions = Some(vec![
            k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement {
                key: "foo".into(),
                operator: "Near".into(),
                values: None,
            },
        ]);
    }
    let pod = make_pod("p")
        .spread(constraint(1, "zone", HARD, selector))
        .obj();
    let (status, _) = pre_filter(&plugin(), &pod, &[], &four_nodes());
    assert_eq!(
        status,
        Status::error("obtaining pod's hard topology spread constraints: \"Near\" is not a valid label selector operator")
    );
}
