//! JSON names of the apimachinery `meta/v1` messages that every object carries: `ObjectMeta`,
//! owner references, managed fields, label selectors, conditions; and `DeleteOptions`.
//!
//! Go types: k8s.io/apimachinery `pkg/apis/meta/v1/types.go`. How to read a list: see the
//! `to_json!` macro in `json.rs`. `Time`, `FieldsV1` and friends convert there too.

use super::json::to_json;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;

to_json!(meta::ObjectMeta {
    name: "name" omitempty,
    generate_name: "generateName" omitempty,
    namespace: "namespace" omitempty,
    self_link: "selfLink" omitempty,
    uid: "uid" omitempty,
    resource_version: "resourceVersion" omitempty,
    generation: "generation" omitempty,
    creation_timestamp: "creationTimestamp",
    deletion_timestamp: "deletionTimestamp",
    deletion_grace_period_seconds: "deletionGracePeriodSeconds",
    labels: "labels",
    annotations: "annotations",
    owner_references: "ownerReferences",
    finalizers: "finalizers",
    managed_fields: "managedFields",
});

to_json!(meta::OwnerReference {
    api_version: "apiVersion",
    kind: "kind",
    name: "name",
    uid: "uid",
    controller: "controller",
    block_owner_deletion: "blockOwnerDeletion",
});

to_json!(meta::ManagedFieldsEntry {
    manager: "manager" omitempty,
    operation: "operation" omitempty,
    api_version: "apiVersion" omitempty,
    time: "time",
    fields_type: "fieldsType" omitempty,
    fields_v1: "fieldsV1",
    subresource: "subresource" omitempty,
});

to_json!(meta::LabelSelector {
    match_labels: "matchLabels",
    match_expressions: "matchExpressions",
});

to_json!(meta::LabelSelectorRequirement {
    key: "key",
    operator: "operator",
    values: "values",
});

to_json!(meta::Condition {
    r#type: "type",
    status: "status",
    observed_generation: "observedGeneration" omitempty,
    last_transition_time: "lastTransitionTime",
    reason: "reason",
    message: "message",
});

to_json!(meta::DeleteOptions {
    grace_period_seconds: "gracePeriodSeconds",
    preconditions: "preconditions",
    orphan_dependents: "orphanDependents",
    propagation_policy: "propagationPolicy",
    dry_run: "dryRun",
    ignore_store_read_error_with_cluster_breaking_potential:
        "ignoreStoreReadErrorWithClusterBreakingPotential",
});

to_json!(meta::Preconditions {
    uid: "uid",
    resource_version: "resourceVersion",
});
