//! PATCH: change part of an object without sending all of it.
//!
//! The patch is applied to the *current* object inside [`Registry::guaranteed_update`], so a
//! patch never loses a concurrent change (it is simply re-applied to the newer object).
//! Kubernetes has four patch formats, chosen by `Content-Type`:
//!
//! - **JSON merge patch** (RFC 7386, `application/merge-patch+json`): a partial object;
//!   objects merge key by key, `null` deletes a key, anything else (lists too) replaces.
//!   `kubectl label`, `annotate` and `scale` use it.
//! - **JSON patch** (RFC 6902, `application/json-patch+json`): a list of operations
//!   (`add`, `remove`, `replace`, `move`, `copy`, `test`) on JSON pointers.
//! - **Strategic merge patch** (`application/strategic-merge-patch+json`): a merge patch whose
//!   lists merge by key, as `kubectl apply` and `kubectl set image` need (see `strategic.rs`).
//! - **Server-side apply** (`application/apply-patch+yaml`): the fields a manager wants, merged
//!   with ownership and conflicts; `Registry::apply_patch` in `apply/write.rs`.
//!
//! The patched object is checked for fields the server does not know, as `fieldValidation`
//! says (see `field_validation.rs`). Upstream: `endpoints/handlers/patch.go`.

use super::apply::Tracking;
use super::field_validation::FieldValidation;
use super::update::Part;
use super::Registry;
use crate::resources::Resource;
use machinery::ApiError;
use serde_json::Value;
use std::sync::Mutex;

/// The patch formats, by Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
    /// Server-side apply.
    Apply,
}

impl PatchType {
    /// The patch type for a Content-Type, or 415 Unsupported Media Type.
    pub fn from_content_type(content_type: &str) -> Result<Self, ApiError> {
        match content_type.split(';').next().unwrap_or("").trim() {
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" => Ok(PatchType::Apply),
            other => Err(ApiError {
                message: format!(
                    "the body of the request was in an unknown format ({other:?}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
                ),
                ..ApiError::unsupported_media_type(other)
            }),
        }
    }
}

impl Registry {
    /// Apply `patch` to the current object and write the result (no ownership recorded,
    /// unknown fields dropped quietly).
    pub async fn patch(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        kind: PatchType,
        patch: &Value,
        part: Part,
    ) -> Result<Value, ApiError> {
        let patched = self
            .patch_tracked(
                res,
                ns,
                name,
                (kind, patch),
                part,
                Tracking::None,
                FieldValidation::Ignore,
            )
            .await?;
        Ok(patched.0)
    }

    /// [`Registry::patch`] recording ownership as `tracking` says and checking unknown fields
    /// as `validation` says. Returns the stored object and the warnings for the client.
    #[allow(clippy::too_many_arguments)]
    pub async fn patch_tracked(
        &self,
        res: &Resource,
        ns: &str,
        name: &str,
        (kind, patch): (PatchType, &Value),
        part: Part,
        tracking: Tracking<'_>,
        validation: FieldValidation,
    ) -> Result<(Value, Vec<String>), ApiError> {
        // A resourceVersion inside a merge patch pins the write to that version.
        let precondition = match patch
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
        {
            Some(rv) if kind != PatchType::Json => super::update::parse_rv(rv)?,
            _ => None,
        };
        // Each try of the update loop recomputes them; the last try's are the answer's.
        let warnings = Mutex::new(Vec::new());
        let updated = self
            .guaranteed_update_tracked(res, ns, name, precondition, part, tracking, |current| {
                let mut new = apply(kind, current, patch)?;
                check_name(&new, name)?;
                super::check_kind(res, &mut new)?;
                let decoded = super::decode_typed(res, new.clone())?;
                let found = validation.check_patched(kind, patch, &new, &decoded)?;
                *warnings.lock().unwrap_or_else(|e| e.into_inner()) = found;
                Ok(decoded)
            })
            .await?;
        let warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
        Ok((updated, warnings))
    }
}

/// The object a patch made must keep the name in the URL.
pub(crate) fn check_name(obj: &Value, name: &str) -> Result<(), ApiError> {
    let new_name = machinery::meta::name(obj);
    if new_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({new_name}) does not match the name on the URL ({name})"
        )));
    }
    Ok(())
}

