//! Real infrastructure files: see the binaries beside this crate.
