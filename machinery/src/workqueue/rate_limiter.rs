//! Rate limiters: how long a failed key waits before it is retried.
//!
//! Mirrors `k8s.io/client-go/util/workqueue/default_rate_limiters.go`. A [`RateLimiter`]
//! answers one question, "this key failed again: how long should it wait?", and keeps
//! whatever memory it needs to answer it (per-key failure counts, a token bucket).
//! [`WorkQueue::add_rate_limited`](super::WorkQueue::add_rate_limited) asks it and hands the
//! answer to `add_after`.
//!
//! Two limiters work together in every controller ([`default_controller_rate_limiter`]):
//!
//! ```text
//!   per key:  ItemExponentialFailureRateLimiter   5ms, 10ms, 20ms, 40ms ... 1000s
//!             one broken object backs off on its own; the others are not slowed down
//!   overall:  BucketRateLimiter (10 qps, burst 100)
//!             when *many* keys fail at once (the apiserver is down), retries are spread
//!             out to 10 per second instead of hammering it
//!   MaxOfRateLimiter: a key waits for whichever of the two says "longer"
//! ```

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::flowcontrol::TokenBucket;

/// Decides how long a key waits before being retried. Mirrors upstream's `RateLimiter`.
///
/// Implementations are shared by every worker of a queue, hence `Send + Sync` and `&self`
/// methods (use a `Mutex` inside for memory).
pub trait RateLimiter<K>: Send + Sync {
    /// The key failed (again): how long should it wait? Each call counts as one more failure.
    fn when(&self, key: &K) -> Duration;
    /// Stop tracking the key, whether it finally succeeded or was given up on.
    fn forget(&self, key: &K);
    /// How many times the key has failed since it was last forgotten.
    fn num_requeues(&self, key: &K) -> u32;
}

/// Per-key exponential backoff: the n-th failure (counting from 0) waits `base * 2^n`,
/// never more than `max`. Mirrors `ItemExponentialFailureRateLimiter`.
///
/// Failures are counted per key until [`forget`](RateLimiter::forget) is called, which a
/// controller does after a successful reconcile.
#[derive(Debug)]
pub struct ItemExponentialFailureRateLimiter<K> {
    base: Duration,
    max: Duration,
    failures: Mutex<HashMap<K, u32>>,
}

impl<K> ItemExponentialFailureRateLimiter<K> {
    /// Backoff starting at `base` and doubling up to `max`. Controllers use 5ms and 1000s.
    pub fn new(base: Duration, max: Duration) -> Self {
        ItemExponentialFailureRateLimiter {
            base,
            max,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn failures(&self) -> MutexGuard<'_, HashMap<K, u32>> {
        // A map of counters is never left half-changed, so a poisoned lock is still usable.
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<K: Eq + Hash + Clone + Send + Sync> RateLimiter<K> for ItemExponentialFailureRateLimiter<K> {
    fn when(&self, key: &K) -> Duration {
        let exponent = {
            let mut failures = self.failures();
            let count = failures.entry(key.clone()).or_insert(0);
            let exponent = *count;
            *count = count.saturating_add(1);
            exponent
        };
        // base * 2^exponent, where any overflow (2^40 does not fit a u32, 5ms * 2^31 is fine
        // but 5ms * 2^63 is not) simply means "more than max". Upstream does the same with
        // floats and a check against MaxInt64.
        2u32.checked_pow(exponent)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.max, |delay| delay.min(self.max))
    }

    fn forget(&self, key: &K) {
        self.failures().remove(key);
    }

    fn num_requeues(&self, key: &K) -> u32 {
        self.failures().get(key).copied().unwrap_or(0)
    }
}

/// One token bucket shared by all keys: an overall cap on retries. Mirrors
/// `BucketRateLimiter`, whose `When` is `Reserve().Delay()`: every call takes a token now and
/// reports how long the bucket is in debt. It counts nothing per key, so `forget` does
/// nothing and `num_requeues` is always 0.
#[derive(Debug)]
pub struct BucketRateLimiter {
    bucket: TokenBucket,
}

impl BucketRateLimiter {
    /// The overall retry rate of the default controller limiter.
    pub const DEFAULT_QPS: f64 = 10.0;
    /// The overall retry burst of the default controller limiter.
    pub const DEFAULT_BURST: u32 = 100;

    /// A limiter allowing `burst` retries at once, then `qps` per second.
    pub fn new(qps: f64, burst: u32) -> Self {
        BucketRateLimiter {
            bucket: TokenBucket::new(qps, burst),
        }
    }
}

impl Default for BucketRateLimiter {
    /// 10 qps with a burst of 100, as in client-go's `DefaultControllerRateLimiter`.
    fn default() -> Self {
        BucketRateLimiter::new(Self::DEFAULT_QPS, Self::DEFAULT_BURST)
    }
}

impl<K> RateLimiter<K> for BucketRateLimiter {
    fn when(&self, _key: &K) -> Duration {
        self.bucket.reserve()
    }

    fn forget(&self, _key: &K) {}

    fn num_requeues(&self, _key: &K) -> u32 {
        0
    }
}

/// Asks every limiter and answers with the longest wait. Mirrors `MaxOfRateLimiter`.
///
/// Every limiter is asked on every call (not just until one says "long"), because asking is
/// what counts a failure or takes a token. As upstream notes, this means a bucket's token
/// can be spent on a key that then waits longer for its own backoff anyway.
pub struct MaxOfRateLimiter<K> {
    limiters: Vec<Box<dyn RateLimiter<K>>>,
}

impl<K> MaxOfRateLimiter<K> {
    /// Combine `limiters`; an empty list never delays.
    pub fn new(limiters: Vec<Box<dyn RateLimiter<K>>>) -> Self {
        MaxOfRateLimiter { limiters }
    }
}

impl<K> std::fmt::Debug for MaxOfRateLimiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaxOfRateLimiter")
            .field("limiters", &self.limiters.len())
            .finish()
    }
}

