//! `add_after`: put a key on the queue once a delay has passed.
//!
//! Mirrors `k8s.io/client-go/util/workqueue/delaying_queue.go`. Controllers use it for
//! "look at this again in 30 seconds" (a Job's active deadline, a Deployment's progress
//! deadline) and, through `add_rate_limited`, for retrying failures with backoff.
//!
//! # How it works
//! Rather than one timer per key, the waiting keys sit in a list sorted by the time they are
//! due, and one background task (upstream's `waitingLoop`) sleeps until the earliest is due,
//! moves every due key onto the queue with a plain `add`, and goes back to sleep:
//!
//! ```text
//!   add_after(k, 2s) ──> waiting: [ 10:00:01 a | 10:00:02 k | 10:00:30 b ]
//!                                         │ the loop sleeps until the first entry is due
//!                                         v
//!                         add(a) onto the queue, then sleep until 10:00:02 ...
//! ```
//!
//! A key waits at most once: if it is already waiting, the *earlier* of the two times wins
//! (a "retry in 5ms" must not be postponed by a "check again in 30s"). Upstream keeps the
//! list in a binary heap and fixes an entry up in place with `heap.Fix`; we use a `BTreeMap`
//! keyed by (due time, sequence number), which can remove and re-insert an entry just as
//! cheaply, plus a `HashMap` from key to its slot in the sorted map.
//!
//! The loop is started by the first `add_after` (so a queue that never delays never spawns a
//! task, and `WorkQueue::new` works outside a tokio runtime). It holds only a weak reference
//! to the queue while it sleeps, so dropping every handle frees the queue, and it stops at
//! shutdown. Upstream also wakes every 10 seconds "as insurance against weird things"; our
//! loop is woken explicitly whenever the earliest due time changes, so it does without.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::{Inner, WorkQueue};

/// Delays are capped at a year. This is a guard against `Instant` arithmetic overflowing
/// (and tokio cannot sleep much longer than two years anyway); no controller waits that long.
const MAX_DELAY: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A place in the sorted list: due time, then a sequence number so that two keys due at the
/// same instant keep the order in which they were added (and both fit in the map).
type Slot = (Instant, u64);

/// The keys waiting for their delay to pass.
#[derive(Debug)]
pub(super) struct Waiting<K> {
    /// Waiting keys sorted by due time; the first entry is the next to fire.
    by_time: BTreeMap<Slot, K>,
    /// Where each waiting key sits in `by_time`, so a second `add_after` can find it.
    by_key: HashMap<K, Slot>,
    next_seq: u64,
    /// Whether the background loop has been spawned.
    loop_started: bool,
}

impl<K> Default for Waiting<K> {
    fn default() -> Self {
        Waiting {
            by_time: BTreeMap::new(),
            by_key: HashMap::new(),
            next_seq: 0,
            loop_started: false,
        }
    }
}

impl<K: Clone + Eq + Hash> Waiting<K> {
    /// Record that `key` is due at `due`, unless it is already due earlier. Returns true when
    /// this entry is now the first due, so the loop must re-arm its timer.
    fn insert(&mut self, key: K, due: Instant) -> bool {
        if let Some(&slot) = self.by_key.get(&key) {
            if slot.0 <= due {
                return false; // the earlier time wins
            }
            self.by_time.remove(&slot);
        }
        let slot = (due, self.next_seq);
        self.next_seq += 1;
        self.by_time.insert(slot, key.clone());
        self.by_key.insert(key, slot);
        self.by_time.keys().next() == Some(&slot)
    }

    /// Remove and return every key due at or before `now`, earliest first.
    fn take_due(&mut self, now: Instant) -> Vec<K> {
        let mut due = Vec::new();
        while let Some(entry) = self.by_time.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = entry.remove();
            self.by_key.remove(&key);
            due.push(key);
        }
        due
    }

    /// When the next key is due, if any key is waiting.
    fn next_due(&self) -> Option<Instant> {
        self.by_time.keys().next().map(|slot| slot.0)
    }

    /// How many keys are waiting (used by `Debug` and tests).
    pub(super) fn len(&self) -> usize {
        self.by_key.len()
    }
}

/// The doorbell of the background loop. Rung when the earliest due time changes, at shutdown,
/// and (through `Drop`) when the queue itself goes away, so the loop never sleeps forever on
/// a queue nobody holds.
#[derive(Debug, Default)]
pub(super) struct DelayWakeup(Arc<Notify>);

impl DelayWakeup {
    pub(super) fn notify(&self) {
        // `notify_one` keeps a permit if the loop is busy right now, so the ring is not lost.
        self.0.notify_one();
    }
}

impl Drop for DelayWakeup {
    fn drop(&mut self) {
        self.notify();
    }
}

