//! Delete: `DELETE .../pods/web` and `DELETE .../pods` (deletecollection).
//!
//! Deleting is a two-step dance whenever something must happen first:
//!
//! - **finalizers**: while `metadata.finalizers` is non-empty the object is only *marked*
//!   (`deletionTimestamp` set); whoever owns each finalizer removes it when done, and the
//!   update that removes the last one deletes the object for real;
//! - **graceful deletion** (pods on a node): the pod is marked with a grace period; its
//!   kubelet stops the containers and then deletes it with grace 0.
//!
//! `propagationPolicy` is recorded the way upstream records it — `Orphan` adds the `orphan`
//! finalizer, `Foreground` adds `foregroundDeletion` — for the garbage collector to act on.
//! Upstream: `generic/registry/store.go` (Delete, updateForGracefulDeletionAndFinalizers,
//! deletionFinalizersForGarbageCollection) and `rest/delete.go` (BeforeDelete).
//!
//! Namespaces delete differently (they are marked `Terminating` first, whatever their
//! finalizers): [`Registry::delete`] hands them to `namespaces.rs`.

use super::{encode, list::ListQuery, set_rv, storage_error, Registry};
use crate::storage::StorageError;
use machinery::{meta, ApiError};
use serde_json::{json, Value};

/// The body of a DELETE (`DeleteOptions`), also settable by query parameters.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// Seconds to wait before the object is really gone (pods); `Some(0)` means now.
    pub grace_period_seconds: Option<i64>,
    /// `Orphan`, `Background` or `Foreground`.
    pub propagation_policy: Option<String>,
    /// Delete only if the object still has this uid.
    pub precondition_uid: Option<String>,
    /// Delete only if the object still has this resourceVersion.
    pub precondition_rv: Option<String>,
    /// The deprecated `orphanDependents` (`true` is read as `propagationPolicy: Orphan`).
    pub orphan_dependents: Option<bool>,
}

impl DeleteOptions {
    /// Read DeleteOptions from a JSON body (empty body = defaults).
    pub fn from_body(body: &Value) -> Result<Self, ApiError> {
        let mut opts = DeleteOptions {
            grace_period_seconds: body.get("gracePeriodSeconds").and_then(Value::as_i64),
            propagation_policy: body
                .get("propagationPolicy")
                .and_then(Value::as_str)
                .map(str::to_string),
            precondition_uid: body
                .pointer("/preconditions/uid")
                .and_then(Value::as_str)
                .map(str::to_string),
            precondition_rv: body
                .pointer("/preconditions/resourceVersion")
                .and_then(Value::as_str)
                .map(str::to_string),
            orphan_dependents: body.get("orphanDependents").and_then(Value::as_bool),
        };
        // Older clients send `orphanDependents: true` instead of a policy.
        if opts.propagation_policy.is_none() && body.get("orphanDependents") == Some(&json!(true)) {
            opts.propagation_policy = Some("Orphan".into());
        }
        if let Some(p) = &opts.propagation_policy {
            if !["Orphan", "Background", "Foreground"].contains(&p.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "propagationPolicy: Unsupported value: {p:?}: supported values: \"Orphan\", \"Background\", \"Foreground\""
                )));
            }
        }
        if opts.grace_period_seconds.is_some_and(|g| g < 0) {
            opts.grace_period_seconds = Some(0);
        }
        Ok(opts)
    }
}

/// What a delete did.
#[derive(Debug)]
pub struct Deleted {
    /// The object: its last state if gone, its marked state otherwise.
    pub object: Value,
    /// Whether it is gone now (HTTP 200) or only marked for deletion (HTTP 202).
    pub gone: bool,
}

impl Registry {
    /// Delete one object, or mark it for deletion if finalizers or a grace period say so.
    pub async fn delete(
        &self,
        res: &crate::resources::Resource,
        ns: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        if let Some(why) = res.strategy.forbid_delete(name) {
            return Err(ApiError::forbidden(res.group, res.plural, name, why));
        }
        if super::namespaces::is_namespaces(res) {
            return self.delete_namespace(name, opts).await;
        }
        self.delete_object(res, ns, name, opts).await
    }

    /// The delete every kind shares: at once, or marked while finalizers or a grace period
    /// hold it (upstream's `Store.Delete`).
    pub(super) async fn delete_object(
        &self,
        res: &crate::resources::Resource,
        ns: &str,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        let key = res.key(ns, name);
        loop {
            let (obj, kv) = self.get_kv(res, ns, name).await?;
            check_preconditions(res, name, &obj, opts)?;
            let grace = res
                .strategy
                .grace_period(&obj, opts.grace_period_seconds)
                .min(MAX_GRACE_SECONDS);
            let mut marked = obj.clone();
            let finalizers =
                gc_finalizers(&meta::finalizers(&obj), opts.propagation_policy.as_deref());

            let written = if finalizers.is_empty() && grace == 0 {
                self.storage
                    .delete(&key, kv.mod_revision)
                    .await
                    .map(|rev| (rev, true))
            } else {
                mark_for_deletion(res, &mut marked, grace, &finalizers);
                if marked == obj {
                    return Ok(Deleted {
                        object: obj,
                        gone: false,
                    });
                }
                self.storage
                    .update(&key, encode(&marked), kv.mod_revision)
                    .await
                    .map(|rev| (rev, false))
            };
            match written {
                Ok((rev, gone)) => {
                    if gone && res.group.is_empty() && res.kind == "Service" {
                        self.release(&Registry::service_claims(&obj)).await;
                    }
                    let mut object = if gone { obj } else { marked };
                    set_rv(&mut object, rev);
                    return Ok(Deleted { object, gone });
                }
                Err(StorageError::Conflict { .. }) if opts.precondition_rv.is_none() => continue,
                Err(e) => return Err(storage_error(res, name, e)),
            }
        }
    }

