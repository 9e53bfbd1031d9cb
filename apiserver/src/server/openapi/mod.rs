//! OpenAPI: the schema of every type we serve, for `kubectl explain` and kubectl's validation.
//!
//! ```text
//! GET /openapi/v3                 the index: one URL (with a content hash) per group-version
//! GET /openapi/v3/apis/apps/v1    an OpenAPI 3.0 document: paths + components.schemas
//! GET /openapi/v2                 swagger 2.0, everything in one document (JSON only)
//! ```
//!
//! Nothing here is written by hand: the schemas come from k8s-openapi's types (which carry
//! upstream's descriptions), the paths from the resource table. Reading order:
//! `kinds` (which Rust type describes each kind), `schemas` (definitions, with the
//! extensions clients look for), `paths` (operations per URL), `operations` (how v3 and
//! v2 spell an operation), `documents` (whole documents and the index), and the handlers
//! below.
//!
//! The documents never change while the server runs, so each is built once, on the first
//! request that needs it, and kept: the server starts as fast as before, and the first
//! `kubectl explain` pays the build (measured in docs/apiserver.md). Upstream builds them at
//! startup and rebuilds when CRDs change: `k8s.io/kube-openapi/pkg/handler3/handler.go` (v3),
//! `pkg/handler/handler.go` (v2).

mod documents;
mod kinds;
mod operations;
mod paths;
mod schemas;

pub use documents::fingerprint;

use super::codec::error_response;
use super::discovery::accepted;
use axum::body::Body;
use axum::extract::{Path, Query};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use machinery::ApiError;
use std::collections::HashMap;
use tokio::sync::OnceCell;

/// The v3 documents and their index, built on first use.
static V3: OnceCell<documents::V3> = OnceCell::const_new();
/// The v2 document, built on first use.
static V2: OnceCell<Bytes> = OnceCell::const_new();

/// What kubectl's v2 client asks for and gets. The body is empty: an empty protobuf message is
/// a valid, empty document, and kubectl then validates nothing on the client side, leaving it
/// to the server. (Encoding the schema as protobuf would need gnostic's OpenAPIv2 messages; we
/// serve the real schema as JSON and through v3, which kubectl 1.32 prefers.)
const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// Building takes a moment (the schemas of every type), so it runs on a blocking thread
/// rather than holding up the async workers that serve everything else.
async fn v3() -> Result<&'static documents::V3, ApiError> {
    V3.get_or_try_init(|| async {
        tokio::task::spawn_blocking(documents::build_v3)
            .await
            .map_err(|e| ApiError::internal(format!("building the OpenAPI v3 documents: {e}")))
    })
    .await
}

async fn v2() -> Result<&'static Bytes, ApiError> {
    V2.get_or_try_init(|| async {
        tokio::task::spawn_blocking(documents::build_v2)
            .await
            .map_err(|e| ApiError::internal(format!("building the OpenAPI v2 document: {e}")))
    })
    .await
}

/// Whether the client takes JSON: no Accept header, or a clause matching `application/json`.
fn takes_json(headers: &HeaderMap) -> bool {
    let clauses = accepted(headers);
    clauses.is_empty() || clauses.iter().any(|c| c.matches("application/json"))
}

/// `GET /openapi/v3`: the index.
pub async fn v3_index() -> Response {
    match v3().await {
        Ok(docs) => json_response(docs.index.clone(), &fingerprint(&docs.index), false),
        Err(e) => error_response(&e),
    }
}

/// `GET /openapi/v3/{*gv}`: one group-version's document.
///
/// With `?hash=` as the index wrote it, the answer may be cached forever (a new document gets
/// a new hash). With a stale hash the client is redirected to the current URL, as upstream does.
pub async fn v3_document(
    Path(gv): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let docs = match v3().await {
        Ok(docs) => docs,
        Err(e) => return error_response(&e),
    };
    let Some(doc) = docs.documents.get(&gv) else {
        return error_response(&ApiError::no_route(&format!("/openapi/v3/{gv}")));
    };
    // We have only JSON; upstream can also answer protobuf.
    if !takes_json(&headers) {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    match query.get("hash") {
        Some(hash) if *hash != doc.hash => {
            let url = format!("/openapi/v3/{gv}?hash={}", doc.hash);
            let mut resp = StatusCode::MOVED_PERMANENTLY.into_response();
            if let Ok(location) = HeaderValue::from_str(&url) {
                resp.headers_mut().insert(header::LOCATION, location);
            }
            resp
        }
        Some(_) => json_response(doc.json.clone(), &doc.hash, true),
        None => json_response(doc.json.clone(), &doc.hash, false),
    }
}

/// `GET /openapi/v2`: JSON when the client takes JSON; kubectl, which asks only for
/// protobuf, gets the empty protobuf document described at `V2_PROTOBUF`.
pub async fn v2_document(headers: HeaderMap) -> Response {
    if !takes_json(&headers) {
        let mut resp = StatusCode::OK.into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(V2_PROTOBUF));
        return resp;
    }
    match v2().await {
        Ok(doc) => json_response(doc.clone(), &fingerprint(doc), false),
        Err(e) => error_response(&e),
    }
}

/// A JSON answer with its ETag; `immutable` when the URL carries the content hash.
fn json_response(body: Bytes, etag: &str, immutable: bool) -> Response {
    let mut resp = (StatusCode::OK, Body::from(body)).into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        headers.insert(header::ETAG, etag);
    }
    if immutable {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, immutable"),
        );
    }
    resp
}
