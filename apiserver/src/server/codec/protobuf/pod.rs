//! JSON names of `Pod`, its spec and its status: scheduling (affinity, tolerations, topology
//! spread), the pod security context, DNS, readiness gates, resource claims.
//!
//! Go types: k8s.io/api `core/v1/types.go`. Containers and volumes have files of their own.

use super::json::to_json;
use k8s_pb::api::core::v1 as core;

to_json!(core::Pod {
    metadata: "metadata",
    spec: "spec",
    status: "status",
});

to_json!(core::PodSpec {
    volumes: "volumes",
    init_containers: "initContainers",
    containers: "containers",
    ephemeral_containers: "ephemeralContainers",
    restart_policy: "restartPolicy" omitempty,
    termination_grace_period_seconds: "terminationGracePeriodSeconds",
    active_deadline_seconds: "activeDeadlineSeconds",
    dns_policy: "dnsPolicy" omitempty,
    node_selector: "nodeSelector",
    service_account_name: "serviceAccountName" omitempty,
    service_account: "serviceAccount" omitempty,
    automount_service_account_token: "automountServiceAccountToken",
    node_name: "nodeName" omitempty,
    host_network: "hostNetwork" omitempty,
    host_pid: "hostPID" omitempty,
    host_ipc: "hostIPC" omitempty,
    share_process_namespace: "shareProcessNamespace",
    security_context: "securityContext",
    image_pull_secrets: "imagePullSecrets",
    hostname: "hostname" omitempty,
    subdomain: "subdomain" omitempty,
    affinity: "affinity",
    scheduler_name: "schedulerName" omitempty,
    tolerations: "tolerations",
    host_aliases: "hostAliases",
    priority_class_name: "priorityClassName" omitempty,
    priority: "priority",
    dns_config: "dnsConfig",
    readiness_gates: "readinessGates",
    runtime_class_name: "runtimeClassName",
    enable_service_links: "enableServiceLinks",
    preemption_policy: "preemptionPolicy",
    overhead: "overhead" omitempty,
    topology_spread_constraints: "topologySpreadConstraints",
    set_hostname_as_fqdn: "setHostnameAsFQDN",
    os: "os",
    host_users: "hostUsers",
    scheduling_gates: "schedulingGates",
    resource_claims: "resourceClaims",
    resources: "resources",
    hostname_override: "hostnameOverride",
    workload_ref: "workloadRef",
});

to_json!(core::PodStatus {
    observed_generation: "observedGeneration" omitempty,
    phase: "phase" omitempty,
    conditions: "conditions",
    message: "message" omitempty,
    reason: "reason" omitempty,
    nominated_node_name: "nominatedNodeName" omitempty,
    host_ip: "hostIP" omitempty,
    host_ips: "hostIPs",
    pod_ip: "podIP" omitempty,
    pod_ips: "podIPs",
    start_time: "startTime",
    init_container_statuses: "initContainerStatuses",
    container_statuses: "containerStatuses",
    qos_class: "qosClass" omitempty,
    ephemeral_container_statuses: "ephemeralContainerStatuses",
    resize: "resize" omitempty,
    resource_claim_statuses: "resourceClaimStatuses",
    extended_resource_claim_status: "extendedResourceClaimStatus",
    allocated_resources: "allocatedResources" omitempty,
    resources: "resources",
});

to_json!(core::PodSecurityContext {
    se_linux_options: "seLinuxOptions",
    windows_options: "windowsOptions",
    run_as_user: "runAsUser",
    run_as_group: "runAsGroup",
    run_as_non_root: "runAsNonRoot",
    supplemental_groups: "supplementalGroups",
    supplemental_groups_policy: "supplementalGroupsPolicy",
    fs_group: "fsGroup",
    sysctls: "sysctls",
    fs_group_change_policy: "fsGroupChangePolicy",
    seccomp_profile: "seccompProfile",
    app_armor_profile: "appArmorProfile",
    se_linux_change_policy: "seLinuxChangePolicy",
});

to_json!(core::Affinity {
    node_affinity: "nodeAffinity",
    pod_affinity: "podAffinity",
    pod_anti_affinity: "podAntiAffinity",
});

