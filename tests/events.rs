//! The event recorder against a real API server: repeats aggregate into one Event's count,
//! and the events can be found the way `kubectl describe` finds them.

use apiserver::registry::Registry;
use apiserver::storage::memory::MemoryStorage;
use k8s_openapi::api::core::v1::{ConfigMap, Event};
use machinery::client::{Api, Client, Config, ListParams};
use machinery::events::{reference, EventRecorder, EventType};
use serde_json::json;
use std::sync::Arc;

#[tokio::test]
async fn repeated_events_become_one_event_with_a_count() {
    let registry = Registry::new(Arc::new(MemoryStorage::default()), 100);
    registry.bootstrap().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(apiserver::server::serve(
        listener,
        registry,
        std::future::pending(),
    ));
    let client = Client::new(Config::new(&format!("http://127.0.0.1:{port}")).unwrap());
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm: ConfigMap = serde_json::from_value(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
    )
    .unwrap();
    let cm = cms.create(&cm).await.unwrap();

    let recorder = EventRecorder::new(client.clone(), "test-controller");
    let about = reference(&cm);
    for _ in 0..3 {
        recorder
            .record(&about, EventType::Warning, "Broken", "it broke")
            .await
            .unwrap();
    }
    recorder
        .record(&about, EventType::Normal, "Fixed", "it works again")
        .await
        .unwrap();

    let events: Api<Event> = Api::namespaced(client, "default");
    let uid = cm.metadata.uid.clone().unwrap();
    let found = events
        .list(
            &ListParams::default()
                .fields(&format!("involvedObject.uid={uid},involvedObject.name=c")),
        )
        .await
        .unwrap();
    let mut seen: Vec<(String, i32, String)> = found
        .items
        .iter()
        .map(|e| {
            (
                e.reason.clone().unwrap(),
                e.count.unwrap(),
                e.source.as_ref().and_then(|s| s.component.clone()).unwrap(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("Broken".into(), 3, "test-controller".into()),
            ("Fixed".into(), 1, "test-controller".into())
        ]
    );
    let broken = found
        .items
        .iter()
        .find(|e| e.reason.as_deref() == Some("Broken"))
        .unwrap();
    assert!(broken.last_timestamp >= broken.first_timestamp);
    assert_eq!(broken.type_.as_deref(), Some("Warning"));
}
