// Expansion of the macros in harmony-dsl_src_scores__edge. Generated: HARMONY_BLESS=1 to update.

// ---- derive(Score) ----
#[allow(dead_code)]
impl EdgeService {
    /// Stands for a score `score!` has already reported missing a required field, so
    /// that the builder's typestate adds no second error. Never runs: the program does
    /// not compile.
    #[doc(hidden)]
    pub fn __harmony_unfinished() -> Self {
        ::core::unreachable!("a score with a missing required field does not compile")
    }
}
impl ::harmony_dsl::ScoreKind for EdgeService {
    const KIND: &'static str = "EdgeService";
    const FIELDS: &'static [::harmony_dsl::FieldInfo] = &[
        ::harmony_dsl::FieldInfo {
            name: "image",
            kind: <ImageRef as ::harmony_dsl::__private::ScoreField>::KIND,
            required: true,
        },
        ::harmony_dsl::FieldInfo {
            name: "devices",
            kind: <Vec<Placement> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
        ::harmony_dsl::FieldInfo {
            name: "rollout",
            kind: <Option<RolloutPolicy> as ::harmony_dsl::__private::ScoreField>::KIND,
            required: false,
        },
    ];
}
impl ::harmony_dsl::__private::serde::Serialize for EdgeService {
    fn serialize<__S: ::harmony_dsl::__private::serde::Serializer>(
        &self,
        serializer: __S,
    ) -> ::core::result::Result<__S::Ok, __S::Error> {
        let mut state = ::harmony_dsl::__private::serde::Serializer::serialize_struct(
            serializer,
            "EdgeService",
            3usize,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "image",
            &self.image,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "devices",
            &self.devices,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::serialize_field(
            &mut state,
            "rollout",
            &self.rollout,
        )?;
        ::harmony_dsl::__private::serde::ser::SerializeStruct::end(state)
    }
}
impl<__T> ::harmony_dsl::Score<__T> for EdgeService
where
    __T: ::harmony_dsl::Topology,
    dyn Fleet: ::harmony_dsl::__private::ProvidedBy<__T, EdgeService>,
{}
impl ::harmony_dsl::ScoreOutputs for EdgeService {
    type Outputs = ::harmony_dsl::NoOutputs;
    fn outputs(
        &self,
        _ctx: &::harmony_dsl::ScoreContext<'_>,
    ) -> ::harmony_dsl::NoOutputs {
        ::harmony_dsl::NoOutputs
    }
}
///Builder of score [`EdgeService`]. Required fields are tracked in the type: `build()` only compiles once each is set. `T` is the topology it will be placed on.
#[must_use = "a builder does nothing until `build()` is called"]
#[allow(dead_code)]
pub struct EdgeServiceBuilder<__T, __Image> {
    image: __Image,
    devices: Vec<Placement>,
    rollout: Option<RolloutPolicy>,
    __topology: ::core::marker::PhantomData<fn() -> (__T, __Image)>,
}
#[allow(dead_code)]
impl EdgeService {
    /// A builder for this score, to be placed on topology `T`.
    pub fn builder<__T>() -> EdgeServiceBuilder<__T, ::harmony_dsl::__private::Unset> {
        EdgeServiceBuilder {
            image: ::harmony_dsl::__private::Unset,
            devices: ::std::vec::Vec::new(),
            rollout: ::core::option::Option::None,
            __topology: ::core::marker::PhantomData,
        }
    }
}
///Typestate: field `image` of [`EdgeService`] is set.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "score `EdgeService` is missing required field `image`",
    label = "`image` is not set",
    note = "add `image: <value>` to this `EdgeService`; it has no default"
)]
pub trait EdgeServiceImageIsSet {
    #[doc(hidden)]
    fn __value(self) -> ImageRef;
}
impl EdgeServiceImageIsSet for ::harmony_dsl::__private::Set<ImageRef> {
    fn __value(self) -> ImageRef {
        self.0
    }
}
#[allow(dead_code)]
impl<__T> EdgeServiceBuilder<__T, ::harmony_dsl::__private::Unset> {
    /// Container image (an arm64 build).
    ///
    ///Sets `image` (required).
    pub fn image(
        self,
        value: ImageRef,
    ) -> EdgeServiceBuilder<__T, ::harmony_dsl::__private::Set<ImageRef>> {
        EdgeServiceBuilder {
            image: ::harmony_dsl::__private::Set(value),
            devices: self.devices,
            rollout: self.rollout,
            __topology: ::core::marker::PhantomData,
        }
    }
}
#[allow(dead_code)]
impl<__T, __Image> EdgeServiceBuilder<__T, __Image> {
    /// Devices it runs on: devices of the topology's fleet.
    ///
    ///Adds host `H` to `devices`.
    pub fn devices<__H>(mut self, _host: __H) -> Self
    where
        __H: ::harmony_dsl::topology::HostOf<__T>,
        __H: ::harmony_dsl::topology::Host,
        __H: EdgeServiceNeedsArchAarch64,
        __H: ::harmony_dsl::topology::FleetDevice<__T>,
    {
        self.devices.push(::harmony_dsl::Placement::of::<__H>());
        self
    }
    /// How a new version reaches the devices: canary, waves, failure threshold; written with
    /// [`rollout!`](crate::rollout!) (`rollout: { rollout! { .. } }`). Without it, every device
    /// is written at once.
    ///
    ///Sets `rollout` (optional).
    pub fn rollout(mut self, value: RolloutPolicy) -> Self {
        self.rollout = ::core::option::Option::Some(value);
        self
    }
    /// Builds the score; compiles only once every required field is set.
    pub fn build(self) -> EdgeService
    where
        __Image: EdgeServiceImageIsSet,
    {
        EdgeService {
            image: EdgeServiceImageIsSet::__value(self.image),
            devices: self.devices,
            rollout: self.rollout,
        }
    }
}
///Placement: the host is an `aarch64` host, which `EdgeService` needs.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`EdgeService` cannot run on host `{Self}`: it needs an `aarch64` host",
    label = "`{Self}` is not an `aarch64` host",
    note = "place `EdgeService` on a host declared with `arch: aarch64` in `topology!`, or use a score (or image) built for the architecture of `{Self}`"
)]
pub trait EdgeServiceNeedsArchAarch64 {}
#[diagnostic::do_not_recommend]
impl<
    __H: ::harmony_dsl::topology::RunsOn<
            EdgeService,
            ::harmony_dsl::topology::arch::Aarch64,
        >,
> EdgeServiceNeedsArchAarch64 for __H {}
/**Fields of this score, as written in `score!`:

- `image: ImageRef` (required): Container image (an arm64 build).
- `devices: Vec<Placement>` (optional): Devices it runs on: devices of the topology's fleet.
- `rollout: Option<RolloutPolicy>` (optional): How a new version reaches the devices: canary, waves, failure threshold; written with [`rollout!`](crate::rollout!) (`rollout: { rollout! { .. } }`). Without it, every device is written at once.*/
#[doc(hidden)]
#[macro_export]
#[allow(non_local_definitions, non_snake_case)]
macro_rules! EdgeService_score_0b15d86a {
    ($($input:tt)*) => {
        ::harmony_dsl::__private::score_fields! { "EdgeService image! devices@ rollout"
        $($input)* }
    };
}
#[doc(hidden)]
#[allow(unused_imports)]
pub use EdgeService_score_0b15d86a as EdgeService;
