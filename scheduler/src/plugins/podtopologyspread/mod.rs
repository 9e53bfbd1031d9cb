//! PodTopologySpread: spread a workload's pods evenly over topology domains (zones, nodes, any
//! node label), as the pod's `topologySpreadConstraints` ask.
//!
//! ```yaml
//! topologySpreadConstraints:
//! - maxSkew: 1                              # domains may differ by at most 1 matching pod
//!   topologyKey: topology.kubernetes.io/zone
//!   whenUnsatisfiable: DoNotSchedule        # a hard rule (Filter); ScheduleAnyway: a wish (Score)
//!   labelSelector: {matchLabels: {app: web}}
//! ```
//!
//! - Hard constraints: PreFilter counts matching pods per domain, Filter refuses nodes where
//!   the pod would make the skew too large — `node(s) didn't match pod topology spread
//!   constraints` (Unschedulable: evicting pods may help), or, for nodes without the topology
//!   label, `... (missing required label)` (UnschedulableAndUnresolvable).
//! - Soft constraints: PreScore/Score/NormalizeScore prefer the emptier domains.
//! - Pods without constraints get the plugin's default constraints (`defaultingType: System`:
//!   hostname and zone spreading, both soft), if they belong to a workload (see
//!   `common::default_selector` for how kubeling decides that).
//! - `nodeAffinityPolicy` (default Honor) and `nodeTaintsPolicy` (default Ignore) decide whether
//!   nodes the pod could not run on count as domains; `minDomains` and `matchLabelKeys` as
//!   upstream v1.32.
//!
//! # Layout
//! - `plugin.rs`: the plugin and its events; `args.rs`: `PodTopologySpreadArgs`.
//! - `common.rs`: constraints, defaults, counting.
//! - `filtering.rs`: hard constraints and preemption's AddPod/RemovePod.
//! - `scoring.rs`: soft constraints.
//!
//! Upstream: `pkg/scheduler/framework/plugins/podtopologyspread/`.

mod args;
mod common;
mod filtering;
mod plugin;
mod scoring;

#[cfg(test)]
mod filtering_tests;
#[cfg(test)]
mod filtering_verdict_tests;
#[cfg(test)]
mod inclusion_tests;
#[cfg(test)]
mod preemption_tests;
#[cfg(test)]
mod score_value_tests;
#[cfg(test)]
mod scoring_tests;
#[cfg(test)]
mod testutil;

pub use args::{
    system_default_constraints, PodTopologySpreadArgs, LIST_DEFAULTING, SYSTEM_DEFAULTING,
};
pub use common::{NodeInclusionPolicy, SpreadConstraint, TopologyPair};
pub use filtering::{ERR_REASON_CONSTRAINTS_NOT_MATCH, ERR_REASON_NODE_LABEL_NOT_MATCH};
pub use plugin::{new, PodTopologySpread, NAME};
