//! JSON names of `Container` and what hangs off it: ports, environment, resources, probes,
//! lifecycle hooks, the security context, and the container statuses a kubelet reports.
//!
//! Go types: k8s.io/api `core/v1/types.go`. Two Go structs embed another inline: `Probe` holds
//! its `ProbeHandler` (`exec`, `httpGet`, ...) and `EphemeralContainer` its
//! `EphemeralContainerCommon`, so their keys sit directly in the object.

use super::json::to_json;
use k8s_pb::api::core::v1 as core;

to_json!(core::Container {
    name: "name",
    image: "image" omitempty,
    command: "command",
    args: "args",
    working_dir: "workingDir" omitempty,
    ports: "ports",
    env_from: "envFrom",
    env: "env",
    resources: "resources",
    resize_policy: "resizePolicy",
    restart_policy: "restartPolicy",
    restart_policy_rules: "restartPolicyRules",
    volume_mounts: "volumeMounts",
    volume_devices: "volumeDevices",
    liveness_probe: "livenessProbe",
    readiness_probe: "readinessProbe",
    startup_probe: "startupProbe",
    lifecycle: "lifecycle",
    termination_message_path: "terminationMessagePath" omitempty,
    termination_message_policy: "terminationMessagePolicy" omitempty,
    image_pull_policy: "imagePullPolicy" omitempty,
    security_context: "securityContext",
    stdin: "stdin" omitempty,
    stdin_once: "stdinOnce" omitempty,
    tty: "tty" omitempty,
});

to_json!(core::ContainerPort {
    name: "name" omitempty,
    host_port: "hostPort" omitempty,
    container_port: "containerPort",
    protocol: "protocol" omitempty,
    host_ip: "hostIP" omitempty,
});

to_json!(core::EnvFromSource {
    prefix: "prefix" omitempty,
    config_map_ref: "configMapRef",
    secret_ref: "secretRef",
});

to_json!(core::EnvVar {
    name: "name",
    value: "value" omitempty,
    value_from: "valueFrom",
});

to_json!(core::ResourceRequirements {
    limits: "limits" omitempty,
    requests: "requests" omitempty,
    claims: "claims",
});

to_json!(core::ContainerResizePolicy {
    resource_name: "resourceName",
    restart_policy: "restartPolicy",
});

to_json!(core::ContainerRestartRule {
    action: "action" omitempty,
    exit_codes: "exitCodes",
});

to_json!(core::VolumeMount {
    name: "name",
    read_only: "readOnly" omitempty,
    recursive_read_only: "recursiveReadOnly",
    mount_path: "mountPath",
    sub_path: "subPath" omitempty,
    mount_propagation: "mountPropagation",
    sub_path_expr: "subPathExpr" omitempty,
});

to_json!(core::VolumeDevice {
    name: "name",
    device_path: "devicePath",
});

to_json!(core::Probe {
    handler: inline,
    initial_delay_seconds: "initialDelaySeconds" omitempty,
    timeout_seconds: "timeoutSeconds" omitempty,
    period_seconds: "periodSeconds" omitempty,
    success_threshold: "successThreshold" omitempty,
    failure_threshold: "failureThreshold" omitempty,
    termination_grace_period_seconds: "terminationGracePeriodSeconds",
});

to_json!(core::Lifecycle {
    post_start: "postStart",
    pre_stop: "preStop",
    stop_signal: "stopSignal",
});

to_json!(core::SecurityContext {
    capabilities: "capabilities",
    privileged: "privileged",
    se_linux_options: "seLinuxOptions",
    windows_options: "windowsOptions",
    run_as_user: "runAsUser",
    run_as_group: "runAsGroup",
    run_as_non_root: "runAsNonRoot",
    read_only_root_filesystem: "readOnlyRootFilesystem",
    allow_privilege_escalation: "allowPrivilegeEscalation",
    proc_mount: "procMount",
    seccomp_profile: "seccompProfile",
    app_armor_profile: "appArmorProfile",
});

to_json!(core::ConfigMapEnvSource {
    local_object_reference: inline,
    optional: "optional",
});

to_json!(core::SecretEnvSource {
    local_object_reference: inline,
    optional: "optional",
});

to_json!(core::EnvVarSource {
    field_ref: "fieldRef",
    resource_field_ref: "resourceFieldRef",
    config_map_key_ref: "configMapKeyRef",
    secret_key_ref: "secretKeyRef",
    file_key_ref: "fileKeyRef",
});

to_json!(core::ResourceClaim {
    name: "name",
    request: "request" omitempty,
});

to_json!(core::ContainerRestartRuleOnExitCodes {
    operator: "operator" omitempty,
    values: "values",
});

to_json!(core::ProbeHandler {
    exec: "exec",
    http_get: "httpGet",
    tcp_socket: "tcpSocket",
    grpc: "grpc",
});