/// Apply a merge, JSON or strategic patch to `target`. (An apply patch needs ownership to
/// merge, so it goes through [`Registry::apply_patch`] instead; here it is a 415.)
pub fn apply(kind: PatchType, target: &Value, patch: &Value) -> Result<Value, ApiError> {
    match kind {
        PatchType::Apply => Err(ApiError::unsupported_media_type(
            "application/apply-patch+yaml",
        )),
        PatchType::Merge => {
            if !patch.is_object() {
                return Err(ApiError::bad_request("a merge patch must be a JSON object"));
            }
            let mut out = target.clone();
            merge_patch(&mut out, patch);
            Ok(out)
        }
        PatchType::Json => json_patch(target, patch),
        PatchType::Strategic => super::strategic::apply(target, patch),
    }
}

/// RFC 7386: merge `patch` into `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let Value::Object(target_map) = target else {
        return;
    };
    for (key, value) in patch_map {
        if value.is_null() {
            target_map.remove(key);
        } else {
            merge_patch(target_map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// At most this many operations in one JSON patch (upstream's limit).
const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;
/// At most this many bytes added by `copy` operations. Without a budget, a few dozen
/// `{"op":"copy","from":"","path":"/x"}` double the object each time until memory runs out.
/// Upstream caps it too (`JSONPatchMaxCopyBytes`), at the request body limit.
const MAX_JSON_PATCH_COPY_BYTES: usize = 3 * 1024 * 1024;

/// RFC 6902: apply each operation in order; any failure rejects the whole patch.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, ApiError> {
    let ops = patch
        .as_array()
        .ok_or_else(|| ApiError::bad_request("a JSON patch must be a list of operations"))?;
    if ops.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(ApiError::bad_request(format!(
            "a JSON patch may have at most {MAX_JSON_PATCH_OPERATIONS} operations, this one has {}",
            ops.len()
        )));
    }
    let mut copied = 0usize;
    let mut doc = target.clone();
    for op in ops {
        let field = |f: &str| op.get(f).and_then(Value::as_str);
        let name = field("op")
            .ok_or_else(|| ApiError::bad_request("a JSON patch operation needs \"op\""))?;
        let path = field("path").ok_or_else(|| {
            ApiError::bad_request(format!("the {name:?} operation needs \"path\""))
        })?;
        let value = || {
            op.get("value").cloned().ok_or_else(|| {
                ApiError::bad_request(format!("the {name:?} operation needs \"value\""))
            })
        };
        match name {
            "add" => add(&mut doc, path, value()?)?,
            "remove" => {
                remove(&mut doc, path)?;
            }
            "replace" => {
                remove(&mut doc, path)?;
                add(&mut doc, path, value()?)?;
            }
            "move" | "copy" => {
                let from = field("from").ok_or_else(|| {
                    ApiError::bad_request(format!("the {name:?} operation needs \"from\""))
                })?;
                let moved = if name == "move" {
                    remove(&mut doc, from)?
                } else {
                    let value = doc.pointer(from).cloned().ok_or_else(|| missing(from))?;
                    copied += serde_json::to_vec(&value).map(|v| v.len()).unwrap_or(0);
                    if copied > MAX_JSON_PATCH_COPY_BYTES {
                        return Err(ApiError::bad_request(format!(
                            "the JSON patch's copy operations add more than {MAX_JSON_PATCH_COPY_BYTES} bytes"
                        )));
                    }
                    value
                };
                add(&mut doc, path, moved)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(patch_failed(&format!(
                        "testing value {path} failed: test failed"
                    )));
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unknown JSON patch operation {other:?}"
                )))
            }
        }
    }
    Ok(doc)
}

fn missing(path: &str) -> ApiError {
    patch_failed(&format!("doc is missing path: {path:?}"))
}

/// A JSON patch whose operations do not apply (a failed `test`, a missing path). Upstream
/// answers with the generic 422 of `errors.NewGenericServerResponse`, which keeps the
/// json-patch library's reason out of the Status; kubectl prints "The request is invalid:
/// the server rejected our request due to an error in our request". We log the reason.
fn patch_failed(why: &str) -> ApiError {
    tracing::debug!(reason = why, "JSON patch did not apply");
    ApiError {
        code: 422,
        reason: "Invalid".into(),
        message: "the server rejected our request due to an error in our request".into(),
        details: Box::default(),
    }
}

