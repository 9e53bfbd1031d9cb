//! `KubeSchedulerConfiguration`: which plugins run, with which weights and arguments, per profile.
//!
//! ```yaml
//! apiVersion: kubescheduler.config.k8s.io/v1
//! kind: KubeSchedulerConfiguration
//! profiles:
//! - schedulerName: default-scheduler
//! - schedulerName: bin-packing
//!   plugins:
//!     score:
//!       disabled: [{name: NodeResourcesBalancedAllocation}]
//!   pluginConfig:
//!   - name: NodeResourcesFit
//!     args: {scoringStrategy: {type: MostAllocated}}
//! ```
//! A profile starts from the default plugin set ([`crate::plugins::default_plugins`], upstream's
//! `multiPoint` defaults); `multiPoint` adds or removes a plugin at every point it implements, and
//! the per-point lists (`filter`, `score`, ...) refine that. `disabled: [{name: "*"}]` drops all
//! defaults of that point.
//! Upstream: `pkg/scheduler/apis/config/types.go`, `v1/default_plugins.go`,
//! `pkg/scheduler/framework/runtime/framework.go` (`expandMultiPointPlugins`).

use serde::Deserialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// The default `schedulerName` of a pod and of the first profile.
pub const DEFAULT_SCHEDULER_NAME: &str = "default-scheduler";

/// Something wrong in a configuration file, said so a person can fix it.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the scheduler configuration is not valid YAML for KubeSchedulerConfiguration: {0}")]
    Parse(String),
    #[error("profile {profile:?}: {message}")]
    Profile { profile: String, message: String },
    #[error("two profiles have schedulerName {0:?}")]
    DuplicateProfile(String),
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct KubeSchedulerConfiguration {
    #[serde(default)]
    pub api_version: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    /// 0 (the default) means "adaptive": see `schedule_one::num_feasible_nodes_to_find`.
    #[serde(default)]
    pub percentage_of_nodes_to_score: Option<i32>,
    #[serde(default)]
    pub profiles: Vec<Profile>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    #[serde(default)]
    pub scheduler_name: Option<String>,
    #[serde(default)]
    pub percentage_of_nodes_to_score: Option<i32>,
    #[serde(default)]
    pub plugins: Plugins,
    #[serde(default)]
    pub plugin_config: Vec<PluginConfig>,
}

