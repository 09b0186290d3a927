//! Harmony procedural macros.
