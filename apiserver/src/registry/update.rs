//! Update: `PUT .../pods/web`, `PUT .../pods/web/status`, and `PATCH`.
//!
//! Every change to an existing object goes through [`Registry::guaranteed_update`]: read the
//! object, compute the new one, write it *only if nobody wrote in between* (a storage write
//! guarded by the revision we read). If somebody did, either give up with 409 Conflict (the
//! client named the resourceVersion it based its change on) or read again and recompute (it
//! did not, e.g. a patch). Upstream: `storage/etcd3/store.go` `GuaranteedUpdate` and
//! `rest/update.go` `BeforeUpdate`.

use super::apply::Tracking;
use super::{check_kind, decode_typed, encode, set_rv, storage_error, validation, Registry};
use crate::resources::{Resource, Subresource};
use crate::storage::StorageError;
use machinery::{meta, ApiError, StatusCause};
use serde_json::Value;

/// Which part of the object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main endpoint: everything but `.status` (for kinds with a status subresource).
    Main,
    /// The `/status` subresource: only `.status`.
    Status,
    /// Spec and status in one write. Not reachable by clients: the registry uses it where
    /// upstream changes both at once (a binding sets `spec.nodeName` and a condition).
    Whole,
}

/// Metadata the server owns: a client cannot change these by writing the object.
const SYSTEM_FIELDS: &[&str] = &[
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "namespace",
    "name",
    "selfLink",
];

impl Registry {
    /// `PUT`: replace the object. A `metadata.resourceVersion` in the body makes the write
    /// conditional on it; without one the update is unconditional, as upstream allows.
    pub async fn update(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        obj: Value,
        part: Part,
    ) -> Result<Value, ApiError> {
        self.update_tracked(res, ns, name, obj, part, Tracking::None)
            .await
    }

    /// [`Registry::update`] recording, with `Tracking::Update`, what the writer changed in
    /// `metadata.managedFields`.
    pub async fn update_tracked(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        mut obj: Value,
        part: Part,
        tracking: Tracking<'_>,
    ) -> Result<Value, ApiError> {
        check_kind(res, &mut obj)?;
        super::create::set_namespace(res, ns, &mut obj)?;
        let body_name = meta::name(&obj);
        if body_name != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({body_name}) does not match the name on the URL ({name})"
            )));
        }
        let precondition = parse_rv(meta::resource_version(&obj))?;
        let obj = decode_typed(res, obj)?;
        self.guaranteed_update_tracked(res, ns, name, precondition, part, tracking, |_| {
            Ok(obj.clone())
        })
        .await
    }

    /// The read-compute-guarded-write loop. `compute` gets the current object and returns the
    /// desired one; the registry then restores server-owned fields, checks, and writes.
    /// Records no ownership (see [`Registry::guaranteed_update_tracked`]).
    pub async fn guaranteed_update<F>(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        precondition: Option<i64>,
        part: Part,
        compute: F,
    ) -> Result<Value, ApiError>
    where
        F: Fn(&Value) -> Result<Value, ApiError>,
    {
        self.guaranteed_update_tracked(res, ns, name, precondition, part, Tracking::None, compute)
            .await
    }

    /// [`Registry::guaranteed_update`] that, with `Tracking::Update`, records the writer's
    /// ownership of what it changed, once the object it will store is known.
    #[allow(clippy::too_many_arguments)]
    pub async fn guaranteed_update_tracked<F>(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        precondition: Option<i64>,
        part: Part,
        tracking: Tracking<'_>,
        compute: F,
    ) -> Result<Value, ApiError>
    where
        F: Fn(&Value) -> Result<Value, ApiError>,
    {
        let key = res.key(ns, name);
        loop {
            let (mut old, kv) = self.get_kv(res, ns, name).await?;
            // Upstream defaults what it reads from storage too, so an object stored before a
            // default existed does not look "changed" by it.
            res.strategy.default(&mut old);
            if precondition.is_some_and(|p| p != kv.mod_revision) {
                return Err(ApiError::stale(res.group, res.plural, name));
            }
            let mut new = compute(&old)?;
            let applied_managed = match tracking {
                Tracking::Apply => {
                    meta::metadata(&new).and_then(|m| m.get("managedFields").cloned())
                }
                _ => None,
            };
            if res.group.is_empty() && res.kind == "Service" && part != Part::Status {
                super::services::carry_over(&old, &mut new)?;
            }
            res.strategy.default(&mut new);
            prepare_for_update(res, &old, &mut new, part)?;
            // After the server restored what the client may not change, so the writer owns
            // only what really changes. A write that changes nothing leaves managedFields
            // (and their times) alone, and is then no write at all.
            match tracking {
                Tracking::Update(fm) => fm.update(Some(&old), &mut new),
                Tracking::Apply => meta::set_meta(&mut new, "managedFields", applied_managed),
                Tracking::None => {}
            }
            if new == old {
                // Nothing changed: no write, no new resourceVersion, no watch event.
                return Ok(old);
            }
            // An object being deleted whose last finalizer was just removed is gone.
            // A namespace is also held by its `spec.finalizers` (see registry/namespaces.rs).
            let held_by_spec = super::namespaces::is_namespaces(res)
                && !super::namespaces::spec_finalizers(&new).is_empty();
            let finished = !meta::meta_str(&new, "deletionTimestamp").is_empty()
                && meta::finalizers(&new).is_empty()
                && !held_by_spec
                && meta::metadata(&new)
                    .and_then(|m| m.get("deletionGracePeriodSeconds"))
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    == 0;
            let written = if finished {
                self.storage.delete(&key, kv.mod_revision).await
            } else {
                self.storage
                    .update(&key, encode(&new), kv.mod_revision)
                    .await
            };
            match written {
                Ok(rev) => {
                    if finished && res.kind == "Service" {
                        self.release(&Registry::service_claims(&new)).await;
                    }
                    set_rv(&mut new, rev);
                    return Ok(new);
                }
                // Someone wrote in between and the client did not pin a version: try again.
                Err(StorageError::Conflict { .. }) if precondition.is_none() => continue,
                Err(StorageError::NotFound(_)) if precondition.is_none() => continue,
                Err(e) => return Err(storage_error(res, name, e)),
            }
        }
    }
}

