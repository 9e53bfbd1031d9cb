//! The arguments of the two plugins, in the JSON shape of upstream's `NodeResourcesFitArgs` and
//! `NodeResourcesBalancedAllocationArgs`, with upstream's defaults and validation messages:
//!
//! ```yaml
//! pluginConfig:
//! - name: NodeResourcesFit
//!   args:
//!     ignoredResources: [example.com/dongle]     # extended resources Filter does not check
//!     ignoredResourceGroups: [example.com]       # ... or whole domains of them
//!     scoringStrategy:
//!       type: RequestedToCapacityRatio            # or LeastAllocated (default), MostAllocated
//!       resources: [{name: cpu, weight: 1}, {name: nvidia.com/gpu, weight: 5}]
//!       requestedToCapacityRatio:
//!         shape: [{utilization: 0, score: 0}, {utilization: 100, score: 10}]
//! - name: NodeResourcesBalancedAllocation
//!   args: {resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}]}
//! ```
//! Defaults are applied first (as the v1 config API does when it reads a file), then the result
//! is validated; every problem is reported at once, each with the field it is about.
//! Upstream: `pkg/scheduler/apis/config/types_pluginargs.go`, `v1/defaults.go`,
//! `validation/validation_pluginargs.go`.

use super::is_qualified_name;
use serde::Deserialize;

pub const LEAST_ALLOCATED: &str = "LeastAllocated";
pub const MOST_ALLOCATED: &str = "MostAllocated";
pub const REQUESTED_TO_CAPACITY_RATIO: &str = "RequestedToCapacityRatio";

/// The highest score a RequestedToCapacityRatio shape point may give; it is scaled up to
/// `MAX_NODE_SCORE` (×10) when scoring. Upstream: `config.MaxCustomPriorityScore`.
pub const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;

/// One resource taking part in scoring, and how much it counts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    pub name: String,
    /// 0 or absent means the default, 1.
    #[serde(default)]
    pub weight: i64,
}

impl ResourceSpec {
    pub fn new(name: &str, weight: i64) -> ResourceSpec {
        ResourceSpec {
            name: name.to_string(),
            weight,
        }
    }
}

/// `cpu` and `memory`, weight 1 each: what both plugins score when not told otherwise.
pub fn default_resources() -> Vec<ResourceSpec> {
    vec![ResourceSpec::new("cpu", 1), ResourceSpec::new("memory", 1)]
}

/// One point of the RequestedToCapacityRatio curve: at this utilisation (0..=100 percent),
/// this score (0..=10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UtilizationShapePoint {
    #[serde(default)]
    pub utilization: i32,
    #[serde(default)]
    pub score: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestedToCapacityRatioParam {
    #[serde(default)]
    pub shape: Vec<UtilizationShapePoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScoringStrategy {
    /// One of [`LEAST_ALLOCATED`], [`MOST_ALLOCATED`], [`REQUESTED_TO_CAPACITY_RATIO`].
    #[serde(rename = "type", default)]
    pub strategy_type: String,
    #[serde(default)]
    pub resources: Vec<ResourceSpec>,
    #[serde(default)]
    pub requested_to_capacity_ratio: Option<RequestedToCapacityRatioParam>,
}

/// `NodeResourcesFitArgs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeResourcesFitArgs {
    #[serde(default)]
    pub ignored_resources: Vec<String>,
    #[serde(default)]
    pub ignored_resource_groups: Vec<String>,
    #[serde(default)]
    pub scoring_strategy: Option<ScoringStrategy>,
}

/// `NodeResourcesBalancedAllocationArgs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeResourcesBalancedAllocationArgs {
    #[serde(default)]
    pub resources: Vec<ResourceSpec>,
}

/// Upstream prints one field error as is, several as `[first, second]` (`utilerrors.Aggregate`).
fn aggregate(errors: Vec<String>) -> Result<(), String> {
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.concat()),
        _ => Err(format!("[{}]", errors.join(", "))),
    }
}

/// Upstream's `field.Invalid` wording.
fn invalid(path: &str, value: impl std::fmt::Display, why: &str) -> String {
    format!("{path}: Invalid value: {value}: {why}")
}

impl NodeResourcesFitArgs {
    /// Decode, default and validate the args of NodeResourcesFit.
    pub fn parse(args: Option<&serde_json::Value>) -> Result<NodeResourcesFitArgs, String> {
        let mut args: NodeResourcesFitArgs =
            crate::plugins::decode_args(args, "NodeResourcesFitArgs")?;
        args.set_defaults();
        args.validate()?;
        Ok(args)
    }

    /// As upstream's `SetDefaults_NodeResourcesFitArgs`: no strategy means LeastAllocated; no
    /// resources means cpu and memory; a weight of 0 means 1.
    pub fn set_defaults(&mut self) {
        let strategy = self
            .scoring_strategy
            .get_or_insert_with(|| ScoringStrategy {
                strategy_type: LEAST_ALLOCATED.to_string(),
                resources: default_resources(),
                requested_to_capacity_ratio: None,
            });
        if strategy.resources.is_empty() {
            strategy.resources = default_resources();
        }
        for resource in &mut strategy.resources {
            if resource.weight == 0 {
                resource.weight = 1;
            }
        }
    }

