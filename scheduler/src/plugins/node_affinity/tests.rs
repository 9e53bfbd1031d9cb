//! NodeAffinity's tests, mirroring upstream's `node_affinity_test.go` cases.

use super::*;
use crate::framework::Code;
use crate::testing::{make_node, make_pod, NodeWrapper, PodWrapper};
use k8s_openapi::api::core::v1::{
    NodeAffinity as ApiNodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    PreferredSchedulingTerm,
};
use serde_json::{json, Value};

fn expr(key: &str, operator: &str, values: &[&str]) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: key.to_string(),
        operator: operator.to_string(),
        values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
    }
}

/// A term of label expressions.
fn term(exprs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
    NodeSelectorTerm {
        match_expressions: Some(exprs),
        match_fields: None,
    }
}

/// A term of `metadata.name In [name]` fields.
fn names_term(names: &[&str]) -> NodeSelectorTerm {
    let fields = names
        .iter()
        .map(|n| expr(OBJECT_NAME_FIELD, "In", &[n]))
        .collect();
    NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(fields),
    }
}

fn node_affinity_mut(pod: &mut Pod) -> &mut ApiNodeAffinity {
    let spec = pod.spec.get_or_insert_with(Default::default);
    let affinity = spec.affinity.get_or_insert_with(Default::default);
    affinity.node_affinity.get_or_insert_with(Default::default)
}

fn required(pod: PodWrapper, terms: Vec<NodeSelectorTerm>) -> PodWrapper {
    pod.with(|p| {
        node_affinity_mut(p).required_during_scheduling_ignored_during_execution =
            Some(NodeSelector {
                node_selector_terms: terms,
            });
    })
}

fn preferred(pod: PodWrapper, terms: Vec<(i32, NodeSelectorTerm)>) -> PodWrapper {
    let terms = terms
        .into_iter()
        .map(|(weight, preference)| PreferredSchedulingTerm { weight, preference })
        .collect();
    pod.with(|p| {
        node_affinity_mut(p).preferred_during_scheduling_ignored_during_execution = Some(terms);
    })
}

fn plugin(args: Option<Value>) -> NodeAffinity {
    NodeAffinity::from_args(args.as_ref()).expect("valid args")
}

/// Args adding a required affinity of these terms (given as JSON).
fn added_required(terms: Value) -> Option<Value> {
    Some(
        json!({"addedAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": terms}}}),
    )
}

/// Args adding preferred terms (given as JSON).
fn added_preferred(terms: Value) -> Option<Value> {
    Some(json!({"addedAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": terms}}))
}

const NO: Option<&str> = None;
const POD: Option<&str> = Some(ERR_REASON_POD);

