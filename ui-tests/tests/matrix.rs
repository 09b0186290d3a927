//! `MATRIX.md` (every macro input position against each class of mistake) names the compile-fail
//! case that covers each cell: every case it names must exist, and every compile-fail case must be
//! named in it, so that the matrix cannot go stale.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `fail/NAME.rs` references of the matrix.
fn referenced(matrix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for part in matrix.split("`fail/").skip(1) {
        if let Some(end) = part.find(".rs`") {
            names.insert(part[..end].to_string());
        }
    }
    names
}

#[test]
fn every_matrix_cell_names_an_existing_case_and_every_case_is_in_the_matrix() {
    let matrix = std::fs::read_to_string(manifest_dir().join("MATRIX.md")).expect("MATRIX.md");
    let named = referenced(&matrix);
    let dir = manifest_dir().join("tests/ui/fail");
    let cases: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("tests/ui/fail")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter_map(|p| Some(p.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    let missing: Vec<_> = named.difference(&cases).collect();
    assert!(
        missing.is_empty(),
        "MATRIX.md names cases that do not exist: {missing:?}"
    );
    let unlisted: Vec<_> = cases.difference(&named).collect();
    assert!(
        unlisted.is_empty(),
        "compile-fail cases missing from MATRIX.md: {unlisted:?}"
    );
}
