// Expansion of the macros in examples_src_bin__failover_pair. Generated: HARMONY_BLESS=1 to update.

// ---- score! ----
/// An application's configuration, on both sides of the pair.
pub fn paired() -> ::harmony_dsl::Plan<Failover<Localhost>> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    let mut __harmony_plan = ::harmony_dsl::Plan::<Failover<Localhost>>::new("paired");
    let conf = Directory! {
        [Directory] [const _ : () = { let __harmony_field = __hp::field_check(< Directory
        as __hp::ScoreKind > ::FIELDS, "path"); if __harmony_field.bit & 280u32 == 0 {
        __hp::check_str(__harmony_field, 280u32, "conf"); } };]
        [::harmony_dsl::Plan::add_on_both_sides:: < Directory >] [& mut __harmony_plan,
        "conf"] [& []] [Directory::builder:: < Failover < Localhost > > ()] [([path]
        [.path(__hp::str_literal("conf"))])] [.build()]
    };
    let _ = &conf;
    let app = ConfigFile! {
        [ConfigFile] [const _ : () = { let __harmony_field = __hp::field_check(<
        ConfigFile as __hp::ScoreKind > ::FIELDS, "path"); if __harmony_field.bit &
        272u32 == 0 { __hp::check_str(__harmony_field, 272u32, "conf/app.toml"); } };
        const _ : () = { let __harmony_field = __hp::field_check(< ConfigFile as
        __hp::ScoreKind > ::FIELDS, "content"); if __harmony_field.bit & 256u32 == 0 {
        __hp::check_str(__harmony_field, 256u32, "listen = 8080\n"); } };]
        [::harmony_dsl::Plan::add_on_both_sides:: < ConfigFile >] [& mut __harmony_plan,
        "app"] [& [conf.id()]] [ConfigFile::builder:: < Failover < Localhost > > ()]
        [([path] [.path(__hp::str_literal("conf/app.toml"))]) ([content]
        [.content(__hp::str_literal("listen = 8080\n"))])] [.build()]
    };
    let _ = &app;
    __harmony_plan
}
