//! Server-side dry run: `?dryRun=All` on a create, update, patch or delete.
//!
//! The request runs through this very registry — defaulting, validation, the namespace
//! check, conflict detection, ClusterIP allocation — with one difference: the storage
//! underneath is a [`DryRunStorage`], whose writes only check. The answer is the object as it
//! would have been stored; nothing was. Upstream: `rest.ValidateDryRun` rejects other values,
//! and `registry/generic/registry/dryrun.go` swaps the storage.

use super::Registry;
use crate::storage::dry_run::DryRunStorage;
use machinery::{ApiError, StatusCause};
use std::sync::Arc;

impl Registry {
    /// This registry over a dry-run view of its storage. The watch caches are shared: a dry
    /// run reads exactly what a real request would read.
    pub fn dry_run(&self) -> Registry {
        Registry {
            storage: Arc::new(DryRunStorage::new(self.storage.clone())),
            caches: self.caches.clone(),
            service_ranges: self.service_ranges,
        }
    }
}

/// Whether a request asked for a dry run. `dryRun` may be given several times; `All` is the
/// only value upstream knows, and anything else is refused (422, as upstream's
/// `ValidateDryRun`) so that a typo never turns a rehearsal into a real change. `options` names
/// the request's options kind for the message: `CreateOptions`, `PatchOptions`, ...
pub fn requested(values: &[impl AsRef<str>], options: &str) -> Result<bool, ApiError> {
    let values: Vec<&str> = values
        .iter()
        .map(AsRef::as_ref)
        .filter(|v| !v.is_empty())
        .collect();
    if values.iter().all(|v| *v == "All") {
        return Ok(!values.is_empty());
    }
    let listed: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    Err(ApiError::invalid(
        "meta.k8s.io",
        options,
        "",
        vec![StatusCause {
            reason: "FieldValueNotSupported".into(),
            message: format!(
                "Unsupported value: []string{{{}}}: supported values: \"All\"",
                listed.join(", ")
            ),
            field: "dryRun".into(),
        }],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_all_asks_for_a_dry_run_and_unknown_values_are_refused() {
        assert_eq!(requested(&[] as &[&str], "CreateOptions"), Ok(false));
        assert_eq!(requested(&["All"], "CreateOptions"), Ok(true));
        let err = requested(&["Everything"], "CreateOptions").unwrap_err();
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            "CreateOptions.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{\"Everything\"}: supported values: \"All\""
        );
    }
}
