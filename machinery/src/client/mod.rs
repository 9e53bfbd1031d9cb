//! (being written)
pub mod config;
pub mod tls;
