//! A token bucket: the rate limiter behind client QPS/burst and the work queue's overall limit.
//!
//! Mirrors `k8s.io/client-go/util/flowcontrol/throttle.go` (`NewTokenBucketRateLimiter`,
//! `Accept`, `TryAccept`), which is a thin wrapper around `golang.org/x/time/rate`'s
//! `Limiter`. We write the bucket ourselves instead of wrapping a crate, so the whole idea
//! fits on one screen.
//!
//! # The idea
//! Picture a bucket that holds at most `burst` tokens and is refilled at `qps` tokens per
//! second. Every request takes one token. While the bucket has tokens, requests go through at
//! once (that is the *burst*); once it is empty, they are spaced `1/qps` seconds apart (that
//! is the *rate*). A client that was quiet for a while has a full bucket again.
//!
//! ```text
//!   refill: qps tokens/second          burst = 3, qps = 10
//!          |                           t=0ms   take take take    -> all immediate
//!          v                           t=0ms   take              -> wait 100ms
//!     | o o o |  <- at most `burst`    t=0ms   take              -> wait 200ms
//!     +-------+                        (the bucket is now 2 tokens "in debt")
//!          |
//!          v  one token per request
//! ```
//!
//! # Reservations, not polling
//! Nobody polls the bucket in a loop. Like x/time/rate's `Reserve`, taking a token always
//! succeeds *now*: the count may go below zero, and the caller is told how long to wait before
//! using its token (the debt divided by the rate). Waiters are therefore served in the order
//! they asked, with no thundering herd and no polling. [`TokenBucket::acquire`] is just
//! "reserve, then sleep the delay"; the work queue's `BucketRateLimiter` uses
//! [`TokenBucket::reserve`] directly and hands the delay to `add_after`.
//!
//! Time comes from `tokio::time::Instant` and waiting from `tokio::time::sleep`, so tests can
//! freeze and advance the clock with `tokio::time::pause()`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Requests per second a kubeling REST client may send by default.
///
/// Upstream's `rest.Config` defaults are lower (`DefaultQPS = 5`, `DefaultBurst = 10` in
/// `client-go/rest/config.go`). kubeling's components share one machine with their API
/// server, and a controller-manager running a dozen controllers would crawl at 5 qps.
pub const DEFAULT_QPS: f64 = 50.0;

/// Requests a kubeling REST client may send at once after being idle (see [`DEFAULT_QPS`]).
pub const DEFAULT_BURST: u32 = 100;

/// A token-bucket rate limiter: `qps` tokens per second, at most `burst` stored, starts full.
///
/// Safe to share between tasks (`Send + Sync`): the bucket's state sits behind a mutex that
/// is held only for a few arithmetic operations, never across an `.await`.
#[doc(alias = "RateLimiter")]
#[doc(alias = "throttle")]
#[derive(Debug)]
pub struct TokenBucket {
    /// Refill rate in tokens per second. `None` means "no limit" (x/time/rate's `rate.Inf`).
    qps: Option<f64>,
    /// Largest number of tokens the bucket holds.
    burst: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    /// Tokens available now. Negative means callers have reserved tokens that do not exist
    /// yet; they are sleeping until the refill pays the debt back.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    last: Instant,
}

impl TokenBucket {
    /// A bucket refilled at `qps` tokens per second, holding at most `burst`, starting full.
    ///
    /// Two edge cases are decided here rather than left to surprise the caller:
    /// - `qps` that is not a positive number (zero, negative, NaN) or is infinite means *no
    ///   limit*. That matches how client-go treats a non-positive QPS once defaults are applied
    ///   (`rest.NewRESTClient` only installs a limiter when `qps > 0`).
    /// - `burst` 0 is treated as 1: a bucket that cannot hold one token would never let
    ///   anything through.
    pub fn new(qps: f64, burst: u32) -> Self {
        let qps = (qps.is_finite() && qps > 0.0).then_some(qps);
        let burst = f64::from(burst.max(1));
        TokenBucket {
            qps,
            burst,
            state: Mutex::new(BucketState {
                tokens: burst,
                last: Instant::now(),
            }),
        }
    }

    /// Take one token, waiting until it is available. Mirrors `Accept` in throttle.go.
    ///
    /// The token is reserved before we sleep, so callers are served first come, first served.
    /// A real x/time/rate `Wait` gives the token back if its context is cancelled; we keep
    /// things simple and do not, so a dropped `acquire` future just wastes one token.
    pub async fn acquire(&self) {
        let delay = self.reserve();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }

    /// Take one token if one is available right now; never waits and never goes into debt.
    /// Mirrors `TryAccept` in throttle.go.
    pub fn try_acquire(&self) -> bool {
        let Some(qps) = self.qps else { return true };
        let mut state = self.lock();
        self.refill(&mut state, qps, Instant::now());
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Take one token now, possibly going into debt, and return how long the caller must wait
    /// before using it. `Duration::ZERO` means "go ahead".
    ///
    /// This is x/time/rate's `Reserve().Delay()`, exactly what client-go's
    /// `BucketRateLimiter.When` returns to the work queue.
    pub fn reserve(&self) -> Duration {
        let Some(qps) = self.qps else {
            return Duration::ZERO;
        };
        let mut state = self.lock();
        self.refill(&mut state, qps, Instant::now());
        state.tokens -= 1.0;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            duration_from_tokens(-state.tokens, qps)
        }
    }

