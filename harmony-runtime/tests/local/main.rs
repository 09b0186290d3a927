//! Localhost, the CLI, the engine and executor, render, smoke checks and podman: the runtime's
//! tests that need no Kubernetes API server.
//!
//! One test binary for the area (support code compiled once); each module was a binary of its
//! own before.
#[path = "../common/mod.rs"]
mod common;

mod cli;
mod crash;
mod engine;
mod executor;
mod podman;
mod render;
mod smoke;
