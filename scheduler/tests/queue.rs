//! The scheduling queue: order, backoff, and pods moved back by cluster events (not by polling).

use scheduler::framework::{ClusterEvent, QueuedPodInfo};
use scheduler::queue::{backoff_duration, Location, SchedulingQueue, MAX_UNSCHEDULABLE_DURATION};
use scheduler::testing::make_pod;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn priority_queue() -> SchedulingQueue {
    SchedulingQueue::new(Arc::new(|a: &QueuedPodInfo, b: &QueuedPodInfo| {
        let p = |q: &QueuedPodInfo| q.pod().spec.as_ref().and_then(|s| s.priority).unwrap_or(0);
        p(a) > p(b) || (p(a) == p(b) && a.timestamp < b.timestamp)
    }))
}

fn popped_names(q: &mut SchedulingQueue) -> Vec<String> {
    std::iter::from_fn(|| q.pop())
        .map(|p| p.pod_info.name().to_string())
        .collect()
}

fn every_event_helps(_: &QueuedPodInfo, _: ClusterEvent) -> bool {
    true
}

#[test]
fn pods_leave_by_priority_then_by_age() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("low").priority(1).info(), t0);
    q.add(
        make_pod("high").priority(100).info(),
        t0 + Duration::from_millis(2),
    );
    q.add(
        make_pod("low-later").priority(1).info(),
        t0 + Duration::from_millis(1),
    );
    assert_eq!(popped_names(&mut q), ["high", "low", "low-later"]);
}

#[test]
fn an_unschedulable_pod_waits_for_an_event_not_for_a_timer() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("p").info(), t0);
    let p = q.pop().unwrap();
    q.add_unschedulable(p, q.scheduling_cycle(), t0);
    assert_eq!(q.location("default/p"), Some(Location::Unschedulable));
    // Much later, without an event, it is still waiting (well inside the 5-minute safety net).
    let later = t0 + Duration::from_secs(60);
    assert_eq!(q.flush_backoff_completed(later), 0);
    assert!(q.pop().is_none());
    // A node is added: the pod goes back to the active queue (its backoff has expired).
    assert_eq!(
        q.move_all_to_active_or_backoff(ClusterEvent::NODE_ADD, &every_event_helps, later),
        1
    );
    assert_eq!(popped_names(&mut q), ["p"]);
}

#[test]
fn an_event_no_rejecting_plugin_cares_about_leaves_the_pod_waiting() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("p").info(), t0);
    let mut p = q.pop().unwrap();
    p.unschedulable_plugins.insert("NodeResourcesFit");
    q.add_unschedulable(p, q.scheduling_cycle(), t0);
    let only_pod_deletes = |q: &QueuedPodInfo, e: ClusterEvent| {
        q.unschedulable_plugins.contains("NodeResourcesFit") && e == ClusterEvent::POD_DELETE
    };
    let later = t0 + Duration::from_secs(30);
    assert_eq!(
        q.move_all_to_active_or_backoff(ClusterEvent::NODE_UPDATE, &only_pod_deletes, later),
        0
    );
    assert_eq!(
        q.move_all_to_active_or_backoff(ClusterEvent::POD_DELETE, &only_pod_deletes, later),
        1
    );
}

#[test]
fn a_pod_moved_by_an_event_while_still_backing_off_waits_out_its_backoff() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("p").info(), t0);
    let p = q.pop().unwrap();
    q.add_unschedulable(p, q.scheduling_cycle(), t0);
    q.move_all_to_active_or_backoff(ClusterEvent::NODE_ADD, &every_event_helps, t0);
    assert_eq!(q.location("default/p"), Some(Location::Backoff));
    assert!(q.pop().is_none());
    assert_eq!(
        q.flush_backoff_completed(t0 + Duration::from_millis(500)),
        0
    );
    assert_eq!(q.flush_backoff_completed(t0 + Duration::from_secs(1)), 1);
    assert_eq!(popped_names(&mut q), ["p"]);
}

#[test]
fn an_event_during_the_scheduling_cycle_sends_the_failed_pod_to_backoff() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("p").info(), t0);
    let p = q.pop().unwrap();
    let cycle = q.scheduling_cycle();
    // While "p" was being scheduled, a node appeared.
    q.move_all_to_active_or_backoff(ClusterEvent::NODE_ADD, &every_event_helps, t0);
    q.add_unschedulable(p, cycle, t0);
    assert_eq!(q.location("default/p"), Some(Location::Backoff));
}

#[test]
fn backoff_doubles_from_one_second_up_to_ten() {
    let secs: Vec<u64> = (1..=6).map(|a| backoff_duration(a).as_secs()).collect();
    assert_eq!(secs, [1, 2, 4, 8, 10, 10]);
}

#[test]
fn pods_unschedulable_for_five_minutes_are_retried_anyway() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("p").info(), t0);
    let p = q.pop().unwrap();
    q.add_unschedulable(p, q.scheduling_cycle(), t0);
    assert_eq!(
        q.flush_unschedulable_left_over(t0 + Duration::from_secs(10)),
        0
    );
    let much_later = t0 + MAX_UNSCHEDULABLE_DURATION + Duration::from_secs(1);
    assert_eq!(q.flush_unschedulable_left_over(much_later), 1);
    assert_eq!(popped_names(&mut q), ["p"]);
}

#[test]
fn editing_an_unschedulable_pod_gives_it_another_try() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("p").info(), t0);
    let p = q.pop().unwrap();
    q.add_unschedulable(p, q.scheduling_cycle(), t0);
    let edited = make_pod("p")
        .toleration("dedicated", "gpu", "NoSchedule")
        .info();
    q.update(edited, t0 + Duration::from_secs(5));
    let popped = q.pop().expect("the edited pod is active again");
    assert!(popped.pod().spec.as_ref().unwrap().tolerations.is_some());
}

#[test]
fn a_deleted_pod_is_never_popped() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("a").info(), t0);
    q.add(make_pod("b").info(), t0);
    q.delete("default/a");
    assert_eq!(popped_names(&mut q), ["b"]);
    assert_eq!(q.pending(), (0, 0, 0));
}

#[test]
fn pending_counts_each_queue() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    for name in ["a", "b", "c"] {
        q.add(make_pod(name).info(), t0);
    }
    let a = q.pop().unwrap();
    q.add_unschedulable(a, q.scheduling_cycle(), t0);
    let b = q.pop().unwrap();
    q.add_backoff(b, t0);
    assert_eq!(q.pending(), (1, 1, 1));
}

#[test]
fn a_status_only_change_does_not_count_as_an_edit() {
    let mut q = priority_queue();
    let t0 = Instant::now();
    q.add(make_pod("p").info(), t0);
    let p = q.pop().unwrap();
    q.add_unschedulable(p, q.scheduling_cycle(), t0);
    // The scheduler's own PodScheduled=False patch comes back through the informer.
    let with_condition = make_pod("p").with(|pod| {
        pod.status = Some(k8s_openapi::api::core::v1::PodStatus {
            nominated_node_name: Some("n1".into()),
            ..Default::default()
        })
    });
    q.update_status_only(with_condition.info());
    assert_eq!(q.location("default/p"), Some(Location::Unschedulable));
}
