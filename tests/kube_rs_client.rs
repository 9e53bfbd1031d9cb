//! A real client nobody here wrote: kube-rs (`kube` 2.0, the Rust ecosystem's client-go)
//! lists, creates, patches, watches and runs discovery against kubeling.

mod common;

use common::Cluster;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Config};
use std::time::Duration;

fn configmap(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app": "kube"}}, "data": {"v": value}}))
    .expect("configmap")
}

type Applied = futures::stream::BoxStream<'static, Result<ConfigMap, watcher::Error>>;

/// The next applied object's name and `data.v`, within 20 s.
async fn next_applied(stream: &mut Applied) -> (String, String) {
    let next = tokio::time::timeout(Duration::from_secs(20), stream.try_next()).await;
    let obj = next
        .expect("an event within 20 s")
        .expect("no watch error")
        .expect("the stream goes on");
    let value = obj
        .data
        .and_then(|d| d.get("v").cloned())
        .unwrap_or_default();
    (obj.metadata.name.unwrap_or_default(), value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_lists_creates_patches_watches_and_discovers() {
    if !common::require(&["kubectl"]) {
        return;
    }
    let cluster = Cluster::up("memory");
    let kubeconfig = Kubeconfig::read_from(cluster.kubeconfig()).expect("kubeconfig");
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config");
    let client = Client::try_from(config).expect("client");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");

    cms.create(&PostParams::default(), &configmap("one", "1"))
        .await
        .expect("create");
    let listed = cms
        .list(&ListParams::default().labels("app=kube"))
        .await
        .expect("list");
    let names: Vec<String> = listed
        .items
        .iter()
        .filter_map(|c| c.metadata.name.clone())
        .collect();
    assert_eq!(names, ["one"]);

    // kube-runtime's watcher: list, then watch; objects as they are applied.
    let mut applied = watcher(cms.clone(), watcher::Config::default().labels("app=kube"))
        .applied_objects()
        .boxed();
    assert_eq!(
        next_applied(&mut applied).await,
        ("one".to_string(), "1".to_string()),
        "the initial list"
    );
    let patch = Patch::Merge(serde_json::json!({"data": {"v": "2"}}));
    cms.patch("one", &PatchParams::default(), &patch)
        .await
        .expect("patch");
    assert_eq!(
        next_applied(&mut applied).await,
        ("one".to_string(), "2".to_string()),
        "the update"
    );
    cms.create(&PostParams::default(), &configmap("two", "1"))
        .await
        .expect("create");
    assert_eq!(
        next_applied(&mut applied).await,
        ("two".to_string(), "1".to_string()),
        "the new object"
    );

    // Discovery through the legacy documents, as kube-rs does it.
    let discovery = kube::discovery::Discovery::new(client)
        .run()
        .await
        .expect("discovery");
    let apps = discovery.get("apps").expect("the apps group");
    let kinds: Vec<String> = apps
        .recommended_resources()
        .into_iter()
        .map(|(r, _)| r.kind)
        .collect();
    assert!(kinds.contains(&"Deployment".to_string()), "{kinds:?}");
}
