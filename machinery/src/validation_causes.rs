//! The causes of a 422 Invalid, worded exactly as upstream words them.
//!
//! When the API server refuses an object it lists every problem as a `StatusCause`: a field
//! path, a machine-readable reason, and a message that kubectl prints after the path:
//!
//! ```text
//! The Pod "web" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive
//!                           \_______________ field _______________/ \______ type ______/ \bad/ \__________ detail ___________/
//! ```
//!
//! Upstream builds these with one constructor per error *type* (`field.Required`,
//! `field.Invalid`, `field.NotSupported`, ...) and renders them in `ErrorBody`, both in
//! `k8s.io/apimachinery/pkg/util/validation/field/errors.go`. This module mirrors both, so every
//! validator in the project words its messages the same way.
//!
//! The one tricky part is the *bad value*. Go prints it with the `fmt` verb that suits its type:
//! numbers and booleans plain (`70000`), strings quoted (`"web"`), and anything else in Go
//! syntax (`map[string]string{"app":"x"}`). [`BadValue`] carries a value together with that
//! choice, and the `go_*` helpers write the Go syntax of the shapes validators report.

use crate::StatusCause;
use std::collections::BTreeMap;

/// A value a cause reports, printed the way Go's `ErrorBody` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadValue {
    /// A string: printed quoted, as Go's `%q` does (`"web"`).
    Str(String),
    /// An integer: printed plain (`70000`).
    Int(i64),
    /// A boolean: printed plain (`true`).
    Bool(bool),
    /// A nil pointer: Go prints `null`.
    Null,
    /// Text already in Go syntax (a map, a slice, a struct), printed as it is.
    Go(String),
}

impl BadValue {
    /// The value as it appears after `Invalid value: `.
    pub fn render(&self) -> String {
        match self {
            BadValue::Str(s) => go_quote(s),
            BadValue::Int(i) => i.to_string(),
            BadValue::Bool(b) => b.to_string(),
            BadValue::Null => "null".to_string(),
            BadValue::Go(text) => text.clone(),
        }
    }
}

impl From<&str> for BadValue {
    fn from(s: &str) -> Self {
        BadValue::Str(s.to_string())
    }
}

impl From<String> for BadValue {
    fn from(s: String) -> Self {
        BadValue::Str(s)
    }
}

impl From<&String> for BadValue {
    fn from(s: &String) -> Self {
        BadValue::Str(s.clone())
    }
}

impl From<i64> for BadValue {
    fn from(i: i64) -> Self {
        BadValue::Int(i)
    }
}

impl From<bool> for BadValue {
    fn from(b: bool) -> Self {
        BadValue::Bool(b)
    }
}

fn cause(reason: &str, field: &str, body: String) -> StatusCause {
    StatusCause {
        reason: reason.to_string(),
        message: body,
        field: field.to_string(),
    }
}

/// `Type` or `Type: detail`: how `ErrorBody` ends every message.
fn with_detail(head: String, detail: &str) -> String {
    if detail.is_empty() {
        head
    } else {
        format!("{head}: {detail}")
    }
}

/// `field: Required value` (`field.Required`). The detail, when given, follows a colon:
/// `Required value: name or generateName is required`.
pub fn required(field: &str, detail: &str) -> StatusCause {
    cause(
        "FieldValueRequired",
        field,
        with_detail("Required value".into(), detail),
    )
}

/// `field: Invalid value: <value>: detail` (`field.Invalid`).
pub fn invalid(field: &str, value: impl Into<BadValue>, detail: &str) -> StatusCause {
    let head = format!("Invalid value: {}", value.into().render());
    cause("FieldValueInvalid", field, with_detail(head, detail))
}

/// `field: Unsupported value: "x": supported values: "a", "b"` (`field.NotSupported`). Each
/// supported value is quoted, in the order given (upstream passes a sorted set or a fixed list).
pub fn not_supported(field: &str, value: impl Into<BadValue>, supported: &[&str]) -> StatusCause {
    let head = format!("Unsupported value: {}", value.into().render());
    let detail = if supported.is_empty() {
        String::new()
    } else {
        let quoted: Vec<String> = supported.iter().map(|v| go_quote(v)).collect();
        format!("supported values: {}", quoted.join(", "))
    };
    cause("FieldValueNotSupported", field, with_detail(head, &detail))
}

