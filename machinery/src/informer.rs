//! Informers: a watcher, a reflector and a store, running together; and the factory that
//! shares them so one process opens **one** watch per resource however many controllers use it.
//!
//! ```text
//!  API server ──watch──► watcher ──events──► reflector ──► Store (read by every controller)
//!                                                 └──────► handlers: on_add / on_update / on_delete
//!                                                           (typically: enqueue a key)
//! ```
//! Upstream: `k8s.io/client-go/tools/cache/shared_informer.go` and
//! `k8s.io/client-go/informers/factory.go`.

use crate::client::Object;
use crate::client::{Api, Client, ListParams};
use crate::reflector::{self, EventHandler, Handlers};
use crate::store::{IndexFn, Store, Writer};
use crate::watcher::watcher;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// One watched resource: its store and its handlers. Cloning shares it.
#[doc(alias = "SharedInformer")]
pub struct Informer<K> {
    store: Store<K>,
    handlers: Handlers<K>,
    task: Arc<Mutex<Task>>,
}

type Starter = Box<dyn FnOnce() -> tokio::task::JoinHandle<()> + Send>;

/// Where an informer's watch task is in its life.
enum Task {
    NotStarted(Starter),
    Running(tokio::task::JoinHandle<()>),
    Stopped,
}

impl<K> Clone for Informer<K> {
    fn clone(&self) -> Self {
        Informer {
            store: self.store.clone(),
            handlers: self.handlers.clone(),
            task: self.task.clone(),
        }
    }
}

impl<K> Informer<K>
where
    K: Object,
{
    /// An informer for what `api` and `params` select. Nothing happens until [`Informer::start`].
    pub fn new(api: Api<K>, params: ListParams, indexers: Vec<(&'static str, IndexFn<K>)>) -> Self {
        let writer = Writer::new(indexers);
        let store = writer.store();
        let handlers: Handlers<K> = Arc::new(RwLock::new(Vec::new()));
        let run_handlers = handlers.clone();
        let starter: Starter = Box::new(move || {
            tokio::spawn(reflector::reflect(
                writer,
                watcher(api, params),
                run_handlers,
            ))
        });
        Informer {
            store,
            handlers,
            task: Arc::new(Mutex::new(Task::NotStarted(starter))),
        }
    }

    /// The informer's store (empty until synced).
    pub fn store(&self) -> Store<K> {
        self.store.clone()
    }

    /// Add a handler. If objects are already stored, the handler first gets `on_add` for each,
    /// so a late handler sees the same world as an early one (as client-go does).
    pub fn add_handler(&self, handler: Arc<dyn EventHandler<K>>) {
        let mut handlers = self.handlers.write().unwrap_or_else(|p| p.into_inner());
        for obj in self.store.list() {
            handler.on_add(&obj);
        }
        handlers.push(handler);
    }

    /// Start watching (once; later calls do nothing).
    pub fn start(&self) {
        let mut task = self.task.lock().unwrap_or_else(|p| p.into_inner());
        *task = match std::mem::replace(&mut *task, Task::Stopped) {
            Task::NotStarted(start) => Task::Running(start()),
            already => already,
        };
    }

    /// Stop watching (e.g. when leadership is lost). The store keeps its last contents; a
    /// stopped informer cannot be started again.
    pub fn stop(&self) {
        let mut task = self.task.lock().unwrap_or_else(|p| p.into_inner());
        if let Task::Running(handle) = &*task {
            handle.abort();
        }
        *task = Task::Stopped;
    }
}

/// Hands out one shared informer per (kind, namespace), so every controller in a process
/// shares one watch per resource. Call [`SharedInformerFactory::start`] after wiring.
pub struct SharedInformerFactory {
    client: Client,
    informers: Mutex<HashMap<(TypeId, String), Box<dyn Any + Send + Sync>>>,
    starters: Mutex<Vec<Box<dyn Fn() + Send + Sync>>>,
}

impl SharedInformerFactory {
    /// A factory whose informers use `client`.
    pub fn new(client: Client) -> Self {
        SharedInformerFactory {
            client,
            informers: Mutex::new(HashMap::new()),
            starters: Mutex::new(Vec::new()),
        }
    }

    /// The shared informer for `K` in `namespace` ("" = all namespaces), created on first use
    /// with `indexers` (later callers share the first caller's indexers).
    pub fn informer<K>(
        &self,
        namespace: &str,
        indexers: Vec<(&'static str, IndexFn<K>)>,
    ) -> Informer<K>
    where
        K: Object,
    {
        let mut informers = self.informers.lock().unwrap_or_else(|p| p.into_inner());
        let key = (TypeId::of::<K>(), namespace.to_string());
        if let Some(existing) = informers
            .get(&key)
            .and_then(|b| b.downcast_ref::<Informer<K>>())
        {
            return existing.clone();
        }
        let api = if namespace.is_empty() {
            Api::all(self.client.clone())
        } else {
            Api::namespaced(self.client.clone(), namespace)
        };
        let informer = Informer::new(api, ListParams::default(), indexers);
        informers.insert(key, Box::new(informer.clone()));
        let to_start = informer.clone();
        self.starters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Box::new(move || to_start.start()));
        informer
    }

    /// Start every informer created so far.
    pub fn start(&self) {
        for start in self
            .starters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            start();
        }
    }
}
