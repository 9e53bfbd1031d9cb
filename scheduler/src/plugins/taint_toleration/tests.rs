//! TaintToleration's tests, mirroring upstream's `taint_toleration_test.go` cases.

use super::*;
use crate::framework::Code;
use crate::testing::{make_node, make_pod, NodeWrapper, PodWrapper};

fn toleration(key: &str, operator: &str, value: &str, effect: &str) -> Toleration {
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    Toleration {
        key: some(key),
        operator: some(operator),
        value: some(value),
        effect: some(effect),
        toleration_seconds: None,
    }
}

fn taint(key: &str, value: &str, effect: &str) -> Taint {
    Taint {
        key: key.to_string(),
        value: (!value.is_empty()).then(|| value.to_string()),
        effect: effect.to_string(),
        time_added: None,
    }
}

#[test]
fn a_toleration_matches_a_taint_by_key_operator_value_and_effect() {
    let cases = [
        (
            "equal key, value and effect",
            toleration("k", "Equal", "v", "NoSchedule"),
            true,
        ),
        (
            "an empty operator means Equal",
            toleration("k", "", "v", "NoSchedule"),
            true,
        ),
        (
            "a different value",
            toleration("k", "Equal", "w", "NoSchedule"),
            false,
        ),
        (
            "Exists ignores the value",
            toleration("k", "Exists", "", "NoSchedule"),
            true,
        ),
        (
            "a different key",
            toleration("x", "Exists", "", "NoSchedule"),
            false,
        ),
        (
            "a different effect",
            toleration("k", "Exists", "", "NoExecute"),
            false,
        ),
        (
            "an empty effect matches every effect",
            toleration("k", "Equal", "v", ""),
            true,
        ),
        (
            "an empty key with Exists matches every taint",
            toleration("", "Exists", "", ""),
            true,
        ),
        (
            "an unknown operator matches nothing",
            toleration("k", "Gt", "v", ""),
            false,
        ),
    ];
    let t = taint("k", "v", "NoSchedule");
    for (name, tol, want) in cases {
        assert_eq!(toleration_tolerates_taint(&tol, &t), want, "{name}");
    }
}

#[test]
fn filter_rejects_nodes_with_untolerated_no_schedule_or_no_execute_taints() {
    let no_effect_equal = |p: PodWrapper| {
        p.with(|pod| {
            let spec = pod.spec.get_or_insert_with(Default::default);
            spec.tolerations = Some(vec![toleration("foo", "Equal", "bar", "")]);
        })
    };
    type Case = (&'static str, PodWrapper, NodeWrapper, Option<&'static str>);
    let cases: Vec<Case> = vec![
        (
            "a pod without tolerations cannot land on a tainted node",
            make_pod("p"),
            make_node("n").taint("dedicated", "user1", "NoSchedule"),
            Some("node(s) had untolerated taint {dedicated: user1}"),
        ),
        (
            "a pod tolerating the exact taint can land",
            make_pod("p").toleration("dedicated", "user1", "NoSchedule"),
            make_node("n").taint("dedicated", "user1", "NoSchedule"),
            None,
        ),
        (
            "a toleration for another value does not help",
            make_pod("p").toleration("dedicated", "user2", "NoSchedule"),
            make_node("n").taint("dedicated", "user1", "NoSchedule"),
            Some("node(s) had untolerated taint {dedicated: user1}"),
        ),
        (
            "an Exists toleration tolerates any value of the key",
            make_pod("p").toleration("foo", "", "NoSchedule"),
            make_node("n").taint("foo", "bar", "NoSchedule"),
            None,
        ),
        (
            "every taint must be tolerated, and all are",
            make_pod("p")
                .toleration("dedicated", "user2", "NoSchedule")
                .toleration("foo", "", "NoSchedule"),
            make_node("n")
                .taint("dedicated", "user2", "NoSchedule")
                .taint("foo", "bar", "NoSchedule"),
            None,
        ),
        (
            "a toleration with another non-empty effect does not help",
            make_pod("p").toleration("foo", "bar", "PreferNoSchedule"),
            make_node("n").taint("foo", "bar", "NoSchedule"),
            Some("node(s) had untolerated taint {foo: bar}"),
        ),
        (
            "a toleration with no effect tolerates the NoSchedule taint",
            no_effect_equal(make_pod("p")),
            make_node("n").taint("foo", "bar", "NoSchedule"),
            None,
        ),
        (
            "PreferNoSchedule taints never filter",
            make_pod("p").toleration("dedicated", "user2", "NoSchedule"),
            make_node("n").taint("dedicated", "user1", "PreferNoSchedule"),
            None,
        ),
        (
            "NoExecute taints filter too, and a valueless taint prints an empty value",
            make_pod("p"),
            make_node("n").taint("node.kubernetes.io/not-ready", "", "NoExecute"),
            Some("node(s) had untolerated taint {node.kubernetes.io/not-ready: }"),
        ),
        (
            "the first untolerated taint is the one reported",
            make_pod("p").toleration("a", "", ""),
            make_node("n")
                .taint("a", "1", "NoSchedule")
                .taint("b", "2", "NoSchedule")
                .taint("c", "3", "NoExecute"),
            Some("node(s) had untolerated taint {b: 2}"),
        ),
    ];
    for (name, pod, node, want) in cases {
        let status = TaintToleration.filter(&CycleState::new(), &pod.obj(), &node.info());
        match want {
            None => assert!(status.is_success(), "{name}: {status}"),
            Some(reason) => {
                assert_eq!(status.code, Code::UnschedulableAndUnresolvable, "{name}");
                assert_eq!(status.reasons, vec![reason.to_string()], "{name}");
            }
        }
    }
}

