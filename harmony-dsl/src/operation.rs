//! Operations: the typed capability calls an interpret plan is made of, and [`Interpret`], the
//! async trait that performs one on a topology.
//!
//! # An open seam
//!
//! An [`Operation`] is "make this resource real with that capability", for *any* capability: one
//! declared in this crate (`K8sCluster`, `FileSystem`...) or in a user's crate, all through the
//! same three pieces, which `capability!` writes for a `manages Resource` capability:
//!
//! - the resource type implements [`Resource`]: its stable id, its one-line description and what
//!   `render` writes for it;
//! - the capability (`dyn Cap`) implements [`Manages`]: which resource it manages and how a
//!   provider inspects, applies and removes one;
//! - the capability is registered in the [`OperationKind`] registry under its name, so that a
//!   saved plan or the state file, where an operation is `{"capability": "Cap", "resource": ..}`,
//!   can be read back into a typed operation.
//!
//! Why a type-erased object and a registry rather than an enum or a generic parameter: a plan is a
//! list of operations of many capabilities, so it needs one type for all of them; an enum would
//! have to name every capability in this crate (the closed seam this replaces), and a type
//! parameter per capability would leak into `Plan`, `State` and every runtime signature. The
//! erased object keeps every operation typed inside (providers get `&Resource`, never JSON), and
//! the runtime only ever calls [`Interpret`], [`Operation::render`], [`Operation::resource_id`]
//! and `Display`. The registry is filled at link time (the `inventory` crate): any crate linked
//! into the program contributes its capabilities, with no list to keep and no call to forget; a
//! name nothing registers is read into an operation that keeps its JSON and fails with a clear
//! error when performed, so the state file of a program that lost a capability loses nothing.

mod builtin;
mod yaml;

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::capability::Capability;
use crate::error::{Error, ErrorKind, Result};
use crate::future::BoxFuture;
use crate::outcome::{Inspection, Outcome};
use crate::resource::KubeObject;
use crate::smoke::SmokeCheck;
use crate::topology::{CapabilityMap, Topology};

pub(crate) use builtin::not_inflated;

/// A resource a capability manages: typed, serialisable desired state with a stable identity.
///
/// Implement it for the resource type of your own capability (`capability! { Cap(ProvidesCap)
/// manages YourResource }` requires it). `id` must be stable across runs and unique among the
/// resources of all capabilities: the state and pruning are keyed by it, so prefix it with a short
/// kind (`cert:web.example.org`). Secrets in a resource are [`Secret`](crate::value::Secret)s,
/// which serialise as `<redacted>`: a resource is printed, saved in plans and in the state.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a resource a capability can manage",
    label = "`{Self}` does not implement `harmony_dsl::operation::Resource`",
    note = "implement `Resource` for `{Self}` (its stable `id` and a one-line `describe`); it must also be `Serialize + Deserialize + Clone + PartialEq + Debug`"
)]
pub trait Resource:
    Serialize + DeserializeOwned + Clone + PartialEq + fmt::Debug + Send + Sync + 'static
{
    /// Stable identity, used for state and pruning: `<kind>:<name>`.
    fn id(&self) -> String;

    /// One line for plans, progress and reports ("certificate for web.example.org").
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;

    /// What `render DIR` writes for it: deterministic, secrets redacted. The default is the
    /// resource as pretty JSON in `<capability>/<id>.json` (lower case, `/` and `:` as `_`).
    fn render(&self, capability: &str, secrets: SecretValues) -> Artifact {
        let _ = secrets;
        let name: String = self
            .id()
            .chars()
            .map(|c| match c {
                '/' | ':' | '\\' => '_',
                c => c,
            })
            .collect();
        Artifact {
            path: format!("{}/{name}.json", capability.to_lowercase()),
            content: pretty_json(self),
        }
    }
}

