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
//!
//! Patches are checked on the object they produce ([`FieldValidation::check_patched`]), and
//! `Strict` then words its error as upstream's patch handler does (`endpoints/handlers/patch.go`):
//! a 422 whose only cause is the field `patch`. An apply patch is always strict: its fields
//! must fit the kind's schema whatever `fieldValidation` says (see `apply/`).

use super::patch::PatchType;
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
        let Ok(decoded) = (res.decode)(probe) else {
            return Ok(Vec::new());
        };
        // Only fields the body has and the typed object lacks are unknown, so the body as
        // sent (without the kind and apiVersion filled in) is what to compare.
        let mut unknown = Vec::new();
        unknown_fields(body, &decoded, "", &mut unknown);
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

impl FieldValidation {
    /// Check the object a merge, JSON or strategic `patch` made: `patched` as the patch left
    /// it, `decoded` after the typed decode. Returns the warnings to send, or for `Strict` the
    /// 422 upstream gives, e.g. ` "" is invalid: patch: Invalid value: "map[spec:map[bogus:1]]":
    /// strict decoding error: unknown field "spec.bogus"` (the value shown is the patched
    /// object for merge and JSON patches, the patch itself, printed as Go prints a map, for
    /// strategic merge patches).
    pub fn check_patched(
        self,
        kind: PatchType,
        patch: &Value,
        patched: &Value,
        decoded: &Value,
    ) -> Result<Vec<String>, ApiError> {
        if self == FieldValidation::Ignore {
            return Ok(Vec::new());
        }
        let mut unknown = Vec::new();
        unknown_fields(patched, decoded, "", &mut unknown);
        let messages: Vec<String> = unknown
            .iter()
            .map(|f| format!("unknown field {f:?}"))
            .collect();
        if self == FieldValidation::Warn || messages.is_empty() {
            return Ok(messages);
        }
        let shown = match kind {
            PatchType::Strategic => go_value(patch),
            _ => patched.to_string(),
        };
        Err(ApiError::invalid(
            "",
            "",
            "",
            vec![machinery::StatusCause::invalid(
                "patch",
                &shown,
                &format!("strict decoding error: {}", messages.join(", ")),
            )],
        ))
    }
}

/// A JSON value as Go's `fmt` prints the `map[string]interface{}` it decodes to:
/// `map[spec:map[replicas:3]]`, lists as `[a b]`, keys sorted.
fn go_value(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i.to_string(),
            (None, Some(f)) => f.to_string(),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_value).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{k}:{}", go_value(&map[k])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
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

    #[test]
    fn a_strict_patch_error_shows_what_upstream_shows() {
        let patch = json!({"spec": {"bogus": 1, "containers": [{"name": "a"}]}});
        let patched =
            json!({"metadata": {"name": "p"}, "spec": {"bogus": 1, "containers": [{"name": "a"}]}});
        let decoded = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}});
        let err = FieldValidation::Strict
            .check_patched(PatchType::Strategic, &patch, &patched, &decoded)
            .unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
        assert_eq!(
            err.message,
            " \"\" is invalid: patch: Invalid value: \"map[spec:map[bogus:1 containers:[map[name:a]]]]\": strict decoding error: unknown field \"spec.bogus\""
        );
        let warned = FieldValidation::Warn
            .check_patched(PatchType::Merge, &patch, &patched, &decoded)
            .unwrap();
        assert_eq!(warned, ["unknown field \"spec.bogus\""]);
        assert!(FieldValidation::Ignore
            .check_patched(PatchType::Json, &patch, &patched, &decoded)
            .unwrap()
            .is_empty());
    }
}
