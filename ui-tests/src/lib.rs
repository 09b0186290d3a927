//! Compile-pass and compile-fail tests of the macros live in `tests/`.
