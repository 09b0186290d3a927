//! Typed endpoints: what scores expose and other scores consume (`Endpoint<Postgres>`).

use std::fmt;
use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use crate::value::Port;

/// A protocol an [`Endpoint`] speaks; a marker type.
pub trait Protocol: Send + Sync + 'static {
    /// Name, e.g. `"postgres"`.
    const NAME: &'static str;
}

/// Protocol marker types.
pub mod protocol {
    use super::Protocol;

    macro_rules! protocols {
        ($($(#[$doc:meta])* $name:ident => $scheme:literal),* $(,)?) => {$(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
            pub struct $name;
            impl Protocol for $name {
                const NAME: &'static str = $scheme;
            }
        )*};
    }

    protocols! {
        /// HTTP.
        Http => "http",
        /// Plain TCP.
        Tcp => "tcp",
        /// NATS.
        Nats => "nats",
    }
}

/// Where a service of protocol `P` is reached: host and port. Wiring checks `P` at compile time.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Endpoint<P: Protocol> {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: Port,
    #[serde(skip)]
    protocol: PhantomData<fn() -> P>,
}

impl<P: Protocol> Endpoint<P> {
    /// An endpoint at `host:port`.
    pub fn new(host: impl Into<String>, port: Port) -> Self {
        Endpoint {
            host: host.into(),
            port,
            protocol: PhantomData,
        }
    }
}

impl<P: Protocol> Clone for Endpoint<P> {
    fn clone(&self) -> Self {
        Endpoint::new(self.host.clone(), self.port)
    }
}

impl<P: Protocol> PartialEq for Endpoint<P> {
    fn eq(&self, other: &Self) -> bool {
        self.host == other.host && self.port == other.port
    }
}

impl<P: Protocol> Eq for Endpoint<P> {}

impl<P: Protocol> fmt::Debug for Endpoint<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint<{}>({}:{})", P::NAME, self.host, self.port)
    }
}

impl<P: Protocol> fmt::Display for Endpoint<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", P::NAME, self.host, self.port)
    }
}

impl<P: Protocol> crate::value::ScoreField for Endpoint<P> {
    const KIND: crate::value::ValueKind = crate::value::ValueKind::Opaque;
}
