//! ImageLocality: prefer nodes that already have the pod's container images.
//!
//! Pulling a 1 GiB image takes time; a node that has it can start the pod at once. So a node
//! scores higher the more (bytes of) the pod's images it already holds. Two twists keep this
//! from backfiring:
//!
//! - **Spread.** If an image is on every node, having it says nothing about *this* node, and
//!   chasing it would pile pods onto the few nodes that happen to have big images ("node
//!   heating"). So each image's size is scaled by `nodes with the image / all nodes`.
//! - **Thresholds.** Sums below 23 MiB count as nothing (small images pull fast anyway) and
//!   sums above 1000 MiB per container count as the maximum; between them the score is linear:
//!
//! ```text
//!   sum   = Σ over the pod's containers whose image is on the node: size × spread
//!   score = 100 × (clamp(sum, 23Mi, 1000Mi × containers) − 23Mi) / (1000Mi × containers − 23Mi)
//! ```
//!
//! Init containers count too, both in the sum and in the number of containers.
//! The score is already 0..=100, so there is no normalisation step.
//!
//! Upstream reads the cluster-wide image counts from the snapshot inside Score. Our Score only
//! sees one `NodeInfo`, so PreScore looks the counts up once and leaves them in the
//! `CycleState`. Upstream: `pkg/scheduler/framework/plugins/imagelocality/image_locality.go`.

use crate::framework::types::normalized_image_name;
use crate::framework::{
    ClusterEvent, CycleState, NodeInfo, Plugin, PreScorePlugin, ScorePlugin, Snapshot, Status,
    MAX_NODE_SCORE,
};
use crate::plugins::{no_args, FactoryContext};
use k8s_openapi::api::core::v1::Pod;
use std::sync::Arc;

pub const NAME: &str = "ImageLocality";

const MB: i64 = 1024 * 1024;
/// Below this sum a node gets 0: small images are cheap to pull anyway.
const MIN_THRESHOLD: i64 = 23 * MB;
/// Per container: above this sum a node gets the maximum.
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

const PRE_SCORE_STATE_KEY: &str = "PreScoreImageLocality";

pub struct ImageLocality;

pub fn new(
    args: Option<&serde_json::Value>,
    _: &FactoryContext,
) -> Result<Arc<dyn Plugin>, String> {
    no_args(NAME, args)?;
    Ok(Arc::new(ImageLocality))
}

/// One container's image, as PreScore found it in the snapshot.
#[derive(Debug, Clone)]
struct ContainerImage {
    /// The normalised name, the key of `NodeInfo::images`.
    name: String,
    /// On how many nodes of the cluster the image is present.
    num_nodes: usize,
}

/// What PreScore leaves for Score.
#[derive(Debug, Clone)]
struct PreScoreState {
    /// One entry per container (init containers first), in the pod's order.
    images: Vec<ContainerImage>,
    /// All nodes in the snapshot, not only the ones that passed the filters.
    total_num_nodes: usize,
}

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        NAME
    }
    fn as_pre_score(&self) -> Option<&dyn PreScorePlugin> {
        Some(self)
    }
    fn as_score(&self) -> Option<&dyn ScorePlugin> {
        Some(self)
    }

    /// A Score-only plugin never rejects a pod, so no event needs to bring one back.
    fn events_to_register(&self) -> Vec<ClusterEvent> {
        Vec::new()
    }
}

impl PreScorePlugin for ImageLocality {
    fn pre_score(
        &self,
        state: &mut CycleState,
        pod: &Pod,
        _nodes: &[Arc<NodeInfo>],
        snapshot: &Snapshot,
    ) -> Status {
        let images = pod
            .spec
            .iter()
            .flat_map(|spec| {
                spec.init_containers
                    .iter()
                    .flatten()
                    .chain(&spec.containers)
            })
            .map(|container| {
                let name = normalized_image_name(container.image.as_deref().unwrap_or(""));
                let num_nodes = snapshot.image_num_nodes(&name);
                ContainerImage { name, num_nodes }
            })
            .collect();
        let total_num_nodes = snapshot.num_nodes();
        state.write(
            PRE_SCORE_STATE_KEY,
            PreScoreState {
                images,
                total_num_nodes,
            },
        );
        Status::success()
    }
}