#[test]
fn filter_requires_the_node_selector_and_one_matching_required_term() {
    let zone_bar =
        json!([{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["bar"]}]}]);
    let name_node2 =
        json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node2"]}]}]);
    let gpu_exists_not_amd = vec![
        expr("GPU", "Exists", &[]),
        expr("GPU", "NotIn", &["AMD", "INTER"]),
    ];
    // (name, pod, node, args, run PreFilter first, Filter's reason or None for a fit)
    type Case = (
        &'static str,
        PodWrapper,
        NodeWrapper,
        Option<Value>,
        bool,
        Option<&'static str>,
    );
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("missing labels", make_pod("p").node_selector(&[("foo", "bar")]), make_node("n"), None, true, POD),
        ("same labels", make_pod("p").node_selector(&[("foo", "bar")]), make_node("n").labels(&[("foo", "bar")]), None, true, NO),
        ("node labels are a superset", make_pod("p").node_selector(&[("foo", "bar")]),
            make_node("n").labels(&[("foo", "bar"), ("baz", "blah")]), None, true, NO),
        ("node labels are a subset", make_pod("p").node_selector(&[("foo", "bar"), ("baz", "blah")]),
            make_node("n").labels(&[("foo", "bar")]), None, true, POD),
        ("In matches one of the values", required(make_pod("p"), vec![term(vec![expr("foo", "In", &["bar", "value2"])])]),
            make_node("n").labels(&[("foo", "bar")]), None, true, NO),
        ("Gt compares as integers", required(make_pod("p"), vec![term(vec![expr("kernel-version", "Gt", &["0204"])])]),
            make_node("n").labels(&[("kernel-version", "0206")]), None, true, NO),
        ("Lt rejects a larger number", required(make_pod("p"), vec![term(vec![expr("kernel-version", "Lt", &["0204"])])]),
            make_node("n").labels(&[("kernel-version", "0206")]), None, true, POD),
        ("Gt with a non-number label does not match", required(make_pod("p"), vec![term(vec![expr("v", "Gt", &["1"])])]),
            make_node("n").labels(&[("v", "abc")]), None, true, POD),
        ("NotIn matches another value", required(make_pod("p"), vec![term(vec![expr("mem-type", "NotIn", &["DDR", "DDR2"])])]),
            make_node("n").labels(&[("mem-type", "DDR3")]), None, true, NO),
        ("Exists matches any value", required(make_pod("p"), vec![term(vec![expr("GPU", "Exists", &[])])]),
            make_node("n").labels(&[("GPU", "NVIDIA-GRID-K1")]), None, true, NO),
        ("DoesNotExist rejects a node with the label", required(make_pod("p"), vec![term(vec![expr("GPU", "DoesNotExist", &[])])]),
            make_node("n").labels(&[("GPU", "x")]), None, true, POD),
        ("affinity that does not match the node's labels", required(make_pod("p"), vec![term(vec![expr("foo", "In", &["value1", "value2"])])]),
            make_node("n").labels(&[("foo", "bar")]), None, true, POD),
        ("a term with empty matchExpressions matches nothing", required(make_pod("p"), vec![term(vec![])]),
            make_node("n").labels(&[("foo", "bar")]), None, true, POD),
        ("a required affinity without terms matches nothing", required(make_pod("p"), vec![]),
            make_node("n").labels(&[("foo", "bar")]), None, true, POD),
        ("a pod without affinity fits", make_pod("p"), make_node("n").labels(&[("foo", "bar")]), None, true, NO),
        ("expressions in a term are ANDed and all match", required(make_pod("p"), vec![term(gpu_exists_not_amd.clone())]),
            make_node("n").labels(&[("GPU", "NVIDIA-GRID-K1")]), None, true, NO),
        ("expressions in a term are ANDed and one fails", required(make_pod("p"),
            vec![term(vec![expr("GPU", "Exists", &[]), expr("GPU", "In", &["AMD", "INTER"])])]),
            make_node("n").labels(&[("GPU", "NVIDIA-GRID-K1")]), None, true, POD),
        ("terms are ORed: one matching term is enough", required(make_pod("p"), vec![
            term(vec![expr("foo", "In", &["bar", "value2"])]), term(vec![expr("diffkey", "In", &["wrong", "value2"])])]),
            make_node("n").labels(&[("foo", "bar")]), None, true, NO),
        ("affinity and nodeSelector both satisfied", required(make_pod("p").node_selector(&[("foo", "bar")]),
            vec![term(vec![expr("foo", "Exists", &[])])]), make_node("n").labels(&[("foo", "bar")]), None, true, NO),
        ("affinity satisfied but nodeSelector not", required(make_pod("p").node_selector(&[("foo", "bar")]),
            vec![term(vec![expr("foo", "Exists", &[])])]), make_node("n").labels(&[("foo", "barrrrrr")]), None, true, POD),
        ("an invalid value makes the term match nothing, even with NotIn", required(make_pod("p"),
            vec![term(vec![expr("foo", "NotIn", &["invalid value: ___@#$%^"])])]), make_node("n").labels(&[("foo", "bar")]), None, true, POD),
        ("an invalid key makes the term match nothing", required(make_pod("p"), vec![term(vec![expr("bad key", "DoesNotExist", &[])])]),
            make_node("n"), None, true, POD),
        ("an unknown operator makes the term match nothing", required(make_pod("p"), vec![term(vec![expr("foo", "Like", &["bar"])])]),
            make_node("n").labels(&[("foo", "bar")]), None, true, POD),
        ("matchFields In matching the node's name", required(make_pod("p"), vec![names_term(&["node1"])]), make_node("node1"), None, true, NO),
        ("matchFields In naming another node", required(make_pod("p"), vec![names_term(&["node1"])]), make_node("node2"), None, true, POD),
        ("matchFields NotIn naming another node", required(make_pod("p"),
            vec![NodeSelectorTerm { match_fields: Some(vec![expr(OBJECT_NAME_FIELD, "NotIn", &["node1"])]), match_expressions: None }]),
            make_node("node2"), None, true, NO),
        ("two terms: fields miss but expressions match", required(make_pod("p"),
            vec![names_term(&["node1", "node2"]), term(vec![expr("foo", "In", &["bar"])])]),
            make_node("node2").labels(&[("foo", "bar")]), None, true, NO),
        ("one term: fields miss though expressions match", required(make_pod("p"), vec![NodeSelectorTerm {
                match_fields: Some(vec![expr(OBJECT_NAME_FIELD, "In", &["node1"])]),
                match_expressions: Some(vec![expr("foo", "In", &["bar"])]) }]),
            make_node("node2").labels(&[("foo", "bar")]), None, true, POD),
        ("one term: fields and expressions both match", required(make_pod("p"), vec![NodeSelectorTerm {
                match_fields: Some(vec![expr(OBJECT_NAME_FIELD, "In", &["node1"])]),
                match_expressions: Some(vec![expr("foo", "In", &["bar"])]) }]),
            make_node("node1").labels(&[("foo", "bar")]), None, true, NO),
        ("two conflicting field requirements in one term", required(make_pod("p"), vec![names_term(&["node1", "node2"])]),
            make_node("node2").labels(&[("foo", "bar")]), None, true, POD),
        ("matches the added affinity and the pod's own", required(make_pod("p"), vec![term(vec![expr("zone", "In", &["foo"])])]),
            make_node("node2").labels(&[("zone", "foo")]), added_required(name_node2.clone()), true, NO),
        ("matches the added affinity but not the pod's own", required(make_pod("p"), vec![term(vec![expr("zone", "In", &["bar"])])]),
            make_node("node2").labels(&[("zone", "foo")]), added_required(name_node2), true, POD),
        ("does not match the added affinity", make_pod("p"), make_node("node2").labels(&[("zone", "foo")]),
            added_required(zone_bar), true, Some(ERR_REASON_ENFORCED)),
        ("nodeSelector checked even if PreFilter did not run", make_pod("p").node_selector(&[("foo", "bar")]),
            make_node("n").labels(&[("foo", "bar"), ("baz", "blah")]), None, false, NO),
        ("affinity checked even if PreFilter did not run", required(make_pod("p"), vec![term(gpu_exists_not_amd)]),
            make_node("n").labels(&[("GPU", "NVIDIA-GRID-K1")]), None, false, NO),
        ("a mismatch found even if PreFilter did not run", make_pod("p").node_selector(&[("foo", "bar")]),
            make_node("n"), None, false, POD),
    ];
    for (name, pod, node, args, run_pre_filter, want) in cases {
        let pl = plugin(args);
        let pod = pod.obj();
        let mut state = CycleState::new();
        if run_pre_filter {
            let _ = pl.pre_filter(&mut state, &pod, &Snapshot::default());
        }
        let status = pl.filter(&state, &pod, &node.info());
        match want {
            None => assert!(status.is_success(), "{name}: {status}"),
            Some(reason) => {
                assert_eq!(status.code, Code::UnschedulableAndUnresolvable, "{name}");
                assert_eq!(status.reasons, vec![reason.to_string()], "{name}");
            }
        }
    }
}

