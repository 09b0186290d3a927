// Expansion of the macros in harmony-runtime_src_providers__mod. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for Kube {
    const NAME: &'static str = "Kube";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "context",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
    ];
    fn apply_env(&mut self, prefix: &str) -> ::harmony_dsl::Result<()> {
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.context,
            &::std::format!("{}_{}", prefix, "CONTEXT"),
        )?;
        ::core::result::Result::Ok(())
    }
}
impl Kube {
    /// Compile-time check that this provider can be placed on host `H` (used by `topology!`).
    #[doc(hidden)]
    #[allow(dead_code)]
    pub fn __harmony_place_on<__H>(_host: __H)
    where
        __H: ::harmony_dsl::topology::Host,
    {}
}

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
        ::core::result::Result::Ok(())
    }
}
impl CoreDns {
    /// Compile-time check that this provider can be placed on host `H` (used by `topology!`).
    #[doc(hidden)]
    #[allow(dead_code)]
    pub fn __harmony_place_on<__H>(_host: __H)
    where
        __H: ::harmony_dsl::topology::Host,
        __H: ::harmony_dsl::topology::HasLabel<
            CoreDns,
            ::harmony_dsl::topology::label::control_plane,
        >,
    {}
}

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for MetalLb {
    const NAME: &'static str = "MetalLb";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "pool",
            kind: <Cidr as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
    ];
    fn apply_env(&mut self, prefix: &str) -> ::harmony_dsl::Result<()> {
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.pool,
            &::std::format!("{}_{}", prefix, "POOL"),
        )?;
        ::core::result::Result::Ok(())
    }
}
impl MetalLb {
    /// Compile-time check that this provider can be placed on host `H` (used by `topology!`).
    #[doc(hidden)]
    #[allow(dead_code)]
    pub fn __harmony_place_on<__H>(_host: __H)
    where
        __H: ::harmony_dsl::topology::Host,
    {}
}

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for Keycloak {
    const NAME: &'static str = "Keycloak";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "url",
            kind: <Url as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "realm",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
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
        ::core::result::Result::Ok(())
    }
}
impl Keycloak {
    /// Compile-time check that this provider can be placed on host `H` (used by `topology!`).
    #[doc(hidden)]
    #[allow(dead_code)]
    pub fn __harmony_place_on<__H>(_host: __H)
    where
        __H: ::harmony_dsl::topology::Host,
    {}
}

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for Podman {
    const NAME: &'static str = "Podman";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "on",
            kind: <Placement as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
    ];
    fn apply_env(&mut self, prefix: &str) -> ::harmony_dsl::Result<()> {
        ::harmony_dsl::__private::EnvField::set_from_env(
            &mut self.on,
            &::std::format!("{}_{}", prefix, "ON"),
        )?;
        ::core::result::Result::Ok(())
    }
}
impl Podman {
    /// Compile-time check that this provider can be placed on host `H` (used by `topology!`).
    #[doc(hidden)]
    #[allow(dead_code)]
    pub fn __harmony_place_on<__H>(_host: __H)
    where
        __H: ::harmony_dsl::topology::Host,
    {}
}

// ---- derive(Provider) ----
impl ::harmony_dsl::Provider for NatsFleet {
    const NAME: &'static str = "NatsFleet";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "url",
            kind: <Url as ::harmony_dsl::__private::ScoreField>::KIND,
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
impl NatsFleet {
    /// Compile-time check that this provider can be placed on host `H` (used by `topology!`).
    #[doc(hidden)]
    #[allow(dead_code)]
    pub fn __harmony_place_on<__H>(_host: __H)
    where
        __H: ::harmony_dsl::topology::Host,
        __H: ::harmony_dsl::topology::RunsOn<
            NatsFleet,
            ::harmony_dsl::topology::arch::Aarch64,
        >,
    {}
}
