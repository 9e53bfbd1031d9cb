//! Leader election on a `coordination.k8s.io/v1` Lease: of several copies of a component, one
//! works and the others wait to take over.
//!
//! The Lease object is the baton. Its holder renews `spec.renewTime` every `retry_period`;
//! candidates watch it. Mirrors `k8s.io/client-go/tools/leaderelection/leaderelection.go`:
//!
//! ```text
//!  candidate ──try every retry_period──► Lease free, or not renewed for lease_duration?
//!                                          yes: write ourselves in (guarded by resourceVersion)
//!  leader ──renew every retry_period──► succeeded within renew_deadline? keep leading
//!                                          no: STOP leading (before anyone else may start)
//! ```
//!
//! Why there are never two leaders: a leader that cannot renew gives up after `renew_deadline`
//! (10 s), while a candidate waits `lease_duration` (15 s) after it *last saw the lease change*
//! before taking it. Candidates judge expiry by their own clock since their own observation,
//! never by the timestamps in the Lease, so clock skew between machines cannot break this.
//! Writes are guarded by resourceVersion, so two candidates cannot both win one round.

use crate::client::{Api, Client, DeleteParams, Error};
use chrono::Utc;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Timings and names, with upstream's defaults (15 s / 10 s / 2 s).
#[derive(Debug, Clone)]
pub struct LeaderElectionConfig {
    pub namespace: String,
    pub lease_name: String,
    /// Who we are (unique per candidate, e.g. hostname + random suffix).
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

impl LeaderElectionConfig {
    /// Upstream's defaults for a lease in `namespace` named `lease_name`.
    pub fn new(namespace: &str, lease_name: &str, identity: &str) -> Self {
        LeaderElectionConfig {
            namespace: namespace.into(),
            lease_name: lease_name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// Passed to the leading work: `lost()` resolves when leadership ends, and the work must stop.
#[derive(Clone)]
pub struct Leadership {
    rx: watch::Receiver<bool>,
}

impl Leadership {
    /// Resolves once we are no longer the leader.
    pub async fn lost(&mut self) {
        let _ = self.rx.wait_for(|leading| !*leading).await;
    }

    /// Whether we still lead right now.
    pub fn is_leading(&self) -> bool {
        *self.rx.borrow()
    }
}

/// One candidate.
pub struct LeaderElector {
    api: Api<Lease>,
    config: LeaderElectionConfig,
    /// The last lease record we saw (holder, renewTime) and when we saw it change.
    observed: Option<((String, Option<String>), Instant)>,
}

impl LeaderElector {
    pub fn new(client: Client, config: LeaderElectionConfig) -> Self {
        let api = Api::namespaced(client, &config.namespace);
        LeaderElector {
            api,
            config,
            observed: None,
        }
    }

    /// Wait to become leader, run `lead` while leading, and return when leadership is lost or
    /// `shutdown` resolves (then the lease is released so a successor need not wait).
    pub async fn run<F, Fut>(
        mut self,
        lead: F,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), Error>
    where
        F: FnOnce(Leadership) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        tokio::pin!(shutdown);
        // Acquire.
        loop {
            if self.try_acquire_or_renew().await {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.config.retry_period) => {}
                _ = &mut shutdown => return Ok(()),
            }
        }
        tracing::info!(identity = %self.config.identity, lease = %self.config.lease_name, "became leader");
        let (tx, rx) = watch::channel(true);
        let work = tokio::spawn(lead(Leadership { rx }));
        // Renew until we cannot, or until asked to stop. We stop leading the moment the renew
        // deadline passes without a renewal, not a retry period later: the margin between
        // renew_deadline and lease_duration is what keeps a successor from overlapping us.
        let mut last_renew = Instant::now();
        let released = loop {
            let deadline = last_renew + self.config.renew_deadline;
            tokio::select! {
                _ = tokio::time::sleep(self.config.retry_period) => {}
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::warn!(identity = %self.config.identity, "failed to renew the lease in time; stopping");
                    break false;
                }
                _ = &mut shutdown => break true,
            }
            // Each attempt may take at most what is left of the renew deadline: a request
            // stuck in retries must not keep us "leading" past it.
            let left = deadline.saturating_duration_since(Instant::now());
            let renewed = tokio::time::timeout(left, self.try_acquire_or_renew())
                .await
                .unwrap_or(false);
            if renewed {
                last_renew = Instant::now();
            } else if Instant::now() >= deadline {
                tracing::warn!(identity = %self.config.identity, "failed to renew the lease in time; stopping");
                break false;
            }
        };
        let _ = tx.send(false);
        let _ = work.await;
        if released {
            self.release().await;
        }
        Ok(())
    }

    /// One round of client-go's `tryAcquireOrRenew`. True if we hold the lease afterwards.
    pub async fn try_acquire_or_renew(&mut self) -> bool {
        let now = MicroTime(Utc::now());
        let me = self.config.identity.clone();
        let secs = self.config.lease_duration.as_secs() as i32;
        let lease = match self.api.get_opt(&self.config.lease_name).await {
            Ok(Some(lease)) => lease,
            Ok(None) => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(self.config.lease_name.clone()),
                        ..Default::default()
                    },
                    spec: Some(LeaseSpec {
                        holder_identity: Some(me),
                        lease_duration_seconds: Some(secs),
                        acquire_time: Some(now.clone()),
                        renew_time: Some(now),
                        lease_transitions: Some(0),
                        ..Default::default()
                    }),
                };
                return self.api.create(&lease).await.is_ok();
            }
            Err(_) => return false,
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let record = (
            holder.clone(),
            spec.renew_time.as_ref().map(|t| t.0.to_rfc3339()),
        );
        // Note when the record last changed, by our own clock.
        let changed = self
            .observed
            .as_ref()
            .is_none_or(|(seen, _)| *seen != record);
        if changed {
            self.observed = Some((record, Instant::now()));
        }
        let observed_at = self
            .observed
            .as_ref()
            .map(|(_, at)| *at)
            .unwrap_or_else(Instant::now);
        let expired = observed_at.elapsed() >= self.config.lease_duration;
        if !holder.is_empty() && holder != me && !expired {
            return false; // someone else leads, and recently renewed
        }
        let mut updated = lease.clone();
        let mut new_spec = spec.clone();
        if holder != me {
            new_spec.acquire_time = Some(now.clone());
            new_spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        new_spec.holder_identity = Some(me);
        new_spec.lease_duration_seconds = Some(secs);
        new_spec.renew_time = Some(now);
        updated.spec = Some(new_spec);
        // The PUT carries the resourceVersion we read: if anyone wrote since, we lose this round.
        match self.api.replace(&self.config.lease_name, &updated).await {
            Ok(written) => {
                let spec = written.spec.unwrap_or_default();
                let record = (
                    spec.holder_identity.unwrap_or_default(),
                    spec.renew_time.map(|t| t.0.to_rfc3339()),
                );
                self.observed = Some((record, Instant::now()));
                true
            }
            Err(_) => false,
        }
    }

    /// Give the lease up: clear the holder so a successor can take it at once.
    async fn release(&mut self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.config.lease_name).await else {
            return;
        };
        let Some(spec) = lease.spec.as_mut() else {
            return;
        };
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(Utc::now()));
        if self
            .api
            .replace(&self.config.lease_name, &lease)
            .await
            .is_err()
        {
            tracing::warn!("could not release the lease; a successor will wait for it to expire");
        }
    }

    /// Delete the lease (for tests and cleanup).
    pub async fn delete_lease(&self) -> Result<(), Error> {
        self.api
            .delete(&self.config.lease_name, &DeleteParams::default())
            .await
    }
}
