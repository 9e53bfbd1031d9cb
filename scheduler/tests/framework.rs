//! The framework's rules, with tiny recording plugins: extension-point order, Status handling,
//! weights, profile expansion, and the scheduling algorithm's arithmetic.

use k8s_openapi::api::core::v1::Pod;
use rand::SeedableRng;
use scheduler::config::KubeSchedulerConfiguration;
use scheduler::explain::Explanation;
use scheduler::framework::profile::new_framework;
use scheduler::framework::{
    Code, CycleState, FilterPlugin, Framework, NodeInfo, NodeScore, Plugin, PreFilterPlugin,
    PreFilterResult, PreScorePlugin, ReservePlugin, ScorePlugin, Snapshot, Status, WeightedPlugin,
};
use scheduler::plugins::{in_tree_registry, FactoryContext};
use scheduler::schedule_one::{
    num_feasible_nodes_to_find, schedule_pod, select_host, Attempt, NominatedPods, ScheduleError,
};
use scheduler::testing::{make_node, make_pod};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// A plugin that records every call into a shared log and answers as configured.
struct Recorder {
    name: &'static str,
    log: Arc<Mutex<Vec<String>>>,
    pre_filter: Code,
    pre_filter_nodes: Option<&'static [&'static str]>,
    /// Nodes this plugin's Filter rejects (Unschedulable, "rejected by NAME").
    rejects: &'static [&'static str],
    /// Score = this × node index digit (node names end in a digit).
    score_factor: i64,
    pre_score: Code,
}

impl Recorder {
    fn new(name: &'static str, log: &Arc<Mutex<Vec<String>>>) -> Recorder {
        Recorder {
            name,
            log: log.clone(),
            pre_filter: Code::Success,
            pre_filter_nodes: None,
            rejects: &[],
            score_factor: 1,
            pre_score: Code::Success,
        }
    }
    fn note(&self, what: &str) {
        self.log
            .lock()
            .unwrap()
            .push(format!("{}.{what}", self.name));
    }
}

impl Plugin for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }
    fn as_reserve(&self) -> Option<&dyn ReservePlugin> {
        Some(self)
    }
}

impl PreFilterPlugin for Recorder {
    fn pre_filter(
        &self,
        _: &mut CycleState,
        _: &Pod,
        _: &Snapshot,
    ) -> (Option<PreFilterResult>, Status) {
        self.note("PreFilter");
        let result = self.pre_filter_nodes.map(|nodes| PreFilterResult {
            node_names: Some(nodes.iter().map(|n| n.to_string()).collect()),
        });
        (result, Status::new(self.pre_filter, vec![]))
    }
}

impl FilterPlugin for Recorder {
    fn filter(&self, _: &CycleState, _: &Pod, node: &NodeInfo) -> Status {
        self.note(&format!("Filter({})", node.name()));
        if self.rejects.contains(&node.name()) {
            Status::unschedulable(format!("rejected by {}", self.name))
        } else {
            Status::success()
        }
    }
}

impl PreScorePlugin for Recorder {
    fn pre_score(&self, _: &mut CycleState, _: &Pod, _: &[Arc<NodeInfo>], _: &Snapshot) -> Status {
        self.note("PreScore");
        Status::new(self.pre_score, vec![])
    }
}

impl ScorePlugin for Recorder {
    fn score(&self, _: &CycleState, _: &Pod, node: &NodeInfo) -> (i64, Status) {
        self.note(&format!("Score({})", node.name()));
        let digit = node
            .name()
            .chars()
            .last()
            .and_then(|c| c.to_digit(10))
            .unwrap_or(0);
        (self.score_factor * i64::from(digit), Status::success())
    }
}

impl ReservePlugin for Recorder {
    fn reserve(&self, _: &mut CycleState, _: &Pod, _: &str) -> Status {
        self.note("Reserve");
        if self.rejects.contains(&"reserve") {
            Status::error("no")
        } else {
            Status::success()
        }
    }
    fn unreserve(&self, _: &mut CycleState, _: &Pod, _: &str) {
        self.note("Unreserve");
    }
}

fn framework(plugins: Vec<(Recorder, i64)>) -> Framework {
    let plugins: Vec<(Arc<dyn Plugin>, i64)> = plugins
        .into_iter()
        .map(|(p, w)| (Arc::new(p) as Arc<dyn Plugin>, w))
        .collect();
    let all: Vec<Arc<dyn Plugin>> = plugins.iter().map(|(p, _)| p.clone()).collect();
    Framework {
        profile_name: "test".into(),
        pre_filter: all.clone(),
        filter: all.clone(),
        pre_score: all.clone(),
        score: plugins
            .iter()
            .map(|(plugin, weight)| WeightedPlugin {
                plugin: plugin.clone(),
                weight: *weight,
            })
            .collect(),
        reserve: all,
        ..Framework::default()
    }
}

