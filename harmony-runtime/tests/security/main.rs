//! The rules for running as root, each tested as the attack (see SECURITY.md).
//!
//! One test binary for the area (support code compiled once); each module was a binary of its
//! own before.
#[path = "../common/mod.rs"]
mod common;
#[path = "../config_support/mod.rs"]
mod config_support;

mod security_files;
mod security_processes;
