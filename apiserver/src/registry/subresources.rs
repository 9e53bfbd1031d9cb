//! Subresources with their own shape: `pods/binding` and `deployments|replicasets/scale`.
//! (`/status` is an ordinary update restricted to `.status`; see `update.rs`.)
//! Upstream: `pkg/registry/core/pod/storage/storage.go` (BindingREST) and
//! `pkg/registry/apps/deployment/storage/storage.go` (ScaleREST).

use super::update::Part;
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
        // One write for both, as upstream's `assignPod`: no watcher ever sees a bound pod
        // without its PodScheduled condition.
        self.guaranteed_update(pods, ns, name, None, Part::Whole, |pod| {
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

    /// `PUT`/`PATCH .../scale`: `update` turns the current Scale into the desired one, and its
    /// `spec.replicas` is written to the parent. Inside the update loop, so a concurrent
    /// write by a controller is simply re-read; the write is pinned to a resourceVersion only
    /// when the client gave one (`precondition`).
    pub async fn set_scale<F>(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        precondition: Option<i64>,
        update: F,
    ) -> Result<Value, ApiError>
    where
        F: Fn(Value) -> Result<Value, ApiError>,
    {
        let updated = self
            .guaranteed_update(res, ns, name, precondition, Part::Main, |obj| {
                let desired = update(to_scale(obj))?;
                let replicas = desired
                    .pointer("/spec/replicas")
                    .and_then(Value::as_i64)
                    .filter(|r| (0..=i32::MAX as i64).contains(r))
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
        .pointer("/spec/selector")
        .map(selector_string)
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

/// A LabelSelector object as the string form clients parse (`app=web,tier in (a,b)`), as
/// upstream's `metav1.LabelSelectorAsSelector(...).String()`.
fn selector_string(selector: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            parts.push(format!("{k}={}", v.as_str().unwrap_or("")));
        }
    }
    for expr in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = expr.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = expr
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match expr.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => parts.push(format!("{key} in ({})", values.join(","))),
            "NotIn" => parts.push(format!("{key} notin ({})", values.join(","))),
            "Exists" => parts.push(key.to_string()),
            "DoesNotExist" => parts.push(format!("!{key}")),
            _ => {}
        }
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_selector_with_labels_and_expressions_becomes_its_string_form() {
        let sel = json!({"matchLabels": {"app": "web"}, "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["a", "b"]},
            {"key": "canary", "operator": "DoesNotExist"}]});
        assert_eq!(selector_string(&sel), "app=web,tier in (a,b),!canary");
    }
}
