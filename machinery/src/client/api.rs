//! `Api<K>`: typed access to one resource, with URLs built from k8s-openapi's type information.
//!
//! ```text
//! Api::<Pod>::namespaced(client, "default").get("web")
//!   -> GET /api/v1/namespaces/default/pods/web          -> Pod
//! Api::<Deployment>::all(client).list(&ListParams::default().labels("app=web"))
//!   -> GET /apis/apps/v1/deployments?labelSelector=app%3Dweb -> List<Deployment>
//! ```
//! Every k8s-openapi type knows its group, version and plural (`k8s_openapi::Resource`), and
//! whether it lives in a namespace (its `Scope`), so one generic type serves every kind.

use super::{Body, Client, Error};
use crate::ApiError;
use futures::Stream;
use http_body_util::BodyExt;
use hyper::Method;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::WatchEvent;
use k8s_openapi::{
    ClusterResourceScope, List, ListableResource, Metadata, NamespaceResourceScope, Resource,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};
use std::marker::PhantomData;

/// Whether a resource scope is namespaced; implemented for k8s-openapi's two scopes.
pub trait Scoped {
    const NAMESPACED: bool;
}
impl Scoped for NamespaceResourceScope {
    const NAMESPACED: bool = true;
}
impl Scoped for ClusterResourceScope {
    const NAMESPACED: bool = false;
}

/// Everything the generic client code needs of a Kubernetes type: its group, version, kind and
/// scope (`Resource`), a list kind, `metadata` of the usual shape, and JSON both ways. Every
/// k8s-openapi object type qualifies; `Api<Pod>`, `watcher::<Deployment>`, `Informer<Node>` ...
/// all just say `K: Object`.
pub trait Object:
    Resource<Scope: Scoped>
    + ListableResource
    + Metadata<Ty = ObjectMeta>
    + DeserializeOwned
    + Serialize
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<K> Object for K where
    K: Resource<Scope: Scoped>
        + ListableResource
        + Metadata<Ty = ObjectMeta>
        + DeserializeOwned
        + Serialize
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// Query parameters for list and watch.
#[derive(Debug, Clone, Default)]
pub struct ListParams {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<u32>,
    pub continue_token: Option<String>,
    /// Server-side timeout of a watch, in seconds.
    pub timeout_seconds: Option<u32>,
}

impl ListParams {
    /// Select by labels, e.g. `app=web`.
    pub fn labels(mut self, selector: &str) -> Self {
        self.label_selector = Some(selector.to_string());
        self
    }

    /// Select by fields, e.g. `spec.nodeName=n1`.
    pub fn fields(mut self, selector: &str) -> Self {
        self.field_selector = Some(selector.to_string());
        self
    }

    fn query(&self, extra: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(s) = &self.label_selector {
            pairs.push(("labelSelector", s.clone()));
        }
        if let Some(s) = &self.field_selector {
            pairs.push(("fieldSelector", s.clone()));
        }
        if let Some(l) = self.limit {
            pairs.push(("limit", l.to_string()));
        }
        if let Some(c) = &self.continue_token {
            pairs.push(("continue", c.clone()));
        }
        pairs.extend(extra.iter().cloned());
        if pairs.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("?{}", parts.join("&"))
    }
}

/// The three patch formats.
#[derive(Debug, Clone)]
pub enum Patch {
    /// RFC 7386 JSON merge patch.
    Merge(Value),
    /// Kubernetes' strategic merge patch (lists merged by key).
    Strategic(Value),
    /// RFC 6902 JSON patch (a list of operations).
    Json(Value),
}

impl Patch {
    fn content_type(&self) -> &'static str {
        match self {
            Patch::Merge(_) => "application/merge-patch+json",
            Patch::Strategic(_) => "application/strategic-merge-patch+json",
            Patch::Json(_) => "application/json-patch+json",
        }
    }

    fn body(&self) -> &Value {
        match self {
            Patch::Merge(v) | Patch::Strategic(v) | Patch::Json(v) => v,
        }
    }
}

/// DeleteOptions.
#[derive(Debug, Clone, Default)]
pub struct DeleteParams {
    pub grace_period_seconds: Option<i64>,
    /// `Orphan`, `Background` or `Foreground`.
    pub propagation_policy: Option<String>,
    /// Delete only if the object still has this uid.
    pub precondition_uid: Option<String>,
}

/// Typed access to one resource, in one namespace or in all.
pub struct Api<K> {
    client: Client,
    namespace: Option<String>,
    _kind: PhantomData<fn() -> K>,
}

impl<K> Clone for Api<K> {
    fn clone(&self) -> Self {
        Api {
            client: self.client.clone(),
            namespace: self.namespace.clone(),
            _kind: PhantomData,
        }
    }
}