#[test]
fn pre_filter_skips_unconstrained_pods_and_narrows_to_named_nodes() {
    let only_preferred = preferred(
        make_pod("p"),
        vec![(1, term(vec![expr("a", "Exists", &[])]))],
    );
    let name_not_in = NodeSelectorTerm {
        match_fields: Some(vec![expr(OBJECT_NAME_FIELD, "NotIn", &["node1"])]),
        match_expressions: None,
    };
    let any_zone = json!([{"matchExpressions": [{"key": "zone", "operator": "Exists"}]}]);
    // (name, pod, args, PreFilter's code, the nodes it narrows to)
    type Case = (
        &'static str,
        PodWrapper,
        Option<Value>,
        Code,
        Option<Vec<&'static str>>,
    );
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("a pod without affinity or nodeSelector skips", make_pod("p"), None, Code::Skip, None),
        ("a pod with only preferred affinity skips", only_preferred, None, Code::Skip, None),
        ("a nodeSelector does not narrow", make_pod("p").node_selector(&[("a", "b")]), None, Code::Success, None),
        ("an added affinity alone does not skip", make_pod("p"), added_required(any_zone), Code::Success, None),
        ("a required affinity without terms does not narrow", required(make_pod("p"), vec![]), None, Code::Success, None),
        ("a metadata.name term narrows to that node", required(make_pod("p"), vec![names_term(&["node1"])]),
            None, Code::Success, Some(vec!["node1"])),
        ("names from several terms are united", required(make_pod("p"), vec![names_term(&["node1"]), names_term(&["node2"])]),
            None, Code::Success, Some(vec!["node1", "node2"])),
        ("one term without names means any node", required(make_pod("p"),
            vec![names_term(&["node1"]), term(vec![expr("foo", "In", &["bar"])])]), None, Code::Success, None),
        ("NotIn does not narrow", required(make_pod("p"), vec![name_not_in]), None, Code::Success, None),
        ("names in one term are intersected, and may conflict", required(make_pod("p"), vec![names_term(&["node1", "node2"])]),
            None, Code::UnschedulableAndUnresolvable, None),
    ];
    for (name, pod, args, want_code, want_nodes) in cases {
        let mut state = CycleState::new();
        let (result, status) =
            plugin(args).pre_filter(&mut state, &pod.obj(), &Snapshot::default());
        assert_eq!(status.code, want_code, "{name}: {status}");
        if want_code == Code::UnschedulableAndUnresolvable {
            assert_eq!(status.reasons, vec![ERR_REASON_CONFLICT], "{name}");
        }
        let want = want_nodes.map(|names| PreFilterResult {
            node_names: Some(names.into_iter().map(str::to_string).collect()),
        });
        assert_eq!(result, want, "{name}");
    }
}

