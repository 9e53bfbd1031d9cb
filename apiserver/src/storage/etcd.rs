//! The etcd backend: every [`Storage`] call becomes one etcd v3 gRPC request.
//!
//! The interesting part is how little there is. Create, update and delete are each a single
//! etcd transaction — "if this compare holds, do the write; otherwise read the key so we can
//! say why not" — which is exactly what upstream's `storage/etcd3/store.go` does:
//!
//! ```text
//! create:  IF create_revision(key) == 0        THEN put(key)     ELSE get(key)
//! update:  IF mod_revision(key)    == expected THEN put(key)     ELSE get(key)
//! delete:  IF mod_revision(key)    == expected THEN delete(key)  ELSE get(key)
//! ```
//!
//! Errors are sorted into what the API server can tell a client: etcd unreachable becomes
//! [`StorageError::Unavailable`] (HTTP 503), a slow etcd [`StorageError::Timeout`] (504), and
//! a read below the compaction point [`StorageError::Compacted`] (410).

use super::{
    prefix_end, KeyValue, ListOptions, ListResult, Storage, StorageError, Watch, WatchEvent,
};
use async_trait::async_trait;
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, EventType, GetOptions, Txn, TxnOp, TxnOpResponse,
    WatchOptions,
};
use std::future::Future;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long one etcd request may take before the client gets a 504.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest etcd reply we accept. gRPC's default, 4 MiB, is a few thousand pods: a list or a
/// catch-up watch batch beyond it would fail forever. Callers still page large reads.
const MAX_REPLY_BYTES: usize = 512 * 1024 * 1024;

/// A connection to etcd. Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct EtcdStorage {
    client: Client,
}

impl EtcdStorage {
    /// Connect to etcd at `endpoints` (e.g. `http://127.0.0.1:2379`). The gRPC channel
    /// reconnects by itself later if etcd goes away and comes back.
    pub async fn connect(endpoints: &[String]) -> Result<Self, StorageError> {
        let options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(2))
            .with_keep_alive(Duration::from_secs(5), Duration::from_secs(5))
            .with_keep_alive_while_idle(true);
        let client = Client::connect(endpoints, Some(options))
            .await
            .map_err(map_error)?;
        Ok(Self { client })
    }

    /// Run one etcd call with the request timeout, sorting its error.
    async fn call<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: Future<Output = Result<T, etcd_client::Error>>,
    {
        match tokio::time::timeout(REQUEST_TIMEOUT, f).await {
            Ok(result) => result.map_err(map_error),
            Err(_) => Err(StorageError::Timeout(format!(
                "etcd did not answer within {REQUEST_TIMEOUT:?}"
            ))),
        }
    }

    /// A guarded write: run `op` if `compare` holds; otherwise report what the key looks like.
    /// Returns the new revision, or the key's current state when the compare failed.
    async fn guarded(
        &self,
        key: &str,
        compare: Compare,
        op: TxnOp,
    ) -> Result<Result<i64, Option<KeyValue>>, StorageError> {
        let txn = Txn::new()
            .when([compare])
            .and_then([op])
            .or_else([TxnOp::get(key, None)]);
        let mut kv = self
            .client
            .kv_client()
            .max_decoding_message_size(MAX_REPLY_BYTES);
        let resp = self.call(kv.txn(txn)).await?;
        if resp.succeeded() {
            return Ok(Ok(header_revision(resp.header())));
        }
        let current = resp.op_responses().into_iter().find_map(|r| match r {
            TxnOpResponse::Get(get) => get.kvs().first().map(to_kv),
            _ => None,
        });
        Ok(Err(current))
    }
}

#[async_trait]
impl Storage for EtcdStorage {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StorageError> {
        let mut kv = self
            .client
            .kv_client()
            .max_decoding_message_size(MAX_REPLY_BYTES);
        let resp = self.call(kv.get(key, None)).await?;
        Ok(resp.kvs().first().map(to_kv))
    }