fn snapshot(names: &[&str]) -> Snapshot {
    Snapshot::new(
        names
            .iter()
            .map(|n| make_node(n).capacity("4", "8Gi", 110).info())
            .collect(),
    )
}

fn run(fwk: &Framework, snap: &Snapshot) -> (Result<String, ScheduleError>, Explanation) {
    let mut explanation = Explanation::default();
    let mut start = 0;
    let result = schedule_pod(
        Attempt {
            framework: fwk,
            snapshot: snap,
            nominated: &NominatedPods::new(),
            next_start_node_index: &mut start,
        },
        &mut CycleState::new(),
        &make_pod("p").obj(),
        &mut rand::rngs::StdRng::seed_from_u64(1),
        &mut explanation,
    )
    .map(|r| r.suggested_host);
    (result, explanation)
}

#[test]
fn extension_points_run_in_order_and_plugins_in_configured_order() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let fwk = framework(vec![
        (Recorder::new("A", &log), 1),
        (Recorder::new("B", &log), 1),
    ]);
    let (result, _) = run(&fwk, &snapshot(&["n1", "n2"]));
    assert_eq!(result.unwrap(), "n2");
    assert_eq!(
        *log.lock().unwrap(),
        [
            "A.PreFilter",
            "B.PreFilter",
            "A.Filter(n1)",
            "B.Filter(n1)",
            "A.Filter(n2)",
            "B.Filter(n2)",
            "A.PreScore",
            "B.PreScore",
            "A.Score(n1)",
            "A.Score(n2)",
            "B.Score(n1)",
            "B.Score(n2)",
        ]
    );
}

#[test]
fn the_first_filter_rejection_ends_that_nodes_checks() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut a = Recorder::new("A", &log);
    a.rejects = &["n1"];
    let fwk = framework(vec![(a, 1), (Recorder::new("B", &log), 1)]);
    let (result, explanation) = run(&fwk, &snapshot(&["n1", "n2"]));
    assert_eq!(result.unwrap(), "n2");
    let log = log.lock().unwrap();
    assert!(!log.contains(&"B.Filter(n1)".to_string()), "{log:?}");
    let n1 = explanation.nodes.iter().find(|n| n.name == "n1").unwrap();
    assert_eq!(n1.filters.len(), 1, "B did not run on n1");
    assert_eq!(n1.filters[0].reasons, ["rejected by A"]);
}

#[test]
fn a_prefilter_skip_skips_that_plugins_filter_and_a_prescore_skip_its_score() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut a = Recorder::new("A", &log);
    a.pre_filter = Code::Skip;
    a.pre_score = Code::Skip;
    a.rejects = &["n1", "n2"]; // would reject everything, but its Filter is skipped
    let fwk = framework(vec![(a, 1), (Recorder::new("B", &log), 1)]);
    let (result, _) = run(&fwk, &snapshot(&["n1", "n2"]));
    assert!(result.is_ok());
    let log = log.lock().unwrap();
    assert!(
        !log.iter()
            .any(|l| l.starts_with("A.Filter") || l.starts_with("A.Score")),
        "{log:?}"
    );
}

#[test]
fn a_prefilter_rejection_stops_the_cycle_with_its_message_for_every_node() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut a = Recorder::new("A", &log);
    a.pre_filter = Code::UnschedulableAndUnresolvable;
    let fwk = framework(vec![(a, 1)]);
    let (result, _) = run(&fwk, &snapshot(&["n1", "n2"]));
    let Err(ScheduleError::Fit(fit)) = result else {
        panic!("expected a FitError");
    };
    assert_eq!(fit.diagnosis.node_to_status.len(), 2);
    assert!(fit.diagnosis.unschedulable_plugins.contains("A"));
}

#[test]
fn prefilter_node_sets_are_intersected_and_an_empty_intersection_is_unresolvable() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut a = Recorder::new("A", &log);
    a.pre_filter_nodes = Some(&["n1", "n2"]);
    let mut b = Recorder::new("B", &log);
    b.pre_filter_nodes = Some(&["n2", "n3"]);
    let fwk = framework(vec![(a, 1), (b, 1)]);
    let (result, _) = run(&fwk, &snapshot(&["n1", "n2", "n3"]));
    assert_eq!(result.unwrap(), "n2", "only n2 is in both sets");

    let mut a = Recorder::new("A", &log);
    a.pre_filter_nodes = Some(&["n1"]);
    let mut b = Recorder::new("B", &log);
    b.pre_filter_nodes = Some(&["n3"]);
    let (status_result, _) = run(&framework(vec![(a, 1), (b, 1)]), &snapshot(&["n1", "n3"]));
    let Err(ScheduleError::Fit(fit)) = status_result else {
        panic!("expected a FitError");
    };
    assert_eq!(
        fit.to_string(),
        "0/2 nodes are available: node(s) didn't satisfy plugin(s) [A B] simultaneously."
    );
}

