//! The run loop: pop a pod, decide (pure, `schedule_one`), act on the decision (API calls).
//!
//! ```text
//!  informers ──► event_handlers ──► queue / cache
//!  loop: pop ─► snapshot ─► schedule_pod ─┬─ node found ─► assume in cache ─► Reserve ─► Permit
//!                                         │                 └─► spawn binding cycle: PreBind ─► Bind
//!                                         │                       ok: Event "Scheduled"   failed: forget, backoff
//!                                         └─ no node ─► PostFilter (preemption) ─► unschedulable queue
//!                                                       + PodScheduled=False condition + Event "FailedScheduling"
//! ```
//! The scheduling cycle runs one pod at a time, so decisions never race each other; binding
//! runs in the background, so a slow API call does not stop the next decision.
//! Upstream: `pkg/scheduler/scheduler.go` and `schedule_one.go` (`ScheduleOne`,
//! `bindingCycle`, `handleSchedulingFailure`).

use crate::cache::Cache;
use crate::explain::{ExplainStore, Explanation};
use crate::framework::types::pod_key;
use crate::framework::{
    CycleState, Framework, PodInfo, PostFilterContext, PostFilterResult, QueuedPodInfo,
};
use crate::metrics::{AttemptResult, Metrics};
use crate::queue::SchedulingQueue;
use crate::schedule_one::{schedule_pod, Attempt, NominatedPods, ScheduleError};
use crate::writes::{binding_cycle, preempt, report_failure};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use machinery::client::Client;
use machinery::events::EventRecorder;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How often pods unschedulable for too long are retried (upstream: every 30 s).
const LEFT_OVER_FLUSH_INTERVAL: Duration = Duration::from_secs(30);

/// State shared by the run loop, the informer handlers, binding tasks and the HTTP server.
pub struct Shared {
    pub profiles: HashMap<String, Arc<Framework>>,
    queue: Mutex<SchedulingQueue>,
    cache: Mutex<Cache>,
    /// node → pods nominated there by preemption; and pod key → node.
    nominated: Mutex<(NominatedPods, HashMap<String, String>)>,
    pub pdbs: Mutex<Vec<Arc<PodDisruptionBudget>>>,
    pub explains: Mutex<ExplainStore>,
    pub metrics: Metrics,
    pub wake: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub fn new(profiles: HashMap<String, Arc<Framework>>) -> Arc<Shared> {
        // All profiles must sort the queue the same way (upstream refuses configurations where
        // they differ); use the default profile's QueueSort, or any profile's if none is default.
        let sorter = profiles
            .get(crate::config::DEFAULT_SCHEDULER_NAME)
            .or_else(|| profiles.values().next())
            .cloned()
            .unwrap_or_default();
        let less = Arc::new(move |a: &QueuedPodInfo, b: &QueuedPodInfo| sorter.less(a, b));
        Arc::new(Shared {
            profiles,
            queue: Mutex::new(SchedulingQueue::new(less)),
            cache: Mutex::new(Cache::new()),
            nominated: Mutex::new((HashMap::new(), HashMap::new())),
            pdbs: Mutex::new(Vec::new()),
            explains: Mutex::new(ExplainStore::new(1000)),
            metrics: Metrics::default(),
            wake: Notify::new(),
        })
    }

    pub fn queue(&self) -> MutexGuard<'_, SchedulingQueue> {
        lock(&self.queue)
    }

    pub fn cache(&self) -> MutexGuard<'_, Cache> {
        lock(&self.cache)
    }

    fn profile_of(&self, pod: &Pod) -> Option<Arc<Framework>> {
        let name = pod
            .spec
            .as_ref()
            .and_then(|s| s.scheduler_name.as_deref())
            .unwrap_or(crate::config::DEFAULT_SCHEDULER_NAME);
        self.profiles.get(name).cloned()
    }

    /// A cluster event happened: move the unschedulable pods it may help.
    pub fn move_pods(&self, event: crate::framework::ClusterEvent) {
        let may_help = |q: &QueuedPodInfo, e| {
            self.profile_of(q.pod())
                .is_some_and(|f| f.event_may_help(e, &q.unschedulable_plugins))
        };
        let moved = self
            .queue()
            .move_all_to_active_or_backoff(event, &may_help, Instant::now());
        if moved > 0 {
            tracing::debug!(event = %event.label(), moved, "moved unschedulable pods");
            self.wake.notify_one();
        }
    }

    /// Remember `pod.status.nominatedNodeName` (set by an earlier preemption, maybe by another
    /// scheduler instance), so other pods leave room for it.
    pub fn nominate_from_status(&self, pod: &Arc<Pod>) {
        let node = pod
            .status
            .as_ref()
            .and_then(|s| s.nominated_node_name.clone())
            .filter(|n| !n.is_empty());
        match node {
            Some(node) => self.nominate(PodInfo::new(pod.clone()), &node),
            None => self.remove_nomination(&pod_key(pod)),
        }
    }

    fn nominate(&self, pod: PodInfo, node: &str) {
        let key = pod.key();
        self.remove_nomination(&key);
        let mut n = lock(&self.nominated);
        n.0.entry(node.to_string()).or_default().push(pod);
        n.1.insert(key, node.to_string());
    }

    pub fn remove_nomination(&self, key: &str) {
        let mut n = lock(&self.nominated);
        if let Some(node) = n.1.remove(key) {
            if let Some(pods) = n.0.get_mut(&node) {
                pods.retain(|p| p.key() != key);
            }
        }
    }

    fn nominated_snapshot(&self) -> NominatedPods {
        lock(&self.nominated).0.clone()
    }
}

