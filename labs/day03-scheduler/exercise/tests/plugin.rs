//! Tests for NodeLabelPreference: first each extension point alone, as tables of cases with
//! sentence names (the way the in-tree plugins are tested), then the plugin inside a whole
//! scheduling framework, deciding where a pod goes.
//!
//! `scheduler::testing` has the builders the scheduler's own tests use: `make_pod("p")` and
//! `make_node("n")` with methods like `.labels(..)`, `.req(cpu, memory)`, `.capacity(..)`.

use lab03::node_label_preference::{
    new, reason, NodeLabelPreference, NAME, REQUIRED_LABEL_ANNOTATION, TIER_LABEL,
};
use rand::SeedableRng;
use scheduler::config::KubeSchedulerConfiguration;
use scheduler::explain::{render, Explanation};
use scheduler::framework::profile::new_framework;
use scheduler::framework::{
    Code, CycleState, FilterPlugin, Framework, NodeScore, ScorePlugin, Snapshot, Status,
};
use scheduler::plugins::{in_tree_registry, FactoryContext, Registry};
use scheduler::schedule_one::{schedule_pod, Attempt, NominatedPods, ScheduleError};
use scheduler::testing::{make_node, make_pod, PodWrapper};

/// A pod that names a node label it needs.
fn pod_requiring(label: &str) -> PodWrapper {
    make_pod("p").with(|p| {
        p.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(REQUIRED_LABEL_ANNOTATION.to_string(), label.to_string());
    })
}

/// (sentence, pod, the node's labels, Ok(()) if the pod fits or Err(the rejection's reason))
type FilterCase = (
    &'static str,
    PodWrapper,
    &'static [(&'static str, &'static str)],
    Result<(), String>,
);

#[test]
fn the_filter_rejects_nodes_without_the_label_the_pod_asks_for() {
    let cases: Vec<FilterCase> = vec![
        (
            "a pod without the annotation fits any node",
            make_pod("p"),
            &[],
            Ok(()),
        ),
        (
            "a node with the label fits, whatever its value",
            pod_requiring("disktype"),
            &[("disktype", "hdd")],
            Ok(()),
        ),
        (
            "a node without the label is rejected with the label in the reason",
            pod_requiring("disktype"),
            &[("zone", "a")],
            Err(reason("disktype")),
        ),
        (
            "a label with the same value but another key does not count",
            pod_requiring("disktype"),
            &[("disk", "disktype")],
            Err(reason("disktype")),
        ),
        (
            "an empty annotation asks for nothing",
            pod_requiring(""),
            &[],
            Ok(()),
        ),
    ];
    for (name, pod, labels, want) in cases {
        let node = make_node("n").labels(labels).info();
        let status = NodeLabelPreference.filter(&CycleState::new(), &pod.obj(), &node);
        match want {
            Ok(()) => assert!(status.is_success(), "{name}: got {status}"),
            Err(reason) => {
                assert_eq!(
                    status.code,
                    Code::UnschedulableAndUnresolvable,
                    "{name}: preemption cannot add a label, so the rejection is unresolvable"
                );
                assert_eq!(status.reasons, vec![reason], "{name}");
            }
        }
    }
}

#[test]
fn score_ranks_nodes_by_their_tier_label() {
    let cases: [(&str, Option<&str>, i64); 5] = [
        ("gold is the best tier", Some("gold"), 3),
        ("silver is second", Some("silver"), 2),
        ("bronze is third", Some("bronze"), 1),
        ("a node without a tier scores 0", None, 0),
        ("an unknown tier scores 0", Some("platinum"), 0),
    ];
    for (name, tier, want) in cases {
        let node = match tier {
            Some(t) => make_node("n").labels(&[(TIER_LABEL, t)]),
            None => make_node("n"),
        };
        let (score, status) =
            NodeLabelPreference.score(&CycleState::new(), &make_pod("p").obj(), &node.info());
        assert!(status.is_success(), "{name}: {status}");
        assert_eq!(score, want, "{name}");
    }
}

#[test]
fn normalize_gives_the_best_node_100_and_the_others_their_share() {
    let cases: [(&str, Vec<i64>, Vec<i64>); 5] = [
        ("the best becomes 100", vec![3, 1, 0], vec![100, 33, 0]),
        (
            "ties at the top both get 100",
            vec![2, 2, 1],
            vec![100, 100, 50],
        ),
        (
            "a lone silver is the best there is",
            vec![2, 0],
            vec![100, 0],
        ),
        (
            "no tiers anywhere: all stay 0",
            vec![0, 0, 0],
            vec![0, 0, 0],
        ),
        ("no nodes: nothing to do", vec![], vec![]),
    ];
    for (name, raw, want) in cases {
        let mut scores: Vec<NodeScore> = raw
            .iter()
            .enumerate()
            .map(|(i, &score)| NodeScore {
                name: format!("n{i}"),
                score,
            })
            .collect();
        let status = NodeLabelPreference.normalize_score(
            &CycleState::new(),
            &make_pod("p").obj(),
            &mut scores,
        );
        assert!(status.is_success(), "{name}: {status}");
        let got: Vec<i64> = scores.iter().map(|s| s.score).collect();
        assert_eq!(got, want, "{name}");
    }
}

/// The in-tree plugins plus ours: what a scheduler binary that ships the plugin would register.
fn registry() -> Registry {
    let mut registry = in_tree_registry();
    registry.insert(NAME, new);
    registry
}

