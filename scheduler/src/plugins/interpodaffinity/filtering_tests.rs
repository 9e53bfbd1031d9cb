//! PreFilter/Filter/AddPod/RemovePod, mirroring upstream's `filtering_test.go`
//! (`TestRequiredAffinitySingleNode`,
//! `TestPreFilterStateAddRemovePod`, `TestGetTPMapMatchingIncomingAffinityAntiAffinity`).
//! Upstream's pods in namespace "" are kubeling's pods in `default`.

use super::filtering::{
    PreFilterState, TopologyPair, TopologyToMatchedTermCount, PRE_FILTER_STATE_KEY,
};
use super::testutil::*;
use super::*;
use crate::framework::{Code, CycleState, FilterPlugin, PodInfo, PreFilterPlugin, Status};
use crate::testing::make_pod;
use k8s_openapi::api::core::v1::{Node, Pod};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) fn plugin() -> InterPodAffinity {
    InterPodAffinity::new(InterPodAffinityArgs::default())
}

/// Upstream's test namespaces and their labels.
pub fn namespaces() -> Arc<dyn NamespaceLister> {
    let team1 = labels(&[("team", "team1")]);
    let team2 = labels(&[("team", "team2")]);
    Arc::new(BTreeMap::from([
        ("subteam1.team1".to_string(), team1.clone()),
        ("subteam2.team1".to_string(), team1),
        ("subteam1.team2".to_string(), team2.clone()),
        ("subteam2.team2".to_string(), team2),
    ]))
}

pub(super) fn ok() -> Status {
    Status::success()
}
pub(super) fn affinity_fails() -> Status {
    Status::unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH)
}
pub(super) fn anti_fails() -> Status {
    Status::unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH)
}
pub(super) fn existing_fails() -> Status {
    Status::unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH)
}

/// Run PreFilter, then (if it succeeded) Filter on every node; compare with the wants.
pub(super) fn check(
    name: &str,
    plugin: &InterPodAffinity,
    (pod, pods, nodes): (Pod, Vec<Pod>, Vec<Node>),
    want_pre_filter: Status,
    want_filter: Vec<Status>,
) {
    let snapshot = snapshot(&pods, &nodes);
    let mut state = CycleState::new();
    let (_, status) = plugin.pre_filter(&mut state, &pod, &snapshot);
    assert_eq!(status, want_pre_filter, "{name}: PreFilter");
    if !status.is_success() {
        return;
    }
    let got: Vec<Status> = snapshot
        .list()
        .iter()
        .map(|n| plugin.filter(&state, &pod, n))
        .collect();
    assert_eq!(got, want_filter, "{name}: Filter");
}

