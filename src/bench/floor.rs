//! `kubeling bench floor`: the least any API server must do, as a server to measure.
//!
//! The creates ratio compares the API server with raw etcd puts. But no API server can be
//! as fast as a put: it must receive each request over HTTP, make (at least) the
//! create-if-absent etcd transaction every create needs, and answer. This server does
//! exactly that and nothing more — no JSON parsing, no defaults, no validation, no
//! managedFields, no watch cache. Run as a child process on the same cores, beside the
//! API server, it measures the best creates/s any API server could reach on this machine.
//!
//! Likewise for LIST: the fastest a watch cache could answer is sending bytes it already
//! holds. `PUT /held` gives this server a LIST answer to hold, `GET /held` sends it back from
//! memory, untouched: the time that is pure HTTP transfer, the floor under a cached LIST.
//!
//! | route | what it does |
//! |---|---|
//! | `POST /create/{name}` | etcd txn: if `/bench/floor/{name}` does not exist, put the body there; 201 with the body, else 409 |
//! | `PUT /held` | hold the body in memory |
//! | `GET /held` | answer what is held |
//! | `GET /readyz` | 200 |
//!
//! The HTTP side is the same stack as the API server's (axum on hyper, `TCP_NODELAY`), and
//! the etcd side the same client (`etcd-client` on tonic), so the difference between the two
//! is the API server's own work.

use anyhow::Context;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use etcd_client::{Compare, CompareOp, Txn, TxnOp};
use std::sync::{Arc, Mutex};

/// `kubeling bench floor --etcd-servers URL --port N`
#[derive(clap::Args, Debug)]
pub struct FloorArgs {
    /// The etcd to store creates in.
    #[arg(long)]
    pub etcd_servers: String,
    /// Port to serve on (127.0.0.1 only).
    #[arg(long)]
    pub port: u16,
}

struct Floor {
    etcd: etcd_client::Client,
    held: Mutex<Bytes>,
}

/// Serve until killed (the benchmark that started it stops it).
pub async fn run(args: FloorArgs) -> anyhow::Result<()> {
    let etcd = etcd_client::Client::connect([args.etcd_servers.as_str()], None)
        .await
        .context("cannot connect to etcd")?;
    let floor = Arc::new(Floor {
        etcd,
        held: Mutex::new(Bytes::new()),
    });
    let app = Router::new()
        .route("/create/{name}", post(create))
        .route("/held", get(held).put(hold))
        .route("/readyz", get(|| async { "ok" }))
        // A LIST answer to hold is 11 MiB; only the benchmark talks to this server.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("cannot listen on port {}", args.port))?;
    // As the API server (apiserver/src/server/mod.rs): no Nagle delay on small answers.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

/// One create: the same guarded transaction as `apiserver/src/storage/etcd.rs` sends.
async fn create(
    State(floor): State<Arc<Floor>>,
    Path(name): Path<String>,
    body: Bytes,
) -> (StatusCode, Body) {
    let key = format!("/bench/floor/{name}");
    let txn = Txn::new()
        .when([Compare::create_revision(key.clone(), CompareOp::Equal, 0)])
        .and_then([TxnOp::put(key.clone(), body.to_vec(), None)])
        .or_else([TxnOp::get(key, None)]);
    match floor.etcd.kv_client().txn(txn).await {
        Ok(answer) if answer.succeeded() => (StatusCode::CREATED, Body::from(body)),
        Ok(_) => (StatusCode::CONFLICT, Body::empty()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Body::from(e.to_string())),
    }
}

async fn hold(State(floor): State<Arc<Floor>>, body: Bytes) -> StatusCode {
    *floor.held.lock().unwrap_or_else(|p| p.into_inner()) = body;
    StatusCode::OK
}

async fn held(State(floor): State<Arc<Floor>>) -> Body {
    Body::from(floor.held.lock().unwrap_or_else(|p| p.into_inner()).clone())
}
