//! `ApiError`: every way an API call can fail, and the `Status` object that carries it.
//!
//! A Kubernetes API server never answers an error with bare text. It sends a `Status` object
//! whose `code` equals the HTTP status and whose `reason` is a machine-readable word that
//! clients switch on (`kubectl` prints `Error from server (NotFound): pods "p1" not found`
//! from `reason` and `message`). This module mirrors
//! `k8s.io/apimachinery/pkg/api/errors/errors.go`: one constructor per reason, with the same
//! message wording upstream uses, so students see the same text they would see on a real cluster.

use serde_json::{json, Value};

/// One problem with one field of an object, listed in `details.causes` of a 422 Invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCause {
    /// Upstream's cause type, e.g. `FieldValueRequired`, `FieldValueInvalid`.
    pub reason: String,
    /// Human text, e.g. `Required value`.
    pub message: String,
    /// The field path, e.g. `spec.containers[0].image`.
    pub field: String,
}

impl StatusCause {
    /// `field: Required value`.
    pub fn required(field: &str) -> Self {
        Self {
            reason: "FieldValueRequired".into(),
            message: "Required value".into(),
            field: field.into(),
        }
    }

    /// `field: Invalid value: "v": why`.
    pub fn invalid(field: &str, value: &str, why: &str) -> Self {
        Self {
            reason: "FieldValueInvalid".into(),
            message: format!("Invalid value: {value:?}: {why}"),
            field: field.into(),
        }
    }
}

/// An error the API server sends (or a client receives) as a `Status`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status code, also written into `Status.code`.
    pub code: u16,
    /// `Status.reason`: `NotFound`, `AlreadyExists`, `Conflict`, `Invalid`, ...
    pub reason: String,
    /// `Status.message`, the sentence a person reads.
    pub message: String,
    /// `Status.details`, boxed so that `Result<_, ApiError>` stays small.
    pub details: Box<StatusDetails>,
}

/// The optional `details` of a `Status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusDetails {
    /// `details.name` / `details.group` / `details.kind`.
    pub name: String,
    /// API group of the object ("" for core).
    pub group: String,
    /// What `details.kind` names: the resource (`pods`) or, for Invalid, the Kind (`Pod`).
    pub kind: String,
    /// `details.causes`, for 422 Invalid.
    pub causes: Vec<StatusCause>,
    /// `details.retryAfterSeconds`, for 429/503/504.
    pub retry_after_seconds: Option<u32>,
}

/// `pods` for the core group, `deployments.apps` otherwise: how upstream names a resource
/// in messages (`schema.GroupResource.String()`).
pub fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

