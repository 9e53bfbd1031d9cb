//! # kubeling: the multi-call binary
//!
//! One binary, one subcommand per component, like upstream's hyperkube once was:
//!
//! - `kubeling up --dir DIR`: the whole cluster in the foreground ([`up`]).
//! - `kubeling apiserver --etcd-servers URL --port N`: the API server alone ([`apiserver_cmd`]).
//! - `kubeling scheduler --kubeconfig F`, `kubeling explain pod NAME` ([`scheduler_cmd`]).
//!
//! # Layout
//! - `main.rs`: argument parsing and dispatch (this file).
//! - [`apiserver_cmd`]: open storage, build the registry, serve HTTP.
//! - [`scheduler_cmd`]: flags to scheduler options; fetch and print explanations.
//! - [`up`]: start etcd as a child, run the API server, write the kubeconfig, stop cleanly.
//! - [`bench`](mod@bench): `kubeling bench apiserver`, the numbers in docs/benchmarks.md.

mod apiserver_cmd;
mod bench;
mod lab;
mod scheduler_cmd;
mod up;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kubeling",
    version,
    about = "Kubernetes rebuilt in Rust for learning"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole cluster in the foreground (etcd, API server); Ctrl-C stops it.
    Up(up::UpArgs),
    /// Run the API server alone.
    Apiserver(apiserver_cmd::ApiserverArgs),
    /// Run the scheduler alone against an API server (kubeling's or kind's).
    Scheduler(scheduler_cmd::SchedulerArgs),
    /// Show why the scheduler put a pod where it did (or why it is pending).
    Explain(scheduler_cmd::ExplainArgs),
    /// Measure a component against the limits of this machine (see docs/benchmarks.md).
    Bench(bench::BenchArgs),
    /// The labs: `lab list`, and `lab check NN` to check a day's tasks on the cluster.
    Lab(lab::LabArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KUBELING_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Up(args) => up::run(args).await,
            Command::Apiserver(args) => apiserver_cmd::run(args).await,
            Command::Scheduler(args) => scheduler_cmd::run(args).await,
            Command::Explain(args) => scheduler_cmd::explain(args).await,
            Command::Bench(args) => bench::run(args).await,
            Command::Lab(args) => lab::run(args).await,
        }
    });
    // Watches may still be open; do not wait for them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
