//! The compactor: keeps etcd's history from growing forever.
//!
//! etcd keeps every revision until told to forget. Upstream's API server compacts every five
//! minutes (`--etcd-compaction-interval`) to the revision it saw one interval earlier, so
//! clients always have at least one interval of history to resume watches from
//! (`storage/etcd3/compact.go`). We do the same.

use super::Storage;
use std::sync::Arc;
use std::time::Duration;

/// Upstream's default interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// Every `interval`, compact to the revision seen at the previous tick. Runs until dropped.
pub async fn run(storage: Arc<dyn Storage>, interval: Duration) {
    let mut previous: Option<i64> = None;
    let mut tick = tokio::time::interval(interval);
    loop {
        tick.tick().await;
        if let Some(rev) = previous {
            match storage.compact(rev).await {
                Ok(()) => tracing::info!(revision = rev, "compacted storage history"),
                Err(e) => tracing::debug!(error = %e, "compaction skipped"),
            }
        }
        previous = storage.current_revision().await.ok();
    }
}