/// Run PreScore, Score on every node, and NormalizeScore; return (raw, normalized).
fn scores(pod: &Pod, nodes: Vec<NodeInfo>) -> (Vec<i64>, Vec<i64>) {
    let nodes: Vec<Arc<NodeInfo>> = nodes.into_iter().map(Arc::new).collect();
    let mut state = CycleState::new();
    let pl = TaintToleration;
    let status = pl.pre_score(&mut state, pod, &nodes, &Snapshot::default());
    assert!(status.is_success(), "{status}");
    let mut list: Vec<NodeScore> = nodes
        .iter()
        .map(|n| {
            let (score, status) = pl.score(&state, pod, n);
            assert!(status.is_success(), "{status}");
            NodeScore {
                name: n.name().to_string(),
                score,
            }
        })
        .collect();
    let raw = list.iter().map(|s| s.score).collect();
    assert!(pl.normalize_score(&state, pod, &mut list).is_success());
    (raw, list.into_iter().map(|s| s.score).collect())
}

#[test]
fn score_prefers_nodes_with_fewer_intolerable_prefer_no_schedule_taints() {
    let cases = [
        (
            "nodes without taints all get the top score",
            make_pod("p"),
            vec![make_node("a"), make_node("b")],
            vec![0, 0],
            vec![100, 100],
        ),
        (
            "a tolerated taint does not count",
            make_pod("p").toleration("foo", "bar", "PreferNoSchedule"),
            vec![
                make_node("a").taint("foo", "bar", "PreferNoSchedule"),
                make_node("b").taint("foo", "blah", "PreferNoSchedule"),
            ],
            vec![0, 1],
            vec![100, 0],
        ),
        (
            "the more intolerable taints, the lower the score",
            make_pod("p").toleration("foo", "bar", "PreferNoSchedule"),
            vec![
                make_node("a"),
                make_node("b").taint("cpu-type", "arm64", "PreferNoSchedule"),
                make_node("c")
                    .taint("cpu-type", "arm64", "PreferNoSchedule")
                    .taint("disk-type", "ssd", "PreferNoSchedule"),
            ],
            vec![0, 1, 2],
            vec![100, 50, 0],
        ),
        (
            "only PreferNoSchedule taints and tolerations count",
            make_pod("p")
                .toleration("cpu-type", "arm64", "NoSchedule")
                .toleration("disk-type", "ssd", "NoSchedule"),
            vec![
                make_node("a"),
                make_node("b").taint("cpu-type", "arm64", "NoSchedule"),
                make_node("c")
                    .taint("cpu-type", "arm64", "PreferNoSchedule")
                    .taint("disk-type", "ssd", "PreferNoSchedule"),
            ],
            vec![0, 0, 2],
            vec![100, 100, 0],
        ),
        (
            "a toleration without effect also tolerates PreferNoSchedule taints",
            make_pod("p").toleration("cpu-type", "", ""),
            vec![
                make_node("a").taint("cpu-type", "arm64", "PreferNoSchedule"),
                make_node("b").taint("disk-type", "ssd", "PreferNoSchedule"),
            ],
            vec![0, 1],
            vec![100, 0],
        ),
    ];
    for (name, pod, nodes, want_raw, want_normalized) in cases {
        let infos = nodes.into_iter().map(NodeWrapper::info).collect();
        let (raw, normalized) = scores(&pod.obj(), infos);
        assert_eq!(raw, want_raw, "{name}: raw");
        assert_eq!(normalized, want_normalized, "{name}: normalized");
    }
}

#[test]
fn score_without_pre_score_is_an_error_not_a_panic() {
    let (_, status) = TaintToleration.score(
        &CycleState::new(),
        &make_pod("p").obj(),
        &make_node("n").info(),
    );
    assert_eq!(status.code, Code::Error);
}

#[test]
fn default_normalize_score_scales_to_the_highest_and_can_reverse() {
    let list = |scores: &[i64]| -> Vec<NodeScore> {
        let named = scores.iter().enumerate();
        named
            .map(|(i, s)| NodeScore {
                name: format!("n{i}"),
                score: *s,
            })
            .collect()
    };
    let cases = [
        (
            "scaled to the maximum",
            vec![1, 2, 4],
            false,
            vec![25, 50, 100],
        ),
        ("reversed", vec![1, 2, 4], true, vec![75, 50, 0]),
        ("all zero stays zero", vec![0, 0], false, vec![0, 0]),
        (
            "all zero reversed is all top",
            vec![0, 0],
            true,
            vec![100, 100],
        ),
        (
            "integer division rounds down",
            vec![1, 3],
            false,
            vec![33, 100],
        ),
    ];
    for (name, input, reverse, want) in cases {
        let mut scores = list(&input);
        default_normalize_score(MAX_NODE_SCORE, reverse, &mut scores);
        let got: Vec<i64> = scores.iter().map(|s| s.score).collect();
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn the_plugin_takes_no_arguments() {
    assert!(new(None, &FactoryContext::default()).is_ok());
    let err = new(
        Some(&serde_json::json!({"x": 1})),
        &FactoryContext::default(),
    );
    assert_eq!(
        err.err().as_deref(),
        Some("TaintToleration takes no arguments")
    );
}
