//! `PodTopologySpreadArgs`: the constraints used for pods that bring none of their own.
//!
//! ```yaml
//! - name: PodTopologySpread
//!   args:
//!     defaultingType: List          # System (the default) or List
//!     defaultConstraints:           # only with List; no labelSelector (it is per workload)
//!     - maxSkew: 1
//!       topologyKey: topology.kubernetes.io/zone
//!       whenUnsatisfiable: ScheduleAnyway
//! ```
//! `System` means upstream's built-in defaults: spread over hostnames (maxSkew 3) and zones
//! (maxSkew 5), both `ScheduleAnyway`. Upstream: `PodTopologySpreadArgs` in
//! `pkg/scheduler/apis/config/types_pluginargs.go`, defaults in `.../v1/defaults.go`, checks in
//! `pkg/scheduler/apis/config/validation/validation_pluginargs.go`.

use super::common::{DO_NOT_SCHEDULE, LABEL_HOSTNAME, LABEL_TOPOLOGY_ZONE, SCHEDULE_ANYWAY};
use k8s_openapi::api::core::v1::TopologySpreadConstraint;
use machinery::labels::validation::qualified_name_errors;
use serde::Deserialize;

pub const SYSTEM_DEFAULTING: &str = "System";
pub const LIST_DEFAULTING: &str = "List";

/// The args after defaulting.
#[derive(Debug, Clone, PartialEq)]
pub struct PodTopologySpreadArgs {
    pub default_constraints: Vec<TopologySpreadConstraint>,
    pub defaulting_type: String,
}

impl Default for PodTopologySpreadArgs {
    fn default() -> Self {
        PodTopologySpreadArgs {
            default_constraints: Vec::new(),
            defaulting_type: SYSTEM_DEFAULTING.to_string(),
        }
    }
}

