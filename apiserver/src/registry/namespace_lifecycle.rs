//! Namespace lifecycle: which namespaces may receive new objects. Upstream: the
//! `NamespaceLifecycle` admission plugin,
//! `staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go`.
//!
//! Two rules for every create of a namespaced object:
//!
//! 1. the namespace must exist (404 `namespaces "nope" not found` otherwise);
//! 2. it must not be `Terminating` (403 Forbidden): while the namespace controller empties a
//!    namespace being deleted, nothing new may move in, or it would never finish.
//!
//! Updates and deletes inside a terminating namespace are allowed: the controller itself
//! needs them, and so do the owners of finalizers. (Upstream's plugin also guards the
//! immortal namespaces `default`, `kube-system` and `kube-public`; here that is
//! `Strategy::forbid_delete` in `strategy/namespaces.rs`.)

use super::{storage_error, Registry};
use crate::resources::Resource;
use machinery::{ApiError, StatusCause};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long after a namespace is deleted its creates are checked against storage rather
/// than the watch cache (upstream's `forceLiveLookupTTL`).
const FORCE_LIVE_LOOKUP_FOR: Duration = Duration::from_secs(30);

/// Namespaces deleted in the last [`FORCE_LIVE_LOOKUP_FOR`], with when (upstream's
/// `forceLiveLookupCache`). The watch cache learns of the deletion a moment after the write;
/// a create in that moment would still see `Active` there. One list serves the whole process,
/// as upstream's plugin does: in a test process running several API servers a namespace name
/// deleted in one costs the others at most an extra storage read.
static RECENTLY_DELETED: Mutex<Option<HashMap<String, Instant>>> = Mutex::new(None);

/// Remember that namespace `name` is being deleted (called by the namespace DELETE).
pub(crate) fn note_deleted(name: &str) {
    let now = Instant::now();
    let mut guard = RECENTLY_DELETED.lock().unwrap_or_else(|p| p.into_inner());
    let deleted = guard.get_or_insert_with(HashMap::new);
    // Forget old entries here, so the map holds at most the last 30 s of deletions.
    deleted.retain(|_, at| now.duration_since(*at) < FORCE_LIVE_LOOKUP_FOR);
    deleted.insert(name.to_string(), now);
}

/// Whether namespace `name` was deleted in the last [`FORCE_LIVE_LOOKUP_FOR`].
fn recently_deleted(name: &str) -> bool {
    let guard = RECENTLY_DELETED.lock().unwrap_or_else(|p| p.into_inner());
    guard
        .as_ref()
        .and_then(|deleted| deleted.get(name))
        .is_some_and(|at| at.elapsed() < FORCE_LIVE_LOOKUP_FOR)
}

/// The namespace's `status.phase`.
fn phase(ns: &Value) -> &str {
    ns.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The 403 for a create in a terminating namespace, worded as upstream words it:
/// `configmaps "x" is forbidden: unable to create new content in namespace team-a because it
/// is being terminated`, with a `NamespaceTerminating` cause that clients can test for
/// (client-go's `errors.HasStatusCause(err, v1.NamespaceTerminatingCause)`).
fn terminating_error(res: &Resource, ns: &str, name: &str) -> ApiError {
    let mut err = ApiError::forbidden(
        res.group,
        res.plural,
        name,
        &format!("unable to create new content in namespace {ns} because it is being terminated"),
    );
    err.details.causes.push(StatusCause {
        reason: "NamespaceTerminating".into(),
        message: format!("namespace {ns} is being terminated"),
        field: "metadata.namespace".into(),
    });
    err
}

impl Registry {
    /// May `res` object `name` be created in namespace `ns`? It must exist and not be
    /// terminating.
    pub(crate) async fn require_namespace(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        let namespaces = crate::resources::namespaces();
        let key = namespaces.key("", ns);
        // Usually the namespaces watch cache knows it (no etcd read per create). Two cases
        // ask storage instead, as upstream's plugin does with a "live lookup": a namespace
        // the cache has not seen (it may have been created a moment ago), and one the cache
        // still calls Active although it was deleted a moment ago.
        let cached = self
            .cache(namespaces)
            .get(&key)
            .map(|c| c.value)
            .filter(|v| !(phase(v) == "Active" && recently_deleted(ns)));
        let terminating = match cached {
            Some(namespace) => phase(&namespace) == "Terminating",
            None => {
                let found = self
                    .storage
                    .get(&key)
                    .await
                    .map_err(|e| storage_error(namespaces, ns, e))?
                    .ok_or_else(|| ApiError::not_found("", "namespaces", ns))?;
                let namespace: Value = serde_json::from_slice(&found.value).map_err(|e| {
                    ApiError::internal(format!("stored namespace {ns} is not valid JSON: {e}"))
                })?;
                phase(&namespace) == "Terminating"
            }
        };
        if terminating {
            return Err(terminating_error(res, ns, name));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_in_a_terminating_namespace_is_forbidden_with_upstreams_words() {
        let deploys = crate::resources::find("apps", "v1", "deployments").expect("served");
        let err = terminating_error(deploys, "team-a", "web");
        assert_eq!((err.code, err.reason.as_str()), (403, "Forbidden"));
        assert_eq!(
            err.message,
            "deployments.apps \"web\" is forbidden: unable to create new content in namespace team-a because it is being terminated"
        );
        let status = err.to_status();
        assert_eq!(
            status["details"]["causes"][0],
            serde_json::json!({"reason": "NamespaceTerminating", "message": "namespace team-a is being terminated", "field": "metadata.namespace"})
        );
    }

    #[test]
    fn a_deleted_namespace_is_remembered_for_a_while() {
        assert!(!recently_deleted("never-deleted-here"));
        note_deleted("just-deleted");
        assert!(recently_deleted("just-deleted"));
    }
}
