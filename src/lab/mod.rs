//! `kubeling lab list` and `kubeling lab check NN`: the labs' checkers.
//!
//! Each day of `labs/` asks the student to leave the cluster in some state: a namespace, a
//! ConfigMap recording what they saw, objects patched a certain way. A checker reads that
//! state back **through the Kubernetes API only** (never etcd, never kubeling's internals), so
//! the same check runs against `kubeling up` and against a kind cluster, and prints one line
//! per task:
//!
//! ```text
//! [PASS] 1/1  namespace lab01 exists
//! [FAIL] 0/2  ConfigMap lab01/lab01-concurrency was written by b after a conflict — hint: ...
//! total: 1/3 points, 1 of 2 tasks done
//! ```
//!
//! The exit status is 0 only when every task passes, so CI (tests/labs.rs) can require
//! "fails before `solve.sh`, passes after".
//!
//! # Layout
//! - this file: the command line, the list of days, the [`Task`] type and the runner.
//! - [`day01`], [`day02`], [`day03`]: one file per day: read what the day's tasks need (I/O),
//!   then judge it with plain functions (pure, unit-tested without a cluster).

mod day01;
mod day02;
mod day03;

use anyhow::Context;
use machinery::client::{Client, Config, Error};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct LabArgs {
    #[command(subcommand)]
    command: LabCommand,
}

#[derive(clap::Subcommand, Debug)]
enum LabCommand {
    /// List the days, with their chapters' directories.
    List,
    /// Check a day's tasks against the cluster; exit 0 only if every task passes.
    Check {
        /// The day: 1, 01 or day01.
        day: String,
        /// The kubeconfig to use (default: $KUBECONFIG, then ~/.kube/config, as kubectl).
        #[arg(long)]
        kubeconfig: Option<PathBuf>,
    },
}

/// One day of the labs.
struct Day {
    number: u32,
    /// The chapter's directory under `labs/`.
    dir: &'static str,
    title: &'static str,
}

const DAYS: &[Day] = &[
    Day {
        number: 1,
        dir: "day01-etcd-apiserver",
        title: "etcd and the API server",
    },
    Day {
        number: 2,
        dir: "day02-objects-kubectl",
        title: "objects, kubectl, labels and selectors",
    },
    Day {
        number: 3,
        dir: "day03-scheduler",
        title: "the scheduler",
    },
];

/// The verdict on one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub description: String,
    pub points: u32,
    /// `None` when the task is done; otherwise what to try next.
    pub hint: Option<String>,
}

impl Task {
    pub fn pass(description: impl Into<String>, points: u32) -> Task {
        Task {
            description: description.into(),
            points,
            hint: None,
        }
    }

    pub fn fail(description: impl Into<String>, points: u32, hint: impl Into<String>) -> Task {
        Task {
            description: description.into(),
            points,
            hint: Some(hint.into()),
        }
    }

    /// Pass, or fail with the hint: the usual shape of a check written as `Result`.
    pub fn judge(description: &str, points: u32, verdict: Result<(), String>) -> Task {
        match verdict {
            Ok(()) => Task::pass(description, points),
            Err(hint) => Task::fail(description, points, hint),
        }
    }

    /// `[PASS] 2/2  description` or `[FAIL] 0/2  description — hint: ...`.
    pub fn line(&self) -> String {
        match &self.hint {
            None => format!("[PASS] {0}/{0}  {1}", self.points, self.description),
            Some(hint) => format!(
                "[FAIL] 0/{}  {} — hint: {hint}",
                self.points, self.description
            ),
        }
    }
}

