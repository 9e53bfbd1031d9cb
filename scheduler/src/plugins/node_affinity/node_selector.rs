//! Matching a node against node selector terms: the rules behind `nodeSelector` and node
//! affinity.
//!
//! ```text
//! nodeSelectorTerms:            ← terms are ORed: one matching term is enough
//! - matchExpressions:           ← inside a term everything is ANDed
//!   - {key: zone, operator: In, values: [a, b]}        labels: In NotIn Exists DoesNotExist Gt Lt
//!   matchFields:
//!   - {key: metadata.name, operator: In, values: [n1]} fields: In NotIn, exactly one value
//! ```
//!
//! A term with neither expressions nor fields matches nothing. A term that breaks the rules (an
//! unknown operator, `In` without values, `Gt` with a non-number, a key no label could have)
//! matches nothing either: for pods the API server should have refused it; the scheduler just
//! never lets it match. Scheduler configuration (`addedAffinity`) is checked strictly instead,
//! and its errors are reported with the path of the offending field.
//! Upstream: `k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go`.

use k8s_openapi::api::core::v1::{
    Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, Pod, PreferredSchedulingTerm,
};
use machinery::labels::validation::{is_qualified_name, is_valid_label_value};
use machinery::labels::{Operator, Requirement, Selector};
use std::collections::BTreeMap;

/// The only node field `matchFields` can test (upstream `metav1.ObjectNameField`).
pub const OBJECT_NAME_FIELD: &str = "metadata.name";

/// One `matchFields` requirement: the field equals (or differs from) the value.
#[derive(Debug, Clone)]
struct FieldRequirement {
    field: String,
    value: String,
    equal: bool,
}

/// A checked term: its label requirements and field requirements, all of which must hold.
#[derive(Debug, Clone)]
struct Term {
    /// From `matchExpressions`; `None` when the term has none.
    labels: Option<Selector>,
    /// From `matchFields`; `None` when the term has none.
    fields: Option<Vec<FieldRequirement>>,
}

fn is_empty_term(term: &NodeSelectorTerm) -> bool {
    term.match_expressions.as_ref().is_none_or(Vec::is_empty)
        && term.match_fields.as_ref().is_none_or(Vec::is_empty)
}

impl Term {
    /// Check and convert one term; on failure, every problem found, each with its field path.
    fn parse(term: &NodeSelectorTerm, path: &str) -> Result<Term, Vec<String>> {
        let mut errors = Vec::new();
        let mut labels = None;
        let mut fields = None;
        if let Some(exprs) = term.match_expressions.as_ref().filter(|e| !e.is_empty()) {
            let path = format!("{}matchExpressions", dot(path));
            let mut requirements = Vec::new();
            for (i, expr) in exprs.iter().enumerate() {
                match label_requirement(expr, &format!("{path}[{i}]")) {
                    Ok(r) => requirements.push(r),
                    Err(mut e) => errors.append(&mut e),
                }
            }
            labels = Some(Selector { requirements });
        }
        if let Some(exprs) = term.match_fields.as_ref().filter(|e| !e.is_empty()) {
            let path = format!("{}matchFields", dot(path));
            let mut requirements = Vec::new();
            for (i, expr) in exprs.iter().enumerate() {
                match field_requirement(expr, &format!("{path}[{i}]")) {
                    Ok(r) => requirements.push(r),
                    Err(e) => errors.push(e),
                }
            }
            fields = Some(requirements);
        }
        if errors.is_empty() {
            Ok(Term { labels, fields })
        } else {
            Err(errors)
        }
    }

    fn matches(&self, node: &Node) -> bool {
        let no_labels = BTreeMap::new();
        let labels = node.metadata.labels.as_ref().unwrap_or(&no_labels);
        if self.labels.as_ref().is_some_and(|s| !s.matches_map(labels)) {
            return false;
        }
        // As upstream: a node without a name has no fields, and then the field part is not
        // checked at all.
        let name = node.metadata.name.as_deref().unwrap_or("");
        if let Some(fields) = &self.fields {
            if !name.is_empty() && !fields.iter().all(|f| f.matches(name)) {
                return false;
            }
        }
        true
    }
}

impl FieldRequirement {
    fn matches(&self, node_name: &str) -> bool {
        // An absent field reads as "", as in upstream's `fields.Set`.
        let actual = if self.field == OBJECT_NAME_FIELD {
            node_name
        } else {
            ""
        };
        (actual == self.value) == self.equal
    }
}

