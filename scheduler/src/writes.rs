//! The run loop's writes to the API server, each in a background task so the scheduling loop
//! never waits on the network: the binding cycle (PreBind, Bind, the `Scheduled` Event),
//! preemption's deletions, and the `FailedScheduling` report.
//! Upstream: `pkg/scheduler/schedule_one.go` (`bindingCycle`, `handleSchedulingFailure`) and
//! `pkg/scheduler/framework/preemption/preemption.go` (`prepareCandidate`).

use crate::framework::{CycleState, Framework, PostFilterResult, QueuedPodInfo};
use crate::metrics::AttemptResult;
use crate::scheduler::Shared;
use k8s_openapi::api::core::v1::Pod;
use machinery::client::{Api, Client, DeleteParams, Patch};
use machinery::events::{reference, EventRecorder, EventType};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// PreBind and Bind, in the background. On failure the pod's room is given back.
pub(crate) async fn binding_cycle(
    shared: Arc<Shared>,
    recorder: Arc<EventRecorder>,
    framework: Arc<Framework>,
    mut state: CycleState,
    queued: QueuedPodInfo,
    host: String,
) {
    let pod = queued.pod_info.pod.clone();
    let key = queued.pod_info.key();
    let mut status = framework.run_pre_bind_plugins(&state, &pod, &host).await;
    if status.is_success() {
        status = framework.run_bind_plugins(&state, &pod, &host).await;
    }
    if status.is_success() {
        shared.queue().done(&key);
        shared
            .metrics
            .attempt(AttemptResult::Scheduled, &framework.profile_name);
        let message = format!("Successfully assigned {key} to {host}");
        let _ = recorder
            .record(
                &reference(pod.as_ref()),
                EventType::Normal,
                "Scheduled",
                &message,
            )
            .await;
        return;
    }
    tracing::warn!(pod = %key, %status, "binding failed");
    shared.cache().forget_pod(&key);
    framework.run_reserve_plugins_unreserve(&mut state, &pod, &host);
    shared.queue().add_backoff(queued, Instant::now());
    shared
        .metrics
        .attempt(AttemptResult::Error, &framework.profile_name);
    let message = format!("Binding rejected: {status}");
    let _ = recorder
        .record(
            &reference(pod.as_ref()),
            EventType::Warning,
            "FailedScheduling",
            &message,
        )
        .await;
}

/// Delete the victims chosen by preemption, telling each why.
pub(crate) async fn preempt(
    client: &Client,
    recorder: &EventRecorder,
    preemptor: &Pod,
    n: &PostFilterResult,
) {
    for victim in &n.victims {
        let ns = victim.metadata.namespace.as_deref().unwrap_or("default");
        let name = victim.metadata.name.as_deref().unwrap_or("");
        let message = format!(
            "Preempted by pod {} on node {}",
            preemptor.metadata.uid.as_deref().unwrap_or(""),
            n.nominated_node_name
        );
        let _ = recorder
            .record(
                &reference(victim.as_ref()),
                EventType::Normal,
                "Preempted",
                &message,
            )
            .await;
        let api: Api<Pod> = Api::namespaced(client.clone(), ns);
        if let Err(e) = api.delete(name, &DeleteParams::default()).await {
            if !e.is_not_found() {
                tracing::warn!(victim = %name, error = %e, "cannot delete preemption victim");
            }
        }
    }
}

/// The `FailedScheduling` Event and the `PodScheduled=False` condition (plus
/// `nominatedNodeName` after a preemption), as `kubectl describe pod` shows them.
pub(crate) async fn report_failure(
    client: &Client,
    recorder: &EventRecorder,
    pod: &Pod,
    reason: &str,
    message: &str,
    nomination: Option<&PostFilterResult>,
) {
    let _ = recorder
        .record(
            &reference(pod),
            EventType::Warning,
            "FailedScheduling",
            message,
        )
        .await;
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let name = pod.metadata.name.as_deref().unwrap_or("");
    let mut status = json!({
        "conditions": [{
            "type": "PodScheduled",
            "status": "False",
            "reason": reason,
            "message": message,
            "lastProbeTime": null,
            "lastTransitionTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }],
    });
    if let Some(n) = nomination {
        status["nominatedNodeName"] = json!(n.nominated_node_name);
    }
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    if let Err(e) = api
        .patch_status(name, &Patch::Strategic(json!({ "status": status })))
        .await
    {
        if !e.is_not_found() {
            tracing::warn!(pod = %name, error = %e, "cannot update the PodScheduled condition");
        }
    }
}
