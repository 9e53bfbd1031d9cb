//! Field selectors: `metadata.name=web,status.phase!=Running`.
//!
//! Mirrors `k8s.io/apimachinery/pkg/fields/selector.go` (parsing, escaping, matching) and
//! `pkg/fields/requirements.go` (the `Requirement` triple).
//!
//! Label selectors filter on tags a user chose; field selectors filter on an object's own
//! fields. They are deliberately tiny: only `=` (or `==`) and `!=`, joined by `,` meaning
//! AND, and each resource supports just a few fields: every kind has `metadata.name` and
//! `metadata.namespace`, Pods add `spec.nodeName` and `status.phase`. That keeps them cheap to
//! serve. The kubelet watches `spec.nodeName=<its node>` to see only its own Pods, and the
//! scheduler lists `spec.nodeName=` (empty: not yet scheduled). For any other field the API
//! server answers "field label not supported", which is why [`Selector::fields`] exists.
//!
//! ```text
//! metadata.name=web,status.phase!=Running
//!   metadata.name=web           the object is named "web"
//!   status.phase!=Running       and its phase is anything but Running (or unset)
//! note=a\,b\=c                  a value holding "a,b=c": `\` escapes `,` `=` `\` (and `!`)
//! ```
//!
//! Unlike labels, a field the object lacks is not "absent": it reads as the empty string, so
//! `spec.nodeName=` matches an unscheduled Pod and `spec.nodeName!=` matches a scheduled one.

use std::fmt;

/// `=` and `==` mean the same thing, so both parse to `Equals` (upstream `hasTerm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equals,
    NotEquals,
}

/// One term, e.g. `status.phase!=Running`. `value` is stored unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub field: String,
    pub operator: Operator,
    pub value: String,
}

/// Terms that must all hold. Empty means "select everything".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

/// Why a field selector string was rejected, worded like upstream's errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl Selector {
    /// Parse the text form; `""` gives the empty selector. As upstream, nothing is trimmed
    /// (` a=b` names the field " a"), and empty terms (`a=b,,c=d`, a trailing `,`) are skipped.
    pub fn parse(s: &str) -> Result<Selector, ParseError> {
        let mut requirements = Vec::new();
        for term in split_terms(s) {
            if term.is_empty() {
                continue;
            }
            let Some((field, operator, raw_value)) = split_term(term) else {
                let message = format!("invalid selector: '{s}'; can't understand '{term}'");
                return Err(ParseError(message));
            };
            let value = unescape_value(raw_value)?;
            requirements.push(Requirement {
                field: field.to_string(),
                operator,
                value,
            });
        }
        // Upstream sorts the terms so that equal selectors print the same whatever order they
        // were typed in. Sorting by the printed form keeps `parse(display(s)) == s` exact.
        requirements.sort_by_cached_key(|r| r.to_string());
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

    /// `get` returns the object's value for a field name; a field the object lacks is
    /// treated as "" (as upstream's `fields.Set`, whose `Get` returns "" for a missing key).
    pub fn matches(&self, get: &dyn Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| {
            let actual = get(&r.field).unwrap_or_default();
            match r.operator {
                Operator::Equals => actual == r.value,
                Operator::NotEquals => actual != r.value,
            }
        })
    }

    /// The value required by an `=` requirement on `field`, if any (upstream
    /// `RequiresExactMatch`). It lets a store serve `metadata.name=x` by fetching one key
    /// instead of scanning a whole list.
    ///
    /// `!=` never qualifies: it rules out one value but does not pin down which one is wanted.
    pub fn required_value(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && r.operator == Operator::Equals)
            .map(|r| r.value.as_str())
    }

    /// The field names mentioned, in selector order (a name used twice appears twice).
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| r.field.as_str())
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let symbol = match self.operator {
            Operator::Equals => "=",
            Operator::NotEquals => "!=",
        };
        write!(f, "{}{symbol}{}", self.field, escape_value(&self.value))
    }
}

/// The canonical string form, values escaped, e.g. `metadata.name=web,status.phase!=Running`.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let terms: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        f.write_str(&terms.join(","))
    }
}

