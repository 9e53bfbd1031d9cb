//! The labs keep their promises (ARCHITECTURE.md, "Labs"):
//! - every exercise crate fails its tests as given, and passes them with the reference solution
//!   copied over it (so the gaps are real, and fillable);
//! - on a fresh cluster `kubeling lab check NN` fails, `solution/solve.sh` runs, and then the
//!   check passes (so the chapter's tasks can be done, and the checker notices them);
//! - `kubeling lab list` names every day, and each day has the files a chapter needs.
//!
//! The exercise crates build in `target/labs`, a target directory of their own: repeated runs
//! are fast, and the workspace's build lock is not in the way.

mod common;

use common::Cluster;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// (day number, directory under labs/)
const DAYS: &[(&str, &str)] = &[
    ("01", "day01-etcd-apiserver"),
    ("02", "day02-objects-kubectl"),
    ("03", "day03-scheduler"),
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Copy a directory tree (the exercise crate is a handful of small files).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// `cargo test --offline` in a copy of a day's exercise, with the solution's files overlaid
/// if `solved`.
fn exercise_tests(day_dir: &str, solved: bool) -> Output {
    let day = repo().join("labs").join(day_dir);
    let tmp = tempfile::tempdir().expect("temp dir");
    let crate_dir = tmp.path().join("exercise");
    copy_dir(&day.join("exercise"), &crate_dir);
    // Without the lockfile, an offline resolve picks the versions already downloaded (the
    // workspace's), so this keeps working when the workspace bumps a dependency.
    let _ = std::fs::remove_file(crate_dir.join("Cargo.lock"));
    // A crate that builds workspace crates from source (day 03 depends on `scheduler` by path,
    // `../../../scheduler` from its place in labs/) gets those paths made absolute for its new
    // place, and the workspace's lockfile to start from: exactly the versions the workspace
    // builds with.
    let manifest = crate_dir.join("Cargo.toml");
    let toml = std::fs::read_to_string(&manifest).expect("read Cargo.toml");
    if toml.contains("path = \"../../../") {
        let absolute = format!("path = \"{}/", repo().display());
        std::fs::write(&manifest, toml.replace("path = \"../../../", &absolute))
            .expect("write Cargo.toml");
        std::fs::copy(repo().join("Cargo.lock"), crate_dir.join("Cargo.lock"))
            .expect("copy the workspace's Cargo.lock");
    }
    if solved {
        copy_dir(&day.join("solution").join("src"), &crate_dir.join("src"));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(["test", "--offline", "--quiet", "--no-fail-fast"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", repo().join("target").join("labs"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

#[test]
fn every_exercise_fails_as_given_and_passes_with_its_solution() {
    for (number, dir) in DAYS {
        let given = exercise_tests(dir, false);
        let out = text(&given);
        assert!(
            !given.status.success(),
            "day {number}: the exercise's tests must fail before the gaps are filled:\n{out}"
        );
        assert!(
            out.contains("EXERCISE"),
            "day {number}: the failures should point at the EXERCISE gaps (not a build error):\n{out}"
        );
        let solved = exercise_tests(dir, true);
        assert!(
            solved.status.success(),
            "day {number}: the exercise's tests must pass with solution/src copied over:\n{}",
            text(&solved)
        );
    }
}

#[test]
fn lab_list_names_every_day_and_each_day_has_its_files() {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeling"))
        .args(["lab", "list"])
        .output()
        .expect("kubeling runs");
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    for (number, dir) in DAYS {
        let line = listed
            .lines()
            .find(|l| l.starts_with(number))
            .unwrap_or_else(|| panic!("day {number} is not listed:\n{listed}"));
        assert!(line.contains(&format!("labs/{dir}")), "{line}");
        let day = repo().join("labs").join(dir);
        for file in ["README.md", "exercise/Cargo.toml", "solution/solve.sh"] {
            assert!(day.join(file).is_file(), "labs/{dir}/{file} is missing");
        }
    }
}

/// `kubeling lab check NUMBER` against this cluster, as a student runs it (`$KUBECONFIG`).
fn lab_check(cluster: &Cluster, number: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubeling"))
        .args(["lab", "check", number])
        .env("KUBECONFIG", cluster.kubeconfig())
        .output()
        .expect("kubeling runs")
}

/// `bash solve.sh` with `KUBECONFIG` set, and kubectl's discovery cache in `cache`.
fn solve(cluster: &Cluster, script: &Path, cache: &Path) -> Output {
    Command::new("bash")
        .arg(script)
        .env("KUBECONFIG", cluster.kubeconfig())
        .env("KUBECACHEDIR", cache)
        // solve.sh finds etcd through DIR/ports next to the kubeconfig, as a student would.
        .env_remove("ETCDCTL_ENDPOINTS")
        // ... and the kubeling binary (day 03 starts a second scheduler) through $KUBELING.
        .env("KUBELING", env!("CARGO_BIN_EXE_kubeling"))
        .output()
        .expect("bash runs")
}

/// A fresh cluster: the check fails; solve.sh runs; the check passes.
fn checker_fails_then_passes_after_solve(number: &str, dir: &str) {
    if !common::require(&["etcd", "etcdctl", "kubectl"]) {
        return;
    }
    let cluster = Cluster::up("etcd");
    let cache = tempfile::tempdir().expect("kubectl cache dir");
    let before = lab_check(&cluster, number);
    let out = text(&before);
    assert!(
        !before.status.success(),
        "day {number}: nothing is done yet, so the check must fail:\n{out}"
    );
    assert!(out.contains("[FAIL]") && out.contains("hint:"), "{out}");

    let script = repo()
        .join("labs")
        .join(dir)
        .join("solution")
        .join("solve.sh");
    let solved = solve(&cluster, &script, cache.path());
    assert!(
        solved.status.success(),
        "day {number}: solve.sh failed:\n{}",
        text(&solved)
    );

    let after = lab_check(&cluster, number);
    let out = text(&after);
    assert!(
        after.status.success(),
        "day {number}: after solve.sh every task must pass:\n{out}"
    );
    assert!(!out.contains("[FAIL]"), "{out}");

    // solve.sh is idempotent: a second run leaves the tasks done.
    let again = solve(&cluster, &script, cache.path());
    assert!(
        again.status.success(),
        "day {number}: a second solve.sh failed:\n{}",
        text(&again)
    );
    let last = lab_check(&cluster, number);
    assert!(
        last.status.success(),
        "day {number}: after a second solve.sh:\n{}",
        text(&last)
    );
}

#[test]
fn day01_check_fails_on_a_fresh_cluster_and_passes_after_solve_sh() {
    checker_fails_then_passes_after_solve("01", "day01-etcd-apiserver");
}

#[test]
fn day02_check_fails_on_a_fresh_cluster_and_passes_after_solve_sh() {
    checker_fails_then_passes_after_solve("02", "day02-objects-kubectl");
}

#[test]
fn day03_check_fails_on_a_fresh_cluster_and_passes_after_solve_sh() {
    checker_fails_then_passes_after_solve("03", "day03-scheduler");
}
