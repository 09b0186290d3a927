// Expansion of the macros in harmony-runtime_src_providers__mod. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for CoreDns {
    const NAME: &'static str = "CoreDns";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "on",
            kind: <Placement as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "zone",
            kind: <DomainName as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "context",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "kubeconfig",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "namespace",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
    fn apply_env(&mut self, prefix: &str) -> ::harmony_dsl::Result<()> {
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.on,
            &::std::format!("{}_{}", prefix, "ON"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.zone,
            &::std::format!("{}_{}", prefix, "ZONE"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.context,
            &::std::format!("{}_{}", prefix, "CONTEXT"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.kubeconfig,
            &::std::format!("{}_{}", prefix, "KUBECONFIG"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.namespace,
            &::std::format!("{}_{}", prefix, "NAMESPACE"),
        )?;
        ::core::result::Result::Ok(())
    }
}
///Builder of provider [`CoreDns`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct CoreDnsBuilder<__T, __On, __Zone> {
    on: __On,
    zone: __Zone,
    context: ::core::option::Option<String>,
    kubeconfig: Option<String>,
    namespace: ::core::option::Option<String>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __On, __Zone)>,
}
#[allow(dead_code)]
impl CoreDns {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> CoreDnsBuilder<
        __T,
        ::harmony_dsl::__private::Unset,
        ::harmony_dsl::__private::Unset,
    > {
        CoreDnsBuilder {
            on: ::harmony_dsl::__private::Unset,
            zone: ::harmony_dsl::__private::Unset,
            context: ::core::option::Option::None,
            kubeconfig: ::core::option::Option::None,
            namespace: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `on` of [`CoreDns`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "provider `CoreDns` is missing required field `on`",
    label = "`on` is not set",
    note = "add `on: <value>` to this `CoreDns`; it has no default"
)]
pub trait CoreDnsOnIsSet {
    #[doc(hidden)]
    fn __value(self) -> Placement;
}
impl CoreDnsOnIsSet for ::harmony_dsl::__private::Set<Placement> {
    fn __value(self) -> Placement {
        self.0
    }
}
///Typestate: field `zone` of [`CoreDns`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "provider `CoreDns` is missing required field `zone`",
    label = "`zone` is not set",
    note = "add `zone: <value>` to this `CoreDns`; it has no default"
)]
pub trait CoreDnsZoneIsSet {
    #[doc(hidden)]
    fn __value(self) -> DomainName;
}
impl CoreDnsZoneIsSet for ::harmony_dsl::__private::Set<DomainName> {
    fn __value(self) -> DomainName {
        self.0
    }
}
#[allow(dead_code)]
impl<__T, __Zone> CoreDnsBuilder<__T, ::harmony_dsl::__private::Unset, __Zone> {
    /// Host it runs on.
    ///
    ///Sets `on` (required).
    pub fn on<__H>(
        self,
        _host: __H,
    ) -> CoreDnsBuilder<__T, ::harmony_dsl::__private::Set<Placement>, __Zone>
    where
        __H: ::harmony_dsl::topology::HostOf<__T>,
        __H: ::harmony_dsl::topology::Host,
        __H: CoreDnsNeedsLabelControlPlane,
    {
        CoreDnsBuilder {
            on: ::harmony_dsl::__private::Set(::harmony_dsl::Placement::of::<__H>()),
            zone: self.zone,
            context: self.context,
            kubeconfig: self.kubeconfig,
            namespace: self.namespace,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __On> CoreDnsBuilder<__T, __On, ::harmony_dsl::__private::Unset> {
    /// Zone it is authoritative for, e.g. `home.arpa`.
    ///
    ///Sets `zone` (required).
    pub fn zone(
        self,
        value: DomainName,
    ) -> CoreDnsBuilder<__T, __On, ::harmony_dsl::__private::Set<DomainName>> {
        CoreDnsBuilder {
            zone: ::harmony_dsl::__private::Set(value),
            on: self.on,
            context: self.context,
            kubeconfig: self.kubeconfig,
            namespace: self.namespace,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __On, __Zone> CoreDnsBuilder<__T, __On, __Zone> {
    /// kubeconfig context of its cluster (empty: the kubeconfig's current context).
    ///
    ///Sets `context` (has a default).
    pub fn context(mut self, value: String) -> Self {
        self.context = ::core::option::Option::Some(value);
        self
    }
    /// kubeconfig file (unset: `$KUBECONFIG`, else `~/.kube/config`).
    ///
    ///Sets `kubeconfig` (optional).
    pub fn kubeconfig(mut self, value: String) -> Self {
        self.kubeconfig = ::core::option::Option::Some(value);
        self
    }
    /// Namespace of the records' ConfigMap.
    ///
    ///Sets `namespace` (has a default).
    pub fn namespace(mut self, value: String) -> Self {
        self.namespace = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> CoreDns
    where
        __On: CoreDnsOnIsSet,
        __Zone: CoreDnsZoneIsSet,
    {
        CoreDns {
            on: CoreDnsOnIsSet::__value(self.on),
            zone: CoreDnsZoneIsSet::__value(self.zone),
            context: self.context.unwrap_or_default(),
            kubeconfig: self.kubeconfig,
            namespace: self
                .namespace
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Str("kube-system"),
                )),
        }
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    <String as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Str("kube-system"),
);
///Placement: the host has label `control_plane`, which `CoreDns` needs.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "host `{Self}` lacks label `control_plane`, which `CoreDns` requires",
    label = "`{Self}` has no label `control_plane`",
    note = "add `control_plane` to the host's `labels: [...]` in `topology!`, or place `CoreDns` on a host that has it"
)]
pub trait CoreDnsNeedsLabelControlPlane {}
#[diagnostic::do_not_recommend]
impl<
    __H: ::harmony_dsl::topology::HasLabel<
            CoreDns,
            ::harmony_dsl::topology::label::control_plane,
        >,
> CoreDnsNeedsLabelControlPlane for __H {}

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for Keycloak {
    const NAME: &'static str = "Keycloak";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "url",
            kind: <HttpUrl as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "realm",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "token_realm",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "admin_client",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "secret_env",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
    fn apply_env(&mut self, prefix: &str) -> ::harmony_dsl::Result<()> {
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.url,
            &::std::format!("{}_{}", prefix, "URL"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.realm,
            &::std::format!("{}_{}", prefix, "REALM"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.token_realm,
            &::std::format!("{}_{}", prefix, "TOKEN_REALM"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.admin_client,
            &::std::format!("{}_{}", prefix, "ADMIN_CLIENT"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.secret_env,
            &::std::format!("{}_{}", prefix, "SECRET_ENV"),
        )?;
        ::core::result::Result::Ok(())
    }
}
///Builder of provider [`Keycloak`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct KeycloakBuilder<__T, __Url, __Realm> {
    url: __Url,
    realm: __Realm,
    token_realm: ::core::option::Option<String>,
    admin_client: ::core::option::Option<String>,
    secret_env: ::core::option::Option<String>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Url, __Realm)>,
}
#[allow(dead_code)]
impl Keycloak {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> KeycloakBuilder<
        __T,
        ::harmony_dsl::__private::Unset,
        ::harmony_dsl::__private::Unset,
    > {
        KeycloakBuilder {
            url: ::harmony_dsl::__private::Unset,
            realm: ::harmony_dsl::__private::Unset,
            token_realm: ::core::option::Option::None,
            admin_client: ::core::option::Option::None,
            secret_env: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `url` of [`Keycloak`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "provider `Keycloak` is missing required field `url`",
    label = "`url` is not set",
    note = "add `url: <value>` to this `Keycloak`; it has no default"
)]
pub trait KeycloakUrlIsSet {
    #[doc(hidden)]
    fn __value(self) -> HttpUrl;
}
impl KeycloakUrlIsSet for ::harmony_dsl::__private::Set<HttpUrl> {
    fn __value(self) -> HttpUrl {
        self.0
    }
}
///Typestate: field `realm` of [`Keycloak`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "provider `Keycloak` is missing required field `realm`",
    label = "`realm` is not set",
    note = "add `realm: <value>` to this `Keycloak`; it has no default"
)]
pub trait KeycloakRealmIsSet {
    #[doc(hidden)]
    fn __value(self) -> String;
}
impl KeycloakRealmIsSet for ::harmony_dsl::__private::Set<String> {
    fn __value(self) -> String {
        self.0
    }
}
#[allow(dead_code)]
impl<__T, __Realm> KeycloakBuilder<__T, ::harmony_dsl::__private::Unset, __Realm> {
    /// Base URL, e.g. `https://sso.example.com`: `http://` or `https://`.
    ///
    ///Sets `url` (required).
    pub fn url(
        self,
        value: HttpUrl,
    ) -> KeycloakBuilder<__T, ::harmony_dsl::__private::Set<HttpUrl>, __Realm> {
        KeycloakBuilder {
            url: ::harmony_dsl::__private::Set(value),
            realm: self.realm,
            token_realm: self.token_realm,
            admin_client: self.admin_client,
            secret_env: self.secret_env,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Url> KeycloakBuilder<__T, __Url, ::harmony_dsl::__private::Unset> {
    /// Realm the applications are registered in.
    ///
    ///Sets `realm` (required).
    pub fn realm(
        self,
        value: String,
    ) -> KeycloakBuilder<__T, __Url, ::harmony_dsl::__private::Set<String>> {
        KeycloakBuilder {
            realm: ::harmony_dsl::__private::Set(value),
            url: self.url,
            token_realm: self.token_realm,
            admin_client: self.admin_client,
            secret_env: self.secret_env,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Url, __Realm> KeycloakBuilder<__T, __Url, __Realm> {
    /// Realm of the client Harmony authenticates as.
    ///
    ///Sets `token_realm` (has a default).
    pub fn token_realm(mut self, value: String) -> Self {
        self.token_realm = ::core::option::Option::Some(value);
        self
    }
    /// Client Harmony authenticates as (client-credentials grant); it needs the
    /// `manage-clients` role of `realm`.
    ///
    ///Sets `admin_client` (has a default).
    pub fn admin_client(mut self, value: String) -> Self {
        self.admin_client = ::core::option::Option::Some(value);
        self
    }
    /// Environment variable holding that client's secret.
    ///
    ///Sets `secret_env` (has a default).
    pub fn secret_env(mut self, value: String) -> Self {
        self.secret_env = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> Keycloak
    where
        __Url: KeycloakUrlIsSet,
        __Realm: KeycloakRealmIsSet,
    {
        Keycloak {
            url: KeycloakUrlIsSet::__value(self.url),
            realm: KeycloakRealmIsSet::__value(self.realm),
            token_realm: self
                .token_realm
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Str("master"),
                )),
            admin_client: self
                .admin_client
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Str("harmony"),
                )),
            secret_env: self
                .secret_env
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Str(
                        "HARMONY_KEYCLOAK_CLIENT_SECRET",
                    ),
                )),
        }
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    <String as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Str("master"),
);
const _: () = ::harmony_dsl::__private::check_kind(
    <String as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Str("harmony"),
);
const _: () = ::harmony_dsl::__private::check_kind(
    <String as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Str("HARMONY_KEYCLOAK_CLIENT_SECRET"),
);

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for Podman {
    const NAME: &'static str = "Podman";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "on",
            kind: <Placement as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "containers_conf",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "state_dir",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
    fn apply_env(&mut self, prefix: &str) -> ::harmony_dsl::Result<()> {
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.on,
            &::std::format!("{}_{}", prefix, "ON"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.containers_conf,
            &::std::format!("{}_{}", prefix, "CONTAINERS_CONF"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.state_dir,
            &::std::format!("{}_{}", prefix, "STATE_DIR"),
        )?;
        ::core::result::Result::Ok(())
    }
}
///Builder of provider [`Podman`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct PodmanBuilder<__T, __On> {
    on: __On,
    containers_conf: Option<String>,
    state_dir: Option<String>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __On)>,
}
#[allow(dead_code)]
impl Podman {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> PodmanBuilder<__T, ::harmony_dsl::__private::Unset> {
        PodmanBuilder {
            on: ::harmony_dsl::__private::Unset,
            containers_conf: ::core::option::Option::None,
            state_dir: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `on` of [`Podman`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "provider `Podman` is missing required field `on`",
    label = "`on` is not set",
    note = "add `on: <value>` to this `Podman`; it has no default"
)]
pub trait PodmanOnIsSet {
    #[doc(hidden)]
    fn __value(self) -> Placement;
}
impl PodmanOnIsSet for ::harmony_dsl::__private::Set<Placement> {
    fn __value(self) -> Placement {
        self.0
    }
}
#[allow(dead_code)]
impl<__T> PodmanBuilder<__T, ::harmony_dsl::__private::Unset> {
    /// Host it runs on.
    ///
    ///Sets `on` (required).
    pub fn on<__H>(
        self,
        _host: __H,
    ) -> PodmanBuilder<__T, ::harmony_dsl::__private::Set<Placement>>
    where
        __H: ::harmony_dsl::topology::HostOf<__T>,
        __H: ::harmony_dsl::topology::Host,
    {
        PodmanBuilder {
            on: ::harmony_dsl::__private::Set(::harmony_dsl::Placement::of::<__H>()),
            containers_conf: self.containers_conf,
            state_dir: self.state_dir,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __On> PodmanBuilder<__T, __On> {
    /// `containers.conf` podman runs with (unset: `$CONTAINERS_CONF`, else podman's own).
    ///
    ///Sets `containers_conf` (optional).
    pub fn containers_conf(mut self, value: String) -> Self {
        self.containers_conf = ::core::option::Option::Some(value);
        self
    }
    /// Private directory for the key of the spec digests (unset: `$HARMONY_STATE_DIR/podman`,
    /// else `.harmony/podman` in the current directory).
    ///
    ///Sets `state_dir` (optional).
    pub fn state_dir(mut self, value: String) -> Self {
        self.state_dir = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> Podman
    where
        __On: PodmanOnIsSet,
    {
        Podman {
            on: PodmanOnIsSet::__value(self.on),
            containers_conf: self.containers_conf,
            state_dir: self.state_dir,
        }
    }
}

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for NatsFleet {
    const NAME: &'static str = "NatsFleet";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "url",
            kind: <NatsUrl as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "devices",
            kind: <Vec<Placement> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
    fn apply_env(&mut self, prefix: &str) -> ::harmony_dsl::Result<()> {
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.url,
            &::std::format!("{}_{}", prefix, "URL"),
        )?;
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.devices,
            &::std::format!("{}_{}", prefix, "DEVICES"),
        )?;
        ::core::result::Result::Ok(())
    }
}
///Builder of provider [`NatsFleet`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct NatsFleetBuilder<__T, __Url> {
    url: __Url,
    devices: Vec<Placement>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Url)>,
}
#[allow(dead_code)]
impl NatsFleet {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> NatsFleetBuilder<__T, ::harmony_dsl::__private::Unset> {
        NatsFleetBuilder {
            url: ::harmony_dsl::__private::Unset,
            devices: ::std::vec::Vec::new(),
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `url` of [`NatsFleet`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "provider `NatsFleet` is missing required field `url`",
    label = "`url` is not set",
    note = "add `url: <value>` to this `NatsFleet`; it has no default"
)]
pub trait NatsFleetUrlIsSet {
    #[doc(hidden)]
    fn __value(self) -> NatsUrl;
}
impl NatsFleetUrlIsSet for ::harmony_dsl::__private::Set<NatsUrl> {
    fn __value(self) -> NatsUrl {
        self.0
    }
}
#[allow(dead_code)]
impl<__T> NatsFleetBuilder<__T, ::harmony_dsl::__private::Unset> {
    /// NATS server URL: `nats://` or `tls://`, e.g. `nats://nats.example.com:4222`.
    ///
    ///Sets `url` (required).
    pub fn url(
        self,
        value: NatsUrl,
    ) -> NatsFleetBuilder<__T, ::harmony_dsl::__private::Set<NatsUrl>> {
        NatsFleetBuilder {
            url: ::harmony_dsl::__private::Set(value),
            devices: self.devices,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Url> NatsFleetBuilder<__T, __Url> {
    /// The devices of the fleet.
    ///
    ///Adds host `H` to `devices`.
    pub fn devices<__H>(mut self, _host: __H) -> Self
    where
        __H: ::harmony_dsl::topology::HostOf<__T>,
        __H: ::harmony_dsl::topology::Host,
        __H: NatsFleetNeedsArchAarch64,
    {
        self.devices.push(::harmony_dsl::Placement::of::<__H>());
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> NatsFleet
    where
        __Url: NatsFleetUrlIsSet,
    {
        NatsFleet {
            url: NatsFleetUrlIsSet::__value(self.url),
            devices: self.devices,
        }
    }
}
///Placement: the host is an `aarch64` host, which `NatsFleet` needs.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`NatsFleet` cannot run on host `{Self}`: it needs an `aarch64` host",
    label = "`{Self}` is not an `aarch64` host",
    note = "place `NatsFleet` on a host declared with `arch: aarch64` in `topology!`, or use a score (or image) built for the architecture of `{Self}`"
)]
pub trait NatsFleetNeedsArchAarch64 {}
#[diagnostic::do_not_recommend]
impl<
    __H: ::harmony_dsl::topology::RunsOn<
            NatsFleet,
            ::harmony_dsl::topology::arch::Aarch64,
        >,
> NatsFleetNeedsArchAarch64 for __H {}