/// The plugin lists of a profile, one per extension point.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Plugins {
    #[serde(default)]
    pub multi_point: PluginSet,
    #[serde(default)]
    pub queue_sort: PluginSet,
    #[serde(default)]
    pub pre_filter: PluginSet,
    #[serde(default)]
    pub filter: PluginSet,
    #[serde(default)]
    pub post_filter: PluginSet,
    #[serde(default)]
    pub pre_score: PluginSet,
    #[serde(default)]
    pub score: PluginSet,
    #[serde(default)]
    pub reserve: PluginSet,
    #[serde(default)]
    pub permit: PluginSet,
    #[serde(default)]
    pub pre_bind: PluginSet,
    #[serde(default)]
    pub bind: PluginSet,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct PluginSet {
    #[serde(default)]
    pub enabled: Vec<PluginRef>,
    #[serde(default)]
    pub disabled: Vec<PluginRef>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PluginRef {
    pub name: String,
    /// Only meaningful for Score plugins; 0 or absent means the plugin's default weight.
    #[serde(default)]
    pub weight: Option<i64>,
}

/// Arguments for one plugin, e.g. NodeResourcesFit's scoring strategy.
#[derive(Debug, Clone, Deserialize)]
pub struct PluginConfig {
    pub name: String,
    #[serde(default)]
    pub args: serde_json::Value,
}

impl KubeSchedulerConfiguration {
    /// Parse a YAML (or JSON) document. No profiles means one default profile.
    pub fn from_yaml(text: &str) -> Result<KubeSchedulerConfiguration, ConfigError> {
        let mut config: KubeSchedulerConfiguration =
            serde_yaml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        if let Some(kind) = config.kind.as_deref() {
            if kind != "KubeSchedulerConfiguration" {
                return Err(ConfigError::Parse(format!(
                    "kind is {kind:?}, expected \"KubeSchedulerConfiguration\""
                )));
            }
        }
        config.set_defaults();
        config.validate()?;
        Ok(config)
    }

    pub fn from_file(path: &std::path::Path) -> Result<KubeSchedulerConfiguration, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml(&text)
    }

    /// The configuration with one default profile, as when no file is given.
    pub fn default_config() -> KubeSchedulerConfiguration {
        let mut config = KubeSchedulerConfiguration::default();
        config.set_defaults();
        config
    }

    fn set_defaults(&mut self) {
        if self.profiles.is_empty() {
            self.profiles.push(Profile::default());
        }
        for p in &mut self.profiles {
            if p.scheduler_name.as_deref().unwrap_or("").is_empty() {
                p.scheduler_name = Some(DEFAULT_SCHEDULER_NAME.to_string());
            }
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = BTreeMap::new();
        for p in &self.profiles {
            let name = p.name().to_string();
            if seen.insert(name.clone(), ()).is_some() {
                return Err(ConfigError::DuplicateProfile(name));
            }
            for pct in [
                p.percentage_of_nodes_to_score,
                self.percentage_of_nodes_to_score,
            ]
            .into_iter()
            .flatten()
            {
                if !(0..=100).contains(&pct) {
                    return Err(ConfigError::Profile {
                        profile: name.clone(),
                        message: format!(
                            "percentageOfNodesToScore: Invalid value: {pct}: not in valid range [0-100]"
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

impl Profile {
    /// The `schedulerName` pods use to ask for this profile.
    pub fn name(&self) -> &str {
        self.scheduler_name
            .as_deref()
            .unwrap_or(DEFAULT_SCHEDULER_NAME)
    }

    /// The arguments given for `plugin`, if any.
    pub fn args_for(&self, plugin: &str) -> Option<&serde_json::Value> {
        self.plugin_config
            .iter()
            .find(|c| c.name == plugin)
            .map(|c| &c.args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_gives_one_default_profile() {
        let c = KubeSchedulerConfiguration::from_yaml("{}").unwrap();
        assert_eq!(c.profiles.len(), 1);
        assert_eq!(c.profiles[0].name(), "default-scheduler");
    }

    #[test]
    fn profiles_plugins_and_args_are_read() {
        let c = KubeSchedulerConfiguration::from_yaml(
            r#"
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  plugins:
    score:
      enabled: [{name: NodeResourcesFit, weight: 5}]
      disabled: [{name: NodeResourcesBalancedAllocation}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
"#,
        )
        .unwrap();
        let p = &c.profiles[1];
        assert_eq!(p.name(), "bin-packing");
        assert_eq!(p.plugins.score.enabled[0].weight, Some(5));
        assert_eq!(
            p.args_for("NodeResourcesFit").unwrap()["scoringStrategy"]["type"],
            "MostAllocated"
        );
    }

    #[test]
    fn two_profiles_with_one_name_are_refused() {
        let err = KubeSchedulerConfiguration::from_yaml(
            "profiles: [{schedulerName: a}, {schedulerName: a}]",
        )
        .unwrap_err();
        assert!(err.to_string().contains("two profiles"), "{err}");
    }

    #[test]
    fn a_percentage_outside_0_to_100_is_refused() {
        let err =
            KubeSchedulerConfiguration::from_yaml("percentageOfNodesToScore: 140").unwrap_err();
        assert!(err.to_string().contains("not in valid range"), "{err}");
    }

    #[test]
    fn a_wrong_kind_is_refused() {
        assert!(KubeSchedulerConfiguration::from_yaml("kind: Pod").is_err());
    }
}
