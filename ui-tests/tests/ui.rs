//! Compile-fail and compile-pass tests of Harmony DSL's macros: each `fail/*.rs` is one mistake a
//! person makes in an infrastructure file, with the reviewed diagnostic beside it (`.stderr`).
//! Regenerate with `TRYBUILD=overwrite cargo test -p ui-tests` and read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
