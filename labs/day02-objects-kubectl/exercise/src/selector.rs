//! Label selectors: `app=web,tier in (frontend,backend),!canary`.
//!
//! ```text
//!  selector     app=web , tier in (frontend,backend) , !canary      every part must hold
//!               ───┬───   ────────────┬────────────   ───┬───
//!  requirement  key op value    key op (values)          op key
//!
//!  labels {app: web, tier: backend}              -> matches
//!  labels {app: web, tier: backend, canary: ""}  -> no: `!canary` wants no canary key at all
//!  labels {app: web}                             -> no: `tier in (...)` needs a tier
//! ```
//!
//! The surprise worth remembering: `!=` and `notin` also match objects that do not have the
//! key at all. `env!=prod` selects pods with `env: dev` *and* pods with no `env` label.

// The gaps below leave their parameters unused until you fill them in.
#![allow(unused_variables)]

use std::collections::BTreeMap;
use std::fmt;

/// An object's labels, `metadata.labels`: key to value.
pub type Labels = BTreeMap<String, String>;

/// Labels from pairs, for tests and examples: `labels(&[("app", "web")])`.
pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// How a requirement relates a key to its values (upstream `pkg/selection/operator.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `key=value` or `key==value`: the key exists and equals the value.
    Equals,
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
}

/// One comma-separated part of a selector, e.g. `tier in (frontend,backend)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    /// One value for `=`, `==` and `!=`; one or more for `in` and `notin`; none for `key`
    /// and `!key`.
    pub values: Vec<String>,
}

/// Requirements that must all hold (there is no OR). Empty selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

/// Why a selector was rejected; the text says what is wrong, for a person to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

impl Selector {
    /// Parse a whole selector: split it into requirements, parse each one.
    /// `""` (or only spaces) is the empty selector, which matches everything.
    pub fn parse(text: &str) -> Result<Selector, ParseError> {
        let requirements = split_requirements(text)?
            .into_iter()
            .map(parse_requirement)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Selector { requirements })
    }

    /// Whether every requirement holds for these labels.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }
}

/// Split a selector at the commas that separate requirements: those *outside* parentheses,
/// since `tier in (a,b)` has a comma of its own. Parts are trimmed; `""` gives no parts.
///
/// ```text
/// "app=web, tier in (a,b),!canary"  ->  ["app=web", "tier in (a,b)", "!canary"]
/// ```
/// An empty part (`a,,b`, or a trailing comma) and unbalanced parentheses are errors.
pub fn split_requirements(text: &str) -> Result<Vec<&str>, ParseError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return Err(ParseError(format!("unexpected ')' at position {i}")));
        }
    }
    if depth != 0 {
        return Err(ParseError("unclosed '('".to_string()));
    }
    parts.push(text[start..].trim());
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ParseError(format!("empty requirement in {text:?}")));
    }
    Ok(parts)
}

/// Whether `word` may be a label key: not empty, and only ASCII letters, digits and `-_./`
/// (`app`, `app.kubernetes.io/name`). Upstream's rules are stricter (lengths, where a `/`
/// may go); this is enough to reject the typos the tests try.
pub fn is_valid_key(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

/// Whether `word` may be a label value: possibly empty, and only ASCII letters, digits and
/// `-_.`.
pub fn is_valid_value(word: &str) -> bool {
    word.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Parse one requirement (already split out and trimmed by [`split_requirements`]).
///
/// EXERCISE 1: fill in the body. The forms, each checked by `tests/selector.rs`:
///
/// | text                  | key    | operator       | values        |
/// |-----------------------|--------|----------------|---------------|
/// | `app=web`, `app==web` | `app`  | `Equals`       | `["web"]`     |
/// | `app!=web`            | `app`  | `NotEquals`    | `["web"]`     |
/// | `tier in (a, b)`      | `tier` | `In`           | `["a", "b"]`  |
/// | `tier notin (a)`      | `tier` | `NotIn`        | `["a"]`       |
/// | `canary`              | `canary` | `Exists`     | `[]`          |
/// | `!canary`             | `canary` | `DoesNotExist` | `[]`        |
///
/// - Spaces around keys, operators, parentheses and values do not matter (`app = web`,
///   `tier in ( a , b )`). Hint: look for `!=`, then `==`, then `=`, and for the words ` in `
///   and ` notin ` followed by `(`, before deciding it is a bare key.
/// - `app=` means "the value is the empty string" (allowed, as upstream).
/// - Errors (any [`ParseError`] text will do): an invalid key or value (see [`is_valid_key`]
///   and [`is_valid_value`]: `a b=c`, `=web`, `app=we b`), an `in`/`notin` without
///   parentheses or with an empty set `()`, an empty value inside the set (`in (a,,b)`).
pub fn parse_requirement(text: &str) -> Result<Requirement, ParseError> {
    todo!("EXERCISE 1: recognise the six forms in the table above")
}

impl Requirement {
    /// Whether this requirement holds for these labels.
    ///
    /// EXERCISE 2: fill in the body, one line per operator (see [`Operator`]'s docs).
    pub fn matches(&self, labels: &Labels) -> bool {
        todo!("EXERCISE 2: one match arm per operator; mind keys that are absent")
    }
}
