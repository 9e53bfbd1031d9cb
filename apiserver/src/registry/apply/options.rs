//! The query parameters of a write that concern ownership: `fieldManager`, `force` and
//! `fieldValidation`, checked as upstream checks `CreateOptions`, `UpdateOptions` and
//! `PatchOptions` (`k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go`), and
//! the manager's name when the client gives none (`endpoints/handlers/rest.go`,
//! `managerOrUserAgent`).

use crate::registry::field_validation::FieldValidation;
use machinery::{ApiError, StatusCause};
use std::collections::HashMap;

/// The longest manager name upstream accepts.
pub const FIELD_MANAGER_MAX_LENGTH: usize = 128;

/// Which write the options belong to; it names the options in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    Update,
    /// A patch; `true` for server-side apply.
    Patch {
        apply: bool,
    },
}

impl WriteKind {
    fn options_kind(self) -> &'static str {
        match self {
            WriteKind::Create => "CreateOptions",
            WriteKind::Update => "UpdateOptions",
            WriteKind::Patch { .. } => "PatchOptions",
        }
    }
}

/// The options of one write.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOptions {
    /// `fieldManager` as sent ("" when absent).
    pub field_manager: String,
    /// `force` (server-side apply only).
    pub force: bool,
    /// `fieldValidation`.
    pub validation: FieldValidation,
}

impl WriteOptions {
    /// Read and check the options of a `kind` write from its query parameters.
    pub fn parse(query: &HashMap<String, String>, kind: WriteKind) -> Result<Self, ApiError> {
        let validation = FieldValidation::parse(query.get("fieldValidation").map(String::as_str))?;
        let field_manager = query.get("fieldManager").cloned().unwrap_or_default();
        let force = match query.get("force").map(String::as_str) {
            None => None,
            Some("true") | Some("1") => Some(true),
            Some("false") | Some("0") | Some("") => Some(false),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "invalid value {other:?} for force: it must be true or false"
                )))
            }
        };
        let mut causes = Vec::new();
        match kind {
            WriteKind::Patch { apply: true } if field_manager.is_empty() => {
                // kubectl always sends one; controllers must too.
                causes.push(StatusCause {
                    reason: "FieldValueRequired".into(),
                    message: "Required value: is required for apply patch".into(),
                    field: "fieldManager".into(),
                });
            }
            WriteKind::Patch { apply: false } if force.is_some() => causes.push(StatusCause {
                reason: "FieldValueForbidden".into(),
                message: "Forbidden: may not be specified for non-apply patch".into(),
                field: "force".into(),
            }),
            _ => {}
        }
        causes.extend(validate_field_manager(&field_manager, "fieldManager"));
        if !causes.is_empty() {
            return Err(options_invalid(kind.options_kind(), causes));
        }
        Ok(WriteOptions {
            field_manager,
            force: force.unwrap_or(false),
            validation,
        })
    }

    /// The manager of this write: `fieldManager`, else what the User-Agent says before its
    /// first `/` (`kubectl/v1.32.5 (linux/amd64) ...` -> `kubectl`).
    pub fn manager(&self, user_agent: &str) -> String {
        if !self.field_manager.is_empty() {
            return self.field_manager.clone();
        }
        manager_from_user_agent(user_agent)
    }
}

/// The product part of a User-Agent, without unprintable characters, at most 128 bytes
/// (upstream `prefixFromUserAgent`).
pub fn manager_from_user_agent(user_agent: &str) -> String {
    let product = user_agent.split('/').next().unwrap_or("");
    let mut out = String::new();
    for c in product.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > FIELD_MANAGER_MAX_LENGTH {
            break;
        }
        out.push(c);
    }
    out
}

/// Upstream `ValidateFieldManager`: at most 128 bytes, printable characters only. `field`
/// is where the name was found (`fieldManager`, `metadata.managedFields[0].manager`).
pub fn validate_field_manager(name: &str, field: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    if name.len() > FIELD_MANAGER_MAX_LENGTH {
        causes.push(StatusCause {
            reason: "FieldValueTooLong".into(),
            message: format!("Too long: may not be more than {FIELD_MANAGER_MAX_LENGTH} bytes"),
            field: field.into(),
        });
    }
    for (i, c) in name.chars().enumerate() {
        if c.is_control() {
            causes.push(StatusCause::invalid(
                field,
                name,
                &format!("invalid character U+{:04X} (at position {i})", c as u32),
            ));
        }
    }
    causes
}

/// 422 `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: ...`, as
/// upstream's `errors.NewInvalid` on the options words it.
fn options_invalid(kind: &str, causes: Vec<StatusCause>) -> ApiError {
    ApiError::invalid("meta.k8s.io", kind, "", causes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn apply_needs_a_field_manager_in_upstreams_words() {
        let err = WriteOptions::parse(&query(&[]), WriteKind::Patch { apply: true }).unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
        assert_eq!(
            err.message,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch"
        );
        let ok = WriteOptions::parse(
            &query(&[("fieldManager", "kubectl"), ("force", "true")]),
            WriteKind::Patch { apply: true },
        )
        .unwrap();
        assert!(ok.force);
    }

    #[test]
    fn force_belongs_to_apply_only_and_names_are_bounded() {
        let err = WriteOptions::parse(
            &query(&[("force", "false")]),
            WriteKind::Patch { apply: false },
        )
        .unwrap_err();
        assert_eq!(
            err.message,
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch"
        );
        let long = "m".repeat(129);
        let err =
            WriteOptions::parse(&query(&[("fieldManager", &long)]), WriteKind::Create).unwrap_err();
        assert_eq!(
            err.message,
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Too long: may not be more than 128 bytes"
        );
        assert_eq!(
            WriteOptions::parse(
                &query(&[("force", "maybe")]),
                WriteKind::Patch { apply: true }
            )
            .unwrap_err()
            .code,
            400
        );
    }

    #[test]
    fn the_manager_defaults_to_the_user_agents_product() {
        let opts = WriteOptions::parse(&query(&[]), WriteKind::Update).unwrap();
        assert_eq!(
            opts.manager("kubectl/v1.32.5 (linux/amd64) kubernetes/abc"),
            "kubectl"
        );
        assert_eq!(opts.manager(""), "");
        let named = WriteOptions::parse(
            &query(&[("fieldManager", "kubectl-edit")]),
            WriteKind::Update,
        )
        .unwrap();
        assert_eq!(named.manager("kubectl/v1.32.5"), "kubectl-edit");
        assert_eq!(manager_from_user_agent(&"x".repeat(300)).len(), 128);
    }
}