/// A framework for one profile, from the YAML a `--config` file would hold. `None`: the
/// default profile, without our plugin.
fn framework(config: Option<&str>) -> Framework {
    let config = match config {
        Some(yaml) => KubeSchedulerConfiguration::from_yaml(yaml).expect("valid configuration"),
        None => KubeSchedulerConfiguration::default_config(),
    };
    new_framework(
        &config.profiles[0],
        None,
        &registry(),
        &FactoryContext::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The default plugins, and ours at Filter and at Score with weight 2.
const WITH_OUR_PLUGIN: &str = "
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: lab03
  plugins:
    filter:
      enabled:
      - name: NodeLabelPreference
    score:
      enabled:
      - name: NodeLabelPreference
        weight: 2
";

/// One scheduling decision, as `kubeling scheduler` makes it: the pod's node, or the
/// FailedScheduling message. Prints the explanation (`cargo test -- --nocapture`).
fn decide(framework: &Framework, snapshot: &Snapshot, pod: PodWrapper) -> Result<String, String> {
    let mut next_start_node_index = 0;
    let attempt = Attempt {
        framework,
        snapshot,
        nominated: &NominatedPods::new(),
        next_start_node_index: &mut next_start_node_index,
    };
    let mut explanation = Explanation {
        pod: "default/p".to_string(),
        profile: framework.profile_name.clone(),
        attempt: 1,
        ..Explanation::default()
    };
    // Seeded: equal totals are broken at random, and a test must not be.
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let pod = pod.obj();
    let result = schedule_pod(
        attempt,
        &mut CycleState::new(),
        &pod,
        &mut rng,
        &mut explanation,
    );
    let verdict = match result {
        Ok(r) => Ok(r.suggested_host),
        Err(ScheduleError::Fit(fit)) => Err(fit.to_string()),
        Err(ScheduleError::Internal(status)) => Err(format!("internal error: {status}")),
    };
    explanation.outcome = if verdict.is_ok() {
        "Scheduled"
    } else {
        "Unschedulable"
    }
    .into();
    explanation.message = match &verdict {
        Ok(node) => format!("to {node}"),
        Err(message) => message.clone(),
    };
    println!("{}", render(&explanation));
    verdict
}

/// Two nodes of the same size: `plain` is empty; `gold` is half full but has the gold tier.
fn two_nodes() -> Snapshot {
    let busy = make_pod("busy").node("gold").req("2", "4Gi").obj();
    Snapshot::new(vec![
        make_node("plain").capacity("4", "8Gi", 110).info(),
        make_node("gold")
            .labels(&[(TIER_LABEL, "gold")])
            .capacity("4", "8Gi", 110)
            .info_with(vec![busy]),
    ])
}

#[test]
fn the_plugin_is_built_by_name_and_takes_part_in_filter_and_score() {
    let plugin = new(None, &FactoryContext::default()).expect("no args is fine");
    assert_eq!(plugin.name(), "NodeLabelPreference");
    assert!(plugin.as_filter().is_some() && plugin.as_score().is_some());
    let framework = framework(Some(WITH_OUR_PLUGIN));
    assert!(framework.filter.iter().any(|p| p.name() == NAME));
    let ours = framework.score.iter().find(|w| w.plugin.name() == NAME);
    assert_eq!(ours.map(|w| w.weight), Some(2));
}

#[test]
fn with_the_plugin_a_pod_goes_to_the_gold_node_although_it_is_busier() {
    let pod = || make_pod("p").req("100m", "128Mi");
    // The default plugins prefer the empty node (NodeResourcesFit's LeastAllocated)...
    assert_eq!(
        decide(&framework(None), &two_nodes(), pod()),
        Ok("plain".into())
    );
    // ... our plugin adds 100 × 2 to the gold node, which outweighs that.
    assert_eq!(
        decide(&framework(Some(WITH_OUR_PLUGIN)), &two_nodes(), pod()),
        Ok("gold".into())
    );
}

#[test]
fn a_pod_needing_a_label_goes_where_it_is_or_nowhere_with_the_reason_counted_per_node() {
    let framework = framework(Some(WITH_OUR_PLUGIN));
    // Only the gold node has the tier label: the empty node is filtered out.
    assert_eq!(
        decide(&framework, &two_nodes(), pod_requiring(TIER_LABEL)),
        Ok("gold".into())
    );
    // No node has a disktype label: the FailedScheduling message of `kubectl describe pod`.
    let message = decide(&framework, &two_nodes(), pod_requiring("disktype"));
    let want = "0/2 nodes are available: 2 node(s) didn't have label disktype.";
    assert!(
        message.as_ref().is_err_and(|m| m.starts_with(want)),
        "want {want:?}..., got {message:?}"
    );
}

#[test]
fn a_failing_status_names_the_plugin_that_said_it() {
    // The framework, not the plugin, records which plugin returned a status; the scheduler
    // shows it in `kubeling explain` and uses it to decide which events may help the pod.
    let framework = framework(Some(WITH_OUR_PLUGIN));
    let (snapshot, pod) = (two_nodes(), pod_requiring("disktype").obj());
    // PreFilter first, as in a real cycle: some filters read what their PreFilter computed.
    let mut state = CycleState::new();
    let (_, status) = framework.run_pre_filter_plugins(&mut state, &pod, &snapshot);
    assert!(status.is_success(), "{status}");
    let verdicts = framework.run_filter_plugins(&state, &pod, &snapshot.list()[0]);
    let (plugin, status) = verdicts.last().expect("some filter ran");
    assert_eq!(*plugin, NAME);
    assert_eq!(
        status,
        &Status::unresolvable(reason("disktype")).with_plugin(NAME)
    );
}
