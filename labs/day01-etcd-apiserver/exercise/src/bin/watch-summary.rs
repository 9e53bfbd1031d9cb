//! `watch-summary`: read a watch from stdin, print one line per event with your parser
//! (given; it works once EXERCISE 2 and 3 are done).
//!
//! ```text
//! $ curl -sN "$S/api/v1/namespaces/lab01/configmaps?watch=true&resourceVersion=$RV&timeoutSeconds=3" \
//!     | cargo run -q --bin watch-summary
//! ADDED 12 lab01/lab01-watched
//! MODIFIED 13 lab01/lab01-watched
//! DELETED 14 lab01/lab01-watched
//! next: watch from resourceVersion 14
//! ```
//! Event lines go to stdout; what to do next goes to stderr, so
//! `... | watch-summary | cut -d' ' -f1,2` keeps only the events.

use lab01::watch::{next_step, parse_event_line, Next, WatchEvent};
use std::io::BufRead;

fn main() {
    let mut events = Vec::new();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        if line.trim().is_empty() {
            continue;
        }
        match parse_event_line(&line) {
            Ok(event) => {
                println!("{}", describe(&event));
                events.push(event);
            }
            Err(e) => eprintln!("not a watch event ({e:?}): {line}"),
        }
    }
    // The list's resourceVersion is not in the stream; "" stands for "where you started".
    match next_step("", &events) {
        Next::WatchFrom(rv) if rv.is_empty() => {
            eprintln!("next: watch again from where you started")
        }
        Next::WatchFrom(rv) => eprintln!("next: watch from resourceVersion {rv}"),
        Next::Relist => {
            eprintln!("next: list again (the history is gone), then watch from the list")
        }
    }
}

fn describe(event: &WatchEvent) -> String {
    let object = |kind: &str, o: &lab01::watch::ObjectRef| {
        let at = if o.namespace.is_empty() {
            String::new()
        } else {
            format!("{}/", o.namespace)
        };
        format!("{kind} {} {at}{}", o.resource_version, o.name)
    };
    match event {
        WatchEvent::Added(o) => object("ADDED", o),
        WatchEvent::Modified(o) => object("MODIFIED", o),
        WatchEvent::Deleted(o) => object("DELETED", o),
        WatchEvent::Bookmark { resource_version } => format!("BOOKMARK {resource_version}"),
        WatchEvent::Error(s) => format!("ERROR {} {} {}", s.code, s.reason, s.message),
    }
}
