//! From a configured profile to a running [`Framework`]: instantiate each plugin once, and put
//! it at every extension point it implements and the configuration enables.
//!
//! Order of precedence, as upstream: the default `multiPoint` set, changed by the profile's
//! `multiPoint` enabled/disabled lists, then by the per-point lists (`filter`, `score`, ...).
//! A per-point `enabled` entry for a plugin already present only changes its weight.
//! Upstream: `pkg/scheduler/framework/runtime/framework.go` (`NewFramework`,
//! `expandMultiPointPlugins`) and `pkg/scheduler/apis/config/v1/default_plugins.go`.

use super::interface::Plugin;
use super::runtime::{Framework, WeightedPlugin};
use crate::config::{ConfigError, PluginSet, Profile};
use crate::plugins::{default_plugins, FactoryContext, Registry};
use std::collections::HashMap;
use std::sync::Arc;

/// The extension points in the order of the cycle, with how to read their config list, how to
/// test a plugin for membership, and where the framework keeps them.
type PointList = fn(&crate::config::Plugins) -> &PluginSet;
type Implements = fn(&dyn Plugin) -> bool;
const POINTS: &[(&str, PointList, Implements)] = &[
    (
        "queueSort",
        |p| &p.queue_sort,
        |p| p.as_queue_sort().is_some(),
    ),
    (
        "preFilter",
        |p| &p.pre_filter,
        |p| p.as_pre_filter().is_some(),
    ),
    ("filter", |p| &p.filter, |p| p.as_filter().is_some()),
    (
        "postFilter",
        |p| &p.post_filter,
        |p| p.as_post_filter().is_some(),
    ),
    ("preScore", |p| &p.pre_score, |p| p.as_pre_score().is_some()),
    ("score", |p| &p.score, |p| p.as_score().is_some()),
    ("reserve", |p| &p.reserve, |p| p.as_reserve().is_some()),
    ("permit", |p| &p.permit, |p| p.as_permit().is_some()),
    ("preBind", |p| &p.pre_bind, |p| p.as_pre_bind().is_some()),
    ("bind", |p| &p.bind, |p| p.as_bind().is_some()),
];

/// A plugin enabled at one point, with the weight configured for it (if any).
type Configured = (Arc<dyn Plugin>, Option<i64>);

/// Build the framework for `profile`. `global_percentage` is the configuration's top-level
/// `percentageOfNodesToScore`, used when the profile has none.
pub fn new_framework(
    profile: &Profile,
    global_percentage: Option<i32>,
    registry: &Registry,
    ctx: &FactoryContext,
) -> Result<Framework, ConfigError> {
    let err = |message: String| ConfigError::Profile {
        profile: profile.name().to_string(),
        message,
    };

    // 1. The multiPoint set: defaults, minus disabled, plus enabled (with weights).
    let multi = &profile.plugins.multi_point;
    let all_disabled = multi.disabled.iter().any(|p| p.name == "*");
    let mut multi_point: Vec<(String, Option<i64>)> = default_plugins()
        .into_iter()
        .filter(|(name, _)| !all_disabled && !multi.disabled.iter().any(|d| d.name == *name))
        .map(|(name, weight)| (name.to_string(), Some(weight)))
        .collect();
    for enabled in &multi.enabled {
        match multi_point.iter_mut().find(|(n, _)| *n == enabled.name) {
            Some(entry) => entry.1 = enabled.weight.or(entry.1),
            None => multi_point.push((enabled.name.clone(), enabled.weight)),
        }
    }

    // 2. Instantiate each plugin named anywhere, once.
    let mut instances: HashMap<String, Arc<dyn Plugin>> = HashMap::new();
    let mut instantiate = |name: &str| -> Result<Arc<dyn Plugin>, ConfigError> {
        if let Some(p) = instances.get(name) {
            return Ok(p.clone());
        }
        let factory = registry
            .get(name)
            .ok_or_else(|| err(format!("plugin {name:?} does not exist")))?;
        let plugin = factory(profile.args_for(name), ctx)
            .map_err(|e| err(format!("plugin {name:?}: {e}")))?;
        instances.insert(name.to_string(), plugin.clone());
        Ok(plugin)
    };

    // 3. Per point: the multiPoint plugins that implement it, then that point's own lists.
    let mut per_point: Vec<Vec<Configured>> = Vec::new();
    for (point, list_of, implements) in POINTS {
        let set = list_of(&profile.plugins);
        let disable_all = set.disabled.iter().any(|p| p.name == "*");
        let mut plugins: Vec<Configured> = Vec::new();
        for (name, weight) in &multi_point {
            if disable_all || set.disabled.iter().any(|d| d.name == *name) {
                continue;
            }
            let plugin = instantiate(name)?;
            if implements(plugin.as_ref()) {
                plugins.push((plugin, *weight));
            }
        }
        for enabled in &set.enabled {
            let plugin = instantiate(&enabled.name)?;
            if !implements(plugin.as_ref()) {
                return Err(err(format!(
                    "plugin {:?} does not extend {point} plugin",
                    enabled.name
                )));
            }
            match plugins.iter_mut().find(|(p, _)| p.name() == plugin.name()) {
                Some(entry) => entry.1 = enabled.weight.or(entry.1),
                None => plugins.push((plugin, enabled.weight)),
            }
        }
        per_point.push(plugins);
    }

    let names = |i: usize| -> Vec<Arc<dyn Plugin>> {
        per_point[i].iter().map(|(p, _)| p.clone()).collect()
    };
    let queue_sort = names(0);
    if queue_sort.len() != 1 {
        return Err(err(format!(
            "exactly one queue sort plugin is required, found {}",
            queue_sort.len()
        )));
    }
    if per_point[9].is_empty() {
        return Err(err("at least one bind plugin is needed".to_string()));
    }
    let mut framework = Framework {
        profile_name: profile.name().to_string(),
        percentage_of_nodes_to_score: profile.percentage_of_nodes_to_score.or(global_percentage),
        queue_sort: queue_sort.into_iter().next(),
        pre_filter: names(1),
        filter: names(2),
        post_filter: names(3),
        pre_score: names(4),
        score: per_point[5]
            .iter()
            .map(|(plugin, weight)| WeightedPlugin {
                plugin: plugin.clone(),
                // Weight 0 or absent means 1, as upstream's defaulting does.
                weight: weight.filter(|w| *w > 0).unwrap_or(1),
            })
            .collect(),
        reserve: names(6),
        permit: names(7),
        pre_bind: names(8),
        bind: names(9),
        event_interest: HashMap::new(),
    };
    framework.register_events();
    Ok(framework)
}
