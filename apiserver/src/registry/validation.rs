//! Metadata validation shared by every kind. Upstream:
//! `apimachinery/pkg/api/validation/objectmeta.go` and `pkg/util/validation/validation.go`.

use machinery::StatusCause;
use serde_json::Value;

const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/// Whether `s` is a DNS-1123 label: 1-63 of `[a-z0-9-]`, alphanumeric at both ends.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Whether `s` is a DNS-1123 subdomain: at most 253 characters of dot-separated labels.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns1123_label)
}

/// Check `metadata.name` (and the namespace, for namespaced kinds).
pub fn validate_meta(obj: &Value, name_is_label: bool) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let name = machinery::meta::name(obj);
    if name.is_empty() {
        causes.push(StatusCause {
            reason: "FieldValueRequired".into(),
            message: "Required value: name or generateName is required".into(),
            field: "metadata.name".into(),
        });
    } else if name_is_label && !is_dns1123_label(name) {
        causes.push(StatusCause::invalid("metadata.name", name, LABEL_MSG));
    } else if !name_is_label && !is_dns1123_subdomain(name) {
        causes.push(StatusCause::invalid("metadata.name", name, SUBDOMAIN_MSG));
    }
    for (field, map) in [
        ("metadata.labels", machinery::meta::labels(obj)),
        ("metadata.annotations", machinery::meta::annotations(obj)),
    ] {
        for key in map.keys() {
            if key.is_empty() || key.len() > 316 {
                causes.push(StatusCause::invalid(
                    field,
                    key,
                    "name part must be non-empty and at most 63 characters",
                ));
            }
        }
    }
    for (k, v) in machinery::meta::labels(obj) {
        let ok = v.len() <= 63
            && v.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c))
            && v.bytes().next().is_none_or(|c| c.is_ascii_alphanumeric())
            && v.bytes().last().is_none_or(|c| c.is_ascii_alphanumeric());
        if !ok {
            causes.push(StatusCause::invalid(
                &format!("metadata.labels.{k}"),
                &v,
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
            ));
        }
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subdomains_allow_dots_but_labels_do_not() {
        assert!(is_dns1123_subdomain("web.example"));
        assert!(!is_dns1123_label("web.example"));
        assert!(is_dns1123_label("web-1"));
    }

    #[test]
    fn uppercase_leading_dash_and_empty_names_are_rejected() {
        for bad in ["Web", "-web", "web-", "", "a..b"] {
            assert!(!is_dns1123_subdomain(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn an_invalid_name_gives_one_cause_on_metadata_name() {
        let causes = validate_meta(&json!({"metadata": {"name": "Bad_Name"}}), false);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "metadata.name");
        assert!(causes[0].message.starts_with("Invalid value: \"Bad_Name\""));
    }

    #[test]
    fn a_label_value_with_a_space_is_invalid() {
        let causes = validate_meta(
            &json!({"metadata": {"name": "a", "labels": {"app": "a b"}}}),
            false,
        );
        assert_eq!(causes[0].field, "metadata.labels.app");
    }
}
