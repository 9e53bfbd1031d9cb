//! Apply conflicts: an applier set a field another manager owns to a different value.
//!
//! The 409 reads as upstream's, because kubectl prints it verbatim:
//!
//! ```text
//! Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas
//! ```
//!
//! and each conflict is also a cause `{reason: FieldManagerConflict, message: "conflict with
//! \"kubectl-edit\" using apps/v1", field: ".spec.replicas"}`. With several conflicts the
//! message groups them by manager. Upstream:
//! `k8s.io/apimachinery/pkg/util/managedfields/internal/conflict.go` and
//! `sigs.k8s.io/structured-merge-diff/v4/merge/conflict.go`.

use super::fieldset::{path_string, Path};
use super::managed::{ManagerId, Operation};
use machinery::{ApiError, StatusCause, StatusDetails};
use std::collections::BTreeMap;

/// One field the applier would take from `manager`.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub manager: ManagerId,
    pub path: Path,
}

/// How a manager is named in a conflict: `"kubectl-edit" using apps/v1`, `"kubectl" with
/// subresource "scale" using apps/v1`, or just `"kubectl"` for an applier.
pub fn describe(id: &ManagerId) -> String {
    let mut out = format!("{:?}", id.manager);
    if !id.subresource.is_empty() {
        out.push_str(&format!(" with subresource {:?}", id.subresource));
    }
    if id.operation == Operation::Update {
        out.push_str(&format!(" using {}", id.api_version));
    }
    out
}

/// The 409 Conflict for `conflicts` (at least one).
pub fn conflict_error(conflicts: &[Conflict]) -> ApiError {
    let causes = conflicts
        .iter()
        .map(|c| StatusCause {
            reason: "FieldManagerConflict".into(),
            message: format!("conflict with {}", describe(&c.manager)),
            field: path_string(&c.path),
        })
        .collect();
    ApiError {
        code: 409,
        reason: "Conflict".into(),
        message: message(conflicts),
        details: Box::new(StatusDetails {
            causes,
            ..StatusDetails::default()
        }),
    }
}

fn message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            describe(&only.manager),
            path_string(&only.path)
        );
    }
    let mut by_manager: BTreeMap<&ManagerId, Vec<String>> = BTreeMap::new();
    for c in conflicts {
        by_manager
            .entry(&c.manager)
            .or_default()
            .push(path_string(&c.path));
    }
    let mut lines = Vec::new();
    for (manager, paths) in by_manager {
        lines.push(format!("conflicts with {}:", describe(manager)));
        lines.extend(paths.into_iter().map(|p| format!("- {p}")));
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::apply::fieldset::field_path;

    #[test]
    fn one_conflict_reads_as_kubectl_prints_it() {
        let err = conflict_error(&[Conflict {
            manager: ManagerId::new(
                "kubectl-client-side-apply",
                Operation::Update,
                "apps/v1",
                "",
            ),
            path: field_path(&["spec", "replicas"]),
        }]);
        assert_eq!((err.code, err.reason.as_str()), (409, "Conflict"));
        assert_eq!(
            err.message,
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        );
        assert_eq!(err.details.causes[0].reason, "FieldManagerConflict");
        assert_eq!(err.details.causes[0].field, ".spec.replicas");
        assert_eq!(
            err.details.causes[0].message,
            "conflict with \"kubectl-client-side-apply\" using apps/v1"
        );
    }

    #[test]
    fn several_conflicts_are_grouped_by_manager() {
        let scale = ManagerId::new("kubectl", Operation::Update, "apps/v1", "scale");
        let other = ManagerId::new("ops", Operation::Apply, "apps/v1", "");
        let err = conflict_error(&[
            Conflict {
                manager: scale,
                path: field_path(&["spec", "replicas"]),
            },
            Conflict {
                manager: other.clone(),
                path: field_path(&["spec", "paused"]),
            },
            Conflict {
                manager: other,
                path: field_path(&["spec", "minReadySeconds"]),
            },
        ]);
        assert_eq!(
            err.message,
            "Apply failed with 3 conflicts: conflicts with \"kubectl\" with subresource \"scale\" using apps/v1:\n- .spec.replicas\nconflicts with \"ops\":\n- .spec.paused\n- .spec.minReadySeconds"
        );
    }
}
