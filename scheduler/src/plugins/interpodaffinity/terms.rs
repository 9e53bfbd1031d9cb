//! A pod's affinity terms, parsed: which pods a term selects (a label selector, limited to some
//! namespaces) and how far "near" reaches (the `topologyKey`).
//!
//! ```yaml
//! podAntiAffinity:
//!   requiredDuringSchedulingIgnoredDuringExecution:
//!   - labelSelector: {matchLabels: {app: web}}   # which pods
//!     namespaces: [shop]                         # where to look (default: the pod's own)
//!     topologyKey: kubernetes.io/hostname        # "near" = on the same node
//! ```
//!
//! Upstream parses these once per pod and keeps them in `PodInfo` (`AffinityTerm`,
//! `WeightedAffinityTerm`, `PodInfo.Update` in `pkg/scheduler/framework/types.go`). kubeling's
//! `PodInfo` does not carry them yet, so the plugin parses them when it needs them.

use k8s_openapi::api::core::v1::{Pod, PodAffinityTerm, WeightedPodAffinityTerm};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use machinery::labels::Selector;
use std::collections::{BTreeMap, BTreeSet};

/// A set of labels (of a pod, a node or a namespace).
pub type Labels = BTreeMap<String, String>;

static NO_LABELS: Labels = BTreeMap::new();

/// The namespace of a pod (`default` when unset, as everywhere in kubeling).
pub fn pod_namespace(pod: &Pod) -> &str {
    pod.metadata.namespace.as_deref().unwrap_or("default")
}

/// The labels of a pod; none is the same as empty.
pub fn pod_labels(pod: &Pod) -> &Labels {
    pod.metadata.labels.as_ref().unwrap_or(&NO_LABELS)
}

/// One parsed `PodAffinityTerm`.
#[derive(Debug, Clone, PartialEq)]
pub struct AffinityTerm {
    /// Namespaces named in the term; the owner's namespace when the term names none and has no
    /// `namespaceSelector`.
    pub namespaces: BTreeSet<String>,
    /// Which pods the term selects. `None` stands for a missing `labelSelector`, which selects
    /// no pod at all (upstream's `labels.Nothing()`); `Some` of an empty selector selects all.
    pub selector: Option<Selector>,
    pub topology_key: String,
    /// `None`: no `namespaceSelector` (adds no namespaces). An empty selector means every
    /// namespace.
    pub namespace_selector: Option<Selector>,
    /// The namespace of the pod that carries the term, for kubeling's fallback below.
    pub owner_namespace: String,
}

impl AffinityTerm {
    /// Does `pod` fall under this term? `namespace_labels` are the labels of `pod`'s namespace,
    /// needed only when the term has a `namespaceSelector`.
    ///
    /// kubeling's plugin may not know the namespace objects (no namespace lister is wired into
    /// the scheduler yet); `namespace_labels` is then `None`, and a non-empty
    /// `namespaceSelector` is treated as "the namespace of the pod that carries the term".
    /// Upstream would evaluate the selector against the real namespace labels.
    pub fn matches(&self, pod: &Pod, namespace_labels: Option<&Labels>) -> bool {
        let namespace = pod_namespace(pod);
        let namespace_ok = self.namespaces.contains(namespace)
            || match (&self.namespace_selector, namespace_labels) {
                (None, _) => false,
                (Some(selector), _) if selector.is_empty() => true,
                (Some(selector), Some(labels)) => selector.matches_map(labels),
                (Some(_), None) => namespace == self.owner_namespace,
            };
        namespace_ok
            && self
                .selector
                .as_ref()
                .is_some_and(|s| s.matches_map(pod_labels(pod)))
    }
}

/// A preferred term and its weight (1..=100).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedAffinityTerm {
    pub term: AffinityTerm,
    pub weight: i64,
}

/// All four groups of a pod's terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PodTerms {
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<WeightedAffinityTerm>,
    pub preferred_anti_affinity: Vec<WeightedAffinityTerm>,
}

