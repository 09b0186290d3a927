// Expansion of the macros in examples_src_bin__web_shop. Generated: HARMONY_BLESS=1 to update.

// ---- topology! ----
/// Two x86 servers and a storage box in an office rack.
pub struct OfficeRack {
    hosts: ::std::vec::Vec<::harmony_dsl::HostInfo>,
    capabilities: ::harmony_dsl::CapabilityMap,
}
///Host marker types of topology [`OfficeRack`]: one unit struct per host, so placement rules are trait bounds.
pub mod office_rack {
    ///Host `srv1` of topology [`OfficeRack`](OfficeRack).
    #[allow(non_camel_case_types)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct srv1;
    ///Host `srv2` of topology [`OfficeRack`](OfficeRack).
    #[allow(non_camel_case_types)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct srv2;
    ///Host `store` of topology [`OfficeRack`](OfficeRack).
    #[allow(non_camel_case_types)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct store;
}
#[allow(non_upper_case_globals)]
impl OfficeRack {
    ///Host `srv1`: `place: srv1` in `score!`.
    pub const srv1: office_rack::srv1 = office_rack::srv1;
    ///Host `srv2`: `place: srv2` in `score!`.
    pub const srv2: office_rack::srv2 = office_rack::srv2;
    ///Host `store`: `place: store` in `score!`.
    pub const store: office_rack::store = office_rack::store;
    /// Builds the topology with explicit providers, one per capability.
    #[allow(clippy::too_many_arguments)]
    pub fn new(k8s_cluster: Kube, dns_server: CoreDns, load_balancer: MetalLb) -> Self {
        #[allow(unused_mut)]
        let mut capabilities = ::harmony_dsl::CapabilityMap::new();
        capabilities
            .insert::<
                dyn K8sCluster,
            >(
                <Kube as ::harmony_dsl::Provider>::NAME,
                ::std::sync::Arc::new(k8s_cluster) as ::std::sync::Arc<dyn K8sCluster>,
            );
        capabilities
            .insert::<
                dyn DnsServer,
            >(
                <CoreDns as ::harmony_dsl::Provider>::NAME,
                ::std::sync::Arc::new(dns_server) as ::std::sync::Arc<dyn DnsServer>,
            );
        capabilities
            .insert::<
                dyn LoadBalancer,
            >(
                <MetalLb as ::harmony_dsl::Provider>::NAME,
                ::std::sync::Arc::new(load_balancer)
                    as ::std::sync::Arc<dyn LoadBalancer>,
            );
        OfficeRack {
            hosts: ::std::vec![
                ::harmony_dsl::HostInfo { name : "srv1", arch :
                ::harmony_dsl::Arch::X86_64, address :
                ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("10.0.0.11"))),
                labels : ::std::vec!["control_plane"], }, ::harmony_dsl::HostInfo { name
                : "srv2", arch : ::harmony_dsl::Arch::X86_64, address :
                ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("10.0.0.12"))),
                labels : ::std::vec![], }, ::harmony_dsl::HostInfo { name : "store", arch
                : ::harmony_dsl::Arch::X86_64, address :
                ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("10.0.0.20"))),
                labels : ::std::vec!["storage"], }
            ],
            capabilities,
        }
    }
    /// The providers as written in `topology!`, in capability order.
    fn __harmony_providers() -> (Kube, CoreDns, MetalLb) {
        (
            Kube::builder::<OfficeRack>()
                .context(
                    ::harmony_dsl::__private::str_value::<
                        {
                            ::harmony_dsl::__private::not_a_host(
                                <Kube as ::harmony_dsl::Provider>::FIELDS,
                                "context",
                                "`\"office\"` is not a host name: a host is written as the name it has under `hosts { ... }` in `topology!`, without quotes, e.g. `context: srv1`; the hosts of this topology are `srv1`, `srv2`, `store`",
                            )
                        },
                        _,
                    >("office"),
                )
                .build(),
            CoreDns::builder::<OfficeRack>()
                .on(office_rack::srv1)
                .zone(
                    ::harmony_dsl::__private::str_value::<
                        {
                            ::harmony_dsl::__private::not_a_host(
                                <CoreDns as ::harmony_dsl::Provider>::FIELDS,
                                "zone",
                                "`\"shop.example.com\"` is not a host name: a host is written as the name it has under `hosts { ... }` in `topology!`, without quotes, e.g. `zone: srv1`; the hosts of this topology are `srv1`, `srv2`, `store`",
                            )
                        },
                        _,
                    >("shop.example.com"),
                )
                .build(),
            MetalLb::builder::<OfficeRack>()
                .pool(
                    ::harmony_dsl::__private::str_value::<
                        {
                            ::harmony_dsl::__private::not_a_host(
                                <MetalLb as ::harmony_dsl::Provider>::FIELDS,
                                "pool",
                                "`\"10.0.0.240/28\"` is not a host name: a host is written as the name it has under `hosts { ... }` in `topology!`, without quotes, e.g. `pool: srv1`; the hosts of this topology are `srv1`, `srv2`, `store`",
                            )
                        },
                        _,
                    >("10.0.0.240/28"),
                )
                .build(),
        )
    }
    /// The providers exactly as written in `topology!`.
    pub fn declared() -> Self {
        let (k8s_cluster, dns_server, load_balancer) = Self::__harmony_providers();
        Self::new(k8s_cluster, dns_server, load_balancer)
    }
    ///The providers as written in `topology!`, each field overridable from the environment as `HARMONY_OFFICE_RACK_<CAPABILITY>_<FIELD>` (e.g. `HARMONY_OFFICE_RACK_K8S_CLUSTER_CONTEXT`).
    pub fn from_env() -> ::harmony_dsl::Result<Self> {
        let (mut k8s_cluster, mut dns_server, mut load_balancer) = Self::__harmony_providers();
        ::harmony_dsl::Provider::apply_env(
            &mut k8s_cluster,
            "HARMONY_OFFICE_RACK_K8S_CLUSTER",
        )?;
        ::harmony_dsl::Provider::apply_env(
            &mut dns_server,
            "HARMONY_OFFICE_RACK_DNS_SERVER",
        )?;
        ::harmony_dsl::Provider::apply_env(
            &mut load_balancer,
            "HARMONY_OFFICE_RACK_LOAD_BALANCER",
        )?;
        ::core::result::Result::Ok(Self::new(k8s_cluster, dns_server, load_balancer))
    }
}
impl ::harmony_dsl::Topology for OfficeRack {
    const NAME: &'static str = "OfficeRack";
    fn hosts(&self) -> &[::harmony_dsl::HostInfo] {
        &self.hosts
    }
    fn capabilities(&self) -> &::harmony_dsl::CapabilityMap {
        &self.capabilities
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    ::harmony_dsl::__private::ValueKind::IpAddress,
    ::harmony_dsl::__private::Literal::Str("10.0.0.11"),
);
impl ::harmony_dsl::topology::Host for office_rack::srv1 {
    const NAME: &'static str = "srv1";
    const ARCH: ::harmony_dsl::Arch = ::harmony_dsl::Arch::X86_64;
}
impl ::harmony_dsl::topology::HostOf<OfficeRack> for office_rack::srv1 {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::RunsOn<__S, ::harmony_dsl::topology::arch::X86_64>
for office_rack::srv1 {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::control_plane>
for office_rack::srv1 {}
const _: () = ::harmony_dsl::__private::check_kind(
    ::harmony_dsl::__private::ValueKind::IpAddress,
    ::harmony_dsl::__private::Literal::Str("10.0.0.12"),
);
impl ::harmony_dsl::topology::Host for office_rack::srv2 {
    const NAME: &'static str = "srv2";
    const ARCH: ::harmony_dsl::Arch = ::harmony_dsl::Arch::X86_64;
}
impl ::harmony_dsl::topology::HostOf<OfficeRack> for office_rack::srv2 {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::RunsOn<__S, ::harmony_dsl::topology::arch::X86_64>
for office_rack::srv2 {}
const _: () = ::harmony_dsl::__private::check_kind(
    ::harmony_dsl::__private::ValueKind::IpAddress,
    ::harmony_dsl::__private::Literal::Str("10.0.0.20"),
);
impl ::harmony_dsl::topology::Host for office_rack::store {
    const NAME: &'static str = "store";
    const ARCH: ::harmony_dsl::Arch = ::harmony_dsl::Arch::X86_64;
}
impl ::harmony_dsl::topology::HostOf<OfficeRack> for office_rack::store {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::RunsOn<__S, ::harmony_dsl::topology::arch::X86_64>
for office_rack::store {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::storage>
for office_rack::store {}
impl ::harmony_dsl::topology::HasCapability<dyn K8sCluster> for OfficeRack {}
const _: () = ::harmony_dsl::__private::check_field(
    <Kube as ::harmony_dsl::Provider>::FIELDS,
    "context",
    ::harmony_dsl::__private::Literal::Str("office"),
);
impl ::harmony_dsl::topology::HasCapability<dyn DnsServer> for OfficeRack {}
const _: () = ::harmony_dsl::__private::check_field(
    <CoreDns as ::harmony_dsl::Provider>::FIELDS,
    "zone",
    ::harmony_dsl::__private::Literal::Str("shop.example.com"),
);
impl ::harmony_dsl::topology::HasCapability<dyn LoadBalancer> for OfficeRack {}
const _: () = ::harmony_dsl::__private::check_field(
    <MetalLb as ::harmony_dsl::Provider>::FIELDS,
    "pool",
    ::harmony_dsl::__private::Literal::Str("10.0.0.240/28"),
);

// ---- derive(Config) ----
const _: () = ::harmony_dsl::__private::check_kind(
    <u16 as ::harmony_dsl::config::ConfigValue>::KIND,
    ::harmony_dsl::__private::Literal::Int(3u128),
);
const _: () = ::harmony_dsl::__private::check_kind(
    <Quantity as ::harmony_dsl::config::ConfigValue>::KIND,
    ::harmony_dsl::__private::Literal::Str("50Gi"),
);
impl ::harmony_dsl::config::Config for ShopConfig {
    fn from_lookup(
        lookup: &mut dyn ::harmony_dsl::config::ConfigLookup,
        report: &mut ::harmony_dsl::config::Resolution,
    ) -> ::core::option::Option<Self> {
        let field_app_replicas = report
            .field::<
                u16,
            >(
                lookup,
                "app_replicas",
                ::core::option::Option::Some(
                    ::harmony_dsl::__private::Literal::Int(3u128),
                ),
            );
        let field_db_storage = report
            .field::<
                Quantity,
            >(
                lookup,
                "db_storage",
                ::core::option::Option::Some(
                    ::harmony_dsl::__private::Literal::Str("50Gi"),
                ),
            );
        let field_db_password = report
            .field::<SecretRef>(lookup, "db_password", ::core::option::Option::None);
        ::core::option::Option::Some(Self {
            app_replicas: field_app_replicas?,
            db_storage: field_db_storage?,
            db_password: field_db_password?,
        })
    }
}

// ---- score! ----
/// The shop: database first, then the app's replicas, then the storefront.
pub fn shop(config: &ShopConfig) -> ::harmony_dsl::Plan<OfficeRack> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    __hp::config_argument::<ShopConfig>();
    let mut __harmony_plan = ::harmony_dsl::Plan::<OfficeRack>::new("shop");
    let db = Postgres! {
        [Postgres] [const _ : () = { let __harmony_field = __hp::field_check(< Postgres
        as __hp::ScoreKind > ::FIELDS, "version"); if __harmony_field.bit & 523300u32 ==
        0 { __hp::check_int(__harmony_field, 523300u32, 16); } }; const _ : () = { let
        __harmony_field = __hp::field_check(< Postgres as __hp::ScoreKind > ::FIELDS,
        "namespace"); if __harmony_field.bit & 280u32 == 0 {
        __hp::check_str(__harmony_field, 280u32, "shop"); } };]
        [::harmony_dsl::Plan::add:: < Postgres >] [& mut __harmony_plan, "db"] [& []]
        [Postgres::builder:: < OfficeRack > ()] [([version]
        [.version(__hp::int_literal(16))]) ([storage] [.storage(config.db_storage
        .clone())]) ([password] [.password(config.db_password.clone())]) ([place]
        [.place(OfficeRack::store)]) ([namespace]
        [.namespace(__hp::str_literal("shop"))])] [.build()]
    };
    let _ = &db;
    let app = WebApp! {
        [WebApp] [const _ : () = { let __harmony_field = __hp::field_check(< WebApp as
        __hp::ScoreKind > ::FIELDS, "image"); if __harmony_field.bit & 272u32 == 0 {
        __hp::check_str(__harmony_field, 272u32, "registry.example.com/acme/shop:2.3.0");
        __hp::check_str(__harmony_field, 272u32,
        "registry.example.com/acme/storefront:1.0.4"); } }; const _ : () = { let
        __harmony_field = __hp::field_check(< WebApp as __hp::ScoreKind > ::FIELDS,
        "port"); if __harmony_field.bit & 488484u32 == 0 {
        __hp::check_int(__harmony_field, 488484u32, 8080);
        __hp::check_int(__harmony_field, 488484u32, 8081); } }; const _ : () = { let
        __harmony_field = __hp::field_check(< WebApp as __hp::ScoreKind > ::FIELDS,
        "dns"); if __harmony_field.bit & 280u32 == 0 { __hp::check_str(__harmony_field,
        280u32, "www.shop.example.com"); __hp::check_str(__harmony_field, 280u32,
        "shop.example.com"); } }; const _ : () = { let __harmony_field =
        __hp::field_check(< WebApp as __hp::ScoreKind > ::FIELDS, "namespace"); if
        __harmony_field.bit & 280u32 == 0 { __hp::check_str(__harmony_field, 280u32,
        "shop"); __hp::check_str(__harmony_field, 280u32, "shop"); } };]
        [::harmony_dsl::Plan::add:: < WebApp >] [& mut __harmony_plan, "app"] [& [db
        .id()]] [WebApp::builder:: < OfficeRack > ()] [([image]
        [.image(__hp::str_literal("registry.example.com/acme/shop:2.3.0"))]) ([replicas]
        [.replicas(config.app_replicas)]) ([port] [.port(__hp::int_literal(8080))])
        ([database] [.database(db.endpoint.clone())]) ([dns]
        [.dns(__hp::str_literal("www.shop.example.com"))]) ([namespace]
        [.namespace(__hp::str_literal("shop"))])] [.build()]
    };
    let _ = &app;
    let storefront = WebApp! {
        [WebApp] [const _ : () = { let __harmony_field = __hp::field_check(< WebApp as
        __hp::ScoreKind > ::FIELDS, "replicas"); if __harmony_field.bit & 523300u32 == 0
        { __hp::check_int(__harmony_field, 523300u32, 2); } };]
        [::harmony_dsl::Plan::add:: < WebApp >] [& mut __harmony_plan, "storefront"] [&
        [app.id()]] [WebApp::builder:: < OfficeRack > ()] [([image]
        [.image(__hp::str_literal("registry.example.com/acme/storefront:1.0.4"))])
        ([replicas] [.replicas(__hp::int_literal(2))]) ([port]
        [.port(__hp::int_literal(8081))]) ([dns]
        [.dns(__hp::str_literal("shop.example.com"))]) ([namespace]
        [.namespace(__hp::str_literal("shop"))])] [.build()]
    };
    let _ = &storefront;
    __harmony_plan
}
