//! `kubeling bench ...`: benchmarks that report ratios against limits measured in the same run.

/// Arguments of `kubeling bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Which benchmark: `apiserver`.
    pub which: String,
}

/// Run a benchmark.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("benchmark {:?} is being written", args.which)
}
