//! One storage test suite, run against both backends: etcd (real, as a child process) and the
//! in-memory MVCC store. If a case passes on one and fails on the other, the memory store does
//! not yet behave like etcd, and that is a bug in the memory store.

mod common;

use apiserver::storage::{
    memory::MemoryStorage, ListOptions, Storage, StorageError, Watch, WatchEvent,
};
use std::time::Duration;

/// Generate `#[tokio::test]`s for one suite case: `memory::case` and `etcd::case`.
macro_rules! storage_suite {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test]
            async fn $case() {
                super::$case(&apiserver::storage::memory::MemoryStorage::default()).await;
            })*
        }
        mod etcd {
            $(#[tokio::test]
            async fn $case() {
                let Some(etcd) = crate::common::start_etcd() else { return };
                super::$case(&etcd.storage().await).await;
            })*
        }
    };
}

storage_suite!(
    create_then_get_returns_the_value_and_its_revisions,
    creating_an_existing_key_fails_with_already_exists,
    update_and_delete_guarded_by_a_stale_revision_conflict,
    update_and_delete_of_a_missing_key_are_not_found,
    list_reads_one_consistent_revision_even_after_later_writes,
    list_pages_with_limit_and_start_key,
    watch_delivers_create_update_delete_in_order_with_previous_values,
    a_watch_without_prev_kv_carries_only_the_new_values,
    watch_from_a_past_revision_replays_history_first,
    watch_and_list_below_the_compaction_point_fail_with_compacted,
    a_progress_request_reports_a_revision_covering_other_writes,
    a_prefix_watch_does_not_see_keys_that_merely_share_a_prefix_string,
);

fn v(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

async fn next(w: &mut Watch) -> Result<WatchEvent, StorageError> {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), w.events.recv())
            .await
            .expect("a watch event within 10s")
            .expect("watch still open");
        // Periodic progress notifies may arrive at any time; the cases below skip them.
        if !matches!(ev, Ok(WatchEvent::Progress { .. })) {
            return ev;
        }
    }
}

async fn create_then_get_returns_the_value_and_its_revisions(s: &dyn Storage) {
    let before = s.current_revision().await.unwrap();
    let rev = s.create("/t/a", v("one")).await.unwrap();
    assert!(rev > before, "a write advances the revision");
    let kv = s.get("/t/a").await.unwrap().expect("the key exists");
    assert_eq!(kv.value, v("one"));
    assert_eq!(kv.create_revision, rev);
    assert_eq!(kv.mod_revision, rev);
    assert_eq!(s.get("/t/missing").await.unwrap(), None);
}

async fn creating_an_existing_key_fails_with_already_exists(s: &dyn Storage) {
    s.create("/t/a", v("one")).await.unwrap();
    let err = s.create("/t/a", v("two")).await.unwrap_err();
    assert_eq!(err, StorageError::AlreadyExists("/t/a".into()));
    assert_eq!(
        s.get("/t/a").await.unwrap().unwrap().value,
        v("one"),
        "nothing changed"
    );
}

async fn update_and_delete_guarded_by_a_stale_revision_conflict(s: &dyn Storage) {
    let r1 = s.create("/t/a", v("one")).await.unwrap();
    let r2 = s.update("/t/a", v("two"), r1).await.unwrap();
    assert!(r2 > r1);
    let err = s.update("/t/a", v("three"), r1).await.unwrap_err();
    assert!(
        matches!(err, StorageError::Conflict { actual, .. } if actual == r2),
        "{err:?}"
    );
    let err = s.delete("/t/a", r1).await.unwrap_err();
    assert!(matches!(err, StorageError::Conflict { .. }), "{err:?}");
    let kv = s.get("/t/a").await.unwrap().unwrap();
    assert_eq!(kv.value, v("two"));
    assert_eq!(kv.create_revision, r1, "updates keep the create revision");
    s.delete("/t/a", r2).await.unwrap();
    assert_eq!(s.get("/t/a").await.unwrap(), None);
}

