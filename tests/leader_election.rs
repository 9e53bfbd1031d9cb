//! Leader election between two candidates on a real API server: the survivor takes over when
//! the leader crashes or is cut off from the server, a clean shutdown hands over at once, and
//! there are never two leaders at the same moment.

use apiserver::registry::Registry;
use apiserver::storage::memory::MemoryStorage;
use machinery::client::{Client, Config};
use machinery::leader_election::{LeaderElectionConfig, LeaderElector};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// (who, started leading, stopped leading)
type Log = Arc<Mutex<Vec<(String, Instant, Option<Instant>)>>>;

async fn server() -> u16 {
    let registry = Registry::new(Arc::new(MemoryStorage::default()), 100);
    registry.bootstrap().await.expect("bootstrap");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(apiserver::server::serve(
        listener,
        registry,
        std::future::pending(),
    ));
    port
}

/// A TCP proxy that can be cut, to partition one candidate from the API server.
async fn proxy(to: u16) -> (u16, tokio::sync::watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (cut_tx, cut_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let mut cut = cut_rx.clone();
            if *cut.borrow() {
                continue; // dropped: the connection closes at once
            }
            tokio::spawn(async move {
                let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", to)).await
                else {
                    return;
                };
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut.wait_for(|c| *c) => {}
                }
            });
        }
    });
    (port, cut_tx)
}

fn config(identity: &str) -> LeaderElectionConfig {
    let mut c = LeaderElectionConfig::new("default", "kubeling-test", identity);
    c.lease_duration = Duration::from_secs(3);
    c.renew_deadline = Duration::from_secs(2);
    c.retry_period = Duration::from_millis(300);
    c
}

/// Run a candidate on its own runtime and thread; `crash` kills it without any cleanup,
/// `stop` shuts it down cleanly (releasing the lease).
struct Candidate {
    crash: Option<std::sync::mpsc::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Candidate {
    fn start(name: &str, port: u16, log: Log) -> Candidate {
        let (tx, rx) = std::sync::mpsc::channel::<bool>();
        let name = name.to_string();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let client =
                Client::new(Config::new(&format!("http://127.0.0.1:{port}")).expect("config"));
            let elector = LeaderElector::new(client, config(&name));
            let log2 = log.clone();
            let who = name.clone();
            rt.spawn(async move {
                let lead = move |mut leadership: machinery::leader_election::Leadership| async move {
                    let index = {
                        let mut log = log2.lock().unwrap();
                        log.push((who.clone(), Instant::now(), None));
                        log.len() - 1
                    };
                    leadership.lost().await;
                    log2.lock().unwrap()[index].2 = Some(Instant::now());
                };
                let _ = elector.run(lead, async { let _ = stop_rx.await; }).await;
            });
            // Wait for the order: true = crash (drop everything), false = clean stop.
            let crash = rx.recv().unwrap_or(true);
            if crash {
                let now = Instant::now();
                for entry in log
                    .lock()
                    .unwrap()
                    .iter_mut()
                    .filter(|e| e.0 == name && e.2.is_none())
                {
                    entry.2 = Some(now); // a dead process leads no more
                }
                rt.shutdown_background();
            } else {
                let _ = stop_tx.send(());
                rt.block_on(tokio::time::sleep(Duration::from_secs(2)));
            }
        });
        Candidate {
            crash: Some(tx),
            thread: Some(thread),
        }
    }

    fn end(&mut self, crash: bool) {
        if let Some(tx) = self.crash.take() {
            let _ = tx.send(crash);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Candidate {
    fn drop(&mut self) {
        self.end(true);
    }
}

/// Wait until someone other than `not` leads; returns who.
async fn wait_for_leader(log: &Log, not: Option<&str>, within: Duration) -> String {
    let started = Instant::now();
    loop {
        if let Some(e) = log
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|e| e.2.is_none() && Some(e.0.as_str()) != not)
        {
            return e.0.clone();
        }
        assert!(
            started.elapsed() < within,
            "no new leader within {within:?}: {:?}",
            log.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// No two leadership intervals overlap.
fn assert_one_leader_at_a_time(log: &Log) {
    let log = log.lock().unwrap();
    for (i, a) in log.iter().enumerate() {
        for b in &log[i + 1..] {
            let a_end = a.2.unwrap_or_else(Instant::now);
            let b_end = b.2.unwrap_or_else(Instant::now);
            assert!(
                a_end <= b.1 || b_end <= a.1,
                "two leaders at once: {a:?} and {b:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_survivor_takes_over_after_a_crash_within_the_lease_time() {
    let port = server().await;
    let log: Log = Arc::default();
    let mut a = Candidate::start("a", port, log.clone());
    let first = wait_for_leader(&log, None, Duration::from_secs(10)).await;
    assert_eq!(first, "a");
    let mut b = Candidate::start("b", port, log.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(log.lock().unwrap().len(), 1, "b waits while a renews");
    let crashed = Instant::now();
    a.end(true);
    assert_eq!(
        wait_for_leader(&log, Some("a"), Duration::from_secs(10)).await,
        "b"
    );
    let took = log.lock().unwrap()[1].1 - crashed;
    assert!(
        took >= Duration::from_secs(2),
        "b waited for the lease to expire ({took:?})"
    );
    assert_one_leader_at_a_time(&log);
    b.end(false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_cut_off_from_the_server_stops_before_another_starts() {
    let port = server().await;
    let (proxied, cut) = proxy(port).await;
    let log: Log = Arc::default();
    let mut a = Candidate::start("a", proxied, log.clone());
    wait_for_leader(&log, None, Duration::from_secs(10)).await;
    let mut b = Candidate::start("b", port, log.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = cut.send(true); // a can no longer renew, but it is still running
    assert_eq!(
        wait_for_leader(&log, Some("a"), Duration::from_secs(15)).await,
        "b"
    );
    assert!(
        log.lock().unwrap()[0].2.is_some(),
        "a noticed it lost the lease"
    );
    assert_one_leader_at_a_time(&log);
    a.end(true);
    b.end(false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_shutdown_releases_the_lease_for_an_immediate_handover() {
    let port = server().await;
    let log: Log = Arc::default();
    let mut a = Candidate::start("a", port, log.clone());
    wait_for_leader(&log, None, Duration::from_secs(10)).await;
    let mut b = Candidate::start("b", port, log.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopped = Instant::now();
    a.end(false);
    wait_for_leader(&log, Some("a"), Duration::from_secs(10)).await;
    let took = log.lock().unwrap()[1].1 - stopped;
    assert!(
        took < Duration::from_secs(3),
        "released, so no need to wait out the lease ({took:?})"
    );
    assert_one_leader_at_a_time(&log);
    b.end(false);
}
