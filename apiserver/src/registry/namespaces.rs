//! Deleting a namespace, and its `finalize` subresource. Upstream:
//! `pkg/registry/core/namespace/storage/storage.go` (`REST.Delete`, `FinalizeREST`) and
//! `ShouldDeleteNamespaceDuringUpdate` beside it.
//!
//! A namespace holds other objects, so it cannot simply vanish: everything in it must be
//! deleted first, and that takes a controller. Deletion therefore happens in two phases:
//!
//! ```text
//!  DELETE /api/v1/namespaces/team-a            (kubectl delete ns team-a)
//!     |  nothing is removed: deletionTimestamp = now, status.phase = Terminating
//!     |  from now on creates in team-a are refused (namespace_lifecycle.rs)
//!     v
//!  the namespace controller deletes every object in team-a, then sends
//!  PUT /api/v1/namespaces/team-a/finalize      with spec.finalizers = []
//!     |  spec.finalizers empty and metadata.finalizers empty: deleted for real
//!     v
//!  gone
//! ```
//!
//! A namespace has *two* lists of finalizers. `spec.finalizers` is the namespace's own: the
//! `kubernetes` entry means "the namespace controller must empty me first", and only the
//! `finalize` subresource changes it. `metadata.finalizers` is the list every object has
//! (`orphan` and `foregroundDeletion` from a `propagationPolicy`, or anyone's own). Both must
//! be empty before the namespace goes.
//!
//! kubeling has no namespace controller yet (it comes with the controller-manager), so a
//! deleted namespace stays `Terminating` until someone finalizes it by hand:
//! `kubectl get ns team-a -o json | jq '.spec.finalizers=[]' | kubectl replace --raw
//! /api/v1/namespaces/team-a/finalize -f -`. The objects inside are then left behind in storage.

use super::delete::{check_preconditions, gc_finalizers, DeleteOptions, Deleted};
use super::{check_kind, decode_typed, encode, set_rv, storage_error, Registry};
use crate::resources::{namespaces, Resource};
use crate::storage::StorageError;
use machinery::{meta, ApiError};
use serde_json::{json, Value};

/// Whether `res` is the namespaces resource.
pub(crate) fn is_namespaces(res: &Resource) -> bool {
    res.group.is_empty() && res.plural == "namespaces"
}

/// A namespace's `spec.finalizers` (empty if absent).
pub(crate) fn spec_finalizers(ns: &Value) -> Vec<String> {
    machinery::meta::strings_at(ns, "/spec/finalizers")
}

/// Whether a namespace has been deleted and waits for its finalizers.
fn terminating(ns: &Value) -> bool {
    !meta::meta_str(ns, "deletionTimestamp").is_empty()
}

