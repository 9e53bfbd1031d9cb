//! `kubeling apiserver`: open storage, build the registry, serve HTTP until a signal.

use anyhow::Context;
use apiserver::registry::Registry;
use apiserver::storage::{compactor, etcd::EtcdStorage, memory::MemoryStorage, Storage};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args, Debug, Clone)]
pub struct ApiserverArgs {
    /// etcd endpoints, comma separated (e.g. http://127.0.0.1:2379).
    #[arg(long, value_delimiter = ',')]
    pub etcd_servers: Vec<String>,
    /// Where objects live: etcd (needs --etcd-servers) or memory (lost on exit).
    #[arg(long, default_value = "etcd")]
    pub store: String,
    /// Port to serve on (127.0.0.1 only).
    #[arg(long, default_value_t = 6443)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_address: String,
    /// Events each resource's watch cache keeps for resuming watchers.
    #[arg(long, default_value_t = apiserver::watch_cache::DEFAULT_WINDOW)]
    pub watch_cache_size: usize,
    /// The range Services get their ClusterIPs from.
    #[arg(long, default_value = "10.96.0.0/12")]
    pub service_cluster_ip_range: String,
    /// How long Events are kept after they last happened, in seconds.
    #[arg(long, default_value_t = apiserver::registry::events_ttl::DEFAULT_TTL.as_secs())]
    pub event_ttl_seconds: u64,
    /// How often to compact etcd history, in seconds (0 = never).
    #[arg(long, default_value_t = compactor::DEFAULT_INTERVAL.as_secs())]
    pub compaction_interval_seconds: u64,
}

/// Open the storage the flags ask for. etcd is retried for a while: it may still be starting.
pub async fn open_storage(args: &ApiserverArgs) -> anyhow::Result<Arc<dyn Storage>> {
    match args.store.as_str() {
        "memory" => Ok(Arc::new(MemoryStorage::default())),
        "etcd" => {
            anyhow::ensure!(
                !args.etcd_servers.is_empty(),
                "--store etcd needs --etcd-servers URL (or use --store memory)"
            );
            let mut last = None;
            for _ in 0..50 {
                match EtcdStorage::connect(&args.etcd_servers).await {
                    Ok(s) => return Ok(Arc::new(s)),
                    Err(e) => last = Some(e),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(anyhow::anyhow!(
                "cannot reach etcd at {:?}: {}",
                args.etcd_servers,
                last.map(|e| e.to_string()).unwrap_or_default()
            ))
        }
        other => anyhow::bail!("unknown --store {other:?}: use etcd or memory"),
    }
}

/// Serve until `shutdown` resolves; calls `on_ready` once the port is open and bootstrapped.
pub async fn serve(
    args: &ApiserverArgs,
    on_ready: impl FnOnce(u16),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let storage = open_storage(args).await?;
    let ranges =
        apiserver::registry::services::ServiceRanges::parse(&args.service_cluster_ip_range)
            .map_err(|e| anyhow::anyhow!("--service-cluster-ip-range: {e}"))?;
    let registry = Registry::with_service_ranges(storage.clone(), args.watch_cache_size, ranges);
    let mut bootstrap_error = None;
    for _ in 0..50 {
        match registry.bootstrap().await {
            Ok(()) => {
                bootstrap_error = None;
                break;
            }
            Err(e) => bootstrap_error = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if let Some(e) = bootstrap_error {
        anyhow::bail!("cannot create the initial namespaces: {e}");
    }
    tokio::spawn(apiserver::registry::events_ttl::run(
        registry.clone(),
        Duration::from_secs(args.event_ttl_seconds),
    ));
    if args.compaction_interval_seconds > 0 {
        tokio::spawn(compactor::run(
            storage,
            Duration::from_secs(args.compaction_interval_seconds),
        ));
    }
    let addr = format!("{}:{}", args.bind_address, args.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let port = listener.local_addr()?.port();
    tracing::info!(address = %addr, "apiserver serving");
    on_ready(port);
    apiserver::server::serve(listener, registry, shutdown).await?;
    Ok(())
}

/// `kubeling apiserver ...`
pub async fn run(args: ApiserverArgs) -> anyhow::Result<()> {
    serve(
        &args,
        |port| println!("apiserver ready on http://127.0.0.1:{port}"),
        crate::up::signal(),
    )
    .await
}
