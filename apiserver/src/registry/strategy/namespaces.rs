//! Namespaces. Upstream: `pkg/registry/core/namespace/strategy.go`, with the defaults of
//! `pkg/apis/core/v1/defaults.go` (`SetDefaults_Namespace`) and the checks of
//! `pkg/apis/core/validation/validation.go` (`ValidateNamespace`, `validateFinalizerName`).
//!
//! What happens when a namespace is *deleted* lives in `registry/namespaces.rs`; which
//! namespaces accept new objects, in `registry/namespace_lifecycle.rs`.

use super::Strategy;
use machinery::labels::validation::qualified_name_errors;
use machinery::meta::strings_at;
use machinery::StatusCause;
use serde_json::{json, Value};

/// The label every namespace carries, holding its own name, so that a label selector can pick
/// namespaces by name (a NetworkPolicy's `namespaceSelector`, for one).
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The finalizer in `spec.finalizers` that belongs to the namespace controller: "I must empty
/// this namespace before it may go".
pub const KUBERNETES_FINALIZER: &str = "kubernetes";

/// Finalizer names that need no `example.com/` prefix: the one above, and the garbage
/// collector's two (upstream `helper.IsStandardFinalizerName`).
const STANDARD_FINALIZERS: &[&str] = &[KUBERNETES_FINALIZER, "orphan", "foregroundDeletion"];

/// A new namespace is `Active` and carries the `kubernetes` finalizer in its spec, which the
/// namespace controller removes once it has emptied a namespace being deleted.
pub struct NamespaceStrategy;

impl Strategy for NamespaceStrategy {
    fn name_is_label(&self) -> bool {
        true
    }

    /// `spec.finalizers` belongs to the `finalize` subresource: an update keeps the old list.
    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        match old.pointer("/spec/finalizers") {
            Some(list) => new["spec"]["finalizers"] = list.clone(),
            None => {
                if let Some(spec) = new.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.remove("finalizers");
                }
            }
        }
    }

    /// The `kubernetes.io/metadata.name` label always equals the name. Upstream sets it in
    /// defaulting *and* again after every update (`Canonicalize`), so a client can neither
    /// remove nor change it; running on every write, this hook does both jobs.
    fn default(&self, obj: &mut Value) {
        let name = machinery::meta::name(obj).to_string();
        if name.is_empty() {
            return;
        }
        let metadata = machinery::meta::metadata_mut(obj);
        let labels = metadata.entry("labels").or_insert_with(|| json!({}));
        if !labels.is_object() {
            *labels = json!({});
        }
        labels[NAME_LABEL] = json!(name);
    }

    /// The namespaces every cluster relies on cannot be deleted (upstream's
    /// NamespaceLifecycle admission plugin, `plugin/pkg/admission/namespace/lifecycle`).
    fn forbid_delete(&self, name: &str) -> Option<&'static str> {
        ["default", "kube-system", "kube-public"]
            .contains(&name)
            .then_some("this namespace may not be deleted")
    }

    /// Whatever the client sent, a new namespace is `Active`, and its `spec.finalizers`
    /// includes `kubernetes` (added to the client's list, not replacing it). It cannot be a
    /// default: the finalizer is later removed on purpose, and a default would put it back.
    fn prepare_for_create(&self, obj: &mut Value) {
        obj["status"] = json!({"phase": "Active"});
        if !obj.get("spec").is_some_and(Value::is_object) {
            obj["spec"] = json!({});
        }
        let mut finalizers = strings_at(obj, "/spec/finalizers");
        if !finalizers.iter().any(|f| f == KUBERNETES_FINALIZER) {
            finalizers.push(KUBERNETES_FINALIZER.to_string());
        }
        obj["spec"]["finalizers"] = json!(finalizers);
    }

    /// Every name in `spec.finalizers` must be a finalizer name. (Upstream names the whole
    /// list, `spec.finalizers`, as the field here, and the item, `spec.finalizers[i]`, in
    /// the finalize subresource's check.)
    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        strings_at(obj, "/spec/finalizers")
            .iter()
            .flat_map(|f| finalizer_name_causes("spec.finalizers", f))
            .collect()
    }
}

/// What is wrong with `name` as a finalizer name: it must be a qualified name
/// (`example.com/cleanup`), and one without a prefix must be a standard finalizer.
/// Upstream: `validateFinalizerName` and apimachinery's `ValidateFinalizerName`.
pub(crate) fn finalizer_name_causes(field: &str, name: &str) -> Vec<StatusCause> {
    let mut causes: Vec<StatusCause> = qualified_name_errors(name)
        .iter()
        .map(|why| StatusCause::invalid(field, name, why))
        .collect();
    if !name.contains('/') && !STANDARD_FINALIZERS.contains(&name) {
        causes.push(StatusCause::invalid(
            field,
            name,
            "name is neither a standard finalizer name nor is it fully qualified",
        ));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(obj: Value) -> Value {
        let mut obj = obj;
        NamespaceStrategy.default(&mut obj);
        NamespaceStrategy.prepare_for_create(&mut obj);
        obj
    }

    #[test]
    fn a_new_namespace_is_active_with_the_kubernetes_finalizer_and_its_name_label() {
        let ns =
            created(json!({"metadata": {"name": "team-a"}, "status": {"phase": "Terminating"}}));
        assert_eq!(ns["status"], json!({"phase": "Active"}));
        assert_eq!(ns["spec"], json!({"finalizers": ["kubernetes"]}));
        assert_eq!(ns["metadata"]["labels"][NAME_LABEL], "team-a");
    }

    #[test]
    fn the_kubernetes_finalizer_joins_finalizers_the_client_chose() {
        let ns =
            created(json!({"metadata": {"name": "a"}, "spec": {"finalizers": ["example.com/x"]}}));
        assert_eq!(
            ns["spec"]["finalizers"],
            json!(["example.com/x", "kubernetes"])
        );
        let ns = created(json!({"metadata": {"name": "a"}, "spec": {"finalizers": []}}));
        assert_eq!(ns["spec"]["finalizers"], json!(["kubernetes"]));
    }

    #[test]
    fn the_name_label_cannot_be_changed_or_removed() {
        let mut ns = json!({"metadata": {"name": "a", "labels": {NAME_LABEL: "b", "team": "x"}}});
        NamespaceStrategy.default(&mut ns);
        assert_eq!(
            ns["metadata"]["labels"],
            json!({NAME_LABEL: "a", "team": "x"})
        );
    }

    #[test]
    fn a_finalizer_name_is_standard_or_qualified() {
        for ok in ["kubernetes", "orphan", "example.com/cleanup"] {
            assert!(finalizer_name_causes("f", ok).is_empty(), "{ok}");
        }
        let causes = finalizer_name_causes("spec.finalizers", "cleanup");
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field, "spec.finalizers");
        assert_eq!(
            causes[0].message,
            "Invalid value: \"cleanup\": name is neither a standard finalizer name nor is it fully qualified"
        );
        assert!(!finalizer_name_causes("f", "Bad Name/x").is_empty());
        let invalid =
            NamespaceStrategy.validate(&json!({"spec": {"finalizers": ["kubernetes", "x"]}}));
        assert_eq!(invalid.len(), 1);
    }
}