impl ApiError {
    fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            message: message.into(),
            details: Box::default(),
        }
    }

    fn with_details(mut self, group: &str, kind: &str, name: &str) -> Self {
        self.details.group = group.into();
        self.details.kind = kind.into();
        self.details.name = name.into();
        self
    }

    /// 404: `pods "p1" not found`.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        let gr = group_resource(group, resource);
        Self::new(404, "NotFound", format!("{gr} {name:?} not found"))
            .with_details(group, resource, name)
    }

    /// 409: `pods "p1" already exists`.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        let gr = group_resource(group, resource);
        Self::new(
            409,
            "AlreadyExists",
            format!("{gr} {name:?} already exists"),
        )
        .with_details(group, resource, name)
    }

    /// 409: `Operation cannot be fulfilled on pods "p1": <why>`.
    pub fn conflict(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let gr = group_resource(group, resource);
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {gr} {name:?}: {why}"),
        )
        .with_details(group, resource, name)
    }

    /// The conflict every optimistic-concurrency loser sees.
    pub fn stale(group: &str, resource: &str, name: &str) -> Self {
        Self::conflict(
            group,
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 422: `Pod "x" is invalid: spec.containers[0].image: Required value`. Outside the core
    /// group the kind is qualified by its group, as upstream's `GroupKind.String()`:
    /// `Deployment.apps "web" is invalid: ...`. (kubectl rebuilds its own first words from
    /// `details`, so it prints `The Deployment "web" is invalid: ...` either way.)
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<StatusCause>) -> Self {
        let list: Vec<String> = causes
            .iter()
            .map(|c| {
                if c.field.is_empty() {
                    c.message.clone()
                } else {
                    format!("{}: {}", c.field, c.message)
                }
            })
            .collect();
        let what = match list.len() {
            0 => String::new(),
            1 => format!(": {}", list[0]),
            _ => format!(": [{}]", list.join(", ")),
        };
        let qualified = if group.is_empty() || kind.is_empty() {
            kind.to_string()
        } else {
            format!("{kind}.{group}")
        };
        let mut err = Self::new(
            422,
            "Invalid",
            format!("{qualified} {name:?} is invalid{what}"),
        )
        .with_details(group, kind, name);
        err.details.causes = causes;
        err
    }

    /// 403: `namespaces "default" is forbidden: this namespace may not be deleted`.
    pub fn forbidden(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let gr = group_resource(group, resource);
        Self::new(
            403,
            "Forbidden",
            format!("{gr} {name:?} is forbidden: {why}"),
        )
        .with_details(group, resource, name)
    }

    /// 400: the request itself is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 405: the verb is not served for this resource.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// 410: a watch or continue token asked for history that has been compacted away.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    /// 413: the body is larger than the server accepts.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {limit}"),
        )
    }

    /// 415: a body in a format the server cannot read.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type:?}) - accepted media types include: application/json, application/yaml"
            ),
        )
    }

    /// 404 for a URL that names no resource this server serves.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    /// 503: storage (etcd) is unreachable; the client should retry.
    pub fn service_unavailable(message: impl Into<String>) -> Self {
        let mut e = Self::new(503, "ServiceUnavailable", message);
        e.details.retry_after_seconds = Some(1);
        e
    }

    /// 504: storage did not answer in time.
    pub fn timeout(message: impl Into<String>) -> Self {
        let mut e = Self::new(504, "Timeout", message);
        e.details.retry_after_seconds = Some(1);
        e
    }

    /// 500: a bug on our side, never the client's fault.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {}", message.into()),
        )
    }

    /// The `Status` object, ready to serialize as the response body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        let d = &self.details;
        let mut details = serde_json::Map::new();
        if !d.name.is_empty() {
            details.insert("name".into(), json!(d.name));
        }
        if !d.group.is_empty() {
            details.insert("group".into(), json!(d.group));
        }
        if !d.kind.is_empty() {
            details.insert("kind".into(), json!(d.kind));
        }
        if !d.causes.is_empty() {
            let causes: Vec<Value> = d
                .causes
                .iter()
                .map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field}))
                .collect();
            details.insert("causes".into(), Value::Array(causes));
        }
        if let Some(secs) = d.retry_after_seconds {
            details.insert("retryAfterSeconds".into(), json!(secs));
        }
        if !details.is_empty() {
            status["details"] = Value::Object(details);
        }
        status
    }

    /// Read a `Status` a server sent back into an `ApiError` (the client side of `to_status`).
    pub fn from_status(status: &Value) -> Option<Self> {
        if status.get("kind")?.as_str()? != "Status" {
            return None;
        }
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
        let details = status.get("details");
        let mut err = Self::new(
            status.get("code").and_then(Value::as_u64).unwrap_or(500) as u16,
            &text(status.get("reason")),
            text(status.get("message")),
        );
        err.details.name = text(details.and_then(|d| d.get("name")));
        err.details.group = text(details.and_then(|d| d.get("group")));
        err.details.kind = text(details.and_then(|d| d.get("kind")));
        Some(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_reads_like_upstream() {
        let e = ApiError::not_found("", "pods", "p1");
        assert_eq!(e.message, r#"pods "p1" not found"#);
        let s = e.to_status();
        assert_eq!(s["code"], 404);
        assert_eq!(s["details"]["kind"], "pods");
    }

    #[test]
    fn grouped_resources_are_named_resource_dot_group() {
        let e = ApiError::stale("apps", "deployments", "web");
        assert!(e
            .message
            .starts_with(r#"Operation cannot be fulfilled on deployments.apps "web""#));
    }

    #[test]
    fn invalid_with_one_cause_prints_field_and_message() {
        let e = ApiError::invalid(
            "",
            "Pod",
            "x",
            vec![StatusCause::required("spec.containers[0].image")],
        );
        assert_eq!(
            e.message,
            r#"Pod "x" is invalid: spec.containers[0].image: Required value"#
        );
        assert_eq!(
            e.to_status()["details"]["causes"][0]["reason"],
            "FieldValueRequired"
        );
    }

    #[test]
    fn invalid_qualifies_a_kind_outside_the_core_group() {
        let e = ApiError::invalid(
            "apps",
            "Deployment",
            "web",
            vec![StatusCause::required("a")],
        );
        assert_eq!(
            e.message,
            r#"Deployment.apps "web" is invalid: a: Required value"#
        );
        assert_eq!(e.details.kind, "Deployment");
    }

    #[test]
    fn invalid_with_several_causes_lists_them_in_brackets() {
        let e = ApiError::invalid(
            "",
            "Pod",
            "x",
            vec![StatusCause::required("a"), StatusCause::required("b")],
        );
        assert!(e
            .message
            .ends_with("[a: Required value, b: Required value]"));
    }

    #[test]
    fn a_status_round_trips_through_from_status() {
        let e = ApiError::already_exists("", "configmaps", "c");
        let back = ApiError::from_status(&e.to_status()).expect("a Status");
        assert_eq!(back.code, 409);
        assert_eq!(back.reason, "AlreadyExists");
        assert_eq!(back.details.name, "c");
    }
}
