//! # Day 03 exercise: a scheduler plugin
//!
//! The scheduler decides where a pod runs by asking plugins: **Filter** plugins say which
//! nodes *can* run it, **Score** plugins say which of those are *better*. Here you write one
//! plugin that does both, against the same traits the in-tree plugins implement
//! (`scheduler/src/framework/interface.rs`), so it could be compiled into `kubeling scheduler`
//! and enabled in a `KubeSchedulerConfiguration` like any other.
//!
//! Run `cargo test`: the tests fail until the three gaps in `node_label_preference.rs` are
//! filled. `cargo test -- --nocapture` also prints the explanation table of the decision the
//! last test makes, the same table `kubeling explain pod` prints.
//!
//! # Layout
//! - [`node_label_preference`]: the plugin: its name, factory and extension points (given),
//!   EXERCISE 1 `filter`, EXERCISE 2 `score` and EXERCISE 3 `normalize_score`.
//!
//! When you are done, compare with `scheduler/src/plugins/node_unschedulable.rs` (a Filter) and
//! `scheduler/src/plugins/taint_toleration.rs` (a Filter and a Score that normalises in
//! reverse), which mirror upstream's Go plugins of the same names.

pub mod node_label_preference;