impl<K> Api<K>
where
    K: Object,
{
    /// Objects in one namespace (for a cluster-scoped kind the namespace is ignored).
    pub fn namespaced(client: Client, namespace: &str) -> Self {
        let namespace = <K::Scope as Scoped>::NAMESPACED.then(|| namespace.to_string());
        Api {
            client,
            namespace,
            _kind: PhantomData,
        }
    }

    /// Objects in every namespace (or, for a cluster-scoped kind, simply all of them).
    pub fn all(client: Client) -> Self {
        Api {
            client,
            namespace: None,
            _kind: PhantomData,
        }
    }

    /// Objects in the kubeconfig context's namespace.
    pub fn default_namespaced(client: Client) -> Self {
        let ns = client.default_namespace().to_string();
        Self::namespaced(client, &ns)
    }

    /// `/api/v1/namespaces/default/pods` and the like.
    pub fn collection_path(&self) -> String {
        let root = if K::GROUP.is_empty() {
            format!("/api/{}", K::VERSION)
        } else {
            format!("/apis/{}/{}", K::GROUP, K::VERSION)
        };
        match &self.namespace {
            Some(ns) => format!("{root}/namespaces/{}/{}", encode(ns), K::URL_PATH_SEGMENT),
            None => format!("{root}/{}", K::URL_PATH_SEGMENT),
        }
    }

    fn item_path(&self, name: &str, subresource: Option<&str>) -> String {
        let mut path = format!("{}/{}", self.collection_path(), encode(name));
        if let Some(sub) = subresource {
            path.push('/');
            path.push_str(sub);
        }
        path
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, Error> {
        let bytes = self.client.send(method, path, content_type, body).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Decode(format!("{} {path}: {e}", K::KIND)))
    }

    fn encode_body<T: Serialize>(value: &T) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(value).map_err(|e| Error::Decode(e.to_string()))
    }

    /// GET one object.
    pub async fn get(&self, name: &str) -> Result<K, Error> {
        self.json(Method::GET, &self.item_path(name, None), "", None)
            .await
    }

    /// GET one object, or `None` if it does not exist.
    pub async fn get_opt(&self, name: &str) -> Result<Option<K>, Error> {
        match self.get(name).await {
            Ok(obj) => Ok(Some(obj)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// List (a consistent read from storage).
    pub async fn list(&self, params: &ListParams) -> Result<List<K>, Error> {
        let path = format!("{}{}", self.collection_path(), params.query(&[]));
        self.json(Method::GET, &path, "", None).await
    }

    /// Send `obj` as the JSON body of a POST or PUT, and read the object that comes back.
    async fn write(&self, method: Method, path: &str, obj: &K) -> Result<K, Error> {
        let body = Self::encode_body(obj)?;
        self.json(method, path, "application/json", Some(body))
            .await
    }

    /// POST a new object.
    pub async fn create(&self, obj: &K) -> Result<K, Error> {
        self.write(Method::POST, &self.collection_path(), obj).await
    }

    /// PUT (update) an object; its `metadata.resourceVersion`, if set, must still be current.
    pub async fn replace(&self, name: &str, obj: &K) -> Result<K, Error> {
        self.write(Method::PUT, &self.item_path(name, None), obj)
            .await
    }

    /// PUT the status subresource.
    pub async fn replace_status(&self, name: &str, obj: &K) -> Result<K, Error> {
        self.write(Method::PUT, &self.item_path(name, Some("status")), obj)
            .await
    }

    /// PATCH an object.
    pub async fn patch(&self, name: &str, patch: &Patch) -> Result<K, Error> {
        self.patch_at(&self.item_path(name, None), patch).await
    }

    /// PATCH the status subresource.
    pub async fn patch_status(&self, name: &str, patch: &Patch) -> Result<K, Error> {
        self.patch_at(&self.item_path(name, Some("status")), patch)
            .await
    }

    async fn patch_at<T: DeserializeOwned>(&self, path: &str, patch: &Patch) -> Result<T, Error> {
        self.json(
            Method::PATCH,
            path,
            patch.content_type(),
            Some(Self::encode_body(patch.body())?),
        )
        .await
    }

    /// DELETE an object (it may only be marked for deletion; see finalizers and grace periods).
    pub async fn delete(&self, name: &str, params: &DeleteParams) -> Result<(), Error> {
        let mut body = json!({"kind": "DeleteOptions", "apiVersion": "v1"});
        if let Some(g) = params.grace_period_seconds {
            body["gracePeriodSeconds"] = json!(g);
        }
        if let Some(p) = &params.propagation_policy {
            body["propagationPolicy"] = json!(p);
        }
        if let Some(uid) = &params.precondition_uid {
            body["preconditions"] = json!({"uid": uid});
        }
        self.client
            .send(
                Method::DELETE,
                &self.item_path(name, None),
                "application/json",
                Some(Self::encode_body(&body)?),
            )
            .await?;
        Ok(())
    }

    /// GET the `scale` subresource (Deployments, ReplicaSets) as JSON.
    pub async fn get_scale(&self, name: &str) -> Result<Value, Error> {
        self.json(Method::GET, &self.item_path(name, Some("scale")), "", None)
            .await
    }

    /// Set `spec.replicas` through the `scale` subresource.
    pub async fn patch_scale(&self, name: &str, replicas: i32) -> Result<Value, Error> {
        self.patch_at(
            &self.item_path(name, Some("scale")),
            &Patch::Merge(json!({"spec": {"replicas": replicas}})),
        )
        .await
    }

    /// POST to a subresource that answers with a Status (e.g. `pods/NAME/binding`).
    pub async fn create_subresource(
        &self,
        name: &str,
        subresource: &str,
        body: &Value,
    ) -> Result<(), Error> {
        let path = self.item_path(name, Some(subresource));
        self.client
            .send(
                Method::POST,
                &path,
                "application/json",
                Some(Self::encode_body(body)?),
            )
            .await?;
        Ok(())
    }

    /// GET a text subresource (`pods/NAME/log?container=c`) as a string.
    pub async fn get_text(&self, name: &str, subresource_and_query: &str) -> Result<String, Error> {
        let path = format!("{}/{subresource_and_query}", self.item_path(name, None));
        let bytes = self.client.send(Method::GET, &path, "", None).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Watch for changes after `resource_version` ("" or "0": start with the current state).
    /// Each item is one event; the stream ends when the server closes it.
    pub async fn watch(
        &self,
        params: &ListParams,
        resource_version: &str,
    ) -> Result<impl Stream<Item = Result<WatchEvent<K>, Error>> + Send + 'static, Error> {
        let mut extra = vec![
            ("watch", "true".to_string()),
            ("allowWatchBookmarks", "true".to_string()),
        ];
        if !resource_version.is_empty() {
            extra.push(("resourceVersion", resource_version.to_string()));
        }
        if let Some(t) = params.timeout_seconds {
            extra.push(("timeoutSeconds", t.to_string()));
        }
        let path = format!("{}{}", self.collection_path(), params.query(&extra));
        let resp = self
            .client
            .send_streaming(Method::GET, &path, "", None)
            .await?;
        Ok(lines(resp.into_body()))
    }
}

/// Split a watch body into events, one JSON document per line.
fn lines<K: DeserializeOwned>(body: Body) -> impl Stream<Item = Result<WatchEvent<K>, Error>> {
    futures::stream::unfold(
        (body, Vec::<u8>::new(), false),
        |(mut body, mut buf, done)| async move {
            loop {
                if let Some(i) = buf.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=i).collect();
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some((parse_event(&line), (body, buf, done)));
                }
                if done {
                    return None;
                }
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            buf.extend_from_slice(&data);
                        }
                    }
                    Some(Err(e)) => {
                        return Some((
                            Err(Error::Transport(e.to_string())),
                            (body, Vec::new(), true),
                        ))
                    }
                    None => return None,
                }
            }
        },
    )
}