#[test]
fn weights_multiply_normalized_scores_before_they_are_summed() {
    let log = Arc::new(Mutex::new(Vec::new()));
    // A (weight 1) scores a node by its digit, B (weight 5) by twice its digit: n3 totals
    // 3 × 1 + 6 × 5 = 33 and wins; the explanation shows raw, normalized and weight.
    let a = Recorder::new("A", &log);
    let mut b = Recorder::new("B", &log);
    b.score_factor = 2;
    let fwk = framework(vec![(a, 1), (b, 5)]);
    let (result, explanation) = run(&fwk, &snapshot(&["n1", "n3"]));
    assert_eq!(result.unwrap(), "n3");
    let n3 = explanation.nodes.iter().find(|n| n.name == "n3").unwrap();
    assert_eq!(n3.total, Some(3 + 6 * 5));
    assert_eq!((n3.scores[1].raw, n3.scores[1].weight), (6, 5));
}

#[test]
fn a_failed_reserve_unreserves_every_plugin_in_reverse_order() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let a = Recorder::new("A", &log);
    let mut b = Recorder::new("B", &log);
    b.rejects = &["reserve"];
    let fwk = framework(vec![(a, 1), (b, 1)]);
    let status =
        fwk.run_reserve_plugins_reserve(&mut CycleState::new(), &make_pod("p").obj(), "n1");
    assert_eq!(status.code, Code::Error);
    assert_eq!(status.plugin, Some("B"));
    assert_eq!(
        *log.lock().unwrap(),
        ["A.Reserve", "B.Reserve", "B.Unreserve", "A.Unreserve"]
    );
}

#[test]
fn the_fit_error_counts_reasons_over_nodes_and_sorts_them() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut a = Recorder::new("A", &log);
    a.rejects = &["n1", "n2"];
    let mut b = Recorder::new("B", &log);
    b.rejects = &["n3"];
    let fwk = framework(vec![(a, 1), (b, 1)]);
    let (result, _) = run(&fwk, &snapshot(&["n1", "n2", "n3"]));
    let Err(ScheduleError::Fit(fit)) = result else {
        panic!("expected a FitError");
    };
    assert_eq!(
        fit.to_string(),
        "0/3 nodes are available: 1 rejected by B, 2 rejected by A."
    );
    assert_eq!(
        fit.diagnosis.unschedulable_plugins,
        HashSet::from(["A", "B"])
    );
}

#[test]
fn percentage_of_nodes_to_score_is_adaptive_with_a_floor_of_100_nodes() {
    let cases = [
        ("fewer than 100 nodes: all", None, 50, 50),
        ("1000 nodes: 42%", None, 1000, 420),
        ("5000 nodes: 10%", None, 5000, 500),
        ("20000 nodes: the 5% minimum", None, 20000, 1000),
        ("an explicit 30%", Some(30), 1000, 300),
        ("never fewer than 100", Some(1), 1000, 100),
        ("100% means all", Some(100), 1000, 1000),
    ];
    for (name, pct, nodes, want) in cases {
        assert_eq!(num_feasible_nodes_to_find(pct, nodes), want, "{name}");
    }
}

#[test]
fn ties_between_best_nodes_are_broken_at_random_not_always_the_first() {
    let totals = vec![
        ("a".to_string(), 10),
        ("b".to_string(), 10),
        ("c".to_string(), 3),
    ];
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let picks: HashSet<String> = (0..50).map(|_| select_host(&totals, &mut rng)).collect();
    assert_eq!(picks, HashSet::from(["a".to_string(), "b".to_string()]));
}

#[test]
fn the_default_profile_has_upstreams_plugins_and_weights() {
    let config = KubeSchedulerConfiguration::default_config();
    let fwk = new_framework(
        &config.profiles[0],
        None,
        &in_tree_registry(),
        &FactoryContext::default(),
    )
    .unwrap();
    let names = |v: &Vec<Arc<dyn Plugin>>| v.iter().map(|p| p.name()).collect::<Vec<_>>();
    assert_eq!(
        names(&fwk.filter),
        [
            "NodeUnschedulable",
            "NodeName",
            "TaintToleration",
            "NodeAffinity",
            "NodePorts",
            "NodeResourcesFit",
            "PodTopologySpread",
            "InterPodAffinity",
        ]
    );
    let weights: Vec<(&str, i64)> = fwk
        .score
        .iter()
        .map(|w| (w.plugin.name(), w.weight))
        .collect();
    assert_eq!(
        weights,
        [
            ("TaintToleration", 3),
            ("NodeAffinity", 2),
            ("NodeResourcesFit", 1),
            ("PodTopologySpread", 2),
            ("InterPodAffinity", 2),
            ("NodeResourcesBalancedAllocation", 1),
            ("ImageLocality", 1),
        ]
    );
    assert_eq!(names(&fwk.post_filter), ["DefaultPreemption"]);
    assert_eq!(names(&fwk.bind), ["DefaultBinder"]);
}