/// The first DELETE's change: `deletionTimestamp` now, phase `Terminating`, and the garbage
/// collector's finalizers as the `propagationPolicy` asks. Unlike other kinds, no
/// `deletionGracePeriodSeconds` is set, as upstream.
fn mark_terminating(ns: &Value, policy: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> Value {
    let mut marked = ns.clone();
    let finalizers = gc_finalizers(&meta::finalizers(ns), policy);
    let m = meta::metadata_mut(&mut marked);
    m.insert(
        "deletionTimestamp".into(),
        json!(now.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    if finalizers.is_empty() {
        m.remove("finalizers");
    } else {
        m.insert("finalizers".into(), json!(finalizers));
    }
    if !marked.get("status").is_some_and(Value::is_object) {
        marked["status"] = json!({});
    }
    marked["status"]["phase"] = json!("Terminating");
    marked
}

/// The namespace with `spec.finalizers` replaced (left out when empty, as upstream's
/// `omitempty` writes it).
fn with_spec_finalizers(ns: &Value, finalizers: &[String]) -> Value {
    let mut new = ns.clone();
    if !new.get("spec").is_some_and(Value::is_object) {
        new["spec"] = json!({});
    }
    let spec = new["spec"].as_object_mut().expect("made an object above");
    if finalizers.is_empty() {
        spec.remove("finalizers");
    } else {
        spec.insert("finalizers".into(), json!(finalizers));
    }
    new
}

impl Registry {
    /// `DELETE /api/v1/namespaces/NAME`.
    ///
    /// - The first DELETE only marks the namespace `Terminating` (answering with it), even
    ///   when no finalizer holds it: the namespace controller must look inside first.
    /// - A later DELETE changes nothing while `spec.finalizers` is non-empty, and answers
    ///   with the namespace as it is.
    /// - Once `spec.finalizers` is empty, a DELETE is an ordinary one: gone at once, or held
    ///   by `metadata.finalizers` like any object.
    ///
    /// The namespace's uid is pinned as a precondition, so a namespace deleted and created
    /// again meanwhile (same name, new uid) is never deleted by mistake.
    pub(super) async fn delete_namespace(
        &self,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        let res = namespaces();
        let key = res.key("", name);
        let mut opts = opts.clone();
        loop {
            let (ns, kv) = self.get_kv(res, "", name).await?;
            opts.precondition_uid
                .get_or_insert_with(|| meta::uid(&ns).to_string());
            check_preconditions(res, name, &ns, &opts)?;
            if terminating(&ns) {
                if !spec_finalizers(&ns).is_empty() {
                    return Ok(Deleted {
                        object: ns,
                        gone: false,
                    });
                }
                return self.delete_object(res, "", name, &opts).await;
            }
            // Tell the lifecycle check before writing, so that no create slips in between
            // the write and a cache that has not seen it yet.
            super::namespace_lifecycle::note_deleted(name);
            let mut marked =
                mark_terminating(&ns, opts.propagation_policy.as_deref(), chrono::Utc::now());
            match self
                .storage
                .update(&key, encode(&marked), kv.mod_revision)
                .await
            {
                Ok(rev) => {
                    set_rv(&mut marked, rev);
                    return Ok(Deleted {
                        object: marked,
                        gone: false,
                    });
                }
                Err(StorageError::Conflict { .. }) if opts.precondition_rv.is_none() => continue,
                Err(e) => return Err(storage_error(res, name, e)),
            }
        }
    }

    /// `PUT /api/v1/namespaces/NAME/finalize`: replace `spec.finalizers` and nothing else
    /// (status, labels and the rest of the body are ignored). When a terminating namespace is
    /// left with no finalizers of either kind, this write deletes it. A `resourceVersion` in
    /// the body makes the write conditional, as for any PUT.
    ///
    /// Upstream's finalize also takes metadata changes from the body; we keep to its purpose.
    /// When the write deletes, upstream answers with the namespace as it was stored; we answer
    /// with its final state, finalizers emptied.
    pub async fn finalize_namespace(&self, name: &str, mut body: Value) -> Result<Value, ApiError> {
        let res = namespaces();
        check_kind(res, &mut body)?;
        let body_name = meta::name(&body);
        if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let precondition = super::update::parse_rv(meta::resource_version(&body))?;
        let wanted = spec_finalizers(&decode_typed(res, body)?);
        let causes: Vec<_> = wanted
            .iter()
            .enumerate()
            .flat_map(|(i, f)| {
                super::strategy::namespaces::finalizer_name_causes(
                    &format!("spec.finalizers[{i}]"),
                    f,
                )
            })
            .collect();
        if !causes.is_empty() {
            return Err(ApiError::invalid(res.group, res.kind, name, causes));
        }

        // The ordinary guarded update does the rest, `Part::Whole` so that the namespace
        // strategy does not restore the old `spec.finalizers` as it does for a plain PUT. It
        // also deletes a terminating namespace left with no finalizers of either kind
        // (upstream's ShouldDeleteNamespaceDuringUpdate).
        self.guaranteed_update(
            res,
            "",
            name,
            precondition,
            super::update::Part::Whole,
            |current| Ok(with_spec_finalizers(current, &wanted)),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active() -> Value {
        json!({
            "metadata": {"name": "a", "uid": "u1", "finalizers": ["example.com/x"]},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        })
    }

    #[test]
    fn the_first_delete_marks_the_namespace_terminating() {
        let now = chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
            .expect("time")
            .with_timezone(&chrono::Utc);
        let marked = mark_terminating(&active(), None, now);
        assert_eq!(
            marked["metadata"]["deletionTimestamp"],
            "2024-05-01T10:00:00Z"
        );
        assert!(marked["metadata"]
            .get("deletionGracePeriodSeconds")
            .is_none());
        assert_eq!(marked["status"]["phase"], "Terminating");
        assert_eq!(marked["spec"], active()["spec"], "spec.finalizers stay");
        assert_eq!(marked["metadata"]["finalizers"], json!(["example.com/x"]));
        assert!(terminating(&marked) && !terminating(&active()));
        let orphaned = mark_terminating(&active(), Some("Orphan"), now);
        assert_eq!(
            orphaned["metadata"]["finalizers"],
            json!(["example.com/x", "orphan"])
        );
    }

    #[test]
    fn finalize_replaces_spec_finalizers_and_leaves_an_empty_spec_when_none_remain() {
        let ns = active();
        let two = with_spec_finalizers(&ns, &["kubernetes".into(), "example.com/y".into()]);
        assert_eq!(spec_finalizers(&two), ["kubernetes", "example.com/y"]);
        let none = with_spec_finalizers(&ns, &[]);
        assert_eq!(none["spec"], json!({}));
        assert!(spec_finalizers(&none).is_empty());
        assert_eq!(none["metadata"], ns["metadata"], "nothing else changes");
    }
}
