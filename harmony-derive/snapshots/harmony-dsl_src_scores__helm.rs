// Expansion of the macros in harmony-dsl_src_scores__helm. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Score) ----
#[allow(dead_code)]
impl HelmChart {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for HelmChart {
    const KIND: &'static str = "HelmChart";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "chart",
            kind: <String as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "release",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "namespace",
            kind: <Option<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "values_files",
            kind: <Vec<String> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "values",
            kind: <HelmValues as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "check_schema",
            kind: <bool as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
}
impl ::harmony_dsl::__private::serde::Serialize for HelmChart {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "HelmChart",
            6usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "chart",
            &self.chart,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "release",
            &self.release,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "namespace",
            &self.namespace,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "values_files",
            &self.values_files,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "values",
            &self.values,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "check_schema",
            &self.check_schema,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for HelmChart
where
    __T: ::harmony_dsl::Topology,
    dyn K8sCluster: ::harmony_dsl::__private::ProvidedBy<__T, HelmChart>,
    dyn HelmCommand: ::harmony_dsl::__private::ProvidedBy<__T, HelmChart>,
{}
impl ::harmony_dsl::ScoreOutputs for HelmChart {
    type Outputs = ::harmony_dsl::NoOutputs;
    fn outputs(
        &self,
        _ctx: &::harmony_dsl::ScoreContext<'_>,
    ) -> ::harmony_dsl::NoOutputs {
        ::harmony_dsl::NoOutputs
    }
}
///Builder of score [`HelmChart`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct HelmChartBuilder<__T, __Chart> {
    chart: __Chart,
    release: Option<String>,
    namespace: Option<String>,
    values_files: Vec<String>,
    values: ::core::option::Option<HelmValues>,
    check_schema: ::core::option::Option<bool>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Chart)>,
}
#[allow(dead_code)]
impl HelmChart {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> HelmChartBuilder<__T, ::harmony_dsl::__private::Unset> {
        HelmChartBuilder {
            chart: ::harmony_dsl::__private::Unset,
            release: ::core::option::Option::None,
            namespace: ::core::option::Option::None,
            values_files: ::std::vec::Vec::new(),
            values: ::core::option::Option::None,
            check_schema: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `chart` of [`HelmChart`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `HelmChart` is missing required field `chart`",
    label = "`chart` is not set",
    note = "add `chart: <value>` to this `HelmChart`; it has no default"
)]
pub trait HelmChartChartIsSet {
    #[doc(hidden)]
    fn __value(self) -> String;
}
impl HelmChartChartIsSet for ::harmony_dsl::__private::Set<String> {
    fn __value(self) -> String {
        self.0
    }
}
#[allow(dead_code)]
impl<__T> HelmChartBuilder<__T, ::harmony_dsl::__private::Unset> {
    /// The chart: a local directory or a packaged `.tgz`, relative to the current directory.
    ///
    ///Sets `chart` (required).
    pub fn chart(
        self,
        value: String,
    ) -> HelmChartBuilder<__T, ::harmony_dsl::__private::Set<String>> {
        HelmChartBuilder {
            chart: ::harmony_dsl::__private::Set(value),
            release: self.release,
            namespace: self.namespace,
            values_files: self.values_files,
            values: self.values,
            check_schema: self.check_schema,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Chart> HelmChartBuilder<__T, __Chart> {
    /// Release name (`.Release.Name`; default: the score instance's name).
    ///
    ///Sets `release` (optional).
    pub fn release(mut self, value: String) -> Self {
        self.release = ::core::option::Option::Some(value);
        self
    }
    /// Namespace of the release (default `default`).
    ///
    ///Sets `namespace` (optional).
    pub fn namespace(mut self, value: String) -> Self {
        self.namespace = ::core::option::Option::Some(value);
        self
    }
    /// Values files (`-f`), in order.
    ///
    ///Sets `values_files` (optional, empty by default).
    pub fn values_files(mut self, value: Vec<String>) -> Self {
        self.values_files = value;
        self
    }
    /// Values set in the plan, e.g. from a typed struct: `values: { HelmValues::of(&my_values) }`.
    /// They win over `values_files`.
    ///
    ///Sets `values` (has a default).
    pub fn values(mut self, value: HelmValues) -> Self {
        self.values = ::core::option::Option::Some(value);
        self
    }
    /// Check the values against the chart's `values.schema.json`, when it has one.
    ///
    ///Sets `check_schema` (has a default).
    pub fn check_schema(mut self, value: bool) -> Self {
        self.check_schema = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> HelmChart
    where
        __Chart: HelmChartChartIsSet,
    {
        HelmChart {
            chart: HelmChartChartIsSet::__value(self.chart),
            release: self.release,
            namespace: self.namespace,
            values_files: self.values_files,
            values: self.values.unwrap_or_default(),
            check_schema: self
                .check_schema
                .unwrap_or_else(|| ::harmony_dsl::__private::FromLiteral::from_literal(
                    ::harmony_dsl::__private::Literal::Bool(true),
                )),
        }
    }
}
const _: () = ::harmony_dsl::__private::check_kind(
    <bool as ::harmony_dsl::__private::ScoreField>::KIND,
    ::harmony_dsl::__private::Literal::Bool(true),
);
/**Fields of this score, as written in `score!`:

- `chart: String` (required): The chart: a local directory or a packaged `.tgz`, relative to the current directory.
- `release: Option<String>` (optional): Release name (`.Release.Name`; default: the score instance's name).
- `namespace: Option<String>` (optional): Namespace of the release (default `default`).
- `values_files: Vec<String>` (optional): Values files (`-f`), in order.
- `values: HelmValues` (has a default): Values set in the plan, e.g. from a typed struct: `values: { HelmValues::of(&my_values) }`. They win over `values_files`.
- `check_schema: bool` (default `true`): Check the values against the chart's `values.schema.json`, when it has one.*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! HelmChart_score_979d8a7f {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! {
        "HelmChart chart! release namespace values_files values check_schema" $($input)*
        }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use HelmChart_score_979d8a7f as HelmChart;
