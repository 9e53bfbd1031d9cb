//! The Store: an in-memory copy of every watched object, with indexes.
//!
//! Controllers read the Store instead of asking the API server: "which pods are on node n1?"
//! becomes a hash lookup instead of a request. One [`Writer`] (the reflector) keeps it up to
//! date; any number of [`Store`] handles read it concurrently (a `DashMap` underneath).
//! Upstream: `k8s.io/client-go/tools/cache/{store,thread_safe_store,index}.go`.
//!
//! Objects are keyed `namespace/name` (just `name` for cluster-scoped ones), as client-go's
//! `MetaNamespaceKeyFunc` does, and handed out as `Arc<K>`: reading never copies an object.

use dashmap::DashMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::Metadata;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Computes the values an object is indexed under (e.g. its node name).
pub type IndexFn<K> = Arc<dyn Fn(&K) -> Vec<String> + Send + Sync>;

/// `namespace/name`, or `name` for cluster-scoped objects.
pub fn key_of<K: Metadata<Ty = ObjectMeta>>(obj: &K) -> String {
    let meta = obj.metadata();
    let name = meta.name.as_deref().unwrap_or("");
    match meta.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name.to_string(),
    }
}

/// Index by namespace (client-go's `cache.NamespaceIndex`).
pub fn namespace_index<K: Metadata<Ty = ObjectMeta>>() -> (&'static str, IndexFn<K>) {
    (
        "namespace",
        Arc::new(|obj: &K| obj.metadata().namespace.iter().cloned().collect()),
    )
}

/// Index by the uid of each owner (to find an object's dependents quickly).
pub fn owner_uid_index<K: Metadata<Ty = ObjectMeta>>() -> (&'static str, IndexFn<K>) {
    (
        "owner-uid",
        Arc::new(|obj: &K| {
            obj.metadata()
                .owner_references
                .iter()
                .flatten()
                .map(|o| o.uid.clone())
                .collect()
        }),
    )
}

/// Index by the value of one label (`key=value` pairs become `value`).
pub fn label_index<K: Metadata<Ty = ObjectMeta>>(
    label: &'static str,
) -> (&'static str, IndexFn<K>) {
    (
        label,
        Arc::new(move |obj: &K| {
            obj.metadata()
                .labels
                .as_ref()
                .and_then(|l| l.get(label))
                .cloned()
                .into_iter()
                .collect()
        }),
    )
}

/// Index pods by `spec.nodeName` (what a kubelet asks: "my pods").
pub fn pod_node_name_index() -> (&'static str, IndexFn<k8s_openapi::api::core::v1::Pod>) {
    (
        "spec.nodeName",
        Arc::new(|pod: &k8s_openapi::api::core::v1::Pod| {
            pod.spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .into_iter()
                .collect()
        }),
    )
}

struct Inner<K> {
    objects: DashMap<String, Arc<K>>,
    indexers: HashMap<&'static str, IndexFn<K>>,
    /// (index name, indexed value) -> keys of the objects indexed there.
    /// index name -> (indexed value -> keys of the objects indexed there): two hash lookups.
    indices: HashMap<&'static str, DashMap<String, HashSet<String>>>,
    synced: AtomicBool,
}

/// A read handle on the store. Cheap to clone.
#[doc(alias = "Indexer")]
#[doc(alias = "Lister")]
pub struct Store<K> {
    inner: Arc<Inner<K>>,
}

