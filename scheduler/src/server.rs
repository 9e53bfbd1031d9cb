//! The scheduler's small HTTP server: health, Prometheus metrics, and explanations.
//!
//! - `GET /healthz` (`/livez`, `/readyz`): `ok`.
//! - `GET /metrics`: see [`crate::metrics`].
//! - `GET /explain/NAMESPACE/NAME`: the last [`crate::explain::Explanation`] of that pod, as
//!   JSON; `kubeling explain pod NAME` fetches and prints it.
//!
//! Upstream serves health and metrics on the secure port 10259; kubeling serves plain HTTP on
//! loopback by default (it is a teaching cluster; put it behind TLS before exposing it).

use crate::scheduler::Shared;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// The router; serve it with `axum::serve`.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/healthz", get(ok))
        .route("/livez", get(ok))
        .route("/readyz", get(ok))
        .route("/metrics", get(metrics))
        .route("/explain/{namespace}/{name}", get(explain))
        .with_state(shared)
}

async fn ok() -> &'static str {
    "ok"
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let pending = shared.queue().pending();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        shared.metrics.render(pending),
    )
        .into_response()
}

async fn explain(
    State(shared): State<Arc<Shared>>,
    Path((namespace, name)): Path<(String, String)>,
) -> Response {
    let key = format!("{namespace}/{name}");
    let found = shared
        .explains
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    match found {
        Some(e) => (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&e).unwrap_or_default(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            format!(
                "this scheduler has no decision about pod {key}: it has not tried to schedule it \
                 (another scheduler bound it, or it was bound before this scheduler started)\n"
            ),
        )
            .into_response(),
    }
}
