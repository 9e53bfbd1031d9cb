//! `kubeling up --dir DIR`: the whole cluster in one foreground command.
//!
//! It starts etcd as a child process (data in `DIR/etcd`, loopback only), runs the API server
//! and the scheduler in this process, writes `DIR/kubeconfig`, prints a line with `ready`, and on SIGINT/SIGTERM
//! stops everything it started. Running `up` again on the same DIR keeps every object: etcd's
//! data stays, and so do its ports (remembered in `DIR/ports`). Later issues add the
//! controllers, kubelet and proxy here, each still runnable on its own.

use crate::apiserver_cmd::{self, ApiserverArgs};
use anyhow::Context;
use apiserver::etcd_process::{free_port, EtcdProcess};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct UpArgs {
    /// Directory for etcd's data, logs and the kubeconfig.
    #[arg(long)]
    pub dir: PathBuf,
    /// API server port.
    #[arg(long, default_value_t = 6443)]
    pub port: u16,
    /// etcd (default; started as a child) or memory (nothing persists).
    #[arg(long, default_value = "etcd")]
    pub store: String,
    /// Port of the scheduler's /healthz, /metrics and /explain (if taken, a free one is used).
    #[arg(long, default_value_t = crate::scheduler_cmd::DEFAULT_PORT)]
    pub scheduler_port: u16,
}

/// `wanted` if it is free on loopback, else any free port.
fn port_or_free(wanted: u16) -> u16 {
    match std::net::TcpListener::bind(("127.0.0.1", wanted)) {
        Ok(_) => wanted,
        Err(_) => free_port(),
    }
}

/// Start the scheduler in this process once the API server answers.
fn start_scheduler(api_port: u16, scheduler_port: u16) {
    let config = match machinery::client::Config::new(&format!("http://127.0.0.1:{api_port}")) {
        Ok(c) => c.with_user_agent("kubeling-scheduler"),
        Err(e) => {
            eprintln!("error: cannot configure the scheduler: {e}");
            return;
        }
    };
    let client = machinery::client::Client::new(config);
    let options = scheduler::run::Options {
        config: scheduler::config::KubeSchedulerConfiguration::default_config(),
        scheduler_name: None,
        address: Some(std::net::SocketAddr::from(([127, 0, 0, 1], scheduler_port))),
        leader_elect: false,
        identity: format!("kubeling-up-{}", std::process::id()),
    };
    println!("scheduler started: kubeling explain pod NAME --scheduler http://127.0.0.1:{scheduler_port}");
    tokio::spawn(async move {
        if let Err(e) = scheduler::run::run(options, client, std::future::pending()).await {
            eprintln!("error: the scheduler stopped: {e}");
        }
    });
}

/// Resolves on SIGINT or SIGTERM.
pub async fn signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers we can only run until killed.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = int.recv() => {},
    }
}

/// etcd's client and peer ports for this DIR: chosen once, then reused so a restarted etcd
/// finds its member where it left it.
fn etcd_ports(dir: &Path) -> anyhow::Result<(u16, u16)> {
    let file = dir.join("ports");
    if let Ok(text) = std::fs::read_to_string(&file) {
        let ports: Vec<u16> = text
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if let [client, peer] = ports[..] {
            return Ok((client, peer));
        }
    }
    let (client, peer) = (free_port(), free_port());
    std::fs::write(&file, format!("{client} {peer}\n"))
        .with_context(|| format!("cannot write {}", file.display()))?;
    Ok((client, peer))
}

/// The kubeconfig kubectl (and every other component) uses to reach this cluster.
fn kubeconfig(port: u16) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kubeling
  cluster:
    server: http://127.0.0.1:{port}
users:
- name: admin
  user: {{}}
contexts:
- name: kubeling
  context:
    cluster: kubeling
    user: admin
    namespace: default
current-context: kubeling
"
    )
}

pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let dir = args.dir.canonicalize()?;
    let mut etcd = None;
    let mut api = ApiserverArgs {
        etcd_servers: Vec::new(),
        store: args.store.clone(),
        port: args.port,
        bind_address: "127.0.0.1".into(),
        watch_cache_size: apiserver::watch_cache::DEFAULT_WINDOW,
        service_cluster_ip_range: "10.96.0.0/12".into(),
        event_ttl_seconds: apiserver::registry::events_ttl::DEFAULT_TTL.as_secs(),
        compaction_interval_seconds: apiserver::storage::compactor::DEFAULT_INTERVAL.as_secs(),
    };
    match args.store.as_str() {
        "etcd" => {
            let fresh = !dir.join("ports").exists();
            let (client, peer) = etcd_ports(&dir)?;
            let process = match EtcdProcess::start(&dir, client, peer) {
                Ok(p) => p,
                // A port found free a moment ago can be taken by another process before etcd
                // binds it. For a new DIR, simply choose again; an existing DIR keeps its ports
                // (its etcd member is registered under them).
                Err(e) if fresh => {
                    eprintln!("etcd did not start ({e:#}); retrying on other ports");
                    std::fs::remove_file(dir.join("ports")).ok();
                    let (client, peer) = etcd_ports(&dir)?;
                    std::fs::remove_dir_all(dir.join("etcd")).ok();
                    EtcdProcess::start(&dir, client, peer)?
                }
                Err(e) => return Err(e.into()),
            };
            println!(
                "etcd started (pid {}) on {}",
                process.pid().unwrap_or(0),
                process.endpoint
            );
            api.etcd_servers = vec![process.endpoint.clone()];
            etcd = Some(process);
        }
        "memory" => println!("using the in-memory store: objects are lost when this process stops"),
        other => anyhow::bail!("unknown --store {other:?}: use etcd or memory"),
    }
    let kubeconfig_path = dir.join("kubeconfig");
    let scheduler_port = port_or_free(args.scheduler_port);
    let result = apiserver_cmd::serve(
        &api,
        |port| {
            start_scheduler(port, scheduler_port);
            if let Err(e) = std::fs::write(&kubeconfig_path, kubeconfig(port)) {
                eprintln!("error: cannot write {}: {e}", kubeconfig_path.display());
            }
            println!(
                "kubeling is ready: export KUBECONFIG={}",
                kubeconfig_path.display()
            );
        },
        signal(),
    )
    .await;
    println!("stopping");
    if let Some(mut process) = etcd.take() {
        process.stop();
    }
    result
}
