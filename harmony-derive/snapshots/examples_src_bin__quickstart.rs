// Expansion of the macros in examples_src_bin__quickstart. Generated: HARMONY_BLESS=1 to update.

// ---- score! ----
/// A page, the server's configuration, and the server, started once both files are in place.
pub fn quickstart() -> ::harmony_dsl::Plan<Localhost> {
    let mut __harmony_plan = ::harmony_dsl::Plan::<Localhost>::new("quickstart");
    const _: () = ::harmony_dsl::__private::check_field(
        <ConfigFile as ::harmony_dsl::ScoreKind>::FIELDS,
        "path",
        ::harmony_dsl::__private::Literal::Str("site/index.html"),
    );
    const _: () = ::harmony_dsl::__private::check_field(
        <ConfigFile as ::harmony_dsl::ScoreKind>::FIELDS,
        "mode",
        ::harmony_dsl::__private::Literal::Int(420u128),
    );
    let site = __harmony_plan
        .add(
            "site",
            ConfigFile::builder::<Localhost>()
                .path(
                    ::harmony_dsl::__private::FromLiteral::from_literal(
                        ::harmony_dsl::__private::Literal::Str("site/index.html"),
                    ),
                )
                .content(page())
                .mode(
                    ::harmony_dsl::__private::FromLiteral::from_literal(
                        ::harmony_dsl::__private::Literal::Int(420u128),
                    ),
                )
                .build(),
            &[],
        );
    let _ = &site;
    const _: () = ::harmony_dsl::__private::check_field(
        <ConfigFile as ::harmony_dsl::ScoreKind>::FIELDS,
        "path",
        ::harmony_dsl::__private::Literal::Str("quickstart.toml"),
    );
    const _: () = ::harmony_dsl::__private::check_field(
        <ConfigFile as ::harmony_dsl::ScoreKind>::FIELDS,
        "mode",
        ::harmony_dsl::__private::Literal::Int(420u128),
    );
    let config = __harmony_plan
        .add(
            "config",
            ConfigFile::builder::<Localhost>()
                .path(
                    ::harmony_dsl::__private::FromLiteral::from_literal(
                        ::harmony_dsl::__private::Literal::Str("quickstart.toml"),
                    ),
                )
                .content(server_config())
                .mode(
                    ::harmony_dsl::__private::FromLiteral::from_literal(
                        ::harmony_dsl::__private::Literal::Int(420u128),
                    ),
                )
                .build(),
            &[],
        );
    let _ = &config;
    const _: () = ::harmony_dsl::__private::check_field(
        <LocalService as ::harmony_dsl::ScoreKind>::FIELDS,
        "health_path",
        ::harmony_dsl::__private::Literal::Str("/"),
    );
    const _: () = ::harmony_dsl::__private::check_field(
        <LocalService as ::harmony_dsl::ScoreKind>::FIELDS,
        "restart_on",
        ::harmony_dsl::__private::Literal::Str("quickstart.toml"),
    );
    const _: () = ::harmony_dsl::__private::check_field(
        <LocalService as ::harmony_dsl::ScoreKind>::FIELDS,
        "restart_on",
        ::harmony_dsl::__private::Literal::Str("site/index.html"),
    );
    let web = __harmony_plan
        .add(
            "web",
            LocalService::builder::<Localhost>()
                .command(serve_command())
                .port(port())
                .health_path(
                    ::harmony_dsl::__private::FromLiteral::from_literal(
                        ::harmony_dsl::__private::Literal::Str("/"),
                    ),
                )
                .restart_on(
                    ::std::vec![
                        ::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("quickstart.toml")),
                        ::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("site/index.html"))
                    ],
                )
                .build(),
            &[site.id(), config.id()],
        );
    let _ = &web;
    __harmony_plan
}
