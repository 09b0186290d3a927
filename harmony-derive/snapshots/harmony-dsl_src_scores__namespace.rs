// Expansion of the macros in harmony-dsl_src_scores__namespace. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Score) ----
#[allow(dead_code)]
impl Namespace {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for Namespace {
    const KIND: &'static str = "Namespace";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "cpu",
            kind: <Option<Quantity> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "memory",
            kind: <Option<Quantity> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "storage",
            kind: <Option<Quantity> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "pods",
            kind: <Option<u32> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
}
impl ::harmony_dsl::__private::serde::Serialize for Namespace {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "Namespace",
            4usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "cpu",
            &self.cpu,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "memory",
            &self.memory,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "storage",
            &self.storage,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "pods",
            &self.pods,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for Namespace
where
    __T: ::harmony_dsl::Topology,
    dyn K8sCluster: ::harmony_dsl::__private::ProvidedBy<__T, Namespace>,
{}
impl ::harmony_dsl::ScoreOutputs for Namespace {
    type Outputs = ::harmony_dsl::NoOutputs;
    fn outputs(
        &self,
        _ctx: &::harmony_dsl::ScoreContext<'_>,
    ) -> ::harmony_dsl::NoOutputs {
        ::harmony_dsl::NoOutputs
    }
}
///Builder of score [`Namespace`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct NamespaceBuilder<__T> {
    cpu: Option<Quantity>,
    memory: Option<Quantity>,
    storage: Option<Quantity>,
    pods: Option<u32>,
    __topology: ::core::marker::PhantomData<fn() -> (__T,)>,
}
#[allow(dead_code)]
impl Namespace {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> NamespaceBuilder<__T> {
        NamespaceBuilder {
            cpu: ::core::option::Option::None,
            memory: ::core::option::Option::None,
            storage: ::core::option::Option::None,
            pods: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T> NamespaceBuilder<__T> {
    /// Total CPU requests of the namespace's pods (`requests.cpu`), e.g. `4` or `2500m`.
    ///
    ///Sets `cpu` (optional).
    pub fn cpu(mut self, value: Quantity) -> Self {
        self.cpu = ::core::option::Option::Some(value);
        self
    }
    /// Total memory requests (`requests.memory`), e.g. `8Gi`.
    ///
    ///Sets `memory` (optional).
    pub fn memory(mut self, value: Quantity) -> Self {
        self.memory = ::core::option::Option::Some(value);
        self
    }
    /// Total storage requested by volume claims (`requests.storage`), e.g. `100Gi`.
    ///
    ///Sets `storage` (optional).
    pub fn storage(mut self, value: Quantity) -> Self {
        self.storage = ::core::option::Option::Some(value);
        self
    }
    /// Most pods at once (`pods`).
    ///
    ///Sets `pods` (optional).
    pub fn pods(mut self, value: u32) -> Self {
        self.pods = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> Namespace {
        Namespace {
            cpu: self.cpu,
            memory: self.memory,
            storage: self.storage,
            pods: self.pods,
        }
    }
}
/**Fields of this score, as written in `score!`:

- `cpu: Option<Quantity>` (optional): Total CPU requests of the namespace's pods (`requests.cpu`), e.g. `4` or `2500m`.
- `memory: Option<Quantity>` (optional): Total memory requests (`requests.memory`), e.g. `8Gi`.
- `storage: Option<Quantity>` (optional): Total storage requested by volume claims (`requests.storage`), e.g. `100Gi`.
- `pods: Option<u32>` (optional): Most pods at once (`pods`).*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! Namespace_score_eceadeec {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! { "Namespace cpu memory storage pods"
        $($input)* }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use Namespace_score_eceadeec as Namespace;
