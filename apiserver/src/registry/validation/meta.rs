//! `metadata`, the part every object shares: name, labels, annotations, finalizers, owners.
//!
//! Upstream: `k8s.io/apimachinery/pkg/api/validation/objectmeta.go` (`ValidateObjectMetaAccessor`,
//! `ValidateAnnotations`, `ValidateFinalizers`, `validateOwnerReference`),
//! `k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go` (`ValidateLabels`) and the
//! core group's extra finalizer rule (`validateKubeFinalizerName` in
//! `pkg/apis/core/validation/validation.go`).

use super::{child, index, names, selector};
use machinery::labels::validation::qualified_name_errors;
use machinery::validation_causes::{self as cause, go_string_slice, BadValue};
use machinery::StatusCause;
use serde_json::Value;
use std::collections::BTreeMap;

/// Annotations may hold 256 KiB in all, keys and values counted together
/// (upstream `TotalAnnotationSizeLimitB`).
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Finalizers that need no `example.com/` prefix (upstream `IsStandardFinalizerName`).
const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// Which rule a kind's names follow. Upstream gives every kind its own `ValidateNameFunc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// Most kinds: a DNS-1123 subdomain (`web.example`, at most 253 characters).
    Subdomain,
    /// Namespaces: a DNS-1123 label (no dots, at most 63 characters).
    Label,
    /// Services: a DNS-1035 label (a label that starts with a letter).
    Dns1035,
}

impl NameRule {
    /// Why `name` breaks the rule. `prefix` is for `generateName`, which may end in `-`
    /// because random characters follow it (upstream's `maskTrailingDash`).
    pub fn errors(self, name: &str, prefix: bool) -> Vec<String> {
        let name = match name.strip_suffix('-') {
            Some(masked) if prefix && name.len() > 1 => masked,
            _ => name,
        };
        match self {
            NameRule::Subdomain => names::dns1123_subdomain_errors(name),
            NameRule::Label => names::dns1123_label_errors(name),
            NameRule::Dns1035 => names::dns1035_label_errors(name),
        }
    }

    /// The rule for `obj`. The registry tells us only whether names are labels (namespaces and
    /// services); of those, core/v1 Services are the DNS-1035 ones.
    pub fn of(obj: &Value, name_is_label: bool) -> NameRule {
        let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
        let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        match (name_is_label, kind, api_version) {
            (false, _, _) => NameRule::Subdomain,
            (true, "Service", "v1") => NameRule::Dns1035,
            (true, _, _) => NameRule::Label,
        }
    }
}

