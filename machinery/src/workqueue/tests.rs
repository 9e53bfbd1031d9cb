//! Tests of the queue as a whole: workers racing over it, and the rate-limited requeue.
//! (Each part's own tests live next to it, in `queue`, `delaying` and `rate_limiter`.)

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

use super::*;

const MS: Duration = Duration::from_millis(1);

/// What the workers and the producer saw, in one global order (`seq`).
#[derive(Default)]
struct Log {
    seq: u64,
    /// For each key, the `seq` of its last `add`.
    last_add: HashMap<u32, u64>,
    /// For each key, the `seq` at which a worker last started processing it.
    last_start: HashMap<u32, u64>,
    /// Keys a worker is processing right now.
    in_flight: HashSet<u32>,
    adds: usize,
    processings: usize,
}

impl Log {
    fn tick(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// How a worker spends its time "processing" a key, and the producer between two adds.
#[derive(Clone, Copy)]
enum Pace {
    /// Random sleeps on the (paused) tokio clock.
    Sleep,
    /// A few `yield_now`s, for a multi-threaded runtime where real threads race.
    Yield,
}

async fn pause(rng: &mut StdRng, pace: Pace, max_ms: u64) {
    let amount = rng.gen_range(0..max_ms);
    match pace {
        Pace::Sleep => tokio::time::sleep(Duration::from_millis(amount)).await,
        Pace::Yield => {
            for _ in 0..amount {
                tokio::task::yield_now().await;
            }
        }
    }
}

/// 4 workers, one producer adding 200 random keys out of 10, then shutdown. Checks the two
/// promises a controller relies on:
/// - no key is ever processed by two workers at once;
/// - no lost updates: every key's last processing started after its last `add`, so the
///   final state of every object was seen by some reconcile.
async fn workers_race_over_random_adds(seed: u64, pace: Pace) {
    let queue: WorkQueue<u32> = WorkQueue::new("property");
    let log = Arc::new(Mutex::new(Log::default()));

    let workers: Vec<_> = (0..4u64)
        .map(|worker| {
            let queue = queue.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed * 1000 + worker);
                while let Some(key) = queue.get().await {
                    {
                        let mut log = log.lock().unwrap();
                        assert!(
                            log.in_flight.insert(key),
                            "seed {seed}: key {key} handed to two workers at once"
                        );
                        let now = log.tick();
                        log.last_start.insert(key, now);
                        log.processings += 1;
                    }
                    pause(&mut rng, pace, 30).await;
                    log.lock().unwrap().in_flight.remove(&key);
                    queue.done(&key);
                }
            })
        })
        .collect();

    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..200 {
        let key = rng.gen_range(0..10);
        {
            // Record and add under the log's lock, so the log's order is the queue's order.
            let mut log = log.lock().unwrap();
            let now = log.tick();
            log.last_add.insert(key, now);
            log.adds += 1;
            queue.add(key);
        }
        pause(&mut rng, pace, 10).await;
    }

    // Shutting down still hands out everything queued (and everything re-added during
    // processing), so once every worker has exited, all the work is done.
    queue.shut_down();
    for worker in workers {
        worker.await.expect("a worker's assertion failed");
    }

    let log = log.lock().unwrap();
    assert!(log.in_flight.is_empty());
    assert!(
        log.processings <= log.adds,
        "seed {seed}: de-duplication never adds work"
    );
    for (key, added) in &log.last_add {
        let started = log.last_start.get(key).copied().unwrap_or(0);
        assert!(
            started > *added,
            "seed {seed}: key {key} was added at {added} but last processed at {started}: lost update"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn concurrent_workers_never_share_a_key_and_never_lose_an_update() {
    for seed in 0..20 {
        workers_race_over_random_adds(seed, Pace::Sleep).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_workers_on_real_threads_never_share_a_key_and_never_lose_an_update() {
    for seed in 0..20 {
        workers_race_over_random_adds(seed, Pace::Yield).await;
    }
}

#[tokio::test(start_paused = true)]
async fn add_rate_limited_backs_off_exponentially_and_forget_resets_it() {
    let queue: WorkQueue<&str> = WorkQueue::new("rate-limited");
    for expected in [5 * MS, 10 * MS, 20 * MS] {
        let start = Instant::now();
        queue.add_rate_limited("k");
        assert_eq!(queue.get().await, Some("k"));
        assert_eq!(start.elapsed(), expected);
        queue.done(&"k");
    }
    assert_eq!(queue.num_requeues(&"k"), 3);

    queue.forget(&"k");
    assert_eq!(queue.num_requeues(&"k"), 0);
    let start = Instant::now();
    queue.add_rate_limited("k");
    assert_eq!(queue.get().await, Some("k"));
    assert_eq!(start.elapsed(), 5 * MS, "the backoff starts over");
}

#[tokio::test(start_paused = true)]
async fn a_key_failing_while_processing_comes_back_after_done_and_its_backoff() {
    // The usual worker order: add_rate_limited, then done. If the backoff ends while the key
    // is still processing, it is only marked dirty, and done() queues it.
    let queue: WorkQueue<&str> = WorkQueue::new("rate-limited");
    queue.add("k");
    let key = queue.get().await.unwrap();
    queue.add_rate_limited(key);
    tokio::time::sleep(50 * MS).await; // still "processing"; the 5ms backoff has passed
    assert_eq!(queue.len(), 0, "never handed out while processing");
    queue.done(&key);
    assert_eq!(queue.get().await, Some("k"));
}

#[tokio::test(start_paused = true)]
async fn with_rate_limiter_uses_the_given_limiter() {
    let limiter =
        ItemExponentialFailureRateLimiter::new(Duration::from_secs(1), Duration::from_secs(2));
    let queue = WorkQueue::with_rate_limiter("custom", limiter);
    assert_eq!(queue.name(), "custom");
    let start = Instant::now();
    queue.add_rate_limited(7u32);
    assert_eq!(queue.get().await, Some(7));
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn debug_output_shows_the_queue_at_a_glance() {
    let queue: WorkQueue<&str> = WorkQueue::new("pods");
    queue.add("a");
    queue.add("b");
    let _a = queue.get().await;
    queue.add_after("c", Duration::from_secs(1));
    assert_eq!(
        format!("{queue:?}"),
        "WorkQueue { name: \"pods\", queued: 1, processing: 1, waiting: 1, shutting_down: false }"
    );
}
