//! Dry-run storage: every check a write would make, and no write.
//!
//! `kubectl apply --dry-run=server` sends `?dryRun=All`: "do everything you would do —
//! defaulting, validation, admission, conflict checks — but store nothing". Upstream does not
//! thread a flag through every step for that. It swaps the storage underneath the registry
//! for one whose writes only *check*: `DryRunnableStorage` in
//! `staging/src/k8s.io/apiserver/pkg/registry/generic/registry/dryrun.go`. We do the same, so
//! the registry runs exactly the code a real request runs.
//!
//! | call | real storage | dry-run storage |
//! |---|---|---|
//! | create | put if absent | AlreadyExists if present, else nothing |
//! | update / delete | write if `mod_revision` matches | NotFound / Conflict as a write would be, else nothing |
//! | get, list, watch | read | the same read |
//!
//! A dry-run create returns revision [`NOT_STORED`]: the object was never stored, so it has no
//! `resourceVersion` (the registry leaves the field out, as upstream's answer does). A dry-run
//! update or delete returns the revision the object already has.

use super::{ListOptions, ListResult, Storage, StorageError, Watch};
use async_trait::async_trait;
use std::sync::Arc;

/// The revision a dry-run create reports: no write happened, so there is none.
pub const NOT_STORED: i64 = 0;

/// Reads go to `inner`; writes are checked against it and dropped.
pub struct DryRunStorage {
    inner: Arc<dyn Storage>,
}

impl DryRunStorage {
    pub fn new(inner: Arc<dyn Storage>) -> Self {
        Self { inner }
    }

    /// The check an update or delete guarded by `expected` would make.
    async fn check_guard(&self, key: &str, expected: i64) -> Result<i64, StorageError> {
        match self.inner.get(key).await? {
            None => Err(StorageError::NotFound(key.to_string())),
            Some(kv) if kv.mod_revision != expected => Err(StorageError::Conflict {
                key: key.to_string(),
                expected,
                actual: kv.mod_revision,
            }),
            Some(kv) => Ok(kv.mod_revision),
        }
    }
}

#[async_trait]
impl Storage for DryRunStorage {
    async fn get(&self, key: &str) -> Result<Option<super::KeyValue>, StorageError> {
        self.inner.get(key).await
    }

    async fn list(&self, prefix: &str, opts: ListOptions) -> Result<ListResult, StorageError> {
        self.inner.list(prefix, opts).await
    }

    async fn create(&self, key: &str, _value: Vec<u8>) -> Result<i64, StorageError> {
        match self.inner.get(key).await? {
            Some(_) => Err(StorageError::AlreadyExists(key.to_string())),
            None => Ok(NOT_STORED),
        }
    }

    async fn update(&self, key: &str, _value: Vec<u8>, expected: i64) -> Result<i64, StorageError> {
        self.check_guard(key, expected).await
    }

    async fn delete(&self, key: &str, expected: i64) -> Result<i64, StorageError> {
        self.check_guard(key, expected).await
    }

    async fn watch(
        &self,
        prefix: &str,
        from_revision: i64,
        prev_kv: bool,
    ) -> Result<Watch, StorageError> {
        self.inner.watch(prefix, from_revision, prev_kv).await
    }

    /// Compaction forgets history: a write of its own kind, so a dry run does not do it.
    async fn compact(&self, _revision: i64) -> Result<(), StorageError> {
        Ok(())
    }

    async fn current_revision(&self) -> Result<i64, StorageError> {
        self.inner.current_revision().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::memory::MemoryStorage;

    fn stores() -> (Arc<MemoryStorage>, DryRunStorage) {
        let real = Arc::new(MemoryStorage::default());
        let dry = DryRunStorage::new(real.clone());
        (real, dry)
    }

    #[tokio::test]
    async fn a_dry_run_create_checks_for_the_key_and_stores_nothing() {
        let (real, dry) = stores();
        assert_eq!(dry.create("/k/a", b"1".to_vec()).await, Ok(NOT_STORED));
        assert_eq!(real.get("/k/a").await, Ok(None));
        real.create("/k/a", b"1".to_vec())
            .await
            .expect("real create");
        assert!(matches!(
            dry.create("/k/a", b"2".to_vec()).await,
            Err(StorageError::AlreadyExists(_))
        ));
    }

    #[tokio::test]
    async fn dry_run_updates_and_deletes_check_the_revision_and_change_nothing() {
        let (real, dry) = stores();
        let rev = real.create("/k/a", b"1".to_vec()).await.expect("create");
        assert_eq!(dry.update("/k/a", b"2".to_vec(), rev).await, Ok(rev));
        assert_eq!(dry.delete("/k/a", rev).await, Ok(rev));
        let kv = real.get("/k/a").await.expect("get").expect("still there");
        assert_eq!((kv.value, kv.mod_revision), (b"1".to_vec(), rev));
        assert!(matches!(
            dry.update("/k/a", b"2".to_vec(), rev + 7).await,
            Err(StorageError::Conflict { .. })
        ));
        assert!(matches!(
            dry.delete("/k/missing", 1).await,
            Err(StorageError::NotFound(_))
        ));
    }
}
