//! What PostFilter answers: a nomination, or why preemption cannot help; and who may preempt.

use super::*;

#[test]
fn post_filter_nominates_a_node_or_explains_why_preemption_cannot_help() {
    let cases = vec![
        case(
            "a higher-priority pod preempts the lower-priority pod on a full node",
            preemptor(HIGH, ""),
            vec![node("node1", "1", 1, vec![running("p1", "node1", LOW, "")])],
            vec![("node1", UNSCHED)],
            Want::Nominate("node1", vec!["p1"]),
        ),
        case(
            "a pod of equal priority finds no victims",
            preemptor(LOW, ""),
            vec![node("node1", "1", 1, vec![running("p1", "node1", LOW, "")])],
            vec![("node1", UNSCHED)],
            Want::NoCandidate("0/1 nodes are available: 1 No preemption victims found for incoming pod."),
        ),
        case(
            "a node rejected as unresolvable is not tried",
            preemptor(HIGH, ""),
            vec![node("node1", "1", 1, vec![running("p1", "node1", LOW, "")])],
            vec![("node1", UNRESOLVABLE)],
            Want::NoCandidate("0/1 nodes are available: 1 Preemption is not helpful for scheduling."),
        ),
        case(
            "a node missing from the statuses counts as unresolvable",
            preemptor(HIGH, ""),
            vec![node("node1", "1", 1, vec![running("p1", "node1", LOW, "")])],
            vec![],
            Want::NoCandidate("0/1 nodes are available: 1 Preemption is not helpful for scheduling."),
        ),
        case(
            "the pod goes to the only node with a pod of lower priority than its own",
            preemptor(MID, ""),
            vec![
                node("node1", "1", 1, vec![running("p1", "node1", HIGH, "")]),
                node("node2", "1", 1, vec![running("p2", "node2", LOW, "")]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED)],
            Want::Nominate("node2", vec!["p2"]),
        ),
        case(
            "no node has room even after evicting every lower-priority pod",
            preemptor(HIGH, "300m"),
            vec![
                node("node1", "200m", 10, vec![running("p1", "node1", LOW, "")]),
                node("node2", "200m", 10, vec![running("p2", "node2", LOW, "")]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED)],
            Want::NoCandidate("0/2 nodes are available: 2 Insufficient cpu."),
        ),
        case(
            "the message counts each node's reason",
            preemptor(HIGH, "300m"),
            vec![
                node("node1", "1", 1, vec![running("p1", "node1", HIGH, "")]),
                node("node2", "200m", 10, vec![running("p2", "node2", LOW, "")]),
                node("node3", "1", 1, vec![running("p3", "node3", HIGH, "")]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED), ("node3", UNSCHED)],
            Want::NoCandidate("0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims found for incoming pod."),
        ),
        case(
            "nodes not tried count as not helpful, whether unresolvable or absent",
            preemptor(HIGH, "300m"),
            vec![
                node("node1", "200m", 10, vec![running("p1", "node1", LOW, "")]),
                node("node2", "200m", 10, vec![running("p2", "node2", LOW, "")]),
                node("node3", "200m", 10, vec![]),
                node("node4", "200m", 10, vec![]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED), ("node4", UNRESOLVABLE)],
            Want::NoCandidate("0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful for scheduling."),
        ),
        case(
            "a RemovePod failure on the only node is an internal error",
            preemptor(HIGH, ""),
            vec![make_node("node1")
                .capacity("1", "1Gi", 1)
                .labels(&[("error", "true")])
                .info_with(vec![running("p1", "node1", LOW, "")])],
            vec![("node1", UNSCHED)],
            Want::Error("running RemovePod on PreFilter plugin \"test-plugin\": failed to remove pod: p"),
        ),
        case(
            "a RemovePod failure on one node does not hide a candidate on another",
            preemptor(HIGH, ""),
            vec![
                make_node("node1")
                    .capacity("1", "1Gi", 1)
                    .labels(&[("error", "true")])
                    .info_with(vec![running("p1", "node1", LOW, "")]),
                node("node2", "1", 1, vec![running("p2", "node2", LOW, "")]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED)],
            Want::Nominate("node2", vec!["p2"]),
        ),
        case(
            "no nodes at all is an internal error",
            preemptor(HIGH, ""),
            vec![],
            vec![],
            Want::Error("no nodes available"),
        ),
    ];
    for c in cases {
        c.check();
    }
}

