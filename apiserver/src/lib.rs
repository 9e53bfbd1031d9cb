//! # apiserver
pub mod etcd_process;
pub mod storage;
