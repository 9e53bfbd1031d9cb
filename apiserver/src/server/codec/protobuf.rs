//! Protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`), decoded into
//! the same JSON value a JSON body would have produced.
//!
//! Mirrors apimachinery `pkg/runtime/serializer/protobuf/protobuf.go` (the envelope) and the
//! `generated.pb.go` of each API group (the objects). Go clients, `kubectl create configmap`
//! among them, send built-in kinds this way and do not retry with JSON after a 415.
//!
//! # The wire format
//! ```text
//! 6b 38 73 00                 "k8s\0": says "a Kubernetes protobuf body follows"
//! runtime.Unknown {           the envelope, itself a protobuf message
//!   1: typeMeta { apiVersion: "v1", kind: "ConfigMap" }
//!   2: raw = the ConfigMap message (k8s.io.api.core.v1.ConfigMap) as bytes
//!   3: contentEncoding = ""   (we decode no compression; neither does upstream today)
//!   4: contentType = ""
//! }
//! ```
//! The object message carries no `apiVersion`/`kind` of its own (protobuf types are known by
//! the envelope), so we copy them from `typeMeta` into the JSON.
//!
//! # How the object becomes JSON, and why this way
//! Protobuf bytes say only "field 3 holds these bytes"; turning them into JSON takes a schema
//! that names field 3 and knows its type. Two schemas were on offer:
//! - a generic decoder driven by descriptors (prost-reflect): clean, but it needs the upstream
//!   `.proto` files or a compiled descriptor set, which no crate ships; we would vendor about
//!   10,000 lines of `.proto`;
//! - the crate `k8s-pb`, whose prost structs decode every built-in kind (field numbers,
//!   optional vs absent, maps, bytes), plus a conversion from each struct to JSON.
//!
//! We use `k8s-pb`. The conversion is one `to_json!` list per message naming each field's JSON
//! name (see [`json`]); the lists cover every kind [`crate::resources`] serves, plus `Binding`,
//! `Scale` and `DeleteOptions`, about 210 messages. The lists were first produced mechanically
//! from k8s-pb's structs and the Go types of k8s.io/api v0.35 (JSON names, pointers,
//! `omitempty`, inlined structs) and are kept by hand; the compiler rejects a list that misses
//! a field. The result then goes through the same defaulting, validation and storage as JSON.
//!
//! Responses stay JSON: every client that sends protobuf also accepts JSON.

mod json;

mod containers;
mod core_kinds;
mod groups;
mod meta;
mod pod;
mod volumes;

#[cfg(test)]
mod tests;

use json::ToJson;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use machinery::ApiError;
use prost::Message;
use serde_json::{Map, Value};

/// The four bytes that open every Kubernetes protobuf body: `k8s` and a zero byte.
pub const MAGIC: [u8; 4] = *b"k8s\0";

/// Why a protobuf body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Upstream: "provided data does not appear to be a protobuf message, expected prefix".
    #[error("the request body is not a Kubernetes protobuf message: it must start with the 4 bytes \"k8s\\0\"")]
    NoMagic,
    /// The `runtime.Unknown` envelope after the prefix is missing or broken.
    #[error("the protobuf envelope (runtime.Unknown) cannot be read: {0}")]
    Envelope(String),
    /// We would have to decompress `raw` first; no client does that today.
    #[error("protobuf bodies with contentEncoding {0:?} are not supported; send them uncompressed or as application/json")]
    ContentEncoding(String),
    /// The envelope names a kind we hold no protobuf schema for.
    #[error("this server reads protobuf bodies only for the kinds it serves, and {kind} in {api_version:?} is not one of them; send it as application/json")]
    UnsupportedKind { api_version: String, kind: String },
    /// The object inside the envelope is not a valid message of its kind.
    #[error("the {kind} in the protobuf body cannot be read: {reason}")]
    Object { kind: String, reason: String },
    /// One field's value has no JSON form (a time out of range, bad `fieldsV1` JSON, ...).
    #[error("{0}")]
    Field(String),
}

