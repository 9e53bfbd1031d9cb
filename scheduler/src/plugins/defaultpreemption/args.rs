//! `DefaultPreemptionArgs`: how many candidate nodes the dry run looks for.
//!
//! ```yaml
//! pluginConfig:
//! - name: DefaultPreemption
//!   args:
//!     minCandidateNodesPercentage: 10   # of the nodes preemption might help (0..=100)
//!     minCandidateNodesAbsolute: 100    # at least this many (>= 0)
//! ```
//! Upstream: `DefaultPreemptionArgs` in `pkg/scheduler/apis/config/types_pluginargs.go`, its
//! defaults in `pkg/scheduler/apis/config/v1/defaults.go` and its checks in
//! `pkg/scheduler/apis/config/validation/validation_pluginargs.go`.

use serde::Deserialize;

/// The arguments after defaulting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultPreemptionArgs {
    pub min_candidate_nodes_percentage: i32,
    pub min_candidate_nodes_absolute: i32,
}

impl Default for DefaultPreemptionArgs {
    /// Upstream's defaults: 10% of the nodes, but at least 100 of them.
    fn default() -> Self {
        DefaultPreemptionArgs {
            min_candidate_nodes_percentage: 10,
            min_candidate_nodes_absolute: 100,
        }
    }
}

/// The args as written in the configuration file: every field optional; any unknown field is a
/// mistake (`apiVersion` and `kind` are dealt with by `decode_args`).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawArgs {
    min_candidate_nodes_percentage: Option<i32>,
    min_candidate_nodes_absolute: Option<i32>,
}

impl DefaultPreemptionArgs {
    /// Read, default and validate the `args` of a `pluginConfig` entry (`None`: all defaults).
    pub fn from_json(args: Option<&serde_json::Value>) -> Result<Self, String> {
        let defaults = DefaultPreemptionArgs::default();
        let args = match args {
            None | Some(serde_json::Value::Null) => defaults,
            Some(value) => {
                let raw: RawArgs =
                    crate::plugins::decode_args(Some(value), "DefaultPreemptionArgs")?;
                DefaultPreemptionArgs {
                    min_candidate_nodes_percentage: raw
                        .min_candidate_nodes_percentage
                        .unwrap_or(defaults.min_candidate_nodes_percentage),
                    min_candidate_nodes_absolute: raw
                        .min_candidate_nodes_absolute
                        .unwrap_or(defaults.min_candidate_nodes_absolute),
                }
            }
        };
        args.validate()?;
        Ok(args)
    }

    /// Upstream's checks, worded as upstream's `field.Invalid` errors; several errors are
    /// listed in brackets, as upstream's aggregate error prints them.
    pub fn validate(&self) -> Result<(), String> {
        const PERCENTAGE: &str = "minCandidateNodesPercentage";
        const ABSOLUTE: &str = "minCandidateNodesAbsolute";
        let (percentage, absolute) = (
            self.min_candidate_nodes_percentage,
            self.min_candidate_nodes_absolute,
        );
        let mut errors = Vec::new();
        if !(0..=100).contains(&percentage) {
            errors.push(format!(
                "{PERCENTAGE}: Invalid value: {percentage}: not in valid range [0, 100]"
            ));
        }
        if absolute < 0 {
            errors.push(format!(
                "{ABSOLUTE}: Invalid value: {absolute}: not in valid range [0, inf)"
            ));
        }
        if percentage == 0 && absolute == 0 {
            // Zero candidates would make preemption never find anything.
            errors.push(format!(
                "{PERCENTAGE}: Invalid value: 0: cannot be zero at the same time as {ABSOLUTE}"
            ));
            errors.push(format!(
                "{ABSOLUTE}: Invalid value: 0: cannot be zero at the same time as {PERCENTAGE}"
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(super::aggregate(errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn args_are_defaulted_and_checked_as_upstream() {
        let ok = |percentage, absolute| {
            Ok(DefaultPreemptionArgs {
                min_candidate_nodes_percentage: percentage,
                min_candidate_nodes_absolute: absolute,
            })
        };
        let cases: Vec<(&str, Option<serde_json::Value>, Result<DefaultPreemptionArgs, String>)> = vec![
            ("no args give the defaults", None, ok(10, 100)),
            ("an empty object gives the defaults", Some(json!({})), ok(10, 100)),
            (
                "apiVersion and kind are accepted and ignored",
                Some(json!({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "DefaultPreemptionArgs"})),
                ok(10, 100),
            ),
            (
                "given values replace the defaults one by one",
                Some(json!({"minCandidateNodesPercentage": 50})),
                ok(50, 100),
            ),
            (
                "zero percentage is fine with a non-zero absolute",
                Some(json!({"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 1})),
                ok(0, 1),
            ),
            (
                "a negative percentage is refused",
                Some(json!({"minCandidateNodesPercentage": -1})),
                Err("minCandidateNodesPercentage: Invalid value: -1: not in valid range [0, 100]".to_string()),
            ),
            (
                "a percentage above 100 is refused",
                Some(json!({"minCandidateNodesPercentage": 900})),
                Err("minCandidateNodesPercentage: Invalid value: 900: not in valid range [0, 100]".to_string()),
            ),
            (
                "a negative absolute is refused",
                Some(json!({"minCandidateNodesAbsolute": -1})),
                Err("minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)".to_string()),
            ),
            (
                "both zero is refused, naming both fields",
                Some(json!({"minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0})),
                Err("[minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as minCandidateNodesAbsolute, minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same time as minCandidateNodesPercentage]".to_string()),
            ),
            (
                "both out of range lists both errors",
                Some(json!({"minCandidateNodesPercentage": -1, "minCandidateNodesAbsolute": -1})),
                Err("[minCandidateNodesPercentage: Invalid value: -1: not in valid range [0, 100], minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)]".to_string()),
            ),
        ];
        for (name, json, want) in cases {
            assert_eq!(
                DefaultPreemptionArgs::from_json(json.as_ref()),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused() {
        let typo = DefaultPreemptionArgs::from_json(Some(&json!({"minCandidateNodes": 5})));
        assert!(
            typo.as_ref()
                .is_err_and(|e| e.contains("unknown field `minCandidateNodes`")),
            "{typo:?}"
        );
        let text =
            DefaultPreemptionArgs::from_json(Some(&json!({"minCandidateNodesAbsolute": "5"})));
        assert!(text.is_err(), "{text:?}");
    }
}
