//! The scheduling framework: extension points, the `Status` plugins return, the per-cycle
//! state, what the scheduler knows about nodes and pods, and the runtime that runs a profile's
//! plugins in order. Upstream: `pkg/scheduler/framework/`.

pub mod cycle_state;
pub mod interface;
pub mod profile;
pub mod resource;
pub mod runtime;
pub mod status;
pub mod types;

pub use cycle_state::CycleState;
pub use interface::*;
pub use resource::Resource;
pub use runtime::{Framework, PluginScores, WeightedPlugin};
pub use status::{Code, Status};
pub use types::{NodeInfo, PodInfo, Snapshot};