/// How a capability's operations are performed: the resource it manages and the provider calls
/// that inspect, apply and remove one. Implemented for `dyn Cap` by `capability!` (form `manages
/// Resource`); implement it yourself for a capability of another shape (see `HelmCommand`, whose
/// one operation inflates a chart), then register it with [`operation_kind!`](crate::operation_kind).
pub trait Manages: Capability {
    /// The resource type its operations carry.
    type Resource: Resource;
    /// Looks at the real system: what [`apply`](Manages::apply) would change.
    fn inspect<'a>(
        provider: &'a Self,
        resource: &'a Self::Resource,
    ) -> BoxFuture<'a, Result<Inspection>>;
    /// Makes the real system match `resource`. Idempotent.
    fn apply<'a>(
        provider: &'a Self,
        resource: &'a Self::Resource,
    ) -> BoxFuture<'a, Result<Outcome>>;
    /// Removes what `resource` created, once it is no longer declared.
    fn remove<'a>(
        provider: &'a Self,
        resource: &'a Self::Resource,
    ) -> BoxFuture<'a, Result<Outcome>>;
}

/// One entry of the registry of operation kinds: a capability's name and how to read one of its
/// operations back from a saved plan or the state file. Made by [`OperationKind::of`], collected
/// at link time (`capability!` and [`operation_kind!`](crate::operation_kind) submit one each).
pub struct OperationKind {
    capability: &'static str,
    decode: Decode,
}

type Decode = fn(
    &mut dyn erased_serde::Deserializer<'_>,
) -> std::result::Result<Operation, erased_serde::Error>;

impl OperationKind {
    /// The entry of capability `C`.
    pub const fn of<C: ?Sized + Manages>() -> Self {
        OperationKind {
            capability: C::NAME,
            decode: decode_managed::<C>,
        }
    }

    /// The capability's name.
    pub fn capability(&self) -> &'static str {
        self.capability
    }
}

inventory::collect!(OperationKind);

inventory::submit! {
    OperationKind { capability: SMOKE_TEST, decode: decode_smoke }
}

fn decode_managed<C: ?Sized + Manages>(
    d: &mut dyn erased_serde::Deserializer<'_>,
) -> std::result::Result<Operation, erased_serde::Error> {
    let resource: C::Resource = erased_serde::deserialize(d)?;
    Ok(Operation::new::<C>(resource))
}

fn decode_smoke(
    d: &mut dyn erased_serde::Deserializer<'_>,
) -> std::result::Result<Operation, erased_serde::Error> {
    let step: SmokeStep = erased_serde::deserialize(d)?;
    Ok(Operation(Arc::new(step)))
}

/// The registry by name. A name registered twice (two crates declaring a capability of the same
/// name) maps to `None`: reading such an operation is an error that says so.
fn registry() -> &'static HashMap<&'static str, Option<&'static OperationKind>> {
    static REGISTRY: OnceLock<HashMap<&'static str, Option<&'static OperationKind>>> =
        OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut map = HashMap::new();
        for kind in inventory::iter::<OperationKind> {
            map.entry(kind.capability)
                .and_modify(|e| *e = None)
                .or_insert(Some(kind));
        }
        map
    })
}

/// The names of every registered capability, sorted (for error messages and tests).
pub fn registered_capabilities() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = registry().keys().copied().collect();
    names.sort_unstable();
    names
}

/// Registers the operations of capability `dyn $cap` (which implements [`Manages`]) so that
/// saved plans and the state can name them. `capability!` does it for `manages` capabilities;
/// write it once, at module level, for a capability whose `Manages` impl you wrote yourself.
#[macro_export]
macro_rules! operation_kind {
    (dyn $($cap:tt)+) => {
        $crate::__private::inventory::submit! {
            $crate::operation::OperationKind::of::<dyn $($cap)+>()
        }
    };
}

