//! JSON names of `Volume` and its sources (`emptyDir`, `configMap`, `secret`, `projected`, ...).
//!
//! Go types: k8s.io/api `core/v1/types.go`. A `Volume` embeds its `VolumeSource` inline
//! (`{"name": "data", "emptyDir": {}}`), and the ConfigMap/Secret references embed a
//! `LocalObjectReference` (`name`) the same way.

use super::json::to_json;
use k8s_pb::api::core::v1 as core;

to_json!(core::Volume {
    name: "name",
    volume_source: inline,
});

to_json!(core::VolumeSource {
    host_path: "hostPath",
    empty_dir: "emptyDir",
    gce_persistent_disk: "gcePersistentDisk",
    aws_elastic_block_store: "awsElasticBlockStore",
    git_repo: "gitRepo",
    secret: "secret",
    nfs: "nfs",
    iscsi: "iscsi",
    glusterfs: "glusterfs",
    persistent_volume_claim: "persistentVolumeClaim",
    rbd: "rbd",
    flex_volume: "flexVolume",
    cinder: "cinder",
    cephfs: "cephfs",
    flocker: "flocker",
    downward_api: "downwardAPI",
    fc: "fc",
    azure_file: "azureFile",
    config_map: "configMap",
    vsphere_volume: "vsphereVolume",
    quobyte: "quobyte",
    azure_disk: "azureDisk",
    photon_persistent_disk: "photonPersistentDisk",
    projected: "projected",
    portworx_volume: "portworxVolume",
    scale_io: "scaleIO",
    storageos: "storageos",
    csi: "csi",
    ephemeral: "ephemeral",
    image: "image",
});

to_json!(core::HostPathVolumeSource {
    path: "path",
    r#type: "type",
});

to_json!(core::EmptyDirVolumeSource {
    medium: "medium" omitempty,
    size_limit: "sizeLimit",
});

to_json!(core::GcePersistentDiskVolumeSource {
    pd_name: "pdName",
    fs_type: "fsType" omitempty,
    partition: "partition" omitempty,
    read_only: "readOnly" omitempty,
});

to_json!(core::AwsElasticBlockStoreVolumeSource {
    volume_id: "volumeID",
    fs_type: "fsType" omitempty,
    partition: "partition" omitempty,
    read_only: "readOnly" omitempty,
});

to_json!(core::GitRepoVolumeSource {
    repository: "repository",
    revision: "revision" omitempty,
    directory: "directory" omitempty,
});

to_json!(core::SecretVolumeSource {
    secret_name: "secretName" omitempty,
    items: "items",
    default_mode: "defaultMode",
    optional: "optional",
});

to_json!(core::NfsVolumeSource {
    server: "server",
    path: "path",
    read_only: "readOnly" omitempty,
});

to_json!(core::IscsiVolumeSource {
    target_portal: "targetPortal",
    iqn: "iqn",
    lun: "lun",
    iscsi_interface: "iscsiInterface" omitempty,
    fs_type: "fsType" omitempty,
    read_only: "readOnly" omitempty,
    portals: "portals",
    chap_auth_discovery: "chapAuthDiscovery" omitempty,
    chap_auth_session: "chapAuthSession" omitempty,
    secret_ref: "secretRef",
    initiator_name: "initiatorName",
});

to_json!(core::GlusterfsVolumeSource {
    endpoints: "endpoints",
    path: "path",
    read_only: "readOnly" omitempty,
});

to_json!(core::PersistentVolumeClaimVolumeSource {
    claim_name: "claimName",
    read_only: "readOnly" omitempty,
});

to_json!(core::RbdVolumeSource {
    monitors: "monitors",
    image: "image",
    fs_type: "fsType" omitempty,
    pool: "pool" omitempty,
    user: "user" omitempty,
    keyring: "keyring" omitempty,
    secret_ref: "secretRef",
    read_only: "readOnly" omitempty,
});

to_json!(core::FlexVolumeSource {
    driver: "driver",
    fs_type: "fsType" omitempty,
    secret_ref: "secretRef",
    read_only: "readOnly" omitempty,
    options: "options",
});

to_json!(core::CinderVolumeSource {
    volume_id: "volumeID",
    fs_type: "fsType" omitempty,
    read_only: "readOnly" omitempty,
    secret_ref: "secretRef",
});

to_json!(core::CephFsVolumeSource {
    monitors: "monitors",
    path: "path" omitempty,
    user: "user" omitempty,
    secret_file: "secretFile" omitempty,
    secret_ref: "secretRef",
    read_only: "readOnly" omitempty,
});

to_json!(core::FlockerVolumeSource {
    dataset_name: "datasetName" omitempty,
    dataset_uuid: "datasetUUID" omitempty,
});

to_json!(core::DownwardAPIVolumeSource {
    items: "items",
    default_mode: "defaultMode",
});

to_json!(core::FcVolumeSource {
    target_ww_ns: "targetWWNs",
    lun: "lun",
    fs_type: "fsType" omitempty,
    read_only: "readOnly" omitempty,
    wwids: "wwids",
});

to_json!(core::AzureFileVolumeSource {
    secret_name: "secretName",
    share_name: "shareName",
    read_only: "readOnly" omitempty,
});

to_json!(core::ConfigMapVolumeSource {
    local_object_reference: inline,
    items: "items",
    default_mode: "defaultMode",
    optional: "optional",
});

