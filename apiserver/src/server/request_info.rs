//! Reading a resource URL: which verb, group, version, namespace, resource, name, subresource.
//!
//! ```text
//! GET /api/v1/namespaces/default/pods/web/status
//!     ─┬─ ─┬ ──────────┬───────── ─┬── ─┬─ ──┬───
//!   core  version   namespace  resource name subresource      -> verb "get"
//! GET /apis/apps/v1/deployments?watch=true                     -> verb "watch" (all namespaces)
//! ```
//! One wrinkle: `/api/v1/namespaces/NAME` is the namespace object itself, and so are
//! `/api/v1/namespaces/NAME/status` and `.../finalize`. Upstream:
//! `k8s.io/apiserver/pkg/endpoints/request/requestinfo.go`.

use axum::http::Method;

/// What a resource URL asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestInfo {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`.
    pub verb: &'static str,
    pub group: String,
    pub version: String,
    pub namespace: String,
    pub resource: String,
    pub name: String,
    pub subresource: String,
}

/// Parse a path such as `/apis/apps/v1/namespaces/default/deployments/web/scale`.
/// Returns `None` for anything that is not a resource URL.
pub fn parse(method: &Method, path: &str, watch: bool) -> Option<RequestInfo> {
    let parts: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let mut info = RequestInfo {
        group: group.to_string(),
        version: version.to_string(),
        ..Default::default()
    };
    let mut rest: &[&str] = rest;
    if rest.first() == Some(&"namespaces") && rest.len() > 1 {
        info.namespace = rest[1].to_string();
        // `namespaces/NAME/status` is the namespace's own subresource, not a resource in it.
        let own_subresource = rest.len() == 3 && matches!(rest[2], "status" | "finalize");
        if rest.len() > 2 && !own_subresource {
            rest = &rest[2..];
        }
    }
    match rest {
        [resource] => info.resource = resource.to_string(),
        [resource, name] => {
            info.resource = resource.to_string();
            info.name = name.to_string();
        }
        [resource, name, sub] => {
            info.resource = resource.to_string();
            info.name = name.to_string();
            info.subresource = sub.to_string();
        }
        _ => return None,
    }
    if info.resource == "namespaces" {
        // The namespace object is cluster-scoped: its name is the "namespace" segment.
        info.namespace = String::new();
    }
    let named = !info.name.is_empty();
    info.verb = match (method.as_str(), named) {
        ("GET" | "HEAD", _) if watch => "watch",
        ("GET" | "HEAD", true) => "get",
        ("GET" | "HEAD", false) => "list",
        // POST creates in a collection, or posts to a subresource (`pods/NAME/binding`).
        ("POST", false) => "create",
        ("POST", true) if !info.subresource.is_empty() => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unsupported",
    };
    Some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> RequestInfo {
        parse(&Method::GET, path, false).expect("a resource URL")
    }

    #[test]
    fn a_namespaced_object_url_names_everything() {
        let i = get("/api/v1/namespaces/default/pods/web");
        assert_eq!(
            (
                i.verb,
                i.group.as_str(),
                i.namespace.as_str(),
                i.resource.as_str(),
                i.name.as_str()
            ),
            ("get", "", "default", "pods", "web")
        );
    }

    #[test]
    fn a_grouped_collection_across_namespaces_is_a_list() {
        let i = get("/apis/apps/v1/deployments");
        assert_eq!(
            (i.verb, i.group.as_str(), i.namespace.as_str()),
            ("list", "apps", "")
        );
    }

    #[test]
    fn watch_true_makes_a_get_of_a_collection_a_watch() {
        let i = parse(&Method::GET, "/api/v1/namespaces/default/pods", true).expect("url");
        assert_eq!(i.verb, "watch");
    }

    #[test]
    fn the_namespace_itself_and_its_status_are_cluster_scoped() {
        let i = get("/api/v1/namespaces/kube-system");
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.namespace.as_str()),
            ("namespaces", "kube-system", "")
        );
        let i = get("/api/v1/namespaces/kube-system/status");
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.subresource.as_str()),
            ("namespaces", "kube-system", "status")
        );
    }

    #[test]
    fn subresources_and_verbs_follow_the_method() {
        let i = parse(
            &Method::PUT,
            "/apis/apps/v1/namespaces/d/deployments/web/scale",
            false,
        )
        .expect("url");
        assert_eq!((i.verb, i.subresource.as_str()), ("update", "scale"));
        let i = parse(&Method::DELETE, "/api/v1/namespaces/d/configmaps", false).expect("url");
        assert_eq!(i.verb, "deletecollection");
        let i = parse(&Method::POST, "/api/v1/namespaces/d/pods/p/binding", false).expect("url");
        assert_eq!(i.verb, "create");
    }

    #[test]
    fn posting_to_a_named_object_or_putting_to_a_collection_is_unsupported() {
        assert_eq!(
            parse(&Method::POST, "/api/v1/namespaces/d/pods/p", false)
                .expect("url")
                .verb,
            "unsupported"
        );
        assert_eq!(
            parse(&Method::PUT, "/api/v1/namespaces/d/pods", false)
                .expect("url")
                .verb,
            "unsupported"
        );
    }

    #[test]
    fn other_paths_are_not_resource_urls() {
        assert!(parse(&Method::GET, "/healthz", false).is_none());
        assert!(parse(&Method::GET, "/api/v1/namespaces/a/pods/b/c/d", false).is_none());
    }
}
