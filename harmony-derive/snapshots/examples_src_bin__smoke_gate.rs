// Expansion of the macros in examples_src_bin__smoke_gate. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Score) ----
#[allow(dead_code)]
impl PageServed {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for PageServed {
    const KIND: &'static str = "PageServed";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "server",
            kind: <Endpoint<Http> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "url",
            kind: <Url as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "file",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
    ];
    fn smoke_tests(
        &self,
        ctx: &::harmony_dsl::ScoreContext<'_>,
    ) -> ::std::vec::Vec<::harmony_dsl::SmokeCheck> {
        <Self as ::harmony_dsl::SmokeTest>::smoke_tests(self, ctx)
    }
}
impl ::harmony_dsl::__private::serde::Serialize for PageServed {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "PageServed",
            3usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "server",
            &self.server,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "url",
            &self.url,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "file",
            &self.file,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for PageServed
where
    __T: ::harmony_dsl::Topology,
    dyn FileSystem: ::harmony_dsl::__private::ProvidedBy<__T, PageServed>,
{}
impl ::harmony_dsl::ScoreOutputs for PageServed {
    type Outputs = ::harmony_dsl::NoOutputs;
    fn outputs(
        &self,
        _ctx: &::harmony_dsl::ScoreContext<'_>,
    ) -> ::harmony_dsl::NoOutputs {
        ::harmony_dsl::NoOutputs
    }
}
///Builder of score [`PageServed`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct PageServedBuilder<__T, __Server, __Url, __File> {
    server: __Server,
    url: __Url,
    file: __File,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Server, __Url, __File)>,
}
#[allow(dead_code)]
impl PageServed {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> PageServedBuilder<
        __T,
        ::harmony_dsl::__private::Unset,
        ::harmony_dsl::__private::Unset,
        ::harmony_dsl::__private::Unset,
    > {
        PageServedBuilder {
            server: ::harmony_dsl::__private::Unset,
            url: ::harmony_dsl::__private::Unset,
            file: ::harmony_dsl::__private::Unset,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `server` of [`PageServed`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `PageServed` is missing required field `server`",
    label = "`server` is not set",
    note = "add `server: <value>` to this `PageServed`; it has no default"
)]
pub trait PageServedServerIsSet {
    #[doc(hidden)]
    fn __value(self) -> Endpoint<Http>;
}
impl PageServedServerIsSet for ::harmony_dsl::__private::Set<Endpoint<Http>> {
    fn __value(self) -> Endpoint<Http> {
        self.0
    }
}
///Typestate: field `url` of [`PageServed`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `PageServed` is missing required field `url`",
    label = "`url` is not set",
    note = "add `url: <value>` to this `PageServed`; it has no default"
)]
pub trait PageServedUrlIsSet {
    #[doc(hidden)]
    fn __value(self) -> Url;
}
impl PageServedUrlIsSet for ::harmony_dsl::__private::Set<Url> {
    fn __value(self) -> Url {
        self.0
    }
}
///Typestate: field `file` of [`PageServed`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `PageServed` is missing required field `file`",
    label = "`file` is not set",
    note = "add `file: <value>` to this `PageServed`; it has no default"
)]
pub trait PageServedFileIsSet {
    #[doc(hidden)]
    fn __value(self) -> String;
}
impl PageServedFileIsSet for ::harmony_dsl::__private::Set<String> {
    fn __value(self) -> String {
        self.0
    }
}
#[allow(dead_code)]
impl<
    __T,
    __Url,
    __File,