    /// The refill rate, or `None` when the bucket does not limit at all.
    pub fn qps(&self) -> Option<f64> {
        self.qps
    }

    /// The most tokens the bucket can hold.
    pub fn burst(&self) -> u32 {
        // `burst` was built from a u32, so the conversion back is exact.
        self.burst as u32
    }

    /// Add the tokens earned since `state.last`, up to `burst` (x/time/rate's `advance`).
    /// Rather than a background task dripping tokens in, we compute the refill lazily
    /// whenever someone looks at the bucket.
    fn refill(&self, state: &mut BucketState, qps: f64, now: Instant) {
        // `saturating_duration_since` is zero if `now` is somehow before `last`.
        let elapsed = now.saturating_duration_since(state.last);
        let earned = elapsed.as_nanos() as f64 * qps / 1e9;
        state.tokens = (state.tokens + earned).min(self.burst);
        state.last = state.last.max(now);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BucketState> {
        // The state is a pair of numbers that is always consistent between statements, so a
        // panic in another thread while holding the lock cannot leave it half-updated.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How long it takes to earn `tokens` tokens at `qps` per second. We compute in whole
/// nanoseconds and round, so that 3 tokens at 10 qps is exactly 300ms rather than
/// 300.000000000000004ms (x/time/rate truncates; the difference is below a nanosecond).
fn duration_from_tokens(tokens: f64, qps: f64) -> Duration {
    let nanos = (tokens * 1e9 / qps).round();
    // A gigantic debt (qps close to zero) would overflow u64 nanoseconds; cap it at ~584 years.
    if nanos >= u64::MAX as f64 {
        Duration::from_nanos(u64::MAX)
    } else {
        Duration::from_nanos(nanos as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn a_full_bucket_lets_the_burst_through_at_once() {
        let bucket = TokenBucket::new(10.0, 3);
        for _ in 0..3 {
            assert_eq!(bucket.reserve(), Duration::ZERO);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn reservations_beyond_the_burst_queue_up_one_interval_apart() {
        let bucket = TokenBucket::new(10.0, 1);
        assert_eq!(bucket.reserve(), Duration::ZERO);
        assert_eq!(bucket.reserve(), 100 * MS);
        assert_eq!(bucket.reserve(), 200 * MS);
        assert_eq!(bucket.reserve(), 300 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bucket_refills_over_time_but_never_beyond_the_burst() {
        let bucket = TokenBucket::new(10.0, 2);
        assert!(bucket.try_acquire());
        assert!(bucket.try_acquire());
        assert!(!bucket.try_acquire(), "empty bucket");

        tokio::time::advance(100 * MS).await;
        assert!(bucket.try_acquire(), "one token earned in 100ms at 10 qps");
        assert!(!bucket.try_acquire());

        tokio::time::advance(Duration::from_secs(60)).await;
        assert!(bucket.try_acquire());
        assert!(bucket.try_acquire());
        assert!(
            !bucket.try_acquire(),
            "a long idle period still only stores `burst` tokens"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn try_acquire_never_goes_into_debt() {
        let bucket = TokenBucket::new(10.0, 1);
        assert!(bucket.try_acquire());
        for _ in 0..5 {
            assert!(!bucket.try_acquire());
        }
        // Had the failed attempts borrowed tokens, the next reservation would wait longer.
        assert_eq!(bucket.reserve(), 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_the_right_simulated_time() {
        let bucket = TokenBucket::new(20.0, 2);
        let start = Instant::now();
        bucket.acquire().await;
        bucket.acquire().await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the burst needs no waiting"
        );

        bucket.acquire().await;
        assert_eq!(start.elapsed(), 50 * MS, "one token every 50ms at 20 qps");
        bucket.acquire().await;
        assert_eq!(start.elapsed(), 100 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_acquirers_are_spaced_by_the_rate() {
        let bucket = std::sync::Arc::new(TokenBucket::new(10.0, 1));
        let start = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let bucket = bucket.clone();
                tokio::spawn(async move {
                    bucket.acquire().await;
                    start.elapsed()
                })
            })
            .collect();
        let mut finished = Vec::new();
        for task in tasks {
            finished.push(task.await.expect("task panicked"));
        }
        finished.sort();
        assert_eq!(finished, vec![Duration::ZERO, 100 * MS, 200 * MS, 300 * MS]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_non_positive_or_infinite_qps_means_no_limit() {
        for qps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let bucket = TokenBucket::new(qps, 1);
            assert_eq!(bucket.qps(), None, "qps {qps}");
            for _ in 0..1000 {
                assert_eq!(bucket.reserve(), Duration::ZERO);
                assert!(bucket.try_acquire());
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_burst_still_lets_one_request_through() {
        let bucket = TokenBucket::new(1.0, 0);
        assert_eq!(bucket.burst(), 1);
        assert!(bucket.try_acquire());
        assert!(!bucket.try_acquire());
    }
}
