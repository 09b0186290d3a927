//! Harmony runtime.