impl<K> RateLimiter<K> for MaxOfRateLimiter<K> {
    fn when(&self, key: &K) -> Duration {
        self.limiters
            .iter()
            .map(|limiter| limiter.when(key))
            .max()
            .unwrap_or(Duration::ZERO)
    }

    fn forget(&self, key: &K) {
        for limiter in &self.limiters {
            limiter.forget(key);
        }
    }

    fn num_requeues(&self, key: &K) -> u32 {
        self.limiters
            .iter()
            .map(|limiter| limiter.num_requeues(key))
            .max()
            .unwrap_or(0)
    }
}

/// The limiter every controller uses unless it has a reason not to, exactly as client-go's
/// `DefaultControllerRateLimiter`: the longer of per-key exponential backoff (5ms doubling
/// up to 1000s) and an overall token bucket (10 qps, burst 100).
pub fn default_controller_rate_limiter<K>() -> MaxOfRateLimiter<K>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
{
    MaxOfRateLimiter::new(vec![
        Box::new(ItemExponentialFailureRateLimiter::new(
            Duration::from_millis(5),
            Duration::from_secs(1000),
        )),
        Box::new(BucketRateLimiter::default()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn exponential_backoff_doubles_from_the_base_for_each_failure() {
        let limiter = ItemExponentialFailureRateLimiter::new(5 * MS, Duration::from_secs(1000));
        let delays: Vec<_> = (0..5).map(|_| limiter.when(&"k")).collect();
        assert_eq!(delays, vec![5 * MS, 10 * MS, 20 * MS, 40 * MS, 80 * MS]);
        assert_eq!(limiter.num_requeues(&"k"), 5);
    }

    #[test]
    fn exponential_backoff_is_capped_at_the_maximum_even_after_very_many_failures() {
        let limiter = ItemExponentialFailureRateLimiter::new(5 * MS, Duration::from_secs(1000));
        // 5ms * 2^17 = 655s is the last step below the cap; 2^18 would be 1310s.
        for _ in 0..17 {
            limiter.when(&"k");
        }
        assert_eq!(limiter.when(&"k"), Duration::from_millis(5 << 17));
        assert_eq!(limiter.when(&"k"), Duration::from_secs(1000));
        for _ in 0..100 {
            assert_eq!(limiter.when(&"k"), Duration::from_secs(1000), "no overflow");
        }
    }

    #[test]
    fn exponential_backoff_counts_each_key_separately() {
        let limiter = ItemExponentialFailureRateLimiter::new(MS, Duration::from_secs(1));
        limiter.when(&"a");
        limiter.when(&"a");
        assert_eq!(
            limiter.when(&"b"),
            MS,
            "b's first failure is not slowed by a's"
        );
        assert_eq!(limiter.num_requeues(&"a"), 2);
        assert_eq!(limiter.num_requeues(&"b"), 1);
        assert_eq!(limiter.num_requeues(&"never-failed"), 0);
    }

    #[test]
    fn forget_resets_the_backoff() {
        let limiter = ItemExponentialFailureRateLimiter::new(5 * MS, Duration::from_secs(1000));
        limiter.when(&"k");
        limiter.when(&"k");
        limiter.forget(&"k");
        assert_eq!(limiter.num_requeues(&"k"), 0);
        assert_eq!(limiter.when(&"k"), 5 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_lets_100_through_then_spaces_them_100ms_apart() {
        let limiter = BucketRateLimiter::default();
        for i in 0..100 {
            assert_eq!(
                RateLimiter::<u32>::when(&limiter, &i),
                Duration::ZERO,
                "#{i}"
            );
        }
        for n in 1..=5u32 {
            assert_eq!(RateLimiter::<u32>::when(&limiter, &0), n * 100 * MS);
        }
        assert_eq!(RateLimiter::<u32>::num_requeues(&limiter, &0), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_refills_with_time() {
        let limiter = BucketRateLimiter::new(10.0, 1);
        assert_eq!(RateLimiter::<()>::when(&limiter, &()), Duration::ZERO);
        tokio::time::advance(100 * MS).await;
        assert_eq!(RateLimiter::<()>::when(&limiter, &()), Duration::ZERO);
        assert_eq!(RateLimiter::<()>::when(&limiter, &()), 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn max_of_takes_the_longest_wait_and_forgets_everywhere() {
        let limiter = MaxOfRateLimiter::new(vec![
            Box::new(ItemExponentialFailureRateLimiter::new(
                MS,
                Duration::from_secs(1),
            )),
            Box::new(ItemExponentialFailureRateLimiter::new(
                10 * MS,
                Duration::from_secs(1),
            )),
        ]);
        assert_eq!(limiter.when(&"k"), 10 * MS);
        assert_eq!(limiter.when(&"k"), 20 * MS);
        assert_eq!(limiter.num_requeues(&"k"), 2);
        limiter.forget(&"k");
        assert_eq!(limiter.num_requeues(&"k"), 0);
        assert_eq!(limiter.when(&"k"), 10 * MS);
    }

    #[test]
    fn max_of_nothing_never_delays() {
        let limiter: MaxOfRateLimiter<&str> = MaxOfRateLimiter::new(Vec::new());
        assert_eq!(limiter.when(&"k"), Duration::ZERO);
        assert_eq!(limiter.num_requeues(&"k"), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_limiter_is_the_max_of_backoff_and_bucket() {
        let limiter = default_controller_rate_limiter::<String>();
        let key = "default/web".to_string();

        // While the bucket has tokens, the per-key backoff decides.
        assert_eq!(limiter.when(&key), 5 * MS);
        assert_eq!(limiter.when(&key), 10 * MS);
        assert_eq!(limiter.num_requeues(&key), 2);

        // Spend the rest of the 100-token burst on other keys (each a first failure: 5ms).
        for i in 0..98 {
            assert_eq!(limiter.when(&format!("other-{i}")), 5 * MS);
        }
        // Now the bucket is empty and says 100ms, longer than a fresh key's 5ms backoff.
        assert_eq!(limiter.when(&"fresh".to_string()), 100 * MS);
        // From here each call deepens the bucket's debt by 100ms, while `key`'s own backoff
        // doubles (20ms, 40ms, ... 1280ms); the wait is whichever is longer, so the backoff
        // takes over again at its 9th failure.
        let waits: Vec<_> = (0..7).map(|_| limiter.when(&key).as_millis()).collect();
        assert_eq!(waits, vec![200, 300, 400, 500, 600, 700, 1280]);

        limiter.forget(&key);
        assert_eq!(limiter.num_requeues(&key), 0);
    }
}
