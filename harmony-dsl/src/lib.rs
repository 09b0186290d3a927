//! Harmony DSL: infrastructure as typed Rust.
pub mod value;