> PageServedBuilder<__T, ::harmony_dsl::__private::Unset, __Url, __File> {
    /// The server's address.
    ///
    ///Sets `server` (required).
    pub fn server(
        self,
        value: Endpoint<Http>,
    ) -> PageServedBuilder<
        __T,
        ::harmony_dsl::__private::Set<Endpoint<Http>>,
        __Url,
        __File,
    > {
        PageServedBuilder {
            server: ::harmony_dsl::__private::Set(value),
            url: self.url,
            file: self.file,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<
    __T,
    __Server,
    __File,
> PageServedBuilder<__T, __Server, ::harmony_dsl::__private::Unset, __File> {
    /// The page's URL.
    ///
    ///Sets `url` (required).
    pub fn url(
        self,
        value: Url,
    ) -> PageServedBuilder<__T, __Server, ::harmony_dsl::__private::Set<Url>, __File> {
        PageServedBuilder {
            url: ::harmony_dsl::__private::Set(value),
            server: self.server,
            file: self.file,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<
    __T,
    __Server,
    __Url,
> PageServedBuilder<__T, __Server, __Url, ::harmony_dsl::__private::Unset> {
    /// The page's file, relative to the project directory.
    ///
    ///Sets `file` (required).
    pub fn file(
        self,
        value: String,
    ) -> PageServedBuilder<__T, __Server, __Url, ::harmony_dsl::__private::Set<String>> {
        PageServedBuilder {
            file: ::harmony_dsl::__private::Set(value),
            server: self.server,
            url: self.url,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Server, __Url, __File> PageServedBuilder<__T, __Server, __Url, __File> {
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> PageServed
    where
        __Server: PageServedServerIsSet,
        __Url: PageServedUrlIsSet,
        __File: PageServedFileIsSet,
    {
        PageServed {
            server: PageServedServerIsSet::__value(self.server),
            url: PageServedUrlIsSet::__value(self.url),
            file: PageServedFileIsSet::__value(self.file),
        }
    }
}
/**Fields of this score, as written in `score!`:

- `server: Endpoint<Http>` (required): The server's address.
- `url: Url` (required): The page's URL.
- `file: String` (required): The page's file, relative to the project directory.*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! PageServed_score_9426dc49 {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! { "PageServed server! url! file!"
        $($input)* }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use PageServed_score_9426dc49 as PageServed;

// ---- score! ----
/// A page and its server; `published.txt` is written only once the page is served.
pub fn gated() -> ::harmony_dsl::Plan<Localhost> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    let mut __harmony_plan = ::harmony_dsl::Plan::<Localhost>::new("gated");
    let page = ConfigFile! {
        [ConfigFile] [const _ : () = { let __harmony_field = __hp::field_check(<
        ConfigFile as __hp::ScoreKind > ::FIELDS, "path"); if __harmony_field.bit &
        272u32 == 0 { __hp::check_str(__harmony_field, 272u32, "gate-site/index.html");
        __hp::check_str(__harmony_field, 280u32, "gate.toml");
        __hp::check_str(__harmony_field, 280u32, "published.txt"); } }; const _ : () = {
        let __harmony_field = __hp::field_check(< ConfigFile as __hp::ScoreKind >
        ::FIELDS, "content"); if __harmony_field.bit & 256u32 == 0 {
        __hp::check_str(__harmony_field, 256u32, "<h1>Hello</h1>\n");
        __hp::check_str(__harmony_field, 256u32, "live\n"); } };]
        [::harmony_dsl::Plan::add:: < ConfigFile >] [& mut __harmony_plan, "page"] [& []]
        [ConfigFile::builder:: < Localhost > ()] [([path]
        [.path(__hp::str_literal("gate-site/index.html"))]) ([content]
        [.content(__hp::str_literal("<h1>Hello</h1>\n"))])] [.build()]
    };
    let _ = &page;
    let config = ConfigFile! {
        [ConfigFile] [] [::harmony_dsl::Plan::add:: < ConfigFile >] [& mut
        __harmony_plan, "config"] [& []] [ConfigFile::builder:: < Localhost > ()]
        [([path] [.path(__hp::str_literal("gate.toml"))]) ([content]
        [.content(server_config())])] [.build()]
    };
    let _ = &config;
    let web = LocalService! {
        [LocalService] [const _ : () = { let __harmony_field = __hp::field_check(<
        LocalService as __hp::ScoreKind > ::FIELDS, "restart_on"); if __harmony_field.bit
        & 280u32 == 0 { __hp::check_str(__harmony_field, 280u32, "gate.toml"); } };]
        [::harmony_dsl::Plan::add:: < LocalService >] [& mut __harmony_plan, "web"] [&
        [page.id(), config.id()]] [LocalService::builder:: < Localhost > ()] [([command]
        [.command(serve_command())]) ([port] [.port(port())]) ([restart_on]
        [.restart_on(::std::vec![__hp::str_literal("gate.toml")])])] [.build()]
    };
    let _ = &web;
    let served = PageServed! {
        [PageServed] [const _ : () = { let __harmony_field = __hp::field_check(<
        PageServed as __hp::ScoreKind > ::FIELDS, "file"); if __harmony_field.bit &
        272u32 == 0 { __hp::check_str(__harmony_field, 272u32, "gate-site/index.html"); }
        };] [::harmony_dsl::Plan::add:: < PageServed >] [& mut __harmony_plan, "served"]
        [& [web.id()]] [PageServed::builder:: < Localhost > ()] [([server]
        [.server(server())]) ([url] [.url(page_url())]) ([file]
        [.file(__hp::str_literal("gate-site/index.html"))])] [.build()]
    };
    let _ = &served;
    let published = ConfigFile! {
        [ConfigFile] [] [::harmony_dsl::Plan::add:: < ConfigFile >] [& mut
        __harmony_plan, "published"] [& [served.id()]] [ConfigFile::builder:: < Localhost
        > ()] [([path] [.path(__hp::str_literal("published.txt"))]) ([content]
        [.content(__hp::str_literal("live\n"))])] [.build()]
    };
    let _ = &published;
    __harmony_plan
}
