//! The boxed future type capability traits return, so they stay usable as `dyn` objects.

use std::future::Future;
use std::pin::Pin;

/// A boxed, sendable future: what every capability operation returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
