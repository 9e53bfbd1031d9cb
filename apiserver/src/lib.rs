//! # apiserver
pub mod etcd_process;
pub mod registry;
pub mod resources;
pub mod server;
pub mod storage;
pub mod watch_cache;
