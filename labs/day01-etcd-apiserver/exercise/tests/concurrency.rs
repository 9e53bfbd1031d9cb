//! EXERCISE 1's rules, one table row each. Run `cargo test --test concurrency`.

use lab01::concurrency::{update_with_retry, UpdateError};
use lab01::store::Store;
use std::cell::Cell;

/// One race: the key starts at `initial`; on each of the first `rivals` calls of `change`,
/// another client writes "+other" to the key first, so our guarded write loses that round.
struct Case {
    name: &'static str,
    initial: Option<&'static str>,
    rivals: u32,
    max_attempts: u32,
    expect_ok: bool,
    expect_error: Option<UpdateError>,
    expect_calls: u32,
    expect_value: Option<&'static str>,
}

const CASES: &[Case] = &[
    Case {
        name: "a write nobody races succeeds on the first attempt",
        initial: Some("0"),
        rivals: 0,
        max_attempts: 3,
        expect_ok: true,
        expect_error: None,
        expect_calls: 1,
        expect_value: Some("0+me"),
    },
    Case {
        name: "a write that loses one race is redone on top of the winner's value",
        initial: Some("0"),
        rivals: 1,
        max_attempts: 3,
        expect_ok: true,
        expect_error: None,
        expect_calls: 2,
        expect_value: Some("0+other+me"),
    },
    Case {
        name: "a write that loses two races still wins on its third and last attempt",
        initial: Some("0"),
        rivals: 2,
        max_attempts: 3,
        expect_ok: true,
        expect_error: None,
        expect_calls: 3,
        expect_value: Some("0+other+other+me"),
    },
    Case {
        name: "a write that loses every race gives up after max_attempts",
        initial: Some("0"),
        rivals: 10,
        max_attempts: 3,
        expect_ok: false,
        expect_error: Some(UpdateError::TooManyConflicts { attempts: 3 }),
        expect_calls: 3,
        expect_value: Some("0+other+other+other"),
    },
    Case {
        name: "a missing key is NotFound and change is never called",
        initial: None,
        rivals: 0,
        max_attempts: 3,
        expect_ok: false,
        expect_error: Some(UpdateError::NotFound),
        expect_calls: 0,
        expect_value: None,
    },
    Case {
        name: "zero attempts gives up at once",
        initial: Some("0"),
        rivals: 0,
        max_attempts: 0,
        expect_ok: false,
        expect_error: Some(UpdateError::TooManyConflicts { attempts: 0 }),
        expect_calls: 0,
        expect_value: Some("0"),
    },
];

#[test]
fn update_with_retry_follows_every_rule_of_optimistic_concurrency() {
    for case in CASES {
        let store = Store::new();
        if let Some(initial) = case.initial {
            store.put("cm", initial);
        }
        let calls = Cell::new(0);
        let result = update_with_retry(&store, "cm", case.max_attempts, |current| {
            calls.set(calls.get() + 1);
            if calls.get() <= case.rivals {
                // Another client gets in between our read and our write.
                store.put("cm", &format!("{current}+other"));
            }
            format!("{current}+me")
        });
        assert_eq!(
            calls.get(),
            case.expect_calls,
            "{}: calls of change",
            case.name
        );
        match (&result, case.expect_ok) {
            (Ok(revision), true) => assert_eq!(
                *revision,
                store.revision(),
                "{}: returns the revision of our write",
                case.name
            ),
            (Err(e), false) => assert_eq!(Some(e), case.expect_error.as_ref(), "{}", case.name),
            _ => panic!("{}: unexpected result {result:?}", case.name),
        }
        let value = store.get("cm").map(|kv| kv.value);
        assert_eq!(
            value.as_deref(),
            case.expect_value,
            "{}: final value",
            case.name
        );
    }
}

#[test]
fn a_change_that_changes_nothing_writes_nothing() {
    let store = Store::new();
    let written = store.put("cm", "same");
    let result = update_with_retry(&store, "cm", 3, |current| current.to_string());
    assert_eq!(result, Ok(written), "returns the revision it read");
    assert_eq!(
        store.revision(),
        written,
        "no new revision: nothing was written"
    );
}

#[test]
fn a_key_deleted_between_read_and_write_is_not_found() {
    let store = Store::new();
    store.put("cm", "0");
    let result = update_with_retry(&store, "cm", 3, |current| {
        store.delete("cm"); // another client deletes it while we compute
        format!("{current}+me")
    });
    assert_eq!(result, Err(UpdateError::NotFound));
    assert_eq!(store.get("cm"), None, "and nothing was written back");
}
