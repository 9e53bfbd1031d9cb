//! PrioritySort: the active queue hands out the pod with the highest `spec.priority` first;
//! among equals, the one that has waited longest.
//! Upstream: `pkg/scheduler/framework/plugins/queuesort/priority_sort.go`.

use crate::framework::{Plugin, QueueSortPlugin, QueuedPodInfo};
use crate::plugins::{no_args, FactoryContext};
use std::sync::Arc;

pub const NAME: &str = "PrioritySort";

pub struct PrioritySort;

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    no_args(NAME, args)?;
    Ok(Arc::new(PrioritySort))
}

/// A pod's priority; pods without one have priority 0 (the admission plugin would have set it).
pub fn pod_priority(pod: &k8s_openapi::api::core::v1::Pod) -> i32 {
    pod.spec.as_ref().and_then(|s| s.priority).unwrap_or(0)
}

impl Plugin for PrioritySort {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_queue_sort(&self) -> Option<&dyn QueueSortPlugin> {
        Some(self)
    }
}

impl QueueSortPlugin for PrioritySort {
    fn less(&self, a: &QueuedPodInfo, b: &QueuedPodInfo) -> bool {
        let (pa, pb) = (pod_priority(a.pod()), pod_priority(b.pod()));
        pa > pb || (pa == pb && a.timestamp < b.timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::make_pod;
    use std::time::{Duration, Instant};

    #[test]
    fn higher_priority_goes_first_and_ties_go_to_the_older_pod() {
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(1);
        let queued = |p: i32, t| QueuedPodInfo::new(make_pod("p").priority(p).info(), t);
        let cases = [
            (
                "higher priority first",
                queued(10, later),
                queued(1, t0),
                true,
            ),
            (
                "lower priority after",
                queued(1, t0),
                queued(10, later),
                false,
            ),
            (
                "equal priority: older first",
                queued(5, t0),
                queued(5, later),
                true,
            ),
            (
                "equal priority: newer after",
                queued(5, later),
                queued(5, t0),
                false,
            ),
        ];
        for (name, a, b, want) in cases {
            assert_eq!(PrioritySort.less(&a, &b), want, "{name}");
        }
    }
}
