//! DefaultPreemption lives in the folder `defaultpreemption/` (named as upstream's package, like
//! `noderesources/`) because it is three ideas: the flow and who may preempt, the victims on one
//! node, and the choice among nodes. This file only gives it the name the registry uses,
//! `plugins::default_preemption`.

#[path = "defaultpreemption/mod.rs"]
mod defaultpreemption;

pub use defaultpreemption::*;
