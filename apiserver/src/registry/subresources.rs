//! Subresources with their own shape: `pods/binding` and `deployments|replicasets/scale`
//! (put, the three patch formats, and server-side apply; a write through `/scale` owns the
//! parent's `spec.replicas`, recorded with `subresource: scale`).
//! (`/status` is an ordinary update restricted to `.status`; see `update.rs`.)
//! Upstream: `pkg/registry/core/pod/storage/storage.go` (BindingREST) and
//! `pkg/registry/apps/deployment/storage/storage.go` (ScaleREST).

use super::apply::{FieldManager, Tracking};
use super::field_validation::FieldValidation;
use super::patch::PatchType;
use super::update::{parse_rv, Part};
use super::Registry;
use crate::resources::Resource;
use machinery::{meta, ApiError};
use serde_json::{json, Value};
use std::sync::Mutex;

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
        self.set_scale_tracked(res, ns, name, precondition, Tracking::None, update)
            .await
    }

    /// [`Registry::set_scale`] recording the writer's ownership of the parent's
    /// `spec.replicas` (an entry with `subresource: scale`, as upstream's `ScaleHandler`
    /// records it on the parent).
    pub async fn set_scale_tracked<F>(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        precondition: Option<i64>,
        tracking: Tracking<'_>,
        update: F,
    ) -> Result<Value, ApiError>
    where
        F: Fn(Value) -> Result<Value, ApiError>,
    {
        let updated = self
            .guaranteed_update_tracked(res, ns, name, precondition, Part::Main, tracking, |obj| {
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

impl Registry {
    /// `PATCH .../scale` in a merge, JSON or strategic format, recorded for `fm` (an
    /// `Endpoint::Scale` field manager). The patched Scale is checked for unknown fields as
    /// `validation` says; the answer is the new Scale and the warnings.
    pub async fn patch_scale(
        &self,
        fm: &FieldManager,
        ns: &str,
        name: &str,
        kind: PatchType,
        patch: &Value,
        validation: FieldValidation,
    ) -> Result<(Value, Vec<String>), ApiError> {
        // Pinned only if the patch itself names a resourceVersion.
        let pinned = match kind {
            PatchType::Json | PatchType::Apply => None,
            PatchType::Merge | PatchType::Strategic => parse_rv(
                patch
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            )?,
        };
        let warnings = Mutex::new(Vec::new());
        let scale = self
            .set_scale_tracked(fm.res, ns, name, pinned, Tracking::Update(fm), |scale| {
                let new = super::patch::apply(kind, &scale, patch)?;
                let found = validation.check_patched(kind, patch, &new, &decode_scale(&new)?)?;
                *warnings.lock().unwrap_or_else(|e| e.into_inner()) = found;
                Ok(new)
            })
            .await?;
        let warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
        Ok((scale, warnings))
    }

    /// Server-side apply of a Scale (`kubectl apply --server-side --subresource=scale`): its
    /// `spec.replicas` is applied to the parent by `fm` (made for the scale endpoint, so it
    /// owns nothing else).
    pub async fn apply_scale(
        &self,
        fm: &FieldManager,
        ns: &str,
        name: &str,
        scale: &Value,
        force: bool,
    ) -> Result<Value, ApiError> {
        let text = |f: &str| scale.get(f).and_then(Value::as_str).unwrap_or("");
        if (text("apiVersion"), text("kind")) != ("autoscaling/v1", "Scale") {
            return Err(ApiError::bad_request(format!(
                "invalid object type: {}, Kind={}",
                text("apiVersion"),
                text("kind")
            )));
        }
        if scale
            .pointer("/metadata/managedFields")
            .is_some_and(|m| !m.is_null())
        {
            return Err(ApiError::bad_request("metadata.managedFields must be nil"));
        }
        // The parent's view of the applied Scale: only replicas (and identity) are in it.
        let mut config = json!({"apiVersion": fm.res.api_version(), "kind": fm.res.kind,
            "metadata": {"name": name}});
        if let Some(replicas) = scale.pointer("/spec/replicas") {
            config["spec"] = json!({"replicas": replicas});
        }
        let updated = self
            .guaranteed_update_tracked(
                fm.res,
                ns,
                name,
                None,
                Part::Main,
                Tracking::Apply,
                |current| fm.apply(Some(current), &config, force),
            )
            .await?;
        Ok(to_scale(&updated))
    }
}

/// A patched Scale through its type, as a patched object of any kind is (unknown fields are
/// dropped, wrong types are a 400).
fn decode_scale(scale: &Value) -> Result<Value, ApiError> {
    use k8s_openapi::api::autoscaling::v1::Scale;
    serde_json::from_value::<Scale>(scale.clone())
        .and_then(serde_json::to_value)
        .map_err(|e| {
            ApiError::bad_request(format!(
                "Scale in version \"v1\" cannot be handled as a Scale: {e}"
            ))
        })
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