/// Split `/a/b/c` into the parent pointer `/a/b` and the last token `c` (unescaped).
fn split(path: &str) -> Result<(&str, String), ApiError> {
    let i = path
        .rfind('/')
        .ok_or_else(|| ApiError::bad_request(format!("invalid JSON pointer {path:?}")))?;
    Ok((
        &path[..i],
        path[i + 1..].replace("~1", "/").replace("~0", "~"),
    ))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), ApiError> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = split(path)?;
    match doc.pointer_mut(parent).ok_or_else(|| missing(parent))? {
        Value::Object(map) => {
            map.insert(last, value);
        }
        Value::Array(list) => {
            let at = if last == "-" {
                list.len()
            } else {
                last.parse().map_err(|_| missing(path))?
            };
            if at > list.len() {
                return Err(missing(path));
            }
            list.insert(at, value);
        }
        _ => return Err(missing(path)),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, ApiError> {
    let (parent, last) = split(path)?;
    match doc.pointer_mut(parent).ok_or_else(|| missing(parent))? {
        Value::Object(map) => map.remove(&last).ok_or_else(|| missing(path)),
        Value::Array(list) => {
            let at: usize = last.parse().map_err(|_| missing(path))?;
            if at >= list.len() {
                return Err(missing(path));
            }
            Ok(list.remove(at))
        }
        _ => Err(missing(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_merges_objects_deletes_nulls_and_replaces_lists() {
        let target = json!({"a": {"b": 1, "c": 2}, "l": [1, 2], "gone": true});
        let patch = json!({"a": {"c": 3}, "l": [9], "gone": null});
        let out = apply(PatchType::Merge, &target, &patch).expect("valid");
        assert_eq!(out, json!({"a": {"b": 1, "c": 3}, "l": [9]}));
    }

    #[test]
    fn json_patch_adds_replaces_removes_and_appends() {
        let target = json!({"spec": {"replicas": 1, "ports": [80]}, "x": 1});
        let patch = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/spec/ports/-", "value": 443},
            {"op": "remove", "path": "/x"},
            {"op": "add", "path": "/metadata", "value": {"labels": {"a/b": "c"}}},
            {"op": "test", "path": "/metadata/labels/a~1b", "value": "c"}
        ]);
        let out = json_patch(&target, &patch).expect("valid");
        assert_eq!(
            out,
            json!({"spec": {"replicas": 3, "ports": [80, 443]}, "metadata": {"labels": {"a/b": "c"}}})
        );
    }

    #[test]
    fn an_operation_that_does_not_apply_is_a_422_and_a_malformed_patch_a_400() {
        let target = json!({"a": 1});
        let err = json_patch(&target, &json!([{"op": "remove", "path": "/nope"}])).unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
        assert_eq!(
            json_patch(&target, &json!({"op": "add"})).unwrap_err().code,
            400
        );
    }

    #[test]
    fn copies_that_would_double_the_object_without_end_are_refused() {
        let target = json!({"blob": "x".repeat(100_000)});
        let ops: Vec<Value> = (0..40)
            .map(|i| json!({"op": "copy", "from": "", "path": format!("/c{i}")}))
            .collect();
        let err = json_patch(&target, &Value::Array(ops)).unwrap_err();
        assert_eq!(err.code, 400);
        assert!(err.message.contains("copy operations"), "{}", err.message);
    }

    #[test]
    fn a_failed_test_is_upstreams_generic_422() {
        let target = json!({"metadata": {"labels": {"a": "1"}}});
        let err = json_patch(
            &target,
            &json!([{"op": "test", "path": "/metadata/labels/a", "value": "2"}]),
        )
        .unwrap_err();
        assert_eq!((err.code, err.reason.as_str()), (422, "Invalid"));
        assert_eq!(
            err.message,
            "the server rejected our request due to an error in our request"
        );
        assert!(err.details.causes.is_empty());
    }

    #[test]
    fn unknown_patch_content_types_are_unsupported_media() {
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml").ok(),
            Some(PatchType::Apply)
        );
        assert_eq!(
            PatchType::from_content_type("application/xml")
                .unwrap_err()
                .code,
            415
        );
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json; charset=utf-8").ok(),
            Some(PatchType::Merge)
        );
    }
}
