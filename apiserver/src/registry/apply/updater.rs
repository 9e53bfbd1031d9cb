//! The ownership bookkeeping of one write (upstream: structured-merge-diff's
//! `merge/update.go` `Updater.update`, and the `managedfieldsupdater.go` and `stripmeta.go`
//! managers of `k8s.io/apimachinery/pkg/util/managedfields/internal/`).

use super::compare::Comparison;
use super::conflicts::Conflict;
use super::fieldset::{field_path, FieldSet};
use super::managed::{Managed, ManagerId, Owned};
use machinery::meta;
use std::sync::LazyLock;

/// Paths nobody ever owns (upstream `stripmeta.go`): type and identity fields the server
/// fills in or checks.
const STRIPPED: &[&[&str]] = &[
    &["apiVersion"],
    &["kind"],
    &["metadata"],
    &["metadata", "name"],
    &["metadata", "namespace"],
    &["metadata", "creationTimestamp"],
    &["metadata", "selfLink"],
    &["metadata", "uid"],
    &["metadata", "clusterName"],
    &["metadata", "generation"],
    &["metadata", "managedFields"],
    &["metadata", "resourceVersion"],
];

/// [`STRIPPED`] as a set, built once: every write strips it, and building it anew each time
/// showed in `perf` as a few percent of a create's CPU.
static STRIPPED_SET: LazyLock<FieldSet> = LazyLock::new(|| {
    let mut stripped = FieldSet::new();
    for path in STRIPPED {
        stripped.insert(&field_path(path));
    }
    stripped
});

/// `set` without the paths nobody owns.
pub fn strip(set: &FieldSet) -> FieldSet {
    set.difference(&STRIPPED_SET)
}

/// An update by `id` changed `cmp`: it owns what it added or modified (on top of what it
/// owned), and everyone loses what changed or went (upstream `managedFieldsUpdater.Update`,
/// which runs the update as a fresh "current-operation" manager and merges the result in).
pub fn record_update(managed: &mut Managed, cmp: &Comparison, id: &ManagerId, api_version: &str) {
    // Forced: an update never conflicts, it simply takes what it changes.
    let _ = take_from_others(managed, cmp, None, true);
    let mine = strip(&cmp.changed().difference(&cmp.removed));
    if mine.is_empty() {
        return;
    }
    let previous = managed
        .owners
        .remove(id)
        .map(|o| o.fields)
        .unwrap_or_default();
    managed.owners.insert(
        id.clone(),
        Owned {
            fields: mine.union(&previous),
            api_version: api_version.to_string(),
            time: Some(meta::now_rfc3339()),
        },
    );
}

/// Every owner but `writer` loses the fields `cmp` changed or removed (upstream
/// `Updater.update`). Without `force`, taking a changed field from someone is a conflict.
pub fn take_from_others(
    managed: &mut Managed,
    cmp: &Comparison,
    writer: Option<&ManagerId>,
    force: bool,
) -> Result<(), Vec<Conflict>> {
    let changed = cmp.changed();
    let others = || {
        managed
            .owners
            .iter()
            .filter(move |(id, _)| Some(*id) != writer)
    };
    if !force {
        let conflicts: Vec<Conflict> = others()
            .flat_map(|(id, owned)| {
                let taken = owned.fields.intersection(&changed);
                taken.paths().into_iter().map(move |path| Conflict {
                    manager: id.clone(),
                    path,
                })
            })
            .collect();
        if !conflicts.is_empty() {
            return Err(conflicts);
        }
    }
    for (id, owned) in managed.owners.iter_mut() {
        if Some(id) != writer {
            owned.fields = owned.fields.difference(&changed).difference(&cmp.removed);
        }
    }
    managed.owners.retain(|_, owned| !owned.fields.is_empty());
    Ok(())
}
