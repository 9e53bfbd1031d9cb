//! `fieldValidation`: what to do about fields the server does not know.
//!
//! A typo in a manifest (`contianers:`) used to vanish silently: the server decodes into its
//! types and drops what does not fit. Since Kubernetes 1.27 the client chooses, with the
//! `fieldValidation` query parameter (kubectl sends `Strict` unless told otherwise):
//!
//! - `Strict`: reject the request, 400 `Pod in version "v1" cannot be handled as a Pod: strict
//!   decoding error: unknown field "spec.contianers"`;
//! - `Warn` (the server's default): accept it, and say so in a `Warning` header, which kubectl
//!   prints as `Warning: unknown field "spec.contianers"`;
//! - `Ignore`: drop such fields quietly, the old behaviour.
//!
//! How we find unknown fields: decode through the typed struct (which drops them) and compare
//! with what was sent; anything sent that did not survive is unknown. Upstream does it in the
//! strict JSON decoder (`k8s.io/apimachinery/pkg/runtime/serializer/json`).

use crate::resources::Resource;
use machinery::ApiError;
use serde_json::Value;

/// The three modes of the `fieldValidation` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldValidation {
    Strict,
    Warn,
    Ignore,
}

impl FieldValidation {
    /// Read the query parameter (absent = `Warn`, the server default).
    pub fn parse(value: Option<&str>) -> Result<Self, ApiError> {
        match value {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation: Unsupported value: {other:?}: supported values: \"Ignore\", \"Strict\", \"Warn\""
            ))),
        }
    }

    /// Check `body` (an object the client sent for `res`). Returns the warnings to send, or
    /// the 400 for `Strict`.
    pub fn check(self, res: &Resource, body: &Value) -> Result<Vec<String>, ApiError> {
        if self == FieldValidation::Ignore {
            return Ok(Vec::new());
        }
        // Fill in kind/apiVersion as the registry would, so the typed decode can run; a body
        // the decode rejects outright is the registry's 400 to give, not ours.
        let mut probe = body.clone();
        if probe.is_object() {
            probe["apiVersion"] = Value::String(res.api_version());
            probe["kind"] = Value::String(res.kind.to_string());
        }
        let Ok(decoded) = (res.decode)(probe.clone()) else {
            return Ok(Vec::new());
        };
        let mut unknown = Vec::new();
        unknown_fields(&probe, &decoded, "", &mut unknown);
        let messages: Vec<String> = unknown
            .iter()
            .map(|f| format!("unknown field {f:?}"))
            .collect();
        if self == FieldValidation::Strict && !messages.is_empty() {
            // Worded as upstream's decoder words it; kubectl prints it as is.
            return Err(ApiError::bad_request(format!(
                "{kind} in version {version:?} cannot be handled as a {kind}: strict decoding error: {}",
                messages.join(", "),
                kind = res.kind,
                version = res.version,
            )));
        }
        Ok(messages)
    }
}

/// Collect the paths present (and not null) in `sent` but missing from `kept`.
pub fn unknown_fields(sent: &Value, kept: &Value, path: &str, out: &mut Vec<String>) {
    match (sent, kept) {
        (Value::Object(s), Value::Object(k)) => {
            for (key, value) in s {
                let field = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match k.get(key) {
                    Some(kv) => unknown_fields(value, kv, &field, out),
                    None if !value.is_null() => out.push(field),
                    None => {}
                }
            }
        }
        (Value::Array(s), Value::Array(k)) => {
            for (i, (sv, kv)) in s.iter().zip(k).enumerate() {
                unknown_fields(sv, kv, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pods() -> &'static Resource {
        crate::resources::find("", "v1", "pods").expect("served")
    }

    #[test]
    fn a_misspelled_field_is_found_with_its_path() {
        let body = json!({"metadata": {"name": "p"}, "spec": {"contianers": [], "containers": [{"name": "a", "image": "b", "imagee": "c"}]}});
        let warnings = FieldValidation::Warn
            .check(pods(), &body)
            .expect("warn never fails");
        assert_eq!(
            warnings,
            [
                "unknown field \"spec.containers[0].imagee\"",
                "unknown field \"spec.contianers\""
            ]
        );
    }

    #[test]
    fn strict_turns_unknown_fields_into_a_400() {
        let body = json!({"metadata": {"name": "p"}, "spec": {"containers": [], "bogus": 1}});
        let err = FieldValidation::Strict.check(pods(), &body).unwrap_err();
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.bogus\""
        );
    }

    #[test]
    fn known_fields_and_nulls_are_fine_and_ignore_ignores() {
        let body = json!({"metadata": {"name": "p", "creationTimestamp": null}, "spec": {"containers": [{"name": "a", "image": "b"}]}});
        assert!(FieldValidation::Strict
            .check(pods(), &body)
            .unwrap()
            .is_empty());
        let bogus = json!({"metadata": {"name": "p"}, "nonsense": true});
        assert!(FieldValidation::Ignore
            .check(pods(), &bogus)
            .unwrap()
            .is_empty());
        assert_eq!(FieldValidation::parse(Some("Loud")).unwrap_err().code, 400);
    }
}
