// Expansion of the macros in examples_src_bin__homelab. Generated: HARMONY_BLESS=1 to update.

// ---- topology! ----
/// One NUC running k3s with the cluster's DNS and load balancer.
pub struct HomeLab {
    hosts: ::std::vec::Vec<::harmony_dsl::HostInfo>,
    capabilities: ::harmony_dsl::CapabilityMap,
}
///Host marker types of topology [`HomeLab`]: one unit struct per host, so placement rules are trait bounds.
pub mod home_lab {
    ///Host `nuc` of topology [`HomeLab`](HomeLab).
    #[allow(non_camel_case_types)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct nuc;
}
#[allow(non_upper_case_globals)]
impl HomeLab {
    ///Host `nuc`: `place: nuc` in `score!`.
    pub const nuc: home_lab::nuc = home_lab::nuc;
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
        HomeLab {
            hosts: ::std::vec![
                ::harmony_dsl::HostInfo { name : "nuc", arch :
                ::harmony_dsl::Arch::X86_64, address :
                ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("192.168.1.10"))),
                labels : ::std::vec!["control_plane", "storage"], }
            ],
            capabilities,
        }
    }
    /// The providers as written in `topology!`, in capability order.
    fn __harmony_providers() -> (Kube, CoreDns, MetalLb) {
        (
            Kube::builder::<HomeLab>()
                .context(
                    ::harmony_dsl::__private::str_value::<
                        {
                            ::harmony_dsl::__private::not_a_host(
                                <Kube as ::harmony_dsl::Provider>::FIELDS,
                                "context",
                                "`\"homelab\"` is not a host name: a host is written as the name it has under `hosts { ... }` in `topology!`, without quotes, e.g. `context: nuc`; the hosts of this topology are `nuc`",
                            )
                        },
                        _,
                    >("homelab"),
                )
                .build(),
            CoreDns::builder::<HomeLab>()
                .on(home_lab::nuc)
                .zone(
                    ::harmony_dsl::__private::str_value::<
                        {
                            ::harmony_dsl::__private::not_a_host(
                                <CoreDns as ::harmony_dsl::Provider>::FIELDS,
                                "zone",
                                "`\"home.arpa\"` is not a host name: a host is written as the name it has under `hosts { ... }` in `topology!`, without quotes, e.g. `zone: nuc`; the hosts of this topology are `nuc`",
                            )
                        },
                        _,
                    >("home.arpa"),
                )
                .build(),
            MetalLb::builder::<HomeLab>()
                .pool(
                    ::harmony_dsl::__private::str_value::<
                        {
                            ::harmony_dsl::__private::not_a_host(
                                <MetalLb as ::harmony_dsl::Provider>::FIELDS,
                                "pool",
                                "`\"192.168.1.200/29\"` is not a host name: a host is written as the name it has under `hosts { ... }` in `topology!`, without quotes, e.g. `pool: nuc`; the hosts of this topology are `nuc`",
                            )
                        },
                        _,
                    >("192.168.1.200/29"),
                )
                .build(),
        )
    }
    /// The providers exactly as written in `topology!`.
    pub fn declared() -> Self {
        let (k8s_cluster, dns_server, load_balancer) = Self::__harmony_providers();
        Self::new(k8s_cluster, dns_server, load_balancer)
    }
    ///The providers as written in `topology!`, each field overridable from the environment as `HARMONY_HOME_LAB_<CAPABILITY>_<FIELD>` (e.g. `HARMONY_HOME_LAB_K8S_CLUSTER_CONTEXT`).
    pub fn from_env() -> ::harmony_dsl::Result<Self> {
        let (mut k8s_cluster, mut dns_server, mut load_balancer) = Self::__harmony_providers();
        ::harmony_dsl::Provider::apply_env(
            &mut k8s_cluster,
            "HARMONY_HOME_LAB_K8S_CLUSTER",
        )?;
        ::harmony_dsl::Provider::apply_env(
            &mut dns_server,
            "HARMONY_HOME_LAB_DNS_SERVER",
        )?;
        ::harmony_dsl::Provider::apply_env(
            &mut load_balancer,
            "HARMONY_HOME_LAB_LOAD_BALANCER",
        )?;
        ::core::result::Result::Ok(Self::new(k8s_cluster, dns_server, load_balancer))
    }
}
impl ::harmony_dsl::Topology for HomeLab {
    const NAME: &'static str = "HomeLab";
    fn hosts(&self) -> &[::harmony_dsl::HostInfo] {
        &self.hosts
    }
    fn capabilities(&self) -> &::harmony_dsl::CapabilityMap {
        &self.capabilities
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    ::harmony_dsl::__private::ValueKind::IpAddress,
    ::harmony_dsl::__private::Literal::Str("192.168.1.10"),
);
impl ::harmony_dsl::topology::Host for home_lab::nuc {
    const NAME: &'static str = "nuc";
    const ARCH: ::harmony_dsl::Arch = ::harmony_dsl::Arch::X86_64;
}
impl ::harmony_dsl::topology::HostOf<HomeLab> for home_lab::nuc {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::RunsOn<__S, ::harmony_dsl::topology::arch::X86_64>
for home_lab::nuc {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::control_plane>
for home_lab::nuc {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::storage>
for home_lab::nuc {}
impl ::harmony_dsl::topology::HasCapability<dyn K8sCluster> for HomeLab {}
const _: () = ::harmony_dsl::__private::check_field(
    <Kube as ::harmony_dsl::Provider>::FIELDS,
    "context",
    ::harmony_dsl::__private::Literal::Str("homelab"),
);
impl ::harmony_dsl::topology::HasCapability<dyn DnsServer> for HomeLab {}
const _: () = ::harmony_dsl::__private::check_field(
    <CoreDns as ::harmony_dsl::Provider>::FIELDS,
    "zone",
    ::harmony_dsl::__private::Literal::Str("home.arpa"),
);
impl ::harmony_dsl::topology::HasCapability<dyn LoadBalancer> for HomeLab {}
const _: () = ::harmony_dsl::__private::check_field(
    <MetalLb as ::harmony_dsl::Provider>::FIELDS,
    "pool",
    ::harmony_dsl::__private::Literal::Str("192.168.1.200/29"),
);

// ---- score! ----
/// A wiki and a photo gallery, each published under home.arpa.
pub fn lab() -> ::harmony_dsl::Plan<HomeLab> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    let mut __harmony_plan = ::harmony_dsl::Plan::<HomeLab>::new("lab");
    let wiki = WebApp! {
        [WebApp] [const _ : () = { let __harmony_field = __hp::field_check(< WebApp as
        __hp::ScoreKind > ::FIELDS, "image"); if __harmony_field.bit & 272u32 == 0 {
        __hp::check_str(__harmony_field, 272u32, "ghcr.io/requarks/wiki:2.5");
        __hp::check_str(__harmony_field, 272u32, "ghcr.io/photoprism/photoprism:240915");
        } }; const _ : () = { let __harmony_field = __hp::field_check(< WebApp as
        __hp::ScoreKind > ::FIELDS, "port"); if __harmony_field.bit & 488484u32 == 0 {
        __hp::check_int(__harmony_field, 488484u32, 3000);
        __hp::check_int(__harmony_field, 488484u32, 2342); } }; const _ : () = { let
        __harmony_field = __hp::field_check(< WebApp as __hp::ScoreKind > ::FIELDS,
        "dns"); if __harmony_field.bit & 280u32 == 0 { __hp::check_str(__harmony_field,
        280u32, "wiki.home.arpa"); __hp::check_str(__harmony_field, 280u32,
        "photos.home.arpa"); } }; const _ : () = { let __harmony_field =
        __hp::field_check(< WebApp as __hp::ScoreKind > ::FIELDS, "namespace"); if
        __harmony_field.bit & 280u32 == 0 { __hp::check_str(__harmony_field, 280u32,
        "apps"); __hp::check_str(__harmony_field, 280u32, "apps"); } };]
        [::harmony_dsl::Plan::add:: < WebApp >] [& mut __harmony_plan, "wiki"] [& []]
        [WebApp::builder:: < HomeLab > ()] [([image]
        [.image(__hp::str_literal("ghcr.io/requarks/wiki:2.5"))]) ([port]
        [.port(__hp::int_literal(3000))]) ([dns]
        [.dns(__hp::str_literal("wiki.home.arpa"))]) ([namespace]
        [.namespace(__hp::str_literal("apps"))])] [.build()]
    };
    let _ = &wiki;
    let photos = WebApp! {
        [WebApp] [] [::harmony_dsl::Plan::add:: < WebApp >] [& mut __harmony_plan,
        "photos"] [& []] [WebApp::builder:: < HomeLab > ()] [([image]
        [.image(__hp::str_literal("ghcr.io/photoprism/photoprism:240915"))]) ([port]
        [.port(__hp::int_literal(2342))]) ([dns]
        [.dns(__hp::str_literal("photos.home.arpa"))]) ([namespace]
        [.namespace(__hp::str_literal("apps"))])] [.build()]
    };
    let _ = &photos;
    __harmony_plan
}
