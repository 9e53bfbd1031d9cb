//! Namespace lifecycle: which namespaces may receive new objects. Upstream: the
//! `NamespaceLifecycle` admission plugin,
//! `staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle/admission.go`.

use super::{storage_error, Registry};
use machinery::ApiError;

impl Registry {
    /// Objects can only be created in a namespace that exists.
    pub(crate) async fn require_namespace(&self, ns: &str) -> Result<(), ApiError> {
        let namespaces = crate::resources::namespaces();
        let key = namespaces.key("", ns);
        // Usually the namespaces watch cache knows it (no etcd read per create). A namespace
        // created a moment ago may not have reached the cache yet, so a miss asks storage:
        // upstream's NamespaceLifecycle admission does the same "live lookup".
        if self.cache(namespaces).get(&key).is_some() {
            return Ok(());
        }
        let found = self
            .storage
            .get(&key)
            .await
            .map_err(|e| storage_error(crate::resources::namespaces(), ns, e))?;
        match found {
            Some(_) => Ok(()),
            None => Err(ApiError::not_found("", "namespaces", ns)),
        }
    }
}
