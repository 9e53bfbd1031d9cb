//! The scheduling queue: which pending pod to try next, and where pods wait after a failure.
//!
//! ```text
//!            add ──► activeQ (heap by QueueSort: priority, then age) ──pop──► scheduling cycle
//!                       ▲            ▲                                          │ failed
//!      backoff expired  │            │ a cluster event that may help            ▼
//!                 backoffQ ◄─────── unschedulablePods ◄────────── "no node fits"
//!      (1 s, 2 s, 4 s ... 10 s)      (wait for an event, or 5 min at most)
//! ```
//! A pod that did not fit does not retry on a timer: it waits in `unschedulablePods` until
//! something happens that could change the answer — a node is added, a pod is deleted — and
//! only if one of the plugins that rejected it registered interest in that event. It then goes
//! through backoff, so a pod that keeps failing does not monopolise the scheduler.
//! If an event arrives *while* a pod is being scheduled, the pod's failure goes straight to
//! backoff (the "move request cycle" rule), so the event is not missed.
//!
//! Time is a parameter (`now`), never read here, so tests drive it by hand.
//! Upstream: `pkg/scheduler/backend/queue/scheduling_queue.go` (`PriorityQueue`).

use crate::framework::{ClusterEvent, PodInfo, QueuedPodInfo};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// First backoff after a failed attempt.
pub const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// Backoff doubles per attempt up to this.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A pod stays in unschedulablePods at most this long, even without events (a safety net).
pub const MAX_UNSCHEDULABLE_DURATION: Duration = Duration::from_secs(5 * 60);

/// "Should `a` be scheduled before `b`?" — the profile's QueueSort plugin.
pub type LessFn = Arc<dyn Fn(&QueuedPodInfo, &QueuedPodInfo) -> bool + Send + Sync>;
/// "Could this event make this pod schedulable?" — asks the pod's profile.
pub type EventFilter<'a> = &'a dyn Fn(&QueuedPodInfo, ClusterEvent) -> bool;

/// Where a pod is waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Active,
    Backoff,
    Unschedulable,
    /// Popped and being scheduled right now.
    InFlight,
}

/// A heap entry. Entries are never removed from the middle of a heap: an entry whose
/// `generation` no longer matches the pod's current one is simply skipped when it surfaces.
struct HeapEntry {
    info: QueuedPodInfo,
    generation: u64,
    key: HeapKey,
}

enum HeapKey {
    Sort(LessFn),
    BackoffExpiry(Instant),
}

impl PartialEq for HeapEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HeapEntry {}
impl PartialOrd for HeapEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapEntry {
    /// `BinaryHeap` pops the greatest: "greater" means "goes first".
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.key, &other.key) {
            (HeapKey::Sort(less), _) => {
                if less(&self.info, &other.info) {
                    Ordering::Greater
                } else if less(&other.info, &self.info) {
                    Ordering::Less
                } else {
                    Ordering::Equal
                }
            }
            (HeapKey::BackoffExpiry(a), HeapKey::BackoffExpiry(b)) => b.cmp(a),
            (HeapKey::BackoffExpiry(_), HeapKey::Sort(_)) => Ordering::Equal,
        }
    }
}

struct Tracked {
    info: QueuedPodInfo,
    location: Location,
    generation: u64,
    /// Set when an update arrives while the pod is in flight: requeue it as new afterwards.
    updated_in_flight: bool,
}

/// The three queues of pending pods.
pub struct SchedulingQueue {
    less: LessFn,
    active: BinaryHeap<HeapEntry>,
    backoff: BinaryHeap<HeapEntry>,
    pods: HashMap<String, Tracked>,
    /// Keys of the pods in unschedulablePods, so events need not scan every pending pod.
    unschedulable: HashSet<String>,
    next_generation: u64,
    /// Incremented by every pop.
    scheduling_cycle: u64,
    /// The scheduling cycle at the last event that moved pods (see the module comment).
    move_request_cycle: u64,
}

impl SchedulingQueue {
    pub fn new(less: LessFn) -> SchedulingQueue {
        SchedulingQueue {
            less,
            active: BinaryHeap::new(),
            backoff: BinaryHeap::new(),
            pods: HashMap::new(),
            unschedulable: HashSet::new(),
            next_generation: 0,
            scheduling_cycle: 0,
            move_request_cycle: 0,
        }
    }

