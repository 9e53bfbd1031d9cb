//! Server-side apply and `managedFields`: who owns which field of an object.
//!
//! Every write a client makes records, in `metadata.managedFields`, the fields that writer
//! set. That record is what makes **server-side apply** possible: a client sends the fields it
//! cares about (`PATCH`, `Content-Type: application/apply-patch+yaml`, `?fieldManager=me`) and
//! the server
//!
//! 1. merges them into the live object ([`merge`]),
//! 2. removes the fields this manager applied last time and no longer sends, unless someone
//!    else owns them ([`merge::prune`]),
//! 3. refuses with 409 if that changes a field another manager owns ([`conflicts`]), unless
//!    `force=true`, which takes the field over. Setting a field to the value it already has
//!    is no conflict: the two managers then share it.
//!
//! Reading order: [`path`] and [`fieldset`] (how ownership is written down), [`schema`] (how
//! lists and maps merge), [`walk`] (which fields an object sets), [`compare`] (what changed
//! between two versions), [`merge`], [`managed`] (the `managedFields` entries), `updater.rs`
//! (who loses what when someone writes), [`conflicts`], then [`FieldManager`] below, which
//! puts them together for updates and applies. `write.rs` is the registry's apply (update, or
//! create), and [`options`] reads `fieldManager`, `force` and `fieldValidation`.
//!
//! The registry calls in through [`Tracking`]: `Registry::create_tracked`,
//! `update_tracked`, `patch_tracked` and `guaranteed_update_tracked` give the object they are
//! about to store to [`FieldManager::update`] once the server has restored what clients may
//! not change; `Registry::apply_patch` runs [`FieldManager::apply`] inside the update loop.
//!
//! Upstream: the managers chained in `k8s.io/apimachinery/pkg/util/managedfields/internal/`
//! (`fieldmanager.go` builds the chain: `versioncheck`, `lastappliedupdater`,
//! `lastappliedmanager`, `skipnonapplied`, `capmanagers`, `buildmanagerinfo`,
//! `managedfieldsupdater`, `stripmeta`, `structuredmerge`), and
//! `sigs.k8s.io/structured-merge-diff/v4/merge/update.go` (`Updater.Apply`/`Update`).
//!
//! Where we simplify: one version per kind (no conversion of field sets between versions);
//! list and map types come from a table instead of the OpenAPI schema (see [`schema`]).

pub mod compare;
pub mod conflicts;
pub mod fieldset;
pub mod managed;
pub mod merge;
pub mod options;
pub mod path;
pub mod schema;
mod updater;
pub mod walk;
mod write;

use crate::resources::{Resource, Subresource};
use conflicts::{conflict_error, Conflict};
use fieldset::{field_path, FieldSet};
use machinery::{meta, ApiError};
use managed::{Managed, ManagerId, Operation, Owned};
use serde_json::{json, Value};
use updater::{record_update, strip, take_from_others};

/// The annotation client-side `kubectl apply` keeps its last configuration in.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Which endpoint a write came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The object itself.
    Main,
    /// `/status`.
    Status,
    /// `/scale` (only `spec.replicas` of the parent is written).
    Scale,
}

/// The part of an object a write through an endpoint can own. Upstream: each strategy's
/// `GetResetFields` (what the strategy resets, hence what nobody writing there may own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    Whole,
    /// Everything but `status` (the main endpoint of a kind with a status subresource).
    AllButStatus,
    /// Only this field and what is below it.
    Only(&'static [&'static str]),
}

impl Scope {
    /// `set` without what this scope cannot own.
    pub fn filter(self, set: &FieldSet) -> FieldSet {
        match self {
            Scope::Whole => set.clone(),
            Scope::AllButStatus => set.without_subtree(&field_path(&["status"])),
            Scope::Only(path) => set.only_subtree(&field_path(path)),
        }
    }
}

/// Whether and how a registry write records ownership.
#[derive(Clone, Copy)]
pub enum Tracking<'a> {
    /// Internal writes (bindings, deletion marks): `managedFields` is left as the write
    /// computed it.
    None,
    /// A client's create, update or patch: its writer owns what it changed.
    Update(&'a FieldManager),
    /// A server-side apply, whose computed object already carries its new `managedFields`:
    /// they are kept even through `/status`, which otherwise keeps only `status` of what the
    /// write computed.
    Apply,
}

/// Records ownership for one writer through one endpoint of one resource.
pub struct FieldManager {
    /// The resource written.
    pub res: &'static Resource,
    /// The manager's name (see [`options::WriteOptions::manager`]).
    pub manager: String,
    /// `status` or `scale`, or empty for the main endpoint.
    pub subresource: &'static str,
    /// What this endpoint can own.
    pub scope: Scope,
}

impl FieldManager {
    /// The field manager of `manager` writing `res` through `endpoint`.
    pub fn new(res: &'static Resource, manager: &str, endpoint: Endpoint) -> FieldManager {
        let (subresource, scope) = match endpoint {
            Endpoint::Main if res.has(Subresource::Status) => ("", Scope::AllButStatus),
            Endpoint::Main => ("", Scope::Whole),
            Endpoint::Status => ("status", Scope::Only(&["status"])),
            Endpoint::Scale => ("scale", Scope::Only(&["spec", "replicas"])),
        };
        FieldManager {
            res,
            manager: manager.to_string(),
            subresource,
            scope,
        }
    }