pub async fn run(args: LabArgs) -> anyhow::Result<()> {
    match args.command {
        LabCommand::List => {
            for day in DAYS {
                println!("{:02}  {:<40}  labs/{}", day.number, day.title, day.dir);
            }
            Ok(())
        }
        LabCommand::Check { day, kubeconfig } => {
            let day = find_day(&day)?;
            let config = Config::infer(kubeconfig.as_deref())
                .context("cannot find the cluster (set KUBECONFIG or pass --kubeconfig)")?
                .with_user_agent(format!("kubeling-lab-check/{}", env!("CARGO_PKG_VERSION")));
            reachable(&config.server).await?;
            let client = Client::new(config);
            println!("day {:02}: {}", day.number, day.title);
            let tasks = match day.number {
                1 => day01::check(&client).await,
                2 => day02::check(&client).await,
                3 => day03::check(&client).await,
                _ => Vec::new(),
            };
            let done = tasks.iter().filter(|t| t.hint.is_none()).count();
            let earned: u32 = tasks
                .iter()
                .filter(|t| t.hint.is_none())
                .map(|t| t.points)
                .sum();
            let total: u32 = tasks.iter().map(|t| t.points).sum();
            for task in &tasks {
                println!("{}", task.line());
            }
            println!(
                "total: {earned}/{total} points, {done} of {} tasks done",
                tasks.len()
            );
            if done < tasks.len() {
                // Not an error worth an "error:" line: the checker did its job. Exit 1 so that
                // scripts (and CI) can tell "not done yet" from "all done".
                use std::io::Write;
                let _ = std::io::stdout().flush();
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

/// `1`, `01` and `day01` all name day 1.
fn find_day(text: &str) -> anyhow::Result<&'static Day> {
    let digits = text.trim_start_matches("day");
    let known = || {
        DAYS.iter()
            .map(|d| format!("{:02}", d.number))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let number: u32 = digits
        .parse()
        .map_err(|_| anyhow::anyhow!("{text:?} is not a day; the days are {}", known()))?;
    DAYS.iter()
        .find(|d| d.number == number)
        .ok_or_else(|| anyhow::anyhow!("there is no day {number:02} yet; the days are {}", known()))
}

/// Fail fast, with a plain message, when nothing listens at the server's address. (The
/// client itself retries a refused connection for about 40 s, which is right for a
/// controller waiting out an API server restart, and wrong for a student waiting for a verdict.)
async fn reachable(server: &str) -> anyhow::Result<()> {
    let authority = server
        .split_once("://")
        .map_or(server, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    let default_port = if server.starts_with("https://") {
        443
    } else {
        80
    };
    // `host:port`, `[::1]:port`, or a host alone.
    let address = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:{default_port}")
    };
    let connect = tokio::net::TcpStream::connect(address);
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            anyhow::bail!("cannot reach the API server at {server}: {e}; is the cluster running?")
        }
        Err(_) => anyhow::bail!("cannot reach the API server at {server}: no answer within 5s"),
    }
}

/// GET a path as JSON; NotFound is `Ok(None)`.
pub async fn get_json(client: &Client, path: &str) -> Result<Option<Value>, Error> {
    match client.send(hyper::Method::GET, path, "", None).await {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Decode(e.to_string())),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a check read: the object, "not there", or why it could not be read (a hint).
pub type Fetched = Result<Option<Value>, String>;

/// [`get_json`] with the error as text, ready to become a hint.
pub async fn fetch(client: &Client, path: &str) -> Fetched {
    get_json(client, path)
        .await
        .map_err(|e| format!("could not read {path}: {e}"))
}

/// `data[key]` of a ConfigMap, if it is a string.
pub fn data<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object["data"][key].as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_prints_points_and_a_hint_only_when_it_fails() {
        assert_eq!(
            Task::pass("namespace lab01 exists", 1).line(),
            "[PASS] 1/1  namespace lab01 exists"
        );
        assert_eq!(
            Task::fail("x", 3, "create it").line(),
            "[FAIL] 0/3  x — hint: create it"
        );
    }

    #[test]
    fn a_day_is_found_by_number_with_or_without_zero_or_prefix() {
        for text in ["1", "01", "day01", "day1"] {
            assert_eq!(find_day(text).map(|d| d.number).ok(), Some(1), "{text}");
        }
        for text in ["", "x", "99", "day"] {
            assert!(find_day(text).is_err(), "{text}");
        }
    }
}