/// What an operation does, type-erased: implemented for every capability's operations
/// ([`Managed`]), for smoke tests and for operations of unknown capabilities.
trait Erased: Send + Sync + 'static {
    fn capability(&self) -> &str;
    fn resource_id(&self) -> String;
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    fn render(&self, secrets: SecretValues) -> Artifact;
    fn resource(&self) -> &dyn erased_serde::Serialize;
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result;
    fn as_any(&self) -> &dyn Any;
    fn same(&self, other: &dyn Erased) -> bool;
    fn inspect<'a>(&'a self, cx: Cx<'a>) -> BoxFuture<'a, Result<Inspection>>;
    fn apply<'a>(&'a self, cx: Cx<'a>) -> BoxFuture<'a, Result<Outcome>>;
    fn remove<'a>(&'a self, cx: Cx<'a>) -> BoxFuture<'a, Result<Outcome>>;
}

/// What performing an operation needs of its topology.
#[derive(Clone, Copy)]
struct Cx<'a> {
    topology: &'static str,
    capabilities: &'a CapabilityMap,
}

impl Cx<'_> {
    fn provider<C: ?Sized + Capability>(&self) -> Result<&Arc<C>> {
        self.capabilities.get::<C>().ok_or_else(|| {
            Error::new(
                ErrorKind::MissingCapability,
                format!(
                    "topology `{}` has no provider for capability `{}`",
                    self.topology,
                    C::NAME
                ),
            )
            .in_capability(C::NAME)
        })
    }
}

/// An operation of capability `C`.
struct Managed<C: ?Sized + Manages>(C::Resource);

/// Errors of a provider are reported in the capability they came from.
fn in_capability<O>(result: Result<O>, capability: &'static str) -> Result<O> {
    result.map_err(|e| {
        if e.capability().is_some() {
            e
        } else {
            e.in_capability(capability)
        }
    })
}

impl<C: ?Sized + Manages> Erased for Managed<C> {
    fn capability(&self) -> &str {
        C::NAME
    }
    fn resource_id(&self) -> String {
        self.0.id()
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
    fn render(&self, secrets: SecretValues) -> Artifact {
        self.0.render(C::NAME, secrets)
    }
    fn resource(&self) -> &dyn erased_serde::Serialize {
        &self.0
    }
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple(C::NAME).field(&self.0).finish()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn same(&self, other: &dyn Erased) -> bool {
        other
            .as_any()
            .downcast_ref::<Self>()
            .is_some_and(|o| o.0 == self.0)
    }
    fn inspect<'a>(&'a self, cx: Cx<'a>) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async move {
            let result = match cx.provider::<C>() {
                Ok(p) => C::inspect(&**p, &self.0).await,
                Err(e) => Err(e),
            };
            in_capability(result, C::NAME)
        })
    }
    fn apply<'a>(&'a self, cx: Cx<'a>) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            let result = match cx.provider::<C>() {
                Ok(p) => C::apply(&**p, &self.0).await,
                Err(e) => Err(e),
            };
            in_capability(result, C::NAME)
        })
    }
    fn remove<'a>(&'a self, cx: Cx<'a>) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async move {
            let result = match cx.provider::<C>() {
                Ok(p) => C::remove(&**p, &self.0).await,
                Err(e) => Err(e),
            };
            in_capability(result, C::NAME)
        })
    }
}

/// The name smoke-test steps are saved under. Not a capability: the runtime's engine, which owns
/// the prober, performs them.
const SMOKE_TEST: &str = "SmokeTest";

/// A smoke-test step: the score instance it checks and the check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SmokeStep {
    score: String,
    check: SmokeCheck,
}