    /// Delete every object a list would return. Returns the deleted objects as a list.
    /// Resources without the `deletecollection` verb answer 405.
    pub async fn delete_collection(
        &self,
        res: &crate::resources::Resource,
        ns: &str,
        query: &ListQuery,
        opts: &DeleteOptions,
    ) -> Result<Vec<Value>, ApiError> {
        if !serves_delete_collection(res) {
            return Err(ApiError::method_not_allowed());
        }
        let list = self.list_from_storage(res, ns, query).await?;
        let mut deleted = Vec::new();
        for obj in list.values()? {
            let (item_ns, name) = (
                meta::namespace(&obj).to_string(),
                meta::name(&obj).to_string(),
            );
            match self.delete(res, &item_ns, &name, opts).await {
                Ok(d) => deleted.push(d.object),
                // Someone else deleted it meanwhile: that is fine.
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        Ok(deleted)
    }
}

/// The longest grace period honoured (about 68 years): larger values would overflow timestamps.
const MAX_GRACE_SECONDS: i64 = i32::MAX as i64;

/// Set `deletionTimestamp`/`deletionGracePeriodSeconds` and the finalizers on `obj`, as
/// upstream's `BeforeDelete`: the first delete starts the clock (and counts as a new
/// generation for kinds that track one); a later delete may only *shorten* the grace period.
fn mark_for_deletion(
    res: &crate::resources::Resource,
    obj: &mut Value,
    grace: i64,
    finalizers: &[String],
) {
    let already = !meta::meta_str(obj, "deletionTimestamp").is_empty();
    let current = meta::metadata(obj)
        .and_then(|m| m.get("deletionGracePeriodSeconds"))
        .and_then(Value::as_i64);
    let generation = meta::metadata(obj)
        .and_then(|m| m.get("generation"))
        .and_then(Value::as_i64);
    let m = meta::metadata_mut(obj);
    if !already || current.is_some_and(|c| grace < c) {
        let at = chrono::Utc::now() + chrono::Duration::seconds(grace);
        m.insert(
            "deletionTimestamp".into(),
            json!(at.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        );
        m.insert("deletionGracePeriodSeconds".into(), json!(grace));
    }
    if !already && res.strategy.tracks_generation() {
        m.insert("generation".into(), json!(generation.unwrap_or(0) + 1));
    }
    if finalizers.is_empty() {
        m.remove("finalizers");
    } else {
        m.insert("finalizers".into(), json!(finalizers));
    }
}

/// Whether `DELETE` on the collection is served. Upstream's namespace storage offers no
/// deletecollection ("delete every namespace" is one request too easy to send), so a
/// `DELETE /api/v1/namespaces` is a 405 and discovery does not list the verb.
pub fn serves_delete_collection(res: &crate::resources::Resource) -> bool {
    !super::namespaces::is_namespaces(res)
}

/// The finalizers an object being deleted should carry, given those it has and the
/// `propagationPolicy` asked for: `Orphan` means "orphan", `Foreground` means
/// "foregroundDeletion", `Background` means neither, and no policy keeps what is there. The
/// two are exclusive: asking for one drops the other. Upstream:
/// `deletionFinalizersForGarbageCollection` in `store.go`.
pub(super) fn gc_finalizers(current: &[String], policy: Option<&str>) -> Vec<String> {
    let wanted = match policy {
        None => return current.to_vec(),
        Some("Orphan") => Some("orphan"),
        Some("Foreground") => Some("foregroundDeletion"),
        Some(_) => None,
    };
    let mut finalizers: Vec<String> = current
        .iter()
        .filter(|f| *f != "orphan" && *f != "foregroundDeletion")
        .cloned()
        .collect();
    finalizers.extend(wanted.map(str::to_string));
    // The same set as before: keep the object's own order, so that nothing looks changed.
    let set = |list: &[String]| {
        list.iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    if set(&finalizers) == set(current) {
        current.to_vec()
    } else {
        finalizers
    }
}

pub(super) fn check_preconditions(
    res: &crate::resources::Resource,
    name: &str,
    obj: &Value,
    opts: &DeleteOptions,
) -> Result<(), ApiError> {
    if let Some(uid) = &opts.precondition_uid {
        if uid != meta::uid(obj) {
            return Err(ApiError::conflict(
                res.group,
                res.plural,
                name,
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    meta::uid(obj)
                ),
            ));
        }
    }
    if let Some(rv) = &opts.precondition_rv {
        if rv != meta::resource_version(obj) {
            return Err(ApiError::conflict(
                res.group,
                res.plural,
                name,
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    meta::resource_version(obj)
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::gc_finalizers;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_propagation_policy_picks_one_garbage_collector_finalizer() {
        let mine = list(&["example.com/x"]);
        assert_eq!(
            gc_finalizers(&mine, Some("Orphan")),
            list(&["example.com/x", "orphan"])
        );
        assert_eq!(
            gc_finalizers(&list(&["orphan", "example.com/x"]), Some("Foreground")),
            list(&["example.com/x", "foregroundDeletion"]),
            "foreground replaces orphan"
        );
        assert_eq!(
            gc_finalizers(&list(&["foregroundDeletion", "orphan"]), Some("Background")),
            list(&[])
        );
    }

    #[test]
    fn no_policy_or_the_same_policy_again_changes_nothing() {
        let held = list(&["orphan", "example.com/x"]);
        assert_eq!(gc_finalizers(&held, None), held);
        assert_eq!(gc_finalizers(&held, Some("Orphan")), held, "order kept");
    }
}