impl<K> WorkQueue<K>
where
    K: Clone + Eq + Hash + Send + Sync + Debug + 'static,
{
    /// Add `key` to the queue once `delay` has passed. A zero delay adds it right away.
    ///
    /// If the key is already waiting, it keeps the earlier of the two due times. Ignored after
    /// shutdown. Delays longer than a year are shortened to a year.
    ///
    /// # Panics
    /// A non-zero delay needs a tokio runtime (the first one spawns the timer task), so it
    /// panics outside one, like `tokio::spawn`.
    pub fn add_after(&self, key: K, delay: Duration) {
        if self.is_shutting_down() {
            return;
        }
        if delay.is_zero() {
            self.add(key);
            return;
        }
        let due = Instant::now() + delay.min(MAX_DELAY);
        let (start_loop, first_changed) = {
            let mut waiting = self.lock_waiting();
            let first_changed = waiting.insert(key, due);
            let start_loop = !waiting.loop_started;
            waiting.loop_started = true;
            (start_loop, first_changed)
        };
        if start_loop {
            let wakeup = self.inner.delay_wakeup.0.clone();
            tokio::spawn(waiting_loop(Arc::downgrade(&self.inner), wakeup));
        } else if first_changed {
            self.inner.delay_wakeup.notify();
        }
    }

    /// Move every due key onto the queue; return when the next one is due.
    fn add_due_keys(&self, now: Instant) -> Option<Instant> {
        let (due, next) = {
            let mut waiting = self.lock_waiting();
            (waiting.take_due(now), waiting.next_due())
        };
        // `add` takes the other lock, so we call it only after releasing ours.
        for key in due {
            self.add(key);
        }
        next
    }

    pub(super) fn lock_waiting(&self) -> MutexGuard<'_, Waiting<K>> {
        // Like the main lock: the maps are consistent between statements, so a poisoned lock
        // still guards valid data.
        self.inner
            .waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// upstream's `waitingLoop`: sleep until the first key is due (or the doorbell rings), move
/// due keys onto the queue, repeat; stop at shutdown or when the queue has been dropped.
async fn waiting_loop<K>(queue: Weak<Inner<K>>, wakeup: Arc<Notify>)
where
    K: Clone + Eq + Hash + Send + Sync + Debug + 'static,
{
    loop {
        // Listen for the doorbell before looking, as in `get`, so a ring between our look and
        // our sleep is not missed.
        let notified = wakeup.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();

        // Hold a strong handle only while we work, never while we sleep.
        let next_due = match queue.upgrade() {
            None => return, // every handle to the queue is gone
            Some(inner) => {
                let queue = WorkQueue { inner };
                if queue.is_shutting_down() {
                    *queue.lock_waiting() = Waiting::default();
                    return;
                }
                queue.add_due_keys(Instant::now())
            }
        };

        match next_due {
            Some(due) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(due) => {}
                    _ = &mut notified => {}
                }
            }
            None => notified.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn queue() -> WorkQueue<&'static str> {
        WorkQueue::new("test")
    }

    #[tokio::test(start_paused = true)]
    async fn keys_arrive_in_due_order_at_their_due_time() {
        let q = queue();
        let start = Instant::now();
        q.add_after("a", 30 * MS);
        q.add_after("b", 10 * MS);
        q.add_after("c", 20 * MS);
        assert_eq!(q.len(), 0, "nothing is due yet");

        for (key, at) in [("b", 10 * MS), ("c", 20 * MS), ("a", 30 * MS)] {
            assert_eq!(q.get().await, Some(key));
            assert_eq!(start.elapsed(), at, "{key} arrives when due");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn keys_due_at_the_same_time_keep_their_add_order() {
        let q = queue();
        for key in ["x", "y", "z"] {
            q.add_after(key, 5 * MS);
        }
        for key in ["x", "y", "z"] {
            assert_eq!(q.get().await, Some(key));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_sooner_add_after_moves_a_waiting_key_forward() {
        let q = queue();
        let start = Instant::now();
        q.add_after("k", Duration::from_secs(60));
        q.add_after("k", 100 * MS);
        assert_eq!(q.get().await, Some("k"));
        assert_eq!(start.elapsed(), 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_add_after_does_not_postpone_a_waiting_key() {
        let q = queue();
        let start = Instant::now();
        q.add_after("k", 100 * MS);
        q.add_after("k", Duration::from_secs(60));
        assert_eq!(q.lock_waiting().len(), 1, "the key waits once");
        assert_eq!(q.get().await, Some("k"));
        assert_eq!(start.elapsed(), 100 * MS);
        q.done(&"k");

        tokio::time::sleep(Duration::from_secs(120)).await;
        assert_eq!(
            q.len(),
            0,
            "the later time was dropped, not kept as a second entry"
        );
    }

    #[test]
    fn a_zero_delay_adds_at_once_without_a_runtime() {
        let q = queue();
        q.add_after("now", Duration::ZERO);
        assert_eq!(q.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_can_wait_again_after_it_fired() {
        let q = queue();
        q.add_after("k", 10 * MS);
        assert_eq!(q.get().await, Some("k"));
        q.done(&"k");

        let start = Instant::now();
        q.add_after("k", 10 * MS);
        assert_eq!(q.get().await, Some("k"));
        assert_eq!(start.elapsed(), 10 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn a_delayed_key_that_is_already_queued_is_not_duplicated() {
        let q = queue();
        q.add("k");
        q.add_after("k", 10 * MS);
        tokio::time::sleep(20 * MS).await;
        assert_eq!(q.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn shut_down_drops_waiting_keys_and_ignores_new_ones() {
        let q = queue();
        q.add_after("pending", 10 * MS);
        q.shut_down();
        q.add_after("late", 10 * MS);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(q.get().await, None);
        assert_eq!(q.lock_waiting().len(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_timer_task_does_not_keep_a_dropped_queue_alive() {
        let q = queue();
        q.add_after("k", Duration::from_secs(3600));
        tokio::task::yield_now().await; // let the loop start and go to sleep
        let weak = Arc::downgrade(&q.inner);
        drop(q);
        tokio::task::yield_now().await;
        assert!(weak.upgrade().is_none());
    }
}
