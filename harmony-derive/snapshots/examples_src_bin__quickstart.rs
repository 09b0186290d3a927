// Expansion of the macros in examples_src_bin__quickstart. Generated: HARMONY_BLESS=1 to update.

// ---- score! ----
/// A page, the server's configuration, and the server, started once both files are in place.
pub fn quickstart() -> ::harmony_dsl::Plan<Localhost> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    const __HARMONY_FIELD_0: __hp::FieldCheck = __hp::field_check(
        <ConfigFile as __hp::ScoreKind>::FIELDS,
        "path",
    );
    const __HARMONY_FIELD_1: __hp::FieldCheck = __hp::field_check(
        <ConfigFile as __hp::ScoreKind>::FIELDS,
        "mode",
    );
    const __HARMONY_FIELD_2: __hp::FieldCheck = __hp::field_check(
        <LocalService as __hp::ScoreKind>::FIELDS,
        "health_path",
    );
    const __HARMONY_FIELD_3: __hp::FieldCheck = __hp::field_check(
        <LocalService as __hp::ScoreKind>::FIELDS,
        "restart_on",
    );
    let mut __harmony_plan = ::harmony_dsl::Plan::<Localhost>::new("quickstart");
    const _: () = if __HARMONY_FIELD_0.bit & 272u32 == 0 {
        __hp::invalid_str(__HARMONY_FIELD_0, "site/index.html")
    };
    const _: () = if __HARMONY_FIELD_1.bit & 488484u32 == 0 {
        __hp::invalid_int(__HARMONY_FIELD_1, 420)
    };
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
    const _: () = if __HARMONY_FIELD_0.bit & 280u32 == 0 {
        __hp::invalid_str(__HARMONY_FIELD_0, "quickstart.toml")
    };
    const _: () = if __HARMONY_FIELD_1.bit & 488484u32 == 0 {
        __hp::invalid_int(__HARMONY_FIELD_1, 420)
    };
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
    const _: () = if __HARMONY_FIELD_2.bit & 256u32 == 0 {
        __hp::invalid_str(__HARMONY_FIELD_2, "/")
    };
    const _: () = if __HARMONY_FIELD_3.bit & 280u32 == 0 {
        __hp::invalid_str(__HARMONY_FIELD_3, "quickstart.toml")
    };
    const _: () = if __HARMONY_FIELD_3.bit & 272u32 == 0 {
        __hp::invalid_str(__HARMONY_FIELD_3, "site/index.html")
    };
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
