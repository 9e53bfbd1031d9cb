//! Which victims on a node, and which node among the candidates.

use super::*;

#[test]
fn victims_are_as_few_and_as_unimportant_as_possible() {
    let db = |name: &str, node: &str, priority: i32, cpu: &str| {
        make_pod(name)
            .node(node)
            .priority(priority)
            .req(cpu, "")
            .labels(&[("app", "db")])
            .obj()
    };
    let cases = vec![
        case(
            "pods are put back most important first and kept while the pod still fits",
            preemptor(MID, "500m"),
            vec![node(
                "node1",
                "1",
                10,
                vec![
                    running("a", "node1", 10, "300m"),
                    running("b", "node1", 5, "300m"),
                    running("c", "node1", 1, "100m"),
                    running("d", "node1", HIGH, "100m"),
                ],
            )],
            vec![("node1", UNSCHED)],
            Want::Nominate("node1", vec!["b"]),
        ),
        case(
            "several victims are listed most important first",
            preemptor(MID, "1"),
            vec![node(
                "node1",
                "1",
                10,
                vec![
                    running("a", "node1", 1, "500m"),
                    running("b", "node1", 3, "500m"),
                ],
            )],
            vec![("node1", UNSCHED)],
            Want::Nominate("node1", vec!["b", "a"]),
        ),
        case(
            "without a budget the less important pod is the victim",
            preemptor(MID, "500m"),
            vec![node(
                "node1",
                "1",
                10,
                vec![
                    db("x", "node1", 1, "500m"),
                    running("y", "node1", 2, "500m"),
                ],
            )],
            vec![("node1", UNSCHED)],
            Want::Nominate("node1", vec!["x"]),
        ),
        case(
            "a budget-protected pod is kept when evicting another frees the same room",
            preemptor(MID, "500m"),
            vec![node(
                "node1",
                "1",
                10,
                vec![
                    db("x", "node1", 1, "500m"),
                    running("y", "node1", 2, "500m"),
                ],
            )],
            vec![("node1", UNSCHED)],
            Want::Nominate("node1", vec!["y"]),
        )
        .pdbs(vec![pdb("default", &[("app", "db")], 0)]),
        case(
            "a node whose victim is budget-protected loses to a node whose victim is not",
            preemptor(MID, ""),
            vec![
                node("node1", "1", 1, vec![db("a", "node1", LOW, "")]),
                node("node2", "1", 1, vec![running("b", "node2", LOW, "")]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED)],
            Want::Nominate("node2", vec!["b"]),
        )
        .pdbs(vec![pdb("default", &[("app", "db")], 0)]),
        case(
            "when every choice breaks a budget the pod still preempts",
            preemptor(MID, ""),
            vec![node("node1", "1", 1, vec![db("a", "node1", LOW, "")])],
            vec![("node1", UNSCHED)],
            Want::Nominate("node1", vec!["a"]),
        )
        .pdbs(vec![pdb("default", &[("app", "db")], 0)]),
        case(
            "equal budget violations: the node with the lower highest victim priority wins",
            preemptor(VERY_HIGH, ""),
            vec![
                node(
                    "node1",
                    "1",
                    1,
                    vec![
                        in_budget(running("p1", "node1", HIGH, ""), "ok"),
                        in_budget(running("p2", "node1", LOW, ""), "protected"),
                    ],
                ),
                node(
                    "node2",
                    "1",
                    1,
                    vec![in_budget(running("p3", "node2", MID, ""), "protected")],
                ),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED)],
            Want::Nominate("node2", vec!["p3"]),
        )
        .pdbs(vec![
            pdb("default", &[("budget", "protected")], 0),
            pdb("default", &[("budget", "ok")], i32::MAX),
        ]),
        case(
            "a full tie goes to the first node tried",
            preemptor(MID, ""),
            vec![
                node("node1", "1", 1, vec![running("a", "node1", LOW, "")]),
                node("node2", "1", 1, vec![running("b", "node2", LOW, "")]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED)],
            Want::Nominate("node1", vec!["a"]),
        ),
    ];
    for c in cases {
        c.check();
    }
}

#[test]
fn the_dry_run_starts_at_the_offset_and_stops_when_it_has_enough() {
    let three_nodes = || {
        vec![
            node("node1", "1", 1, vec![running("v1", "node1", 2, "")]),
            node("node2", "1", 1, vec![running("v2", "node2", 1, "")]),
            node("node3", "1", 1, vec![running("v3", "node3", 3, "")]),
        ]
    };
    let all_unschedulable = || vec![("node1", UNSCHED), ("node2", UNSCHED), ("node3", UNSCHED)];
    let cases = vec![
        case(
            "with enough candidates wanted, every node is tried and the best wins",
            preemptor(MID, ""),
            three_nodes(),
            all_unschedulable(),
            Want::Nominate("node2", vec!["v2"]),
        ),
        case(
            "wanting one candidate, starting at the first node, stops there",
            preemptor(MID, ""),
            three_nodes(),
            all_unschedulable(),
            Want::Nominate("node1", vec!["v1"]),
        )
        .candidates(0, 1, |_| 0),
        case(
            "wanting one candidate, starting at the third node, stops there",
            preemptor(MID, ""),
            three_nodes(),
            all_unschedulable(),
            Want::Nominate("node3", vec!["v3"]),
        )
        .candidates(0, 1, |_| 2),
        case(
            "wanting two candidates, the search wraps around past the last node",
            preemptor(MID, ""),
            three_nodes(),
            all_unschedulable(),
            Want::Nominate("node1", vec!["v1"]),
        )
        .candidates(0, 2, |_| 2),
        case(
            "a candidate breaking a budget does not end the search for one that breaks none",
            preemptor(MID, ""),
            vec![
                node(
                    "node1",
                    "1",
                    1,
                    vec![in_budget(running("a", "node1", LOW, ""), "protected")],
                ),
                node("node2", "1", 1, vec![running("b", "node2", 50, "")]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED)],
            Want::Nominate("node2", vec!["b"]),
        )
        .candidates(0, 1, |_| 0)
        .pdbs(vec![pdb("default", &[("budget", "protected")], 0)]),
    ];
    for c in cases {
        c.check();
    }
}