/// The scheduler: shared state plus what it needs to talk to the API server.
pub struct Scheduler {
    pub shared: Arc<Shared>,
    client: Client,
    recorder: Arc<EventRecorder>,
    next_start_node_index: usize,
}

impl Scheduler {
    pub fn new(shared: Arc<Shared>, client: Client) -> Scheduler {
        // Events name the scheduler as their source, as upstream's do.
        let component = if shared
            .profiles
            .contains_key(crate::config::DEFAULT_SCHEDULER_NAME)
        {
            crate::config::DEFAULT_SCHEDULER_NAME.to_string()
        } else {
            let mut names: Vec<&String> = shared.profiles.keys().collect();
            names.sort();
            names.first().map(|n| n.to_string()).unwrap_or_default()
        };
        let recorder = Arc::new(EventRecorder::new(client.clone(), &component));
        Scheduler {
            shared,
            client,
            recorder,
            next_start_node_index: 0,
        }
    }

    /// Schedule pods until the task is dropped.
    pub async fn run(mut self) {
        let mut last_left_over_flush = Instant::now();
        loop {
            let popped = {
                let now = Instant::now();
                let mut queue = self.shared.queue();
                queue.flush_backoff_completed(now);
                if now.duration_since(last_left_over_flush) > LEFT_OVER_FLUSH_INTERVAL {
                    queue.flush_unschedulable_left_over(now);
                    last_left_over_flush = now;
                }
                match queue.pop() {
                    Some(p) => Ok(p),
                    None => Err(queue.next_backoff_expiry()),
                }
            };
            match popped {
                Ok(pod) => self.schedule_one(pod),
                Err(next_expiry) => {
                    let sleep = next_expiry
                        .map(|t| t.saturating_duration_since(Instant::now()))
                        .unwrap_or(Duration::from_secs(1))
                        .min(Duration::from_secs(1));
                    tokio::select! {
                        _ = self.shared.wake.notified() => {}
                        _ = tokio::time::sleep(sleep) => {}
                    }
                }
            }
        }
    }