    fn push(&mut self, key: String, info: QueuedPodInfo, location: Location, now: Instant) {
        self.next_generation += 1;
        let generation = self.next_generation;
        if location == Location::Unschedulable {
            self.unschedulable.insert(key.clone());
        } else {
            self.unschedulable.remove(&key);
        }
        match location {
            Location::Active => self.active.push(HeapEntry {
                info: info.clone(),
                generation,
                key: HeapKey::Sort(self.less.clone()),
            }),
            Location::Backoff => self.backoff.push(HeapEntry {
                info: info.clone(),
                generation,
                key: HeapKey::BackoffExpiry(backoff_expiry(&info).max(now)),
            }),
            Location::Unschedulable | Location::InFlight => {}
        }
        self.pods.insert(
            key,
            Tracked {
                info,
                location,
                generation,
                updated_in_flight: false,
            },
        );
    }

    /// A new pending pod.
    pub fn add(&mut self, pod: PodInfo, now: Instant) {
        let key = pod.key();
        if self.pods.contains_key(&key) {
            self.update(pod, now);
            return;
        }
        self.push(key, QueuedPodInfo::new(pod, now), Location::Active, now);
    }

    /// A pending pod changed. An unschedulable pod that was edited (say, a toleration added)
    /// deserves a new attempt, so it moves to active (or backoff, if still backing off).
    pub fn update(&mut self, pod: PodInfo, now: Instant) {
        let key = pod.key();
        let Some(tracked) = self.pods.get_mut(&key) else {
            self.add(pod, now);
            return;
        };
        let mut info = tracked.info.clone();
        info.pod_info = pod;
        match tracked.location {
            Location::InFlight => {
                tracked.info = info;
                tracked.updated_in_flight = true;
            }
            Location::Unschedulable => {
                let to = if is_backing_off(&info, now) {
                    Location::Backoff
                } else {
                    Location::Active
                };
                self.push(key, info, to, now);
            }
            location => self.push(key, info, location, now),
        }
    }

    /// Only the pod's status changed (often our own PodScheduled=False patch): keep the
    /// newest copy but do not treat it as an edit that deserves a new attempt — otherwise every
    /// failure would trigger its own retry. Upstream: `isPodUpdated` ignores status.
    pub fn update_status_only(&mut self, pod: PodInfo) {
        if let Some(tracked) = self.pods.get_mut(&pod.key()) {
            tracked.info.pod_info = pod;
        }
    }

    /// The pod was deleted or bound by someone else: forget it.
    pub fn delete(&mut self, key: &str) {
        self.pods.remove(key);
        self.unschedulable.remove(key);
    }

    /// The next pod to schedule, if any is active. Marks it in flight.
    pub fn pop(&mut self) -> Option<QueuedPodInfo> {
        while let Some(entry) = self.active.pop() {
            let key = entry.info.pod_info.key();
            let Some(tracked) = self.pods.get_mut(&key) else {
                continue;
            };
            if tracked.generation != entry.generation || tracked.location != Location::Active {
                continue;
            }
            tracked.location = Location::InFlight;
            tracked.updated_in_flight = false;
            tracked.info.attempts += 1;
            self.scheduling_cycle += 1;
            return Some(tracked.info.clone());
        }
        None
    }

    /// The cycle number of the most recent pop (pass it back to `add_unschedulable`).
    pub fn scheduling_cycle(&self) -> u64 {
        self.scheduling_cycle
    }

    /// The in-flight pod was scheduled (bound, or assumed and binding): stop tracking it.
    pub fn done(&mut self, key: &str) {
        if self
            .pods
            .get(key)
            .is_some_and(|t| t.location == Location::InFlight)
        {
            self.pods.remove(key);
        }
    }

    /// The in-flight pod did not fit. It waits for an event — unless an event already came
    /// during its cycle, or it was edited meanwhile, in which case it goes to backoff.
    pub fn add_unschedulable(&mut self, mut info: QueuedPodInfo, pod_cycle: u64, now: Instant) {
        let key = info.pod_info.key();
        let Some(tracked) = self.pods.get(&key) else {
            return; // deleted while in flight
        };
        if tracked.updated_in_flight {
            info.pod_info = tracked.info.pod_info.clone();
        }
        let to = if self.move_request_cycle >= pod_cycle || tracked.updated_in_flight {
            Location::Backoff
        } else {
            Location::Unschedulable
        };
        info.timestamp = now;
        self.push(key, info, to, now);
    }

