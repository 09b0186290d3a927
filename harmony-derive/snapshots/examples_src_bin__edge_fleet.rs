// Expansion of the macros in examples_src_bin__edge_fleet. Generated: HARMONY_BLESS=1 to update.

// ---- topology! ----
/// Three greenhouse sensor gateways.
pub struct Greenhouses {
    hosts: ::std::vec::Vec<::harmony_dsl::HostInfo>,
    capabilities: ::harmony_dsl::CapabilityMap,
}
///Host marker types of topology [`Greenhouses`]: one unit struct per host, so placement rules are trait bounds.
pub mod greenhouses {
    ///Host `north` of topology [`Greenhouses`](Greenhouses).
    #[allow(non_camel_case_types)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct north;
    ///Host `south` of topology [`Greenhouses`](Greenhouses).
    #[allow(non_camel_case_types)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct south;
    ///Host `east` of topology [`Greenhouses`](Greenhouses).
    #[allow(non_camel_case_types)]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct east;
}
#[allow(non_upper_case_globals)]
impl Greenhouses {
    ///Host `north`: `place: north` in `score!`.
    pub const north: greenhouses::north = greenhouses::north;
    ///Host `south`: `place: south` in `score!`.
    pub const south: greenhouses::south = greenhouses::south;
    ///Host `east`: `place: east` in `score!`.
    pub const east: greenhouses::east = greenhouses::east;
    /// Builds the topology with explicit providers, one per capability.
    #[allow(clippy::too_many_arguments)]
    pub fn new(fleet: NatsFleet) -> Self {
        #[allow(unused_mut)]
        let mut capabilities = ::harmony_dsl::CapabilityMap::new();
        capabilities
            .insert::<
                dyn Fleet,
            >(
                <NatsFleet as ::harmony_dsl::Provider>::NAME,
                ::std::sync::Arc::new(fleet) as ::std::sync::Arc<dyn Fleet>,
            );
        Greenhouses {
            hosts: ::std::vec![
                ::harmony_dsl::HostInfo { name : "north", arch :
                ::harmony_dsl::Arch::Aarch64, address :
                ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("10.20.0.11"))),
                labels : ::std::vec!["edge", "sensors"], }, ::harmony_dsl::HostInfo {
                name : "south", arch : ::harmony_dsl::Arch::Aarch64, address :
                ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("10.20.0.12"))),
                labels : ::std::vec!["edge", "sensors"], }, ::harmony_dsl::HostInfo {
                name : "east", arch : ::harmony_dsl::Arch::Aarch64, address :
                ::core::option::Option::Some(::harmony_dsl::__private::FromLiteral::from_literal(::harmony_dsl::__private::Literal::Str("10.20.0.13"))),
                labels : ::std::vec!["edge"], }
            ],
            capabilities,
        }
    }
    /// The providers as written in `topology!`, in capability order.
    fn __harmony_providers() -> (NatsFleet,) {
        (
            NatsFleet::builder::<Greenhouses>()
                .url(
                    ::harmony_dsl::__private::str_value::<
                        {
                            ::harmony_dsl::__private::not_a_host(
                                <NatsFleet as ::harmony_dsl::Provider>::FIELDS,
                                "url",
                                "`\"nats://nats.greenhouse.example:4222\"` is not a host name: a host is written as the name it has under `hosts { ... }` in `topology!`, without quotes, e.g. `url: north`; the hosts of this topology are `north`, `south`, `east`",
                            )
                        },
                        _,
                    >("nats://nats.greenhouse.example:4222"),
                )
                .devices(greenhouses::north)
                .devices(greenhouses::south)
                .devices(greenhouses::east)
                .build(),
        )
    }
    /// The providers exactly as written in `topology!`.
    pub fn declared() -> Self {
        let (fleet,) = Self::__harmony_providers();
        Self::new(fleet)
    }
    ///The providers as written in `topology!`, each field overridable from the environment as `HARMONY_GREENHOUSES_<CAPABILITY>_<FIELD>` (e.g. `HARMONY_GREENHOUSES_K8S_CLUSTER_CONTEXT`).
    pub fn from_env() -> ::harmony_dsl::Result<Self> {
        let (mut fleet,) = Self::__harmony_providers();
        ::harmony_dsl::Provider::apply_env(&mut fleet, "HARMONY_GREENHOUSES_FLEET")?;
        ::core::result::Result::Ok(Self::new(fleet))
    }
}
impl ::harmony_dsl::Topology for Greenhouses {
    const NAME: &'static str = "Greenhouses";
    fn hosts(&self) -> &[::harmony_dsl::HostInfo] {
        &self.hosts
    }
    fn capabilities(&self) -> &::harmony_dsl::CapabilityMap {
        &self.capabilities
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    ::harmony_dsl::__private::ValueKind::IpAddress,
    ::harmony_dsl::__private::Literal::Str("10.20.0.11"),
);
impl ::harmony_dsl::topology::Host for greenhouses::north {
    const NAME: &'static str = "north";
    const ARCH: ::harmony_dsl::Arch = ::harmony_dsl::Arch::Aarch64;
}
impl ::harmony_dsl::topology::HostOf<Greenhouses> for greenhouses::north {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::RunsOn<__S, ::harmony_dsl::topology::arch::Aarch64>
for greenhouses::north {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::edge>
for greenhouses::north {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::sensors>
for greenhouses::north {}
const _: () = ::harmony_dsl::__private::check_kind(
    ::harmony_dsl::__private::ValueKind::IpAddress,
    ::harmony_dsl::__private::Literal::Str("10.20.0.12"),
);
impl ::harmony_dsl::topology::Host for greenhouses::south {
    const NAME: &'static str = "south";
    const ARCH: ::harmony_dsl::Arch = ::harmony_dsl::Arch::Aarch64;
}
impl ::harmony_dsl::topology::HostOf<Greenhouses> for greenhouses::south {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::RunsOn<__S, ::harmony_dsl::topology::arch::Aarch64>
for greenhouses::south {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::edge>
for greenhouses::south {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::sensors>
for greenhouses::south {}
const _: () = ::harmony_dsl::__private::check_kind(
    ::harmony_dsl::__private::ValueKind::IpAddress,
    ::harmony_dsl::__private::Literal::Str("10.20.0.13"),
);
impl ::harmony_dsl::topology::Host for greenhouses::east {
    const NAME: &'static str = "east";
    const ARCH: ::harmony_dsl::Arch = ::harmony_dsl::Arch::Aarch64;
}
impl ::harmony_dsl::topology::HostOf<Greenhouses> for greenhouses::east {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::RunsOn<__S, ::harmony_dsl::topology::arch::Aarch64>
for greenhouses::east {}
impl<
    __S: ?::core::marker::Sized,
> ::harmony_dsl::topology::HasLabel<__S, ::harmony_dsl::topology::label::edge>
for greenhouses::east {}
impl ::harmony_dsl::topology::HasCapability<dyn Fleet> for Greenhouses {}
impl ::harmony_dsl::topology::FleetDevice<Greenhouses> for greenhouses::north {}
impl ::harmony_dsl::topology::FleetDevice<Greenhouses> for greenhouses::south {}
impl ::harmony_dsl::topology::FleetDevice<Greenhouses> for greenhouses::east {}
const _: () = ::harmony_dsl::__private::check_field(
    <NatsFleet as ::harmony_dsl::Provider>::FIELDS,
    "url",
    ::harmony_dsl::__private::Literal::Str("nats://nats.greenhouse.example:4222"),
);

// ---- score! ----
/// Sensor collection on the gateways that have sensors, the updater everywhere.
pub fn greenhouses() -> ::harmony_dsl::Plan<Greenhouses> {
    #[allow(unused_imports)]
    use ::harmony_dsl::__private as __hp;
    let mut __harmony_plan = ::harmony_dsl::Plan::<Greenhouses>::new("greenhouses");
    let sensors = EdgeService! {
        [EdgeService] [const _ : () = { let __harmony_field = __hp::field_check(<
        EdgeService as __hp::ScoreKind > ::FIELDS, "image"); if __harmony_field.bit &
        272u32 == 0 { __hp::check_str(__harmony_field, 272u32,
        "registry.example.com/greenhouse/sensor-agent:0.7.1");
        __hp::check_str(__harmony_field, 272u32,
        "registry.example.com/greenhouse/updater:1.2"); } };] [::harmony_dsl::Plan::add::
        < EdgeService >] [& mut __harmony_plan, "sensors"] [& []] [EdgeService::builder::
        < Greenhouses > ()] [([image]
        [.image(__hp::str_literal("registry.example.com/greenhouse/sensor-agent:0.7.1"))])
        ([devices] [.devices(Greenhouses::north).devices(Greenhouses::south)])]
        [.build()]
    };
    let _ = &sensors;
    let updater = EdgeService! {
        [EdgeService] [] [::harmony_dsl::Plan::add:: < EdgeService >] [& mut
        __harmony_plan, "updater"] [& [sensors.id()]] [EdgeService::builder:: <
        Greenhouses > ()] [([image]
        [.image(__hp::str_literal("registry.example.com/greenhouse/updater:1.2"))])
        ([devices] [.devices(Greenhouses::north).devices(Greenhouses::south)
        .devices(Greenhouses::east)])] [.build()]
    };
    let _ = &updater;
    __harmony_plan
}