    async fn list(&self, prefix: &str, opts: ListOptions) -> Result<ListResult, StorageError> {
        let start = opts.start_key.unwrap_or_else(|| prefix.to_string());
        let mut get = GetOptions::new()
            .with_range(prefix_end(prefix))
            .with_revision(opts.revision);
        if opts.limit > 0 {
            get = get.with_limit(opts.limit as i64);
        }
        let mut kv = self
            .client
            .kv_client()
            .max_decoding_message_size(MAX_REPLY_BYTES);
        let resp = self.call(kv.get(start, Some(get))).await?;
        // etcd's header always carries the store's *current* revision; a read at an older
        // revision is a snapshot of that older revision, so that is the list's revision.
        let revision = if opts.revision > 0 {
            opts.revision
        } else {
            header_revision(resp.header())
        };
        Ok(ListResult {
            kvs: resp.kvs().iter().map(to_kv).collect(),
            revision,
            more: resp.more(),
        })
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<i64, StorageError> {
        let compare = Compare::create_revision(key, CompareOp::Equal, 0);
        match self
            .guarded(key, compare, TxnOp::put(key, value, None))
            .await?
        {
            Ok(rev) => Ok(rev),
            Err(_) => Err(StorageError::AlreadyExists(key.to_string())),
        }
    }

    async fn update(&self, key: &str, value: Vec<u8>, expected: i64) -> Result<i64, StorageError> {
        let compare = Compare::mod_revision(key, CompareOp::Equal, expected);
        let result = self
            .guarded(key, compare, TxnOp::put(key, value, None))
            .await?;
        result.map_err(|current| why_not(key, expected, current))
    }

    async fn delete(&self, key: &str, expected: i64) -> Result<i64, StorageError> {
        let compare = Compare::mod_revision(key, CompareOp::Equal, expected);
        let result = self.guarded(key, compare, TxnOp::delete(key, None)).await?;
        result.map_err(|current| why_not(key, expected, current))
    }

    async fn watch(
        &self,
        prefix: &str,
        from_revision: i64,
        prev_kv: bool,
    ) -> Result<Watch, StorageError> {
        let mut options = WatchOptions::new()
            .with_range(prefix_end(prefix))
            .with_start_revision(from_revision)
            .with_progress_notify();
        if prev_kv {
            options = options.with_prev_key();
        }
        let mut client = self
            .client
            .watch_client()
            .max_decoding_message_size(MAX_REPLY_BYTES);
        let stream = self.call(client.watch(prefix, Some(options))).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (progress_tx, mut progress_rx) = mpsc::unbounded_channel::<()>();
        tokio::spawn(async move {
            let (mut requests, mut responses) = stream.split();
            loop {
                tokio::select! {
                    asked = progress_rx.recv() => {
                        if asked.is_none() || requests.request_progress().await.is_err() {
                            break;
                        }
                    }
                    message = responses.message() => {
                        let resp = match message {
                            Ok(Some(resp)) => resp,
                            Ok(None) => break,
                            Err(e) => { let _ = tx.send(Err(map_error(e))); break; }
                        };
                        if resp.compact_revision() > 0 || resp.canceled() {
                            let _ = tx.send(Err(StorageError::Compacted {
                                requested: from_revision,
                                compacted: resp.compact_revision(),
                            }));
                            break;
                        }
                        if !forward(&tx, &resp) {
                            break;
                        }
                    }
                }
            }
        });
        Ok(Watch {
            events: rx,
            progress: progress_tx,
        })
    }

    async fn compact(&self, revision: i64) -> Result<(), StorageError> {
        let mut kv = self
            .client
            .kv_client()
            .max_decoding_message_size(MAX_REPLY_BYTES);
        self.call(kv.compact(revision, None)).await?;
        Ok(())
    }

    async fn current_revision(&self) -> Result<i64, StorageError> {
        let mut kv = self
            .client
            .kv_client()
            .max_decoding_message_size(MAX_REPLY_BYTES);
        let get = GetOptions::new().with_count_only();
        let resp = self.call(kv.get("/registry/", Some(get))).await?;
        Ok(header_revision(resp.header()))
    }
}

/// Turn one etcd watch response into our events. Returns `false` when the receiver is gone.
fn forward(
    tx: &mpsc::UnboundedSender<Result<WatchEvent, StorageError>>,
    resp: &etcd_client::WatchResponse,
) -> bool {
    if resp.events().is_empty() {
        // An empty response that is not the "created" confirmation is a progress notify.
        if resp.created() {
            return true;
        }
        let revision = header_revision(resp.header());
        return tx.send(Ok(WatchEvent::Progress { revision })).is_ok();
    }
    for event in resp.events() {
        let Some(kv) = event.kv() else { continue };
        let prev = event.prev_kv().map(to_kv);
        let ours = match event.event_type() {
            EventType::Put => WatchEvent::Put {
                kv: to_kv(kv),
                prev,
            },
            EventType::Delete => WatchEvent::Delete {
                key: String::from_utf8_lossy(kv.key()).into_owned(),
                revision: kv.mod_revision(),
                prev,
            },
        };
        if tx.send(Ok(ours)).is_err() {
            return false;
        }
    }
    true
}

fn to_kv(kv: &etcd_client::KeyValue) -> KeyValue {
    KeyValue {
        key: String::from_utf8_lossy(kv.key()).into_owned(),
        value: kv.value().to_vec(),
        create_revision: kv.create_revision(),
        mod_revision: kv.mod_revision(),
    }
}

fn header_revision(header: Option<&etcd_client::ResponseHeader>) -> i64 {
    header.map(|h| h.revision()).unwrap_or(0)
}

/// A guarded update/delete failed: the key is gone, or it changed.
fn why_not(key: &str, expected: i64, current: Option<KeyValue>) -> StorageError {
    match current {
        None => StorageError::NotFound(key.to_string()),
        Some(kv) => StorageError::Conflict {
            key: key.to_string(),
            expected,
            actual: kv.mod_revision,
        },
    }
}

/// Sort an etcd client error into what the API server can tell its client.
fn map_error(err: etcd_client::Error) -> StorageError {
    match &err {
        etcd_client::Error::GRpcStatus(status) => {
            let msg = status.message().to_string();
            if msg.contains("required revision has been compacted") {
                StorageError::Compacted {
                    requested: 0,
                    compacted: 0,
                }
            } else if msg.contains("future revision") {
                StorageError::FutureRevision(0)
            } else if status.code() == tonic::Code::DeadlineExceeded {
                StorageError::Timeout(msg)
            } else {
                StorageError::Unavailable(msg)
            }
        }
        _ => StorageError::Unavailable(err.to_string()),
    }
}
