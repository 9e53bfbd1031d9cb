//! The volumes of a pod: each named once, each with exactly one source.
//!
//! Upstream: `ValidateVolumes` and `validateVolumeSource` in
//! `pkg/apis/core/validation/validation.go`. Of each source we check only the one field it
//! cannot do without (a Secret's `secretName`, ...); upstream checks every source in depth.

use super::{child, index, names};
use machinery::validation_causes as cause;
use machinery::StatusCause;
use serde_json::Value;
use std::collections::HashSet;

/// The volume sources a volume may have, in the order upstream checks them. Each entry is
/// (JSON field, the path segment upstream reports it under: two of them differ, upstream's
/// historical typos).
const VOLUME_SOURCES: &[(&str, &str)] = &[
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
];

/// Volumes: a DNS-label name, unique, and exactly one source. Returns the names of the
/// *valid* volumes: as upstream, a mount of a volume that had errors is also "not found".
pub fn validate_volumes(list: &[Value], path: &str) -> (HashSet<String>, Vec<StatusCause>) {
    let mut valid = HashSet::new();
    let mut causes = Vec::new();
    for (i, vol) in list.iter().enumerate() {
        let p = index(path, i);
        let mut errs = validate_volume_source(vol, &p);
        let name = super::str_at(vol, "/name");
        if name.is_empty() {
            errs.push(cause::required(&child(&p, "name"), ""));
        } else {
            for msg in names::dns1123_label_errors(name) {
                errs.push(cause::invalid(&child(&p, "name"), name, &msg));
            }
        }
        if valid.contains(name) {
            errs.push(cause::duplicate(&child(&p, "name"), name));
        }
        if errs.is_empty() {
            valid.insert(name.to_string());
        }
        causes.extend(errs);
    }
    (valid, causes)
}

/// Exactly one source, and the one field each common source cannot do without.
fn validate_volume_source(vol: &Value, path: &str) -> Vec<StatusCause> {
    let mut causes = Vec::new();
    let mut found = 0;
    for (field, reported) in VOLUME_SOURCES {
        if !super::has(vol, &format!("/{field}")) {
            continue;
        }
        if found > 0 {
            causes.push(cause::forbidden(
                &child(path, reported),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        found += 1;
        let required = match *field {
            "hostPath" => Some("path"),
            "secret" => Some("secretName"),
            "configMap" => Some("name"),
            "persistentVolumeClaim" => Some("claimName"),
            _ => None,
        };
        if let Some(sub) = required {
            if super::str_at(vol, &format!("/{field}/{sub}")).is_empty() {
                causes.push(cause::required(&child(&child(path, field), sub), ""));
            }
        }
    }
    if found == 0 {
        causes.push(cause::required(path, "must specify a volume type"));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn two_sources_are_one_too_many() {
        let (valid, causes) = validate_volumes(
            &[json!({"name": "a", "emptyDir": {}, "hostPath": {"path": "/x"}})],
            "spec.volumes",
        );
        assert!(valid.is_empty(), "a volume with errors cannot be mounted");
        assert_eq!(
            causes,
            vec![cause::forbidden(
                "spec.volumes[0].hostPath",
                "may not specify more than 1 volume type"
            )]
        );
    }

    #[test]
    fn common_sources_need_their_one_field() {
        let (_, causes) = validate_volumes(&[json!({"name": "s", "secret": {}})], "spec.volumes");
        assert_eq!(
            causes,
            vec![cause::required("spec.volumes[0].secret.secretName", "")]
        );
    }
}
