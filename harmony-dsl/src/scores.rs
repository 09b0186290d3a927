//! Built-in scores.
