// Expansion of the macros in examples_src_bin__quickstart. Generated: HARMONY_BLESS=1 to update.

// ---- score! ----
/// A page, the server's configuration, and the server, started once both files are in place.
pub fn quickstart() -> ::harmony_dsl::Plan<Localhost> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    let mut __harmony_plan = ::harmony_dsl::Plan::<Localhost>::new("quickstart");
    const _: () = __hp::check_str(
        <ConfigFile as __hp::ScoreKind>::FIELDS,
        "path",
        272u32,
        "site/index.html",
    );
    const _: () = __hp::check_int(
        <ConfigFile as __hp::ScoreKind>::FIELDS,
        "mode",
        488484u32,
        420,
    );
    let site = __harmony_plan
        .add(
            "site",
            ConfigFile::builder::<Localhost>()
                .path(
                    __hp::FromLiteral::from_literal(
                        __hp::Literal::Str("site/index.html"),
                    ),
                )
                .content(page())
                .mode(__hp::FromLiteral::from_literal(__hp::Literal::Int(420u128)))
                .build(),
            &[],
        );
    let _ = &site;
    const _: () = __hp::check_str(
        <ConfigFile as __hp::ScoreKind>::FIELDS,
        "path",
        280u32,
        "quickstart.toml",
    );
    const _: () = __hp::check_int(
        <ConfigFile as __hp::ScoreKind>::FIELDS,
        "mode",
        488484u32,
        420,
    );
    let config = __harmony_plan
        .add(
            "config",
            ConfigFile::builder::<Localhost>()
                .path(
                    __hp::FromLiteral::from_literal(
                        __hp::Literal::Str("quickstart.toml"),
                    ),
                )
                .content(server_config())
                .mode(__hp::FromLiteral::from_literal(__hp::Literal::Int(420u128)))
                .build(),
            &[],
        );
    let _ = &config;
    const _: () = __hp::check_str(
        <LocalService as __hp::ScoreKind>::FIELDS,
        "health_path",
        256u32,
        "/",
    );
    const _: () = __hp::check_str(
        <LocalService as __hp::ScoreKind>::FIELDS,
        "restart_on",
        280u32,
        "quickstart.toml",
    );
    const _: () = __hp::check_str(
        <LocalService as __hp::ScoreKind>::FIELDS,
        "restart_on",
        272u32,
        "site/index.html",
    );
    let web = __harmony_plan
        .add(
            "web",
            LocalService::builder::<Localhost>()
                .command(serve_command())
                .port(port())
                .health_path(__hp::FromLiteral::from_literal(__hp::Literal::Str("/")))
                .restart_on(
                    ::std::vec![
                        __hp::FromLiteral::from_literal(__hp::Literal::Str("quickstart.toml")),
                        __hp::FromLiteral::from_literal(__hp::Literal::Str("site/index.html"))
                    ],
                )
                .build(),
            &[site.id(), config.id()],
        );
    let _ = &web;
    __harmony_plan
}
