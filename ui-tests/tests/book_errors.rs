//! Chapter 4 of the book, "Reading compile errors", is generated from the compile-fail cases in
//! `tests/ui/fail/` and their reviewed `.stderr`, so it never goes stale. This test fails when
//! the chapter differs from what the cases say; `HARMONY_BLESS=1 cargo test -p ui-tests --test
//! book_errors` rewrites it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chapter_path() -> PathBuf {
    manifest_dir().join("../book/src/ch04-compile-errors.md")
}

/// "unknown_host_did_you_mean" → "Unknown host did you mean".
fn title_of(stem: &str) -> String {
    let words = stem.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The case's own description: its leading `//` comment lines, if any.
fn description(source: &str) -> Vec<String> {
    source
        .lines()
        .take_while(|l| l.starts_with("//"))
        .map(|l| {
            l.trim_start_matches('/')
                .trim_start_matches('!')
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// The short overview before the cases: what is caught, and what is not.
const CLASSES: &str = "
## What Harmony catches, and what it does not

`ui-tests/MATRIX.md` lists every place you write something in `topology!`, `score!` and the
derives, against each kind of mistake, and names the case below that shows the error. In short,
the compiler refuses:

- **names that do not exist or do not belong**: an unknown host, field, capability, score or
  output (with a did-you-mean when one is close); a host of another topology; a device that is a
  host of the topology but not one of its fleet's `devices`;
- **placement that does not fit**: a host of the wrong architecture or without a label the score
  needs; a placement requirement (`host(arch = ...)`) on a score that has no host field to check
  it on;
- **missing pieces**: a required field, a capability the topology does not provide, a return type;
- **values of the wrong shape**: every literal is checked by the same validator that parses it at
  run time (addresses, networks, ports, quantities, images, names, durations, URLs), numbers
  against their field's range (negative counts and quantities included), a secret written as a
  literal, a string where a host name belongs;
- **lists that are sets**: the same host twice in `devices: [...]`, the same label twice, a
  repeated host, field, score, capability or output;
- **clashes**: the same port claimed twice on one host, or on this machine by two local
  services, whatever the fields are called and however the number is spelt (`8080`, `\"8080\"`);
- **names outside Harmony's rules**: host, topology and score names are ASCII letters, digits
  and `_` (they become file names, environment variables and device keys); a Rust keyword is
  written `r#type`.

What the compiler cannot see is refused by `plan` before anything runs, with the same message:
a port claimed twice by scores added to a plan at run time (by hand, or from several functions),
is in the plan's problems, and `plan` and `apply` stop with exit code 2. Values computed by Rust
expressions in braces (`port: { port() }`) are checked when they are built, by their types'
constructors, not by the compiler. A NATS URL with an `https://` scheme is a valid URL: only
connecting to it fails.
";

fn render(cases_dir: &Path) -> String {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.retain(|p| p.extension().is_some_and(|e| e == "rs"));
    cases.sort();
    let mut out = String::from(
        "# Reading compile errors\n\n\
         <!-- Generated from ui-tests/tests/ui/fail by ui-tests/tests/book_errors.rs: do not edit by hand. -->\n\n\
         Every mistake below is a real file from Harmony's test suite and the compiler's real\n\
         output for it (Rust 1.95). Each error points at the token you wrote, says what is wrong,\n\
         and how to fix it. The pattern to look for: the first line names the concept you broke\n\
         (a capability, a host, a field, a value), the arrow points at your code, and the `note`\n\
         or `help` line says what to write instead.\n",
    );
    out.push_str(CLASSES);
    for case in &cases {
        let stem = case
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let source = std::fs::read_to_string(case).expect("case is readable");
        let stderr = std::fs::read_to_string(case.with_extension("stderr")).unwrap_or_default();
        let _ = write!(out, "\n## {}\n\n", title_of(&stem));
        for line in description(&source) {
            let _ = writeln!(out, "{line}");
        }
        let _ = write!(
            out,
            "\n`tests/ui/fail/{stem}.rs`:\n\n```rust,compile_fail\n{}\n```\n\nThe compiler says:\n\n```text\n{}\n```\n",
            source.trim_end(),
            stderr.trim_end()
        );
    }
    out
}

#[test]
fn chapter_four_is_generated_from_the_ui_tests() {
    let expected = render(&manifest_dir().join("tests/ui/fail"));
    let path = chapter_path();
    if std::env::var_os("HARMONY_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("write chapter");
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "book/src/ch04-compile-errors.md is stale: run `HARMONY_BLESS=1 cargo test -p ui-tests --test book_errors`"
    );
}
