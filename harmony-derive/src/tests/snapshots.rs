//! Expansion snapshots: each example's and built-in score's macro use, expanded and
//! pretty-printed with prettyplease, checked in under `harmony-derive/snapshots/`.
//! `HARMONY_BLESS=1 cargo test -p harmony-derive snapshots` rewrites them after a reviewed change.

use std::path::PathBuf;

use super::{expand, invocations, sources};

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("snapshots")
}

fn pretty(tokens: proc_macro2::TokenStream) -> String {
    match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(e) => panic!("expansion is not valid Rust ({e}):\n{tokens}"),
    }
}

#[test]
fn expansions_match_snapshots() {
    let bless = std::env::var_os("HARMONY_BLESS").is_some();
    let mut checked = 0;
    let mut stale = Vec::new();
    for (name, source) in sources() {
        let calls = invocations(&source);
        if calls.is_empty() {
            continue;
        }
        let mut text = format!(
            "// Expansion of the macros in {name}. Generated: HARMONY_BLESS=1 to update.\n"
        );
        for (macro_name, tokens) in calls {
            let expanded = expand(macro_name, tokens);
            assert!(
                !expanded.to_string().contains("compile_error"),
                "{name}: {macro_name} reported an error on a real example:\n{expanded}"
            );
            text.push_str(&format!("\n// ---- {macro_name} ----\n"));
            text.push_str(&pretty(expanded));
        }
        let path = snapshot_dir().join(format!("{name}.rs"));
        checked += 1;
        if bless {
            std::fs::create_dir_all(snapshot_dir()).expect("snapshot dir");
            std::fs::write(&path, &text).expect("write snapshot");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        checked >= 5,
        "expected the examples and built-in scores to be snapshotted, found {checked}"
    );
    assert!(
        stale.is_empty(),
        "expansion changed (review, then run `HARMONY_BLESS=1 cargo test -p harmony-derive snapshots`): {stale:?}"
    );
}

#[test]
fn generated_plan_functions_are_a_flat_sequence_of_statements() {
    // One `let` per score: the plan function grows linearly, and no generated type grows with N.
    let source = r#"
        score! {
            fn big() -> Plan<Lab> {
                a = ConfigFile { path: "a", content: "1" };
                b = ConfigFile { path: "b", content: "2", after: [a] };
                c = ConfigFile { path: "c", content: "3", after: [b] };
            }
        }
    "#;
    let (_, tokens) = invocations(source).remove(0);
    let out = pretty(expand("score!", tokens));
    assert_eq!(out.matches("let a =").count(), 1);
    assert_eq!(out.matches(".build()").count(), 3);
    assert!(
        !out.contains("struct"),
        "a plan function declares no types:\n{out}"
    );
}
