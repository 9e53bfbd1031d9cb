//! # configmap_controller: the whole controller shape in one file
//!
//! For every ConfigMap labelled `kubeling.dev/mirror=true`, keep a ConfigMap `<name>-mirror` in
//! the same namespace with the same `data`: create it if missing, update it if different, and
//! record an Event on the source each time we write. The pieces, in the order data flows:
//!
//! ```text
//! shared informer (ConfigMaps) ─► Enqueue handler ─► WorkQueue<"ns/name"> ─► 2 workers
//!                                                        ▲                       │ get()
//!                   add_rate_limited on error ───────────┘          reconcile(key, ctx)
//!                                                                    create / replace mirror
//! ```
//!
//! `reconcile` never learns *why* it ran (added? updated? a retry?): it reads the source and the
//! mirror from the informer's store and makes the mirror right. A source that is gone
//! (NotFound) means there is nothing to do. That is what keeps it idempotent, so duplicate or
//! merged events cannot hurt. The mirror carries an ownerReference to its source, so a garbage
//! collector (kind's kube-controller-manager runs one) deletes it with the source; this example
//! never deletes anything.
//!
//! Run it against `kubeling up` (`export KUBECONFIG=<dir>/kubeconfig`) or kind (leave it unset):
//! ```text
//! cargo run -p machinery --example configmap_controller [-- --leader-elect]
//! kubectl create -f - <<EOF
//! apiVersion: v1
//! kind: ConfigMap
//! metadata: {name: app, labels: {kubeling.dev/mirror: "true"}}
//! data: {k: v}
//! EOF
//! kubectl get configmap app-mirror -o yaml; kubectl get events
//! ```
//! With `--leader-elect`, start it twice: only the holder of the Lease `configmap-mirror` works;
//! stop it with Ctrl-C and the other takes over at once (the lease is released).
//!
//! Corresponds to kube-rs's `examples/configmapgen_controller.rs` (reconcile + Action) and
//! client-go's `examples/workqueue/main.go` and `examples/leader-election/main.go`.

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use machinery::client::{Api, Client, Config, Error};
use machinery::events::{reference, EventRecorder, EventType};
use machinery::informer::SharedInformerFactory;
use machinery::leader_election::{LeaderElectionConfig, LeaderElector, Leadership};
use machinery::reflector::{Deleted, EventHandler};
use machinery::store::{key_of, Store};
use machinery::workqueue::WorkQueue;
use std::sync::Arc;
use std::time::Duration;

const LABEL: &str = "kubeling.dev/mirror";

/// What reconcile asks for next (kube-runtime's `Action`).
enum Action {
    /// Nothing to do until something changes; the informer will tell us.
    AwaitChange,
    /// Look again after this long even if nothing changes (a level-triggered safety net).
    RequeueAfter(Duration),
}

/// What every reconcile may use: the API, the informer's cache, the event recorder.
struct Ctx {
    client: Client,
    store: Store<ConfigMap>,
    recorder: EventRecorder,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::new(Config::infer(None)?.with_user_agent("configmap-mirror"));
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if !std::env::args().any(|a| a == "--leader-elect") {
        run(client, ctrl_c).await;
        return Ok(());
    }
    // One identity per process; the Lease lives in the kubeconfig context's namespace.
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let identity = format!("{host}-{}", std::process::id());
    let le = LeaderElectionConfig::new(client.default_namespace(), "configmap-mirror", &identity);
    let elector = LeaderElector::new(client.clone(), le);
    println!("{identity}: waiting to lead");
    // `run` only starts once we lead, and stops when `lost()` resolves: a leader that cannot
    // renew stops working before any other candidate may start (see docs/machinery.md).
    let lead =
        move |mut leadership: Leadership| run(client, async move { leadership.lost().await });
    // Returns when leadership is lost, or on Ctrl-C (then the lease is released, so another
    // candidate takes over at once). Either way the process then exits, as client-go's example.
    elector.run(lead, ctrl_c).await?;
    println!("{identity}: no longer leading; exiting");
    Ok(())
}

/// Wire informer -> handler -> queue -> workers, run until `stop`, then drain the workers.
async fn run(client: Client, stop: impl std::future::Future<Output = ()>) {
    let factory = SharedInformerFactory::new(client.clone());
    let informer = factory.informer::<ConfigMap>("", vec![]); // "" = every namespace
    let queue = WorkQueue::new("configmap-mirror");
    informer.add_handler(Arc::new(Enqueue(queue.clone())));
    factory.start();
    let store = informer.store();
    // Act only on a complete cache: before the first list, "no mirror" may just mean "not yet".
    // (An unreachable API server means waiting here for ever, so `stop` is honoured too.)
    tokio::pin!(stop);
    tokio::select! {
        _ = store.wait_until_synced() => {}
        _ = &mut stop => return,
    }
    println!("cache synced; starting 2 workers");
    let ctx = Arc::new(Ctx {
        store,
        recorder: EventRecorder::new(client.clone(), "configmap-mirror"),
        client,
    });
    let workers: Vec<_> = (0..2)
        .map(|_| tokio::spawn(worker(queue.clone(), ctx.clone())))
        .collect();
    stop.await;
    // Finish in-flight reconciles (so we never stop halfway through a write), then `get`
    // returns None and every worker loop ends.
    queue.shut_down_with_drain().await;
    for w in workers {
        let _ = w.await;
    }
    println!("workers stopped");
}

