//! Workload controllers' objects: Deployments, ReplicaSets and Jobs. Upstream:
//! `pkg/registry/apps/deployment/strategy.go`, `pkg/registry/apps/replicaset/strategy.go` and
//! `pkg/registry/batch/job/strategy.go`.
//!
//! All three count generations, run pods from a template, and find them by a selector that may
//! not change. One strategy serves the three and picks by `kind`.
//!
//! Not yet as upstream: a Job without `manualSelector: true` should get a selector generated
//! from its uid (`batch.kubernetes.io/controller-uid=<uid>`, with matching template labels)
//! in `prepare_for_create`. The registry assigns the uid only *after* that hook runs, so the
//! selector cannot be generated here yet; Job validation accepts a Job without one meanwhile.

use super::{defaults, Strategy};
use crate::registry::validation::{apps, batch};
use machinery::StatusCause;
use serde_json::Value;

/// Deployments, ReplicaSets and Jobs.
pub struct Workload;

fn kind(obj: &Value) -> &str {
    obj.get("kind").and_then(Value::as_str).unwrap_or("")
}

impl Strategy for Workload {
    fn tracks_generation(&self) -> bool {
        true
    }

    fn default(&self, obj: &mut Value) {
        match kind(obj) {
            "Deployment" => defaults::deployment(obj),
            "ReplicaSet" => defaults::replica_set(obj),
            "Job" => defaults::job(obj),
            _ => {}
        }
    }

    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        match kind(obj) {
            "Deployment" => apps::validate_deployment(obj),
            "ReplicaSet" => apps::validate_replica_set(obj),
            "Job" => batch::validate_job(obj),
            _ => Vec::new(),
        }
    }

    /// apps/v1 refuses a changed selector (older API versions allowed it, which upstream still
    /// honours for them; we serve only apps/v1). A Job also keeps its template and completions.
    fn validate_update(&self, new: &Value, old: &Value) -> Vec<StatusCause> {
        match kind(new) {
            "Deployment" | "ReplicaSet" => apps::validate_selector_unchanged(new, old),
            "Job" => batch::validate_job_update(new, old),
            _ => Vec::new(),
        }
    }
}
