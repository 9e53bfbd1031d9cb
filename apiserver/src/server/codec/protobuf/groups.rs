//! JSON names of the kinds outside the core group: `apps/v1` (Deployment, ReplicaSet),
//! `batch/v1` (Job), `autoscaling/v1` (Scale), `coordination.k8s.io/v1` (Lease),
//! `discovery.k8s.io/v1` (EndpointSlice) and `scheduling.k8s.io/v1` (PriorityClass).
//!
//! Go types: the `types.go` of each group in k8s.io/api. A pod template inside a Deployment,
//! ReplicaSet or Job converts through `pod.rs`.

use super::json::to_json;
use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::autoscaling::v1 as autoscaling;
use k8s_pb::api::batch::v1 as batch;
use k8s_pb::api::coordination::v1 as coordination;
use k8s_pb::api::discovery::v1 as discovery;
use k8s_pb::api::scheduling::v1 as scheduling;

to_json!(apps::Deployment {
    metadata: "metadata",
    spec: "spec",
    status: "status",
});

to_json!(apps::DeploymentSpec {
    replicas: "replicas",
    selector: "selector",
    template: "template",
    strategy: "strategy",
    min_ready_seconds: "minReadySeconds" omitempty,
    revision_history_limit: "revisionHistoryLimit",
    paused: "paused" omitempty,
    progress_deadline_seconds: "progressDeadlineSeconds",
});

to_json!(apps::DeploymentStatus {
    observed_generation: "observedGeneration" omitempty,
    replicas: "replicas" omitempty,
    updated_replicas: "updatedReplicas" omitempty,
    ready_replicas: "readyReplicas" omitempty,
    available_replicas: "availableReplicas" omitempty,
    unavailable_replicas: "unavailableReplicas" omitempty,
    terminating_replicas: "terminatingReplicas",
    conditions: "conditions",
    collision_count: "collisionCount",
});

to_json!(apps::DeploymentStrategy {
    r#type: "type" omitempty,
    rolling_update: "rollingUpdate",
});

to_json!(apps::DeploymentCondition {
    r#type: "type",
    status: "status",
    last_update_time: "lastUpdateTime",
    last_transition_time: "lastTransitionTime",
    reason: "reason" omitempty,
    message: "message" omitempty,
});

to_json!(apps::RollingUpdateDeployment {
    max_unavailable: "maxUnavailable",
    max_surge: "maxSurge",
});

to_json!(apps::ReplicaSet {
    metadata: "metadata",
    spec: "spec",
    status: "status",
});

to_json!(apps::ReplicaSetSpec {
    replicas: "replicas",
    min_ready_seconds: "minReadySeconds" omitempty,
    selector: "selector",
    template: "template",
});

to_json!(apps::ReplicaSetStatus {
    replicas: "replicas",
    fully_labeled_replicas: "fullyLabeledReplicas" omitempty,
    ready_replicas: "readyReplicas" omitempty,
    available_replicas: "availableReplicas" omitempty,
    terminating_replicas: "terminatingReplicas",
    observed_generation: "observedGeneration" omitempty,
    conditions: "conditions",
});

to_json!(apps::ReplicaSetCondition {
    r#type: "type",
    status: "status",
    last_transition_time: "lastTransitionTime",
    reason: "reason" omitempty,
    message: "message" omitempty,
});

to_json!(batch::Job {
    metadata: "metadata",
    spec: "spec",
    status: "status",
});

to_json!(batch::JobSpec {
    parallelism: "parallelism",
    completions: "completions",
    active_deadline_seconds: "activeDeadlineSeconds",
    pod_failure_policy: "podFailurePolicy",
    success_policy: "successPolicy",
    backoff_limit: "backoffLimit",
    backoff_limit_per_index: "backoffLimitPerIndex",
    max_failed_indexes: "maxFailedIndexes",
    selector: "selector",
    manual_selector: "manualSelector",
    template: "template",
    ttl_seconds_after_finished: "ttlSecondsAfterFinished",
    completion_mode: "completionMode",
    suspend: "suspend",
    pod_replacement_policy: "podReplacementPolicy",
    managed_by: "managedBy",
});

to_json!(batch::JobStatus {
    conditions: "conditions",
    start_time: "startTime",
    completion_time: "completionTime",
    active: "active" omitempty,
    succeeded: "succeeded" omitempty,
    failed: "failed" omitempty,
    terminating: "terminating",
    completed_indexes: "completedIndexes" omitempty,
    failed_indexes: "failedIndexes",
    uncounted_terminated_pods: "uncountedTerminatedPods",
    ready: "ready",
});

to_json!(batch::PodFailurePolicy { rules: "rules" });

to_json!(batch::SuccessPolicy { rules: "rules" });

to_json!(batch::JobCondition {
    r#type: "type",
    status: "status",
    last_probe_time: "lastProbeTime",
    last_transition_time: "lastTransitionTime",
    reason: "reason" omitempty,
    message: "message" omitempty,
});

to_json!(batch::UncountedTerminatedPods {
    succeeded: "succeeded",
    failed: "failed",
});

to_json!(batch::PodFailurePolicyRule {
    action: "action",
    on_exit_codes: "onExitCodes",
    on_pod_conditions: "onPodConditions",
});

to_json!(batch::SuccessPolicyRule {
    succeeded_indexes: "succeededIndexes",
    succeeded_count: "succeededCount",
});

to_json!(batch::PodFailurePolicyOnExitCodesRequirement {
    container_name: "containerName",
    operator: "operator",
    values: "values",
});

to_json!(batch::PodFailurePolicyOnPodConditionsPattern {
    r#type: "type",
    status: "status",
});

to_json!(autoscaling::Scale {
    metadata: "metadata",
    spec: "spec",
    status: "status",
});

to_json!(autoscaling::ScaleSpec {
    replicas: "replicas" omitempty,
});

to_json!(autoscaling::ScaleStatus {
    replicas: "replicas",
    selector: "selector" omitempty,
});

to_json!(coordination::Lease {
    metadata: "metadata",
    spec: "spec",
});

to_json!(coordination::LeaseSpec {
    holder_identity: "holderIdentity",
    lease_duration_seconds: "leaseDurationSeconds",
    acquire_time: "acquireTime",
    renew_time: "renewTime",
    lease_transitions: "leaseTransitions",
    strategy: "strategy",
    preferred_holder: "preferredHolder",
});

to_json!(discovery::EndpointSlice {
    metadata: "metadata",
    address_type: "addressType",
    endpoints: "endpoints",
    ports: "ports",
});

to_json!(discovery::Endpoint {
    addresses: "addresses",
    conditions: "conditions",
    hostname: "hostname",
    target_ref: "targetRef",
    deprecated_topology: "deprecatedTopology",
    node_name: "nodeName",
    zone: "zone",
    hints: "hints",
});

to_json!(discovery::EndpointPort {
    name: "name",
    protocol: "protocol",
    port: "port",
    app_protocol: "appProtocol",
});

to_json!(discovery::EndpointConditions {
    ready: "ready",
    serving: "serving",
    terminating: "terminating",
});

to_json!(discovery::EndpointHints {
    for_zones: "forZones",
    for_nodes: "forNodes",
});

to_json!(discovery::ForZone { name: "name" });

to_json!(discovery::ForNode { name: "name" });

to_json!(scheduling::PriorityClass {
    metadata: "metadata",
    value: "value",
    global_default: "globalDefault" omitempty,
    description: "description" omitempty,
    preemption_policy: "preemptionPolicy",
});
