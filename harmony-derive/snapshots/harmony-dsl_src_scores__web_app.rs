// Expansion of the macros in harmony-dsl_src_scores__web_app. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Score) ----
#[allow(dead_code)]
impl WebApp {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for WebApp {
    const KIND: &'static str = "WebApp";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "image",
            kind: <ImageRef as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "replicas",
            kind: <u16 as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "port",
            kind: <Port as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "database",
            kind: <Option<
                Endpoint<Postgres>,
            > as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "dns",
            kind: <Option<DomainName> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "namespace",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "ingress",
            kind: <Option<DomainName> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "ingress_path",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "tls_secret",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "config",
            kind: <BTreeMap<
                String,
                String,
            > as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "secrets",
            kind: <BTreeMap<
                String,
                Secret<String>,
            > as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
}
impl ::harmony_dsl::__private::serde::Serialize for WebApp {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "WebApp",
            11usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "image",
            &self.image,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "replicas",
            &self.replicas,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "port",
            &self.port,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "database",
            &self.database,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "dns",
            &self.dns,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "namespace",
            &self.namespace,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "ingress",
            &self.ingress,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "ingress_path",
            &self.ingress_path,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "tls_secret",
            &self.tls_secret,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "config",
            &self.config,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "secrets",
            &self.secrets,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for WebApp
where
    __T: ::harmony_dsl::Topology,
    dyn K8sCluster: ::harmony_dsl::__private::ProvidedBy<__T, WebApp>,
    dyn LoadBalancer: ::harmony_dsl::__private::ProvidedBy<__T, WebApp>,
{}
///Typed outputs of score [`WebApp`], for wiring (`database: db.endpoint`).
#[derive(Debug, Clone)]
pub struct WebAppOutputs {
    ///Output `url`.
    pub url: Endpoint<Http>,
}
///Builder of score [`WebApp`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct WebAppBuilder<__T, __Image> {
    image: __Image,
    replicas: ::core::option::Option<u16>,
    port: ::core::option::Option<Port>,
    database: Option<Endpoint<Postgres>>,
    dns: Option<DomainName>,
    namespace: Option<String>,
    ingress: Option<DomainName>,
    ingress_path: Option<String>,
    tls_secret: Option<String>,
    config: ::core::option::Option<BTreeMap<String, String>>,
    secrets: ::core::option::Option<BTreeMap<String, Secret<String>>>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Image)>,
}
#[allow(dead_code)]
impl WebApp {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> WebAppBuilder<__T, ::harmony_dsl::__private::Unset> {
        WebAppBuilder {
            image: ::harmony_dsl::__private::Unset,
            replicas: ::core::option::Option::None,
            port: ::core::option::Option::None,
            database: ::core::option::Option::None,
            dns: ::core::option::Option::None,
            namespace: ::core::option::Option::None,
            ingress: ::core::option::Option::None,
            ingress_path: ::core::option::Option::None,
            tls_secret: ::core::option::Option::None,
            config: ::core::option::Option::None,
            secrets: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `image` of [`WebApp`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `WebApp` is missing required field `image`",
    label = "`image` is not set",
    note = "add `image: <value>` to this `WebApp`; it has no default"
)]
pub trait WebAppImageIsSet {
    #[doc(hidden)]
    fn __value(self) -> ImageRef;
}
impl WebAppImageIsSet for ::harmony_dsl::__private::Set<ImageRef> {
    fn __value(self) -> ImageRef {
        self.0
    }
}
#[allow(dead_code)]
impl<__T> WebAppBuilder<__T, ::harmony_dsl::__private::Unset> {
    /// Container image.
    ///
    ///Sets `image` (required).
    pub fn image(
        self,
        value: ImageRef,
    ) -> WebAppBuilder<__T, ::harmony_dsl::__private::Set<ImageRef>> {
        WebAppBuilder {
            image: ::harmony_dsl::__private::Set(value),
            replicas: self.replicas,
            port: self.port,
            database: self.database,
            dns: self.dns,
            namespace: self.namespace,
            ingress: self.ingress,
            ingress_path: self.ingress_path,
            tls_secret: self.tls_secret,
            config: self.config,
            secrets: self.secrets,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Image> WebAppBuilder<__T, __Image> {
    /// Number of replicas.
    ///
    ///Sets `replicas` (has a default).
    pub fn replicas(mut self, value: u16) -> Self {
        self.replicas = ::core::option::Option::Some(value);
        self
    }
    /// Port the container listens on.
    ///
    ///Sets `port` (has a default).
    pub fn port(mut self, value: Port) -> Self {
        self.port = ::core::option::Option::Some(value);
        self
    }
    /// Database the app connects to (`DATABASE_URL`).
    ///
    ///Sets `database` (optional).
    pub fn database(mut self, value: Endpoint<Postgres>) -> Self {
        self.database = ::core::option::Option::Some(value);
        self
    }
    /// DNS name to publish; requires a `DnsServer`.
    ///
    ///Sets `dns` (optional).
    pub fn dns<__Topology>(mut self, value: DomainName) -> Self
    where
        __T: ::harmony_dsl::__private::SameAs<__Topology>,
        dyn DnsServer: ::harmony_dsl::__private::ProvidedBy<__Topology, WebApp>,
    {
        self.dns = ::core::option::Option::Some(value);
        self
    }
    /// Namespace (default `default`).
    ///
    ///Sets `namespace` (optional).
    pub fn namespace(mut self, value: String) -> Self {
        self.namespace = ::core::option::Option::Some(value);
        self
    }
    /// Host name an Ingress routes to the app (no Ingress when unset).
    ///
    ///Sets `ingress` (optional).
    pub fn ingress(mut self, value: DomainName) -> Self {
        self.ingress = ::core::option::Option::Some(value);
        self
    }
    /// Path prefix the Ingress routes (default `/`).
    ///
    ///Sets `ingress_path` (optional).
    pub fn ingress_path(mut self, value: String) -> Self {
        self.ingress_path = ::core::option::Option::Some(value);
        self
    }
    /// Name of a `kubernetes.io/tls` Secret holding the Ingress's certificate (no TLS when unset).
    ///
    ///Sets `tls_secret` (optional).
    pub fn tls_secret(mut self, value: String) -> Self {
        self.tls_secret = ::core::option::Option::Some(value);
        self
    }
    /// Plain settings, given to the container as environment variables through a ConfigMap.
    ///
    ///Sets `config` (has a default).
    pub fn config(mut self, value: BTreeMap<String, String>) -> Self {
        self.config = ::core::option::Option::Some(value);
        self
    }
    /// Secret settings, given to the container as environment variables through a Secret.
    /// Plans, logs and rendered files show `<redacted>` instead of the values.
    ///
    ///Sets `secrets` (has a default).
    pub fn secrets(mut self, value: BTreeMap<String, Secret<String>>) -> Self {
        self.secrets = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> WebApp
    where
        __Image: WebAppImageIsSet,
    {
        WebApp {
            image: WebAppImageIsSet::__value(self.image),
            replicas: self
                .replicas
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Int(1u128),
                )),
            port: self
                .port
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Int(8080u128),
                )),
            database: self.database,
            dns: self.dns,
            namespace: self.namespace,
            ingress: self.ingress,
            ingress_path: self.ingress_path,
            tls_secret: self.tls_secret,
            config: self.config.unwrap_or_default(),
            secrets: self.secrets.unwrap_or_default(),
        }
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    <u16 as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Int(1u128),
);
const _: () = ::harmony_dsl::__private::check_kind(
    <Port as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Int(8080u128),
);
/**Fields of this score, as written in `score!`:

- `image: ImageRef` (required): Container image.
- `replicas: u16` (default `1`): Number of replicas.
- `port: Port` (default `8080`): Port the container listens on.
- `database: Option<Endpoint<Postgres>>` (optional): Database the app connects to (`DATABASE_URL`).
- `dns: Option<DomainName>` (optional): DNS name to publish; requires a `DnsServer`.
- `namespace: Option<String>` (optional): Namespace (default `default`).
- `ingress: Option<DomainName>` (optional): Host name an Ingress routes to the app (no Ingress when unset).
- `ingress_path: Option<String>` (optional): Path prefix the Ingress routes (default `/`).
- `tls_secret: Option<String>` (optional): Name of a `kubernetes.io/tls` Secret holding the Ingress's certificate (no TLS when unset).
- `config: BTreeMap<String, String>` (has a default): Plain settings, given to the container as environment variables through a ConfigMap.
- `secrets: BTreeMap<String, Secret<String>>` (has a default): Secret settings, given to the container as environment variables through a Secret. Plans, logs and rendered files show `<redacted>` instead of the values.*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! WebApp_score_8c91741d {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! {
        "WebApp image! replicas port database dns namespace ingress ingress_path tls_secret config secrets"
        $($input)* }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use WebApp_score_8c91741d as WebApp;
