//! The de-duplicating FIFO at the heart of the work queue: `add`, `get`, `done`, shutdown.
//!
//! Mirrors `k8s.io/client-go/util/workqueue/queue.go` (`Typed[T]`). Upstream guards its
//! three sets with a mutex and a `sync.Cond`; we use a `std::sync::Mutex` (held only for a
//! few set operations, never across an `.await`) and `tokio::sync::Notify` in place of the
//! condition variable, so a waiting `get` parks its task instead of a thread.

use std::collections::{HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::MutexGuard;

use super::WorkQueue;

/// The queue's bookkeeping, always changed under one lock. Invariants (as upstream):
/// - every key in `queue` is also in `dirty` and not in `processing`;
/// - a key is in `queue` at most once (that is the de-duplication).
///
/// A key can be in `dirty` and `processing` at the same time: it changed while a worker was
/// busy with it, and `done` will put it back on `queue`.
#[derive(Debug)]
pub(super) struct State<K> {
    /// Keys waiting for a worker, oldest first.
    queue: VecDeque<K>,
    /// Keys that need processing: everything in `queue`, plus keys re-added while processing.
    dirty: HashSet<K>,
    /// Keys a worker has taken with `get` and not yet released with `done`.
    processing: HashSet<K>,
    /// Set by `shut_down`/`shut_down_with_drain`: new adds are ignored from then on.
    shutting_down: bool,
    /// True while a `shut_down_with_drain` call waits for `processing` to empty.
    drain: bool,
}

impl<K> Default for State<K> {
    fn default() -> Self {
        State {
            queue: VecDeque::new(),
            dirty: HashSet::new(),
            processing: HashSet::new(),
            shutting_down: false,
            drain: false,
        }
    }
}

impl<K> WorkQueue<K>
where
    K: Clone + Eq + Hash + Send + Sync + Debug + 'static,
{
    /// Mark `key` as needing processing.
    ///
    /// - After shutdown, the key is ignored.
    /// - If the key is already waiting, nothing changes: ten adds before a worker gets to it
    ///   still mean one reconcile.
    /// - If a worker is processing the key right now, it is only marked dirty; `done` puts it
    ///   back on the queue, so no second worker ever sees it meanwhile.
    /// - Otherwise it joins the back of the queue and one waiting `get` wakes up.
    pub fn add(&self, key: K) {
        {
            let mut state = self.lock_state();
            if state.shutting_down || state.dirty.contains(&key) {
                return;
            }
            state.dirty.insert(key.clone());
            if state.processing.contains(&key) {
                return;
            }
            state.queue.push_back(key);
        }
        // Like `cond.Signal()`: wake one waiting `get`. If nobody waits, `Notify` keeps a
        // permit, so the next `get` does not go to sleep first.
        self.inner.item_ready.notify_one();
    }

    /// Wait for a key to process, and mark it as being processed. You must call
    /// [`done`](Self::done) with the key when you have finished with it.
    ///
    /// Returns `None` once the queue is shutting down *and* empty: keys already queued when
    /// [`shut_down`](Self::shut_down) was called are still handed out first (upstream's
    /// `Get` returns `shutdown = true` only when the queue is empty). A worker loop
    /// therefore reads `while let Some(key) = queue.get().await { ... }`.
    pub async fn get(&self) -> Option<K> {
        loop {
            // Register for a wake-up *before* looking at the queue. An `add` that lands between
            // our look and our `.await` then still wakes us: no lost wake-ups. (Go gets this
            // from `cond.Wait`, which unlocks and sleeps in one step.)
            let notified = self.inner.item_ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();

            {
                let mut state = self.lock_state();
                if let Some(key) = state.queue.pop_front() {
                    state.dirty.remove(&key);
                    state.processing.insert(key.clone());
                    return Some(key);
                }
                if state.shutting_down {
                    return None;
                }
            }
            // If we are woken but another `get` took the key first, we simply loop and wait
            // again. And if this future is dropped after being woken, tokio passes the wake-up
            // on to the next waiter, so a cancelled `get` cannot strand a key.
            notified.await;
        }
    }

    /// Processing of `key` has finished. If it was added again meanwhile, it goes back on the
    /// queue now, to be processed once more (by whichever worker gets it next).
    ///
    /// Calling `done` for a key you did not `get` is a bug in the caller. Upstream would then
    /// queue a dirty key a second time; we ignore the call instead.
    pub fn done(&self, key: &K) {
        let requeued;
        let drained;
        {
            let mut state = self.lock_state();
            if !state.processing.remove(key) {
                tracing::debug!(queue = %self.inner.name, ?key, "done() for a key that was not being processed");
                return;
            }
            requeued = state.dirty.contains(key);
            if requeued {
                state.queue.push_back(key.clone());
            }
            drained = state.processing.is_empty();
        }
        if requeued {
            self.inner.item_ready.notify_one();
        }
        if drained {
            // Wake `shut_down_with_drain`, which waits for exactly this moment.
            self.inner.drained.notify_waiters();
        }
    }

    /// How many keys are waiting for a worker (not counting keys being processed). For
    /// information only: by the time you act on the number, it may have changed.
    pub fn len(&self) -> usize {
        self.lock_state().queue.len()
    }

    /// True when no key is waiting for a worker (see [`len`](Self::len)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stop accepting new keys. Workers still receive the keys already queued, then `get`
    /// returns `None`. Pending [`add_after`](Self::add_after) timers are dropped. Calling it
    /// again, or after [`shut_down_with_drain`](Self::shut_down_with_drain), is fine; the
    /// latter then stops waiting for the drain.
    pub fn shut_down(&self) {
        {
            let mut state = self.lock_state();
            state.shutting_down = true;
            state.drain = false;
        }
        self.wake_everyone();
    }

    /// Like [`shut_down`](Self::shut_down), then wait until every key currently being
    /// processed has been released with [`done`](Self::done).
    ///
    /// Use it to stop a controller gracefully: in-flight reconciles finish, and only then
    /// does the caller move on (say, to release a leader-election lease). Your workers must
    /// keep calling `done`, or this waits forever; as upstream says, calling `shut_down`
    /// afterwards forces the wait to end.
    pub async fn shut_down_with_drain(&self) {
        {
            let mut state = self.lock_state();
            state.shutting_down = true;
            state.drain = true;
        }
        self.wake_everyone();
        loop {
            // Same register-then-check pattern as in `get`.
            let notified = self.inner.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = self.lock_state();
                if state.processing.is_empty() || !state.drain {
                    return;
                }
            }
            notified.await;
        }
    }

    /// True once [`shut_down`](Self::shut_down) or
    /// [`shut_down_with_drain`](Self::shut_down_with_drain) has been called.
    pub fn is_shutting_down(&self) -> bool {
        self.lock_state().shutting_down
    }

    /// `cond.Broadcast()`: every waiting `get` re-checks and sees the shutdown, a waiting
    /// `shut_down_with_drain` re-checks its condition, and the delay loop exits.
    fn wake_everyone(&self) {
        self.inner.item_ready.notify_waiters();
        self.inner.drained.notify_waiters();
        self.inner.delay_wakeup.notify();
    }

    /// Counts used by `Debug` and tests: (queued, processing).
    pub(super) fn counts(&self) -> (usize, usize) {
        let state = self.lock_state();
        (state.queue.len(), state.processing.len())
    }

    fn lock_state(&self) -> MutexGuard<'_, State<K>> {
        // Every method leaves the sets consistent before it could panic, so a poisoned lock
        // (a panic elsewhere while holding it) still guards valid data.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::timeout;

    use super::*;

    fn queue() -> WorkQueue<&'static str> {
        WorkQueue::new("test")
    }

    /// True if `get` returns nothing within a (simulated) second.
    async fn get_blocks(q: &WorkQueue<&'static str>) -> bool {
        timeout(Duration::from_secs(1), q.get()).await.is_err()
    }

    #[tokio::test(start_paused = true)]
    async fn adding_a_key_three_times_yields_one_get() {
        let q = queue();
        q.add("default/web");
        q.add("default/web");
        q.add("default/web");
        assert_eq!(q.len(), 1);
        assert_eq!(q.get().await, Some("default/web"));
        assert!(
            get_blocks(&q).await,
            "the key must not come out a second time"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn keys_come_out_in_the_order_they_were_first_added() {
        let q = queue();
        for key in ["a", "b", "a", "c", "b"] {
            q.add(key);
        }
        assert_eq!(q.get().await, Some("a"));
        assert_eq!(q.get().await, Some("b"));
        assert_eq!(q.get().await, Some("c"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_being_processed_is_never_handed_to_a_second_worker() {
        let q = queue();
        q.add("k");
        assert_eq!(q.get().await, Some("k"));

        q.add("k");
        assert_eq!(
            q.len(),
            0,
            "a processing key is only marked dirty, not queued"
        );
        let second_worker = tokio::spawn({
            let q = q.clone();
            async move { q.get().await }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!second_worker.is_finished(), "k is still being processed");

        q.done(&"k");
        assert_eq!(second_worker.await.unwrap(), Some("k"));
        assert!(get_blocks(&q).await, "k is handed out again exactly once");
    }

    #[tokio::test(start_paused = true)]
    async fn done_without_a_re_add_does_not_requeue() {
        let q = queue();
        q.add("k");
        let key = q.get().await.unwrap();
        q.done(&key);
        assert_eq!(q.len(), 0);
        assert!(get_blocks(&q).await);
    }

    #[tokio::test(start_paused = true)]
    async fn done_for_a_key_never_taken_is_ignored() {
        let q = queue();
        q.add("k");
        q.done(&"k");
        assert_eq!(q.len(), 1, "the queued key is not duplicated");
        assert_eq!(q.get().await, Some("k"));
        assert!(get_blocks(&q).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_get_wakes_up_when_a_key_is_added() {
        let q = queue();
        let worker = tokio::spawn({
            let q = q.clone();
            async move { q.get().await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        q.add("late");
        assert_eq!(worker.await.unwrap(), Some("late"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_get_does_not_strand_a_key() {
        let q = queue();
        let doomed = tokio::spawn({
            let q = q.clone();
            async move { q.get().await }
        });
        let survivor = tokio::spawn({
            let q = q.clone();
            async move { q.get().await }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        // Wake one waiter, then cancel the first before it can run. Whichever was woken, the
        // key must reach the survivor.
        q.add("k");
        doomed.abort();
        assert_eq!(survivor.await.unwrap(), Some("k"));
    }

    #[tokio::test(start_paused = true)]
    async fn after_shut_down_get_returns_the_remaining_keys_then_none() {
        let q = queue();
        q.add("a");
        q.add("b");
        q.shut_down();
        assert!(q.is_shutting_down());
        q.add("c");
        assert_eq!(q.len(), 2, "adds after shutdown are ignored");
        assert_eq!(q.get().await, Some("a"));
        assert_eq!(q.get().await, Some("b"));
        assert_eq!(q.get().await, None);
        assert_eq!(q.get().await, None, "and it stays shut");
    }

    #[tokio::test(start_paused = true)]
    async fn shut_down_wakes_every_waiting_worker() {
        let q = queue();
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let q = q.clone();
                tokio::spawn(async move { q.get().await })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(1)).await;
        q.shut_down();
        for worker in workers {
            assert_eq!(worker.await.unwrap(), None);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn shut_down_with_drain_waits_for_in_flight_keys_to_be_done() {
        let q = queue();
        q.add("a");
        let key = q.get().await.unwrap();

        let drain = tokio::spawn({
            let q = q.clone();
            async move { q.shut_down_with_drain().await }
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(!drain.is_finished(), "`a` is still being processed");
        assert!(q.is_shutting_down());
        assert_eq!(q.get().await, None, "workers are told to stop meanwhile");

        q.done(&key);
        timeout(Duration::from_secs(1), drain)
            .await
            .expect("drain finishes once the last key is done")
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn shut_down_with_drain_returns_at_once_when_nothing_is_in_flight() {
        let q = queue();
        timeout(Duration::from_secs(1), q.shut_down_with_drain())
            .await
            .expect("nothing to drain");
    }

    #[tokio::test(start_paused = true)]
    async fn shut_down_cuts_a_drain_short() {
        let q = queue();
        q.add("stuck");
        let _never_done = q.get().await.unwrap();
        let drain = tokio::spawn({
            let q = q.clone();
            async move { q.shut_down_with_drain().await }
        });
        tokio::time::sleep(Duration::from_secs(10)).await;
        q.shut_down();
        timeout(Duration::from_secs(1), drain)
            .await
            .expect("shut_down releases the drain")
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_key_re_added_during_processing_is_requeued_by_done_even_after_shutdown() {
        // Upstream behaviour: the re-add happened before shutdown, so the change is not lost.
        let q = queue();
        q.add("k");
        let key = q.get().await.unwrap();
        q.add("k");
        q.shut_down();
        q.done(&key);
        assert_eq!(q.get().await, Some("k"));
        q.done(&"k");
        assert_eq!(q.get().await, None);
    }
}