/// `path.` when there is a path, nothing at the root.
fn dot(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    }
}

/// The operators `matchExpressions` accept, as upstream lists them in its error.
const LABEL_OPERATORS: &str = r#""In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt""#;
/// Why a key is not a label key (upstream `IsQualifiedName`).
const KEY_RULE: &str = "must be a valid label key: an optional DNS subdomain prefix and '/', \
    then a name of at most 63 alphanumerics, '-', '_' or '.', starting and ending with an \
    alphanumeric";
/// Why a value is not a label value (upstream `IsValidLabelValue`).
const VALUE_RULE: &str = "a valid label must be an empty string or at most 63 alphanumerics, \
    '-', '_' or '.', starting and ending with an alphanumeric";

/// Upstream `nodeSelectorRequirementsAsSelector` + `labels.NewRequirement` for one expression.
fn label_requirement(
    expr: &NodeSelectorRequirement,
    path: &str,
) -> Result<Requirement, Vec<String>> {
    let operator = match expr.operator.as_str() {
        "In" => Operator::In,
        "NotIn" => Operator::NotIn,
        "Exists" => Operator::Exists,
        "DoesNotExist" => Operator::DoesNotExist,
        "Gt" => Operator::GreaterThan,
        "Lt" => Operator::LessThan,
        other => {
            return Err(vec![format!(
                "{path}.operator: Unsupported value: {other:?}: supported values: {LABEL_OPERATORS}"
            )])
        }
    };
    let values = expr.values.clone().unwrap_or_default();
    let mut errors = Vec::new();
    if !is_qualified_name(&expr.key) {
        let key = &expr.key;
        errors.push(format!("{path}.key: Invalid value: {key:?}: {KEY_RULE}"));
    }
    let invalid = |why: &str| format!("{path}.values: Invalid value: {values:?}: {why}");
    let invalid_at =
        |i: usize, v: &str, why: &str| format!("{path}.values[{i}]: Invalid value: {v:?}: {why}");
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => {
            errors.push(invalid(
                "for 'in', 'notin' operators, values set can't be empty",
            ));
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            errors.push(invalid(
                "values set must be empty for exists and does not exist",
            ));
        }
        Operator::GreaterThan | Operator::LessThan => {
            if values.len() != 1 {
                errors.push(invalid(
                    "for 'Gt', 'Lt' operators, exactly one value is required",
                ));
            }
            for (i, v) in values.iter().enumerate() {
                if v.parse::<i64>().is_err() {
                    let why = "for 'Gt', 'Lt' operators, the value must be an integer";
                    errors.push(invalid_at(i, v, why));
                }
            }
        }
        _ => {}
    }
    for (i, v) in values.iter().enumerate() {
        if !is_valid_label_value(v) {
            errors.push(invalid_at(i, v, VALUE_RULE));
        }
    }
    if errors.is_empty() {
        let key = expr.key.clone();
        Ok(Requirement {
            key,
            operator,
            values,
        })
    } else {
        Err(errors)
    }
}

/// Upstream `nodeSelectorRequirementsAsFieldSelector` for one requirement.
fn field_requirement(
    expr: &NodeSelectorRequirement,
    path: &str,
) -> Result<FieldRequirement, String> {
    let equal = match expr.operator.as_str() {
        "In" => true,
        "NotIn" => false,
        other => {
            return Err(format!(
                "{path}.operator: Unsupported value: {other:?}: supported values: \"In\", \"NotIn\""
            ))
        }
    };
    match expr.values.as_deref() {
        Some([value]) => Ok(FieldRequirement {
            field: expr.key.clone(),
            value: value.clone(),
            equal,
        }),
        values => Err(format!(
            "{path}.values: Invalid value: {:?}: must have one element",
            values.unwrap_or_default()
        )),
    }
}

/// Upstream's aggregate error text: one error alone, several as `[a, b]`.
fn aggregate(errors: Vec<String>) -> String {
    let joined = errors.join(", ");
    if errors.len() == 1 {
        joined
    } else {
        format!("[{joined}]")
    }
}

/// A `NodeSelector` (a list of ORed terms) ready to match nodes.
#[derive(Debug, Clone)]
pub struct NodeSelectorMatcher {
    /// Empty terms are dropped; a term that failed its checks is kept as `None` and matches
    /// nothing.
    terms: Vec<Option<Term>>,
}

