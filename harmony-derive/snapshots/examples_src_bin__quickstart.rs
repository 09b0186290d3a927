// Expansion of the macros in examples_src_bin__quickstart. Generated: HARMONY_BLESS=1 to update.

// ---- score! ----
/// A page, the server's configuration, and the server, started once both files are in place.
pub fn quickstart() -> ::harmony_dsl::Plan<Localhost> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    const _: () = {
        let __harmony_field = __hp::field_check(
            <ConfigFile as __hp::ScoreKind>::FIELDS,
            "path",
        );
        if __harmony_field.bit & 272u32 == 0 {
            __hp::check_str(__harmony_field, 272u32, "site/index.html");
            __hp::check_str(__harmony_field, 280u32, "quickstart.toml");
        }
    };
    const _: () = {
        let __harmony_field = __hp::field_check(
            <ConfigFile as __hp::ScoreKind>::FIELDS,
            "mode",
        );
        if __harmony_field.bit & 488484u32 == 0 {
            __hp::check_int(__harmony_field, 488484u32, 420);
            __hp::check_int(__harmony_field, 488484u32, 420);
        }
    };
    const _: () = {
        let __harmony_field = __hp::field_check(
            <LocalService as __hp::ScoreKind>::FIELDS,
            "health_path",
        );
        if __harmony_field.bit & 256u32 == 0 {
            __hp::check_str(__harmony_field, 256u32, "/");
        }
    };
    const _: () = {
        let __harmony_field = __hp::field_check(
            <LocalService as __hp::ScoreKind>::FIELDS,
            "restart_on",
        );
        if __harmony_field.bit & 272u32 == 0 {
            __hp::check_str(__harmony_field, 280u32, "quickstart.toml");
            __hp::check_str(__harmony_field, 272u32, "site/index.html");
        }
    };
    const _: () = __hp::port_clash(
        &[(__hp::claim::<ConfigFile>("mode"), 2usize)],
        false,
        "port 420 on this machine is claimed by more than one score (`site` and `config`): give each score its own port",
    );
    let mut __harmony_plan = ::harmony_dsl::Plan::<Localhost>::new("quickstart");
    let site = __harmony_plan
        .add(
            "site",
            ConfigFile::builder::<Localhost>()
                .path(__hp::str_literal("site/index.html"))
                .content(page())
                .mode(__hp::int_literal(420))
                .build(),
            &[],
        );
    let _ = &site;
    let config = __harmony_plan
        .add(
            "config",
            ConfigFile::builder::<Localhost>()
                .path(__hp::str_literal("quickstart.toml"))
                .content(server_config())
                .mode(__hp::int_literal(420))
                .build(),
            &[],
        );
    let _ = &config;
    let web = __harmony_plan
        .add(
            "web",
            LocalService::builder::<Localhost>()
                .command(serve_command())
                .port(port())
                .health_path(__hp::str_literal("/"))
                .restart_on(
                    ::std::vec![
                        __hp::str_literal("quickstart.toml"),
                        __hp::str_literal("site/index.html")
                    ],
                )
                .build(),
            &[site.id(), config.id()],
        );
    let _ = &web;
    __harmony_plan
}
