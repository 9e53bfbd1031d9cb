//! # node_reflector: an informer keeping a Store, read without asking the API server
//!
//! An [`Informer<Node>`](Informer) runs the watcher and the reflector in a background task;
//! the reflector keeps a [`Store`] equal to what the API server has. Every 5 seconds this
//! example prints what the *store* holds, never calling the API itself:
//!
//! ```text
//! synced: false, 0 nodes in the store      (the first list has not arrived yet)
//! synced: true, 2 nodes in the store
//!   kind-control-plane  Ready=True
//!   n1                  Ready=<none>       (a bare Node object: no kubelet reports on it)
//! ```
//!
//! `has_synced` turns true once the first full list is stored. A controller must wait for it:
//! before that an empty store would look like "every node was deleted".
//!
//! Run it against `kubeling up`:
//! ```text
//! export KUBECONFIG=<dir>/kubeconfig
//! cargo run -p machinery --example node_reflector
//! # in another terminal, a Node as a plain API object:
//! printf 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n' | kubectl create -f -
//! kubectl delete node n1
//! ```
//! Against kind, leave `KUBECONFIG` unset (kind writes `~/.kube/config`); its nodes report
//! `Ready=True`. Ctrl-C stops it.
//!
//! Corresponds to kube-rs's `examples/node_reflector.rs` (a reflector over Nodes, read from its
//! store) and client-go's `examples/informer` (an informer and its lister).

use k8s_openapi::api::core::v1::Node;
use machinery::client::{Api, Client, Config, ListParams};
use machinery::informer::Informer;
use machinery::store::Store;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::infer(None)?.with_user_agent("kubeling-example/node_reflector");
    println!("reflecting nodes from {}", config.server);
    let client = Client::new(config);

    // Nodes are cluster-scoped, so `Api::all` is the only sensible choice. No indexers: we
    // only list. (A kubelet's pod informer would add `store::pod_node_name_index()`.)
    let informer = Informer::new(Api::<Node>::all(client), ListParams::default(), vec![]);
    let store = informer.store();
    // Nothing is listed or watched until `start`, which spawns watcher + reflector.
    informer.start();

    // `interval` fires at once, then every 5 s: the first print usually shows `synced: false`.
    let mut every_5s = tokio::time::interval(Duration::from_secs(5));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            _ = every_5s.tick() => print_nodes(&store),
        }
    }
    println!("stopped");
    Ok(())
}

/// Everything here comes from memory: `Store::list` hands out `Arc<Node>`s, without a copy and
/// without a request.
fn print_nodes(store: &Store<Node>) {
    let mut nodes = store.list();
    nodes.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    println!(
        "synced: {}, {} nodes in the store",
        store.has_synced(),
        nodes.len()
    );
    for node in nodes {
        let name = node.metadata.name.as_deref().unwrap_or("");
        println!("  {name:<20} Ready={}", ready(&node));
    }
}

/// The status of the node's `Ready` condition (`True`, `False` or `Unknown`), which the node's
/// kubelet sets and the node lifecycle controller turns `Unknown` when the kubelet goes quiet.
/// A Node created by hand has no conditions at all.
fn ready(node: &Node) -> &str {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .map_or("<none>", |c| c.status.as_str())
}
