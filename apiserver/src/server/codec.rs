//! Bodies in and out: JSON (and YAML) requests, JSON (or YAML) responses, `Status` errors.
//!
//! Upstream negotiates among JSON, YAML and protobuf by `Content-Type` and `Accept`
//! (`endpoints/handlers/negotiation/`). We read JSON, YAML and protobuf bodies (`protobuf`:
//! what kubectl's `create configmap|secret|deployment|namespace` send); every one becomes the
//! same JSON value. We answer JSON unless the client asks for YAML; `kubectl` always accepts JSON.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use machinery::ApiError;
use serde_json::Value;

mod protobuf;

/// The media type of Kubernetes protobuf bodies.
pub const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";

/// The largest request body accepted, as upstream: 3 MiB.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// Read the body (at most [`MAX_BODY_BYTES`], else 413).
pub async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::too_large(MAX_BODY_BYTES))
}

/// The media type of the request body, without parameters ("" when absent).
pub fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Parse a JSON, YAML or protobuf body into a JSON value. A missing Content-Type means JSON
/// (kubectl 1.20 sends none on some requests).
pub fn decode(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, ApiError> {
    let ct = content_type(headers);
    match ct.as_str() {
        ""
        | "application/json"
        | "*/*"
        | "application/merge-patch+json"
        | "application/strategic-merge-patch+json"
        | "application/json-patch+json" => serde_json::from_slice(bytes)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}"))),
        "application/yaml" | "application/x-yaml" | "text/yaml" => {
            serde_yaml::from_slice::<Value>(bytes).map_err(|e| {
                ApiError::bad_request(format!("the request body is not valid YAML: {e}"))
            })
        }
        // Server-side apply: YAML, or JSON (which YAML reads too); kubectl sends JSON.
        "application/apply-patch+yaml" => serde_yaml::from_slice::<Value>(bytes)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}"))),
        PROTOBUF => protobuf::decode(bytes),
        other => Err(ApiError::unsupported_media_type(other)),
    }
}

/// Whether the client prefers YAML.
pub fn wants_yaml(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start().starts_with("application/yaml"))
        .unwrap_or(false)
}

/// A response carrying `value` with `status`, in the format the client asked for.
pub fn respond(headers: &HeaderMap, status: StatusCode, value: &Value) -> Response {
    if wants_yaml(headers) {
        let text = serde_yaml::to_string(value).unwrap_or_default();
        return with_type(status, "application/yaml", Body::from(text));
    }
    with_type(
        status,
        "application/json",
        Body::from(serde_json::to_vec(value).unwrap_or_default()),
    )
}

/// A response whose body is already-encoded JSON.
pub fn respond_json_bytes(headers: &HeaderMap, status: StatusCode, json: Vec<u8>) -> Response {
    if wants_yaml(headers) {
        let value: Value = serde_json::from_slice(&json).unwrap_or_default();
        return respond(headers, status, &value);
    }
    with_type(status, "application/json", Body::from(json))
}

/// A JSON response whose body is written as it is sent (a LIST, see `list_body.rs`).
pub fn respond_body(status: StatusCode, body: Body) -> Response {
    with_type(status, "application/json", body)
}

fn with_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// The `Status` response for an error; its HTTP code equals `Status.code`.
pub fn error_response(err: &ApiError) -> Response {
    let status = StatusCode::from_u16(err.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = with_type(
        status,
        "application/json",
        Body::from(serde_json::to_vec(&err.to_status()).unwrap_or_default()),
    );
    if let Some(secs) = err.details.retry_after_seconds {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    resp
}