impl<K> Clone for Store<K> {
    fn clone(&self) -> Self {
        Store {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Metadata<Ty = ObjectMeta>> Store<K> {
    /// The object with this `namespace/name` key.
    pub fn get(&self, key: &str) -> Option<Arc<K>> {
        self.inner.objects.get(key).map(|e| e.value().clone())
    }

    /// Every object (in no particular order).
    pub fn list(&self) -> Vec<Arc<K>> {
        self.inner
            .objects
            .iter()
            .map(|e| e.value().clone())
            .collect()
    }

    /// The objects indexed under `value` by the indexer `index`.
    pub fn by_index(&self, index: &str, value: &str) -> Vec<Arc<K>> {
        let Some(keys) = self
            .inner
            .indices
            .get(index)
            .and_then(|values| values.get(value).map(|keys| keys.clone()))
        else {
            return Vec::new();
        };
        keys.iter().filter_map(|k| self.get(k)).collect()
    }

    /// How many objects are stored.
    pub fn len(&self) -> usize {
        self.inner.objects.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.objects.is_empty()
    }

    /// True once the first full list has been stored. Controllers must not act before this:
    /// an empty store would look like "every object was deleted".
    pub fn has_synced(&self) -> bool {
        self.inner.synced.load(Ordering::Acquire)
    }

    /// Wait (polling every 10 ms) until [`Store::has_synced`].
    pub async fn wait_until_synced(&self) {
        while !self.has_synced() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// The one writer of a store; held by the reflector.
pub struct Writer<K> {
    store: Store<K>,
}

impl<K: Metadata<Ty = ObjectMeta>> Writer<K> {
    /// A new, empty store with these indexers.
    pub fn new(indexers: Vec<(&'static str, IndexFn<K>)>) -> Self {
        let indices = indexers
            .iter()
            .map(|(name, _)| (*name, DashMap::new()))
            .collect();
        let inner = Inner {
            objects: DashMap::new(),
            indexers: indexers.into_iter().collect(),
            indices,
            synced: AtomicBool::new(false),
        };
        Writer {
            store: Store {
                inner: Arc::new(inner),
            },
        }
    }

    /// A read handle.
    pub fn store(&self) -> Store<K> {
        self.store.clone()
    }

    /// Insert or replace `obj`; returns the previous version.
    pub fn apply(&self, obj: K) -> (Arc<K>, Option<Arc<K>>) {
        let key = key_of(&obj);
        let obj = Arc::new(obj);
        let old = self.store.inner.objects.insert(key.clone(), obj.clone());
        if let Some(old) = &old {
            self.unindex(&key, old);
        }
        self.index(&key, &obj);
        (obj, old)
    }

    /// Remove the object with `obj`'s key; returns what was stored.
    pub fn delete(&self, obj: &K) -> Option<Arc<K>> {
        let key = key_of(obj);
        let (_, old) = self.store.inner.objects.remove(&key)?;
        self.unindex(&key, &old);
        Some(old)
    }

    /// Mark the store synced (after the first full list).
    pub fn set_synced(&self) {
        self.store.inner.synced.store(true, Ordering::Release);
    }

    fn index(&self, key: &str, obj: &K) {
        for (name, f) in &self.store.inner.indexers {
            let Some(values) = self.store.inner.indices.get(name) else {
                continue;
            };
            for value in f(obj) {
                values.entry(value).or_default().insert(key.to_string());
            }
        }
    }

    fn unindex(&self, key: &str, obj: &K) {
        for (name, f) in &self.store.inner.indexers {
            let Some(values) = self.store.inner.indices.get(name) else {
                continue;
            };
            for value in f(obj) {
                if let Some(mut keys) = values.get_mut(&value) {
                    keys.remove(key);
                }
                // Forget a value nothing is indexed under any more.
                values.remove_if(&value, |_, keys| keys.is_empty());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Pod, PodSpec};

    fn pod(ns: &str, name: &str, node: &str) -> Pod {
        Pod {
            metadata: ObjectMeta {
                namespace: Some(ns.into()),
                name: Some(name.into()),
                ..Default::default()
            },
            spec: Some(PodSpec {
                node_name: Some(node.into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn objects_are_keyed_namespace_slash_name() {
        let w = Writer::new(vec![]);
        w.apply(pod("default", "web", "n1"));
        assert!(w.store().get("default/web").is_some());
        assert_eq!(w.store().len(), 1);
    }

    #[test]
    fn indexes_follow_updates_and_deletes() {
        let w = Writer::new(vec![pod_node_name_index(), namespace_index()]);
        let s = w.store();
        w.apply(pod("a", "p1", "n1"));
        w.apply(pod("b", "p2", "n1"));
        assert_eq!(s.by_index("spec.nodeName", "n1").len(), 2);
        w.apply(pod("a", "p1", "n2")); // moved
        assert_eq!(s.by_index("spec.nodeName", "n1").len(), 1);
        assert_eq!(s.by_index("spec.nodeName", "n2").len(), 1);
        w.delete(&pod("b", "p2", "n1"));
        assert!(s.by_index("spec.nodeName", "n1").is_empty());
        assert_eq!(s.by_index("namespace", "a").len(), 1);
    }

    #[test]
    fn a_store_is_not_synced_until_told() {
        let w: Writer<Pod> = Writer::new(vec![]);
        assert!(!w.store().has_synced());
        w.set_synced();
        assert!(w.store().has_synced());
    }
}
