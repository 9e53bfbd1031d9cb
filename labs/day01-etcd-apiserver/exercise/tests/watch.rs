//! EXERCISE 2 and 3's rules, one table row each. Run `cargo test --test watch`.
//! The lines are what kubeling (and a real API server) send, trimmed to the fields that matter.

use lab01::watch::{next_step, parse_event_line, Next, ObjectRef, ParseError, Status, WatchEvent};

fn object(namespace: &str, name: &str, resource_version: &str) -> ObjectRef {
    ObjectRef {
        namespace: namespace.into(),
        name: name.into(),
        resource_version: resource_version.into(),
    }
}

fn status(code: u16, reason: &str, message: &str) -> Status {
    Status {
        code,
        reason: reason.into(),
        message: message.into(),
    }
}

#[test]
fn parse_event_line_reads_every_event_type_and_names_what_is_missing() {
    let cases: Vec<(&str, &str, Result<WatchEvent, ParseError>)> = vec![
        (
            "an ADDED event names the object and its resourceVersion",
            r#"{"type":"ADDED","object":{"apiVersion":"v1","kind":"ConfigMap","data":{"n":"1"},"metadata":{"name":"lab01-watched","namespace":"lab01","resourceVersion":"12","uid":"1f"}}}"#,
            Ok(WatchEvent::Added(object("lab01", "lab01-watched", "12"))),
        ),
        (
            "a MODIFIED event carries the new resourceVersion",
            r#"{"type":"MODIFIED","object":{"kind":"ConfigMap","metadata":{"name":"lab01-watched","namespace":"lab01","resourceVersion":"13"}}}"#,
            Ok(WatchEvent::Modified(object("lab01", "lab01-watched", "13"))),
        ),
        (
            "a DELETED event carries the revision of the delete",
            r#"{"type":"DELETED","object":{"kind":"ConfigMap","metadata":{"name":"lab01-watched","namespace":"lab01","resourceVersion":"14"}}}"#,
            Ok(WatchEvent::Deleted(object("lab01", "lab01-watched", "14"))),
        ),
        (
            "a cluster-scoped object has an empty namespace",
            r#"{"type":"ADDED","object":{"kind":"Namespace","metadata":{"name":"lab01","resourceVersion":"9"}}}"#,
            Ok(WatchEvent::Added(object("", "lab01", "9"))),
        ),
        (
            "a BOOKMARK has only a resourceVersion",
            r#"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"20"}}}"#,
            Ok(WatchEvent::Bookmark {
                resource_version: "20".into(),
            }),
        ),
        (
            "an ERROR carries the Status code, reason and message",
            r#"{"type":"ERROR","object":{"apiVersion":"v1","kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1","status":"Failure","metadata":{}}}"#,
            Ok(WatchEvent::Error(status(
                410,
                "Expired",
                "too old resource version: 1",
            ))),
        ),
        (
            "an ERROR without reason or message still has a code",
            r#"{"type":"ERROR","object":{"kind":"Status","code":500}}"#,
            Ok(WatchEvent::Error(status(500, "", ""))),
        ),
        (
            "an ERROR without a code is incomplete",
            r#"{"type":"ERROR","object":{"kind":"Status","reason":"Expired"}}"#,
            Err(ParseError::Missing("object.code")),
        ),
        (
            "a line without a type is incomplete",
            r#"{"object":{"metadata":{"name":"x","resourceVersion":"1"}}}"#,
            Err(ParseError::Missing("type")),
        ),
        (
            "a type that is not a string is as good as missing",
            r#"{"type":7,"object":{}}"#,
            Err(ParseError::Missing("type")),
        ),
        (
            "an object that is not a JSON object is missing",
            r#"{"type":"ADDED","object":"x"}"#,
            Err(ParseError::Missing("object")),
        ),
        (
            "an ADDED object without a name is incomplete",
            r#"{"type":"ADDED","object":{"metadata":{"resourceVersion":"5"}}}"#,
            Err(ParseError::Missing("object.metadata.name")),
        ),
        (
            "a MODIFIED object without a resourceVersion is incomplete",
            r#"{"type":"MODIFIED","object":{"metadata":{"name":"x"}}}"#,
            Err(ParseError::Missing("object.metadata.resourceVersion")),
        ),
        (
            "a BOOKMARK without a resourceVersion is incomplete",
            r#"{"type":"BOOKMARK","object":{"metadata":{}}}"#,
            Err(ParseError::Missing("object.metadata.resourceVersion")),
        ),
        (
            "an unknown type is named in the error",
            r#"{"type":"RENAMED","object":{"metadata":{"name":"x","resourceVersion":"1"}}}"#,
            Err(ParseError::UnknownType("RENAMED".into())),
        ),
    ];
    for (name, line, expected) in cases {
        assert_eq!(parse_event_line(line), expected, "{name}");
    }
}

#[test]
fn parse_event_line_reports_text_that_is_not_json() {
    for line in ["", "not json", "{\"type\":"] {
        assert!(
            matches!(parse_event_line(line), Err(ParseError::NotJson(_))),
            "{line:?} is not JSON"
        );
    }
}

#[test]
fn next_step_resumes_after_the_last_event_seen_and_relists_after_410() {
    let added = |rv: &str| WatchEvent::Added(object("lab01", "x", rv));
    let modified = |rv: &str| WatchEvent::Modified(object("lab01", "x", rv));
    let deleted = |rv: &str| WatchEvent::Deleted(object("lab01", "x", rv));
    let bookmark = |rv: &str| WatchEvent::Bookmark {
        resource_version: rv.into(),
    };
    let error = |code: u16| WatchEvent::Error(status(code, "", ""));
    let from = |rv: &str| Next::WatchFrom(rv.into());
    let cases: Vec<(&str, &str, Vec<WatchEvent>, Next)> = vec![
        (
            "a watch that saw nothing resumes from the list's resourceVersion",
            "10",
            vec![],
            from("10"),
        ),
        (
            "a watch resumes from its last event",
            "10",
            vec![added("12"), modified("13"), deleted("14")],
            from("14"),
        ),
        (
            "a bookmark moves the resume point although no object changed",
            "10",
            vec![added("12"), bookmark("30")],
            from("30"),
        ),
        (
            "resourceVersions are opaque: the last one wins, not the biggest number",
            "10",
            vec![added("9"), modified("100"), modified("11")],
            from("11"),
        ),
        (
            "410 Expired means the history is gone: list again",
            "10",
            vec![added("12"), error(410)],
            Next::Relist,
        ),
        (
            "410 at once, before any event, also means list again",
            "1",
            vec![error(410)],
            Next::Relist,
        ),
        (
            "another error ends the watch; resume from the last event",
            "10",
            vec![added("12"), error(500)],
            from("12"),
        ),
        (
            "events after an error are ignored",
            "10",
            vec![added("12"), error(500), added("99"), error(410)],
            from("12"),
        ),
    ];
    for (name, list_rv, events, expected) in cases {
        assert_eq!(next_step(list_rv, &events), expected, "{name}");
    }
}
