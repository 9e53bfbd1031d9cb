//! Label selectors: parse `app=web,tier in (a,b),!canary` and match them against labels.
//!
//! Mirrors `k8s.io/apimachinery/pkg/labels/selector.go` (lexer, parser, matching) and
//! `pkg/selection/operator.go` (the operator set).
//!
//! Labels are the small key/value tags in every object's `metadata.labels`. A label selector
//! is how one object names a *group* of others without knowing their names: a Service finds
//! its Pods, a ReplicaSet counts the Pods it owns, a Deployment finds its ReplicaSets. The API
//! server accepts the same text on list and watch requests (`?labelSelector=app%3Dweb`), which
//! is what `kubectl get pods -l app=web` sends.
//!
//! ```text
//! app=web,tier in (a,b),!canary
//!   app=web          the label `app` exists and equals "web"
//!   tier in (a,b)    `tier` exists and is "a" or "b"
//!   !canary          there is no `canary` label at all
//! ```
//!
//! Every requirement must hold (there is no OR), and an empty selector matches everything.
//! Parsing is two steps, as upstream: a lexer cuts the text into tokens, then a small
//! recursive-descent parser follows this grammar:
//!
//! ```text
//! selector    := requirement ( "," requirement )*
//! requirement := "!" KEY | KEY | KEY ("in" | "notin") "(" VALUE ("," VALUE)* ")"
//!              | KEY ("=" | "==" | "!=" | ">" | "<") VALUE
//! ```
//!
//! Like upstream, the parsed requirements are sorted by key, so the canonical string of the
//! example above is `app=web,!canary,tier in (a,b)`.
//!
//! # Layout
//! - this file: the public types ([`Operator`], [`Requirement`], [`Selector`], [`ParseError`]),
//!   matching a selector against labels, and printing it back in canonical form.
//! - `parser`: from text to requirements: the lexer and the recursive-descent parser.
//! - `validation`: which words may be keys and values, with upstream's error messages.

mod parser;
pub mod validation;

use std::collections::BTreeMap;
use std::fmt;

/// How a requirement relates a label key to its values (`pkg/selection/operator.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `key=value`: the key exists and equals the value.
    Equals,
    /// `key==value`: same meaning as `=`, kept apart so the selector prints back as written.
    DoubleEquals,
    /// `key!=value`: the key is absent, or present with another value.
    NotEquals,
    /// `key in (a,b)`: the key exists and its value is one of the set.
    In,
    /// `key notin (a,b)`: the key is absent, or its value is none of the set.
    NotIn,
    /// `key`: the key exists, whatever its value.
    Exists,
    /// `!key`: the key does not exist.
    DoesNotExist,
    /// `key>5`: the key exists and its value is an integer greater than 5.
    GreaterThan,
    /// `key<5`: the key exists and its value is an integer less than 5.
    LessThan,
}

/// One condition on one label, e.g. `tier in (a,b)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    /// Empty for `Exists`/`DoesNotExist`, one value for `=`, `!=`, `>`, `<`; for `in`/`notin`
    /// a sorted, de-duplicated set (sorting is what makes the printed form canonical).
    pub values: Vec<String>,
}

/// A list of requirements that must all hold. Empty means "select everything".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

/// Why a selector string was rejected, worded like upstream's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl Requirement {
    /// Does this one requirement hold? (upstream `Requirement.Matches`)
    pub fn matches(&self, labels: &dyn Fn(&str) -> Option<String>) -> bool {
        let actual = labels(&self.key);
        match self.operator {
            Operator::Equals | Operator::DoubleEquals | Operator::In => {
                actual.is_some_and(|v| self.values.contains(&v))
            }
            // The negative operators also match objects that lack the label entirely:
            // `env!=prod` must select a pod with no `env` label, it is certainly not prod.
            Operator::NotEquals | Operator::NotIn => match actual {
                None => true,
                Some(v) => !self.values.contains(&v),
            },
            Operator::Exists => actual.is_some(),
            Operator::DoesNotExist => actual.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                // Compare as integers, never as text ("10" > "9"). A label that is not a number
                // (or a missing label) simply does not match; it is not an error.
                let as_int = |s: &str| s.parse::<i64>().ok();
                let wanted = self.values.first().and_then(|v| as_int(v));
                match (actual.as_deref().and_then(as_int), wanted) {
                    (Some(a), Some(w)) if self.operator == Operator::GreaterThan => a > w,
                    (Some(a), Some(w)) => a < w,
                    _ => false,
                }
            }
        }
    }
}