impl PodTerms {
    /// Parse the pod's terms. A group with a selector that cannot be parsed is left empty and
    /// its error is returned, named as upstream names the groups (`requiredAffinityTerms: ...`).
    pub fn parse(pod: &Pod) -> (PodTerms, Vec<String>) {
        let affinity = pod.spec.as_ref().and_then(|s| s.affinity.as_ref());
        let pod_affinity = affinity.and_then(|a| a.pod_affinity.as_ref());
        let anti_affinity = affinity.and_then(|a| a.pod_anti_affinity.as_ref());
        let mut errors = Vec::new();
        let mut required = |terms: Option<&Vec<PodAffinityTerm>>, group: &str| {
            let parsed: Result<Vec<_>, String> = terms
                .into_iter()
                .flatten()
                .map(|t| new_affinity_term(pod, t))
                .collect();
            parsed.unwrap_or_else(|e| {
                errors.push(format!("{group}: {e}"));
                Vec::new()
            })
        };
        let required_affinity = required(
            pod_affinity.and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
            "requiredAffinityTerms",
        );
        let required_anti_affinity = required(
            anti_affinity.and_then(|a| {
                a.required_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
            "requiredAntiAffinityTerms",
        );
        let mut preferred = |terms: Option<&Vec<WeightedPodAffinityTerm>>, group: &str| {
            let parsed: Result<Vec<_>, String> = terms
                .into_iter()
                .flatten()
                .map(|t| {
                    new_affinity_term(pod, &t.pod_affinity_term).map(|term| WeightedAffinityTerm {
                        term,
                        weight: i64::from(t.weight),
                    })
                })
                .collect();
            parsed.unwrap_or_else(|e| {
                errors.push(format!("{group}: {e}"));
                Vec::new()
            })
        };
        let preferred_affinity = preferred(
            pod_affinity.and_then(|a| {
                a.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
            "preferredAffinityTerms",
        );
        let preferred_anti_affinity = preferred(
            anti_affinity.and_then(|a| {
                a.preferred_during_scheduling_ignored_during_execution
                    .as_ref()
            }),
            "preferredAntiAffinityTerms",
        );
        let terms = PodTerms {
            required_affinity,
            required_anti_affinity,
            preferred_affinity,
            preferred_anti_affinity,
        };
        (terms, errors)
    }
}

/// Several errors print as upstream's aggregate error does: `[a, b]`.
pub fn aggregate(errors: &[String]) -> String {
    match errors {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

/// Parse one term of `pod` (upstream `newAffinityTerm`).
fn new_affinity_term(pod: &Pod, term: &PodAffinityTerm) -> Result<AffinityTerm, String> {
    let selector = term
        .label_selector
        .as_ref()
        .map(|s| with_label_keys(s, term, pod_labels(pod)));
    let selector = selector
        .as_ref()
        .map(Selector::from_label_selector)
        .transpose()
        .map_err(|e| e.to_string())?;
    let namespace_selector = term
        .namespace_selector
        .as_ref()
        .map(Selector::from_label_selector)
        .transpose()
        .map_err(|e| e.to_string())?;
    let owner_namespace = pod_namespace(pod).to_string();
    // No namespaces and no namespace selector: the term looks in the owner's namespace
    // (upstream `getNamespacesFromPodAffinityTerm`).
    let named = term.namespaces.clone().unwrap_or_default();
    let namespaces = if named.is_empty() && term.namespace_selector.is_none() {
        BTreeSet::from([owner_namespace.clone()])
    } else {
        named.into_iter().collect()
    };
    Ok(AffinityTerm {
        namespaces,
        selector,
        topology_key: term.topology_key.clone(),
        namespace_selector,
        owner_namespace,
    })
}

/// `matchLabelKeys: [version]` means "and the same `version` as me"; `mismatchLabelKeys` means
/// "and a different one". Upstream's API server folds them into `labelSelector` (as
/// `version in (v1)` / `version notin (v1)`) when the pod is created, so the scheduler sees them
/// already merged; kubeling folds them here too. Doing it twice adds the same requirement twice,
/// which changes nothing. A missing `labelSelector` selects nothing and stays that way.
fn with_label_keys(
    selector: &LabelSelector,
    term: &PodAffinityTerm,
    labels: &Labels,
) -> LabelSelector {
    let mut selector = selector.clone();
    let keyed = |keys: &Option<Vec<String>>, operator: &str| -> Vec<LabelSelectorRequirement> {
        keys.iter()
            .flatten()
            .filter_map(|key| {
                labels.get(key).map(|value| LabelSelectorRequirement {
                    key: key.clone(),
                    operator: operator.to_string(),
                    values: Some(vec![value.clone()]),
                })
            })
            .collect()
    };
    let mut extra = keyed(&term.match_label_keys, "In");
    extra.extend(keyed(&term.mismatch_label_keys, "NotIn"));
    if !extra.is_empty() {
        selector
            .match_expressions
            .get_or_insert_with(Vec::new)
            .extend(extra);
    }
    selector
}
