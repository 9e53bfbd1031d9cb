//! Fixtures for end-to-end tests: a real `kubeling up` child process and the real kubectl.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A cluster started with `kubeling up` in a temp dir; stopped (SIGTERM to our child) on drop.
pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    /// The scheduler's HTTP port (/metrics, /explain).
    pub scheduler_port: u16,
    child: Option<Child>,
    cache: tempfile::TempDir,
    _tmp: Option<tempfile::TempDir>,
    /// What `kubeling up` printed up to and including its `ready` line.
    pub startup: Vec<String>,
}

/// Skip (outside CI) or fail (in CI) when a tool the e2e tests need is missing.
pub fn require(tools: &[&str]) -> bool {
    for tool in tools {
        if !apiserver::etcd_process::on_path(tool) {
            if std::env::var_os("CI").is_some() {
                panic!("{tool} is not installed but CI must run the end-to-end tests: run scripts/install-deps.sh");
            }
            eprintln!("SKIPPED: {tool} is not on PATH; not in CI, so skipping");
            return false;
        }
    }
    true
}

impl Cluster {
    /// `kubeling up --dir <new temp dir> --port <free> --store <store>`, waiting for `ready`.
    pub fn up(store: &str) -> Cluster {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let mut cluster = Cluster::start_in(&dir, store);
        cluster._tmp = Some(tmp);
        cluster
    }

    /// Start `kubeling up` on an existing directory (for restart tests).
    pub fn start_in(dir: &Path, store: &str) -> Cluster {
        let port = apiserver::etcd_process::free_port();
        let scheduler_port = apiserver::etcd_process::free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubeling"))
            .args([
                "up",
                "--dir",
                dir.to_str().expect("utf-8 path"),
                "--port",
                &port.to_string(),
                "--store",
                store,
                "--scheduler-port",
                &scheduler_port.to_string(),
            ])
            .env("KUBELING_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kubeling up starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut cluster = Cluster {
            dir: dir.to_path_buf(),
            port,
            scheduler_port,
            child: Some(child),
            cache: tempfile::tempdir().expect("cache dir"),
            _tmp: None,
            startup: Vec::new(),
        };
        loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    let ready = line.contains("ready");
                    cluster.startup.push(line);
                    if ready {
                        break;
                    }
                }
                Err(_) => {
                    cluster.stop();
                    panic!("kubeling up did not print `ready` within 60s");
                }
            }
        }
        cluster
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// Write `text` to the file `name` in the cluster's directory; returns its path, for
    /// `kubectl ... -f`.
    pub fn manifest(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, text).expect("write manifest");
        path.to_string_lossy().into_owned()
    }

    /// Run the real kubectl against this cluster (fresh discovery cache per cluster).
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_stdin(args, None)
    }

    pub fn kubectl_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.arg(format!("--cache-dir={}", self.cache.path().display()))
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("kubectl runs");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("kubectl finishes")
    }

    /// kubectl that must succeed; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// kubectl that must fail; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(!out.status.success(), "kubectl {args:?} should have failed");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Start a kubectl that keeps running (e.g. `get -w`); the caller kills it.
    pub fn kubectl_background(&self, args: &[&str]) -> Child {
        Command::new("kubectl")
            .arg(format!("--cache-dir={}", self.cache.path().display()))
            .args(args)
            .env("KUBECONFIG", self.kubeconfig())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs")
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGTERM `kubeling up` and wait for it (it stops etcd itself). Returns its exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
        }
        for _ in 0..200 {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}
