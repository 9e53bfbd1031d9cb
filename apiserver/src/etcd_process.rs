//! Running etcd as a child process: for `kubeling up`, and for tests that need a real etcd.
//!
//! A real cluster runs etcd as its own service (kubeadm makes it a static pod). For learning we
//! start it ourselves, bound to loopback only, with its data in a directory we choose, and stop
//! it when we stop: [`EtcdProcess`] kills exactly the child it started when dropped.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why etcd could not be started.
#[derive(Debug, thiserror::Error)]
pub enum EtcdStartError {
    /// No `etcd` binary on PATH.
    #[error(
        "etcd was not found on PATH. Install it with `apt-get install etcd-server` \
         (Debian's package), or run without etcd using `--store memory`"
    )]
    NotInstalled,
    /// Spawning failed, or etcd exited or never answered.
    #[error("etcd did not start: {0} (its log is {1})")]
    Failed(String, PathBuf),
}

/// A running etcd child. Dropping it stops the process.
pub struct EtcdProcess {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, for clients.
    pub endpoint: String,
    /// Where etcd writes its log.
    pub log_path: PathBuf,
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// Whether an executable named `name` is on PATH.
pub fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false)
}

impl EtcdProcess {
    /// Start etcd with its data under `dir/etcd`, serving clients on `client_port` and peers on
    /// `peer_port`, all on 127.0.0.1. Returns once etcd answers on its client port.
    pub fn start(dir: &Path, client_port: u16, peer_port: u16) -> Result<Self, EtcdStartError> {
        if !on_path("etcd") {
            return Err(EtcdStartError::NotInstalled);
        }
        let data_dir = dir.join("etcd");
        let log_path = dir.join("etcd.log");
        let fail = |msg: String| EtcdStartError::Failed(msg, log_path.clone());
        std::fs::create_dir_all(&data_dir).map_err(|e| fail(e.to_string()))?;
        let log = std::fs::File::create(&log_path).map_err(|e| fail(e.to_string()))?;
        let log2 = log.try_clone().map_err(|e| fail(e.to_string()))?;
        let client = format!("http://127.0.0.1:{client_port}");
        let peer = format!("http://127.0.0.1:{peer_port}");
        let mut command = Command::new("etcd");
        // If we die without stopping etcd (SIGKILL, a crash), the kernel sends it SIGTERM, so
        // no etcd is ever left behind holding the data directory.
        // SAFETY: prctl is async-signal-safe; this runs in the child between fork and exec.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            .arg("--name=kubeling")
            .arg(format!("--data-dir={}", data_dir.display()))
            .arg(format!("--listen-client-urls={client}"))
            .arg(format!("--advertise-client-urls={client}"))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster=kubeling={peer}"))
            // Metrics would otherwise listen on the client port only; nothing else to bind.
            .arg("--log-level=warn")
            .arg("--logger=zap")
            // etcd collects writes in memory and commits them to its database file every 100 ms
            // or every N writes. Until committed, they sit in a buffer that etcd 3.4.23 (Debian's)
            // copies for every transaction that reads before it writes — every create is one
            // ("put only if absent"). With upstream's N of 10,000 that copy made a create cost
            // etcd twice a plain put; committing every 1,000 writes keeps the buffer small
            // (measured: create-if-absent transactions/s +40%, plain puts unchanged). Newer etcd
            // (3.4.24+, 3.5) no longer copies the buffer; see docs/benchmarks.md.
            .arg("--backend-batch-limit=1000")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| fail(e.to_string()))?;
        let mut etcd = EtcdProcess {
            child: Some(child),
            endpoint: client,
            log_path: log_path.clone(),
        };
        etcd.wait_until_serving(Duration::from_secs(30))?;
        Ok(etcd)
    }

    /// Poll until etcd accepts connections on its client port, or fail if it exits.
    fn wait_until_serving(&mut self, limit: Duration) -> Result<(), EtcdStartError> {
        let addr = self.endpoint.trim_start_matches("http://").to_string();
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(EtcdStartError::Failed(
                        format!("etcd exited with {status}"),
                        self.log_path.clone(),
                    ));
                }
            }
            if std::net::TcpStream::connect(&addr).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(EtcdStartError::Failed(
            format!("no answer on {addr} within {limit:?}"),
            self.log_path.clone(),
        ))
    }

    /// The child's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stop etcd: SIGTERM, then SIGKILL if it has not exited after a few seconds.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(5));
        }
    }
}

impl Drop for EtcdProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Ask a child to exit with SIGTERM; SIGKILL it if it is still running after `grace`.
pub fn terminate(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let started = Instant::now();
    while started.elapsed() < grace {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