/// PreScore (unless `run_pre_score` is false), Score and NormalizeScore over the nodes;
/// `None` when PreScore skipped.
fn scores(
    pl: &NodeAffinity,
    pod: &Pod,
    nodes: Vec<NodeWrapper>,
    run_pre_score: bool,
) -> Option<Vec<i64>> {
    let nodes: Vec<Arc<NodeInfo>> = nodes.into_iter().map(|n| Arc::new(n.info())).collect();
    let mut state = CycleState::new();
    if run_pre_score {
        let status = pl.pre_score(&mut state, pod, &nodes, &Snapshot::default());
        if status.is_skip() {
            return None;
        }
        assert!(status.is_success(), "{status}");
    }
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
    assert!(pl.normalize_score(&state, pod, &mut list).is_success());
    Some(list.into_iter().map(|s| s.score).collect())
}

#[test]
fn score_sums_the_weights_of_matching_preferred_terms_then_normalizes() {
    let foo_bar = || term(vec![expr("foo", "In", &["bar"])]);
    let affinity1 = |p| preferred(p, vec![(2, foo_bar())]);
    let affinity2 = |p| {
        preferred(
            p,
            vec![
                (2, foo_bar()),
                (4, term(vec![expr("key", "In", &["value"])])),
                (
                    5,
                    term(vec![
                        expr("foo", "In", &["bar"]),
                        expr("key", "In", &["value"]),
                        expr("az", "In", &["az1"]),
                    ]),
                ),
            ],
        )
    };
    let label1 = &[("foo", "bar")];
    let label2 = &[("key", "value")];
    let label3 = &[("az", "az1")];
    let label4 = &[("abc", "az11"), ("def", "az22")];
    let label5 = &[("foo", "bar"), ("key", "value"), ("az", "az1")];
    let n = |name: &str, labels: &[(&str, &str)]| make_node(name).labels(labels);
    let added_foo_bar = added_preferred(
        json!([{"weight": 2, "preference": {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["bar"]}]}}]),
    );
    let added_key_value = added_preferred(
        json!([{"weight": 3, "preference": {"matchExpressions": [{"key": "key", "operator": "In", "values": ["value"]}]}}]),
    );
    // (name, pod, nodes, args, run PreScore first, normalized scores or None when skipped)
    type Case = (
        &'static str,
        PodWrapper,
        Vec<NodeWrapper>,
        Option<Value>,
        bool,
        Option<Vec<i64>>,
    );
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("a pod without preferences skips scoring", make_pod("p"),
            vec![n("node1", label1), n("node2", label2)], None, true, None),
        ("no node matches: all zero", affinity1(make_pod("p")),
            vec![n("node1", label4), n("node2", label2), n("node3", label3)], None, true, Some(vec![0, 0, 0])),
        ("only node1 matches", affinity1(make_pod("p")),
            vec![n("node1", label1), n("node2", label2), n("node3", label3)], None, true, Some(vec![100, 0, 0])),
        // raw 2, 11, 4 → 2×100/11 = 18, 100, 4×100/11 = 36
        ("all match with different sums", affinity2(make_pod("p")),
            vec![n("node1", label1), n("node5", label5), n("node2", label2)], None, true, Some(vec![18, 100, 36])),
        ("added preferred terms score pods without their own", make_pod("p"),
            vec![n("node1", label1), n("node2", label2)], added_foo_bar, true, Some(vec![100, 0])),
        // raw 2, 3, 5
        ("added and own preferences add up", affinity1(make_pod("p")),
            vec![n("node1", label1), n("node2", label2), n("node3", label5)], added_key_value, true, Some(vec![40, 60, 100])),
        ("scores are right even if PreScore did not run", affinity2(make_pod("p")),
            vec![n("node1", label1), n("node5", label5), n("node2", label2)], None, false, Some(vec![18, 100, 36])),
        ("terms of weight 0 are ignored", preferred(make_pod("p"), vec![(0, foo_bar()), (1, term(vec![expr("key", "Exists", &[])]))]),
            vec![n("node1", label1), n("node2", label2)], None, true, Some(vec![0, 100])),
    ];
    for (name, pod, nodes, args, run_pre_score, want) in cases {
        assert_eq!(
            scores(&plugin(args), &pod.obj(), nodes, run_pre_score),
            want,
            "{name}"
        );
    }
}

