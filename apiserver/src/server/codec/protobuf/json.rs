//! From decoded protobuf values to the JSON Kubernetes writes for them.
//!
//! [`ToJson`] turns one decoded value into its JSON form: strings, numbers and booleans as
//! themselves, `bytes` as base64 (as Go's `encoding/json` writes a `[]byte`), lists and maps
//! element by element, and a handful of apimachinery types that have their own JSON form
//! (`Time`, `MicroTime`, `IntOrString`, `Quantity`, `FieldsV1`). The [`to_json!`] macro
//! implements it for one message from a list of its fields; the tables in the sibling files
//! are made of those lists.
//!
//! Upstream has no such code: Go decodes protobuf into its structs and `encoding/json` writes
//! them. What we reproduce here is that pair, field by field.

use super::DecodeError;
use base64::Engine;
use chrono::{DateTime, SecondsFormat};
use k8s_pb::apimachinery::pkg::api::resource::Quantity;
use k8s_pb::apimachinery::pkg::apis::meta::v1::{FieldsV1, MicroTime, Time};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One decoded protobuf value that has a JSON form.
pub(super) trait ToJson {
    /// The JSON form, or `None` when the field is to be left out of the object.
    fn to_json(&self) -> Result<Option<Value>, DecodeError>;

    /// Whether this is Go's zero value (`""`, `0`, `false`, the empty `IntOrString`).
    ///
    /// Go's protobuf encoder writes a field that is not a pointer every time, set or not, so a
    /// `""` or `0` on the wire usually means "not set". Fields marked `omitempty` in the tables
    /// leave such a value out, as Go's JSON encoder would; that keeps our defaulting (which
    /// fills in absent fields) working exactly as for a JSON body.
    fn is_zero(&self) -> bool {
        false
    }
}

/// Implements [`ToJson`] for one k8s-pb message from the list of its fields.
///
/// ```text
/// to_json!(core::Container {
///     name: "name",                       // written whenever present
///     image: "image" omitempty,           // "" on the wire means "not set"
///     ...
/// });
/// to_json!(core::Volume { name: "name", volume_source: inline });
/// ```
/// Each field is written `rust_name: "jsonName"`, and two marks change that:
/// - `omitempty`: Go's field is not a pointer and has `omitempty`, so a zero value is left out
///   (a field without the mark is a Go pointer or a required field: its zero is meaningful,
///   `replicas: 0` must stay 0);
/// - `inline` instead of a name: Go embeds the struct with `json:",inline"`, so its keys go
///   straight into this object (`Volume` holds its `VolumeSource` like that).
///
/// The macro destructures the message naming every field, so if a new k8s-pb release adds a
/// field the list does not name, the build fails here instead of the field vanishing silently.
/// It is used from the sibling table modules, hence the `super::json::` paths.
macro_rules! to_json {
    ($ty:ty { $($field:ident: $json:tt $($mark:ident)?),* $(,)? }) => {
        impl super::json::ToJson for $ty {
            fn to_json(
                &self,
            ) -> Result<Option<serde_json::Value>, super::DecodeError> {
                #[allow(unused_imports)]
                use super::json::ToJson as _;
                let Self { $($field),* } = self;
                let mut object = serde_json::Map::new();
                $( to_json!(@field object, $field, $json $($mark)?); )*
                Ok(Some(serde_json::Value::Object(object)))
            }
        }
    };
    (@field $object:ident, $field:ident, inline) => {
        super::json::inline(&mut $object, $field)?;
    };
    (@field $object:ident, $field:ident, $json:literal omitempty) => {
        if !$field.is_zero() {
            super::json::put(&mut $object, $json, $field)?;
        }
    };
    (@field $object:ident, $field:ident, $json:literal) => {
        super::json::put(&mut $object, $json, $field)?;
    };
}
pub(super) use to_json;

/// Add `value` to `object` under `key`, unless it is to be left out.
pub(super) fn put(
    object: &mut Map<String, Value>,
    key: &str,
    value: &impl ToJson,
) -> Result<(), DecodeError> {
    if let Some(json) = value.to_json()? {
        object.insert(key.to_string(), json);
    }
    Ok(())
}

/// Merge the keys of an embedded (`json:",inline"`) struct into `object`.
pub(super) fn inline(
    object: &mut Map<String, Value>,
    value: &impl ToJson,
) -> Result<(), DecodeError> {
    if let Some(Value::Object(inner)) = value.to_json()? {
        object.extend(inner);
    }
    Ok(())
}

// ---- Scalars, lists and maps ----

impl ToJson for String {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        Ok(Some(Value::String(self.clone())))
    }
    fn is_zero(&self) -> bool {
        self.is_empty()
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        Ok(Some(Value::Bool(*self)))
    }
    fn is_zero(&self) -> bool {
        !*self
    }
}

impl ToJson for i32 {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        Ok(Some(Value::from(*self)))
    }
    fn is_zero(&self) -> bool {
        *self == 0
    }
}

