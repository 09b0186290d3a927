// Expansion of the macros in harmony-dsl_src_scores__local. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Score) ----
#[allow(dead_code)]
impl ConfigFile {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for ConfigFile {
    const KIND: &'static str = "ConfigFile";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "path",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "content",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "mode",
            kind: <Option<u32> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
}
impl ::harmony_dsl::__private::serde::Serialize for ConfigFile {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "ConfigFile",
            3usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "path",
            &self.path,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "content",
            &self.content,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "mode",
            &self.mode,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for ConfigFile
where
    __T: ::harmony_dsl::Topology,
    dyn FileSystem: ::harmony_dsl::__private::ProvidedBy<__T, ConfigFile>,
{}
impl ::harmony_dsl::ScoreOutputs for ConfigFile {
    type Outputs = ::harmony_dsl::NoOutputs;
    fn outputs(
        &self,
        _ctx: &::harmony_dsl::ScoreContext<'_>,
    ) -> ::harmony_dsl::NoOutputs {
        ::harmony_dsl::NoOutputs
    }
}
///Builder of score [`ConfigFile`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct ConfigFileBuilder<__T, __Path, __Content> {
    path: __Path,
    content: __Content,
    mode: Option<u32>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Path, __Content)>,
}
#[allow(dead_code)]
impl ConfigFile {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> ConfigFileBuilder<
        __T,
        ::harmony_dsl::__private::Unset,
        ::harmony_dsl::__private::Unset,
    > {
        ConfigFileBuilder {
            path: ::harmony_dsl::__private::Unset,
            content: ::harmony_dsl::__private::Unset,
            mode: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `path` of [`ConfigFile`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `ConfigFile` is missing required field `path`",
    label = "`path` is not set",
    note = "add `path: <value>` to this `ConfigFile`; it has no default"
)]
pub trait ConfigFilePathIsSet {
    #[doc(hidden)]
    fn __value(self) -> String;
}
impl ConfigFilePathIsSet for ::harmony_dsl::__private::Set<String> {
    fn __value(self) -> String {
        self.0
    }
}
///Typestate: field `content` of [`ConfigFile`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `ConfigFile` is missing required field `content`",
    label = "`content` is not set",
    note = "add `content: <value>` to this `ConfigFile`; it has no default"
)]
pub trait ConfigFileContentIsSet {
    #[doc(hidden)]
    fn __value(self) -> String;
}
impl ConfigFileContentIsSet for ::harmony_dsl::__private::Set<String> {
    fn __value(self) -> String {
        self.0
    }
}
#[allow(dead_code)]
impl<__T, __Content> ConfigFileBuilder<__T, ::harmony_dsl::__private::Unset, __Content> {
    /// Path, relative to the project directory or absolute.
    ///
    ///Sets `path` (required).
    pub fn path(
        self,
        value: String,
    ) -> ConfigFileBuilder<__T, ::harmony_dsl::__private::Set<String>, __Content> {
        ConfigFileBuilder {
            path: ::harmony_dsl::__private::Set(value),
            content: self.content,
            mode: self.mode,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Path> ConfigFileBuilder<__T, __Path, ::harmony_dsl::__private::Unset> {
    /// Content.
    ///
    ///Sets `content` (required).
    pub fn content(
        self,
        value: String,
    ) -> ConfigFileBuilder<__T, __Path, ::harmony_dsl::__private::Set<String>> {
        ConfigFileBuilder {
            content: ::harmony_dsl::__private::Set(value),
            path: self.path,
            mode: self.mode,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Path, __Content> ConfigFileBuilder<__T, __Path, __Content> {
    /// Unix permission bits, e.g. `0o644`.
    ///
    ///Sets `mode` (optional).
    pub fn mode(mut self, value: u32) -> Self {
        self.mode = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> ConfigFile
    where
        __Path: ConfigFilePathIsSet,
        __Content: ConfigFileContentIsSet,
    {
        ConfigFile {
            path: ConfigFilePathIsSet::__value(self.path),
            content: ConfigFileContentIsSet::__value(self.content),
            mode: self.mode,
        }
    }
}
/**Fields of this score, as written in `score!`:

- `path: String` (required): Path, relative to the project directory or absolute.
- `content: String` (required): Content.
- `mode: Option<u32>` (optional): Unix permission bits, e.g. `0o644`.*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! ConfigFile_score_2e2c6eea {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! { "ConfigFile path! content! mode"
        $($input)* }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use ConfigFile_score_2e2c6eea as ConfigFile;

// ---- derive(Score) ----
#[allow(dead_code)]
impl Directory {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for Directory {
    const KIND: &'static str = "Directory";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "path",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
    ];
}
impl ::harmony_dsl::__private::serde::Serialize for Directory {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "Directory",
            1usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "path",
            &self.path,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for Directory
where
    __T: ::harmony_dsl::Topology,
    dyn FileSystem: ::harmony_dsl::__private::ProvidedBy<__T, Directory>,
{}
impl ::harmony_dsl::ScoreOutputs for Directory {
    type Outputs = ::harmony_dsl::NoOutputs;
    fn outputs(
        &self,
        _ctx: &::harmony_dsl::ScoreContext<'_>,
    ) -> ::harmony_dsl::NoOutputs {
        ::harmony_dsl::NoOutputs
    }
}
///Builder of score [`Directory`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct DirectoryBuilder<__T, __Path> {
    path: __Path,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Path)>,
}
#[allow(dead_code)]
impl Directory {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> DirectoryBuilder<__T, ::harmony_dsl::__private::Unset> {
        DirectoryBuilder {
            path: ::harmony_dsl::__private::Unset,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `path` of [`Directory`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `Directory` is missing required field `path`",
    label = "`path` is not set",
    note = "add `path: <value>` to this `Directory`; it has no default"
)]
pub trait DirectoryPathIsSet {
    #[doc(hidden)]
    fn __value(self) -> String;
}
impl DirectoryPathIsSet for ::harmony_dsl::__private::Set<String> {
    fn __value(self) -> String {
        self.0
    }
}
#[allow(dead_code)]
impl<__T> DirectoryBuilder<__T, ::harmony_dsl::__private::Unset> {
    /// Path, relative to the project directory or absolute.
    ///
    ///Sets `path` (required).
    pub fn path(
        self,
        value: String,
    ) -> DirectoryBuilder<__T, ::harmony_dsl::__private::Set<String>> {
        DirectoryBuilder {
            path: ::harmony_dsl::__private::Set(value),
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Path> DirectoryBuilder<__T, __Path> {
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> Directory
    where
        __Path: DirectoryPathIsSet,
    {
        Directory {
            path: DirectoryPathIsSet::__value(self.path),
        }
    }
}
/**Fields of this score, as written in `score!`:

- `path: String` (required): Path, relative to the project directory or absolute.*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! Directory_score_3ae1101f {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! { "Directory path!" $($input)* }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use Directory_score_3ae1101f as Directory;

// ---- derive(Score) ----
#[allow(dead_code)]
impl LocalService {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for LocalService {
    const KIND: &'static str = "LocalService";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "command",
            kind: <Vec<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "port",
            kind: <Port as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "health_path",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "health_timeout",
            kind: <Duration as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "restart_on",
            kind: <Vec<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "env",
            kind: <Vec<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "secret_env",
            kind: <Vec<
                (String, SecretRef),
            > as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
    const ON_THIS_MACHINE: bool = true;
}
impl ::harmony_dsl::__private::serde::Serialize for LocalService {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "LocalService",
            7usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "command",
            &self.command,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "port",
            &self.port,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "health_path",
            &self.health_path,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "health_timeout",
            &self.health_timeout,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "restart_on",
            &self.restart_on,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "env",
            &self.env,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "secret_env",
            &self.secret_env,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for LocalService
where
    __T: ::harmony_dsl::Topology,
    dyn ProcessSupervisor: ::harmony_dsl::__private::ProvidedBy<__T, LocalService>,
{}
impl ::harmony_dsl::ScoreOutputs for LocalService {
    type Outputs = ::harmony_dsl::NoOutputs;
    fn outputs(
        &self,
        _ctx: &::harmony_dsl::ScoreContext<'_>,
    ) -> ::harmony_dsl::NoOutputs {
        ::harmony_dsl::NoOutputs
    }
}
///Builder of score [`LocalService`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct LocalServiceBuilder<__T, __Port> {
    command: Vec<String>,
    port: __Port,
    health_path: Option<String>,
    health_timeout: ::core::option::Option<Duration>,
    restart_on: Vec<String>,
    env: Vec<String>,
    secret_env: Vec<(String, SecretRef)>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Port)>,
}
#[allow(dead_code)]
impl LocalService {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> LocalServiceBuilder<__T, ::harmony_dsl::__private::Unset> {
        LocalServiceBuilder {
            command: ::std::vec::Vec::new(),
            port: ::harmony_dsl::__private::Unset,
            health_path: ::core::option::Option::None,
            health_timeout: ::core::option::Option::None,
            restart_on: ::std::vec::Vec::new(),
            env: ::std::vec::Vec::new(),
            secret_env: ::std::vec::Vec::new(),
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `port` of [`LocalService`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `LocalService` is missing required field `port`",
    label = "`port` is not set",
    note = "add `port: <value>` to this `LocalService`; it has no default"
)]
pub trait LocalServicePortIsSet {
    #[doc(hidden)]
    fn __value(self) -> Port;
}
impl LocalServicePortIsSet for ::harmony_dsl::__private::Set<Port> {
    fn __value(self) -> Port {
        self.0
    }
}
#[allow(dead_code)]
impl<__T> LocalServiceBuilder<__T, ::harmony_dsl::__private::Unset> {
    /// Port it listens on (on 127.0.0.1).
    ///
    ///Sets `port` (required).
    pub fn port(
        self,
        value: Port,
    ) -> LocalServiceBuilder<__T, ::harmony_dsl::__private::Set<Port>> {
        LocalServiceBuilder {
            port: ::harmony_dsl::__private::Set(value),
            command: self.command,
            health_path: self.health_path,
            health_timeout: self.health_timeout,
            restart_on: self.restart_on,
            env: self.env,
            secret_env: self.secret_env,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Port> LocalServiceBuilder<__T, __Port> {
    /// Program and arguments.
    ///
    ///Sets `command` (optional, empty by default).
    pub fn command(mut self, value: Vec<String>) -> Self {
        self.command = value;
        self
    }
    /// HTTP path to probe, e.g. `/`; TCP connect when unset.
    ///
    ///Sets `health_path` (optional).
    pub fn health_path(mut self, value: String) -> Self {
        self.health_path = ::core::option::Option::Some(value);
        self
    }
    /// How long the health check may take.
    ///
    ///Sets `health_timeout` (has a default).
    pub fn health_timeout(mut self, value: Duration) -> Self {
        self.health_timeout = ::core::option::Option::Some(value);
        self
    }
    /// Files whose change restarts the process.
    ///
    ///Sets `restart_on` (optional, empty by default).
    pub fn restart_on(mut self, value: Vec<String>) -> Self {
        self.restart_on = value;
        self
    }
    /// Environment variables (`NAME=value`). With `secret_env`, the process's whole environment
    /// besides `PATH` (a fixed value unless declared) and Harmony's `HARMONY_SUPERVISED` marker:
    /// nothing of the operator's environment (tokens, `HARMONY_CONFIG_*`) reaches it.
    ///
    ///Sets `env` (optional, empty by default).
    pub fn env(mut self, value: Vec<String>) -> Self {
        self.env = value;
        self
    }
    /// Environment variables holding secrets from configuration (`(name, reference)`), read from
    /// their source when the process is started: `secret_env: { vec![("DB_PASSWORD".into(),
    /// config.db_password.clone())] }`.
    ///
    ///Sets `secret_env` (optional, empty by default).
    pub fn secret_env(mut self, value: Vec<(String, SecretRef)>) -> Self {
        self.secret_env = value;
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> LocalService
    where
        __Port: LocalServicePortIsSet,
    {
        LocalService {
            command: self.command,
            port: LocalServicePortIsSet::__value(self.port),
            health_path: self.health_path,
            health_timeout: self
                .health_timeout
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Str("10s"),
                )),
            restart_on: self.restart_on,
            env: self.env,
            secret_env: self.secret_env,
        }
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    <Duration as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Str("10s"),
);
/**Fields of this score, as written in `score!`:

- `command: Vec<String>` (optional): Program and arguments.
- `port: Port` (required): Port it listens on (on 127.0.0.1).
- `health_path: Option<String>` (optional): HTTP path to probe, e.g. `/`; TCP connect when unset.
- `health_timeout: Duration` (default `"10s"`): How long the health check may take.
- `restart_on: Vec<String>` (optional): Files whose change restarts the process.
- `env: Vec<String>` (optional): Environment variables (`NAME=value`). With `secret_env`, the process's whole environment besides `PATH` (a fixed value unless declared) and Harmony's `HARMONY_SUPERVISED` marker: nothing of the operator's environment (tokens, `HARMONY_CONFIG_*`) reaches it.
- `secret_env: Vec<(String, SecretRef)>` (optional): Environment variables holding secrets from configuration (`(name, reference)`), read from their source when the process is started: `secret_env: { vec![("DB_PASSWORD".into(), config.db_password.clone())] }`.*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! LocalService_score_f8889a11 {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! {
        "LocalService command port! health_path health_timeout restart_on env secret_env"
        $($input)* }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use LocalService_score_f8889a11 as LocalService;
