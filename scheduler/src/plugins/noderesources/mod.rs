//! NodeResourcesFit and NodeResourcesBalancedAllocation (being implemented).

pub mod balanced_allocation;
pub mod fit;
