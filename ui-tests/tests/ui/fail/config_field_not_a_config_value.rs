use harmony_runtime::prelude::*;

/// The shop's settings: a secret value cannot be held by a plan, and a list is not one value.
#[derive(Config)]
pub struct ShopConfig {
    domain: DomainName,
    db_password: Secret<String>,
    mirrors: Vec<Url>,
}

fn main() {}
