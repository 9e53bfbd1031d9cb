//! `kubeling scheduler --kubeconfig F`: the scheduler alone, against any API server (kubeling's
//! or kind's), and `kubeling explain pod NAME`: why a pod landed where it did.

use anyhow::Context;
use machinery::client::{Client, Config};
use scheduler::config::KubeSchedulerConfiguration;
use scheduler::run::Options;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The port upstream's kube-scheduler serves health and metrics on.
pub const DEFAULT_PORT: u16 = 10259;

#[derive(clap::Args, Debug, Clone)]
pub struct SchedulerArgs {
    /// kubeconfig to reach the API server (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// A KubeSchedulerConfiguration YAML file (profiles, plugins, weights, args).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Serve pods whose spec.schedulerName is this (renames the first profile); e.g. to run
    /// beside kind's own scheduler.
    #[arg(long)]
    pub scheduler_name: Option<String>,
    /// Port for /healthz, /metrics and /explain (0: do not serve).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Address for that port.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_address: String,
    /// Take the kube-system/kube-scheduler Lease first, so several copies can run for HA.
    #[arg(long)]
    pub leader_elect: bool,
    /// Requests per second to the API server (upstream's default is 50).
    #[arg(long, default_value_t = 50.0)]
    pub kube_api_qps: f64,
    /// Requests allowed in a burst above that rate.
    #[arg(long, default_value_t = 100)]
    pub kube_api_burst: u32,
}

/// The scheduler's options from its flags.
pub fn options(args: &SchedulerArgs) -> anyhow::Result<Options> {
    let config = match &args.config {
        Some(path) => KubeSchedulerConfiguration::from_file(path)?,
        None => KubeSchedulerConfiguration::default_config(),
    };
    let address = if args.port == 0 {
        None
    } else {
        let address: SocketAddr = format!("{}:{}", args.bind_address, args.port)
            .parse()
            .with_context(|| format!("bad --bind-address {:?}", args.bind_address))?;
        Some(address)
    };
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    Ok(Options {
        config,
        scheduler_name: args.scheduler_name.clone(),
        address,
        leader_elect: args.leader_elect,
        identity: format!("{}_{}", host.trim(), std::process::id()),
    })
}

pub async fn run(args: SchedulerArgs) -> anyhow::Result<()> {
    let options = options(&args)?;
    let mut config =
        Config::infer(args.kubeconfig.as_deref())?.with_user_agent("kubeling-scheduler");
    config.qps = args.kube_api_qps;
    config.burst = args.kube_api_burst;
    let client = Client::new(config);
    scheduler::run::run(options, client, crate::up::signal()).await?;
    Ok(())
}

#[derive(clap::Args, Debug, Clone)]
pub struct ExplainArgs {
    /// What to explain: only `pod` for now.
    pub kind: String,
    /// The pod's name.
    pub name: String,
    /// The pod's namespace.
    #[arg(short, long, default_value = "default")]
    pub namespace: String,
    /// The scheduler's HTTP address (`kubeling up` prints it).
    #[arg(
        long,
        env = "KUBELING_SCHEDULER",
        default_value = "http://127.0.0.1:10259"
    )]
    pub scheduler: String,
}

/// `kubeling explain pod NAME`: fetch the scheduler's record of its last decision and print it.
pub async fn explain(args: ExplainArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        matches!(args.kind.as_str(), "pod" | "pods" | "po"),
        "kubeling explain knows only pods: kubeling explain pod NAME [-n NAMESPACE]"
    );
    let client = Client::new(Config::new(&args.scheduler)?);
    let path = format!("/explain/{}/{}", args.namespace, args.name);
    let body = client
        .send(hyper::Method::GET, &path, "", None)
        .await
        .with_context(|| format!("asking the scheduler at {}", args.scheduler))?;
    let explanation: scheduler::explain::Explanation =
        serde_json::from_slice(&body).with_context(|| {
            format!(
                "the scheduler at {} sent something unexpected",
                args.scheduler
            )
        })?;
    print!("{}", scheduler::explain::render(&explanation));
    Ok(())
}
