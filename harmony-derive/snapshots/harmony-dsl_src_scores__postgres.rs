// Expansion of the macros in harmony-dsl_src_scores__postgres. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Score) ----
#[allow(dead_code)]
impl Postgres {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for Postgres {
    const KIND: &'static str = "Postgres";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "version",
            kind: <u16 as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "storage",
            kind: <Quantity as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "place",
            kind: <Option<Placement> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "namespace",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "password",
            kind: <Option<SecretRef> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
}
impl ::harmony_dsl::__private::serde::Serialize for Postgres {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "Postgres",
            5usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "version",
            &self.version,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "storage",
            &self.storage,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "place",
            &self.place,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "namespace",
            &self.namespace,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "password",
            &self.password,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for Postgres
where
    __T: ::harmony_dsl::Topology,
    dyn K8sCluster: ::harmony_dsl::__private::ProvidedBy<__T, Postgres>,
{}
///Typed outputs of score [`Postgres`], for wiring (`database: db.endpoint`).
#[derive(Debug, Clone)]
pub struct PostgresOutputs {
    ///Output `endpoint`.
    pub endpoint: Endpoint<Postgres>,
}
///Builder of score [`Postgres`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct PostgresBuilder<__T> {
    version: ::core::option::Option<u16>,
    storage: ::core::option::Option<Quantity>,
    place: Option<Placement>,
    namespace: Option<String>,
    password: Option<SecretRef>,
    __topology: ::core::marker::PhantomData<fn() -> (__T,)>,
}
#[allow(dead_code)]
impl Postgres {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> PostgresBuilder<__T> {
        PostgresBuilder {
            version: ::core::option::Option::None,
            storage: ::core::option::Option::None,
            place: ::core::option::Option::None,
            namespace: ::core::option::Option::None,
            password: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T> PostgresBuilder<__T> {
    /// Major version.
    ///
    ///Sets `version` (has a default).
    pub fn version(mut self, value: u16) -> Self {
        self.version = ::core::option::Option::Some(value);
        self
    }
    /// Volume size, e.g. `10Gi`.
    ///
    ///Sets `storage` (has a default).
    pub fn storage(mut self, value: Quantity) -> Self {
        self.storage = ::core::option::Option::Some(value);
        self
    }
    /// Host to pin the database to.
    ///
    ///Places `place` on host `H`.
    pub fn place<__H>(mut self, _host: __H) -> Self
    where
        __H: ::harmony_dsl::topology::HostOf<__T>,
        __H: ::harmony_dsl::topology::Host,
    {
        self.place = ::core::option::Option::Some(::harmony_dsl::Placement::of::<__H>());
        self
    }
    /// Namespace (default `default`).
    ///
    ///Sets `namespace` (optional).
    pub fn namespace(mut self, value: String) -> Self {
        self.namespace = ::core::option::Option::Some(value);
        self
    }
    /// The superuser password, from configuration (`password: { config.db_password.clone() }`):
    /// kept in a Kubernetes `Secret` `<name>-credentials` whose value the runtime reads from its
    /// source at apply time; plans and rendered files hold the reference only.
    ///
    ///Sets `password` (optional).
    pub fn password(mut self, value: SecretRef) -> Self {
        self.password = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> Postgres {
        Postgres {
            version: self
                .version
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Int(16u128),
                )),
            storage: self
                .storage
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Str("1Gi"),
                )),
            place: self.place,
            namespace: self.namespace,
            password: self.password,
        }
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    <u16 as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Int(16u128),
);
const _: () = ::harmony_dsl::__private::check_kind(
    <Quantity as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Str("1Gi"),
);
/**Fields of this score, as written in `score!`:

- `version: u16` (default `16`): Major version.
- `storage: Quantity` (default `"1Gi"`): Volume size, e.g. `10Gi`.
- `place: Option<Placement>` (optional): Host to pin the database to.
- `namespace: Option<String>` (optional): Namespace (default `default`).
- `password: Option<SecretRef>` (optional): The superuser password, from configuration (`password: { config.db_password.clone() }`): kept in a Kubernetes `Secret` `<name>-credentials` whose value the runtime reads from its source at apply time; plans and rendered files hold the reference only.*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! Postgres_score_8c87ec50 {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! {
        "Postgres version storage place@ namespace password" $($input)* }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use Postgres_score_8c87ec50 as Postgres;
