//! Strategies of the core/v1 kinds without much behaviour: Services, ConfigMaps, Secrets,
//! Endpoints and Events. Each fills in its defaults and points at its checks in
//! `registry/validation/`. Upstream: `pkg/registry/core/<kind>/strategy.go`.

use super::{defaults, Strategy};
use crate::registry::validation::{core_kinds, service};
use machinery::StatusCause;
use serde_json::Value;

/// Services: names are DNS labels, because they become `NAME.NAMESPACE.svc` DNS names.
/// Addresses and node ports are handed out by `registry/services.rs`.
pub struct ServiceStrategy;
impl Strategy for ServiceStrategy {
    fn name_is_label(&self) -> bool {
        true
    }

    fn default(&self, obj: &mut Value) {
        defaults::service(obj);
    }

    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        service::validate_service(obj)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<StatusCause> {
        service::validate_service_update(new, old)
    }
}

/// ConfigMaps: valid keys, at most 1 MiB, and frozen data once `immutable: true`.
pub struct ConfigMapStrategy;
impl Strategy for ConfigMapStrategy {
    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        core_kinds::validate_config_map(obj)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<StatusCause> {
        core_kinds::validate_immutable_data(new, old, &["data", "binaryData"])
    }
}

/// Secrets: `type: Opaque` unless said otherwise; the type never changes afterwards.
pub struct SecretStrategy;
impl Strategy for SecretStrategy {
    fn default(&self, obj: &mut Value) {
        defaults::secret(obj);
    }

    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        core_kinds::validate_secret(obj)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<StatusCause> {
        let mut causes = core_kinds::validate_secret_type_unchanged(new, old);
        causes.extend(core_kinds::validate_immutable_data(new, old, &["data"]));
        causes
    }
}

/// Endpoints: addresses a Service may really forward to.
pub struct EndpointsStrategy;
impl Strategy for EndpointsStrategy {
    fn default(&self, obj: &mut Value) {
        defaults::endpoints(obj);
    }

    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        core_kinds::validate_endpoints(obj)
    }
}

/// Events: about an object in their own namespace.
pub struct EventStrategy;
impl Strategy for EventStrategy {
    fn validate(&self, obj: &Value) -> Vec<StatusCause> {
        core_kinds::validate_event(obj)
    }
}
