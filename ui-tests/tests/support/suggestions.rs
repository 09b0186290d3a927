//! The suggestion harness: every compile-fail case whose compiler output carries a suggestion
//! (machine-applicable or maybe-incorrect) has the suggestions applied mechanically (`rustfix`),
//! and is compiled again. The result must be what [`EXPECTED`] says: a program that compiles
//! (the help led to the fix), or a different error (the help was honest, and something else is
//! still to fix). A case whose suggestions turn a wrong program into one that compiles without
//! being listed as a right fix (a `SecretRef` → `.to_string()`, say) fails the harness.
//!
//! It runs after trybuild, in trybuild's generated project (so the dependencies are built
//! already), with the same flags: the fixed sources are extra binaries of that project.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What applying a case's suggestions must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fix {
    /// The help is the fix: the program compiles.
    Compiles,
    /// The help fixes one thing; another, different error remains.
    DifferentError,
}

/// Every case with suggestions, and what following them gives. Add a case here only after
/// reading its `.stderr` and the fixed program.
const EXPECTED: &[(&str, Fix)] = &[
    // `K8sClustr` → `K8sCluster`.
    ("capability_misspelt", Fix::Compiles),
    // `nux` → `nuc`; the bad quantity and port remain.
    ("independent_errors_reported_together", Fix::DifferentError),
    // `requires(K8sClustr)` → `requires(K8sCluster)` (never `ProvidesK8sCluster`).
    ("requires_typo", Fix::Compiles),
    // `nux` → `nuc`; the field without a value remains.
    (
        "field_without_value_rest_still_checked",
        Fix::DifferentError,
    ),
    // `Postgress` → `Postgres`.
    ("unknown_score_type_did_you_mean", Fix::Compiles),
    // `nux` → `nuc` (an associated constant of the topology).
    ("unknown_host_did_you_mean", Fix::Compiles),
    // `devices: [pi1, pi3]` → `[pi1, pi1]`: rustc's closest host is already listed, and the
    // duplicate is then reported as such.
    ("unknown_host_in_devices", Fix::DifferentError),
    // `gpus` → `gpu`.
    ("unknown_label", Fix::Compiles),
    // `contxt` → `context`.
    ("unknown_provider_field", Fix::Compiles),
    // `db.endpont` → `db.endpoint`.
    ("wiring_unknown_output", Fix::Compiles),
];

/// What one compilation said about one binary.
#[derive(Debug, Default)]
struct Outcome {
    /// The error messages (first lines).
    errors: Vec<String>,
    /// The raw JSON of each diagnostic, for rustfix.
    diagnostics: Vec<String>,
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
    }
}

/// `cargo build` of `bins` in trybuild's project, with trybuild's flags and target (so the
/// dependencies trybuild built are reused); diagnostics by binary. With `metadata_only`, each
/// binary is checked without being linked (`cargo rustc --bin B -- --emit=metadata`, one at a
/// time).
fn build(project: &Path, bins: &[String], metadata_only: bool) -> BTreeMap<String, Outcome> {
    if metadata_only {
        let mut out = BTreeMap::new();
        for bin in bins {
            out.append(&mut run_cargo(
                project,
                &["rustc", "--bin", bin],
                &["--", "--emit=metadata"],
            ));
        }
        return out;
    }
    let mut args = vec!["build", "--keep-going"];
    for bin in bins {
        args.extend(["--bin", bin.as_str()]);
    }
    run_cargo(project, &args, &[])
}

fn run_cargo(project: &Path, args: &[&str], rustc_args: &[&str]) -> BTreeMap<String, Outcome> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let flags = "[\"--cfg\", \"trybuild\", \"--verbose\", \"-A\", \"dead_code\", \"--diagnostic-width=140\"]";
    let triple = host_triple();
    let mut cmd = Command::new(cargo);
    cmd.current_dir(project)
        .env("CARGO_TARGET_DIR", target_dir().join("tests/trybuild"))
        .env_remove("RUSTFLAGS")
        .env("CARGO_INCREMENTAL", "0")
        .arg("--offline")
        .arg(format!("--config=build.rustflags={flags}"))
        .arg(format!("--config=target.{triple}.rustflags={flags}"))
        .args(args)
        .args(["--target", &triple])
        .args(["--quiet", "--color=never", "--message-format=json"])
        .args(rustc_args);
    let output = cmd.output().expect("cargo runs");
    let mut out: BTreeMap<String, Outcome> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-message" {
            continue;
        }
        let Some(bin) = message["target"]["name"].as_str() else {
            continue;
        };
        let diagnostic = &message["message"];
        let entry = out.entry(bin.to_string()).or_default();
        if diagnostic["level"] == "error" {
            let text = diagnostic["message"].as_str().unwrap_or_default();
            if !text.starts_with("aborting due to") && !text.starts_with("could not compile") {
                entry.errors.push(text.to_string());
            }
        }
        entry.diagnostics.push(diagnostic.to_string());
    }
    out
}

fn host_triple() -> String {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .unwrap_or("x86_64-unknown-linux-gnu")
        .to_string()
}

