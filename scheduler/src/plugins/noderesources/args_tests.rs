//! The arguments' defaults and validation messages, case by case (upstream:
//! `validation_pluginargs_test.go`, and the weight cases of `least_allocated_test.go`).

use super::args::*;
use serde_json::json;

fn fit(args: serde_json::Value) -> Result<NodeResourcesFitArgs, String> {
    NodeResourcesFitArgs::parse(Some(&args))
}

#[test]
fn no_args_mean_least_allocated_on_cpu_and_memory() {
    for args in [None, Some(serde_json::Value::Null), Some(json!({}))] {
        let parsed = NodeResourcesFitArgs::parse(args.as_ref()).unwrap();
        let strategy = parsed.scoring_strategy.unwrap();
        assert_eq!(strategy.strategy_type, LEAST_ALLOCATED);
        assert_eq!(strategy.resources, default_resources());
    }
}

#[test]
fn a_strategy_without_resources_scores_cpu_and_memory_and_a_zero_weight_means_one() {
    let parsed = fit(json!({"scoringStrategy": {"type": "MostAllocated"}})).unwrap();
    assert_eq!(
        parsed.scoring_strategy.unwrap().resources,
        default_resources()
    );
    let parsed = fit(json!({"scoringStrategy": {"type": "MostAllocated",
        "resources": [{"name": "memory", "weight": 1}, {"name": "cpu", "weight": 0}]}}))
    .unwrap();
    let resources = parsed.scoring_strategy.unwrap().resources;
    assert_eq!(
        resources,
        vec![ResourceSpec::new("memory", 1), ResourceSpec::new("cpu", 1)]
    );
}

#[test]
fn upstream_file_headers_are_accepted() {
    let parsed = fit(json!({"apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "NodeResourcesFitArgs", "ignoredResources": ["example.com/aaa"]}));
    assert_eq!(parsed.unwrap().ignored_resources, vec!["example.com/aaa"]);
}

#[test]
fn invalid_fit_args_are_rejected_with_the_field_and_the_reason() {
    let cases = [
        (
            "unknown strategy type",
            json!({"scoringStrategy": {"type": "Random"}}),
            "scoringStrategy.type: Unsupported value: \"Random\": supported values: \
             \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\"",
        ),
        (
            "a strategy without a type",
            json!({"scoringStrategy": {"resources": [{"name": "cpu"}]}}),
            "scoringStrategy.type: Unsupported value: \"\"",
        ),
        (
            "resource with negative weight",
            json!({"scoringStrategy": {"type": "LeastAllocated",
                "resources": [{"name": "memory", "weight": -1}, {"name": "cpu", "weight": 1}]}}),
            "scoringStrategy.resources[0].weight: Invalid value: -1: resource weight of memory \
             not in valid range (0, 100]",
        ),
        (
            "resource weight larger than MaxNodeScore",
            json!({"scoringStrategy": {"type": "MostAllocated",
                "resources": [{"name": "memory", "weight": 1}, {"name": "cpu", "weight": 101}]}}),
            "scoringStrategy.resources[1].weight: Invalid value: 101: resource weight of cpu \
             not in valid range (0, 100]",
        ),
        (
            "RequestedToCapacityRatio without a shape",
            json!({"scoringStrategy": {"type": "RequestedToCapacityRatio"}}),
            "scoringStrategy.requestedToCapacityRatio: Required value",
        ),
        (
            "an empty shape",
            json!({"scoringStrategy": {"type": "RequestedToCapacityRatio",
                "requestedToCapacityRatio": {"shape": []}}}),
            "scoringStrategy.shape: Required value: at least one point must be specified",
        ),
        (
            "utilizations not increasing",
            json!({"scoringStrategy": {"type": "RequestedToCapacityRatio",
                "requestedToCapacityRatio": {"shape": [
                    {"utilization": 50, "score": 1}, {"utilization": 50, "score": 2}]}}}),
            "scoringStrategy.shape[1].utilization: Invalid value: 50: values must be sorted in \
             increasing order",
        ),
        (
            "utilization above 100",
            json!({"scoringStrategy": {"type": "RequestedToCapacityRatio",
                "requestedToCapacityRatio": {"shape": [{"utilization": 101, "score": 1}]}}}),
            "scoringStrategy.shape[0].utilization: Invalid value: 101: not in valid range [0, 100]",
        ),
        (
            "score above 10",
            json!({"scoringStrategy": {"type": "RequestedToCapacityRatio",
                "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 11}]}}}),
            "scoringStrategy.shape[0].score: Invalid value: 11: not in valid range [0, 10]",
        ),
        (
            "a resource group with a slash",
            json!({"ignoredResourceGroups": ["example.com/aaa"]}),
            "ignoredResourceGroups[0]: Invalid value: \"example.com/aaa\": resource group name \
             can't contain '/'",
        ),
        (
            "an ignored resource that is not a resource name",
            json!({"ignoredResources": ["a/b/c"]}),
            "ignoredResources[0]: Invalid value: \"a/b/c\": must be a resource name",
        ),
        (
            "an unknown field",
            json!({"ignoredResource": ["example.com/aaa"]}),
            "invalid NodeResourcesFitArgs: unknown field `ignoredResource`",
        ),
    ];
    for (name, args, want) in cases {
        let err = fit(args).expect_err(name);
        assert!(err.contains(want), "{name}: got {err:?}, want {want:?}");
    }
}

#[test]
fn several_problems_are_reported_together_in_brackets() {
    let err = fit(json!({"scoringStrategy": {"type": "Random",
        "resources": [{"name": "cpu", "weight": 200}]}}))
    .unwrap_err();
    assert!(
        err.starts_with("[scoringStrategy.type: Unsupported value"),
        "{err}"
    );
    assert!(
        err.contains(", scoringStrategy.resources[0].weight"),
        "{err}"
    );
}

#[test]
fn balanced_allocation_defaults_to_cpu_and_memory_and_wants_weight_one() {
    let parsed = NodeResourcesBalancedAllocationArgs::parse(None).unwrap();
    assert_eq!(parsed.resources, default_resources());
    let parsed = NodeResourcesBalancedAllocationArgs::parse(Some(
        &json!({"resources": [{"name": "cpu"}, {"name": "nvidia.com/gpu", "weight": 1}]}),
    ))
    .unwrap();
    assert_eq!(
        parsed.resources,
        vec![
            ResourceSpec::new("cpu", 1),
            ResourceSpec::new("nvidia.com/gpu", 1)
        ]
    );
    let err = NodeResourcesBalancedAllocationArgs::parse(Some(&json!({"resources": [
        {"name": "cpu", "weight": 2}, {"name": "cpu", "weight": 1}]})))
    .unwrap_err();
    assert_eq!(
        err,
        "[resources[0].weight: Invalid value: 2: must be 1, \
         resources[1].name: Duplicate value: \"cpu\"]"
    );
}