impl Erased for SmokeStep {
    fn capability(&self) -> &str {
        SMOKE_TEST
    }
    fn resource_id(&self) -> String {
        self.check.id(&self.score)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "smoke test: {}", self.check.check)
    }
    fn render(&self, _secrets: SecretValues) -> Artifact {
        let n = self
            .resource_id()
            .bytes()
            .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        Artifact {
            path: format!("smoke/{}-{n:08x}.json", self.score),
            content: pretty_json(&self.check),
        }
    }
    fn resource(&self) -> &dyn erased_serde::Serialize {
        self
    }
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn same(&self, other: &dyn Erased) -> bool {
        other.as_any().downcast_ref::<Self>() == Some(self)
    }
    fn inspect<'a>(&'a self, _cx: Cx<'a>) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async move { Ok(self.check.inspection()) })
    }
    fn apply<'a>(&'a self, _cx: Cx<'a>) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async {
            Err(Error::permanent(
                "smoke tests are performed by the runtime's engine, which owns the prober: run the step through harmony_runtime's executor",
            )
            .in_capability(SMOKE_TEST))
        })
    }
    fn remove<'a>(&'a self, _cx: Cx<'a>) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Ok(Outcome::Unchanged) })
    }
}

/// An operation read from a saved plan or the state whose capability this program does not know
/// (no linked crate registers it), or knows twice. Kept as JSON, so it is written back unchanged;
/// performing it fails with [`Operation::unknown_reason`].
#[derive(Debug, Clone, PartialEq)]
struct Unknown {
    capability: String,
    resource: serde_json::Value,
    ambiguous: bool,
}

impl Unknown {
    fn reason(&self) -> String {
        if self.ambiguous {
            format!(
                "capability `{}` is declared by more than one crate linked into this program: rename one of them",
                self.capability
            )
        } else {
            format!(
                "capability `{}` is not known to this program (it knows {}): link the crate that declares it",
                self.capability,
                registered_capabilities()
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }

    fn fail<O>(&self) -> BoxFuture<'_, Result<O>> {
        let message = self.reason();
        Box::pin(async move { Err(Error::permanent(message)) })
    }
}

impl Erased for Unknown {
    fn capability(&self) -> &str {
        &self.capability
    }
    fn resource_id(&self) -> String {
        format!("{}:{}", self.capability, self.resource)
    }
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} operation (unknown capability)", self.capability)
    }
    fn render(&self, _secrets: SecretValues) -> Artifact {
        Artifact {
            path: format!("unknown/{}.json", self.capability),
            content: pretty_json(&self.resource),
        }
    }
    fn resource(&self) -> &dyn erased_serde::Serialize {
        &self.resource
    }
    fn debug(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn same(&self, other: &dyn Erased) -> bool {
        other.as_any().downcast_ref::<Self>() == Some(self)
    }
    fn inspect<'a>(&'a self, _cx: Cx<'a>) -> BoxFuture<'a, Result<Inspection>> {
        self.fail()
    }
    fn apply<'a>(&'a self, _cx: Cx<'a>) -> BoxFuture<'a, Result<Outcome>> {
        self.fail()
    }
    fn remove<'a>(&'a self, _cx: Cx<'a>) -> BoxFuture<'a, Result<Outcome>> {
        self.fail()
    }
}

/// One capability operation: "make this resource real with that capability". Cheap to clone.
///
/// Made with [`Operation::new`] (`Operation::new::<dyn K8sCluster>(object)`), read back with
/// [`Operation::resource`] (`op.resource::<dyn K8sCluster>()`). Serialised as
/// `{"capability": "<name>", "resource": <the resource>}`.
#[derive(Clone)]
pub struct Operation(Arc<dyn Erased>);

impl Operation {
    /// The operation of capability `C` on `resource`.
    pub fn new<C: ?Sized + Manages>(resource: C::Resource) -> Self {
        Operation(Arc::new(Managed::<C>(resource)))
    }

    /// A smoke-test step of score instance `score` (added by [`Plan::add`](crate::Plan::add)).
    pub fn smoke_test(score: impl Into<String>, check: SmokeCheck) -> Self {
        Operation(Arc::new(SmokeStep {
            score: score.into(),
            check,
        }))
    }