impl Selector {
    /// Parse the text form. `""` and whitespace-only text give the empty selector.
    pub fn parse(s: &str) -> Result<Selector, ParseError> {
        let mut requirements = parser::parse(s).map_err(ParseError)?;
        // Upstream sorts by key so equal selectors print (and compare) the same whatever order
        // they were typed in. `sort_by` is stable, so two requirements on one key keep their order.
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector { requirements })
    }

    /// Convert the structured form objects carry (`spec.selector` of a Deployment, a pod
    /// affinity term's `labelSelector`): `matchLabels` become `key=value`, `matchExpressions`
    /// become `In`/`NotIn`/`Exists`/`DoesNotExist`. Upstream: `metav1.LabelSelectorAsSelector`.
    /// An empty selector selects everything; callers decide what a *missing* one means
    /// (upstream: nothing).
    pub fn from_label_selector(
        selector: &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector,
    ) -> Result<Selector, ParseError> {
        let mut requirements = Vec::new();
        for (key, value) in selector.match_labels.iter().flatten() {
            requirements.push(Requirement {
                key: key.clone(),
                operator: Operator::Equals,
                values: vec![value.clone()],
            });
        }
        for expr in selector.match_expressions.iter().flatten() {
            let mut values = expr.values.clone().unwrap_or_default();
            values.sort();
            values.dedup();
            let operator = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(ParseError(format!(
                        "{other:?} is not a valid label selector operator"
                    )))
                }
            };
            let needs_values = matches!(operator, Operator::In | Operator::NotIn);
            if needs_values == values.is_empty() {
                return Err(ParseError(format!(
                    "for 'in', 'notin' operators, values set can't be empty; for 'exists', 'doesnotexist' it must be (key {:?})",
                    expr.key
                )));
            }
            requirements.push(Requirement {
                key: expr.key.clone(),
                operator,
                values,
            });
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector { requirements })
    }

    /// The selector that matches every object.
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// True when the selector does not restrict anything.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Do all requirements hold? `labels` looks a label up by key, so callers can pass a
    /// serde_json map, a `BTreeMap`, or anything else without first copying the labels.
    pub fn matches(&self, labels: &dyn Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// [`Selector::matches`] for labels already held in a `BTreeMap<String, String>`.
    pub fn matches_map(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches(&|key| labels.get(key).cloned())
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = &self.key;
        let value = self.values.first().map_or("", String::as_str);
        match self.operator {
            Operator::Exists => write!(f, "{key}"),
            Operator::DoesNotExist => write!(f, "!{key}"),
            Operator::Equals => write!(f, "{key}={value}"),
            Operator::DoubleEquals => write!(f, "{key}=={value}"),
            Operator::NotEquals => write!(f, "{key}!={value}"),
            Operator::GreaterThan => write!(f, "{key}>{value}"),
            Operator::LessThan => write!(f, "{key}<{value}"),
            Operator::In => write!(f, "{key} in ({})", set_text(&self.values)),
            Operator::NotIn => write!(f, "{key} notin ({})", set_text(&self.values)),
        }
    }
}

/// The inside of `(...)`. A set holding only "" would print as `()`, which we reject as an
/// empty set; `(,)` also means "just the empty value" and parses back to the same set.
fn set_text(values: &[String]) -> String {
    if values == [""] {
        ",".to_string()
    } else {
        values.join(",")
    }
}