/// Check `metadata` of any object. Every problem is one cause of a single 422.
pub fn validate_meta(obj: &Value, name_is_label: bool) -> Vec<StatusCause> {
    let rule = NameRule::of(obj, name_is_label);
    let m = obj.get("metadata").cloned().unwrap_or(Value::Null);
    let mut causes = Vec::new();

    let generate_name = m.get("generateName").and_then(Value::as_str).unwrap_or("");
    if !generate_name.is_empty() {
        for msg in rule.errors(generate_name, true) {
            causes.push(cause::invalid("metadata.generateName", generate_name, &msg));
        }
    }
    let name = m.get("name").and_then(Value::as_str).unwrap_or("");
    if name.is_empty() {
        causes.push(cause::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        for msg in rule.errors(name, false) {
            causes.push(cause::invalid("metadata.name", name, &msg));
        }
    }

    let labels = super::string_map_at(&m, "/labels").unwrap_or_default();
    causes.extend(selector::validate_labels(&labels, "metadata.labels"));
    let annotations = super::string_map_at(&m, "/annotations").unwrap_or_default();
    causes.extend(validate_annotations(&annotations, "metadata.annotations"));
    causes.extend(validate_owner_references(super::list_at(
        &m,
        "/ownerReferences",
    )));
    let finalizers: Vec<String> = super::list_at(&m, "/finalizers")
        .iter()
        .map(|f| f.as_str().unwrap_or("").to_string())
        .collect();
    causes.extend(validate_finalizers(&finalizers));
    causes
}

/// Annotation keys are qualified names (case does not matter), and all annotations together
/// fit in 256 KiB. Upstream `ValidateAnnotations`.
pub fn validate_annotations(
    annotations: &BTreeMap<String, String>,
    path: &str,
) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    for key in annotations.keys() {
        for msg in qualified_name_errors(&key.to_lowercase()) {
            causes.push(cause::invalid(path, key.as_str(), &msg));
        }
    }
    let size: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > TOTAL_ANNOTATION_SIZE_LIMIT {
        causes.push(cause::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    causes
}

/// Each owner reference names its owner fully. Upstream `validateOwnerReference` (which also
/// bans Events as owners) and `ValidateOwnerReferences` (at most one controller).
fn validate_owner_references(refs: &[Value]) -> Vec<StatusCause> {
    let path = "metadata.ownerReferences";
    let mut causes = Vec::new();
    let mut first_controller: Option<String> = None;
    for r in refs {
        let field = |f: &str| r.get(f).and_then(Value::as_str).unwrap_or("").to_string();
        let (api_version, kind, name, uid) = (
            field("apiVersion"),
            field("kind"),
            field("name"),
            field("uid"),
        );
        // The version is what follows the last '/' ("apps/v1" -> "v1", "v1" -> "v1").
        let version = api_version.rsplit('/').next().unwrap_or("");
        for (empty, f, value, what) in [
            (version.is_empty(), "apiVersion", &api_version, "version"),
            (kind.is_empty(), "kind", &kind, "kind"),
            (name.is_empty(), "name", &name, "name"),
            (uid.is_empty(), "uid", &uid, "uid"),
        ] {
            if empty {
                let msg = format!("{what} must not be empty");
                causes.push(cause::invalid(&child(path, f), value.as_str(), &msg));
            }
        }
        if api_version == "v1" && kind == "Event" {
            causes.push(cause::invalid(
                path,
                BadValue::Go(format!("v1.OwnerReference{{Kind:{kind:?}, Name:{name:?}}}")),
                "/v1, Kind=Event is disallowed from being an owner",
            ));
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            let this = format!("{kind}/{name}");
            match &first_controller {
                Some(first) => causes.push(cause::invalid(
                    path,
                    BadValue::Go("[]v1.OwnerReference{...}".into()),
                    &format!(
                        "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {this}"
                    ),
                )),
                None => first_controller = Some(this),
            }
        }
    }
    causes
}

/// Finalizer names are qualified names; one without a `domain/` prefix must be a standard
/// one; and `orphan` and `foregroundDeletion` contradict each other.
/// Upstream `ValidateFinalizers` and `validateKubeFinalizerName`.
fn validate_finalizers(finalizers: &[String]) -> Vec<StatusCause> {
    let path = "metadata.finalizers";
    let mut causes = Vec::new();
    for f in finalizers {
        for msg in qualified_name_errors(f) {
            causes.push(cause::invalid(path, f.as_str(), &msg));
        }
    }
    let has = |name: &str| finalizers.iter().any(|f| f == name);
    if has("orphan") && has("foregroundDeletion") {
        causes.push(cause::invalid(
            path,
            BadValue::Go(go_string_slice(Some(finalizers))),
            "finalizer orphan and foregroundDeletion cannot be both set",
        ));
    }
    for (i, f) in finalizers.iter().enumerate() {
        if !f.contains('/')
            && qualified_name_errors(f).is_empty()
            && !STANDARD_FINALIZERS.contains(&f.as_str())
        {
            causes.push(cause::invalid(
                &index(path, i),
                f.as_str(),
                "name is neither a standard finalizer name nor is it fully qualified",
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
    fn an_invalid_name_gives_one_cause_on_metadata_name() {
        let causes = validate_meta(&json!({"metadata": {"name": "Bad_Name"}}), false);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "metadata.name");
        assert!(causes[0]
            .message
            .starts_with("Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"));
    }

    #[test]
    fn a_missing_name_is_required_with_upstreams_detail() {
        let causes = validate_meta(&json!({"metadata": {}}), false);
        assert_eq!(
            causes,
            vec![cause::required(
                "metadata.name",
                "name or generateName is required"
            )]
        );
    }

    #[test]
    fn services_follow_dns_1035_and_namespaces_dns_1123_labels() {
        let svc = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1web"}});
        assert!(validate_meta(&svc, true)[0].message.contains("DNS-1035"));
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "1web"}});
        assert!(validate_meta(&ns, true).is_empty());
    }

    #[test]
    fn label_problems_are_reported_on_metadata_labels_as_upstream_does() {
        let causes = validate_meta(
            &json!({"metadata": {"name": "a", "labels": {"app": "a b", "bad key!": "x"}}}),
            false,
        );
        assert_eq!(causes.len(), 2, "{causes:?}");
        assert!(causes.iter().all(|c| c.field == "metadata.labels"));
        assert!(causes[0]
            .message
            .starts_with("Invalid value: \"a b\": a valid label must be"));
    }

    #[test]
    fn generate_name_may_end_in_a_dash() {
        let ok = json!({"metadata": {"name": "web-x7k2q", "generateName": "web-"}});
        assert!(validate_meta(&ok, false).is_empty());
    }

    #[test]
    fn annotations_over_256_kib_are_too_long() {
        let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
        let causes = validate_meta(
            &json!({"metadata": {"name": "a", "annotations": {"k": big}}}),
            false,
        );
        assert_eq!(
            causes,
            vec![cause::too_long("metadata.annotations", 262144)]
        );
    }

    #[test]
    fn finalizers_must_be_qualified_or_standard() {
        let causes = validate_meta(
            &json!({"metadata": {"name": "a", "finalizers": ["kubernetes", "example.com/x", "mine"]}}),
            false,
        );
        assert_eq!(
            causes,
            vec![cause::invalid(
                "metadata.finalizers[2]",
                "mine",
                "name is neither a standard finalizer name nor is it fully qualified"
            )]
        );
    }

    #[test]
    fn owner_references_name_their_owner() {
        let causes = validate_meta(
            &json!({"metadata": {"name": "a", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": ""}]}}),
            false,
        );
        assert_eq!(
            causes,
            vec![cause::invalid(
                "metadata.ownerReferences.uid",
                "",
                "uid must not be empty"
            )]
        );
    }
}