    /// The resource, when this is an operation of capability `C`.
    pub fn resource<C: ?Sized + Manages>(&self) -> Option<&C::Resource> {
        self.0.as_any().downcast_ref::<Managed<C>>().map(|m| &m.0)
    }

    /// The score and check, when this is a smoke-test step.
    pub fn as_smoke_test(&self) -> Option<(&str, &SmokeCheck)> {
        self.0
            .as_any()
            .downcast_ref::<SmokeStep>()
            .map(|s| (s.score.as_str(), &s.check))
    }

    /// Whether this is a smoke-test step.
    pub fn is_smoke_test(&self) -> bool {
        self.as_smoke_test().is_some()
    }

    /// Why this operation cannot be performed, when it was read from a file and names a
    /// capability this program does not know (or knows twice).
    pub fn unknown_reason(&self) -> Option<String> {
        self.0
            .as_any()
            .downcast_ref::<Unknown>()
            .map(Unknown::reason)
    }

    /// The capability this operation needs, as written in `topology!` (`SmokeTest` for smoke
    /// tests).
    pub fn capability(&self) -> &str {
        self.0.capability()
    }

    /// Stable identity of the resource, used for state and pruning.
    pub fn resource_id(&self) -> String {
        self.0.resource_id()
    }

    /// What the runtime writes for `render DIR`: deterministic, secrets redacted. Kubernetes
    /// objects are one YAML file each, `k8s/<namespace or _cluster>/<kind>-<name>.yaml`, that
    /// `kubectl apply -f` accepts; other resources as their [`Resource::render`] says.
    pub fn render(&self) -> Artifact {
        self.render_with(SecretValues::Redacted)
    }

    /// Like [`render`](Self::render); with [`SecretValues::Included`] the `data` of Kubernetes
    /// `Secret`s holds the real values (what `render --include-secrets` writes).
    pub fn render_with(&self, secrets: SecretValues) -> Artifact {
        self.0.render(secrets)
    }

    /// The manifest of a Kubernetes object (what [`render_with`](Self::render_with) writes as
    /// YAML), `None` for other operations.
    pub fn manifest_with(&self, secrets: SecretValues) -> Option<serde_json::Value> {
        self.resource::<dyn crate::capability::K8sCluster>()
            .map(|o| kube_manifest(o, secrets))
    }

    fn cx<'a, T: Topology>(topology: &'a T) -> Cx<'a> {
        Cx {
            topology: T::NAME,
            capabilities: topology.capabilities(),
        }
    }
}

impl PartialEq for Operation {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.same(&*other.0)
    }
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug(f)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
}

impl Serialize for Operation {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("capability", self.0.capability())?;
        map.serialize_entry("resource", self.0.resource())?;
        map.end()
    }
}

/// Reads the resource of capability `name` from whatever deserializer holds it.
struct ResourceSeed<'n>(&'n str);

impl<'de> de::DeserializeSeed<'de> for ResourceSeed<'_> {
    type Value = Operation;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Operation, D::Error> {
        match registry().get(self.0) {
            Some(Some(kind)) => {
                let mut erased = <dyn erased_serde::Deserializer>::erase(d);
                (kind.decode)(&mut erased).map_err(de::Error::custom)
            }
            known => Ok(Operation(Arc::new(Unknown {
                capability: self.0.to_string(),
                resource: serde_json::Value::deserialize(d)?,
                ambiguous: known.is_some(),
            }))),
        }
    }
}

impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct OperationVisitor;
        impl<'de> Visitor<'de> for OperationVisitor {
            type Value = Operation;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an operation: {\"capability\": name, \"resource\": ...}")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Operation, A::Error> {
                let mut capability: Option<String> = None;
                // A resource before its capability (a hand-edited file) is buffered.
                let mut early: Option<serde_json::Value> = None;
                let mut operation = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "capability" => capability = Some(map.next_value()?),
                        "resource" => match &capability {
                            Some(name) => {
                                operation = Some(map.next_value_seed(ResourceSeed(name))?)
                            }
                            None => early = Some(map.next_value()?),
                        },
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["capability", "resource"],
                            ));
                        }
                    }
                }
                let capability =
                    capability.ok_or_else(|| de::Error::missing_field("capability"))?;
                match (operation, early) {
                    (Some(op), _) => Ok(op),
                    (None, Some(value)) => {
                        de::DeserializeSeed::deserialize(ResourceSeed(&capability), value)
                            .map_err(de::Error::custom)
                    }
                    (None, None) => Err(de::Error::missing_field("resource")),
                }
            }
        }
        d.deserialize_map(OperationVisitor)
    }
}

/// A file `render` writes: a path relative to the output directory and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Relative path, `/`-separated.
    pub path: String,
    /// Content.
    pub content: String,
}

/// `value` as pretty JSON with a final newline (what rendered JSON files hold).
pub fn pretty_json(value: &impl Serialize) -> String {
    let mut content = serde_json::to_string_pretty(value).unwrap_or_default();
    content.push('\n');
    content
}

fn kube_manifest(object: &KubeObject, secrets: SecretValues) -> serde_json::Value {
    match secrets {
        SecretValues::Redacted => redacted_manifest(object),
        SecretValues::Included => object.to_manifest(),
    }
}

/// Whether rendered files hold secret values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretValues {
    /// `<redacted>` instead of every value (the default).
    #[default]
    Redacted,
    /// The values themselves, for a user who asked for them explicitly.
    Included,
}

/// `"<redacted>"`, base64-encoded: what a rendered `Secret`'s `data` values become.
pub const REDACTED_BASE64: &str = "PHJlZGFjdGVkPg==";

/// The object's manifest, with the values of a `v1` `Secret` (`data`, `stringData`) replaced by
/// `<redacted>` (base64-encoded under `data`, so the manifest stays valid).
pub fn redacted_manifest(object: &KubeObject) -> serde_json::Value {
    let mut manifest = object.to_manifest();
    if object.api_version == "v1" && object.kind == "Secret" {
        for (field, placeholder) in [("data", REDACTED_BASE64), ("stringData", "<redacted>")] {
            if let Some(values) = manifest.get_mut(field).and_then(|v| v.as_object_mut()) {
                for value in values.values_mut() {
                    *value = placeholder.into();
                }
            }
        }
    }
    manifest
}

/// Performs an operation on topology `T`: the async half of an interpret plan.
pub trait Interpret<T: ?Sized>: Send + Sync {
    /// Looks at the real system: what [`execute`](Interpret::execute) would change.
    fn inspect<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Inspection>>;
    /// Makes it so. Idempotent: a second call reports [`Outcome::Unchanged`].
    fn execute<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Outcome>>;
    /// Undoes it, when the resource is no longer declared.
    fn remove<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Outcome>>;
}

impl<T: Topology> Interpret<T> for Operation {
    fn inspect<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Inspection>> {
        self.0.inspect(Operation::cx(topology))
    }

    fn execute<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Outcome>> {
        self.0.apply(Operation::cx(topology))
    }

