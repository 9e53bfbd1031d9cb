//! The resource handler: every `/api/...` and `/apis/...` request that names a resource.
//!
//! It reads the URL ([`super::request_info`]), finds the resource in the table, decodes the
//! body and query, calls the registry, and encodes the answer. Each verb mirrors one upstream
//! file in `k8s.io/apiserver/pkg/endpoints/handlers/`: `get.go` (get, list), `create.go`,
//! `update.go`, `patch.go`, `delete.go`, and `watch.go` (here in [`super::watch`]).

use super::codec::{
    self, decode, read_body, respond, respond_body, respond_json_bytes, wants_yaml,
};
use super::list_body::ListBody;
use super::request_info::{self, RequestInfo};
use super::table::{self, TableRequest};
use super::App;
use crate::registry::apply::options::{WriteKind, WriteOptions};
use crate::registry::apply::{Endpoint, FieldManager, Tracking};
use crate::registry::delete::DeleteOptions;
use crate::registry::list::{ListOutput, ListQuery};
use crate::registry::patch::PatchType;
use crate::registry::update::{parse_rv, Part};
use crate::registry::{dry_run, Registry};
use crate::resources::{self, Resource, Subresource};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use machinery::ApiError;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Entry point for every resource URL (the router's fallback).
pub async fn handle(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match serve(&app, &method, &uri, &headers, body).await {
        Ok(resp) => resp,
        Err(err) => codec::error_response(&err),
    }
}

async fn serve(
    app: &Arc<App>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let query: HashMap<String, String> = Query::try_from_uri(uri)
        .map(|Query(q)| q)
        .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))?;
    let flag = |name: &str| matches!(query.get(name).map(String::as_str), Some("true" | "1"));
    let info = request_info::parse(method, uri.path(), flag("watch"))
        .ok_or_else(|| ApiError::no_route(uri.path()))?;
    let res = resources::find(&info.group, &info.version, &info.resource)
        .ok_or_else(|| ApiError::no_route(uri.path()))?;
    if !res.namespaced && !info.namespace.is_empty() {
        return Err(ApiError::no_route(uri.path()));
    }
    let sub = subresource(res, &info, uri)?;
    let (ns, name) = (info.namespace.as_str(), info.name.as_str());
    let list_query = || -> Result<ListQuery, ApiError> {
        let mut q = ListQuery::new(
            res,
            query.get("labelSelector").map(String::as_str).unwrap_or(""),
            query.get("fieldSelector").map(String::as_str).unwrap_or(""),
        )?;
        q.limit = match query.get("limit").map(String::as_str) {
            None | Some("") => 0,
            Some(l) => l
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request(format!("invalid limit {l:?}")))?
                .max(0) as usize,
        };
        q.continue_token = query.get("continue").filter(|c| !c.is_empty()).cloned();
        q.resource_version = query.get("resourceVersion").cloned();
        q.resource_version_match = query.get("resourceVersionMatch").cloned();
        Ok(q)
    };

    // `kubectl get` asks for a Table (server-side printing) instead of the objects themselves.
    let wants_table = || table::negotiate(headers, &query);

    // `kubectl --dry-run=server` sends `dryRun=All`: the request runs through a registry whose
    // storage only checks (registry/dry_run.rs), so everything happens and nothing is stored.
    let options_kind = match info.verb {
        "create" => "CreateOptions",
        "update" => "UpdateOptions",
        "patch" => "PatchOptions",
        "delete" | "deletecollection" => "DeleteOptions",
        _ => "",
    };
    let mut dry_run_values: Vec<String> = query.get("dryRun").cloned().into_iter().collect();
    // A DELETE's options may also come in its body, and kubectl puts `dryRun` there.
    let (body, mut delete_opts) = if matches!(info.verb, "delete" | "deletecollection") {
        let (opts, dry_run) = delete_options(headers, &read_body(body).await?, &query)?;
        dry_run_values.extend(dry_run);
        (Body::empty(), Some(opts))
    } else {
        (body, None)
    };
    let dry_registry;
    let registry: &Registry =
        if !options_kind.is_empty() && dry_run::requested(&dry_run_values, options_kind)? {
            dry_registry = app.registry.dry_run();
            &dry_registry
        } else {
            &app.registry
        };

    match (info.verb, sub) {
        ("get", None | Some(Subresource::Status)) => {
            let table = wants_table()?;
            let obj = registry.get(res, ns, name).await?;
            let body = match table {
                Some(t) => t.object(res, &obj, true, chrono::Utc::now()),
                None => obj,
            };
            Ok(respond(headers, StatusCode::OK, &body))
        }
        ("get", Some(Subresource::Scale)) => Ok(respond(
            headers,
            StatusCode::OK,
            &registry.get_scale(res, ns, name).await?,
        )),
        ("list", None) => {
            let table = wants_table()?;
            let out = registry.list(res, ns, &list_query()?).await?;
            if let Some(t) = table {
                return Ok(respond(
                    headers,
                    StatusCode::OK,
                    &list_table(&t, res, &out)?,
                ));
            }
            let body = list_body(res, out);
            if wants_yaml(headers) {
                return Ok(respond_json_bytes(headers, StatusCode::OK, body.into_vec()));
            }
            Ok(respond_body(StatusCode::OK, Body::new(body)))
        }
        ("watch", None) => {
            let table = wants_table()?;
            super::watch::serve(app.clone(), res, ns, name, &query, list_query()?, table).await
        }
        ("create", None) => {
            let opts = WriteOptions::parse(&query, WriteKind::Create)?;
            let obj = decode(headers, &read_body(body).await?)?;
            let warnings = opts.validation.check(res, &obj)?;
            let fm = FieldManager::new(res, &opts.manager(user_agent(headers)), Endpoint::Main);
            let created = registry
                .create_tracked(res, ns, obj, Tracking::Update(&fm))
                .await?;
            Ok(with_warnings(
                respond(headers, StatusCode::CREATED, &created),
                &warnings,
            ))
        }
        ("create", Some(Subresource::Binding)) => {
            let binding = decode(headers, &read_body(body).await?)?;
            registry.bind(res, ns, name, &binding).await?;
            Ok(respond(
                headers,
                StatusCode::CREATED,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
            ))
        }
        ("update", None | Some(Subresource::Status)) => {
            let opts = WriteOptions::parse(&query, WriteKind::Update)?;
            let obj = decode(headers, &read_body(body).await?)?;
            let (part, endpoint) = if sub.is_some() {
                (Part::Status, Endpoint::Status)
            } else {
                (Part::Main, Endpoint::Main)
            };
            let warnings = opts.validation.check(res, &obj)?;
            let fm = FieldManager::new(res, &opts.manager(user_agent(headers)), endpoint);
            let updated = registry
                .update_tracked(res, ns, name, obj, part, Tracking::Update(&fm))
                .await?;
            Ok(with_warnings(
                respond(headers, StatusCode::OK, &updated),
                &warnings,
            ))
        }
        ("update", Some(Subresource::Scale)) => {
            let opts = WriteOptions::parse(&query, WriteKind::Update)?;
            let scale = decode(headers, &read_body(body).await?)?;
            let pinned = parse_rv(machinery::meta::resource_version(&scale))?;
            let fm = FieldManager::new(res, &opts.manager(user_agent(headers)), Endpoint::Scale);
            let updated = registry
                .set_scale_tracked(res, ns, name, pinned, Tracking::Update(&fm), |_| {
                    Ok(scale.clone())
                })
                .await?;
            Ok(respond(headers, StatusCode::OK, &updated))
        }
        ("patch", None | Some(Subresource::Status) | Some(Subresource::Scale)) => {
            let body = read_body(body).await?;
            patch(registry, res, ns, name, sub, headers, &body, &query).await
        }
        ("delete", None) => {
            let opts = delete_opts
                .take()
                .ok_or_else(|| ApiError::internal("delete options were not read"))?;
            let deleted = registry.delete(res, ns, name, &opts).await?;
            // 200 whether the object went at once or was only marked (a pod's graceful
            // deletion, finalizers). Upstream's delete.go keeps 202 for one old case only: an
            // object left in place when the client sent `orphanDependents: false`.
            let code = if !deleted.gone && opts.orphan_dependents == Some(false) {
                StatusCode::ACCEPTED
            } else {
                StatusCode::OK
            };
            Ok(respond(headers, code, &deleted.object))
        }
        ("deletecollection", None) => {
            let opts = delete_opts
                .take()
                .ok_or_else(|| ApiError::internal("delete options were not read"))?;
            let items = registry
                .delete_collection(res, ns, &list_query()?, &opts)
                .await?;
            let list = json!({"kind": format!("{}List", res.kind), "apiVersion": res.api_version(), "metadata": {}, "items": items});
            Ok(respond(headers, StatusCode::OK, &list))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// `PATCH` in its four formats (upstream `endpoints/handlers/patch.go`). Server-side apply
/// (`application/apply-patch+yaml`) needs a `fieldManager`, may create the object (201), and
/// may conflict (409); the other formats record their writer's ownership like an update.
#[allow(clippy::too_many_arguments)]
async fn patch(
    registry: &Registry,
    res: &'static Resource,
    ns: &str,
    name: &str,
    sub: Option<Subresource>,
    headers: &HeaderMap,
    body: &[u8],
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let kind = PatchType::from_content_type(&codec::content_type(headers))?;
    let opts = WriteOptions::parse(
        query,
        WriteKind::Patch {
            apply: kind == PatchType::Apply,
        },
    )?;
    let patch = decode(headers, body)?;
    let (part, endpoint) = match sub {
        Some(Subresource::Status) => (Part::Status, Endpoint::Status),
        Some(Subresource::Scale) => (Part::Main, Endpoint::Scale),
        _ => (Part::Main, Endpoint::Main),
    };
    let fm = FieldManager::new(res, &opts.manager(user_agent(headers)), endpoint);
    if kind == PatchType::Apply {
        if endpoint == Endpoint::Scale {
            let scale = registry
                .apply_scale(&fm, ns, name, &patch, opts.force)
                .await?;
            return Ok(respond(headers, StatusCode::OK, &scale));
        }
        let (obj, created) = registry
            .apply_patch(&fm, ns, name, &patch, part, opts.force)
            .await?;
        let code = if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        return Ok(respond(headers, code, &obj));
    }
    if endpoint == Endpoint::Scale {
        let (scale, warnings) = registry
            .patch_scale(&fm, ns, name, kind, &patch, opts.validation)
            .await?;
        return Ok(with_warnings(
            respond(headers, StatusCode::OK, &scale),
            &warnings,
        ));
    }
    let (patched, warnings) = registry
        .patch_tracked(
            res,
            ns,
            name,
            (kind, &patch),
            part,
            Tracking::Update(&fm),
            opts.validation,
        )
        .await?;
    Ok(with_warnings(
        respond(headers, StatusCode::OK, &patched),
        &warnings,
    ))
}

/// The client's `User-Agent` ("" without one): the manager of a write that names none.
fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Add one `Warning: 299 - "..."` header per warning; kubectl prints each as `Warning: ...`.
fn with_warnings(mut resp: Response, warnings: &[String]) -> Response {
    for warning in warnings {
        let text = format!("299 - {:?}", warning);
        if let Ok(value) = axum::http::HeaderValue::from_str(&text) {
            resp.headers_mut()
                .append(axum::http::header::WARNING, value);
        }
    }
    resp
}

/// The subresource named in the URL, if this resource has it (404 otherwise).
fn subresource(
    res: &Resource,
    info: &RequestInfo,
    uri: &Uri,
) -> Result<Option<Subresource>, ApiError> {
    if info.subresource.is_empty() {
        return Ok(None);
    }
    res.subresources
        .iter()
        .copied()
        .find(|s| s.name() == info.subresource)
        .map(Some)
        .ok_or_else(|| ApiError::no_route(uri.path()))
}

/// DeleteOptions from the body (if any) and the query (`gracePeriodSeconds`,
/// `propagationPolicy`), and the body's `dryRun` values.
fn delete_options(
    headers: &HeaderMap,
    bytes: &[u8],
    query: &HashMap<String, String>,
) -> Result<(DeleteOptions, Vec<String>), ApiError> {
    let body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        decode(headers, bytes)?
    };
    // Query parameters say the same things as body fields; fold them into the body.
    let mut body = body;
    let Some(fields) = body.as_object_mut() else {
        return Err(ApiError::bad_request(
            "the body of a DELETE must be a DeleteOptions object",
        ));
    };
    if let Some(g) = query.get("gracePeriodSeconds") {
        let seconds: i64 = g
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid gracePeriodSeconds {g:?}")))?;
        fields.insert("gracePeriodSeconds".into(), json!(seconds));
    }
    if let Some(p) = query.get("propagationPolicy") {
        fields.insert("propagationPolicy".into(), json!(p));
    }
    let not_strings = || ApiError::bad_request("DeleteOptions.dryRun must be a list of strings");
    let dry_run = match fields.get("dryRun") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(not_strings)?,
        Some(_) => return Err(not_strings()),
    };
    Ok((DeleteOptions::from_body(&body)?, dry_run))
}

/// `{"kind":"PodList","apiVersion":"v1","metadata":{...},"items":[...]}` from encoded items,
/// written piece by piece as it is sent (see [`ListBody`]).
fn list_body(res: &Resource, out: ListOutput) -> ListBody {
    let mut meta = json!({"resourceVersion": out.resource_version.to_string()});
    if let Some(token) = &out.continue_token {
        meta["continue"] = json!(token);
    }
    let head = format!(
        "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
        res.kind,
        res.api_version(),
        meta
    );
    ListBody::new(head, out.items)
}

/// A list as a Table: each encoded item is read back into a value for its printer.
fn list_table(t: &TableRequest, res: &Resource, out: &ListOutput) -> Result<Value, ApiError> {
    let items = out.values()?;
    let rv = out.resource_version.to_string();
    let now = chrono::Utc::now();
    Ok(t.list(res, &items, &rv, out.continue_token.as_deref(), now))
}