to_json!(core::Toleration {
    key: "key" omitempty,
    operator: "operator" omitempty,
    value: "value" omitempty,
    effect: "effect" omitempty,
    toleration_seconds: "tolerationSeconds",
});

to_json!(core::HostAlias {
    ip: "ip",
    hostnames: "hostnames",
});

to_json!(core::PodDnsConfig {
    nameservers: "nameservers",
    searches: "searches",
    options: "options",
});

to_json!(core::PodReadinessGate {
    condition_type: "conditionType",
});

to_json!(core::TopologySpreadConstraint {
    max_skew: "maxSkew",
    topology_key: "topologyKey",
    when_unsatisfiable: "whenUnsatisfiable",
    label_selector: "labelSelector",
    min_domains: "minDomains",
    node_affinity_policy: "nodeAffinityPolicy",
    node_taints_policy: "nodeTaintsPolicy",
    match_label_keys: "matchLabelKeys",
});

to_json!(core::PodOs { name: "name" });

to_json!(core::PodSchedulingGate { name: "name" });

to_json!(core::PodResourceClaim {
    name: "name",
    resource_claim_name: "resourceClaimName",
    resource_claim_template_name: "resourceClaimTemplateName",
});

to_json!(core::WorkloadReference {
    name: "name",
    pod_group: "podGroup",
    pod_group_replica_key: "podGroupReplicaKey" omitempty,
});

to_json!(core::PodCondition {
    r#type: "type",
    observed_generation: "observedGeneration" omitempty,
    status: "status",
    last_probe_time: "lastProbeTime",
    last_transition_time: "lastTransitionTime",
    reason: "reason" omitempty,
    message: "message" omitempty,
});

to_json!(core::HostIp { ip: "ip" });

to_json!(core::PodIp { ip: "ip" });

to_json!(core::PodResourceClaimStatus {
    name: "name",
    resource_claim_name: "resourceClaimName",
});

to_json!(core::PodExtendedResourceClaimStatus {
    request_mappings: "requestMappings",
    resource_claim_name: "resourceClaimName",
});

to_json!(core::Sysctl {
    name: "name",
    value: "value",
});

to_json!(core::NodeAffinity {
    required_during_scheduling_ignored_during_execution:
        "requiredDuringSchedulingIgnoredDuringExecution",
    preferred_during_scheduling_ignored_during_execution:
        "preferredDuringSchedulingIgnoredDuringExecution",
});

to_json!(core::PodAffinity {
    required_during_scheduling_ignored_during_execution:
        "requiredDuringSchedulingIgnoredDuringExecution",
    preferred_during_scheduling_ignored_during_execution:
        "preferredDuringSchedulingIgnoredDuringExecution",
});

to_json!(core::PodAntiAffinity {
    required_during_scheduling_ignored_during_execution:
        "requiredDuringSchedulingIgnoredDuringExecution",
    preferred_during_scheduling_ignored_during_execution:
        "preferredDuringSchedulingIgnoredDuringExecution",
});

to_json!(core::PodDnsConfigOption {
    name: "name" omitempty,
    value: "value",
});

to_json!(core::ContainerExtendedResourceRequest {
    container_name: "containerName",
    resource_name: "resourceName",
    request_name: "requestName",
});

to_json!(core::NodeSelector {
    node_selector_terms: "nodeSelectorTerms",
});

to_json!(core::PreferredSchedulingTerm {
    weight: "weight",
    preference: "preference",
});

to_json!(core::PodAffinityTerm {
    label_selector: "labelSelector",
    namespaces: "namespaces",
    topology_key: "topologyKey",
    namespace_selector: "namespaceSelector",
    match_label_keys: "matchLabelKeys",
    mismatch_label_keys: "mismatchLabelKeys",
});

to_json!(core::WeightedPodAffinityTerm {
    weight: "weight",
    pod_affinity_term: "podAffinityTerm",
});

to_json!(core::NodeSelectorTerm {
    match_expressions: "matchExpressions",
    match_fields: "matchFields",
});

to_json!(core::NodeSelectorRequirement {
    key: "key",
    operator: "operator",
    values: "values",
});

to_json!(core::PodTemplateSpec {
    metadata: "metadata",
    spec: "spec",
});
