//! Configuration and secrets sources, and SQL smoke checks against PostgreSQL.
//!
//! One test binary for the area (support code compiled once); each module was a binary of its
//! own before.
#[path = "../common/mod.rs"]
mod common;
#[path = "../config_support/mod.rs"]
mod config_support;
#[path = "../pg_support/mod.rs"]
mod pg_support;

mod config_secrets;
mod config_sources;
mod smoke_sql;