/// Split on commas that are not escaped. The backslashes stay in the terms; unescaping is
/// done later, on the value only (upstream `splitTerms`).
fn split_terms(s: &str) -> Vec<&str> {
    let mut terms = Vec::new();
    let mut start = 0;
    let mut after_backslash = false;
    for (i, c) in s.char_indices() {
        if after_backslash {
            after_backslash = false;
        } else if c == '\\' {
            after_backslash = true;
        } else if c == ',' {
            // `i` comes from char_indices and ',' is one byte, so both slice ends are
            // character boundaries: this slicing cannot panic.
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Cut one term at the first operator. Field names cannot be escaped, so the first `!=`,
/// `==` or `=` is the split point; at each position the two-character operators are tried
/// first, so `a==b` is `a` `==` `b`, not `a` `=` `=b` (upstream `splitTerm`).
fn split_term(term: &str) -> Option<(&str, Operator, &str)> {
    const OPERATORS: [(&str, Operator); 3] = [
        ("!=", Operator::NotEquals),
        ("==", Operator::Equals),
        ("=", Operator::Equals),
    ];
    // `i` is a character boundary (from char_indices), so `term[i..]` cannot panic.
    for (i, _) in term.char_indices() {
        for (symbol, operator) in OPERATORS {
            if let Some(value) = term[i..].strip_prefix(symbol) {
                return Some((&term[..i], operator, value));
            }
        }
    }
    None
}

/// Values are free text, so a `,` or `=` inside one must be written `\,` or `\=`, and a
/// backslash itself `\\`. A bare `=` is an error rather than a guess: `a==b==c` is
/// ambiguous, and rejecting it is what keeps every selector's meaning single (upstream
/// `UnescapeValue`). `\!` is accepted too, which upstream would reject: `!` never needs
/// escaping, but someone escaping every operator character out of caution means no harm.
fn unescape_value(raw: &str) -> Result<String, ParseError> {
    let invalid = |what: String| Err(ParseError(format!("invalid field selector: {what}")));
    let mut value = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped @ ('\\' | ',' | '=' | '!')) => value.push(escaped),
                Some(other) => return invalid(format!("invalid escape sequence: \\{other}")),
                None => return invalid("invalid escape sequence: \\".to_string()),
            },
            ',' | '=' => return invalid(format!("unescaped character in value: '{c}'")),
            _ => value.push(c),
        }
    }
    Ok(value)
}

