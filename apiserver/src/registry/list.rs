//! List: `GET .../pods?labelSelector=...&fieldSelector=...&limit=...&continue=...`.
//!
//! Where a list is read from depends on `resourceVersion`, exactly as upstream:
//!
//! | `resourceVersion` | served from | meaning |
//! |---|---|---|
//! | absent | storage (etcd) | the latest data: a consistent read |
//! | `0` | the watch cache | whatever the cache holds: fast, maybe a moment old |
//! | `N` | the watch cache, once it has caught up to N | "not older than N" |
//! | `N` with `resourceVersionMatch=Exact` | storage at revision N | exactly as of N |
//!
//! Paging (`limit` + `continue`) reads storage at one revision, so every page comes from the
//! same snapshot; the continue token remembers that revision and where to resume. Upstream:
//! `storage/etcd3/store.go` (GetList) and `storage/cacher/cacher.go`.

use super::{storage_error, update::parse_rv, Registry};
use crate::resources::Resource;
use crate::storage::ListOptions;
use base64::Engine;
use bytes::Bytes;
use machinery::{fields, labels, meta, ApiError};
use serde_json::{json, Value};

/// What selects objects for a list, a watch or a deletecollection.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub labels: labels::Selector,
    pub fields: fields::Selector,
    /// At most this many items (0 = all).
    pub limit: usize,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
    pub resource_version_match: Option<String>,
}

impl ListQuery {
    /// Check the combination of resourceVersion, resourceVersionMatch and continue, as
    /// upstream's `ValidateListOptions` does (422 Invalid on ListOptions).
    pub fn validate(&self) -> Result<(), ApiError> {
        let rv = self.resource_version.as_deref().unwrap_or("");
        let invalid = |field: &str, value: &str, why: &str| {
            Err(ApiError::invalid(
                "meta.k8s.io",
                "ListOptions",
                "",
                vec![machinery::StatusCause::invalid(field, value, why)],
            ))
        };
        match self.resource_version_match.as_deref() {
            None | Some("") => Ok(()),
            Some(m) if m != "Exact" && m != "NotOlderThan" => invalid(
                "resourceVersionMatch",
                m,
                "supported values: \"Exact\", \"NotOlderThan\"",
            ),
            Some(m) if rv.is_empty() => invalid(
                "resourceVersionMatch",
                m,
                "resourceVersionMatch is forbidden unless resourceVersion is provided",
            ),
            Some(m) if self.continue_token.is_some() => invalid(
                "resourceVersionMatch",
                m,
                "resourceVersionMatch is forbidden when continue is provided",
            ),
            Some("Exact") if rv == "0" => invalid(
                "resourceVersionMatch",
                "Exact",
                "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
            ),
            Some(_) => Ok(()),
        }
    }

    /// Parse the selector strings, rejecting fields this resource cannot be selected by.
    pub fn new(
        res: &Resource,
        label_selector: &str,
        field_selector: &str,
    ) -> Result<Self, ApiError> {
        let labels = labels::Selector::parse(label_selector)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let fields = fields::Selector::parse(field_selector)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let probe = json!({});
        for field in fields.fields() {
            if res.field_value(&probe, field).is_none() {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
        }
        Ok(ListQuery {
            labels,
            fields,
            ..Default::default()
        })
    }

    /// Whether `obj` is selected.
    pub fn matches(&self, res: &Resource, obj: &Value) -> bool {
        if self.labels.is_empty() && self.fields.is_empty() {
            return true; // the common case: no selector, nothing to compute
        }
        let labels = meta::labels(obj);
        self.labels.matches_map(&labels) && self.fields.matches(&|f: &str| res.field_value(obj, f))
    }
}

/// A list answer, already encoded: `items` are pieces of the JSON array's inside, each one
/// item or several joined by commas (the watch cache hands out runs of packed neighbours;
/// storage reads give one item per piece).
#[derive(Debug, Default)]
pub struct ListOutput {
    pub items: Vec<Bytes>,
    pub resource_version: i64,
    pub continue_token: Option<String>,
}

impl ListOutput {
    /// The items read back as values (for Tables, deletecollection, the Event reaper).
    pub fn values(&self) -> Result<Vec<Value>, ApiError> {
        let mut values = Vec::new();
        for piece in &self.items {
            let array = [&b"["[..], piece, b"]"].concat();
            let items: Vec<Value> = serde_json::from_slice(&array).map_err(|e| {
                ApiError::internal(format!("a stored object is not valid JSON: {e}"))
            })?;
            values.extend(items);
        }
        Ok(values)
    }
}

impl Registry {
    /// Serve a list from the cache or storage, as the table above says.
    pub async fn list(
        &self,
        res: &Resource,
        ns: &str,
        q: &ListQuery,
    ) -> Result<ListOutput, ApiError> {
        q.validate()?;
        // Whatever path serves it, a resourceVersion must be a number.
        parse_rv(q.resource_version.as_deref().unwrap_or(""))?;
        let rv = q.resource_version.as_deref().unwrap_or("");
        let exact = q.resource_version_match.as_deref() == Some("Exact");
        if rv.is_empty() || exact || q.continue_token.is_some() || (q.limit > 0 && rv != "0") {
            return self.list_from_storage(res, ns, q).await;
        }
        let min = parse_rv(rv)?.unwrap_or(0);
        let cache = self.cache(res);
        // "Not older than N": the cache answers only if it has seen events up to N (or, for
        // 0, once it is filled); otherwise a consistent read from storage is just as correct.
        if cache.resource_version() < min.max(1) && (min > 0 || cache.wait_ready().await.is_err()) {
            return self.list_from_storage(res, ns, q).await;
        }
        let (items, rv) = cache.list(ns, |obj| q.matches(res, obj));
        Ok(ListOutput {
            items,
            resource_version: rv,
            continue_token: None,
        })
    }