    fn api_version(&self) -> String {
        self.res.api_version()
    }

    fn id(&self, manager: &str, operation: Operation) -> ManagerId {
        ManagerId::new(manager, operation, &self.api_version(), self.subresource)
    }

    /// A create (`live` is `None`), update or patch is about to store `new`: give `new` its
    /// `managedFields`, with the writer owning what it added or changed (upstream
    /// `FieldManager.Update`).
    ///
    /// The starting point is the `managedFields` the client sent, so that a client can edit
    /// them; a client that sent none (or broken ones) keeps the live object's, and an empty
    /// list (or `[{}]`) clears them. Writes through a subresource always start from the live
    /// object's. An existing object nobody owns anything of stays untracked until someone
    /// applies to it (upstream `skipnonapplied.go`).
    pub fn update(&self, live: Option<&Value>, new: &mut Value) {
        let live_managed = || live.and_then(|l| Managed::of(l).ok()).unwrap_or_default();
        let mut managed = if !self.subresource.is_empty() {
            live_managed()
        } else if managed::is_reset(new) {
            Managed::default()
        } else {
            match Managed::of(new) {
                Ok(m) if !m.is_empty() => m,
                _ => live_managed(),
            }
        };
        meta::set_meta(new, "managedFields", None);
        if managed.is_empty() && live.is_some() {
            return;
        }
        let old = match live {
            Some(live) => without_managed(live),
            None => compare::skeleton(new),
        };
        let cmp = compare::compare(&old, new).filter(|s| self.scope.filter(s));
        record_update(
            &mut managed,
            &cmp,
            &self.id(&self.manager, Operation::Update),
            &self.api_version(),
        );
        managed.cap_update_managers();
        managed.write_to(new);
    }

    /// Server-side apply `config` to `live` (`None`: the object does not exist yet, and the
    /// result will be created). Returns the object to store, carrying its new
    /// `managedFields`, or 400 (a configuration that does not fit the kind) or 409 (conflicts).
    pub fn apply(
        &self,
        live: Option<&Value>,
        config: &Value,
        force: bool,
    ) -> Result<Value, ApiError> {
        self.check_config(config)?;
        let config_set = walk::field_set(config).map_err(|e| self.typed_error(config, &e))?;
        let live_obj = live.map_or_else(|| json!({}), without_managed);
        let merged = merge::merge(&live_obj, config).map_err(|e| self.typed_error(config, &e))?;
        let merged = self.decode_strictly(config, merged)?;
        let mut managed = live.and_then(|l| Managed::of(l).ok()).unwrap_or_default();
        if managed.is_empty() && live.is_some() {
            // The first apply to an untracked object: what is there already gets an owner,
            // so that the applier does not silently take it over.
            let cmp = compare::compare(&compare::skeleton(&live_obj), &live_obj)
                .filter(|s| self.scope.filter(s));
            let before = self.id("before-first-apply", Operation::Update);
            record_update(&mut managed, &cmp, &before, &self.api_version());
        }
        let attempt =
            |force: bool| self.apply_once(&live_obj, &merged, &config_set, managed.clone(), force);
        let (mut new, managed) = match attempt(force) {
            // Moving from client-side to server-side apply: `kubectl` may take over, without
            // conflict, fields it set itself with client-side apply (upstream
            // `lastappliedmanager.go`).
            Err(found) if self.manager == "kubectl" => {
                let allowed = self.allowed_by_last_applied(&live_obj).unwrap_or_default();
                let left: Vec<Conflict> = found
                    .iter()
                    .filter(|c| !allowed.contains(&c.path))
                    .cloned()
                    .collect();
                if !left.is_empty() {
                    return Err(conflict_error(&left));
                }
                attempt(true).map_err(|c| conflict_error(&c))?
            }
            other => other.map_err(|c| conflict_error(&c))?,
        };
        self.update_last_applied(&mut new, config);
        managed.write_to(&mut new);
        Ok(new)
    }

    /// One attempt at an apply (upstream `Updater.Apply`): prune what the applier dropped
    /// from `merged` (the live object with the configuration merged in), then find the fields
    /// taken from other managers. `Err` lists the conflicts.
    fn apply_once(
        &self,
        live: &Value,
        merged: &Value,
        config_set: &FieldSet,
        mut managed: Managed,
        force: bool,
    ) -> Result<(Value, Managed), Vec<Conflict>> {
        let id = self.id(&self.manager, Operation::Apply);
        let previous = managed.owners.remove(&id);
        let applied = Owned {
            fields: self.scope.filter(config_set),
            api_version: self.api_version(),
            time: previous.as_ref().and_then(|p| p.time.clone()),
        };
        managed.owners.insert(id.clone(), applied);
        let new = match &previous {
            Some(last) => merge::prune(merged, &last.fields, &managed.all_fields()),
            None => merged.clone(),
        };
        let cmp = compare::compare(live, &new).filter(|s| self.scope.filter(s));
        take_from_others(&mut managed, &cmp, Some(&id), force)?;
        // The time says when this manager last *changed* the object.
        let changed = !strip(&cmp.changed().union(&cmp.removed)).is_empty();
        if let Some(mine) = managed.owners.get_mut(&id) {
            mine.fields = strip(&mine.fields);
            if changed {
                mine.time = Some(meta::now_rfc3339());
            }
            if mine.fields.is_empty() {
                managed.owners.remove(&id);
            }
        }
        Ok((new, managed))
    }

