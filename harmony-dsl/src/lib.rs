//! Harmony DSL: infrastructure as typed Rust, where the compiler is the validator.
//!
//! - A **topology** ([`topology!`]) is where things run: hosts and the capabilities the place
//!   offers, each bound to a provider.
//! - A **score** ([`derive@Score`]) is a unit of desired state; its type requires capabilities.
//! - An **interpret plan** ([`Plan`], built by [`score!`]) is the ordered list of capability
//!   operations that make the scores real; the runtime (`harmony-runtime`) executes it.
//!
//! Placement and wiring mistakes are compile errors: a score on a topology that lacks a
//! capability, a host that does not exist or has the wrong architecture, a wire of the wrong
//! type, a malformed IP address or image reference.

extern crate self as harmony_dsl;

pub mod capability;
mod claims;
pub mod config;
pub mod endpoint;
pub mod error;
pub mod failover_timing;
mod future;
pub mod higher_order;
pub mod operation;
pub mod outcome;
pub mod plan;
pub mod provider;
pub mod resource;
pub mod rollout;
pub mod score;
pub mod scores;
pub mod smoke;
pub mod topology;
pub use harmony_values as value;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use capability::Capability;
pub use endpoint::{Endpoint, Protocol};
pub use error::{Error, ErrorKind, Result};
pub use failover_timing::FailoverTiming;
pub use future::BoxFuture;
pub use harmony_derive::{Provider, Score, capability, failover_timing, rollout, score, topology};
pub use higher_order::{Decentralized, Failover};
pub use operation::{Artifact, Interpret, Operation};
pub use outcome::{Change, Inspection, LiveStatus, Observed, Outcome};
pub use plan::{Placement, Plan, ScoreHandle, ScoreId, Step, StepId, StepPolicy};
pub use provider::Provider;
pub use rollout::RolloutPolicy;
pub use score::{FieldInfo, NoOutputs, Operations, Score, ScoreContext, ScoreKind, ScoreOutputs};
pub use smoke::{SmokeCheck, SmokeTest, SqlLogin};
pub use topology::{Arch, CapabilityMap, HostInfo, Topology};

/// Everything an infrastructure file needs: `use harmony_dsl::prelude::*;`.
pub mod prelude {
    pub use crate::capability::{
        ContainerRuntime, DnsServer, FileSystem, Fleet, HelmCommand, IdentityProvider, K8sCluster,
        LoadBalancer, ProcessSupervisor, ProvidesContainerRuntime, ProvidesDnsServer,
        ProvidesFileSystem, ProvidesFleet, ProvidesHelmCommand, ProvidesIdentityProvider,
        ProvidesK8sCluster, ProvidesLoadBalancer, ProvidesProcessSupervisor,
    };
    pub use crate::config::{Config, SecretRef};
    pub use crate::endpoint::protocol::{Http, Nats, Tcp};
    pub use crate::endpoint::{Endpoint, Protocol};
    pub use crate::scores::*;
    pub use crate::value::{
        Cidr, DomainName, Duration, HttpUrl, ImageRef, IpAddress, NatsUrl, Port, PostgresUrl,
        Quantity, Secret, Url,
    };
    pub use crate::{
        Arch, Change, Decentralized, Error, ErrorKind, Failover, FailoverTiming, Operation,
        Operations, Outcome, Placement, Plan, Provider, RolloutPolicy, Score, ScoreContext,
        ScoreKind, ScoreOutputs, SmokeCheck, SmokeTest, SqlLogin, Topology, failover_timing,
        rollout, score, topology,
    };
}
