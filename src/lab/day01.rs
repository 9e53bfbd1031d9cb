//! Day 01's checks: etcd and the API server (labs/day01-etcd-apiserver/README.md).
//!
//! What the chapter leaves behind, all in namespace `lab01`:
//!
//! ```text
//! ConfigMap lab01-concurrency  data.etcdKey                  the key etcdctl showed it under
//!                              data.writer = b               B's write, retried after its 409
//!                              data.conflictResourceVersion  the stale version B's first PUT named
//! ConfigMap lab01-watch        data.events                   "ADDED 12 MODIFIED 13 DELETED 14"
//! ConfigMap lab01-watched      (deleted)                     the object that was watched
//! ConfigMap lab01-expired      data.resourceVersion          a version compacted away: 410
//!                              data.code, data.reason        what the server answered
//! ```
//!
//! Comparing resourceVersions as numbers is something a client must never do (they are opaque
//! strings); a checker may, because it knows both kubeling and kube-apiserver use etcd's
//! revision.

use super::{data, fetch, Fetched, Task};
use machinery::client::Client;
use serde_json::Value;

const NS: &str = "lab01";

/// What a list at an old resourceVersion answered (the proof that history was compacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// There was no resourceVersion to ask about.
    NotAsked,
    /// 410 Expired: etcd no longer has that revision.
    Expired,
    /// The list was served: that revision still exists.
    Served,
    /// Some other answer, as text.
    Failed(String),
}

pub async fn check(client: &Client) -> Vec<Task> {
    let cm = |name: &str| format!("/api/v1/namespaces/{NS}/configmaps/{name}");
    let namespace = fetch(client, &format!("/api/v1/namespaces/{NS}")).await;
    let concurrency = fetch(client, &cm("lab01-concurrency")).await;
    let watch = fetch(client, &cm("lab01-watch")).await;
    let watched = fetch(client, &cm("lab01-watched")).await;
    let expired = fetch(client, &cm("lab01-expired")).await;
    let probe = probe(client, &expired).await;
    vec![
        namespace_task(&namespace),
        etcd_key_task(&concurrency),
        conflict_task(&concurrency),
        watch_task(&watch, &watched),
        expired_task(&expired, &probe),
    ]
}

/// An `Exact` list at the recorded resourceVersion: served from etcd's history, or 410 if
/// that history was compacted. (A watch from it would go through the watch cache first,
/// which keeps its own window; the list asks etcd directly.)
async fn probe(client: &Client, expired: &Fetched) -> Probe {
    let Ok(Some(object)) = expired else {
        return Probe::NotAsked;
    };
    let Some(rv) = data(object, "resourceVersion").filter(|rv| !rv.is_empty()) else {
        return Probe::NotAsked;
    };
    let path = format!(
        "/api/v1/namespaces/{NS}/configmaps?resourceVersion={}&resourceVersionMatch=Exact&limit=1",
        machinery::client::api::encode(rv)
    );
    match super::get_json(client, &path).await {
        Ok(_) => Probe::Served,
        Err(e) if e.is_expired() => Probe::Expired,
        Err(e) => Probe::Failed(e.to_string()),
    }
}

/// The object, or the hint to give when it is missing or unreadable.
fn present<'a>(fetched: &'a Fetched, missing: &str) -> Result<&'a Value, String> {
    match fetched {
        Ok(Some(object)) => Ok(object),
        Ok(None) => Err(missing.to_string()),
        Err(e) => Err(e.clone()),
    }
}

fn namespace_task(namespace: &Fetched) -> Task {
    let verdict = present(
        namespace,
        "create it from a YAML file with `kubectl apply -f` (step 1)",
    )
    .map(|_| ());
    Task::judge("namespace lab01 exists", 1, verdict)
}