/// The inverse of `unescape_value`, used when printing (upstream `EscapeValue`).
fn escape_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn req(field: &str, operator: Operator, value: &str) -> Requirement {
        Requirement {
            field: field.into(),
            operator,
            value: value.into(),
        }
    }

    /// A lookup over a fixed list of fields, standing in for a real object.
    fn object(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |field| map.get(field).cloned()
    }

    #[test]
    fn each_operator_parses_and_double_equals_means_equals() {
        use Operator::*;
        let cases = [
            ("metadata.name=web", req("metadata.name", Equals, "web")),
            ("metadata.name==web", req("metadata.name", Equals, "web")),
            (
                "status.phase!=Running",
                req("status.phase", NotEquals, "Running"),
            ),
            ("spec.nodeName=", req("spec.nodeName", Equals, "")),
            ("a=b!c", req("a", Equals, "b!c")),
            ("=x", req("", Equals, "x")), // upstream accepts; the server rejects the field
        ];
        for (input, want) in cases {
            let got = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(got.requirements, vec![want], "{input:?}");
        }
    }

    #[test]
    fn empty_input_and_empty_terms_are_skipped() {
        assert_eq!(Selector::parse("").unwrap(), Selector::everything());
        assert!(Selector::parse(",,").unwrap().is_empty());
        let selector = Selector::parse("a=1,,b=2,").unwrap();
        assert_eq!(selector.requirements.len(), 2);
    }

    #[test]
    fn escaped_characters_in_values_are_decoded() {
        let cases = [
            (r"a=x\,y", "x,y"),
            (r"a=x\=y", "x=y"),
            (r"a=x\\y", r"x\y"),
            (r"a=x\!y", "x!y"),
            (r"a=\\", r"\"),
            (r"a=\,\,", ",,"),
        ];
        for (input, want) in cases {
            let selector = Selector::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(
                selector.requirements,
                vec![req("a", Operator::Equals, want)],
                "{input:?}"
            );
        }
    }

    #[test]
    fn malformed_terms_are_rejected_with_a_readable_message() {
        let cases = [
            ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
            (
                "a=b,foo",
                "invalid selector: 'a=b,foo'; can't understand 'foo'",
            ),
            (
                "a==b==c",
                "invalid field selector: unescaped character in value: '='",
            ),
            (
                "a=b=c",
                "invalid field selector: unescaped character in value: '='",
            ),
            (
                r"a=b\x",
                r"invalid field selector: invalid escape sequence: \x",
            ),
            (
                r"a=b\",
                r"invalid field selector: invalid escape sequence: \",
            ),
        ];
        for (input, want) in cases {
            let err = Selector::parse(input).expect_err(input).to_string();
            assert_eq!(err, want, "{input:?}");
        }
    }

    #[test]
    fn odd_input_never_panics() {
        let inputs = [
            "=", "==", "!=", "!", ",", "\\", "\\,", "a==b==c", "é=ü", "a=\\é", "in",
        ];
        for input in inputs {
            let _ = Selector::parse(input); // must return, Ok or Err, without panicking
        }
        for bad in ["!", "\\", "\\,", "a==b==c", "a=\\é", "in"] {
            assert!(Selector::parse(bad).is_err(), "{bad:?} should be an error");
        }
    }

    #[test]
    fn a_missing_field_is_treated_as_the_empty_string() {
        let lookup = object(&[]);
        assert!(Selector::parse("spec.nodeName=").unwrap().matches(&lookup));
        assert!(!Selector::parse("spec.nodeName!=").unwrap().matches(&lookup));
        assert!(Selector::parse("spec.nodeName!=n1")
            .unwrap()
            .matches(&lookup));
    }

    #[test]
    fn matching_requires_every_term() {
        let pod = object(&[("metadata.name", "web"), ("status.phase", "Pending")]);
        let cases = [
            ("", true),
            ("metadata.name=web", true),
            ("metadata.name==web", true),
            ("metadata.name=db", false),
            ("metadata.name!=db", true),
            ("metadata.name!=web", false),
            ("metadata.name=web,status.phase!=Running", true),
            ("metadata.name=web,status.phase=Running", false),
        ];
        for (selector, want) in cases {
            assert_eq!(
                Selector::parse(selector).unwrap().matches(&pod),
                want,
                "{selector:?}"
            );
        }
    }

    #[test]
    fn required_value_comes_only_from_an_equals_term() {
        let selector = Selector::parse("metadata.name=web,status.phase!=Running").unwrap();
        assert_eq!(selector.required_value("metadata.name"), Some("web"));
        assert_eq!(selector.required_value("status.phase"), None);
        assert_eq!(selector.required_value("spec.nodeName"), None);
        let unscheduled = Selector::parse("spec.nodeName=").unwrap();
        assert_eq!(unscheduled.required_value("spec.nodeName"), Some(""));
    }

    #[test]
    fn fields_lists_every_field_mentioned() {
        let selector = Selector::parse("status.phase!=Running,metadata.name=web").unwrap();
        let fields: Vec<&str> = selector.fields().collect();
        assert_eq!(fields, ["metadata.name", "status.phase"]);
    }

    #[test]
    fn display_escapes_values_and_round_trips_through_parse() {
        let cases = [
            ("metadata.name=web", "metadata.name=web"),
            ("b==2,a!=1", "a!=1,b=2"),
            (r"a=x\,y\=z\\", r"a=x\,y\=z\\"),
            (r"a=\!", "a=!"),
            ("a=", "a="),
            ("a!=", "a!="),
        ];
        for (input, canonical) in cases {
            let parsed = Selector::parse(input).unwrap();
            assert_eq!(parsed.to_string(), canonical, "{input:?}");
            assert_eq!(Selector::parse(canonical).unwrap(), parsed, "{canonical:?}");
        }
    }
}