    /// The in-flight pod hit an error (or its binding failed): retry after backoff.
    pub fn add_backoff(&mut self, mut info: QueuedPodInfo, now: Instant) {
        let key = info.pod_info.key();
        if let Some(tracked) = self.pods.get(&key) {
            if tracked.updated_in_flight {
                info.pod_info = tracked.info.pod_info.clone();
            }
            info.timestamp = now;
            self.push(key, info, Location::Backoff, now);
        }
    }

    /// Move pods whose backoff has expired to the active queue. Returns how many moved.
    pub fn flush_backoff_completed(&mut self, now: Instant) -> usize {
        let mut moved = 0;
        while let Some(top) = self.backoff.peek() {
            let HeapKey::BackoffExpiry(expiry) = top.key else {
                break;
            };
            if expiry > now {
                break;
            }
            let Some(entry) = self.backoff.pop() else {
                break;
            };
            let key = entry.info.pod_info.key();
            let current = self.pods.get(&key).is_some_and(|t| {
                t.generation == entry.generation && t.location == Location::Backoff
            });
            if current {
                self.push(key, entry.info, Location::Active, now);
                moved += 1;
            }
        }
        moved
    }

    /// The safety net: pods unschedulable for over five minutes get another try.
    pub fn flush_unschedulable_left_over(&mut self, now: Instant) -> usize {
        let old: Vec<(String, QueuedPodInfo)> = self
            .unschedulable
            .iter()
            .filter_map(|k| self.pods.get(k).map(|t| (k, t)))
            .filter(|(_, t)| {
                now.saturating_duration_since(t.info.timestamp) > MAX_UNSCHEDULABLE_DURATION
            })
            .map(|(k, t)| (k.clone(), t.info.clone()))
            .collect();
        let n = old.len();
        for (key, info) in old {
            self.push(key, info, Location::Active, now);
        }
        n
    }

    /// A cluster event happened: move every unschedulable pod it may help to active (or to
    /// backoff if the pod is still backing off). Returns how many pods moved.
    pub fn move_all_to_active_or_backoff(
        &mut self,
        event: ClusterEvent,
        may_help: EventFilter<'_>,
        now: Instant,
    ) -> usize {
        let moving: Vec<(String, QueuedPodInfo)> = self
            .unschedulable
            .iter()
            .filter_map(|k| self.pods.get(k).map(|t| (k, t)))
            .filter(|(_, t)| may_help(&t.info, event))
            .map(|(k, t)| (k.clone(), t.info.clone()))
            .collect();
        let n = moving.len();
        for (key, info) in moving {
            let to = if is_backing_off(&info, now) {
                Location::Backoff
            } else {
                Location::Active
            };
            self.push(key, info, to, now);
        }
        self.move_request_cycle = self.scheduling_cycle;
        n
    }

    /// Where the pod with this key waits, if it is pending.
    pub fn location(&self, key: &str) -> Option<Location> {
        self.pods.get(key).map(|t| t.location)
    }

    /// How many pods wait in each queue: (active, backoff, unschedulable).
    pub fn pending(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for t in self.pods.values() {
            match t.location {
                Location::Active => counts.0 += 1,
                Location::Backoff => counts.1 += 1,
                Location::Unschedulable => counts.2 += 1,
                Location::InFlight => {}
            }
        }
        counts
    }

    /// When the next backed-off pod becomes ready, if any (so the run loop can sleep until then).
    pub fn next_backoff_expiry(&self) -> Option<Instant> {
        self.backoff.peek().and_then(|e| match e.key {
            HeapKey::BackoffExpiry(t) => Some(t),
            HeapKey::Sort(_) => None,
        })
    }
}

/// 1 s after the first failure, doubling per attempt, at most 10 s.
pub fn backoff_duration(attempts: u32) -> Duration {
    let mut d = INITIAL_BACKOFF;
    for _ in 1..attempts {
        d = d.saturating_mul(2);
        if d >= MAX_BACKOFF {
            return MAX_BACKOFF;
        }
    }
    d
}

fn backoff_expiry(info: &QueuedPodInfo) -> Instant {
    info.timestamp + backoff_duration(info.attempts)
}

fn is_backing_off(info: &QueuedPodInfo, now: Instant) -> bool {
    info.attempts > 0 && backoff_expiry(info) > now
}