    /// `merged` through the kind's type. Upstream converts the configuration to its typed
    /// form first and fails on any field the schema lacks, whatever `fieldValidation` says;
    /// we find such fields by what the typed decode drops.
    fn decode_strictly(&self, config: &Value, merged: Value) -> Result<Value, ApiError> {
        let mut typed = merged.clone();
        super::check_kind(self.res, &mut typed)?;
        let decoded = super::decode_typed(self.res, typed)?;
        let unknown: Vec<String> = walk::unknown_fields(&merged, &decoded)
            .iter()
            .map(|p| format!("{p}: field not declared in schema"))
            .collect();
        match unknown.as_slice() {
            [] => Ok(decoded),
            [one] => Err(self.typed_error(config, one)),
            many => Err(self.typed_error(config, &format!("errors:\n  {}", many.join("\n  ")))),
        }
    }

    /// What an apply configuration must be before anything is merged.
    fn check_config(&self, config: &Value) -> Result<(), ApiError> {
        if !config.is_object() {
            return Err(ApiError::bad_request(
                "error decoding YAML: an apply patch must be an object",
            ));
        }
        let text = |f: &str| config.get(f).and_then(Value::as_str).unwrap_or("");
        if text("apiVersion") != self.api_version() || text("kind") != self.res.kind {
            // Upstream `versioncheck.go`: the applied object must be of the URL's kind.
            return Err(ApiError::bad_request(format!(
                "invalid object type: {}",
                gvk(text("apiVersion"), text("kind"))
            )));
        }
        if config
            .pointer("/metadata/managedFields")
            .is_some_and(|m| !m.is_null())
        {
            return Err(ApiError::bad_request("metadata.managedFields must be nil"));
        }
        Ok(())
    }

    /// The 400 for a configuration that does not fit the kind. Upstream answers 500 with
    /// this message; a bad request is the client's fault, so we say 400.
    fn typed_error(&self, config: &Value, why: &str) -> ApiError {
        ApiError::bad_request(format!(
            "failed to create typed patch object ({}/{}; {}): {why}",
            meta::namespace(config),
            meta::name(config),
            gvk(&self.api_version(), self.res.kind)
        ))
    }

    /// The fields `kubectl` set with client-side apply and that still hold the value it set:
    /// its last-applied annotation, minus what changed since (upstream
    /// `allowedConflictsFromLastApplied`).
    fn allowed_by_last_applied(&self, live: &Value) -> Option<FieldSet> {
        let text = meta::annotations(live).remove(LAST_APPLIED)?;
        let last: Value = serde_json::from_str(&text).ok()?;
        if last.get("apiVersion").and_then(Value::as_str) != Some(&self.api_version()) {
            return None;
        }
        let set = walk::field_set(&last).ok()?;
        let cmp = compare::compare(&last, live);
        Some(
            set.difference(&cmp.modified)
                .difference(&cmp.added)
                .difference(&cmp.removed),
        )
    }

    /// `kubectl` applying server-side to an object that still has a client-side
    /// last-applied annotation keeps that annotation current, so that going back to
    /// client-side apply works (upstream `lastappliedupdater.go`).
    fn update_last_applied(&self, new: &mut Value, config: &Value) {
        if self.manager != "kubectl"
            || meta::annotations(new)
                .get(LAST_APPLIED)
                .is_none_or(String::is_empty)
        {
            return;
        }
        let mut applied = config.clone();
        if let Some(Value::Object(notes)) = applied.pointer_mut("/metadata/annotations") {
            notes.remove(LAST_APPLIED);
        }
        if let Some(Value::Object(notes)) = new.pointer_mut("/metadata/annotations") {
            notes.insert(LAST_APPLIED.into(), Value::String(applied.to_string()));
        }
    }
}

/// `apps/v1, Kind=Deployment`, `/v1, Kind=Pod`: a GroupVersionKind as Go prints it.
fn gvk(api_version: &str, kind: &str) -> String {
    let gv = if api_version.contains('/') {
        api_version.to_string()
    } else {
        format!("/{api_version}")
    };
    format!("{gv}, Kind={kind}")
}

/// `obj` without `metadata.managedFields`.
fn without_managed(obj: &Value) -> Value {
    let mut out = obj.clone();
    meta::set_meta(&mut out, "managedFields", None);
    out
}

#[cfg(test)]
mod tests;
