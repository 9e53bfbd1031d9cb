//! Which words may be label keys and values, with upstream's error wording.
//!
//! Mirrors `IsQualifiedName` and `IsValidLabelValue` in
//! `k8s.io/apimachinery/pkg/util/validation/validation.go`, which upstream's selector parser
//! calls for every key and value it reads. Upstream checks the labels stored on objects with
//! the same rules (`ValidateLabels`), so a selector never asks for a label no object could carry.

use super::Operator;

const NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start \
    and end with an alphanumeric character (e.g. 'MyName', 'my.name', or '123-abc')";
const TOO_MANY_SLASHES_MSG: &str = "a qualified name must consist of alphanumeric characters, \
    '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', \
    'my.name', or '123-abc') with an optional DNS subdomain prefix and '/' (e.g. \
    'example.com/MyName')";
const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case \
    alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character \
    (e.g. 'example.com')";
const VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric \
    characters, '-', '_' or '.', and must start and end with an alphanumeric character \
    (e.g. 'MyValue', 'my_value', or '12345')";

/// Upstream's `field.Invalid` wording: `key: Invalid value: "a/b/c": why`.
fn invalid(path: &str, value: &str, why: &str) -> String {
    format!("{path}: Invalid value: {value:?}: {why}")
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, written out instead of using a regex crate.
fn is_name(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.starts_with(alnum)
        && s.ends_with(alnum)
        && s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
}

/// A DNS-1123 subdomain: dot-separated lowercase labels like `example.com`.
fn is_dns_subdomain(s: &str) -> bool {
    let lower = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    s.split('.').all(|label| {
        label.starts_with(lower)
            && label.ends_with(lower)
            && label.chars().all(|c| lower(c) || c == '-')
    })
}

/// Why `key` is not a "qualified name" (none: it is one): an optional DNS prefix and `/`, then
/// a name of at most 63 characters, e.g. `app` or `app.kubernetes.io/name`. Label keys,
/// topology keys and extended resource names all have this shape (upstream `IsQualifiedName`,
/// which also returns its reasons as a list).
pub fn qualified_name_errors(key: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let name = match key.split('/').collect::<Vec<_>>().as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                problems.push("prefix part must be non-empty".to_string());
            } else if prefix.len() > 253 {
                problems.push("prefix part must be no more than 253 characters".to_string());
            } else if !is_dns_subdomain(prefix) {
                problems.push(format!("prefix part {SUBDOMAIN_MSG}"));
            }
            *name
        }
        _ => return vec![TOO_MANY_SLASHES_MSG.to_string()],
    };
    if name.is_empty() {
        problems.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        problems.push("name part must be no more than 63 characters".to_string());
    } else if !is_name(name) {
        problems.push(format!("name part {NAME_MSG}"));
    }
    problems
}

/// Is `key` a qualified name? See [`qualified_name_errors`].
pub fn is_qualified_name(key: &str) -> bool {
    qualified_name_errors(key).is_empty()
}

/// Is `value` a valid label value: empty, or a name of at most 63 characters
/// (upstream `IsValidLabelValue`)?
pub fn is_valid_label_value(value: &str) -> bool {
    value.is_empty() || (value.len() <= 63 && is_name(value))
}

/// A selector's key, with upstream's `field.Invalid` wording.
pub(super) fn validate_key(key: &str) -> Result<(), String> {
    let problems = qualified_name_errors(key);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(invalid("key", key, &problems.join("; ")))
    }
}

/// Values: empty, or a name of at most 63 characters (upstream `IsValidLabelValue`).
/// `>`/`<` additionally need an integer; note that makes `a>-1` invalid, as upstream,
/// because a label value may not start with '-'.
pub(super) fn validate_values(operator: Operator, values: &[String]) -> Result<(), String> {
    for value in values {
        let is_comparison = matches!(operator, Operator::GreaterThan | Operator::LessThan);
        if is_comparison && value.parse::<i64>().is_err() {
            let why = "for 'Gt', 'Lt' operators, the value must be an integer";
            return Err(invalid("values", value, why));
        }
        if value.len() > 63 {
            return Err(invalid(
                "values",
                value,
                "must be no more than 63 characters",
            ));
        }
        if !value.is_empty() && !is_name(value) {
            return Err(invalid("values", value, VALUE_MSG));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Selector;

    #[test]
    fn bad_keys_and_values_are_rejected_with_upstream_wording() {
        let cases = [
            ("a/b/c", "a qualified name must consist of"),
            ("/a", "prefix part must be non-empty"),
            (
                "Example.com/a",
                "prefix part a lowercase RFC 1123 subdomain",
            ),
            (
                "a=-b",
                "values: Invalid value: \"-b\": a valid label must be",
            ),
            ("a=b/c", "a valid label must be"),
            ("a in (ok,bad_)", "Invalid value: \"bad_\""),
            (
                "a>x",
                "for 'Gt', 'Lt' operators, the value must be an integer",
            ),
            ("a>-1", "a valid label must be"),
        ];
        for (input, want) in cases {
            let err = Selector::parse(input).expect_err(input).to_string();
            assert!(err.contains(want), "{input:?}: got {err:?}, want {want:?}");
        }
    }

    #[test]
    fn keys_and_values_longer_than_63_characters_are_rejected() {
        let long = "a".repeat(64);
        let err = Selector::parse(&long).unwrap_err().to_string();
        assert!(
            err.contains("name part must be no more than 63 characters"),
            "{err}"
        );
        let err = Selector::parse(&format!("a={long}"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be no more than 63 characters"), "{err}");
        assert!(Selector::parse(&format!("a={}", "a".repeat(63))).is_ok());
    }
}
