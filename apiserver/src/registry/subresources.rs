//! Subresources with their own shape: `pods/binding` and `deployments|replicasets/scale`.
//! (`/status` is an ordinary update restricted to `.status`; see `update.rs`.)
//! Upstream: `pkg/registry/core/pod/storage/storage.go` (BindingREST) and
//! `pkg/registry/apps/deployment/storage/storage.go` (ScaleREST).

use super::update::{parse_rv, Part};
use super::Registry;
use crate::resources::Resource;
use machinery::{meta, ApiError};
use serde_json::{json, Value};

impl Registry {
    /// `POST .../pods/NAME/binding`: the scheduler's decision. Sets `spec.nodeName` once and
    /// marks the pod `PodScheduled`. Binding an already bound pod is a 409.
    pub async fn bind(
        &self,
        pods: &Resource,
        ns: &str,
        name: &str,
        binding: &Value,
    ) -> Result<(), ApiError> {
        let node = binding
            .pointer("/target/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if node.is_empty() {
            return Err(ApiError::invalid(
                "",
                "Binding",
                name,
                vec![machinery::StatusCause::required("target.name")],
            ));
        }
        let uid_wanted = binding
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .map(str::to_string);
        self.guaranteed_update(pods, ns, name, None, Part::Main, |pod| {
            let current = pod
                .pointer("/spec/nodeName")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !current.is_empty() {
                return Err(ApiError::conflict(
                    "",
                    "pods/binding",
                    name,
                    &format!("pod {name} is already assigned to node {current:?}"),
                ));
            }
            if !meta::meta_str(pod, "deletionTimestamp").is_empty() {
                return Err(ApiError::conflict(
                    "",
                    "pods/binding",
                    name,
                    &format!("pod {name} is being deleted, cannot be assigned to a host"),
                ));
            }
            if uid_wanted.as_deref().is_some_and(|u| u != meta::uid(pod)) {
                return Err(ApiError::conflict(
                    "",
                    "pods/binding",
                    name,
                    "the pod's uid does not match the binding",
                ));
            }
            let mut pod = pod.clone();
            pod["spec"]["nodeName"] = json!(node);
            Ok(pod)
        })
        .await?;
        // The condition lives in status, which the main endpoint does not write.
        self.guaranteed_update(pods, ns, name, None, Part::Status, |pod| {
            let mut pod = pod.clone();
            let mut conditions: Vec<Value> = pod
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            conditions.retain(|c| c.get("type") != Some(&json!("PodScheduled")));
            conditions.push(json!({"type": "PodScheduled", "status": "True",
                "lastProbeTime": null, "lastTransitionTime": meta::now_rfc3339()}));
            pod["status"]["conditions"] = Value::Array(conditions);
            Ok(pod)
        })
        .await?;
        Ok(())
    }

    /// `GET .../deployments/NAME/scale`: the object's replicas as an `autoscaling/v1` Scale.
    pub async fn get_scale(&self, res: &Resource, ns: &str, name: &str) -> Result<Value, ApiError> {
        Ok(to_scale(&self.get(res, ns, name).await?))
    }

    /// `PUT`/`PATCH .../scale`: `update` turns the current Scale into the desired one; its
    /// `spec.replicas` is written to the parent (pinned to the Scale's resourceVersion if set).
    pub async fn set_scale<F>(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        update: F,
    ) -> Result<Value, ApiError>
    where
        F: Fn(Value) -> Result<Value, ApiError>,
    {
        let current = self.get(res, ns, name).await?;
        let desired = update(to_scale(&current))?;
        let replicas = desired
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .filter(|r| *r >= 0)
            .ok_or_else(|| {
                ApiError::invalid(
                    "autoscaling",
                    "Scale",
                    name,
                    vec![machinery::StatusCause::invalid(
                        "spec.replicas",
                        &desired
                            .pointer("/spec/replicas")
                            .map(Value::to_string)
                            .unwrap_or_default(),
                        "must be greater than or equal to 0",
                    )],
                )
            })?;
        let precondition = parse_rv(meta::resource_version(&desired))?;
        let updated = self
            .guaranteed_update(res, ns, name, precondition, Part::Main, |obj| {
                let mut obj = obj.clone();
                obj["spec"]["replicas"] = json!(replicas);
                Ok(obj)
            })
            .await?;
        Ok(to_scale(&updated))
    }
}

/// Build the Scale view of a Deployment or ReplicaSet.
fn to_scale(obj: &Value) -> Value {
    let m = meta::metadata(obj).cloned().unwrap_or_default();
    let selector = obj
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m.get("name"), "namespace": m.get("namespace"), "uid": m.get("uid"),
            "resourceVersion": m.get("resourceVersion"), "creationTimestamp": m.get("creationTimestamp"),
        },
        "spec": {"replicas": obj.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {
            "replicas": obj.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector,
        },
    })
}
