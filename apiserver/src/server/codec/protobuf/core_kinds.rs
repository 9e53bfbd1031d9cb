//! JSON names of the core `v1` kinds other than `Pod`: `Service`, `Endpoints`, `ConfigMap`,
//! `Secret`, `Node`, `Event`, `ServiceAccount`, `Namespace` and the pods' `Binding`.
//!
//! Go types: k8s.io/api `core/v1/types.go`. Note `Secret.data` and `ConfigMap.binaryData`:
//! protobuf `bytes`, which become base64 strings in JSON.

use super::json::to_json;
use k8s_pb::api::core::v1 as core;

to_json!(core::Service {
    metadata: "metadata",
    spec: "spec",
    status: "status",
});

to_json!(core::ServiceSpec {
    ports: "ports",
    selector: "selector",
    cluster_ip: "clusterIP" omitempty,
    cluster_ips: "clusterIPs",
    r#type: "type" omitempty,
    external_ips: "externalIPs",
    session_affinity: "sessionAffinity" omitempty,
    load_balancer_ip: "loadBalancerIP" omitempty,
    load_balancer_source_ranges: "loadBalancerSourceRanges",
    external_name: "externalName" omitempty,
    external_traffic_policy: "externalTrafficPolicy" omitempty,
    health_check_node_port: "healthCheckNodePort" omitempty,
    publish_not_ready_addresses: "publishNotReadyAddresses" omitempty,
    session_affinity_config: "sessionAffinityConfig",
    ip_families: "ipFamilies",
    ip_family_policy: "ipFamilyPolicy",
    allocate_load_balancer_node_ports: "allocateLoadBalancerNodePorts",
    load_balancer_class: "loadBalancerClass",
    internal_traffic_policy: "internalTrafficPolicy",
    traffic_distribution: "trafficDistribution",
});

to_json!(core::ServiceStatus {
    load_balancer: "loadBalancer",
    conditions: "conditions",
});

to_json!(core::ServicePort {
    name: "name" omitempty,
    protocol: "protocol" omitempty,
    app_protocol: "appProtocol",
    port: "port",
    target_port: "targetPort" omitempty,
    node_port: "nodePort" omitempty,
});

to_json!(core::SessionAffinityConfig {
    client_ip: "clientIP",
});

to_json!(core::LoadBalancerStatus { ingress: "ingress" });

to_json!(core::ClientIpConfig {
    timeout_seconds: "timeoutSeconds",
});

to_json!(core::LoadBalancerIngress {
    ip: "ip" omitempty,
    hostname: "hostname" omitempty,
    ip_mode: "ipMode",
    ports: "ports",
});

to_json!(core::PortStatus {
    port: "port",
    protocol: "protocol",
    error: "error",
});

to_json!(core::Endpoints {
    metadata: "metadata",
    subsets: "subsets",
});

to_json!(core::EndpointSubset {
    addresses: "addresses",
    not_ready_addresses: "notReadyAddresses",
    ports: "ports",
});

to_json!(core::EndpointAddress {
    ip: "ip",
    hostname: "hostname" omitempty,
    node_name: "nodeName",
    target_ref: "targetRef",
});

to_json!(core::EndpointPort {
    name: "name" omitempty,
    port: "port",
    protocol: "protocol" omitempty,
    app_protocol: "appProtocol",
});

to_json!(core::ObjectReference {
    kind: "kind" omitempty,
    namespace: "namespace" omitempty,
    name: "name" omitempty,
    uid: "uid" omitempty,
    api_version: "apiVersion" omitempty,
    resource_version: "resourceVersion" omitempty,
    field_path: "fieldPath" omitempty,
});

to_json!(core::ConfigMap {
    metadata: "metadata",
    immutable: "immutable",
    data: "data",
    binary_data: "binaryData",
});

to_json!(core::Secret {
    metadata: "metadata",
    immutable: "immutable",
    data: "data",
    string_data: "stringData",
    r#type: "type" omitempty,
});

to_json!(core::Node {
    metadata: "metadata",
    spec: "spec",
    status: "status",
});

to_json!(core::NodeSpec {
    pod_cidr: "podCIDR" omitempty,
    pod_cid_rs: "podCIDRs",
    provider_id: "providerID" omitempty,
    unschedulable: "unschedulable" omitempty,
    taints: "taints",
    config_source: "configSource",
    external_id: "externalID" omitempty,
});