/// One watch line; an ERROR event becomes `Err(Error::Api)` so callers handle it like any error.
fn parse_event<K: DeserializeOwned>(line: &[u8]) -> Result<WatchEvent<K>, Error> {
    let event: WatchEvent<K> =
        serde_json::from_slice(line).map_err(|e| Error::Decode(format!("watch event: {e}")))?;
    match event {
        WatchEvent::ErrorStatus(status) => {
            let value = serde_json::to_value(&status).unwrap_or_default();
            let mut value = value;
            value["kind"] = json!("Status");
            Err(Error::Api(ApiError::from_status(&value).unwrap_or_else(
                || ApiError::internal("a watch ERROR event"),
            )))
        }
        other => Ok(other),
    }
}

/// Percent-encode a URL path segment or query value (everything but RFC 3986 unreserved).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::{
        apps::v1::Deployment,
        core::v1::{Node, Pod},
    };

    fn client() -> Client {
        Client::new(Config::new("http://127.0.0.1:1").expect("config"))
    }
    use super::super::Config;

    #[test]
    fn paths_follow_group_version_namespace_and_plural() {
        assert_eq!(
            Api::<Pod>::namespaced(client(), "default").collection_path(),
            "/api/v1/namespaces/default/pods"
        );
        assert_eq!(
            Api::<Deployment>::all(client()).collection_path(),
            "/apis/apps/v1/deployments"
        );
        assert_eq!(
            Api::<Node>::namespaced(client(), "ignored").collection_path(),
            "/api/v1/nodes"
        );
        assert_eq!(
            Api::<Pod>::namespaced(client(), "d").item_path("p", Some("status")),
            "/api/v1/namespaces/d/pods/p/status"
        );
    }

    #[test]
    fn selectors_are_percent_encoded_in_the_query() {
        let q = ListParams::default()
            .labels("app in (a,b)")
            .fields("spec.nodeName=n1")
            .query(&[]);
        assert_eq!(
            q,
            "?labelSelector=app%20in%20%28a%2Cb%29&fieldSelector=spec.nodeName%3Dn1"
        );
    }

    #[test]
    fn an_error_event_becomes_a_typed_error() {
        let line = br#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#;
        let err = parse_event::<Pod>(line).unwrap_err();
        assert!(err.is_expired(), "{err:?}");
    }
}