impl ScorePlugin for ImageLocality {
    fn score(&self, state: &CycleState, _pod: &Pod, node: &NodeInfo) -> (i64, Status) {
        let Some(s) = state.read::<PreScoreState>(PRE_SCORE_STATE_KEY) else {
            return (
                0,
                Status::error(format!(
                    "reading {PRE_SCORE_STATE_KEY:?} from cycleState: not found (ImageLocality needs its PreScore enabled)"
                )),
            );
        };
        let sum: i64 = s
            .images
            .iter()
            .filter_map(|image| {
                let size = node.images.get(&image.name)?;
                Some(scaled_image_score(
                    *size,
                    image.num_nodes,
                    s.total_num_nodes,
                ))
            })
            .sum();
        (calculate_priority(sum, s.images.len()), Status::success())
    }
}

/// An image's size, scaled by how widely it is spread over the cluster.
fn scaled_image_score(size: i64, num_nodes: usize, total_num_nodes: usize) -> i64 {
    if total_num_nodes == 0 {
        return 0;
    }
    let spread = num_nodes as f64 / total_num_nodes as f64;
    (size as f64 * spread) as i64
}

/// From the summed image score to 0..=100, between the two thresholds.
fn calculate_priority(sum_scores: i64, num_containers: usize) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * num_containers as i64;
    // `max_threshold` may be below `MIN_THRESHOLD` only for a pod without containers; clamp
    // step by step (as upstream) instead of `clamp`, which would panic on such bounds.
    let clamped = if sum_scores < MIN_THRESHOLD {
        MIN_THRESHOLD
    } else if sum_scores > max_threshold {
        max_threshold
    } else {
        sum_scores
    };
    MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{make_node, make_pod, NodeWrapper, PodWrapper};

    fn score_all(pod: &Pod, nodes: Vec<NodeWrapper>) -> Vec<i64> {
        let snapshot = Snapshot::new(nodes.into_iter().map(NodeWrapper::info).collect());
        let mut state = CycleState::new();
        let status = ImageLocality.pre_score(&mut state, pod, snapshot.list(), &snapshot);
        assert!(status.is_success(), "{status}");
        snapshot
            .list()
            .iter()
            .map(|n| {
                let (score, status) = ImageLocality.score(&state, pod, n);
                assert!(status.is_success(), "{status}");
                score
            })
            .collect()
    }

    fn pod_with_images(images: &[&str]) -> PodWrapper {
        images
            .iter()
            .fold(make_pod("p"), |p, image| p.container(image))
    }

    // The nodes of upstream's table: sizes in MiB.
    fn node(name: &str, images: &[(&str, i64)]) -> NodeWrapper {
        let bytes: Vec<(&str, i64)> = images.iter().map(|(n, mb)| (*n, mb * MB)).collect();
        make_node(name).images(&bytes)
    }
    fn node_40_300_2000(name: &str) -> NodeWrapper {
        let images = [
            ("gcr.io/40:latest", 40),
            ("gcr.io/300:latest", 300),
            ("gcr.io/2000:latest", 2000),
        ];
        node(name, &images)
    }
    fn node_250_10(name: &str) -> NodeWrapper {
        node(
            name,
            &[("gcr.io/250:latest", 250), ("gcr.io/10:latest", 10)],
        )
    }
    fn node_4000_30(name: &str) -> NodeWrapper {
        node(
            name,
            &[("gcr.io/4000:latest", 4000), ("gcr.io/30:latest", 30)],
        )
    }
    fn node_20_30_40(name: &str) -> NodeWrapper {
        node(
            name,
            &[
                ("gcr.io/20:latest", 20),
                ("gcr.io/30:latest", 30),
                ("gcr.io/40:latest", 40),
            ],
        )
    }

    #[test]
    fn nodes_holding_more_of_the_pods_image_bytes_score_higher() {
        let cases = [
            (
                // node1: 40M/2 is under 23M → 0; node2: 100×(250M/2 − 23M)/(2000M − 23M) = 5
                "two images on two nodes: the node with the larger image wins",
                pod_with_images(&["gcr.io/40", "gcr.io/250"]),
                vec![node_40_300_2000("node1"), node_250_10("node2")],
                vec![0, 5],
            ),
            (
                // node1: 100×((40M + 300M)/2 − 23M)/(2000M − 23M) = 7
                "two images on one node: that node wins",
                pod_with_images(&["gcr.io/40", "gcr.io/300"]),
                vec![node_40_300_2000("node1"), node_250_10("node2")],
                vec![7, 0],
            ),
            (
                // node1: 4000M/2 is above 1000M × 2 → 100
                "a sum above the maximum counts as the maximum",
                pod_with_images(&["gcr.io/10", "gcr.io/4000"]),
                vec![node_4000_30("node1"), node_250_10("node2")],
                vec![100, 0],
            ),
            (
                // node1: 100×(4000M/3 − 23M)/(2000M − 23M) = 66
                "a node without images dilutes the spread",
                pod_with_images(&["gcr.io/10", "gcr.io/4000"]),
                vec![
                    node_4000_30("node1"),
                    node_250_10("node2"),
                    make_node("node3"),
                ],
                vec![66, 0, 0],
            ),
            (
                // node1: 100×(600M×2/3 + 900M×2/3 − 23M)/(3000M − 23M) = 32
                // node2: 100×(300M×1/3 + 600M×2/3 + 900M×2/3 − 23M)/(3000M − 23M) = 36
                "several large images: the node with all of them wins",
                pod_with_images(&["gcr.io/300", "gcr.io/600", "gcr.io/900"]),
                vec![
                    node(
                        "node1",
                        &[
                            ("gcr.io/600:latest", 600),
                            ("gcr.io/40:latest", 40),
                            ("gcr.io/900:latest", 900),
                        ],
                    ),
                    node(
                        "node2",
                        &[
                            ("gcr.io/300:latest", 300),
                            ("gcr.io/600:latest", 600),
                            ("gcr.io/900:latest", 900),
                        ],
                    ),
                    make_node("node3"),
                ],
                vec![32, 36, 0],
            ),
            (
                // node1: 100×(30M + 40M/2 − 23M)/(2000M − 23M) = 1
                "several small images",
                pod_with_images(&["gcr.io/30", "gcr.io/40"]),
                vec![node_20_30_40("node1"), node_4000_30("node2")],
                vec![1, 0],
            ),
            (
                // node1: 100×(300M/2 − 23M)/(2000M − 23M) = 6
                "init containers count, in the sum and in the container count",
                pod_with_images(&["gcr.io/30"]).with(|pod| {
                    let spec = pod.spec.get_or_insert_with(Default::default);
                    spec.init_containers = Some(vec![k8s_openapi::api::core::v1::Container {
                        name: "init".to_string(),
                        image: Some("gcr.io/300".to_string()),
                        ..Default::default()
                    }]);
                }),
                vec![node_40_300_2000("node1"), node_20_30_40("node2")],
                vec![6, 0],
            ),
            (
                "a tagged name matches only that tag",
                pod_with_images(&["gcr.io/250:v2"]),
                vec![node_250_10("node1")],
                vec![0],
            ),
        ];
        for (name, pod, nodes, want) in cases {
            assert_eq!(score_all(&pod.obj(), nodes), want, "{name}");
        }
    }

    #[test]
    fn odd_pods_score_zero_instead_of_panicking() {
        let no_containers = make_pod("p").obj();
        assert_eq!(score_all(&no_containers, vec![node_250_10("n")]), vec![0]);
        let no_image = make_pod("p")
            .with(|pod| {
                let spec = pod.spec.get_or_insert_with(Default::default);
                spec.containers.push(Default::default());
            })
            .obj();
        assert_eq!(score_all(&no_image, vec![node_250_10("n")]), vec![0]);
        let (_, status) =
            ImageLocality.score(&CycleState::new(), &no_image, &make_node("n").info());
        assert_eq!(
            status.code,
            crate::framework::Code::Error,
            "Score without PreScore"
        );
    }

    #[test]
    fn calculate_priority_is_linear_between_the_thresholds() {
        let cases = [
            ("below the minimum", 10 * MB, 1, 0),
            ("at the minimum", MIN_THRESHOLD, 1, 0),
            ("halfway", MIN_THRESHOLD + (977 * MB) / 2, 1, 50),
            ("at the maximum", 1000 * MB, 1, 100),
            ("above the maximum", 5000 * MB, 1, 100),
            ("the maximum grows with the containers", 1000 * MB, 2, 49),
        ];
        for (name, sum, containers, want) in cases {
            assert_eq!(calculate_priority(sum, containers), want, "{name}");
        }
    }
}
