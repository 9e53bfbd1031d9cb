//! Events expire: an Event is kept for an hour (`--event-ttl`) after it last happened, then
//! deleted, so a busy cluster does not fill etcd with old news.
//!
//! Upstream writes each Event with an etcd *lease* of the TTL, and etcd deletes it when the
//! lease runs out (`pkg/registry/core/event/storage/storage.go`). Our storage trait has no
//! leases, so a sweeper does the same job: every minute it deletes the Events whose last
//! occurrence (`lastTimestamp`, else `eventTime`, else `creationTimestamp`) is older than the TTL.

use super::delete::DeleteOptions;
use super::list::ListQuery;
use super::Registry;
use crate::resources;
use chrono::{DateTime, Utc};
use machinery::{meta, ApiError};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Upstream's default `--event-ttl`.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// When an Event last happened.
fn last_seen(event: &Value) -> Option<DateTime<Utc>> {
    ["lastTimestamp", "eventTime"]
        .iter()
        .filter_map(|f| event.get(*f).and_then(Value::as_str))
        .chain(std::iter::once(meta::meta_str(event, "creationTimestamp")))
        .find_map(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

impl Registry {
    /// Delete every Event last seen more than `ttl` before `now`. Returns how many went.
    pub async fn expire_events(
        &self,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<usize, ApiError> {
        let events = resources::find("", "v1", "events")
            .ok_or_else(|| ApiError::internal("events are not served"))?;
        let cutoff = now - chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        let list = self
            .list_from_storage(events, "", &ListQuery::default())
            .await?;
        let mut expired = 0;
        for event in list.values()? {
            if last_seen(&event).is_some_and(|t| t < cutoff) {
                let (ns, name) = (meta::namespace(&event), meta::name(&event));
                match self
                    .delete(events, ns, name, &DeleteOptions::default())
                    .await
                {
                    Ok(_) => expired += 1,
                    Err(e) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(expired)
    }
}

/// Sweep expired Events every minute, for as long as the task runs.
pub async fn run(registry: Arc<Registry>, ttl: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        match registry.expire_events(ttl, Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "deleted expired events"),
            Err(e) => tracing::debug!(error = %e, "event expiry skipped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_event_is_as_old_as_its_last_occurrence() {
        let e = json!({"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}, "lastTimestamp": "2026-01-01T05:00:00Z"});
        assert_eq!(
            last_seen(&e).map(|t| t.to_rfc3339()),
            Some("2026-01-01T05:00:00+00:00".into())
        );
        let e = json!({"metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"}});
        assert_eq!(
            last_seen(&e).map(|t| t.to_rfc3339()),
            Some("2026-01-01T00:00:00+00:00".into())
        );
    }
}
