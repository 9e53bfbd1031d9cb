//! Watches over HTTP, on both stores: where they start, what they send, and what a
//! selector-filtered watcher sees when objects move in and out of its selection.

mod common;

use common::TestServer;
use serde_json::{json, Value};
use std::time::Duration;

// A small cache window (5 events) lets the tests slide history out of the cache.
api_suite!(window = 5;
    a_watch_without_resource_version_starts_with_the_current_state,
    a_watch_from_a_resource_version_sends_only_later_events_in_order,
    objects_leaving_and_entering_a_selection_arrive_as_deleted_and_added,
    a_namespaced_watch_sees_only_its_namespace,
    a_watch_older_than_the_cache_window_is_served_from_storage_history,
    a_watch_older_than_storage_history_gets_a_410_error_event,
    a_watch_ends_after_timeout_seconds,
    bookmarks_are_sent_only_when_allowed,
);

const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn cm(name: &str, labels: Value) -> Value {
    json!({"metadata": {"name": name, "labels": labels}})
}

fn summary(event: &Value) -> (String, String) {
    (
        event["type"].as_str().unwrap_or("").to_string(),
        event["object"]["metadata"]["name"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

fn pair(t: &str, n: &str) -> (String, String) {
    (t.to_string(), n.to_string())
}

async fn a_watch_without_resource_version_starts_with_the_current_state(s: &TestServer) {
    s.api.post(CMS, cm("old", json!({}))).await;
    let mut w = s.api.watch(&format!("{CMS}?watch=true")).await;
    assert_eq!(
        summary(&w.next().await),
        pair("ADDED", "old"),
        "synthetic ADDED for what exists"
    );
    s.api.post(CMS, cm("new", json!({}))).await;
    assert_eq!(summary(&w.next().await), pair("ADDED", "new"));
}

async fn a_watch_from_a_resource_version_sends_only_later_events_in_order(s: &TestServer) {
    s.api.post(CMS, cm("before", json!({}))).await;
    let (_, list) = s.api.get(CMS).await;
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut w = s
        .api
        .watch(&format!("{CMS}?watch=true&resourceVersion={rv}"))
        .await;
    s.api.post(CMS, cm("x", json!({}))).await;
    s.api
        .merge_patch(&format!("{CMS}/x"), json!({"data": {"a": "b"}}))
        .await;
    s.api.delete(&format!("{CMS}/x")).await;
    let events = [w.next().await, w.next().await, w.next().await];
    let kinds: Vec<_> = events.iter().map(summary).collect();
    assert_eq!(
        kinds,
        [
            pair("ADDED", "x"),
            pair("MODIFIED", "x"),
            pair("DELETED", "x")
        ]
    );
    let rvs: Vec<i64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        rvs.windows(2).all(|p| p[0] < p[1]),
        "resourceVersions increase: {rvs:?}"
    );
    assert!(rvs[0] > rv.parse::<i64>().unwrap());
}

async fn objects_leaving_and_entering_a_selection_arrive_as_deleted_and_added(s: &TestServer) {
    s.api.post(CMS, cm("t", json!({"app": "web"}))).await;
    let mut w = s
        .api
        .watch(&format!("{CMS}?watch=true&labelSelector=app%3Dweb"))
        .await;
    assert_eq!(summary(&w.next().await), pair("ADDED", "t"));
    s.api
        .merge_patch(
            &format!("{CMS}/t"),
            json!({"metadata": {"labels": {"app": "db"}}}),
        )
        .await;
    let left = w.next().await;
    assert_eq!(summary(&left), pair("DELETED", "t"), "left the selection");
    assert_eq!(
        left["object"]["metadata"]["labels"]["app"], "web",
        "shown as it last matched"
    );
    s.api.post(CMS, cm("other", json!({"app": "db"}))).await;
    s.api
        .merge_patch(
            &format!("{CMS}/t"),
            json!({"metadata": {"labels": {"app": "web"}}}),
        )
        .await;
    assert_eq!(
        summary(&w.next().await),
        pair("ADDED", "t"),
        "entered the selection; 'other' never shows"
    );
}

async fn a_namespaced_watch_sees_only_its_namespace(s: &TestServer) {
    s.api
        .post("/api/v1/namespaces", json!({"metadata": {"name": "team"}}))
        .await;
    let mut w = s
        .api
        .watch(&format!("{CMS}?watch=true&resourceVersion=0"))
        .await;
    s.api
        .post(
            "/api/v1/namespaces/team/configmaps",
            cm("theirs", json!({})),
        )
        .await;
    s.api.post(CMS, cm("ours", json!({}))).await;
    assert_eq!(summary(&w.next().await), pair("ADDED", "ours"));
    let mut all = s.api.watch("/api/v1/configmaps?watch=true").await;
    let mut names = vec![summary(&all.next().await).1, summary(&all.next().await).1];
    names.sort();
    assert_eq!(
        names,
        ["ours", "theirs"],
        "an all-namespaces watch sees both"
    );
}

async fn a_watch_older_than_the_cache_window_is_served_from_storage_history(s: &TestServer) {
    let (_, first) = s.api.post(CMS, cm("h0", json!({}))).await;
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 1..12 {
        s.api.post(CMS, cm(&format!("h{i}"), json!({}))).await;
    }
    // The cache keeps 5 events; etcd (and the memory store) still keep them all.
    let mut w = s
        .api
        .watch(&format!("{CMS}?watch=true&resourceVersion={rv}"))
        .await;
    for i in 1..12 {
        assert_eq!(
            summary(&w.next().await),
            pair("ADDED", &format!("h{i}")),
            "nothing missed"
        );
    }
    s.api.post(CMS, cm("live", json!({}))).await;
    assert_eq!(
        summary(&w.next().await),
        pair("ADDED", "live"),
        "then live events"
    );
}

async fn a_watch_older_than_storage_history_gets_a_410_error_event(s: &TestServer) {
    let (_, first) = s.api.post(CMS, cm("e0", json!({}))).await;
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 1..10 {
        s.api.post(CMS, cm(&format!("e{i}"), json!({}))).await;
    }
    let now = s.storage.current_revision().await.unwrap();
    s.storage.compact(now).await.unwrap();
    // Compaction may also cut the cache's own storage watch short; the cache then relists and
    // ends its watchers, and a client simply watches again. So: watch until an event arrives.
    let (mut w, event) = loop {
        let mut w = s
            .api
            .watch(&format!("{CMS}?watch=true&resourceVersion={rv}"))
            .await;
        if let Some(event) = w.next_within(Duration::from_secs(10)).await {
            break (w, event);
        }
    };
    assert_eq!(event["type"], "ERROR");
    assert_eq!(event["object"]["kind"], "Status");
    assert_eq!(
        (
            event["object"]["code"].clone(),
            event["object"]["reason"].clone()
        ),
        (json!(410), json!("Expired"))
    );
    assert!(
        w.next_within(Duration::from_secs(2)).await.is_none(),
        "and the stream ends"
    );
}

async fn a_watch_ends_after_timeout_seconds(s: &TestServer) {
    let mut w = s
        .api
        .watch(&format!(
            "{CMS}?watch=true&resourceVersion=0&timeoutSeconds=1"
        ))
        .await;
    assert!(
        w.next_within(Duration::from_secs(5)).await.is_none(),
        "closed after about a second"
    );
}

async fn bookmarks_are_sent_only_when_allowed(s: &TestServer) {
    // Every few seconds the cache tells bookmark-allowing watchers the revision of the last
    // change it has applied: a safe place to resume from.
    let (_, written) = s.api.post(CMS, cm("marker", json!({}))).await;
    let written: i64 = written["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mut plain = s
        .api
        .watch(&format!("{CMS}?watch=true&resourceVersion={written}"))
        .await;
    let mut marked = s
        .api
        .watch(&format!(
            "{CMS}?watch=true&resourceVersion={written}&allowWatchBookmarks=true"
        ))
        .await;
    let bookmark = marked
        .next_within(Duration::from_secs(15))
        .await
        .expect("a bookmark within 15 s");
    assert_eq!(bookmark["type"], "BOOKMARK");
    assert_eq!(bookmark["object"]["kind"], "ConfigMap");
    let brv: i64 = bookmark["object"]["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        brv >= written,
        "the bookmark covers the last write ({brv} >= {written})"
    );
    assert!(
        plain
            .next_within(Duration::from_millis(500))
            .await
            .is_none(),
        "no bookmarks unasked"
    );
}
