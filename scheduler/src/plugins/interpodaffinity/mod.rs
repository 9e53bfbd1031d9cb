//! InterPodAffinity: place a pod near pods it wants to be with (pod affinity) and away from
//! pods it must avoid (pod anti-affinity).
//!
//! "Near" is measured in **topology domains**: all nodes with the same value of a node label,
//! the term's `topologyKey`. With `topologyKey: topology.kubernetes.io/zone`, "near a web pod"
//! means "in a zone that has a web pod"; with `kubernetes.io/hostname`, "on its node".
//!
//! - Required terms are hard rules (PreFilter + Filter). Three reasons a node is refused:
//!   `node(s) didn't match pod affinity rules` (UnschedulableAndUnresolvable: evicting pods
//!   cannot create a partner), `node(s) didn't match pod anti-affinity rules` and
//!   `node(s) didn't satisfy existing pods anti-affinity rules` (Unschedulable: evicting the
//!   pods in the way might help, so preemption may try).
//! - Preferred terms are wishes with weights (PreScore + Score + NormalizeScore).
//!
//! Both directions count: an existing pod whose anti-affinity selects the incoming pod keeps it
//! away even if the incoming pod says nothing about it.
//!
//! # Layout
//! - `plugin.rs`: the plugin, its args (`hardPodAffinityWeight`,
//!   `ignorePreferredTermsOfExistingPods`), its events, namespaces.
//! - `terms.rs`: a pod's terms, parsed: selector, namespaces, topology key.
//! - `filtering.rs`: the required terms: counts per domain, Filter, preemption's AddPod/RemovePod.
//! - `scoring.rs`: the preferred terms.
//!
//! Upstream: `pkg/scheduler/framework/plugins/interpodaffinity/`.

mod filtering;
mod plugin;
mod scoring;
mod terms;

#[cfg(test)]
mod filtering_nodes_tests;
#[cfg(test)]
mod filtering_tests;
#[cfg(test)]
mod scoring_tests;
#[cfg(test)]
mod testutil;

pub use filtering::{
    ERR_REASON_AFFINITY_RULES_NOT_MATCH, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
    ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
};
pub use plugin::{new, InterPodAffinity, InterPodAffinityArgs, NamespaceLister, NAME};
pub use terms::{AffinityTerm, Labels, PodTerms, WeightedAffinityTerm};