/// Upstream's `systemDefaultConstraints`.
pub fn system_default_constraints() -> Vec<TopologySpreadConstraint> {
    let soft = |key: &str, max_skew| TopologySpreadConstraint {
        topology_key: key.to_string(),
        when_unsatisfiable: SCHEDULE_ANYWAY.to_string(),
        max_skew,
        ..TopologySpreadConstraint::default()
    };
    vec![soft(LABEL_HOSTNAME, 3), soft(LABEL_TOPOLOGY_ZONE, 5)]
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawArgs {
    default_constraints: Option<Vec<TopologySpreadConstraint>>,
    defaulting_type: Option<String>,
}

impl PodTopologySpreadArgs {
    /// Read, default and validate the args of a `pluginConfig` entry.
    pub fn from_json(args: Option<&serde_json::Value>) -> Result<Self, String> {
        let args = match args {
            None | Some(serde_json::Value::Null) => PodTopologySpreadArgs::default(),
            Some(value) => {
                let raw: RawArgs =
                    crate::plugins::decode_args(Some(value), "PodTopologySpreadArgs")?;
                PodTopologySpreadArgs {
                    default_constraints: raw.default_constraints.unwrap_or_default(),
                    // As upstream's v1 defaulting: unset means System, even with constraints
                    // listed (which validation then refuses: say `List` to use your own).
                    defaulting_type: raw
                        .defaulting_type
                        .filter(|t| !t.is_empty())
                        .unwrap_or_else(|| SYSTEM_DEFAULTING.to_string()),
                }
            }
        };
        args.validate()?;
        Ok(args)
    }

    /// Upstream's checks and wording; several errors are listed in brackets.
    pub fn validate(&self) -> Result<(), String> {
        let mut errors = Vec::new();
        let kind = &self.defaulting_type;
        if kind != SYSTEM_DEFAULTING && kind != LIST_DEFAULTING {
            errors.push(format!(
                "defaultingType: Unsupported value: {kind:?}: supported values: \"{SYSTEM_DEFAULTING}\", \"{LIST_DEFAULTING}\""
            ));
        } else if kind == SYSTEM_DEFAULTING && !self.default_constraints.is_empty() {
            errors.push(format!(
                "defaultingType: Invalid value: {kind:?}: when .defaultConstraints are not empty"
            ));
        }
        for (i, c) in self.default_constraints.iter().enumerate() {
            let path = format!("defaultConstraints[{i}]");
            if c.max_skew <= 0 {
                errors.push(format!(
                    "{path}.maxSkew: Invalid value: {}: not in valid range (0, inf)",
                    c.max_skew
                ));
            }
            let key_path = format!("{path}.topologyKey");
            if c.topology_key.is_empty() {
                errors.push(format!("{key_path}: Required value: can not be empty"));
            } else {
                errors.extend(
                    qualified_name_errors(&c.topology_key)
                        .into_iter()
                        .map(|why| {
                            format!("{key_path}: Invalid value: {:?}: {why}", c.topology_key)
                        }),
                );
            }
            let when = &c.when_unsatisfiable;
            if when.is_empty() {
                errors.push(format!(
                    "{path}.whenUnsatisfiable: Required value: can not be empty"
                ));
            } else if when != DO_NOT_SCHEDULE && when != SCHEDULE_ANYWAY {
                errors.push(format!(
                    "{path}.whenUnsatisfiable: Unsupported value: {when:?}: supported values: \"{DO_NOT_SCHEDULE}\", \"{SCHEDULE_ANYWAY}\""
                ));
            }
            if c.label_selector.is_some() {
                errors.push(format!(
                    "{path}.labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod"
                ));
            }
            let repeated = self.default_constraints[..i]
                .iter()
                .any(|o| o.topology_key == c.topology_key && o.when_unsatisfiable == *when);
            if repeated {
                errors.push(format!(
                    "defaultConstraints[{i}]: Duplicate value: \"{{{}, {when}}}\"",
                    c.topology_key
                ));
            }
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(format!("[{}]", errors.join(", "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn args_are_defaulted_and_checked_as_upstream() {
        let list =
            |c: Vec<serde_json::Value>| json!({"defaultingType": "List", "defaultConstraints": c});
        let zone =
            json!({"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule"});
        let ok_cases: Vec<(&str, Option<serde_json::Value>, PodTopologySpreadArgs)> = vec![
            ("no args: System", None, PodTopologySpreadArgs::default()),
            (
                "an empty object: System",
                Some(json!({})),
                PodTopologySpreadArgs::default(),
            ),
            (
                "List with constraints",
                Some(list(vec![zone.clone()])),
                PodTopologySpreadArgs {
                    default_constraints: vec![TopologySpreadConstraint {
                        max_skew: 1,
                        topology_key: "zone".into(),
                        when_unsatisfiable: DO_NOT_SCHEDULE.into(),
                        ..Default::default()
                    }],
                    defaulting_type: "List".into(),
                },
            ),
            (
                "List without constraints: no defaults at all",
                Some(json!({"defaultingType": "List"})),
                PodTopologySpreadArgs {
                    default_constraints: vec![],
                    defaulting_type: "List".into(),
                },
            ),
        ];
        for (name, args, want) in ok_cases {
            assert_eq!(
                PodTopologySpreadArgs::from_json(args.as_ref()),
                Ok(want),
                "{name}"
            );
        }
        let with = |patch: serde_json::Value| {
            let mut c = zone.clone();
            if let (Some(c), Some(p)) = (c.as_object_mut(), patch.as_object()) {
                c.extend(p.clone());
            }
            c
        };
        let err_cases: Vec<(&str, serde_json::Value, &str)> = vec![
            (
                "constraints without saying List",
                json!({"defaultConstraints": [zone.clone()]}),
                "defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty",
            ),
            (
                "an unknown defaulting type",
                json!({"defaultingType": "Sometimes"}),
                "defaultingType: Unsupported value: \"Sometimes\": supported values: \"System\", \"List\"",
            ),
            ("maxSkew zero", list(vec![with(json!({"maxSkew": 0}))]), "defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf)"),
            ("an empty topologyKey", list(vec![with(json!({"topologyKey": ""}))]), "defaultConstraints[0].topologyKey: Required value: can not be empty"),
            (
                "a topologyKey that is no label name",
                list(vec![with(json!({"topologyKey": "a/b/c"}))]),
                "defaultConstraints[0].topologyKey: Invalid value: \"a/b/c\": a qualified name must consist of",
            ),
            (
                "an unknown whenUnsatisfiable",
                list(vec![with(json!({"whenUnsatisfiable": "Never"}))]),
                "defaultConstraints[0].whenUnsatisfiable: Unsupported value: \"Never\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
            ),
            (
                "a label selector",
                list(vec![with(json!({"labelSelector": {"matchLabels": {"a": "b"}}}))]),
                "defaultConstraints[0].labelSelector: Forbidden: constraint must not define a selector, as they deduced for each pod",
            ),
            (
                "the same key and action twice",
                list(vec![zone.clone(), zone.clone()]),
                "defaultConstraints[1]: Duplicate value: \"{zone, DoNotSchedule}\"",
            ),
            (
                "several errors are listed together",
                list(vec![with(json!({"maxSkew": -1, "whenUnsatisfiable": ""}))]),
                "[defaultConstraints[0].maxSkew: Invalid value: -1: not in valid range (0, inf), defaultConstraints[0].whenUnsatisfiable: Required value: can not be empty]",
            ),
            ("an unknown field", json!({"defaultConstraint": []}), "unknown field `defaultConstraint`"),
        ];
        for (name, args, want) in err_cases {
            let got = PodTopologySpreadArgs::from_json(Some(&args));
            assert!(
                got.as_ref().is_err_and(|e| e.contains(want)),
                "{name}: {got:?}"
            );
        }
        assert!(
            super::super::new(Some(&json!({"defaultingType": "x"})), &Default::default()).is_err()
        );
    }
}