/// The canonical string form, e.g. `app=web,!canary,tier in (a,b)`.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let terms: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        f.write_str(&terms.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn empty_and_blank_input_select_everything() {
        for input in ["", "   ", "\t\n"] {
            let selector = Selector::parse(input).unwrap();
            assert!(selector.is_empty() && selector == Selector::everything());
            assert!(selector.matches_map(&labels(&[("any", "thing")])));
        }
    }

    #[test]
    fn requirements_are_sorted_by_key() {
        let selector = Selector::parse("tier in (a,b),app=web,!canary").unwrap();
        assert_eq!(selector.to_string(), "app=web,!canary,tier in (a,b)");
    }

    #[test]
    fn matching_follows_the_upstream_truth_table() {
        type Labels = &'static [(&'static str, &'static str)];
        let web: Labels = &[("app", "web")];
        let cases: &[(&str, Labels, bool)] = &[
            ("app=web", web, true),
            ("app=web", &[("app", "db")], false),
            ("app=web", &[], false),
            ("app==web", web, true),
            ("app!=web", web, false),
            ("app!=web", &[("app", "db")], true),
            ("app in (db,web)", web, true),
            ("app in (db)", web, false),
            ("app in (db,web)", &[], false),
            ("app notin (db)", web, true),
            ("app notin (web)", web, false),
            ("app notin (web)", &[], true),
            ("app", web, true),
            ("app", &[], false),
            ("!app", web, false),
            ("!app", &[], true),
            ("app=", &[("app", "")], true),
            ("app=", &[], false),
            ("x in (a,)", &[("x", "")], true),
            ("app=web,!canary", web, true),
            ("app=web,!canary", &[("app", "web"), ("canary", "1")], false),
        ];
        for (selector, pairs, want) in cases {
            let parsed = Selector::parse(selector).unwrap();
            assert_eq!(
                parsed.matches_map(&labels(pairs)),
                *want,
                "{selector:?} on {pairs:?}"
            );
        }
    }

    #[test]
    fn not_equals_matches_when_the_key_is_absent() {
        let selector = Selector::parse("env!=prod").unwrap();
        assert!(selector.matches(&|_| None));
    }

    #[test]
    fn greater_and_less_than_compare_integers_not_text() {
        let cases = [
            ("n>9", "10", true),
            ("n>10", "10", false),
            ("n<10", "9", true),
            ("n<10", "+9", true),
            ("n<10", "-20", true),
            ("n>1", "two", false),
            ("n>1", "", false),
        ];
        for (selector, value, want) in cases {
            let parsed = Selector::parse(selector).unwrap();
            assert_eq!(
                parsed.matches_map(&labels(&[("n", value)])),
                want,
                "{selector} {value}"
            );
        }
        assert!(!Selector::parse("n>1").unwrap().matches(&|_| None));
    }

    #[test]
    fn display_round_trips_through_parse() {
        let cases = [
            ("app=web", "app=web"),
            ("app == web", "app==web"),
            ("a!=b", "a!=b"),
            ("x in (c, a, b)", "x in (a,b,c)"),
            ("x notin (a)", "x notin (a)"),
            ("x in (,)", "x in (,)"),
            ("x in (a,)", "x in (,a)"),
            ("b,!a", "!a,b"),
            ("n>1,m<2", "m<2,n>1"),
            ("a=", "a="),
        ];
        for (input, canonical) in cases {
            let parsed = Selector::parse(input).unwrap();
            assert_eq!(parsed.to_string(), canonical, "{input:?}");
            assert_eq!(Selector::parse(canonical).unwrap(), parsed, "{canonical:?}");
        }
    }

    #[test]
    fn a_structured_label_selector_matches_like_its_text_form() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
            LabelSelector, LabelSelectorRequirement,
        };
        let structured = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".to_string(),
                operator: "In".to_string(),
                values: Some(vec!["b".to_string(), "a".to_string()]),
            }]),
        };
        let s = Selector::from_label_selector(&structured).unwrap();
        assert_eq!(s, Selector::parse("app=web,tier in (a,b)").unwrap());
        let bad = LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".to_string(),
                operator: "In".to_string(),
                values: None,
            }]),
            ..LabelSelector::default()
        };
        assert!(Selector::from_label_selector(&bad).is_err());
    }
}