/// `field: Duplicate value: "x"` (`field.Duplicate`).
pub fn duplicate(field: &str, value: impl Into<BadValue>) -> StatusCause {
    let body = format!("Duplicate value: {}", value.into().render());
    cause("FieldValueDuplicate", field, body)
}

/// `field: Not found: "x"` (`field.NotFound`): a reference to something that does not exist,
/// such as a volumeMount naming no volume.
pub fn not_found(field: &str, value: impl Into<BadValue>) -> StatusCause {
    let body = format!("Not found: {}", value.into().render());
    cause("FieldValueNotFound", field, body)
}

/// `field: Forbidden: detail` (`field.Forbidden`): a well-formed value that is not allowed here.
pub fn forbidden(field: &str, detail: &str) -> StatusCause {
    cause(
        "FieldValueForbidden",
        field,
        with_detail("Forbidden".into(), detail),
    )
}

/// `field: Too long: must have at most N bytes` (`field.TooLong`). The value is never shown:
/// it is too long to be worth printing.
pub fn too_long(field: &str, max_bytes: usize) -> StatusCause {
    let body = format!("Too long: must have at most {max_bytes} bytes");
    cause("FieldValueTooLong", field, body)
}

/// `field: Too many: 101: must have at most 100 items` (`field.TooMany`).
pub fn too_many(field: &str, actual: usize, max: usize) -> StatusCause {
    let body = format!("Too many: {actual}: must have at most {max} items");
    cause("FieldValueTooMany", field, body)
}

/// A string in Go's `%q` form: double quotes, with `"`, `\` and control characters escaped.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `map[string]string` in Go syntax (`%#v`): keys sorted, as Go's fmt sorts them.
/// `None` is a nil map, which Go prints as `map[string]string(nil)`.
pub fn go_string_map(map: Option<&BTreeMap<String, String>>) -> String {
    match map {
        None => "map[string]string(nil)".to_string(),
        Some(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
                .collect();
            format!("map[string]string{{{}}}", entries.join(", "))
        }
    }
}

/// A `[]string` in Go syntax (`%#v`): `[]string{"a", "b"}`, or `[]string(nil)` for nil.
pub fn go_string_slice(items: Option<&[String]>) -> String {
    match items {
        None => "[]string(nil)".to_string(),
        Some(items) => {
            let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
            format!("[]string{{{}}}", quoted.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_constructor_words_its_message_like_errors_go() {
        assert_eq!(
            required("spec.containers[0].image", "").message,
            "Required value"
        );
        assert_eq!(
            required("metadata.name", "name or generateName is required").message,
            "Required value: name or generateName is required"
        );
        let c = invalid("spec.replicas", -1, "must be greater than or equal to 0");
        assert_eq!(
            (c.reason.as_str(), c.message.as_str()),
            (
                "FieldValueInvalid",
                "Invalid value: -1: must be greater than or equal to 0"
            )
        );
        assert_eq!(
            not_supported("p", "FOO", &["SCTP", "TCP", "UDP"]).message,
            r#"Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP""#
        );
        assert_eq!(duplicate("n", "web").message, r#"Duplicate value: "web""#);
        assert_eq!(not_found("n", "data").reason, "FieldValueNotFound");
        assert_eq!(forbidden("f", "nope").message, "Forbidden: nope");
        assert_eq!(
            too_long("metadata.annotations", 262144).message,
            "Too long: must have at most 262144 bytes"
        );
    }

    #[test]
    fn go_syntax_matches_fmt_percent_sharp_v() {
        let mut m = BTreeMap::new();
        m.insert("b".to_string(), "2".to_string());
        m.insert("a".to_string(), "x".to_string());
        assert_eq!(
            go_string_map(Some(&m)),
            r#"map[string]string{"a":"x", "b":"2"}"#
        );
        assert_eq!(go_string_map(None), "map[string]string(nil)");
        assert_eq!(
            go_string_slice(Some(&["10.96.0.9".to_string()])),
            r#"[]string{"10.96.0.9"}"#
        );
        assert_eq!(go_quote("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\x01""#);
    }
}
