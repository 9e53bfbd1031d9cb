//! Fixtures shared by the apiserver's integration tests.
#![allow(dead_code)]

use apiserver::etcd_process::{free_port, on_path, EtcdProcess};
use apiserver::storage::etcd::EtcdStorage;

/// A real etcd in a fresh temp dir on free ports; stopped (by PID) when dropped.
pub struct TestEtcd {
    pub process: EtcdProcess,
    pub dir: tempfile::TempDir,
}

/// Start etcd, or explain why not. In CI (`CI` set) a missing etcd is a failure, not a skip:
/// the suite must really run against etcd there.
pub fn start_etcd() -> Option<TestEtcd> {
    if !on_path("etcd") {
        if std::env::var_os("CI").is_some() {
            panic!(
                "etcd is not installed but CI must run the etcd tests: run scripts/install-deps.sh"
            );
        }
        eprintln!(
            "SKIPPED: etcd is not on PATH (apt-get install etcd-server); not in CI, so skipping"
        );
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let process = EtcdProcess::start(dir.path(), free_port(), free_port()).expect("etcd starts");
    Some(TestEtcd { process, dir })
}

impl TestEtcd {
    pub async fn storage(&self) -> EtcdStorage {
        EtcdStorage::connect(std::slice::from_ref(&self.process.endpoint))
            .await
            .expect("connect to etcd")
    }
}
