//! The plugin: which default constraints it uses, and which cluster events may make a pod it
//! rejected fit. Upstream: `pkg/scheduler/framework/plugins/podtopologyspread/plugin.go`.

use super::args::{system_default_constraints, PodTopologySpreadArgs, SYSTEM_DEFAULTING};
use crate::framework::{
    ClusterEvent, FilterPlugin, Plugin, PreFilterPlugin, PreScorePlugin, ScorePlugin,
};
use crate::plugins::FactoryContext;
use k8s_openapi::api::core::v1::TopologySpreadConstraint;
use std::sync::Arc;

pub const NAME: &str = "PodTopologySpread";

pub struct PodTopologySpread {
    /// Used for pods without constraints of their own.
    pub(super) default_constraints: Vec<TopologySpreadConstraint>,
    /// The defaults are upstream's built-in ones (`defaultingType: System`). Scoring then
    /// also spreads over nodes that lack some topology label (no zone label: hostname
    /// spreading still applies).
    pub(super) system_defaulted: bool,
}

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    let args = PodTopologySpreadArgs::from_json(args)?;
    Ok(Arc::new(PodTopologySpread::new(args)))
}

impl PodTopologySpread {
    /// The plugin for already validated args.
    pub fn new(args: PodTopologySpreadArgs) -> PodTopologySpread {
        if args.defaulting_type == SYSTEM_DEFAULTING {
            PodTopologySpread {
                default_constraints: system_default_constraints(),
                system_defaulted: true,
            }
        } else {
            PodTopologySpread {
                default_constraints: args.default_constraints,
                system_defaulted: false,
            }
        }
    }
}

impl Plugin for PodTopologySpread {
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

    /// Pods coming, going or being relabelled change the counts; nodes coming, going or
    /// changing labels or taints change the domains.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        vec![
            ClusterEvent::POD_ADD,
            ClusterEvent::POD_UPDATE,
            ClusterEvent::POD_DELETE,
            ClusterEvent::NODE_ADD,
            ClusterEvent::NODE_UPDATE,
            ClusterEvent::NODE_DELETE,
        ]
    }
}