to_json!(core::NodeStatus {
    capacity: "capacity" omitempty,
    allocatable: "allocatable" omitempty,
    phase: "phase" omitempty,
    conditions: "conditions",
    addresses: "addresses",
    daemon_endpoints: "daemonEndpoints",
    node_info: "nodeInfo",
    images: "images",
    volumes_in_use: "volumesInUse",
    volumes_attached: "volumesAttached",
    config: "config",
    runtime_handlers: "runtimeHandlers",
    features: "features",
    declared_features: "declaredFeatures",
});

to_json!(core::Taint {
    key: "key",
    value: "value" omitempty,
    effect: "effect",
    time_added: "timeAdded",
});

to_json!(core::NodeConfigSource {
    config_map: "configMap",
});

to_json!(core::NodeCondition {
    r#type: "type",
    status: "status",
    last_heartbeat_time: "lastHeartbeatTime",
    last_transition_time: "lastTransitionTime",
    reason: "reason" omitempty,
    message: "message" omitempty,
});

to_json!(core::NodeAddress {
    r#type: "type",
    address: "address",
});

to_json!(core::NodeDaemonEndpoints {
    kubelet_endpoint: "kubeletEndpoint",
});

to_json!(core::NodeSystemInfo {
    machine_id: "machineID",
    system_uuid: "systemUUID",
    boot_id: "bootID",
    kernel_version: "kernelVersion",
    os_image: "osImage",
    container_runtime_version: "containerRuntimeVersion",
    kubelet_version: "kubeletVersion",
    kube_proxy_version: "kubeProxyVersion",
    operating_system: "operatingSystem",
    architecture: "architecture",
    swap: "swap",
});

to_json!(core::ContainerImage {
    names: "names",
    size_bytes: "sizeBytes" omitempty,
});

to_json!(core::AttachedVolume {
    name: "name",
    device_path: "devicePath",
});

to_json!(core::NodeConfigStatus {
    assigned: "assigned",
    active: "active",
    last_known_good: "lastKnownGood",
    error: "error" omitempty,
});

to_json!(core::NodeRuntimeHandler {
    name: "name",
    features: "features",
});

to_json!(core::NodeFeatures {
    supplemental_groups_policy: "supplementalGroupsPolicy",
});

to_json!(core::ConfigMapNodeConfigSource {
    namespace: "namespace",
    name: "name",
    uid: "uid" omitempty,
    resource_version: "resourceVersion" omitempty,
    kubelet_config_key: "kubeletConfigKey",
});

to_json!(core::DaemonEndpoint { port: "Port" });

to_json!(core::NodeSwapStatus {
    capacity: "capacity",
});

to_json!(core::NodeRuntimeHandlerFeatures {
    recursive_read_only_mounts: "recursiveReadOnlyMounts",
    user_namespaces: "userNamespaces",
});

to_json!(core::Event {
    metadata: "metadata",
    involved_object: "involvedObject",
    reason: "reason" omitempty,
    message: "message" omitempty,
    source: "source",
    first_timestamp: "firstTimestamp",
    last_timestamp: "lastTimestamp",
    count: "count" omitempty,
    r#type: "type" omitempty,
    event_time: "eventTime",
    series: "series",
    action: "action" omitempty,
    related: "related",
    reporting_component: "reportingComponent",
    reporting_instance: "reportingInstance",
});

to_json!(core::EventSource {
    component: "component" omitempty,
    host: "host" omitempty,
});

to_json!(core::EventSeries {
    count: "count" omitempty,
    last_observed_time: "lastObservedTime",
});

to_json!(core::ServiceAccount {
    metadata: "metadata",
    secrets: "secrets",
    image_pull_secrets: "imagePullSecrets",
    automount_service_account_token: "automountServiceAccountToken",
});

to_json!(core::Namespace {
    metadata: "metadata",
    spec: "spec",
    status: "status",
});

to_json!(core::NamespaceSpec {
    finalizers: "finalizers",
});

to_json!(core::NamespaceStatus {
    phase: "phase" omitempty,
    conditions: "conditions",
});

to_json!(core::NamespaceCondition {
    r#type: "type",
    status: "status",
    last_transition_time: "lastTransitionTime",
    reason: "reason" omitempty,
    message: "message" omitempty,
});

to_json!(core::Binding {
    metadata: "metadata",
    target: "target",
});
