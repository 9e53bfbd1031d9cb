//! The in-tree plugins, one file (or folder) each, and the registry that builds them by name.
//!
//! | plugin | points | what it checks or prefers |
//! |---|---|---|
//! | PrioritySort | QueueSort | higher `spec.priority` first, then older |
//! | NodeUnschedulable | Filter | cordoned nodes (`spec.unschedulable`) |
//! | NodeName | Filter | `spec.nodeName` set by hand |
//! | TaintToleration | Filter, PreScore, Score | taints the pod does not tolerate |
//! | NodeAffinity | PreFilter, Filter, PreScore, Score | `nodeSelector`, node affinity |
//! | NodePorts | PreFilter, Filter | host ports already taken |
//! | NodeResourcesFit | PreFilter, Filter, PreScore, Score | free CPU, memory, pods, extended resources |
//! | NodeResourcesBalancedAllocation | PreScore, Score | keeping CPU and memory use even |
//! | InterPodAffinity | PreFilter, Filter, PreScore, Score | pods near / away from other pods |
//! | PodTopologySpread | PreFilter, Filter, PreScore, Score | even spread over zones / nodes |
//! | ImageLocality | PreScore, Score | nodes that already have the images |
//! | DefaultPreemption | PostFilter | evicting lower-priority pods |
//! | DefaultBinder | Bind | the `pods/binding` API call |
//!
//! Upstream: `pkg/scheduler/framework/plugins/registry.go`.

use crate::framework::Plugin;
use machinery::client::Client;
use std::collections::BTreeMap;
use std::sync::Arc;

pub mod default_binder;
pub mod default_preemption;
pub mod image_locality;
pub mod interpodaffinity;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_unschedulable;
pub mod noderesources;
pub mod podtopologyspread;
pub mod priority_sort;
pub mod taint_toleration;

/// What a plugin factory may use besides its arguments.
#[derive(Clone, Default)]
pub struct FactoryContext {
    /// The API client, for plugins that make API calls (DefaultBinder). `None` in pure tests.
    pub client: Option<Client>,
}

/// Builds a plugin from its `pluginConfig` args (if any).
pub type PluginFactory =
    fn(args: Option<&serde_json::Value>, ctx: &FactoryContext) -> Result<Arc<dyn Plugin>, String>;

/// Plugin name → factory.
pub type Registry = BTreeMap<&'static str, PluginFactory>;

/// Every in-tree plugin.
pub fn in_tree_registry() -> Registry {
    let mut r: Registry = BTreeMap::new();
    r.insert(priority_sort::NAME, priority_sort::new);
    r.insert(node_unschedulable::NAME, node_unschedulable::new);
    r.insert(node_name::NAME, node_name::new);
    r.insert(taint_toleration::NAME, taint_toleration::new);
    r.insert(node_affinity::NAME, node_affinity::new);
    r.insert(node_ports::NAME, node_ports::new);
    r.insert(noderesources::fit::NAME, noderesources::fit::new);
    r.insert(
        noderesources::balanced_allocation::NAME,
        noderesources::balanced_allocation::new,
    );
    r.insert(interpodaffinity::NAME, interpodaffinity::new);
    r.insert(podtopologyspread::NAME, podtopologyspread::new);
    r.insert(image_locality::NAME, image_locality::new);
    r.insert(default_preemption::NAME, default_preemption::new);
    r.insert(default_binder::NAME, default_binder::new);
    r
}

/// The default `multiPoint` plugins and their score weights, in upstream's order
/// (`pkg/scheduler/apis/config/v1/default_plugins.go`, v1.32). Upstream also enables volume
/// plugins and SchedulingGates; kubeling has no volumes to check yet.
pub fn default_plugins() -> Vec<(&'static str, i64)> {
    vec![
        (priority_sort::NAME, 0),
        (node_unschedulable::NAME, 0),
        (node_name::NAME, 0),
        (taint_toleration::NAME, 3),
        (node_affinity::NAME, 2),
        (node_ports::NAME, 0),
        (noderesources::fit::NAME, 1),
        (podtopologyspread::NAME, 2),
        (interpodaffinity::NAME, 2),
        (default_preemption::NAME, 0),
        (noderesources::balanced_allocation::NAME, 1),
        (image_locality::NAME, 1),
        (default_binder::NAME, 0),
    ]
}

/// Read a plugin's `args` into its args type `T` (absent or `null`: `T::default()`).
///
/// Upstream's args are typed objects, so a configuration copied from upstream may say
/// `apiVersion: kubescheduler.config.k8s.io/v1` and `kind: NodeResourcesFitArgs`: both are
/// accepted, and a `kind` naming another plugin's args is refused. `T` should deny unknown
/// fields, so a misspelled field is an error rather than silently ignored.
pub fn decode_args<T: serde::de::DeserializeOwned + Default>(
    args: Option<&serde_json::Value>,
    kind: &str,
) -> Result<T, String> {
    let Some(value) = args.filter(|v| !v.is_null()) else {
        return Ok(T::default());
    };
    let mut body = value.clone();
    if let Some(fields) = body.as_object_mut() {
        fields.remove("apiVersion");
        if let Some(given) = fields.remove("kind") {
            if given.as_str() != Some(kind) {
                return Err(format!("args are not of type {kind}, got kind {given}"));
            }
        }
    }
    T::deserialize(body).map_err(|e| format!("invalid {kind}: {e}"))
}

/// For factories of plugins without arguments: refuse args they would silently ignore.
pub fn no_args(name: &str, args: Option<&serde_json::Value>) -> Result<(), String> {
    match args {
        None | Some(serde_json::Value::Null) => Ok(()),
        Some(serde_json::Value::Object(m)) if m.is_empty() => Ok(()),
        Some(_) => Err(format!("{name} takes no arguments")),
    }
}
