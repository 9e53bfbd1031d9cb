//! Events expire an hour (the TTL) after they last happened.

use apiserver::registry::Registry;
use apiserver::storage::memory::MemoryStorage;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn events_older_than_the_ttl_are_deleted_and_recent_ones_kept() {
    let registry = Registry::new(Arc::new(MemoryStorage::default()), 100);
    registry.bootstrap().await.unwrap();
    let events = apiserver::resources::find("", "v1", "events").unwrap();
    let event = |name: &str, last: &str| {
        json!({"metadata": {"name": name}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
            "reason": "Test", "message": "m", "type": "Normal", "lastTimestamp": last})
    };
    registry
        .create(events, "default", event("old", "2026-01-01T00:00:00Z"))
        .await
        .unwrap();
    registry
        .create(events, "default", event("recent", "2026-01-01T00:50:00Z"))
        .await
        .unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T01:30:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let expired = registry
        .expire_events(Duration::from_secs(3600), now)
        .await
        .unwrap();
    assert_eq!(expired, 1);
    assert_eq!(
        registry
            .get(events, "default", "old")
            .await
            .unwrap_err()
            .code,
        404
    );
    assert!(
        registry.get(events, "default", "recent").await.is_ok(),
        "last seen 40 minutes ago: kept"
    );
}