impl ToJson for i64 {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        Ok(Some(Value::from(*self)))
    }
    fn is_zero(&self) -> bool {
        *self == 0
    }
}

/// Protobuf `bytes` (Secret `data`, ConfigMap `binaryData`): base64 in JSON, as Go writes `[]byte`.
impl ToJson for Vec<u8> {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        let text = base64::engine::general_purpose::STANDARD.encode(self);
        Ok(Some(Value::String(text)))
    }
}

/// A proto2 `optional` field: absent on the wire means absent in JSON.
impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        match self {
            Some(value) => value.to_json(),
            None => Ok(None),
        }
    }
    fn is_zero(&self) -> bool {
        self.as_ref().is_none_or(ToJson::is_zero)
    }
}

/// A `repeated` field. Protobuf cannot tell an empty list from an absent one; both are left out,
/// as Go leaves out a nil slice marked `omitempty`.
impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        if self.is_empty() {
            return Ok(None);
        }
        let mut items = Vec::with_capacity(self.len());
        for item in self {
            items.push(item.to_json()?.unwrap_or(Value::Null));
        }
        Ok(Some(Value::Array(items)))
    }
}

/// A `map<string, ...>` field (labels, ConfigMap data, resource lists). Empty is left out.
impl<T: ToJson> ToJson for BTreeMap<String, T> {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        if self.is_empty() {
            return Ok(None);
        }
        let mut object = Map::new();
        for (key, value) in self {
            object.insert(key.clone(), value.to_json()?.unwrap_or(Value::Null));
        }
        Ok(Some(Value::Object(object)))
    }
}

// ---- apimachinery types with a JSON form of their own ----

/// `metav1.Time`: RFC 3339 in UTC, whole seconds (`2024-05-01T10:00:00Z`).
///
/// Go writes the zero time (a `creationTimestamp` nobody set) as an empty message; that becomes
/// no field at all. Upstream drops the nanoseconds when decoding (`time_proto.go`: JSON only
/// carries seconds, and keeping them would make protobuf and JSON clients disagree); so do we.
impl ToJson for Time {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        if self.seconds.is_none() && self.nanos.is_none() {
            return Ok(None);
        }
        let time = timestamp(self.seconds.unwrap_or(0), 0)?;
        Ok(Some(Value::String(
            time.to_rfc3339_opts(SecondsFormat::Secs, true),
        )))
    }
}

/// `metav1.MicroTime` (Event `eventTime`, Lease `renewTime`): RFC 3339 with microseconds.
impl ToJson for MicroTime {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        if self.seconds.is_none() && self.nanos.is_none() {
            return Ok(None);
        }
        let time = timestamp(self.seconds.unwrap_or(0), self.nanos.unwrap_or(0))?;
        Ok(Some(Value::String(
            time.to_rfc3339_opts(SecondsFormat::Micros, true),
        )))
    }
}

fn timestamp(seconds: i64, nanos: i32) -> Result<DateTime<chrono::Utc>, DecodeError> {
    u32::try_from(nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(seconds, nanos))
        .ok_or(DecodeError::Field(format!(
            "time {seconds}s {nanos}ns is out of range"
        )))
}

/// `intstr.IntOrString` (a Service's `targetPort`, a Deployment's `maxSurge`): a JSON number
/// when `type` is 0, a JSON string when it is 1.
impl ToJson for IntOrString {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        match self.r#type.unwrap_or(0) {
            0 => Ok(Some(Value::from(self.int_val.unwrap_or(0)))),
            1 => Ok(Some(Value::String(
                self.str_val.clone().unwrap_or_default(),
            ))),
            other => Err(DecodeError::Field(format!(
                "IntOrString has type {other}; only 0 (int) and 1 (string) exist"
            ))),
        }
    }
    /// Go's zero `IntOrString{}` is the integer 0, which Go's defaulting reads as "not set"
    /// (a Service port's `targetPort` then defaults to its `port`).
    fn is_zero(&self) -> bool {
        self.r#type.unwrap_or(0) == 0 && self.int_val.unwrap_or(0) == 0
    }
}

/// `resource.Quantity` (`cpu: 500m`): its canonical string travels as is.
impl ToJson for Quantity {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        // Go's zero Quantity writes itself as "0".
        let text = self.string.clone().unwrap_or_else(|| "0".to_string());
        Ok(Some(Value::String(text)))
    }
}

/// `metav1.FieldsV1` (in `managedFields`): its bytes are already JSON.
impl ToJson for FieldsV1 {
    fn to_json(&self) -> Result<Option<Value>, DecodeError> {
        let Some(raw) = &self.raw else {
            return Ok(None);
        };
        let value = serde_json::from_slice(raw).map_err(|e| {
            DecodeError::Field(format!("managedFields fieldsV1 is not valid JSON: {e}"))
        })?;
        Ok(Some(value))
    }
}