to_json!(core::LifecycleHandler {
    exec: "exec",
    http_get: "httpGet",
    tcp_socket: "tcpSocket",
    sleep: "sleep",
});

to_json!(core::Capabilities {
    add: "add",
    drop: "drop",
});

to_json!(core::SeLinuxOptions {
    user: "user" omitempty,
    role: "role" omitempty,
    r#type: "type" omitempty,
    level: "level" omitempty,
});

to_json!(core::WindowsSecurityContextOptions {
    gmsa_credential_spec_name: "gmsaCredentialSpecName",
    gmsa_credential_spec: "gmsaCredentialSpec",
    run_as_user_name: "runAsUserName",
    host_process: "hostProcess",
});

to_json!(core::SeccompProfile {
    r#type: "type",
    localhost_profile: "localhostProfile",
});

to_json!(core::AppArmorProfile {
    r#type: "type",
    localhost_profile: "localhostProfile",
});

to_json!(core::ConfigMapKeySelector {
    local_object_reference: inline,
    key: "key",
    optional: "optional",
});

to_json!(core::SecretKeySelector {
    local_object_reference: inline,
    key: "key",
    optional: "optional",
});

to_json!(core::FileKeySelector {
    volume_name: "volumeName",
    path: "path",
    key: "key",
    optional: "optional",
});

to_json!(core::ExecAction { command: "command" });

to_json!(core::HttpGetAction {
    path: "path" omitempty,
    port: "port",
    host: "host" omitempty,
    scheme: "scheme" omitempty,
    http_headers: "httpHeaders",
});

to_json!(core::TcpSocketAction {
    port: "port",
    host: "host" omitempty,
});

to_json!(core::GrpcAction {
    port: "port",
    service: "service",
});

to_json!(core::SleepAction { seconds: "seconds" });

to_json!(core::HttpHeader {
    name: "name",
    value: "value",
});

to_json!(core::EphemeralContainer {
    ephemeral_container_common: inline,
    target_container_name: "targetContainerName" omitempty,
});

to_json!(core::EphemeralContainerCommon {
    name: "name",
    image: "image" omitempty,
    command: "command",
    args: "args",
    working_dir: "workingDir" omitempty,
    ports: "ports",
    env_from: "envFrom",
    env: "env",
    resources: "resources",
    resize_policy: "resizePolicy",
    restart_policy: "restartPolicy",
    restart_policy_rules: "restartPolicyRules",
    volume_mounts: "volumeMounts",
    volume_devices: "volumeDevices",
    liveness_probe: "livenessProbe",
    readiness_probe: "readinessProbe",
    startup_probe: "startupProbe",
    lifecycle: "lifecycle",
    termination_message_path: "terminationMessagePath" omitempty,
    termination_message_policy: "terminationMessagePolicy" omitempty,
    image_pull_policy: "imagePullPolicy" omitempty,
    security_context: "securityContext",
    stdin: "stdin" omitempty,
    stdin_once: "stdinOnce" omitempty,
    tty: "tty" omitempty,
});

to_json!(core::ContainerStatus {
    name: "name",
    state: "state",
    last_state: "lastState",
    ready: "ready",
    restart_count: "restartCount",
    image: "image",
    image_id: "imageID",
    container_id: "containerID" omitempty,
    started: "started",
    allocated_resources: "allocatedResources" omitempty,
    resources: "resources",
    volume_mounts: "volumeMounts",
    user: "user",
    allocated_resources_status: "allocatedResourcesStatus",
    stop_signal: "stopSignal",
});

to_json!(core::ContainerState {
    waiting: "waiting",
    running: "running",
    terminated: "terminated",
});

to_json!(core::VolumeMountStatus {
    name: "name",
    mount_path: "mountPath",
    read_only: "readOnly" omitempty,
    recursive_read_only: "recursiveReadOnly",
});

to_json!(core::ContainerUser { linux: "linux" });

to_json!(core::ResourceStatus {
    name: "name",
    resources: "resources",
});

to_json!(core::ContainerStateWaiting {
    reason: "reason" omitempty,
    message: "message" omitempty,
});

to_json!(core::ContainerStateRunning {
    started_at: "startedAt",
});

to_json!(core::ContainerStateTerminated {
    exit_code: "exitCode",
    signal: "signal" omitempty,
    reason: "reason" omitempty,
    message: "message" omitempty,
    started_at: "startedAt",
    finished_at: "finishedAt",
    container_id: "containerID" omitempty,
});

to_json!(core::LinuxContainerUser {
    uid: "uid",
    gid: "gid",
    supplemental_groups: "supplementalGroups",
});

to_json!(core::ResourceHealth {
    resource_id: "resourceID",
    health: "health" omitempty,
});
