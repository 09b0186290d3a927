//! Harmony runtime.

pub mod providers;

/// Everything an infrastructure file needs: the DSL's prelude and the providers.
pub mod prelude {
    pub use crate::providers::*;
    pub use harmony_dsl::prelude::*;
}