#[test]
fn required_affinity_on_a_single_node_gives_upstreams_verdicts() {
    let node1 = || vec![node("node1", &[("region", "r1"), ("zone", "z11")])];
    let existing = || {
        make_pod("existing")
            .labels(&[("service", "securityscan")])
            .node("node1")
    };
    let s1 = [("security", "S1")];
    let scan = [("service", "securityscan")];
    let in_scan = || term_in("service", &["securityscan", "value2"], "region");
    let anti_virus = || term_in("service", &["antivirusscan", "value2"], "node");
    let team1 = |t| in_namespaces_labelled(t, "team", &["team1"]);
    let cases: Vec<(&str, Pod, Vec<Pod>, Status, Status)> = vec![
        (
            "a pod without required pod affinity skips PreFilter when no pod has anti-affinity",
            make_pod("p").obj(),
            vec![],
            Status::skip(),
            ok(),
        ),
        (
            "an In term matching the existing pod is satisfied",
            make_pod("p").labels(&s1).affinity(&affinity().required(in_scan())).obj(),
            vec![existing().obj()],
            ok(),
            ok(),
        ),
        (
            "a NotIn term matching the existing pod is satisfied",
            make_pod("p")
                .labels(&s1)
                .affinity(&affinity().required(term_not_in("service", &["securityscan3", "value2"], "region")))
                .obj(),
            vec![existing().obj()],
            ok(),
            ok(),
        ),
        (
            "a matching pod in another namespace does not satisfy the term",
            make_pod("p")
                .labels(&s1)
                .affinity(&affinity().required({
                    let mut t = term_in("service", &["securityscan", "value2"], "");
                    t.namespaces = Some(vec!["DiffNameSpace".to_string()]);
                    t
                }))
                .obj(),
            vec![existing().namespace("ns").obj()],
            ok(),
            affinity_fails(),
        ),
        (
            "a selector the existing pod does not match is not satisfied",
            make_pod("p")
                .labels(&scan)
                .affinity(&affinity().required(term_in("service", &["antivirusscan", "value2"], "")))
                .obj(),
            vec![existing().obj()],
            ok(),
            affinity_fails(),
        ),
        (
            "several terms with different operators are all satisfied by the existing pod",
            make_pod("p")
                .labels(&s1)
                .affinity(
                    &affinity()
                        .required(term(vec![expr("service", "Exists", &[]), expr("wrongkey", "DoesNotExist", &[])], "region"))
                        .required(term(vec![expr("service", "In", &["securityscan"]), expr("service", "NotIn", &["WrongValue"])], "region")),
                )
                .obj(),
            vec![existing().obj()],
            ok(),
            ok(),
        ),
        (
            "the requirements of a selector are ANDed: one failing requirement fails the term",
            make_pod("p")
                .labels(&s1)
                .affinity(
                    &affinity()
                        .required(term(vec![expr("service", "Exists", &[]), expr("wrongkey", "DoesNotExist", &[])], "region"))
                        .required(term(vec![expr("service", "In", &["securityscan2"]), expr("service", "NotIn", &["WrongValue"])], "region")),
                )
                .obj(),
            vec![existing().obj()],
            ok(),
            affinity_fails(),
        ),
        (
            "affinity and anti-affinity both satisfied by the existing pod",
            make_pod("p").labels(&s1).affinity(&affinity().required(in_scan()).anti_required(anti_virus())).obj(),
            vec![existing().obj()],
            ok(),
            ok(),
        ),
        (
            "affinity, anti-affinity and the existing pod's anti-affinity all satisfied",
            make_pod("p").labels(&s1).affinity(&affinity().required(in_scan()).anti_required(anti_virus())).obj(),
            vec![existing().affinity(&affinity().anti_required(anti_virus())).obj()],
            ok(),
            ok(),
        ),
        (
            "affinity satisfied but the pod's own anti-affinity selects the existing pod",
            make_pod("p")
                .labels(&s1)
                .affinity(&affinity().required(in_scan()).anti_required(term_in("service", &["securityscan", "value2"], "zone")))
                .obj(),
            vec![existing().obj()],
            ok(),
            anti_fails(),
        ),
        (
            "the existing pod's anti-affinity selects the incoming pod (symmetry)",
            make_pod("p").labels(&scan).affinity(&affinity().required(in_scan()).anti_required(anti_virus())).obj(),
            vec![existing()
                .affinity(&affinity().anti_required(term_in("service", &["securityscan", "value2"], "zone")))
                .obj()],
            ok(),
            existing_fails(),
        ),
        (
            "a pod whose affinity it does not match itself cannot go first",
            make_pod("p")
                .labels(&scan)
                .affinity(&affinity().required(term_not_in("service", &["securityscan", "value2"], "region")))
                .obj(),
            vec![make_pod("elsewhere").labels(&scan).node("node2").obj()],
            ok(),
            affinity_fails(),
        ),
        (
            "an existing pod's anti-affinity applies to a pod without any affinity",
            make_pod("p").labels(&scan).obj(),
            vec![existing()
                .affinity(&affinity().anti_required(term_in("service", &["securityscan", "value2"], "zone")))
                .obj()],
            ok(),
            existing_fails(),
        ),
        (
            "an existing pod's anti-affinity that does not select the pod leaves nothing to check",
            make_pod("p").labels(&scan).obj(),
            vec![existing()
                .affinity(&affinity().anti_required(term_not_in("service", &["securityscan", "value2"], "zone")))
                .obj()],
            Status::skip(),
            ok(),
        ),
        (
            "the pod's anti-affinity selects the existing pod although the reverse does not hold",
            make_pod("p")
                .labels(&scan)
                .affinity(&affinity().anti_required(term_exists("service", "region")).anti_required(term_exists("security", "region")))
                .obj(),
            vec![make_pod("e").labels(&s1).node("node1").affinity(&affinity().anti_required(term_exists("security", "zone"))).obj()],
            ok(),
            anti_fails(),
        ),
        (
            "symmetry a1: the pod's anti-affinity term selects the existing pod",
            make_pod("p")
                .labels(&scan)
                .affinity(&affinity().anti_required(term_exists("service", "zone")).anti_required(term_exists("security", "zone")))
                .obj(),
            vec![make_pod("e").labels(&s1).node("node1").affinity(&affinity().anti_required(term_exists("security", "zone"))).obj()],
            ok(),
            anti_fails(),
        ),
        (
            "symmetry a2: only the existing pod's anti-affinity selects the pod",
            make_pod("p").labels(&s1).affinity(&affinity().anti_required(term_exists("security", "zone"))).obj(),
            vec![make_pod("e")
                .labels(&scan)
                .node("node1")
                .affinity(&affinity().anti_required(term_exists("service", "zone")).anti_required(term_exists("security", "zone")))
                .obj()],
            ok(),
            existing_fails(),
        ),
        (
            "symmetry b1: both select each other partially; the pod's own check comes first",
            make_pod("p")
                .labels(&[("abc", ""), ("xyz", "")])
                .affinity(&affinity().anti_required(term_exists("abc", "zone")).anti_required(term_exists("def", "zone")))
                .obj(),
            vec![make_pod("e")
                .labels(&[("def", ""), ("xyz", "")])
                .node("node1")
                .affinity(&affinity().anti_required(term_exists("abc", "zone")).anti_required(term_exists("def", "zone")))
                .obj()],
            ok(),
            anti_fails(),
        ),
        (
            "symmetry b2: the same with the labels swapped",
            make_pod("p")
                .labels(&[("def", ""), ("xyz", "")])
                .affinity(&affinity().anti_required(term_exists("abc", "zone")).anti_required(term_exists("def", "zone")))
                .obj(),
            vec![make_pod("e")
                .labels(&[("abc", ""), ("xyz", "")])
                .node("node1")
                .affinity(&affinity().anti_required(term_exists("abc", "zone")).anti_required(term_exists("def", "zone")))
                .obj()],
            ok(),
            anti_fails(),
        ),
        (
            "a selector that cannot be parsed fails PreFilter as unresolvable",
            make_pod("p")
                .labels(&scan)
                .affinity(&affinity().required(term(vec![expr("service", "Near", &["x"])], "region")))
                .obj(),
            vec![],
            Status::unresolvable(
                "parsing pod: requiredAffinityTerms: \"Near\" is not a valid label selector operator",
            ),
            ok(),
        ),
        (
            "affinity with a namespaceSelector matching the existing pod's namespace",
            make_pod("p").labels(&s1).affinity(&affinity().required(team1(in_scan()))).obj(),
            vec![existing().namespace("subteam1.team1").obj()],
            ok(),
            ok(),
        ),
        (
            "affinity with a namespaceSelector not matching the existing pod's namespace",
            make_pod("p").labels(&s1).affinity(&affinity().required(team1(in_scan()))).obj(),
            vec![existing().namespace("subteam1.team2").obj()],
            ok(),
            affinity_fails(),
        ),
        (
            "anti-affinity with a namespaceSelector matching the existing pod's namespace",
            make_pod("p")
                .namespace("subteam1.team1")
                .labels(&s1)
                .affinity(&affinity().anti_required(team1(term_in("service", &["securityscan", "value2"], "zone"))))
                .obj(),
            vec![existing().namespace("subteam2.team1").obj()],
            ok(),
            anti_fails(),
        ),
        (
            "anti-affinity with an empty namespaceSelector covers every namespace",
            make_pod("p")
                .namespace("subteam1.team1")
                .labels(&s1)
                .affinity(&affinity().anti_required({
                    let mut t = term_in("service", &["securityscan", "value2"], "zone");
                    t.namespace_selector = Some(Default::default());
                    t
                }))
                .obj(),
            vec![existing().namespace("subteam2.team1").obj()],
            ok(),
            anti_fails(),
        ),
        (
            "anti-affinity with a namespaceSelector not matching the existing pod's namespace",
            make_pod("p")
                .namespace("subteam1.team1")
                .labels(&s1)
                .affinity(&affinity().anti_required(team1(term_in("service", &["securityscan", "value2"], "zone"))))
                .obj(),
            vec![existing().namespace("subteam1.team2").obj()],
            ok(),
            ok(),
        ),
    ];
    let plugin = plugin().with_namespaces(namespaces());
    for (name, pod, pods, want_pre_filter, want_filter) in cases {
        check(
            name,
            &plugin,
            (pod, pods, node1()),
            want_pre_filter,
            vec![want_filter],
        );
    }
}

