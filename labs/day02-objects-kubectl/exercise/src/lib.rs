//! # Day 02 exercise: label selectors
//!
//! `kubectl get pods -l 'tier in (frontend,backend),env!=prod'` sends that text to the API
//! server as `?labelSelector=...`; the server parses it and keeps the objects whose labels
//! match. Services find their Pods the same way, and so do ReplicaSets and Deployments. Here
//! you write the parser and the matcher. Run `cargo test`: the tests fail until the two gaps
//! in `selector.rs` are filled.
//!
//! # Layout
//! - [`selector`]: the types (given), splitting a selector into requirements (given),
//!   EXERCISE 1 `parse_requirement` and EXERCISE 2 `Requirement::matches`.
//!
//! When you are done, compare with kubeling's full version, `machinery/src/labels/` (a lexer,
//! a recursive-descent parser, upstream's validation messages), which mirrors
//! `k8s.io/apimachinery/pkg/labels/selector.go`.

pub mod selector;
