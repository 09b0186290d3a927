//! Typed values.