#[test]
fn without_namespace_objects_a_namespace_selector_means_the_owners_namespace() {
    let node1 = || vec![node("node1", &[("region", "r1")])];
    let incoming = make_pod("p")
        .affinity(&affinity().required(in_namespaces_labelled(
            term_exists("app", "region"),
            "team",
            &["team1"],
        )))
        .obj();
    let partner = |ns: &str| {
        vec![make_pod("e")
            .namespace(ns)
            .labels(&[("app", "web")])
            .node("node1")
            .obj()]
    };
    // kubeling's default plugin has no namespace lister.
    let plugin = plugin();
    let same = (incoming.clone(), partner("default"), node1());
    check(
        "a partner in the pod's own namespace counts",
        &plugin,
        same,
        ok(),
        vec![ok()],
    );
    let other = (incoming, partner("subteam1.team1"), node1());
    check(
        "a partner elsewhere does not",
        &plugin,
        other,
        ok(),
        vec![affinity_fails()],
    );
}

#[test]
fn match_label_keys_restrict_a_term_to_pods_with_the_same_label_value() {
    let nodes = || {
        vec![
            node("node1", &[("zone", "z1")]),
            node("node2", &[("zone", "z2")]),
        ]
    };
    let mut t = term_exists("app", "zone");
    t.match_label_keys = Some(vec!["version".to_string()]);
    let pod = make_pod("p")
        .labels(&[("app", "web"), ("version", "v2")])
        .affinity(&affinity().anti_required(t))
        .obj();
    let pods = vec![
        make_pod("old")
            .labels(&[("app", "web"), ("version", "v1")])
            .node("node1")
            .obj(),
        make_pod("new")
            .labels(&[("app", "web"), ("version", "v2")])
            .node("node2")
            .obj(),
    ];
    check(
        "only the pod with the same version keeps the new one away",
        &plugin(),
        (pod, pods, nodes()),
        ok(),
        vec![ok(), anti_fails()],
    );
}