/// The diagnostic with only the suggestions rustfix is asked to apply: machine-applicable and
/// maybe-incorrect (placeholders and unspecified ones are not meant to be applied blindly).
fn applicable_only(diagnostic: &str) -> String {
    let mut value: serde_json::Value = serde_json::from_str(diagnostic).unwrap_or_default();
    fn prune(value: &mut serde_json::Value) {
        if let Some(spans) = value.get_mut("spans").and_then(|s| s.as_array_mut()) {
            spans.retain(|span| {
                span["suggested_replacement"].is_null()
                    || matches!(
                        span["suggestion_applicability"].as_str(),
                        Some("MachineApplicable" | "MaybeIncorrect")
                    )
            });
        }
        if let Some(children) = value.get_mut("children").and_then(|c| c.as_array_mut()) {
            children.iter_mut().for_each(prune);
        }
    }
    prune(&mut value);
    value.to_string()
}

/// Applies the suggestions and compiles again; panics with every case that went wrong.
pub fn check() {
    let project = target_dir().join("tests/trybuild/ui-tests");
    let manifest_path = project.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .expect("trybuild's project exists: the harness runs after trybuild");
    let table: toml::Table = toml::from_str(&manifest).expect("trybuild's manifest parses");
    let fail_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/fail");
    let mut cases: BTreeMap<String, (String, PathBuf)> = BTreeMap::new();
    for bin in table["bin"].as_array().into_iter().flatten() {
        let (Some(name), Some(path)) = (bin["name"].as_str(), bin["path"].as_str()) else {
            continue;
        };
        let path = PathBuf::from(path);
        if path.parent().and_then(|p| p.canonicalize().ok()) == fail_dir.canonicalize().ok() {
            let stem = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            cases.insert(name.to_string(), (stem, path));
        }
    }
    assert!(
        !cases.is_empty(),
        "no compile-fail case in trybuild's project"
    );
    let bins: Vec<String> = cases.keys().cloned().collect();
    // The compile-fail cases stop before linking: one `cargo build` for all.
    let original = build(&project, &bins, false);

    // Apply each case's suggestions into a fixed copy, an extra binary of the project.
    let fixes_dir = project.join("fixes");
    std::fs::create_dir_all(&fixes_dir).expect("fixes dir");
    let mut extra = String::new();
    let mut problems = Vec::new();
    let mut fixed: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    for (bin, (stem, path)) in &cases {
        let Some(outcome) = original.get(bin) else {
            continue;
        };
        let source = std::fs::read_to_string(path).expect("case source");
        let file = path.to_string_lossy().into_owned();
        let mut suggestions = Vec::new();
        for diagnostic in &outcome.diagnostics {
            let pruned = applicable_only(diagnostic);
            let found = rustfix::get_suggestions_from_json(
                &pruned,
                &HashSet::new(),
                rustfix::Filter::Everything,
            )
            .unwrap_or_default();
            suggestions.extend(found.into_iter().filter(|s| {
                s.solutions.iter().all(|sol| {
                    sol.replacements.iter().all(|r| {
                        Path::new(&r.snippet.file_name) == path || r.snippet.file_name == file
                    })
                })
            }));
        }
        if suggestions.is_empty() {
            continue;
        }
        // In order, as `cargo fix` does: a suggestion that overlaps one already applied is skipped.
        let mut fix = rustfix::CodeFix::new(&source);
        for suggestion in &suggestions {
            let _ = fix.apply(suggestion);
        }
        let Ok(text) = fix.finish() else {
            problems.push(format!("{stem}: the suggestions could not be applied"));
            continue;
        };
        let fix_bin = format!("fix_{stem}");
        let fix_path = fixes_dir.join(format!("{stem}.rs"));
        std::fs::write(&fix_path, &text).expect("write fixed case");
        extra.push_str(&format!(
            "\n[[bin]]\nname = \"{fix_bin}\"\npath = \"{}\"\n",
            fix_path.display()
        ));
        fixed.insert(fix_bin, (stem.clone(), outcome.errors.clone()));
    }

    if !fixed.is_empty() {
        std::fs::write(&manifest_path, format!("{manifest}{extra}")).expect("extend manifest");
        let fix_bins: Vec<String> = fixed.keys().cloned().collect();
        let after = build(&project, &fix_bins, true);
        std::fs::write(&manifest_path, &manifest).expect("restore manifest");
        for (fix_bin, (stem, before)) in &fixed {
            let errors = after
                .get(fix_bin)
                .map(|o| o.errors.clone())
                .unwrap_or_default();
            let got = if errors.is_empty() {
                Fix::Compiles
            } else if errors != *before {
                Fix::DifferentError
            } else {
                problems.push(format!(
                    "{stem}: following the suggestions changed nothing: {errors:?}"
                ));
                continue;
            };
            match EXPECTED.iter().find(|(name, _)| name == stem) {
                Some((_, expected)) if *expected == got => {}
                Some((_, expected)) => problems.push(format!(
                    "{stem}: following the suggestions gives {got:?}, expected {expected:?} (errors now: {errors:?})"
                )),
                None => problems.push(format!(
                    "{stem}: has suggestions; following them gives {got:?} (errors now: {errors:?}). Read the fixed program in {} and add the case to EXPECTED, or restructure the expansion so rustc's suggestion is right or absent",
                    fixes_dir.join(format!("{stem}.rs")).display()
                )),
            }
        }
    }
    for (name, _) in EXPECTED {
        if !fixed.values().any(|(stem, _)| stem == name) {
            problems.push(format!(
                "{name}: listed in EXPECTED but its output has no applicable suggestion"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "suggestion harness:\n{}",
        problems.join("\n")
    );
}
