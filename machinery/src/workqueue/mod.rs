//! The work queue: how a controller turns a stream of events into calls to `reconcile`.
//!
//! Mirrors `k8s.io/client-go/util/workqueue/`: `queue.go` (the de-duplicating FIFO, in
//! `queue`), `delaying_queue.go` (`add_after`, in `delaying`), `rate_limiting_queue.go`
//! (`add_rate_limited`, `forget`, `num_requeues`, at the end of this file) and
//! `default_rate_limiters.go` (in [`rate_limiter`]). Upstream stacks these as three wrapper
//! types, each adding methods to the one inside; we fold them into one [`WorkQueue`] because
//! every kubeling controller wants all three.
//!
//! # Why a work queue, and not a channel of events
//! An informer tells a controller "this object changed", often many times a second. Feeding
//! those events straight into `reconcile` goes wrong in three ways, and the queue fixes each:
//!
//! 1. **Bursts.** A Deployment rollout changes one ReplicaSet a dozen times in a second. The
//!    queue holds *keys* (`namespace/name`), not events, and a key that is already waiting is
//!    not added twice, so the burst collapses into one reconcile. Nothing is lost: reconcile
//!    reads the latest state from the cache, not from the event ("level-triggered").
//! 2. **Concurrency.** With several workers, two must never reconcile the same object at once
//!    (they would race each other's writes). A key being processed is not handed out again;
//!    if it changes meanwhile it is marked dirty and queued once more when the first worker
//!    calls `done`.
//! 3. **Failure.** A failed reconcile must be retried, but not in a hot loop against a broken
//!    API server. `add_rate_limited` requeues the key after a per-key exponential backoff
//!    (5ms, 10ms, 20ms ... 1000s) and an overall token bucket (10/s, burst 100); `forget`
//!    resets the backoff once the key succeeds.
//!
//! # The three sets
//! ```text
//!                     add(k)
//!                       |
//!        k already dirty? --yes--> nothing to do (de-duplication)
//!                       | no
//!                  mark k dirty
//!                       |
//!        k processing? --yes--> leave it dirty; done(k) will queue it
//!                       | no
//!                       v
//!     queue:      [ a  b  k ]    FIFO; every key here is dirty and not processing
//!                       | get(): pop the front, clear its dirty mark
//!                       v
//!     processing: { a }          at most one worker per key
//!                       | done(a): dirty again meanwhile? -> back onto the queue
//! ```
//!
//! # A worker
//! Every kubeling controller runs a few of these loops over one shared queue:
//! ```
//! use machinery::workqueue::WorkQueue;
//!
//! async fn reconcile(_key: &str) -> Result<(), String> {
//!     Ok(())
//! }
//!
//! async fn worker(queue: WorkQueue<String>) {
//!     while let Some(key) = queue.get().await {
//!         match reconcile(&key).await {
//!             Ok(()) => queue.forget(&key),                   // success: reset its backoff
//!             Err(_) => queue.add_rate_limited(key.clone()), // failure: retry later
//!         }
//!         queue.done(&key); // always, or the key is never handed out again
//!     }
//! }
//! ```
//!
//! # Layout
//! - this file: the [`WorkQueue`] handle, its constructors, and the rate-limited requeue.
//! - `queue`: `add`, `get`, `done`, `len`, shutdown.
//! - `delaying`: `add_after` and the timer task behind it.
//! - [`rate_limiter`]: the [`RateLimiter`] trait, exponential backoff, the token-bucket
//!   limiter, their max, and [`default_controller_rate_limiter`].

mod delaying;
mod queue;
pub mod rate_limiter;
#[cfg(test)]
mod tests;

use std::fmt::{self, Debug};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

pub use rate_limiter::{
    default_controller_rate_limiter, BucketRateLimiter, ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter, RateLimiter,
};

/// A rate-limited, delaying, de-duplicating work queue of keys (client-go's
/// `RateLimitingInterface`). See the [module documentation](self) for why it exists.
///
/// `K` is the key type, usually a `String` such as `"namespace/name"`, or a small struct.
/// Cloning a `WorkQueue` gives another handle to the *same* queue, so the informer's event
/// handlers and every worker can each hold one.
#[doc(alias = "workqueue")]
#[doc(alias = "RateLimitingQueue")]
#[doc(alias = "RateLimitingInterface")]
pub struct WorkQueue<K> {
    inner: Arc<Inner<K>>,
}

/// What every handle shares.
struct Inner<K> {
    /// For log lines (upstream also uses it to name the queue's metrics).
    name: String,
    /// The queue, dirty and processing sets (see `queue`).
    state: Mutex<queue::State<K>>,
    /// Wakes a `get` waiting for a key (or, at shutdown, all of them).
    item_ready: Notify,
    /// Wakes `shut_down_with_drain` when the last processing key is done.
    drained: Notify,
    /// Keys waiting for `add_after`'s delay (see `delaying`).
    waiting: Mutex<delaying::Waiting<K>>,
    /// The doorbell of `add_after`'s timer task.
    delay_wakeup: delaying::DelayWakeup,
    /// Decides the delay of `add_rate_limited`.
    rate_limiter: Box<dyn RateLimiter<K>>,
}

impl<K> Clone for WorkQueue<K> {
    fn clone(&self) -> Self {
        WorkQueue {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K> WorkQueue<K>
where
    K: Clone + Eq + Hash + Send + Sync + Debug + 'static,
{
    /// A queue with [`default_controller_rate_limiter`]. `name` appears in log lines.
    pub fn new(name: impl Into<String>) -> Self {
        Self::with_rate_limiter(name, default_controller_rate_limiter())
    }

    /// A queue whose `add_rate_limited` asks `rate_limiter` for the delay.
    pub fn with_rate_limiter(
        name: impl Into<String>,
        rate_limiter: impl RateLimiter<K> + 'static,
    ) -> Self {
        WorkQueue {
            inner: Arc::new(Inner {
                name: name.into(),
                state: Mutex::new(queue::State::default()),
                item_ready: Notify::new(),
                drained: Notify::new(),
                waiting: Mutex::new(delaying::Waiting::default()),
                delay_wakeup: delaying::DelayWakeup::default(),
                rate_limiter: Box::new(rate_limiter),
            }),
        }
    }

    /// The name given at construction.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    // The three methods below are upstream's rate_limiting_queue.go, in full.

    /// Requeue `key` after the delay the rate limiter decides, counting one more failure.
    /// Call it when reconciling the key failed.
    pub fn add_rate_limited(&self, key: K) {
        let delay = self.inner.rate_limiter.when(&key);
        self.add_after(key, delay);
    }

    /// Stop tracking `key`'s failures, so its next failure starts the backoff from the
    /// beginning. Call it when reconciling the key succeeded (or you gave up on it). It does
    /// not remove the key from the queue.
    pub fn forget(&self, key: &K) {
        self.inner.rate_limiter.forget(key);
    }

    /// How many times `key` has been requeued with `add_rate_limited` since it was last
    /// forgotten. Controllers use it to give up after a number of retries.
    pub fn num_requeues(&self, key: &K) -> u32 {
        self.inner.rate_limiter.num_requeues(key)
    }
}

impl<K> Debug for WorkQueue<K>
where
    K: Clone + Eq + Hash + Send + Sync + Debug + 'static,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (queued, processing) = self.counts();
        f.debug_struct("WorkQueue")
            .field("name", &self.inner.name)
            .field("queued", &queued)
            .field("processing", &processing)
            .field("waiting", &self.lock_waiting().len())
            .field("shutting_down", &self.is_shutting_down())
            .finish()
    }
}