fn etcd_key_task(concurrency: &Fetched) -> Task {
    let expected = "/registry/configmaps/lab01/lab01-concurrency";
    let verdict = present(
        concurrency,
        "create ConfigMap lab01-concurrency in lab01 with curl (step 2)",
    )
    .and_then(|cm| match data(cm, "etcdKey") {
        Some(key) if key == expected => Ok(()),
        Some(key) => Err(format!(
            "data.etcdKey is {key:?}; list the keys with `etcdctl get /registry --prefix --keys-only` (step 3)"
        )),
        None => Err("add data.etcdKey: the key etcdctl shows this ConfigMap under (step 3)".into()),
    });
    Task::judge(
        "ConfigMap lab01/lab01-concurrency names its etcd key",
        1,
        verdict,
    )
}

fn conflict_task(concurrency: &Fetched) -> Task {
    let verdict = present(
        concurrency,
        "create ConfigMap lab01-concurrency in lab01 with curl (step 2)",
    )
    .and_then(|cm| {
        if data(cm, "writer") != Some("b") {
            return Err("the last write must be B's: data.writer = b (step 4)".into());
        }
        let current = number(machinery::meta::resource_version(cm));
        let stale = data(cm, "conflictResourceVersion").and_then(number);
        match (stale, current) {
            (None, _) => Err("add data.conflictResourceVersion: the resourceVersion B's first PUT named and got 409 for (step 4)".into()),
            (Some(stale), Some(current)) if stale < current => Ok(()),
            _ => Err("data.conflictResourceVersion must be an older resourceVersion than the object's own (step 4)".into()),
        }
    });
    Task::judge(
        "ConfigMap lab01/lab01-concurrency was written by B after a 409 Conflict",
        2,
        verdict,
    )
}

fn watch_task(watch: &Fetched, watched: &Fetched) -> Task {
    let verdict = present(
        watch,
        "record what the watch saw in ConfigMap lab01-watch, data.events (step 5)",
    )
    .and_then(|cm| {
        let events = data(cm, "events").ok_or("add data.events to ConfigMap lab01-watch (step 5)")?;
        check_events(events)?;
        match watched {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err("ConfigMap lab01-watched still exists: delete it, and record the DELETED event too (step 5)".into()),
            Err(e) => Err(e.clone()),
        }
    });
    Task::judge(
        "ConfigMap lab01/lab01-watch records a watch of lab01-watched from ADDED to DELETED",
        2,
        verdict,
    )
}

/// `ADDED 12 MODIFIED 13 DELETED 14` (spaces, commas or newlines between): starts with ADDED,
/// ends with DELETED, has a MODIFIED, and resourceVersions that grow.
pub fn check_events(events: &str) -> Result<(), String> {
    let words: Vec<&str> = events
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let format = "write data.events as TYPE RESOURCEVERSION pairs, e.g. \"ADDED 12 MODIFIED 13 DELETED 14\" (step 5)";
    if words.len() < 2 || words.len() % 2 == 1 {
        return Err(format.into());
    }
    let mut pairs = Vec::new();
    for pair in words.chunks(2) {
        let rv = number(pair[1]).ok_or(format)?;
        pairs.push((pair[0], rv));
    }
    let types: Vec<&str> = pairs.iter().map(|(t, _)| *t).collect();
    if types.first() != Some(&"ADDED")
        || types.last() != Some(&"DELETED")
        || !types.contains(&"MODIFIED")
    {
        return Err(format!(
            "saw {types:?}: watch from before the create, so the events run from ADDED through MODIFIED to DELETED (step 5)"
        ));
    }
    if pairs.windows(2).any(|w| w[0].1 >= w[1].1) {
        return Err(
            "every change gets a newer resourceVersion: copy them as the watch printed them (step 5)"
                .into(),
        );
    }
    Ok(())
}

fn expired_task(expired: &Fetched, probe: &Probe) -> Task {
    let verdict = present(
        expired,
        "record the too-old resourceVersion in ConfigMap lab01-expired (step 6)",
    )
    .and_then(|cm| {
        if data(cm, "code") != Some("410") || data(cm, "reason") != Some("Expired") {
            return Err("data.code and data.reason must be what the server answered: 410 and Expired (step 6)".into());
        }
        match probe {
            Probe::Expired => Ok(()),
            Probe::NotAsked => Err("add data.resourceVersion: the version you asked for and got 410 (step 6)".into()),
            Probe::Served => Err("that resourceVersion can still be read: compact etcd past it with `etcdctl compact` (step 6)".into()),
            Probe::Failed(e) => Err(format!("asking for data.resourceVersion failed: {e}")),
        }
    });
    Task::judge(
        "ConfigMap lab01/lab01-expired names a resourceVersion compacted away (410 Expired)",
        2,
        verdict,
    )
}

