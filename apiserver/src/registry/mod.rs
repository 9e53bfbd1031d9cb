//! The registry: the one create/get/update/delete/list flow every kind goes through.
//!
//! HTTP handlers decode a request and call the registry; the registry applies Kubernetes'
//! rules about metadata (uid, generation, resourceVersion, deletion and finalizers), asks the
//! kind's [`strategy::Strategy`] for anything special, and turns each change into one guarded
//! storage write. Upstream: `k8s.io/apiserver/pkg/registry/generic/registry/store.go` and
//! `k8s.io/apiserver/pkg/registry/rest/{create,update,delete}.go`.
//!
//! Objects travel as `serde_json::Value`. They are stored *without* `metadata.resourceVersion`
//! (the storage revision is the version) and get it stamped back on every read.

pub mod apply;
pub mod create;
pub mod delete;
pub mod dry_run;
pub mod events_ttl;
pub mod field_validation;
pub mod list;
pub mod namespace_lifecycle;
pub mod namespaces;
pub mod patch;
pub mod services;
pub mod strategic;
pub mod strategy;
pub mod subresources;
pub mod update;
pub mod validation;

use crate::resources::{Resource, RESOURCES};
use crate::storage::{KeyValue, Storage, StorageError};
use crate::watch_cache::{self, WatchCache};
use machinery::ApiError;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The registry: storage plus one watch cache per resource.
pub struct Registry {
    pub storage: Arc<dyn Storage>,
    caches: HashMap<(&'static str, &'static str), Arc<WatchCache>>,
    /// Where Services get their ClusterIPs and NodePorts.
    pub service_ranges: services::ServiceRanges,
}

impl Registry {
    /// Build the registry and start a watch cache for every served resource.
    pub fn new(storage: Arc<dyn Storage>, window: usize) -> Arc<Self> {
        Self::with_service_ranges(storage, window, services::ServiceRanges::default())
    }

    /// [`Registry::new`] with a service CIDR other than the default `10.96.0.0/12`.
    pub fn with_service_ranges(
        storage: Arc<dyn Storage>,
        window: usize,
        service_ranges: services::ServiceRanges,
    ) -> Arc<Self> {
        let caches = RESOURCES
            .iter()
            .map(|r| {
                (
                    (r.group, r.plural),
                    WatchCache::start(r, storage.clone(), window),
                )
            })
            .collect();
        Arc::new(Registry {
            storage,
            caches,
            service_ranges,
        })
    }

    /// The watch cache of `res`.
    pub fn cache(&self, res: &Resource) -> &Arc<WatchCache> {
        // Every resource in RESOURCES got a cache in `new`.
        &self.caches[&(res.group, res.plural)]
    }

    /// Read one object straight from storage.
    pub async fn get(&self, res: &Resource, ns: &str, name: &str) -> Result<Value, ApiError> {
        let (obj, _) = self.get_kv(res, ns, name).await?;
        Ok(obj)
    }

    /// Read one object and its mod revision.
    pub(crate) async fn get_kv(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
    ) -> Result<(Value, KeyValue), ApiError> {
        let kv = self
            .storage
            .get(&res.key(ns, name))
            .await
            .map_err(|e| storage_error(res, name, e))?
            .ok_or_else(|| ApiError::not_found(res.group, res.plural, name))?;
        let obj = watch_cache::decode(&kv.value, kv.mod_revision).ok_or_else(|| {
            ApiError::internal(format!("stored object {} is not valid JSON", kv.key))
        })?;
        Ok((obj, kv))
    }

    /// Create what every cluster starts with, if missing: the namespaces `default`,
    /// `kube-system`, `kube-public` and `kube-node-lease`, and the `kubernetes` Service.
    pub async fn bootstrap(&self) -> Result<(), ApiError> {
        let ns = crate::resources::namespaces();
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let obj = serde_json::json!({"metadata": {"name": name}});
            match self.create(ns, "", obj).await {
                Ok(_) => {}
                Err(e) if e.reason == "AlreadyExists" => {}
                Err(e) => return Err(e),
            }
        }
        self.bootstrap_kubernetes_service().await?;
        Ok(())
    }
}

/// Encode an object for storage: JSON without `metadata.resourceVersion`.
pub(crate) fn encode(obj: &Value) -> Vec<u8> {
    let mut obj = obj.clone();
    machinery::meta::set_meta(&mut obj, "resourceVersion", None);
    serde_json::to_vec(&obj).unwrap_or_default()
}

/// Stamp `metadata.resourceVersion`. A dry-run create was never stored and has no revision
/// ([`crate::storage::dry_run::NOT_STORED`]): its answer carries no resourceVersion.
pub(crate) fn set_rv(obj: &mut Value, rv: i64) {
    let version = (rv != crate::storage::dry_run::NOT_STORED).then(|| rv.to_string().into());
    machinery::meta::set_meta(obj, "resourceVersion", version);
}

/// Tell the client what a storage failure means for it.
pub fn storage_error(res: &Resource, name: &str, err: StorageError) -> ApiError {
    match err {
        StorageError::AlreadyExists(_) => ApiError::already_exists(res.group, res.plural, name),
        StorageError::NotFound(_) => ApiError::not_found(res.group, res.plural, name),
        StorageError::Conflict { .. } => ApiError::stale(res.group, res.plural, name),
        StorageError::Compacted { .. } => {
            ApiError::expired("The resourceVersion for the provided list is too old.")
        }
        StorageError::FutureRevision(rv) => {
            ApiError::timeout(format!("Too large resource version: {rv}"))
        }
        StorageError::Unavailable(msg) => {
            ApiError::service_unavailable(format!("storage is unavailable: {msg}"))
        }
        StorageError::Timeout(msg) => ApiError::timeout(format!("storage timed out: {msg}")),
    }
}

/// Check `apiVersion`/`kind` in a request body against the URL's resource, filling them in
/// when absent (upstream decodes with the URL's kind as the default).
pub fn check_kind(res: &Resource, obj: &mut Value) -> Result<(), ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(format!(
            "the body of the request must be a JSON object describing a {}",
            res.kind
        )));
    }
    let expected_version = res.api_version();
    let version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !kind.is_empty() && kind != res.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the body ({kind}) does not match the kind served at this URL ({})",
            res.kind
        )));
    }
    if !version.is_empty() && version != expected_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({version}) does not match the expected API version ({expected_version})"
        )));
    }
    obj["apiVersion"] = Value::String(expected_version);
    obj["kind"] = Value::String(res.kind.to_string());
    Ok(())
}

/// Decode through the typed struct (wrong field types are a 400, as upstream).
pub fn decode_typed(res: &Resource, obj: Value) -> Result<Value, ApiError> {
    (res.decode)(obj).map_err(|e| {
        ApiError::bad_request(format!(
            "{} in version {:?} cannot be handled as a {}: {e}",
            res.kind, res.version, res.kind
        ))
    })
}
