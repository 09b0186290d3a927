// Expansion of the macros in examples_src_bin__three_sites. Generated: HARMONY_BLESS=1 to update.

// ---- score! ----
/// An application's configuration, on every site.
pub fn everywhere() -> ::harmony_dsl::Plan<Decentralized<Localhost>> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    const _: () = {
        let __harmony_field = __hp::field_check(
            <ConfigFile as __hp::ScoreKind>::FIELDS,
            "path",
        );
        if __harmony_field.bit & 280u32 == 0 {
            __hp::check_str(__harmony_field, 280u32, "app.toml");
        }
    };
    const _: () = {
        let __harmony_field = __hp::field_check(
            <ConfigFile as __hp::ScoreKind>::FIELDS,
            "content",
        );
        if __harmony_field.bit & 256u32 == 0 {
            __hp::check_str(__harmony_field, 256u32, "listen = 8080\n");
        }
    };
    let mut __harmony_plan = ::harmony_dsl::Plan::<
        Decentralized<Localhost>,
    >::new("everywhere");
    let app = __harmony_plan
        .add_on_every_site(
            "app",
            ConfigFile::builder::<Decentralized<Localhost>>()
                .path(__hp::str_literal("app.toml"))
                .content(__hp::str_literal("listen = 8080\n"))
                .build(),
            &[],
        );
    let _ = &app;
    __harmony_plan
}
