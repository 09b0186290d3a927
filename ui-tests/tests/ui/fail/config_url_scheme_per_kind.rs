// Configuration defaults of protocol URLs are checked like literals in a plan.
use harmony_runtime::prelude::*;

/// Where the services are.
#[derive(Config)]
pub struct Endpoints {
    #[config(default = "https://nats.example.com")]
    nats: NatsUrl,
    #[config(default = "mysql://db.example.com/shop")]
    database: PostgresUrl,
    #[config(default = "nats://sso.example.com")]
    sso: HttpUrl,
}

fn main() {}
