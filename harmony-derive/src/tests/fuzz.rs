//! Property tests: no input, however malformed, panics an expansion function, and input the
//! grammar rejects always yields a `compile_error!` while the output stays valid Rust.

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use proptest::prelude::*;

use super::{EXPANDERS, expand, invocations, sources};

fn leaf() -> impl Strategy<Value = TokenTree> {
    prop_oneof![
        prop::sample::select(vec![
            "nuc",
            "pi1",
            "hosts",
            "capabilities",
            "arch",
            "x86_64",
            "address",
            "labels",
            "fn",
            "pub",
            "Plan",
            "K8sCluster",
            "Kube",
            "WebApp",
            "db",
            "endpoint",
            "after",
            "r#type",
            "struct",
            "_",
            "self",
        ])
        .prop_map(|s| match s.strip_prefix("r#") {
            Some(raw) => TokenTree::Ident(Ident::new_raw(raw, Span::call_site())),
            None => TokenTree::Ident(Ident::new(s, Span::call_site())),
        }),
        prop::sample::select(vec![
            '=', '>', ':', ',', ';', '.', '-', '#', '<', '!', '&', '/'
        ])
        .prop_map(|c| TokenTree::Punct(Punct::new(c, Spacing::Alone))),
        any::<u32>().prop_map(|n| TokenTree::Literal(Literal::u32_unsuffixed(n))),
        "[a-zA-Z0-9./:@-]{0,12}".prop_map(|s| TokenTree::Literal(Literal::string(&s))),
        any::<f32>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| TokenTree::Literal(Literal::f32_unsuffixed(f.abs()))),
    ]
}

fn tokens() -> impl Strategy<Value = TokenStream> {
    let tree = leaf().prop_recursive(4, 48, 8, |inner| {
        (
            prop::collection::vec(inner, 0..8),
            prop::sample::select(vec![
                Delimiter::Brace,
                Delimiter::Bracket,
                Delimiter::Parenthesis,
            ]),
        )
            .prop_map(|(items, delim)| {
                TokenTree::Group(Group::new(delim, items.into_iter().collect()))
            })
    });
    prop::collection::vec(tree, 0..24).prop_map(|v| v.into_iter().collect())
}

/// Expands without panicking and returns valid Rust; returns whether it reported an error.
fn check(name: &str, input: TokenStream) -> Result<bool, TestCaseError> {
    let shown = input.to_string();
    let output = std::panic::catch_unwind(|| expand(name, input))
        .map_err(|_| TestCaseError::fail(format!("{name} panicked on: {shown}")))?;
    syn::parse2::<syn::File>(output.clone()).map_err(|e| {
        TestCaseError::fail(format!(
            "{name} produced invalid Rust ({e}) for: {shown}\n{output}"
        ))
    })?;
    Ok(output.to_string().contains("compile_error"))
}

/// Real inputs: every macro use in the examples and built-in scores.
fn corpus() -> Vec<(&'static str, Vec<TokenTree>)> {
    sources()
        .iter()
        .flat_map(|(_, src)| invocations(src))
        .map(|(name, tokens)| (name, tokens.into_iter().collect()))
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Replace(usize, TokenTree),
    Insert(usize, TokenTree),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (any::<usize>(), leaf()).prop_map(|(i, t)| Mutation::Replace(i, t)),
        (any::<usize>(), leaf()).prop_map(|(i, t)| Mutation::Insert(i, t)),
    ]
}