#[test]
fn broken_preferred_terms_of_a_pod_are_an_error_in_pre_score() {
    let pod = preferred(make_pod("p"), vec![(1, term(vec![expr("foo", "In", &[])]))]).obj();
    let status = plugin(None).pre_score(&mut CycleState::new(), &pod, &[], &Snapshot::default());
    assert_eq!(status.code, Code::Error);
    assert_eq!(
        status.message(),
        "[0].matchExpressions[0].values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"
    );
}

#[test]
fn args_are_read_like_upstream_node_affinity_args_and_checked() {
    // One required term holding this one expression (JSON), at `{req}.matchExpressions[0]`.
    let required_expr = |e: Value| added_required(json!([{"matchExpressions": [e]}]));
    let req = "addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]";
    let pref = "addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]";
    let typed = json!({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "NodeAffinityArgs"});
    let two_names = json!([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a", "b"]}]}]);
    let exists_with_value = json!([{"weight": 1, "preference": {"matchExpressions": [
        {"key": "v", "operator": "Exists", "values": ["x"]}]}}]);
    let two_problems = json!([{"matchExpressions": [
        {"key": "a", "operator": "In"}, {"key": "b", "operator": "Lt", "values": ["1", "2"]}]}]);
    #[rustfmt::skip]
    let cases: Vec<(&str, Option<Value>, Result<(), String>)> = vec![
        ("no args", None, Ok(())),
        ("empty args", Some(json!({})), Ok(())),
        ("typed args as in a v1 configuration", Some(typed), Ok(())),
        ("a valid added affinity", required_expr(json!({"key": "zone", "operator": "In", "values": ["a"]})), Ok(())),
        ("args of another kind", Some(json!({"kind": "NodePortsArgs"})),
            Err("args are not of type NodeAffinityArgs, got kind \"NodePortsArgs\"".into())),
        ("a misspelled field", Some(json!({"addedAfinity": {}})), Err("unknown field `addedAfinity`".into())),
        ("an unknown operator", required_expr(json!({"key": "zone", "operator": "Foo", "values": ["a"]})),
            Err(format!("{req}.matchExpressions[0].operator: Unsupported value: \"Foo\": supported values: \"In\", \"NotIn\"")),
        ),
        ("a key no label can have", required_expr(json!({"key": "a/b/c", "operator": "Exists"})),
            Err(format!("{req}.matchExpressions[0].key: Invalid value: \"a/b/c\": must be a valid label key")),
        ),
        ("a field requirement with two values", added_required(two_names),
            Err(format!("{req}.matchFields[0].values: Invalid value: [\"a\", \"b\"]: must have one element")),
        ),
        ("Gt with a word", required_expr(json!({"key": "v", "operator": "Gt", "values": ["ten"]})),
            Err(format!("{req}.matchExpressions[0].values[0]: Invalid value: \"ten\": for 'Gt', 'Lt' operators, the value must be an integer")),
        ),
        ("Exists with values, in a preferred term", added_preferred(exists_with_value),
            Err(format!("{pref}.matchExpressions[0].values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist")),
        ),
        ("several problems are listed together", added_required(two_problems),
            Err(format!("[{req}.matchExpressions[0].values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty, \
                {req}.matchExpressions[1].values: Invalid value: [\"1\", \"2\"]: for 'Gt', 'Lt' operators, exactly one value is required]")),
        ),
    ];
    for (name, args, want) in cases {
        let got = NodeAffinity::from_args(args.as_ref()).map(|_| ());
        match (got, want) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(want)) => assert!(e.contains(&want), "{name}: got {e:?}, want {want:?}"),
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
    }
    let not_an_object = Some(json!({"addedAffinity": 5}));
    assert!(new(not_an_object.as_ref(), &FactoryContext::default()).is_err());
}

#[test]
fn node_events_may_make_a_rejected_pod_fit() {
    let events = plugin(None).events_to_register();
    assert_eq!(
        events,
        vec![ClusterEvent::NODE_ADD, ClusterEvent::NODE_UPDATE]
    );
}