    /// One scheduling cycle for one pod.
    fn schedule_one(&mut self, queued: QueuedPodInfo) {
        let pod = queued.pod_info.pod.clone();
        let key = queued.pod_info.key();
        let Some(framework) = self.shared.profile_of(&pod) else {
            self.shared.queue().done(&key);
            return;
        };
        let snapshot = self.shared.cache().snapshot();
        let nominated = self.shared.nominated_snapshot();
        let mut state = CycleState::new();
        let mut explanation = Explanation {
            pod: key.clone(),
            profile: framework.profile_name.clone(),
            attempt: queued.attempts,
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ..Explanation::default()
        };
        let started = Instant::now();
        let result = schedule_pod(
            Attempt {
                framework: &framework,
                snapshot: &snapshot,
                nominated: &nominated,
                next_start_node_index: &mut self.next_start_node_index,
            },
            &mut state,
            &pod,
            &mut rand::thread_rng(),
            &mut explanation,
        );
        self.shared.metrics.algorithm_duration(started.elapsed());
        match result {
            Ok(result) => {
                let host = result.suggested_host;
                let mut assumed = (*pod).clone();
                assumed.spec.get_or_insert_with(Default::default).node_name = Some(host.clone());
                self.shared.cache().assume_pod(Arc::new(assumed), &host);
                let status = framework.run_reserve_plugins_reserve(&mut state, &pod, &host);
                let (status, _) = if status.is_success() {
                    framework.run_permit_plugins(&state, &pod, &host)
                } else {
                    (status, Duration::ZERO)
                };
                if !status.is_success() {
                    // Permit `Wait` is not supported yet: kubeling has no waiting-pods map.
                    self.shared.cache().forget_pod(&key);
                    framework.run_reserve_plugins_unreserve(&mut state, &pod, &host);
                    self.fail(
                        queued,
                        &framework,
                        explanation,
                        "Error",
                        status.to_string(),
                        None,
                    );
                    return;
                }
                explanation.outcome = "Scheduled".to_string();
                explanation.message = format!("to {host}");
                lock(&self.shared.explains).insert(explanation);
                self.shared.remove_nomination(&key);
                tokio::spawn(binding_cycle(
                    self.shared.clone(),
                    self.recorder.clone(),
                    framework,
                    state,
                    queued,
                    host,
                ));
            }
            Err(ScheduleError::Internal(status)) => {
                let message = format!("running {} plugin: {status}", status.plugin.unwrap_or("a"));
                self.fail(queued, &framework, explanation, "Error", message, None);
            }
            Err(ScheduleError::Fit(mut fit)) => {
                let mut nomination = None;
                // With no nodes at all there is nobody to preempt (upstream skips it too).
                if !framework.post_filter.is_empty() && fit.num_all_nodes > 0 {
                    let pdbs = lock(&self.shared.pdbs).clone();
                    let ctx = PostFilterContext {
                        framework: &framework,
                        snapshot: &snapshot,
                        pdbs: &pdbs,
                    };
                    let (result, status) = framework.run_post_filter_plugins(
                        &ctx,
                        &state,
                        &pod,
                        &fit.diagnosis.node_to_status,
                    );
                    if !status.message().is_empty() {
                        // Upstream's event reads "0/3 nodes are available: ... preemption: 0/3 ...".
                        fit.diagnosis.post_filter_msg = format!(
                            "{}{}",
                            crate::plugins::default_preemption::MESSAGE_PREFIX,
                            status.message()
                        );
                    }
                    nomination = result.filter(|r| !r.nominated_node_name.is_empty());
                }
                let mut queued = queued;
                queued.unschedulable_plugins = fit.diagnosis.unschedulable_plugins.clone();
                let message = fit.to_string();
                self.fail(
                    queued,
                    &framework,
                    explanation,
                    "Unschedulable",
                    message,
                    nomination,
                );
            }
        }
    }

    /// Record a failed attempt: queue the pod again, tell people why (Event + condition), and
    /// carry out a preemption if PostFilter chose one.
    fn fail(
        &self,
        queued: QueuedPodInfo,
        framework: &Framework,
        mut explanation: Explanation,
        outcome: &str,
        message: String,
        nomination: Option<PostFilterResult>,
    ) {
        let pod = queued.pod_info.pod.clone();
        let unschedulable = outcome == "Unschedulable";
        {
            let mut queue = self.shared.queue();
            // Scheduling cycles run one at a time, so the queue's latest cycle is this pod's.
            let cycle = queue.scheduling_cycle();
            if unschedulable {
                queue.add_unschedulable(queued, cycle, Instant::now());
            } else {
                queue.add_backoff(queued, Instant::now());
            }
        }
        let result = if unschedulable {
            AttemptResult::Unschedulable
        } else {
            AttemptResult::Error
        };
        self.shared.metrics.attempt(result, &framework.profile_name);
        explanation.outcome = outcome.to_string();
        explanation.message = message.clone();
        if let Some(n) = &nomination {
            explanation.outcome = "Nominated".to_string();
            explanation.message = format!(
                "{message} (preempting {} pod(s) on {})",
                n.victims.len(),
                n.nominated_node_name
            );
            self.shared.metrics.preemption(n.victims.len());
            self.shared
                .nominate(PodInfo::new(pod.clone()), &n.nominated_node_name);
        }
        lock(&self.shared.explains).insert(explanation);
        tracing::info!(pod = %pod_key(&pod), %message, "unable to schedule pod");
        let client = self.client.clone();
        let recorder = self.recorder.clone();
        tokio::spawn(async move {
            if let Some(n) = &nomination {
                preempt(&client, &recorder, &pod, n).await;
            }
            // Upstream's condition reasons: Unschedulable, or SchedulerError for internal errors.
            let reason = if unschedulable {
                "Unschedulable"
            } else {
                "SchedulerError"
            };
            report_failure(
                &client,
                &recorder,
                &pod,
                reason,
                &message,
                nomination.as_ref(),
            )
            .await;
        });
    }
}