/// Applies a mutation at some depth: indices pick a token among all flattened positions.
fn mutate(tokens: Vec<TokenTree>, m: &Mutation, depth_choice: usize) -> Vec<TokenTree> {
    if tokens.is_empty() {
        return tokens;
    }
    let n = tokens.len();
    // Descend into a group half of the time so deep positions are mutated too.
    let groups: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(t, TokenTree::Group(_)))
        .map(|(i, _)| i)
        .collect();
    if depth_choice % 2 == 1 && !groups.is_empty() {
        let gi = groups[depth_choice / 2 % groups.len()];
        let mut tokens = tokens;
        if let TokenTree::Group(g) = &tokens[gi] {
            let inner = mutate(g.stream().into_iter().collect(), m, depth_choice / 2);
            let mut new = Group::new(g.delimiter(), inner.into_iter().collect());
            new.set_span(g.span());
            tokens[gi] = TokenTree::Group(new);
        }
        return tokens;
    }
    let mut tokens = tokens;
    match m {
        Mutation::Delete(i) => {
            tokens.remove(i % n);
        }
        Mutation::Duplicate(i) => {
            let t = tokens[i % n].clone();
            tokens.insert(i % n, t);
        }
        Mutation::Swap(a, b) => tokens.swap(a % n, b % n),
        Mutation::Replace(i, t) => tokens[i % n] = t.clone(),
        Mutation::Insert(i, t) => tokens.insert(i % (n + 1), t.clone()),
    }
    tokens
}

/// Cases per property: 256, or `HARMONY_FUZZ_CASES` (e.g. 10000 for a long run).
fn fuzz_cases() -> u32 {
    std::env::var("HARMONY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_tokens_never_panic_and_are_rejected_with_an_error(input in tokens()) {
        for (name, _) in EXPANDERS {
            let reported = check(name, input.clone())?;
            // Random tokens are never valid (not even none: an empty `score!` is an error too).
            prop_assert!(reported, "{} accepted random input without an error: {}", name, input);
        }
    }

    #[test]
    fn mutated_real_inputs_never_panic(index in any::<usize>(), mutations in prop::collection::vec((mutation(), any::<usize>()), 1..4)) {
        let corpus = corpus();
        prop_assume!(!corpus.is_empty());
        let (name, tokens) = &corpus[index % corpus.len()];
        let mut tokens = tokens.clone();
        for (m, depth) in &mutations {
            tokens = mutate(tokens, m, *depth);
        }
        check(name, tokens.into_iter().collect())?;
    }
}

#[test]
fn the_corpus_is_not_empty_and_expands_cleanly() {
    let corpus = corpus();
    assert!(
        corpus.len() >= 8,
        "examples and built-in scores give the fuzzer its seeds: {}",
        corpus.len()
    );
    for (name, tokens) in corpus {
        let input: TokenStream = tokens.into_iter().collect();
        assert!(
            !check(name, input).expect("no panic"),
            "{name} reported an error on a real input"
        );
    }
}

#[test]
fn raw_identifiers_never_panic() {
    let cases = [
        (
            "topology!",
            "pub r#Type { hosts { r#fn { arch: x86_64, labels: [r#gpu] } } capabilities { r#K8sCluster => r#Kube { r#on: r#fn } } }",
        ),
        (
            "score!",
            "fn r#shop() -> Plan<r#Lab> { r#db = r#Postgres { r#place: r#nuc }; r#web = WebApp { database: r#db.r#endpoint, after: [r#db] }; }",
        ),
        (
            "derive(Score)",
            "#[score(requires(r#K8sCluster), outputs(r#url: Endpoint<Http>))] pub struct r#Foo { r#type: u16, #[score(default = 3)] r#port: Port }",
        ),
        ("derive(Provider)", "pub struct r#Bar { r#type: String }"),
        ("capability!", "r#Cap(r#ProvidesCap) manages r#Thing"),
    ];
    for (name, input) in cases {
        let tokens: TokenStream = input.parse().expect("tokens");
        check(name, tokens).expect("no panic");
    }
}

/// Found by `mutated_real_inputs_never_panic`: a plan function argument whose type is cut off
/// (`config: &`) is reported, and not echoed into the generated signature.
#[test]
fn unparsable_plan_argument_is_reported() {
    let input: TokenStream =
        "pub fn shop(config: &) -> Plan<Lab> { db = Postgres { version: 16 }; }"
            .parse()
            .expect("tokens");
    assert!(check("score!", input).expect("no panic, valid Rust"));
}