    /// As upstream's `ValidateNodeResourcesFitArgs`.
    pub fn validate(&self) -> Result<(), String> {
        let mut errors = Vec::new();
        for (i, name) in self.ignored_resources.iter().enumerate() {
            if !is_qualified_name(name) {
                errors.push(invalid(
                    &format!("ignoredResources[{i}]"),
                    format!("{name:?}"),
                    "must be a resource name such as example.com/gpu: an optional DNS prefix and '/', \
                     then at most 63 characters of [A-Za-z0-9-_.] starting and ending alphanumeric",
                ));
            }
        }
        for (i, group) in self.ignored_resource_groups.iter().enumerate() {
            let path = format!("ignoredResourceGroups[{i}]");
            if group.contains('/') {
                errors.push(invalid(
                    &path,
                    format!("{group:?}"),
                    "resource group name can't contain '/'",
                ));
            } else if !is_qualified_name(group) {
                errors.push(invalid(
                    &path,
                    format!("{group:?}"),
                    "must be a domain such as example.com",
                ));
            }
        }
        if let Some(strategy) = &self.scoring_strategy {
            errors.extend(strategy.validate());
        }
        aggregate(errors)
    }
}

impl ScoringStrategy {
    fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let supported = [LEAST_ALLOCATED, MOST_ALLOCATED, REQUESTED_TO_CAPACITY_RATIO];
        if !supported.contains(&self.strategy_type.as_str()) {
            errors.push(format!(
                "scoringStrategy.type: Unsupported value: {:?}: supported values: \"{}\"",
                self.strategy_type,
                supported.join("\", \"")
            ));
        }
        for (i, resource) in self.resources.iter().enumerate() {
            if resource.weight <= 0 || resource.weight > 100 {
                errors.push(invalid(
                    &format!("scoringStrategy.resources[{i}].weight"),
                    resource.weight,
                    &format!(
                        "resource weight of {} not in valid range (0, 100]",
                        resource.name
                    ),
                ));
            }
        }
        match &self.requested_to_capacity_ratio {
            Some(param) => errors.extend(validate_function_shape(&param.shape)),
            // Upstream would dereference the missing shape and crash; we say what is missing.
            None if self.strategy_type == REQUESTED_TO_CAPACITY_RATIO => errors.push(
                "scoringStrategy.requestedToCapacityRatio: Required value: the \
                 RequestedToCapacityRatio strategy needs a shape"
                    .to_string(),
            ),
            None => {}
        }
        errors
    }
}

/// The curve must have points, with utilisations strictly increasing within 0..=100 and scores
/// within 0..=10. Upstream reports these under `scoringStrategy.shape` (not under
/// `requestedToCapacityRatio.shape`), and so do we.
fn validate_function_shape(shape: &[UtilizationShapePoint]) -> Vec<String> {
    let path = "scoringStrategy.shape";
    if shape.is_empty() {
        return vec![format!(
            "{path}: Required value: at least one point must be specified"
        )];
    }
    let mut errors = Vec::new();
    if let Some(i) = (1..shape.len()).find(|&i| shape[i - 1].utilization >= shape[i].utilization) {
        errors.push(invalid(
            &format!("{path}[{i}].utilization"),
            shape[i].utilization,
            "values must be sorted in increasing order",
        ));
    }
    for (i, point) in shape.iter().enumerate() {
        if !(0..=100).contains(&point.utilization) {
            errors.push(invalid(
                &format!("{path}[{i}].utilization"),
                point.utilization,
                "not in valid range [0, 100]",
            ));
        }
        if !(0..=MAX_CUSTOM_PRIORITY_SCORE).contains(&i64::from(point.score)) {
            errors.push(invalid(
                &format!("{path}[{i}].score"),
                point.score,
                &format!("not in valid range [0, {MAX_CUSTOM_PRIORITY_SCORE}]"),
            ));
        }
    }
    errors
}

impl NodeResourcesBalancedAllocationArgs {
    /// Decode, default and validate the args of NodeResourcesBalancedAllocation.
    pub fn parse(
        args: Option<&serde_json::Value>,
    ) -> Result<NodeResourcesBalancedAllocationArgs, String> {
        let mut args: NodeResourcesBalancedAllocationArgs =
            crate::plugins::decode_args(args, "NodeResourcesBalancedAllocationArgs")?;
        args.set_defaults();
        args.validate()?;
        Ok(args)
    }

    /// No resources means cpu and memory; a weight of 0 means 1.
    pub fn set_defaults(&mut self) {
        if self.resources.is_empty() {
            self.resources = default_resources();
        }
        for resource in &mut self.resources {
            if resource.weight == 0 {
                resource.weight = 1;
            }
        }
    }

    /// Each resource once, each with weight 1: the formula (a standard deviation) has no use
    /// for weights, and upstream rejects any other value rather than ignore it silently.
    pub fn validate(&self) -> Result<(), String> {
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, resource) in self.resources.iter().enumerate() {
            if !seen.insert(resource.name.as_str()) {
                errors.push(format!(
                    "resources[{i}].name: Duplicate value: {:?}",
                    resource.name
                ));
            }
            if resource.weight != 1 {
                errors.push(invalid(
                    &format!("resources[{i}].weight"),
                    resource.weight,
                    "must be 1",
                ));
            }
        }
        aggregate(errors)
    }
}
