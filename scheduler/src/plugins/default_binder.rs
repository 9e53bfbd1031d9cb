//! DefaultBinder: tells the API server "this pod runs on that node" by creating a `Binding`
//! (`POST /api/v1/namespaces/NS/pods/NAME/binding`). The API server sets `spec.nodeName` in one
//! write, and refuses (409) if the pod is already bound, so two schedulers can never both win.
//! Upstream: `pkg/scheduler/framework/plugins/defaultbinder/default_binder.go`.

use crate::framework::{BindPlugin, CycleState, Plugin, Status};
use crate::plugins::{no_args, FactoryContext};
use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Pod;
use machinery::client::{Api, Client};
use serde_json::json;
use std::sync::Arc;

pub const NAME: &str = "DefaultBinder";

pub struct DefaultBinder {
    client: Option<Client>,
}

pub fn new(
    args: Option<&serde_json::Value>,
    ctx: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    no_args(NAME, args)?;
    Ok(Arc::new(DefaultBinder {
        client: ctx.client.clone(),
    }))
}

/// The `Binding` object for `pod` → `node_name`.
pub fn binding(pod: &Pod, node_name: &str) -> serde_json::Value {
    json!({
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {
            "name": pod.metadata.name,
            "namespace": pod.metadata.namespace,
            "uid": pod.metadata.uid,
        },
        "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
    })
}

impl Plugin for DefaultBinder {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_bind(&self) -> Option<&dyn BindPlugin> {
        Some(self)
    }
}

impl BindPlugin for DefaultBinder {
    fn bind<'a>(
        &'a self,
        _state: &'a CycleState,
        pod: &'a Pod,
        node_name: &'a str,
    ) -> BoxFuture<'a, Status> {
        Box::pin(async move {
            let Some(client) = self.client.clone() else {
                return Status::error("DefaultBinder has no API client");
            };
            let namespace = pod.metadata.namespace.as_deref().unwrap_or("default");
            let name = pod.metadata.name.as_deref().unwrap_or("");
            let api: Api<Pod> = Api::namespaced(client, namespace);
            match api
                .create_subresource(name, "binding", &binding(pod, node_name))
                .await
            {
                Ok(()) => Status::success(),
                Err(e) => Status::error(format!("binding rejected: {e}")),
            }
        })
    }
}
