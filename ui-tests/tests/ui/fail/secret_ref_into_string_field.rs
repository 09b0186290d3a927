// A secret reference given to a plain text field: refused, and no conversion is suggested
// (a `.to_string()` would write the reference's description into the file).
use harmony_runtime::prelude::*;

#[derive(Debug, Config)]
pub struct AppConfig {
    api_token: SecretRef,
}

/// A file on this machine.
#[derive(Debug, Clone, Score)]
#[score(requires(FileSystem))]
pub struct Settings {
    token: String,
}

impl Operations for Settings {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new()
    }
}

score! {
    pub fn app(config: &AppConfig) -> Plan<Localhost> {
        settings = Settings { token: { config.api_token.clone() } };
    }
}

fn main() {}
