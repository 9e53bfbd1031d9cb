//! A real client nobody here wrote: the official Python client (PyPI `kubernetes`) drives
//! kubeling through CRUD, list, watch, errors and dynamic discovery (tests/python/client_smoke.py).
//! The client lives in `.venv`, made by scripts/install-deps.sh.

mod common;

use common::Cluster;
use std::path::Path;
use std::process::Command;

/// `.venv/bin/python` if it has the client; otherwise skip (outside CI) or fail (in CI).
fn python_with_client() -> Option<String> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let ok = venv.exists()
        && Command::new(&venv)
            .args(["-c", "import kubernetes"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if ok {
        return Some(venv.to_string_lossy().into_owned());
    }
    if std::env::var_os("CI").is_some() {
        panic!("the Python client is missing from .venv but CI must run this test: run scripts/install-deps.sh");
    }
    eprintln!("SKIPPED: no .venv with the Python `kubernetes` client (run scripts/install-deps.sh); not in CI, so skipping");
    None
}

#[test]
fn the_official_python_client_creates_lists_watches_patches_and_deletes() {
    let Some(python) = python_with_client() else {
        return;
    };
    let c = Cluster::up("memory");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/client_smoke.py");
    let out = Command::new(python)
        .arg(script)
        .arg(c.kubeconfig())
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("python client OK"),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}
