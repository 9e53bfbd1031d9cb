//! Namespaces. Upstream: `pkg/registry/core/namespace/strategy.go`.

use super::Strategy;
use serde_json::{json, Value};

/// A new namespace is `Active` and carries the `kubernetes` finalizer in its spec, which the
/// namespace controller removes once it has emptied a namespace being deleted.
pub struct NamespaceStrategy;

impl Strategy for NamespaceStrategy {
    fn name_is_label(&self) -> bool {
        true
    }

    /// The namespaces every cluster relies on cannot be deleted (upstream's
    /// NamespaceLifecycle admission plugin, `plugin/pkg/admission/namespace/lifecycle`).
    fn forbid_delete(&self, name: &str) -> Option<&'static str> {
        ["default", "kube-system", "kube-public"]
            .contains(&name)
            .then_some("this namespace may not be deleted")
    }

    fn prepare_for_create(&self, obj: &mut Value) {
        obj["status"] = json!({"phase": "Active"});
        if obj.get("spec").and_then(|s| s.get("finalizers")).is_none() {
            obj["spec"] = json!({"finalizers": ["kubernetes"]});
        }
    }
}