impl From<DecodeError> for ApiError {
    fn from(err: DecodeError) -> Self {
        match err {
            // 415: the body may be fine, we just cannot read this kind of it.
            DecodeError::ContentEncoding(_) | DecodeError::UnsupportedKind { .. } => ApiError {
                code: 415,
                reason: "UnsupportedMediaType".to_string(),
                message: err.to_string(),
                details: Box::default(),
            },
            // 400: the body is broken.
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

/// Decode a protobuf request body into the JSON object it stands for.
pub fn decode(body: &[u8]) -> Result<Value, ApiError> {
    Ok(decode_object(body)?)
}

/// [`decode`], with our own error type (what the unit tests look at).
fn decode_object(body: &[u8]) -> Result<Value, DecodeError> {
    let envelope = body.strip_prefix(&MAGIC).ok_or(DecodeError::NoMagic)?;
    if envelope.is_empty() {
        return Err(DecodeError::Envelope(
            "the body holds only the \"k8s\\0\" prefix".into(),
        ));
    }
    let unknown = Unknown::decode(envelope).map_err(|e| DecodeError::Envelope(e.to_string()))?;

    let type_meta = unknown.type_meta.unwrap_or_default();
    let api_version = type_meta.api_version.unwrap_or_default();
    let kind = type_meta.kind.unwrap_or_default();
    // Upstream fills a missing kind from the URL; kubectl and client-go always send both.
    if kind.is_empty() || api_version.is_empty() {
        return Err(DecodeError::Envelope(format!(
            "typeMeta must name both apiVersion and kind (got apiVersion {api_version:?}, kind {kind:?})"
        )));
    }
    match unknown.content_encoding.as_deref() {
        None | Some("") => {}
        Some(other) => return Err(DecodeError::ContentEncoding(other.to_string())),
    }

    let raw = unknown.raw.unwrap_or_default();
    let mut object = object_to_json(&api_version, &kind, &raw).map_err(|e| match e {
        DecodeError::Field(reason) => DecodeError::Object {
            kind: kind.clone(),
            reason,
        },
        other => other,
    })?;
    object.insert("apiVersion".to_string(), Value::String(api_version));
    object.insert("kind".to_string(), Value::String(kind));
    Ok(Value::Object(object))
}

/// Decode `raw` as the message of `kind` in `api_version` and write it as a JSON object.
fn object_to_json(
    api_version: &str,
    kind: &str,
    raw: &[u8],
) -> Result<Map<String, Value>, DecodeError> {
    use k8s_pb::api::{apps, autoscaling, batch, coordination, core, discovery, scheduling};
    use k8s_pb::apimachinery::pkg::apis::meta;
    match (api_version, kind) {
        ("v1", "Namespace") => message::<core::v1::Namespace>(kind, raw),
        ("v1", "Pod") => message::<core::v1::Pod>(kind, raw),
        ("v1", "Service") => message::<core::v1::Service>(kind, raw),
        ("v1", "Endpoints") => message::<core::v1::Endpoints>(kind, raw),
        ("v1", "ConfigMap") => message::<core::v1::ConfigMap>(kind, raw),
        ("v1", "Secret") => message::<core::v1::Secret>(kind, raw),
        ("v1", "Node") => message::<core::v1::Node>(kind, raw),
        ("v1", "Event") => message::<core::v1::Event>(kind, raw),
        ("v1", "ServiceAccount") => message::<core::v1::ServiceAccount>(kind, raw),
        ("v1", "Binding") => message::<core::v1::Binding>(kind, raw),
        ("apps/v1", "Deployment") => message::<apps::v1::Deployment>(kind, raw),
        ("apps/v1", "ReplicaSet") => message::<apps::v1::ReplicaSet>(kind, raw),
        ("batch/v1", "Job") => message::<batch::v1::Job>(kind, raw),
        ("coordination.k8s.io/v1", "Lease") => message::<coordination::v1::Lease>(kind, raw),
        ("discovery.k8s.io/v1", "EndpointSlice") => {
            message::<discovery::v1::EndpointSlice>(kind, raw)
        }
        ("scheduling.k8s.io/v1", "PriorityClass") => {
            message::<scheduling::v1::PriorityClass>(kind, raw)
        }
        ("autoscaling/v1", "Scale") => message::<autoscaling::v1::Scale>(kind, raw),
        // Options are registered in every group version, so any apiVersion goes.
        (_, "DeleteOptions") => message::<meta::v1::DeleteOptions>(kind, raw),
        _ => Err(DecodeError::UnsupportedKind {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
        }),
    }
}

/// Decode one message of type `M` and convert it.
fn message<M: Message + Default + ToJson>(
    kind: &str,
    raw: &[u8],
) -> Result<Map<String, Value>, DecodeError> {
    let decoded = M::decode(raw).map_err(|e| DecodeError::Object {
        kind: kind.to_string(),
        reason: e.to_string(),
    })?;
    match decoded.to_json()? {
        Some(Value::Object(object)) => Ok(object),
        // Every message converts to an object; anything else is a bug in a table.
        _ => Err(DecodeError::Field(format!(
            "{kind} did not convert to a JSON object"
        ))),
    }
}