to_json!(core::VsphereVirtualDiskVolumeSource {
    volume_path: "volumePath",
    fs_type: "fsType" omitempty,
    storage_policy_name: "storagePolicyName" omitempty,
    storage_policy_id: "storagePolicyID" omitempty,
});

to_json!(core::QuobyteVolumeSource {
    registry: "registry",
    volume: "volume",
    read_only: "readOnly" omitempty,
    user: "user" omitempty,
    group: "group" omitempty,
    tenant: "tenant" omitempty,
});

to_json!(core::AzureDiskVolumeSource {
    disk_name: "diskName",
    disk_uri: "diskURI",
    caching_mode: "cachingMode",
    fs_type: "fsType",
    read_only: "readOnly",
    kind: "kind",
});

to_json!(core::PhotonPersistentDiskVolumeSource {
    pd_id: "pdID",
    fs_type: "fsType" omitempty,
});

to_json!(core::ProjectedVolumeSource {
    sources: "sources",
    default_mode: "defaultMode",
});

to_json!(core::PortworxVolumeSource {
    volume_id: "volumeID",
    fs_type: "fsType" omitempty,
    read_only: "readOnly" omitempty,
});

to_json!(core::ScaleIoVolumeSource {
    gateway: "gateway",
    system: "system",
    secret_ref: "secretRef",
    ssl_enabled: "sslEnabled" omitempty,
    protection_domain: "protectionDomain" omitempty,
    storage_pool: "storagePool" omitempty,
    storage_mode: "storageMode" omitempty,
    volume_name: "volumeName" omitempty,
    fs_type: "fsType" omitempty,
    read_only: "readOnly" omitempty,
});

to_json!(core::StorageOsVolumeSource {
    volume_name: "volumeName" omitempty,
    volume_namespace: "volumeNamespace" omitempty,
    fs_type: "fsType" omitempty,
    read_only: "readOnly" omitempty,
    secret_ref: "secretRef",
});

to_json!(core::CSIVolumeSource {
    driver: "driver",
    read_only: "readOnly",
    fs_type: "fsType",
    volume_attributes: "volumeAttributes",
    node_publish_secret_ref: "nodePublishSecretRef",
});

to_json!(core::EphemeralVolumeSource {
    volume_claim_template: "volumeClaimTemplate",
});

to_json!(core::ImageVolumeSource {
    reference: "reference" omitempty,
    pull_policy: "pullPolicy" omitempty,
});

to_json!(core::KeyToPath {
    key: "key",
    path: "path",
    mode: "mode",
});

to_json!(core::LocalObjectReference {
    name: "name" omitempty,
});

to_json!(core::DownwardAPIVolumeFile {
    path: "path",
    field_ref: "fieldRef",
    resource_field_ref: "resourceFieldRef",
    mode: "mode",
});

to_json!(core::VolumeProjection {
    secret: "secret",
    downward_api: "downwardAPI",
    config_map: "configMap",
    service_account_token: "serviceAccountToken",
    cluster_trust_bundle: "clusterTrustBundle",
    pod_certificate: "podCertificate",
});

to_json!(core::PersistentVolumeClaimTemplate {
    metadata: "metadata",
    spec: "spec",
});

to_json!(core::ObjectFieldSelector {
    api_version: "apiVersion" omitempty,
    field_path: "fieldPath",
});

to_json!(core::ResourceFieldSelector {
    container_name: "containerName" omitempty,
    resource: "resource",
    divisor: "divisor" omitempty,
});

to_json!(core::SecretProjection {
    local_object_reference: inline,
    items: "items",
    optional: "optional",
});

to_json!(core::DownwardAPIProjection { items: "items" });

to_json!(core::ConfigMapProjection {
    local_object_reference: inline,
    items: "items",
    optional: "optional",
});

to_json!(core::ServiceAccountTokenProjection {
    audience: "audience" omitempty,
    expiration_seconds: "expirationSeconds",
    path: "path",
});

to_json!(core::ClusterTrustBundleProjection {
    name: "name",
    signer_name: "signerName",
    label_selector: "labelSelector",
    optional: "optional",
    path: "path",
});

to_json!(core::PodCertificateProjection {
    signer_name: "signerName" omitempty,
    key_type: "keyType" omitempty,
    max_expiration_seconds: "maxExpirationSeconds",
    credential_bundle_path: "credentialBundlePath" omitempty,
    key_path: "keyPath" omitempty,
    certificate_chain_path: "certificateChainPath" omitempty,
    user_annotations: "userAnnotations",
});

to_json!(core::PersistentVolumeClaimSpec {
    access_modes: "accessModes",
    selector: "selector",
    resources: "resources",
    volume_name: "volumeName" omitempty,
    storage_class_name: "storageClassName",
    volume_mode: "volumeMode",
    data_source: "dataSource",
    data_source_ref: "dataSourceRef",
    volume_attributes_class_name: "volumeAttributesClassName",
});

to_json!(core::VolumeResourceRequirements {
    limits: "limits" omitempty,
    requests: "requests" omitempty,
});

to_json!(core::TypedLocalObjectReference {
    api_group: "apiGroup",
    kind: "kind",
    name: "name",
});

to_json!(core::TypedObjectReference {
    api_group: "apiGroup",
    kind: "kind",
    name: "name",
    namespace: "namespace",
});
