//! Create: `POST /api/v1/namespaces/default/pods`. Upstream: `rest/create.go` (BeforeCreate)
//! and `generic/registry/store.go` (Create).

use super::apply::Tracking;
use super::{check_kind, decode_typed, encode, set_rv, storage_error, validation, Registry};
use crate::resources::{Resource, Subresource};
use machinery::{meta, ApiError};
use rand::Rng;
use serde_json::{json, Value};

/// Characters upstream uses for generated name suffixes (no vowels: no accidental words).
const SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Registry {
    /// Create `obj` in namespace `ns` (ignored for cluster-scoped kinds). Returns the object as
    /// stored, with uid, creationTimestamp, resourceVersion (and generation) set. Records no
    /// ownership: for the server's own objects (see [`Registry::create_tracked`]).
    pub async fn create(&self, res: &Resource, ns: &str, obj: Value) -> Result<Value, ApiError> {
        self.create_tracked(res, ns, obj, Tracking::None).await
    }

    /// [`Registry::create`] for a client's create: with `Tracking::Update`, the creator owns
    /// every field it set, recorded in `metadata.managedFields` (see `apply/`).
    pub async fn create_tracked(
        &self,
        res: &Resource,
        ns: &str,
        mut obj: Value,
        tracking: Tracking<'_>,
    ) -> Result<Value, ApiError> {
        check_kind(res, &mut obj)?;
        set_namespace(res, ns, &mut obj)?;
        if !meta::resource_version(&obj).is_empty() {
            return Err(ApiError::bad_request(
                "resourceVersion should not be set on objects to be created",
            ));
        }
        generate_name(&mut obj);
        let mut obj = decode_typed(res, obj)?;
        res.strategy.default(&mut obj);

        // Fields the server owns, whatever the client sent.
        if res.has(Subresource::Status) && !res.strategy.keeps_status_on_create() {
            if let Some(map) = obj.as_object_mut() {
                map.remove("status");
            }
        }
        // Ownership is computed from what the client sent (with defaults), before the
        // strategy fills in what the server owns, as upstream runs its field manager before
        // `BeforeCreate`.
        if let Tracking::Update(fm) = tracking {
            fm.update(None, &mut obj);
        }
        res.strategy.prepare_for_create(&mut obj);
        let m = meta::metadata_mut(&mut obj);
        m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        m.insert("creationTimestamp".into(), json!(meta::now_rfc3339()));
        for owned in [
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
            "generation",
        ] {
            m.remove(owned);
        }
        if res.strategy.tracks_generation() {
            m.insert("generation".into(), json!(1));
        }

        let mut causes = validation::validate_meta(&obj, res.strategy.name_is_label());
        causes.extend(res.strategy.validate(&obj));
        let name = meta::name(&obj).to_string();
        if !causes.is_empty() {
            return Err(ApiError::invalid(res.group, res.kind, &name, causes));
        }
        if res.namespaced {
            self.require_namespace(res, ns, &name).await?;
        }

        // Services get their ClusterIP and NodePorts now (see services.rs).
        let claimed = if res.group.is_empty() && res.kind == "Service" {
            self.allocate_service(&mut obj).await?
        } else {
            Vec::new()
        };
        let key = res.key(meta::namespace(&obj), &name);
        let rev = match self.storage.create(&key, encode(&obj)).await {
            Ok(rev) => rev,
            Err(e) => {
                self.release(&claimed).await;
                return Err(storage_error(res, &name, e));
            }
        };
        set_rv(&mut obj, rev);
        Ok(obj)
    }
}

/// Take the namespace from the URL; a different one in the body is an error.
pub(crate) fn set_namespace(res: &Resource, ns: &str, obj: &mut Value) -> Result<(), ApiError> {
    if !res.namespaced {
        meta::set_meta(obj, "namespace", None);
        return Ok(());
    }
    let body_ns = meta::namespace(obj);
    if !body_ns.is_empty() && body_ns != ns {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    meta::set_meta(obj, "namespace", Some(json!(ns)));
    Ok(())
}

/// `generateName: web-` becomes `name: web-x7k2q`.
fn generate_name(obj: &mut Value) {
    let prefix = meta::meta_str(obj, "generateName").to_string();
    if meta::name(obj).is_empty() && !prefix.is_empty() {
        let mut rng = rand::thread_rng();
        let suffix: String = (0..5)
            .map(|_| SUFFIX_ALPHABET[rng.gen_range(0..SUFFIX_ALPHABET.len())] as char)
            .collect();
        meta::set_meta(obj, "name", Some(json!(format!("{prefix}{suffix}"))));
    }
}