    fn remove<'a>(&'a self, topology: &'a T) -> BoxFuture<'a, Result<Outcome>> {
        self.0.remove(Operation::cx(topology))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::{FileSystem, K8sCluster};
    use crate::resource::{FileKind, FileSpec};
    use serde_json::json;

    fn object(kind: &str, body: serde_json::Value) -> KubeObject {
        KubeObject {
            api_version: "v1".into(),
            kind: kind.into(),
            name: "db-credentials".into(),
            namespace: Some("shop".into()),
            labels: Default::default(),
            body: body.as_object().cloned().unwrap_or_default(),
            secret_data: Default::default(),
        }
    }

    #[test]
    fn kubernetes_objects_render_as_one_yaml_file_each() {
        let config = object("ConfigMap", json!({ "data": { "mode": "fast" } }));
        let artifact = Operation::new::<dyn K8sCluster>(config).render();
        assert_eq!(artifact.path, "k8s/shop/configmap-db-credentials.yaml");
        assert_eq!(
            artifact.content,
            "apiVersion: v1\ndata:\n  mode: fast\nkind: ConfigMap\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: harmony\n  name: db-credentials\n  namespace: shop\n"
        );
    }

    #[test]
    fn secret_values_are_redacted_in_rendered_files() {
        let secret = object(
            "Secret",
            json!({ "type": "Opaque", "data": { "password": "aHVudGVyMg==" }, "stringData": { "user": "admin" } }),
        );
        let artifact = Operation::new::<dyn K8sCluster>(secret).render();
        assert!(!artifact.content.contains("aHVudGVyMg=="));
        assert!(!artifact.content.contains("admin"));
        assert!(
            artifact
                .content
                .contains(&format!("password: \"{REDACTED_BASE64}\""))
        );
        assert!(artifact.content.contains("user: \"<redacted>\""));
        assert!(artifact.content.contains("type: Opaque"));
    }

    fn file() -> Operation {
        Operation::new::<dyn FileSystem>(FileSpec {
            path: "/etc/motd".into(),
            kind: FileKind::File {
                content: "hi".into(),
                mode: Some(0o644),
            },
        })
    }

    #[test]
    fn the_saved_form_is_the_one_the_closed_enum_had() {
        // What plans and state files written before the seam was opened hold.
        let text = r#"{"capability":"FileSystem","resource":{"path":"/etc/motd","kind":{"type":"file","content":"hi","mode":420}}}"#;
        assert_eq!(serde_json::to_string(&file()).unwrap(), text);
        let back: Operation = serde_json::from_str(text).unwrap();
        assert_eq!(back, file());
        assert_eq!(
            back.resource::<dyn FileSystem>().unwrap().path.to_str(),
            Some("/etc/motd")
        );
        // The resource first (a hand-edited file) reads the same.
        let swapped = r#"{"resource":{"path":"/etc/motd","kind":{"type":"file","content":"hi","mode":420}},"capability":"FileSystem"}"#;
        assert_eq!(serde_json::from_str::<Operation>(swapped).unwrap(), file());
        let smoke = Operation::smoke_test(
            "web",
            SmokeCheck::http("http://127.0.0.1:1/".parse().unwrap()),
        );
        let text = serde_json::to_string(&smoke).unwrap();
        assert!(
            text.starts_with(r#"{"capability":"SmokeTest","resource":{"score":"web","check":"#)
        );
        assert_eq!(serde_json::from_str::<Operation>(&text).unwrap(), smoke);
    }

    #[test]
    fn every_built_in_capability_is_registered_like_any_other() {
        let names = registered_capabilities();
        for name in [
            "ContainerRuntime",
            "DnsServer",
            "FileSystem",
            "Fleet",
            "HelmCommand",
            "IdentityProvider",
            "K8sCluster",
            "LoadBalancer",
            "ProcessSupervisor",
            "SmokeTest",
        ] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
    }

    #[test]
    fn an_unknown_capability_is_kept_as_written_and_fails_clearly_when_performed() {
        let text = r#"{"capability":"Teleporter","resource":{"n":2,"to":"mars"}}"#;
        let op: Operation = serde_json::from_str(text).unwrap();
        assert_eq!(op.capability(), "Teleporter");
        assert_eq!(serde_json::to_string(&op).unwrap(), text);
        let reason = op.unknown_reason().unwrap();
        assert!(
            reason.contains("capability `Teleporter` is not known to this program"),
            "{reason}"
        );
        assert!(reason.contains("`K8sCluster`"), "{reason}");
        assert!(file().unknown_reason().is_none());
    }
}