/// The informer's handler does the least it can: turn an event into a key. Cheap filtering
/// here (is it a source? a mirror?), every decision in reconcile.
struct Enqueue(WorkQueue<String>);

impl Enqueue {
    fn enqueue(&self, cm: &ConfigMap) {
        let labels = cm.metadata.labels.as_ref();
        if labels.and_then(|l| l.get(LABEL)).map(String::as_str) == Some("true") {
            self.0.add(key_of(cm));
        }
        // A change to a mirror (someone edited or deleted it) wakes its source up.
        let ns = cm.metadata.namespace.as_deref().unwrap_or_default();
        for owner in cm.metadata.owner_references.iter().flatten() {
            if owner.kind == "ConfigMap" && owner.controller == Some(true) {
                self.0.add(format!("{ns}/{}", owner.name));
            }
        }
    }
}

impl EventHandler<ConfigMap> for Enqueue {
    fn on_add(&self, obj: &Arc<ConfigMap>) {
        self.enqueue(obj);
    }
    fn on_update(&self, _old: &Arc<ConfigMap>, new: &Arc<ConfigMap>) {
        self.enqueue(new);
    }
    fn on_delete(&self, obj: &Deleted<ConfigMap>) {
        self.enqueue(obj.object()); // a tombstone's last known state is good enough for a key
    }
}

/// One worker: the loop every kubeling controller runs (client-go's `processNextWorkItem`).
async fn worker(queue: WorkQueue<String>, ctx: Arc<Ctx>) {
    while let Some(key) = queue.get().await {
        match reconcile(&key, &ctx).await {
            Ok(action) => {
                queue.forget(&key); // success: the next failure starts from the first backoff
                if let Action::RequeueAfter(after) = action {
                    queue.add_after(key.clone(), after);
                }
            }
            Err(e) => {
                let retries = queue.num_requeues(&key);
                eprintln!("reconcile {key} failed (retry {}): {e}", retries + 1);
                queue.add_rate_limited(key.clone()); // 5 ms, 10 ms, 20 ms ... per key
            }
        }
        queue.done(&key); // always: until then no other worker may get this key
    }
}

/// Make `<name>-mirror` match the source `key` ("namespace/name"). Reads come from the cache;
/// writes go to the API. A stale cache only costs a retry: creating a mirror that exists fails
/// with AlreadyExists, and a replace carrying an old resourceVersion fails with Conflict.
async fn reconcile(key: &str, ctx: &Ctx) -> Result<Action, Error> {
    let Some(source) = ctx.store.get(key) else {
        return Ok(Action::AwaitChange); // NotFound: the source is gone, nothing to do
    };
    let labels = source.metadata.labels.as_ref();
    if labels.and_then(|l| l.get(LABEL)).map(String::as_str) != Some("true") {
        return Ok(Action::AwaitChange); // label removed: we leave the mirror alone
    }
    let ns = source.metadata.namespace.clone().unwrap_or_default();
    let name = format!(
        "{}-mirror",
        source.metadata.name.as_deref().unwrap_or_default()
    );
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &ns);
    let reason = match ctx.store.get(&format!("{ns}/{name}")) {
        Some(mirror) if mirror.data == source.data => {
            return Ok(Action::RequeueAfter(Duration::from_secs(300)))
        }
        // (sample-controller also refuses to touch a same-named object it does not own,
        // checking the ownerReference; we skip that check to stay short.)
        Some(mirror) => {
            let mut updated = (*mirror).clone(); // keeps its resourceVersion: a guarded write
            updated.data = source.data.clone();
            api.replace(&name, &updated).await?;
            "MirrorUpdated"
        }
        None => {
            let owner = OwnerReference {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                name: source.metadata.name.clone().unwrap_or_default(),
                uid: source.metadata.uid.clone().unwrap_or_default(),
                controller: Some(true),
                ..Default::default()
            };
            let metadata = ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(ns.clone()),
                owner_references: Some(vec![owner]),
                ..Default::default()
            };
            let data = source.data.clone();
            api.create(&ConfigMap {
                metadata,
                data,
                ..Default::default()
            })
            .await?;
            "MirrorCreated"
        }
    };
    println!("{key}: {reason} {ns}/{name}");
    // Events are for people (`kubectl describe`); failing to record one is not worth a retry.
    let message = format!("wrote {ns}/{name}");
    let about = reference(source.as_ref());
    if let Err(e) = ctx
        .recorder
        .record(&about, EventType::Normal, reason, &message)
        .await
    {
        eprintln!("could not record an event for {key}: {e}");
    }
    Ok(Action::RequeueAfter(Duration::from_secs(300)))
}