/// Parse a resourceVersion from a body or query ("" = none).
pub fn parse_rv(rv: &str) -> Result<Option<i64>, ApiError> {
    if rv.is_empty() {
        return Ok(None);
    }
    rv.parse::<i64>().map(Some).map_err(|_| {
        ApiError::bad_request(format!(
            "invalid resource version {rv:?}: it must be a number"
        ))
    })
}

/// Restore what the client may not change, bump the generation, and validate.
fn prepare_for_update(
    res: &Resource,
    old: &Value,
    new: &mut Value,
    part: Part,
) -> Result<(), ApiError> {
    if part == Part::Status {
        // `/status` changes the status and nothing else.
        let status = new.get("status").cloned();
        *new = old.clone();
        match status {
            Some(s) => new["status"] = s,
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
        return Ok(());
    }
    let old_meta = meta::metadata(old).cloned().unwrap_or_default();
    {
        let m = meta::metadata_mut(new);
        for field in SYSTEM_FIELDS {
            match old_meta.get(*field) {
                Some(v) => m.insert((*field).to_string(), v.clone()),
                None => m.remove(*field),
            };
        }
        m.insert(
            "resourceVersion".into(),
            old_meta.get("resourceVersion").cloned().unwrap_or_default(),
        );
    }
    if res.has(Subresource::Status) && part == Part::Main {
        // The main endpoint ignores status: it belongs to controllers, via `/status`.
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
    }
    if part == Part::Main {
        res.strategy.prepare_for_update(new, old);
    }
    if res.strategy.tracks_generation() && spec_of(old) != spec_of(new) {
        let generation = old_meta
            .get("generation")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        meta::set_meta(new, "generation", Some((generation + 1).into()));
    }

    let mut causes = validation::validate_meta(new, res.strategy.name_is_label());
    causes.extend(res.strategy.validate(new));
    causes.extend(res.strategy.validate_update(new, old));
    let being_deleted = old_meta.contains_key("deletionTimestamp");
    let old_finalizers = meta::finalizers(old);
    let added: Vec<String> = meta::finalizers(new)
        .into_iter()
        .filter(|f| !old_finalizers.contains(f))
        .collect();
    if being_deleted && !added.is_empty() {
        causes.push(StatusCause {
            reason: "FieldValueForbidden".into(),
            message: format!(
                "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {added:?}"
            ),
            field: "metadata.finalizers".into(),
        });
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid(
            res.group,
            res.kind,
            meta::name(new),
            causes,
        ));
    }
    Ok(())
}

/// Everything except `metadata` and `status`: what a change to "the spec" means.
fn spec_of(obj: &Value) -> Value {
    let mut spec = obj.clone();
    if let Some(m) = spec.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    spec
}
