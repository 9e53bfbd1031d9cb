//! The plugin itself: its arguments, the cluster events it cares about, and what it knows about
//! namespaces. Upstream: `pkg/scheduler/framework/plugins/interpodaffinity/plugin.go`, the args
//! in `pkg/scheduler/apis/config/types_pluginargs.go` (`InterPodAffinityArgs`) and their checks
//! in `pkg/scheduler/apis/config/validation/validation_pluginargs.go`.

use super::terms::{AffinityTerm, Labels};
use crate::framework::{
    ClusterEvent, FilterPlugin, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin,
};
use crate::plugins::FactoryContext;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const NAME: &str = "InterPodAffinity";

/// `pluginConfig` args:
///
/// ```yaml
/// - name: InterPodAffinity
///   args:
///     hardPodAffinityWeight: 1                   # 0..=100
///     ignorePreferredTermsOfExistingPods: false
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterPodAffinityArgs {
    /// Scoring also rewards nodes near existing pods whose *required* affinity the incoming pod
    /// satisfies ("symmetry"), with this weight per term.
    pub hard_pod_affinity_weight: i64,
    /// Score only by the incoming pod's own preferred terms, not by existing pods' terms.
    pub ignore_preferred_terms_of_existing_pods: bool,
}

impl Default for InterPodAffinityArgs {
    /// Upstream's defaults (`pkg/scheduler/apis/config/v1/defaults.go`).
    fn default() -> Self {
        InterPodAffinityArgs {
            hard_pod_affinity_weight: 1,
            ignore_preferred_terms_of_existing_pods: false,
        }
    }
}

/// The args as written: every field optional (`apiVersion`/`kind` are dealt with by `decode_args`).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawArgs {
    hard_pod_affinity_weight: Option<i32>,
    ignore_preferred_terms_of_existing_pods: Option<bool>,
}

impl InterPodAffinityArgs {
    /// Read, default and validate the args of a `pluginConfig` entry.
    pub fn from_json(args: Option<&serde_json::Value>) -> Result<Self, String> {
        let defaults = InterPodAffinityArgs::default();
        let args = match args {
            None | Some(serde_json::Value::Null) => defaults,
            Some(value) => {
                let raw: RawArgs =
                    crate::plugins::decode_args(Some(value), "InterPodAffinityArgs")?;
                InterPodAffinityArgs {
                    hard_pod_affinity_weight: raw
                        .hard_pod_affinity_weight
                        .map_or(defaults.hard_pod_affinity_weight, i64::from),
                    ignore_preferred_terms_of_existing_pods: raw
                        .ignore_preferred_terms_of_existing_pods
                        .unwrap_or(defaults.ignore_preferred_terms_of_existing_pods),
                }
            }
        };
        args.validate()?;
        Ok(args)
    }

    /// Upstream's check, worded as its `field.Invalid` error.
    pub fn validate(&self) -> Result<(), String> {
        let weight = self.hard_pod_affinity_weight;
        if !(0..=100).contains(&weight) {
            return Err(format!(
                "hardPodAffinityWeight: Invalid value: {weight}: not in valid range [0, 100]"
            ));
        }
        Ok(())
    }
}

/// The namespaces the plugin can see, with their labels. Upstream reads them from a namespace
/// informer; kubeling's scheduler does not run one yet, so `new` builds the plugin without
/// (see [`super::terms::AffinityTerm::matches`] for what that changes), and tests can give one.
pub trait NamespaceLister: Send + Sync {
    /// Every namespace, by name, with its labels.
    fn list(&self) -> Vec<(String, Labels)>;
}

impl NamespaceLister for BTreeMap<String, Labels> {
    fn list(&self) -> Vec<(String, Labels)> {
        self.iter().map(|(n, l)| (n.clone(), l.clone())).collect()
    }
}

pub struct InterPodAffinity {
    pub(super) args: InterPodAffinityArgs,
    pub(super) namespaces: Option<Arc<dyn NamespaceLister>>,
}

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    let args = InterPodAffinityArgs::from_json(args)?;
    Ok(Arc::new(InterPodAffinity::new(args)))
}

impl InterPodAffinity {
    pub fn new(args: InterPodAffinityArgs) -> InterPodAffinity {
        InterPodAffinity {
            args,
            namespaces: None,
        }
    }

    /// The same plugin, able to evaluate `namespaceSelector`s against these namespaces.
    pub fn with_namespaces(mut self, namespaces: Arc<dyn NamespaceLister>) -> InterPodAffinity {
        self.namespaces = Some(namespaces);
        self
    }

    /// The labels of namespace `name` (empty when it is not found), or `None` when the plugin
    /// knows no namespaces at all. Upstream: `GetNamespaceLabelsSnapshot`.
    pub(super) fn namespace_labels(&self, name: &str) -> Option<Labels> {
        let lister = self.namespaces.as_ref()?;
        let found = lister.list().into_iter().find(|(n, _)| n == name);
        Some(found.map(|(_, labels)| labels).unwrap_or_default())
    }

    /// For the incoming pod's own terms: turn a `namespaceSelector` into the names of the
    /// namespaces it selects, once per cycle, so matching an existing pod is a set lookup.
    /// An empty selector (every namespace) stays as it is. Without namespaces to list, the
    /// selector is left for [`AffinityTerm::matches`]'s fallback.
    /// Upstream: `mergeAffinityTermNamespacesIfNotEmpty`.
    pub(super) fn merge_namespace_selector(&self, term: &mut AffinityTerm) {
        let (Some(lister), Some(selector)) = (&self.namespaces, &term.namespace_selector) else {
            return;
        };
        if selector.is_empty() {
            return;
        }
        for (name, labels) in lister.list() {
            if selector.matches_map(&labels) {
                term.namespaces.insert(name);
            }
        }
        term.namespace_selector = None;
    }
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_filter(&self) -> Option<&dyn PreFilterPlugin> {
        Some(self)
    }
    fn as_filter(&self) -> Option<&dyn FilterPlugin> {
        Some(self)
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }

    /// A pod rejected for affinity may fit once a matching pod is added (or relabelled); one
    /// rejected for anti-affinity once a pod is deleted (or relabelled); either once a node with
    /// the topology label appears or gets it.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![
            ClusterEvent::POD_ADD,
            ClusterEvent::POD_UPDATE,
            ClusterEvent::POD_DELETE,
            ClusterEvent::NODE_ADD,
            ClusterEvent::NODE_UPDATE,
        ]
    }
}
