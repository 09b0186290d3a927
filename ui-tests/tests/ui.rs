//! Compile-fail and compile-pass tests of Harmony DSL's macros: each `fail/*.rs` is one mistake a
//! person makes in an infrastructure file, with the reviewed diagnostic beside it (`.stderr`).
//! Regenerate with `TRYBUILD=overwrite cargo test -p ui-tests` and read every changed `.stderr`.

#[path = "support/suggestions.rs"]
mod suggestions;

#[test]
fn ui() {
    {
        let t = trybuild::TestCases::new();
        t.compile_fail("tests/ui/fail/*.rs");
        t.pass("tests/ui/pass/*.rs");
    }
    // After trybuild (its project holds the built dependencies): rustc's suggestions, applied.
    // Not when trybuild runs only some cases (`-- ui trybuild=NAME.rs`).
    let filtered = std::env::args().any(|a| a.starts_with("trybuild="));
    if !filtered {
        suggestions::check();
    }
}