#[test]
fn filter_without_pre_filter_is_an_error() {
    let status = plugin().filter(&CycleState::new(), &make_pod("p").obj(), &node_info("n"));
    assert_eq!(status.code, Code::Error);
    assert_eq!(
        status.message(),
        "error reading \"PreFilterInterPodAffinity\" from cycleState: not found"
    );
}

fn node_info(name: &str) -> crate::framework::NodeInfo {
    crate::framework::NodeInfo::new(Arc::new(node(name, &[])))
}

fn counts(pairs: &[(&str, &str, i64)]) -> TopologyToMatchedTermCount {
    let map = pairs.iter().map(|(k, v, n)| {
        let pair = TopologyPair {
            key: k.to_string(),
            value: v.to_string(),
        };
        (pair, *n)
    });
    TopologyToMatchedTermCount(map.collect())
}

#[test]
fn adding_and_removing_a_pod_updates_the_counts_as_prefilter_would() {
    let nodes = vec![
        node("nodeA", &[("region", "r1"), ("zone", "z11")]),
        node("nodeB", &[("region", "r1"), ("zone", "z12")]),
        node("nodeC", &[("region", "r2"), ("zone", "z21")]),
    ];
    let foo_bar = [("foo", "bar")];
    let anti_foo_bar = || affinity().anti_required(term_in("foo", &["bar"], "region"));
    let complex = || {
        vec![
            term_in("foo", &["bar", "buzz"], "region"),
            term_not_in("service", &["bar", "security", "test"], "zone"),
        ]
    };
    let anti_complex = complex()
        .into_iter()
        .fold(affinity(), |a, t| a.anti_required(t));
    let affinity_complex = complex().into_iter().fold(affinity(), |a, t| a.required(t));
    let both = complex()
        .into_iter()
        .fold(anti_foo_bar(), |a, t| a.required(t));
    let p1 = make_pod("p1").labels(&foo_bar).node("nodeA").obj();
    type Case = (
        &'static str,
        Pod,
        Vec<Pod>,
        Pod,
        TopologyToMatchedTermCount,
        TopologyToMatchedTermCount,
    );
    let cases: Vec<Case> = vec![
        (
            "a simple anti-affinity term",
            make_pod("pending")
                .labels(&foo_bar)
                .affinity(&anti_foo_bar())
                .obj(),
            vec![
                p1.clone(),
                make_pod("p2").node("nodeC").affinity(&anti_foo_bar()).obj(),
            ],
            make_pod("added")
                .labels(&foo_bar)
                .node("nodeB")
                .affinity(&anti_foo_bar())
                .obj(),
            counts(&[("region", "r1", 2)]),
            counts(&[]),
        ),
        (
            "anti-affinity terms over two topology keys",
            make_pod("pending")
                .labels(&foo_bar)
                .affinity(&anti_complex)
                .obj(),
            vec![
                p1.clone(),
                make_pod("p2").node("nodeC").affinity(&anti_foo_bar()).obj(),
            ],
            make_pod("added")
                .labels(&foo_bar)
                .node("nodeA")
                .affinity(&anti_complex)
                .obj(),
            counts(&[("region", "r1", 2), ("zone", "z11", 2), ("zone", "z21", 1)]),
            counts(&[]),
        ),
        (
            "affinity terms over two topology keys",
            make_pod("pending")
                .labels(&foo_bar)
                .affinity(&affinity_complex)
                .obj(),
            vec![
                p1.clone(),
                make_pod("p2").node("nodeC").affinity(&both).obj(),
            ],
            make_pod("added")
                .labels(&foo_bar)
                .node("nodeA")
                .affinity(&anti_complex)
                .obj(),
            counts(&[]),
            counts(&[("region", "r1", 2), ("zone", "z11", 2)]),
        ),
    ];
    let state_for = |pending: &Pod, pods: &[Pod]| {
        let mut state = CycleState::new();
        let (_, status) = plugin().pre_filter(&mut state, pending, &snapshot(pods, &nodes));
        assert!(status.is_success(), "{status}");
        state
    };
    let read = |state: &CycleState| -> PreFilterState {
        state
            .read::<PreFilterState>(PRE_FILTER_STATE_KEY)
            .cloned()
            .expect("state")
    };
    for (name, pending, existing, added, want_anti, want_affinity) in cases {
        let mut with_all = existing.clone();
        with_all.push(added.clone());
        let all = read(&state_for(&pending, &with_all));

        let mut state = state_for(&pending, &existing);
        let original = read(&state);
        let snap = snapshot(&existing, &nodes);
        let added_info = PodInfo::new(Arc::new(added));
        let node_b = snap
            .get(
                added_info
                    .pod
                    .spec
                    .as_ref()
                    .and_then(|s| s.node_name.as_deref())
                    .unwrap_or(""),
            )
            .expect("node");
        assert!(plugin()
            .add_pod(&mut state, &pending, &added_info, node_b)
            .is_success());
        let after_add = read(&state);
        assert_eq!(
            after_add.anti_affinity_counts, want_anti,
            "{name}: anti-affinity counts"
        );
        assert_eq!(
            after_add.affinity_counts, want_affinity,
            "{name}: affinity counts"
        );
        assert_eq!(
            after_add, all,
            "{name}: same as PreFilter with the pod present"
        );

        assert!(plugin()
            .remove_pod(&mut state, &pending, &added_info, node_b)
            .is_success());
        assert_eq!(
            read(&state),
            original,
            "{name}: removing restores the original"
        );
    }
}