impl NodeSelectorMatcher {
    /// For selectors from pods: broken terms simply never match (upstream
    /// `NewLazyErrorNodeSelector`, whose errors the scheduler ignores).
    pub fn lenient(selector: &NodeSelector) -> NodeSelectorMatcher {
        let terms = selector
            .node_selector_terms
            .iter()
            .filter(|t| !is_empty_term(t));
        NodeSelectorMatcher {
            terms: terms.map(|t| Term::parse(t, "").ok()).collect(),
        }
    }

    /// For selectors from configuration: any broken term is an error (upstream `NewNodeSelector`).
    pub fn strict(selector: &NodeSelector, path: &str) -> Result<NodeSelectorMatcher, String> {
        let mut terms = Vec::new();
        let mut errors = Vec::new();
        let path = format!("{}nodeSelectorTerms", dot(path));
        for (i, term) in selector.node_selector_terms.iter().enumerate() {
            if is_empty_term(term) {
                continue;
            }
            match Term::parse(term, &format!("{path}[{i}]")) {
                Ok(t) => terms.push(Some(t)),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(NodeSelectorMatcher { terms })
        } else {
            Err(aggregate(errors))
        }
    }

    /// Does any term match? (No terms: nothing matches.)
    pub fn matches(&self, node: &Node) -> bool {
        self.terms.iter().flatten().any(|t| t.matches(node))
    }
}

/// Preferred terms with their weights, ready to score nodes.
#[derive(Debug, Clone)]
pub struct PreferredSchedulingTerms {
    terms: Vec<(Term, i64)>,
}

impl PreferredSchedulingTerms {
    /// Terms of weight 0 and empty terms are left out; any broken term is an error.
    /// Upstream: `NewPreferredSchedulingTerms`.
    pub fn new(
        terms: &[PreferredSchedulingTerm],
        path: &str,
    ) -> Result<PreferredSchedulingTerms, String> {
        let mut parsed = Vec::new();
        let mut errors = Vec::new();
        for (i, term) in terms.iter().enumerate() {
            if term.weight == 0 || is_empty_term(&term.preference) {
                continue;
            }
            match Term::parse(&term.preference, &format!("{path}[{i}]")) {
                Ok(t) => parsed.push((t, i64::from(term.weight))),
                Err(mut e) => errors.append(&mut e),
            }
        }
        if errors.is_empty() {
            Ok(PreferredSchedulingTerms { terms: parsed })
        } else {
            Err(aggregate(errors))
        }
    }

    /// The sum of the weights of the terms the node matches.
    pub fn score(&self, node: &Node) -> i64 {
        self.terms
            .iter()
            .filter(|(t, _)| t.matches(node))
            .map(|(_, w)| w)
            .sum()
    }
}

/// What a pod requires of its node: `spec.nodeSelector` AND the required node affinity.
/// Upstream: `RequiredNodeAffinity` / `GetRequiredNodeAffinity`.
#[derive(Debug, Clone)]
pub struct RequiredNodeAffinity {
    /// `spec.nodeSelector`, when it has entries: every label must be present with that value.
    node_selector: Option<BTreeMap<String, String>>,
    /// `requiredDuringSchedulingIgnoredDuringExecution`, when set.
    affinity: Option<NodeSelectorMatcher>,
}

impl RequiredNodeAffinity {
    pub fn of_pod(pod: &Pod) -> RequiredNodeAffinity {
        let spec = pod.spec.as_ref();
        let node_selector = spec
            .and_then(|s| s.node_selector.clone())
            .filter(|m| !m.is_empty());
        let affinity = required_node_selector(pod).map(NodeSelectorMatcher::lenient);
        RequiredNodeAffinity {
            node_selector,
            affinity,
        }
    }

    pub fn matches(&self, node: &Node) -> bool {
        if let Some(selector) = &self.node_selector {
            let labels = node.metadata.labels.as_ref();
            let has = |k: &String, v: &String| labels.and_then(|l| l.get(k)) == Some(v);
            if !selector.iter().all(|(k, v)| has(k, v)) {
                return false;
            }
        }
        self.affinity.as_ref().is_none_or(|a| a.matches(node))
    }
}

/// The pod's `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`.
pub fn required_node_selector(pod: &Pod) -> Option<&NodeSelector> {
    pod.spec
        .as_ref()?
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()
}

/// The pod's `affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`.
pub fn preferred_terms(pod: &Pod) -> Option<&Vec<PreferredSchedulingTerm>> {
    pod.spec
        .as_ref()?
        .affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .preferred_during_scheduling_ignored_during_execution
        .as_ref()
}