fn number(text: &str) -> Option<u64> {
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(rv: &str, data: Value) -> Fetched {
        Ok(Some(
            json!({"metadata": {"name": "x", "resourceVersion": rv}, "data": data}),
        ))
    }

    #[test]
    fn the_conflict_task_wants_writer_b_and_an_older_stale_version() {
        let cases = [
            (
                "b after a conflict passes",
                cm(
                    "20",
                    json!({"writer": "b", "conflictResourceVersion": "11"}),
                ),
                true,
            ),
            (
                "a's write is not b's",
                cm(
                    "20",
                    json!({"writer": "a", "conflictResourceVersion": "11"}),
                ),
                false,
            ),
            (
                "the stale version must be recorded",
                cm("20", json!({"writer": "b"})),
                false,
            ),
            (
                "the stale version must be older",
                cm(
                    "20",
                    json!({"writer": "b", "conflictResourceVersion": "20"}),
                ),
                false,
            ),
            (
                "the stale version must be a number",
                cm("20", json!({"writer": "b", "conflictResourceVersion": "x"})),
                false,
            ),
            ("a missing ConfigMap fails", Ok(None), false),
        ];
        for (name, fetched, pass) in cases {
            assert_eq!(conflict_task(&fetched).hint.is_none(), pass, "{name}");
        }
    }

    #[test]
    fn recorded_events_must_run_from_added_to_deleted_with_growing_versions() {
        let cases = [
            ("one line", "ADDED 12 MODIFIED 13 DELETED 14", true),
            (
                "lines and commas",
                "ADDED 12,\nMODIFIED 13,\nMODIFIED 15\nDELETED 16\n",
                true,
            ),
            ("no MODIFIED", "ADDED 12 DELETED 14", false),
            ("not from the start", "MODIFIED 13 DELETED 14", false),
            ("not to the end", "ADDED 12 MODIFIED 13", false),
            (
                "versions that do not grow",
                "ADDED 12 MODIFIED 12 DELETED 14",
                false,
            ),
            ("a missing version", "ADDED 12 MODIFIED DELETED 14", false),
            ("empty", "", false),
        ];
        for (name, events, pass) in cases {
            assert_eq!(check_events(events).is_ok(), pass, "{name}: {events:?}");
        }
    }

    #[test]
    fn the_watch_task_also_wants_the_watched_object_gone() {
        let watch = cm("30", json!({"events": "ADDED 12 MODIFIED 13 DELETED 14"}));
        assert!(watch_task(&watch, &Ok(None)).hint.is_none());
        assert!(watch_task(&watch, &cm("13", json!({}))).hint.is_some());
    }

    #[test]
    fn the_expired_task_trusts_only_the_servers_410() {
        let recorded = cm(
            "40",
            json!({"resourceVersion": "5", "code": "410", "reason": "Expired"}),
        );
        assert!(expired_task(&recorded, &Probe::Expired).hint.is_none());
        assert!(
            expired_task(&recorded, &Probe::Served).hint.is_some(),
            "not compacted yet"
        );
        let wrong = cm(
            "40",
            json!({"resourceVersion": "5", "code": "409", "reason": "Conflict"}),
        );
        assert!(expired_task(&wrong, &Probe::Expired).hint.is_some());
        assert!(expired_task(&Ok(None), &Probe::NotAsked).hint.is_some());
    }

    #[test]
    fn the_etcd_key_is_upstreams_key_for_the_configmap() {
        let right = cm(
            "1",
            json!({"etcdKey": "/registry/configmaps/lab01/lab01-concurrency"}),
        );
        let wrong = cm(
            "1",
            json!({"etcdKey": "/registry/configmaps/lab01-concurrency"}),
        );
        assert!(etcd_key_task(&right).hint.is_none());
        assert!(etcd_key_task(&wrong).hint.is_some());
    }
}