#[test]
fn incoming_counts_need_one_pod_matching_all_affinity_terms_but_any_anti_affinity_term() {
    let nodes = [node("nodeA", &[("hostname", "nodeA")])];
    let on_a = |keys: &[&str]| {
        let l: Vec<(&str, &str)> = keys.iter().map(|k| (*k, "")).collect();
        make_pod("normal").node("nodeA").labels(&l).obj()
    };
    let host = |n| counts(&[("hostname", "nodeA", n)]);
    let terms = |aff: &[&str], anti: &[&str]| {
        let a = aff
            .iter()
            .fold(affinity(), |a, k| a.required(term_exists(k, "hostname")));
        let a = anti
            .iter()
            .fold(a, |a, k| a.anti_required(term_exists(k, "hostname")));
        PodTerms::parse(&make_pod("incoming").affinity(&a).obj()).0
    };
    let cases = [
        (
            "no existing pods",
            vec![],
            terms(&[], &[]),
            counts(&[]),
            counts(&[]),
        ),
        (
            "no terms",
            vec![on_a(&["aaa"])],
            terms(&[], &[]),
            counts(&[]),
            counts(&[]),
        ),
        (
            "nothing matches",
            vec![on_a(&["bbb"])],
            terms(&["aaa"], &["aaa"]),
            counts(&[]),
            counts(&[]),
        ),
        (
            "one term each, matched",
            vec![on_a(&["aaa"])],
            terms(&["aaa"], &["aaa"]),
            host(1),
            host(1),
        ),
        (
            "two affinity terms count twice",
            vec![on_a(&["aaa", "bbb"])],
            terms(&["aaa", "bbb"], &["aaa"]),
            host(2),
            host(1),
        ),
        (
            "affinity needs all terms",
            vec![on_a(&["aaa"])],
            terms(&["aaa", "bbb"], &["aaa", "bbb"]),
            counts(&[]),
            host(1),
        ),
        (
            "partial match, case 1",
            vec![on_a(&["aaa", "bbb"])],
            terms(&["aaa", "ccc"], &["aaa", "ccc"]),
            counts(&[]),
            host(1),
        ),
        (
            "partial match, case 2",
            vec![on_a(&["bbb"])],
            terms(&["aaa", "bbb"], &["aaa", "bbb"]),
            counts(&[]),
            host(1),
        ),
    ];
    for (name, pods, terms, want_affinity, want_anti) in cases {
        let snap = snapshot(&pods, &nodes);
        let (affinity, anti) =
            InterPodAffinity::incoming_affinity_anti_affinity_counts(&terms, snap.list());
        assert_eq!(affinity, want_affinity, "{name}: affinity");
        assert_eq!(anti, want_anti, "{name}: anti-affinity");
    }
}
