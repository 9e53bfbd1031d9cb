//! # pod_watcher: the watcher on its own
//!
//! Prints one line for every event the [`watcher`] yields for Pods:
//!
//! ```text
//! Restarted: 3 pods            a fresh (re)list: this is now everything that exists
//! Applied: default/web Running node-1
//! Deleted: default/web
//! ```
//!
//! The watcher is the bottom layer of every informer: it lists once, then watches from the
//! list's resourceVersion, and recovers by itself from a closed watch (re-watch from the last
//! resourceVersion seen) and from 410 Gone (list again, hence `Restarted`). Nothing here keeps
//! a cache; see `node_reflector` for that, and `docs/machinery.md` for the state machine.
//!
//! Run it against `kubeling up` (which prints the kubeconfig path on its `ready` line):
//! ```text
//! export KUBECONFIG=<dir>/kubeconfig
//! cargo run -p machinery --example pod_watcher                     # every namespace
//! cargo run -p machinery --example pod_watcher -- --namespace default
//! ```
//! Against kind: `kind create cluster` writes `~/.kube/config`, which [`Config::infer`] reads
//! when `KUBECONFIG` is unset. In another terminal, make some events, then Ctrl-C to stop:
//! ```text
//! kubectl create -f - <<EOF
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: web}
//! spec: {containers: [{name: c, image: busybox}]}
//! EOF
//! kubectl delete pod web
//! ```
//!
//! Corresponds to kube-rs's `examples/pod_watcher.rs` (`watcher(api, ...)` over Pods). client-go
//! has no example of the bare loop; its closest relative is `tools/watch/retrywatcher.go`
//! (re-watch from the last resourceVersion), and the full loop is `ListAndWatch` in
//! `tools/cache/reflector.go`.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use machinery::client::{Api, Client, Config, ListParams};
use machinery::watcher::{watcher, Event};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--namespace NS` narrows the watch; without it we watch Pods in every namespace.
    let args: Vec<String> = std::env::args().collect();
    let namespace = args
        .iter()
        .position(|a| a == "--namespace" || a == "-n")
        .and_then(|i| args.get(i + 1))
        .cloned();

    // KUBECONFIG, else ~/.kube/config, else the in-cluster service account (kubectl's order).
    let config = Config::infer(None)?.with_user_agent("kubeling-example/pod_watcher");
    println!("watching pods on {}", config.server);
    let client = Client::new(config);
    let api: Api<Pod> = match &namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    };

    // The watcher never ends on its own: errors are yielded (so we can print them) and then
    // retried with backoff. We stop on Ctrl-C. Pinning the Ctrl-C future once, outside the
    // loop, means a signal that arrives while we print is not missed.
    let mut events = std::pin::pin!(watcher(api, ListParams::default()));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => break,
            event = events.next() => match event {
                Some(Ok(Event::Restarted(pods))) => println!("Restarted: {} pods", pods.len()),
                Some(Ok(Event::Applied(pod))) => println!("Applied: {}", describe(&pod)),
                Some(Ok(Event::Deleted(pod))) => println!("Deleted: {}", name_of(&pod)),
                // Not fatal: the watcher backs off (0.8 s doubling to 30 s) and tries again.
                Some(Err(e)) => eprintln!("watch error (the watcher will retry): {e}"),
                None => break, // cannot happen: the watcher's stream never ends
            },
        }
    }
    println!("stopped");
    Ok(())
}

/// `namespace/name`, as the store and the work queue key objects.
fn name_of(pod: &Pod) -> String {
    machinery::store::key_of(pod)
}

/// `namespace/name phase node`. The API server creates every pod `Pending` with no node; the
/// scheduler fills in `spec.nodeName`, and the kubelet on that node moves the phase on.
fn describe(pod: &Pod) -> String {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
    format!(
        "{} {} {}",
        name_of(pod),
        phase.unwrap_or("<no phase>"),
        node.unwrap_or("<unscheduled>")
    )
}