#[test]
fn a_profile_can_disable_change_weights_and_configure_plugins() {
    let config = KubeSchedulerConfiguration::from_yaml(
        r#"
profiles:
- schedulerName: packer
  plugins:
    multiPoint:
      disabled: [{name: ImageLocality}]
    score:
      enabled: [{name: NodeResourcesFit, weight: 5}]
      disabled: [{name: NodeResourcesBalancedAllocation}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
"#,
    )
    .unwrap();
    let fwk = new_framework(
        &config.profiles[0],
        None,
        &in_tree_registry(),
        &FactoryContext::default(),
    )
    .unwrap();
    let weights: Vec<(&str, i64)> = fwk
        .score
        .iter()
        .map(|w| (w.plugin.name(), w.weight))
        .collect();
    assert!(weights.contains(&("NodeResourcesFit", 5)), "{weights:?}");
    assert!(!weights
        .iter()
        .any(|(n, _)| *n == "ImageLocality" || *n == "NodeResourcesBalancedAllocation"));
    // MostAllocated: the fuller node scores higher.
    let pod = make_pod("p").req("1", "1Gi").obj();
    let busy = make_node("n1")
        .capacity("4", "8Gi", 110)
        .info_with(vec![make_pod("x").req("2", "4Gi").node("n1").obj()]);
    let idle = make_node("n2").capacity("4", "8Gi", 110).info();
    let snap = Snapshot::new(vec![busy, idle]);
    let mut explanation = Explanation::default();
    let mut start = 0;
    let host = schedule_pod(
        Attempt {
            framework: &fwk,
            snapshot: &snap,
            nominated: &NominatedPods::new(),
            next_start_node_index: &mut start,
        },
        &mut CycleState::new(),
        &pod,
        &mut rand::rngs::StdRng::seed_from_u64(1),
        &mut explanation,
    )
    .map(|r| r.suggested_host)
    .ok();
    assert_eq!(host.as_deref(), Some("n1"));
}

#[test]
fn unknown_plugins_and_plugins_at_the_wrong_point_are_refused_with_a_clear_message() {
    for (yaml, expected) in [
        (
            "profiles: [{plugins: {filter: {enabled: [{name: NoSuchPlugin}]}}}]",
            "plugin \"NoSuchPlugin\" does not exist",
        ),
        (
            "profiles: [{plugins: {score: {enabled: [{name: NodeName}]}}}]",
            "does not extend score plugin",
        ),
        (
            "profiles: [{plugins: {bind: {disabled: [{name: '*'}]}}}]",
            "at least one bind plugin",
        ),
    ] {
        let config = KubeSchedulerConfiguration::from_yaml(yaml).unwrap();
        let err = new_framework(
            &config.profiles[0],
            None,
            &in_tree_registry(),
            &FactoryContext::default(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(err.contains(expected), "{yaml}: {err}");
    }
}

#[test]
fn normalized_scores_outside_0_to_100_are_an_error() {
    struct Wild;
    impl Plugin for Wild {
        fn name(&self) -> &'static str {
            "Wild"
        }
        fn as_score(&self) -> Option<&dyn ScorePlugin> {
            Some(self)
        }
    }
    impl ScorePlugin for Wild {
        fn score(&self, _: &CycleState, _: &Pod, _: &NodeInfo) -> (i64, Status) {
            (500, Status::success())
        }
        fn normalize_score(&self, _: &CycleState, _: &Pod, _: &mut [NodeScore]) -> Status {
            Status::success()
        }
    }
    let fwk = Framework {
        score: vec![WeightedPlugin {
            plugin: Arc::new(Wild),
            weight: 1,
        }],
        ..Framework::default()
    };
    let snap = snapshot(&["n1"]);
    let err = fwk
        .run_score_plugins(&CycleState::new(), &make_pod("p").obj(), snap.list())
        .unwrap_err();
    assert_eq!(err.code, Code::Error);
    assert!(
        err.message().contains("invalid score 500"),
        "{}",
        err.message()
    );
}
