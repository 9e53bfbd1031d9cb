//! `kubeling scheduler`: wire everything together and run — configuration, plugins, informers,
//! leader election, the HTTP server and the scheduling loop.
//! Upstream: `cmd/kube-scheduler/app/server.go`.

use crate::config::{ConfigError, KubeSchedulerConfiguration};
use crate::event_handlers::{NodeEventHandler, PodEventHandler};
use crate::framework::profile::new_framework;
use crate::plugins::{in_tree_registry, FactoryContext};
use crate::scheduler::{Scheduler, Shared};
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use machinery::client::{Api, Client, ListParams};
use machinery::informer::Informer;
use machinery::leader_election::{LeaderElectionConfig, LeaderElector};
use machinery::reflector::{Deleted, EventHandler};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// What `kubeling scheduler` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    pub config: KubeSchedulerConfiguration,
    /// Rename the first profile (run as a second scheduler, e.g. beside kind's own).
    pub scheduler_name: Option<String>,
    /// Where to serve /healthz, /metrics and /explain; `None` serves nothing.
    pub address: Option<SocketAddr>,
    /// Take the `kube-system/kube-scheduler` lease before scheduling (for running several).
    pub leader_elect: bool,
    pub identity: String,
}

/// Build one framework per profile.
pub fn build_shared(options: &Options, client: Option<Client>) -> Result<Arc<Shared>, ConfigError> {
    let mut config = options.config.clone();
    if let (Some(name), Some(first)) = (&options.scheduler_name, config.profiles.first_mut()) {
        first.scheduler_name = Some(name.clone());
    }
    let registry = in_tree_registry();
    let ctx = FactoryContext { client };
    let mut profiles = HashMap::new();
    for profile in &config.profiles {
        let framework = new_framework(
            profile,
            config.percentage_of_nodes_to_score,
            &registry,
            &ctx,
        )?;
        profiles.insert(profile.name().to_string(), Arc::new(framework));
    }
    Ok(Shared::new(profiles))
}

/// Keeps the PodDisruptionBudget list for preemption up to date.
struct PdbHandler(Arc<Shared>, machinery::store::Store<PodDisruptionBudget>);

impl PdbHandler {
    fn refresh(&self) {
        *self.0.pdbs.lock().unwrap_or_else(|p| p.into_inner()) = self.1.list();
    }
}

impl EventHandler<PodDisruptionBudget> for PdbHandler {
    fn on_add(&self, _: &Arc<PodDisruptionBudget>) {
        self.refresh();
    }
    fn on_update(&self, _: &Arc<PodDisruptionBudget>, _: &Arc<PodDisruptionBudget>) {
        self.refresh();
    }
    fn on_delete(&self, _: &Deleted<PodDisruptionBudget>) {
        self.refresh();
    }
}

/// Does the API server serve PodDisruptionBudgets? (kind does; kubeling's may not.)
async fn serves_pdbs(client: &Client) -> bool {
    let api: Api<PodDisruptionBudget> = Api::all(client.clone());
    let params = ListParams {
        limit: Some(1),
        ..ListParams::default()
    };
    api.list(&params).await.is_ok()
}

/// Informers, then the loop. Returns only if the scheduling loop ends.
pub async fn schedule(shared: Arc<Shared>, client: Client) {
    let pods = Informer::new(
        Api::<Pod>::all(client.clone()),
        ListParams::default(),
        vec![],
    );
    pods.add_handler(Arc::new(PodEventHandler(shared.clone())));
    let nodes = Informer::new(
        Api::<Node>::all(client.clone()),
        ListParams::default(),
        vec![],
    );
    nodes.add_handler(Arc::new(NodeEventHandler(shared.clone())));
    nodes.start();
    pods.start();
    let mut pdbs = None;
    if serves_pdbs(&client).await {
        let informer = Informer::new(
            Api::<PodDisruptionBudget>::all(client.clone()),
            ListParams::default(),
            vec![],
        );
        informer.add_handler(Arc::new(PdbHandler(shared.clone(), informer.store())));
        informer.start();
        pdbs = Some(informer);
    }
    // Decide only once the cache holds every node and every bound pod: scheduling against a
    // half-filled cache would overcommit nodes.
    nodes.store().wait_until_synced().await;
    pods.store().wait_until_synced().await;
    tracing::info!(
        nodes = shared.cache().node_count(),
        "scheduler caches synced; scheduling"
    );
    Scheduler::new(shared, client).run().await;
    drop((pods, nodes, pdbs));
}

/// Run the scheduler until `shutdown` completes.
pub async fn run(
    options: Options,
    client: Client,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let shared = build_shared(&options, Some(client.clone()))?;
    if let Some(address) = options.address {
        // Without its HTTP port the scheduler still schedules; only /metrics and /explain are
        // missing, so a taken port is reported, not fatal.
        match tokio::net::TcpListener::bind(address).await {
            Ok(listener) => {
                tracing::info!(%address, "scheduler serving /healthz, /metrics and /explain");
                let app = crate::server::router(shared.clone());
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
            }
            Err(e) => tracing::error!(%address, error = %e, "cannot serve /metrics and /explain"),
        }
    }
    if options.leader_elect {
        let config = LeaderElectionConfig::new("kube-system", "kube-scheduler", &options.identity);
        let elector = LeaderElector::new(client.clone(), config);
        elector
            .run(
                move |mut leadership| async move {
                    tokio::select! {
                        _ = schedule(shared, client) => {}
                        _ = leadership.lost() => {
                            // Upstream exits when it loses the lease; a new leader takes over.
                            tracing::error!("leader election lost; stopping scheduling");
                        }
                    }
                },
                shutdown,
            )
            .await
            .map_err(|e| RunError::LeaderElection(e.to_string()))?;
    } else {
        tokio::select! {
            _ = schedule(shared, client) => {}
            _ = shutdown => {}
        }
    }
    Ok(())
}

/// Why the scheduler could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("leader election failed: {0}")]
    LeaderElection(String),
}
