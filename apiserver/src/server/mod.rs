//! The HTTP server: routes, middleware, and running it.
//!
//! ```text
//! request ─► track (log line + metrics) ─► /version /api /apis ... (discovery.rs)
//!                                       └► any resource URL ─► handlers.rs ─► registry
//!                                            (a Table for `kubectl get`: table.rs + printers/)
//! ```
//! Upstream builds the same chain in `k8s.io/apiserver/pkg/server/config.go`
//! (`DefaultBuildHandlerChain`), with authentication and authorization in it as well;
//! kubeling trusts every client on its loopback port and says so.

pub mod codec;
pub mod discovery;
pub mod handlers;
pub mod list_body;
pub mod metrics;
pub mod openapi;
pub mod printers;
pub mod request_info;
pub mod table;
pub mod watch;

use crate::registry::Registry;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use std::sync::Arc;
use std::time::Instant;

/// What every handler shares.
pub struct App {
    pub registry: Arc<Registry>,
    pub metrics: metrics::Metrics,
    /// `host:port` clients reach us at, for discovery's `serverAddressByClientCIDRs`.
    pub address: String,
}

/// The router: fixed paths first, every other URL to the resource handler.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/version", get(discovery::version))
        .route("/api", get(discovery::api))
        .route("/apis", get(discovery::apis))
        .route("/api/v1", get(discovery::core_resources))
        .route("/apis/{group}", get(discovery::group))
        .route("/apis/{group}/{version}", get(discovery::group_resources))
        .route("/openapi/v2", get(openapi::v2_document))
        .route("/openapi/v3", get(openapi::v3_index))
        .route("/openapi/v3/{*gv}", get(openapi::v3_document))
        .route("/healthz", get(discovery::healthz))
        .route("/livez", get(discovery::healthz))
        .route("/readyz", get(discovery::readyz))
        .route("/metrics", get(discovery::metrics))
        .route(
            "/api/v1/namespaces/{name}/finalize",
            any(finalize_namespace),
        )
        .fallback(handlers::handle)
        .layer(middleware::from_fn_with_state(app.clone(), track))
        .with_state(app)
}

/// `PUT /api/v1/namespaces/{name}/finalize`: the namespace controller's way to say "I have
/// emptied this namespace" (`registry/namespaces.rs`). Only PUT is served, as upstream; any
/// other method is a 405. It has its own route because it is the one subresource that is
/// not in the resource table's [`crate::resources::Subresource`] list, and which the generic
/// handler therefore does not know.
async fn finalize_namespace(
    State(app): State<Arc<App>>,
    method: axum::http::Method,
    axum::extract::Path(name): axum::extract::Path<String>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Response {
    let answer = async {
        if method != axum::http::Method::PUT {
            return Err(machinery::ApiError::method_not_allowed());
        }
        // As for every other write (handlers.rs): `dryRun=All` runs the request over storage
        // whose writes only check (registry/dry_run.rs); any other value is a 422.
        let query =
            axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(&uri)
                .map(|q| q.0)
                .unwrap_or_default();
        let dry_run: Vec<&str> = query
            .get("dryRun")
            .map(String::as_str)
            .into_iter()
            .collect();
        let dry_registry;
        let registry = if crate::registry::dry_run::requested(&dry_run, "UpdateOptions")? {
            dry_registry = app.registry.dry_run();
            &dry_registry
        } else {
            &*app.registry
        };
        let obj = codec::decode(&headers, &codec::read_body(body).await?)?;
        let namespace = registry.finalize_namespace(&name, obj).await?;
        Ok(codec::respond(
            &headers,
            axum::http::StatusCode::OK,
            &namespace,
        ))
    };
    answer
        .await
        .unwrap_or_else(|err| codec::error_response(&err))
}

/// One log line and one metrics sample per request.
async fn track(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let watch =
        axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(req.uri())
            .map(|q| matches!(q.get("watch").map(String::as_str), Some("true" | "1")))
            .unwrap_or(false);
    let resp = next.run(req).await;
    let took = started.elapsed();
    let code = resp.status().as_u16();
    let (verb, resource) = match request_info::parse(&method, &path, watch) {
        // Only served resources become label values: a typo in a URL must not create a new
        // metric series (a client could otherwise grow our memory without bound).
        Some(info)
            if crate::resources::find(&info.group, &info.version, &info.resource).is_some() =>
        {
            (metric_verb(info.verb, &method), info.resource)
        }
        Some(info) => (metric_verb(info.verb, &method), String::new()),
        None => (metric_verb("", &method), String::new()),
    };
    app.metrics.observe(&verb, &resource, code, took);
    tracing::info!(verb = %verb, path = %path, code, latency_ms = took.as_secs_f64() * 1000.0, "request");
    resp
}

/// Upstream's verb label: LIST and WATCH are told apart from GET.
fn metric_verb(verb: &str, method: &axum::http::Method) -> String {
    match verb {
        "list" => "LIST".into(),
        "watch" => "WATCH".into(),
        "get" => "GET".into(),
        // Only the standard methods become label values; anything else is OTHER, so that a
        // client inventing methods cannot create metric series without end.
        _ => match method.as_str() {
            m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m.into(),
            _ => "OTHER".into(),
        },
    }
}

/// How long open requests get to finish after shutdown is asked for. Watches never finish on
/// their own (they last up to 30 minutes), so without a limit one `kubectl get -w` would keep
/// the server from ever stopping.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Serve on `listener` until `shutdown` completes, then give open requests [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    registry: Arc<Registry>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address = listener.local_addr()?.to_string();
    let app = Arc::new(App {
        registry,
        metrics: metrics::Metrics::default(),
        address,
    });
    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    // No Nagle delay: a watch event is a small write that must leave at once, not wait for
    // the client's delayed ACK (that alone adds ~40 ms to a watch event's latency).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let graceful = axum::serve(listener, router(app)).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping_tx.send(true);
    });
    tokio::select! {
        result = std::future::IntoFuture::into_future(graceful) => result,
        _ = async {
            let _ = stopping_rx.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}