    /// Read a list straight from storage, page by page, filtering as we go.
    pub async fn list_from_storage(
        &self,
        res: &Resource,
        ns: &str,
        q: &ListQuery,
    ) -> Result<ListOutput, ApiError> {
        let prefix = res.prefix(ns);
        let (mut revision, mut start) = match &q.continue_token {
            Some(token) => decode_continue(token, &prefix)?,
            None => (0, prefix.clone()),
        };
        if q.continue_token.is_none() && q.resource_version_match.as_deref() == Some("Exact") {
            revision = parse_rv(q.resource_version.as_deref().unwrap_or(""))?.unwrap_or(0);
        }
        // Read storage in pages even without a limit: one huge reply helps nobody.
        let page = if q.limit > 0 {
            q.limit.max(100)
        } else {
            10_000
        };
        let mut out = ListOutput::default();
        loop {
            let opts = ListOptions {
                revision,
                start_key: Some(start.clone()),
                limit: page,
            };
            let result = self
                .storage
                .list(&prefix, opts)
                .await
                .map_err(|e| match e {
                    crate::storage::StorageError::Compacted { .. } if q.continue_token.is_some() => {
                        ApiError::expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
                    }
                    other => storage_error(res, "", other),
                })?;
            revision = result.revision;
            let count = result.kvs.len();
            for (i, kv) in result.kvs.into_iter().enumerate() {
                // The next page starts after this key whatever becomes of it below.
                start = format!("{}\0", kv.key);
                let Some(obj) = crate::watch_cache::decode(&kv.value, kv.mod_revision) else {
                    continue;
                };
                if q.matches(res, &obj) {
                    out.items
                        .push(Bytes::from(serde_json::to_vec(&obj).unwrap_or_default()));
                    if q.limit > 0 && out.items.len() == q.limit {
                        if i + 1 < count || result.more {
                            out.continue_token = Some(encode_continue(revision, &kv.key, &prefix));
                        }
                        out.resource_version = revision;
                        return Ok(out);
                    }
                }
            }
            if !result.more {
                break;
            }
        }
        out.resource_version = revision;
        Ok(out)
    }
}

/// A continue token: base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key after prefix>"}`,
/// the same shape upstream uses (`storage/continue.go`).
fn encode_continue(rv: i64, last_key: &str, prefix: &str) -> String {
    let start = format!("{}\0", last_key.strip_prefix(prefix).unwrap_or(last_key));
    let token = json!({"v": "meta.k8s.io/v1", "rv": rv, "start": start});
    base64::engine::general_purpose::URL_SAFE.encode(token.to_string())
}

fn decode_continue(token: &str, prefix: &str) -> Result<(i64, String), ApiError> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {token:?}"));
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(token)
        .map_err(|_| bad())?;
    let value: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let rv = value
        .get("rv")
        .and_then(Value::as_i64)
        .filter(|r| *r > 0)
        .ok_or_else(bad)?;
    let start = value.get("start").and_then(Value::as_str).ok_or_else(bad)?;
    if start.contains("..") || start.starts_with('/') {
        return Err(bad());
    }
    Ok((rv, format!("{prefix}{start}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_continue_token_round_trips() {
        let t = encode_continue(42, "/registry/pods/default/web", "/registry/pods/default/");
        let (rv, start) = decode_continue(&t, "/registry/pods/default/").expect("valid");
        assert_eq!((rv, start.as_str()), (42, "/registry/pods/default/web\0"));
    }

    #[test]
    fn a_garbage_continue_token_is_a_bad_request() {
        let err = decode_continue("not-base64!", "/registry/pods/").unwrap_err();
        assert_eq!(err.code, 400);
    }

    #[test]
    fn selecting_by_an_unsupported_field_is_a_bad_request() {
        let pods = crate::resources::find("", "v1", "pods").expect("served");
        let err = ListQuery::new(pods, "", "spec.bogus=1").unwrap_err();
        assert_eq!(err.message, "field label not supported: spec.bogus");
        assert!(ListQuery::new(pods, "", "spec.nodeName=n1").is_ok());
    }
}