#[test]
fn only_some_pods_may_preempt() {
    let full_node1 = || node("node1", "1", 1, vec![running("p1", "node1", LOW, "")]);
    let waiting_on = |reason: Option<&str>| {
        node(
            "node1",
            "1",
            1,
            vec![terminating(running("p1", "node1", LOW, ""), reason)],
        )
    };
    let cases = vec![
        case(
            "preemptionPolicy Never makes the pod wait for room instead",
            make_pod("p")
                .priority(HIGH)
                .with(|p| {
                    if let Some(spec) = p.spec.as_mut() {
                        spec.preemption_policy = Some("Never".to_string());
                    }
                })
                .obj(),
            vec![full_node1()],
            vec![("node1", UNSCHED)],
            Want::NotEligible("not eligible due to preemptionPolicy=Never."),
        ),
        case(
            "preemptionPolicy PreemptLowerPriority preempts",
            make_pod("p")
                .priority(HIGH)
                .with(|p| {
                    if let Some(spec) = p.spec.as_mut() {
                        spec.preemption_policy = Some("PreemptLowerPriority".to_string());
                    }
                })
                .obj(),
            vec![full_node1()],
            vec![("node1", UNSCHED)],
            Want::Nominate("node1", vec!["p1"]),
        ),
        case(
            "a victim still terminating on the nominated node makes the pod wait",
            nominated_to(preemptor(HIGH, ""), "node1"),
            vec![waiting_on(Some("PreemptionByScheduler"))],
            vec![("node1", UNSCHED)],
            Want::NotEligible("not eligible due to a terminating pod on the nominated node."),
        ),
        case(
            "a terminating pod without a DisruptionTarget condition counts as our victim",
            nominated_to(preemptor(HIGH, ""), "node1"),
            vec![waiting_on(None)],
            vec![("node1", UNSCHED)],
            Want::NotEligible("not eligible due to a terminating pod on the nominated node."),
        ),
        case(
            "a pod terminating for another reason does not make the pod wait",
            nominated_to(preemptor(HIGH, ""), "node1"),
            vec![waiting_on(Some("DeletionByTaintManager"))],
            vec![("node1", UNSCHED)],
            Want::Nominate("node1", vec!["p1"]),
        ),
        case(
            "a terminating pod elsewhere than the nominated node does not matter",
            nominated_to(preemptor(HIGH, ""), "node2"),
            vec![
                waiting_on(Some("PreemptionByScheduler")),
                node("node2", "1", 1, vec![running("p2", "node2", LOW - 10, "")]),
            ],
            vec![("node1", UNSCHED), ("node2", UNSCHED)],
            Want::Nominate("node2", vec!["p2"]),
        ),
        case(
            "a nominated node now unresolvable is given up and preemption runs again",
            nominated_to(preemptor(HIGH, ""), "node1"),
            vec![
                waiting_on(Some("PreemptionByScheduler")),
                node("node2", "1", 1, vec![running("p2", "node2", LOW, "")]),
            ],
            vec![("node1", UNRESOLVABLE), ("node2", UNSCHED)],
            Want::Nominate("node2", vec!["p2"]),
        ),
    ];
    for c in cases {
        c.check();
    }
}

#[test]
fn the_factory_checks_args_and_the_plugin_listens_for_pod_deletions() {
    let ctx = FactoryContext::default();
    let plugin = new(None, &ctx).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(plugin.name(), "DefaultPreemption");
    assert!(plugin.as_post_filter().is_some());
    assert!(plugin.as_filter().is_none());
    assert_eq!(plugin.events_to_register(), vec![ClusterEvent::POD_DELETE]);

    let bad = serde_json::json!({"minCandidateNodesAbsolute": -1});
    let err = new(Some(&bad), &ctx).err();
    assert_eq!(
        err.as_deref(),
        Some("minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)")
    );
    for _ in 0..20 {
        assert!(random_offset(3) < 3, "the random start is a valid index");
    }
}

#[test]
fn with_the_default_profile_a_pod_evicts_the_lower_priority_pod_that_takes_its_cpu() {
    use crate::config::KubeSchedulerConfiguration;
    use crate::framework::profile::new_framework;
    let config = KubeSchedulerConfiguration::default_config();
    let registry = crate::plugins::in_tree_registry();
    let framework = new_framework(
        &config.profiles[0],
        None,
        &registry,
        &FactoryContext::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(framework.post_filter.iter().any(|p| p.name() == NAME));

    let snapshot = Snapshot::new(vec![
        node(
            "node1",
            "1",
            110,
            vec![running("low", "node1", LOW, "800m")],
        ),
        node(
            "node2",
            "1",
            110,
            vec![running("vip", "node2", VERY_HIGH, "800m")],
        ),
    ]);
    let pod = preemptor(HIGH, "500m");
    // What the scheduling cycle would have found: both nodes short of CPU.
    let mut state = CycleState::new();
    let (_, status) = framework.run_pre_filter_plugins(&mut state, &pod, &snapshot);
    assert!(status.is_success(), "{status}");
    let mut statuses = NodeToStatus::new();
    for node in snapshot.list() {
        let verdicts = framework.run_filter_plugins(&state, &pod, node);
        if let Some((_, status)) = verdicts.into_iter().find(|(_, s)| !s.is_success()) {
            statuses.insert(node.name().to_string(), status);
        }
    }
    let insufficient_cpu =
        Status::unschedulable("Insufficient cpu").with_plugin("NodeResourcesFit");
    assert_eq!(statuses.get("node1"), Some(&insufficient_cpu));
    assert_eq!(statuses.get("node2"), Some(&insufficient_cpu));

    let ctx = PostFilterContext {
        framework: &framework,
        snapshot: &snapshot,
        pdbs: &[],
    };
    let (result, status) = framework.run_post_filter_plugins(&ctx, &state, &pod, &statuses);
    assert!(status.is_success(), "{status}");
    let result = result.unwrap_or_default();
    assert_eq!(result.nominated_node_name, "node1");
    let victims: Vec<&str> = result.victims.iter().map(|v| name_of(v)).collect();
    assert_eq!(victims, ["low"]);
}