async fn update_and_delete_of_a_missing_key_are_not_found(s: &dyn Storage) {
    let err = s.update("/t/none", v("x"), 5).await.unwrap_err();
    assert_eq!(err, StorageError::NotFound("/t/none".into()));
    let err = s.delete("/t/none", 5).await.unwrap_err();
    assert_eq!(err, StorageError::NotFound("/t/none".into()));
}

async fn list_reads_one_consistent_revision_even_after_later_writes(s: &dyn Storage) {
    let ra = s.create("/t/a", v("a1")).await.unwrap();
    s.create("/t/b", v("b1")).await.unwrap();
    s.create("/u/x", v("elsewhere")).await.unwrap();
    let snap = s.list("/t/", ListOptions::default()).await.unwrap();
    assert_eq!(snap.kvs.len(), 2);
    s.update("/t/a", v("a2"), ra).await.unwrap();
    let rb = s.get("/t/b").await.unwrap().unwrap().mod_revision;
    s.delete("/t/b", rb).await.unwrap();
    s.create("/t/c", v("c1")).await.unwrap();

    let old = s
        .list(
            "/t/",
            ListOptions {
                revision: snap.revision,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let seen: Vec<(String, Vec<u8>)> = old
        .kvs
        .iter()
        .map(|k| (k.key.clone(), k.value.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![("/t/a".into(), v("a1")), ("/t/b".into(), v("b1"))]
    );
    assert_eq!(old.revision, snap.revision);

    let now = s.list("/t/", ListOptions::default()).await.unwrap();
    let keys: Vec<&str> = now.kvs.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(keys, vec!["/t/a", "/t/c"]);
}

async fn list_pages_with_limit_and_start_key(s: &dyn Storage) {
    for k in ["a", "b", "c", "d", "e"] {
        s.create(&format!("/t/{k}"), v(k)).await.unwrap();
    }
    let first = s
        .list(
            "/t/",
            ListOptions {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(first.more);
    assert_eq!(first.kvs.len(), 2);
    // The next page starts just after the last key, at the same revision.
    let next_key = format!("{}\0", first.kvs[1].key);
    let rest = s
        .list(
            "/t/",
            ListOptions {
                revision: first.revision,
                start_key: Some(next_key),
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(!rest.more);
    let keys: Vec<&str> = rest.kvs.iter().map(|k| k.key.as_str()).collect();
    assert_eq!(keys, vec!["/t/c", "/t/d", "/t/e"]);
}

async fn watch_delivers_create_update_delete_in_order_with_previous_values(s: &dyn Storage) {
    let start = s.current_revision().await.unwrap();
    let mut w = s.watch("/t/", start + 1, true).await.unwrap();
    let r1 = s.create("/t/a", v("1")).await.unwrap();
    let r2 = s.update("/t/a", v("2"), r1).await.unwrap();
    let r3 = s.delete("/t/a", r2).await.unwrap();
    match next(&mut w).await.unwrap() {
        WatchEvent::Put { kv, prev: None } => assert_eq!((kv.value, kv.mod_revision), (v("1"), r1)),
        other => panic!("expected a create, got {other:?}"),
    }
    match next(&mut w).await.unwrap() {
        WatchEvent::Put { kv, prev: Some(p) } => {
            assert_eq!((kv.value, kv.mod_revision, p.value), (v("2"), r2, v("1")))
        }
        other => panic!("expected an update, got {other:?}"),
    }
    match next(&mut w).await.unwrap() {
        WatchEvent::Delete {
            key,
            revision,
            prev: Some(p),
        } => {
            assert_eq!((key.as_str(), revision, p.value), ("/t/a", r3, v("2")))
        }
        other => panic!("expected a delete, got {other:?}"),
    }
}

async fn a_watch_without_prev_kv_carries_only_the_new_values(s: &dyn Storage) {
    let start = s.current_revision().await.unwrap();
    let mut w = s.watch("/t/", start + 1, false).await.unwrap();
    let r1 = s.create("/t/a", v("1")).await.unwrap();
    let r2 = s.update("/t/a", v("2"), r1).await.unwrap();
    s.delete("/t/a", r2).await.unwrap();
    match next(&mut w).await.unwrap() {
        WatchEvent::Put { kv, prev: None } => assert_eq!(kv.value, v("1")),
        other => panic!("expected a create, got {other:?}"),
    }
    match next(&mut w).await.unwrap() {
        WatchEvent::Put { kv, prev: None } => assert_eq!(kv.value, v("2")),
        other => panic!("expected an update without its previous value, got {other:?}"),
    }
    match next(&mut w).await.unwrap() {
        WatchEvent::Delete {
            key, prev: None, ..
        } => assert_eq!(key, "/t/a"),
        other => panic!("expected a delete without its previous value, got {other:?}"),
    }
}

async fn watch_from_a_past_revision_replays_history_first(s: &dyn Storage) {
    let r1 = s.create("/t/a", v("1")).await.unwrap();
    let r2 = s.update("/t/a", v("2"), r1).await.unwrap();
    let mut w = s.watch("/t/", r1, true).await.unwrap();
    assert_eq!(next(&mut w).await.unwrap().revision(), r1);
    assert_eq!(next(&mut w).await.unwrap().revision(), r2);
    let r3 = s.create("/t/b", v("b")).await.unwrap();
    assert_eq!(
        next(&mut w).await.unwrap().revision(),
        r3,
        "then live events"
    );
}

async fn watch_and_list_below_the_compaction_point_fail_with_compacted(s: &dyn Storage) {
    let mut rev = s.create("/t/a", v("0")).await.unwrap();
    let first = rev;
    for i in 1..5 {
        rev = s.update("/t/a", v(&i.to_string()), rev).await.unwrap();
    }
    s.compact(rev).await.unwrap();
    let mut w = s.watch("/t/", first, true).await.unwrap();
    let err = next(&mut w).await.unwrap_err();
    assert!(matches!(err, StorageError::Compacted { .. }), "{err:?}");
    let err = s
        .list(
            "/t/",
            ListOptions {
                revision: first,
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Compacted { .. }), "{err:?}");
    // The compaction point itself and everything after stays readable.
    let now = s
        .list(
            "/t/",
            ListOptions {
                revision: rev,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(now.kvs[0].value, v("4"));
}

async fn a_progress_request_reports_a_revision_covering_other_writes(s: &dyn Storage) {
    let start = s.current_revision().await.unwrap();
    let w = s.watch("/quiet/", start + 1, true).await.unwrap();
    let elsewhere = s.create("/busy/x", v("x")).await.unwrap();
    let mut w = w;
    w.request_progress();
    let progress = loop {
        let ev = tokio::time::timeout(Duration::from_secs(10), w.events.recv())
            .await
            .expect("progress within 10s")
            .expect("open")
            .expect("no error");
        if let WatchEvent::Progress { revision } = ev {
            break revision;
        }
    };
    assert!(
        progress >= elsewhere,
        "progress {progress} covers the write at {elsewhere}"
    );
}

async fn a_prefix_watch_does_not_see_keys_that_merely_share_a_prefix_string(s: &dyn Storage) {
    let start = s.current_revision().await.unwrap();
    let mut w = s
        .watch("/registry/services/", start + 1, true)
        .await
        .unwrap();
    s.create("/registry/serviceaccounts/default/x", v("sa"))
        .await
        .unwrap();
    let svc = s
        .create("/registry/services/default/y", v("svc"))
        .await
        .unwrap();
    assert_eq!(
        next(&mut w).await.unwrap().revision(),
        svc,
        "only the service arrives"
    );
}

#[tokio::test]
async fn memory_history_window_compacts_the_oldest_revisions() {
    let s = MemoryStorage::new(3);
    let mut rev = s.create("/t/a", v("0")).await.unwrap();
    let first = rev;
    for i in 1..6 {
        rev = s.update("/t/a", v(&i.to_string()), rev).await.unwrap();
    }
    let mut w = s.watch("/t/", first, true).await.unwrap();
    assert!(matches!(
        next(&mut w).await,
        Err(StorageError::Compacted { .. })
    ));
    let mut w = s.watch("/t/", rev - 2, true).await.unwrap();
    assert_eq!(
        next(&mut w).await.unwrap().revision(),
        rev - 2,
        "the window still replays"
    );
}
