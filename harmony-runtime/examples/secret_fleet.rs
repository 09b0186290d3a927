//! A fleet plan whose workload carries a secret: used by the secret-free-output test, which runs
//! `plan -vvv` and `apply -vvv` against a real nats-server and searches stderr for the value.
//! `SECRET_FLEET_URL` is the server (it may carry a password, which must not be printed either);
//! `SECRET_FLEET_VALUE` is the secret.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

use harmony_dsl::capability::Fleet;
use harmony_dsl::resource::{DeviceSpec, EnvValue, Workload, WorkloadRun};
use harmony_dsl::value::Secret;
use harmony_dsl::{CapabilityMap, Error, HostInfo, Operation, Plan, Topology};
use harmony_runtime::providers::NatsFleet;

struct SecretFleet {
    capabilities: CapabilityMap,
}

impl Topology for SecretFleet {
    const NAME: &'static str = "SecretFleet";

    fn hosts(&self) -> &[HostInfo] {
        &[]
    }

    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }
}

fn topology() -> Result<SecretFleet, Error> {
    let url = std::env::var("SECRET_FLEET_URL")
        .map_err(|_| Error::permanent("SECRET_FLEET_URL is not set"))?;
    let fleet: Arc<dyn Fleet> = Arc::new(NatsFleet {
        url: url
            .parse()
            .map_err(|e| Error::permanent(format!("SECRET_FLEET_URL: {e}")))?,
        devices: vec![],
    });
    let mut capabilities = CapabilityMap::new();
    capabilities.insert::<dyn Fleet>("NatsFleet", fleet);
    Ok(SecretFleet { capabilities })
}

fn main() -> ExitCode {
    let secret = std::env::var("SECRET_FLEET_VALUE").unwrap_or_default();
    let mut plan: Plan<SecretFleet> = Plan::new("secret-fleet");
    plan.push_step(
        "sensors",
        Operation::new::<dyn harmony_dsl::capability::Fleet>(DeviceSpec {
            device: "north".into(),
            workloads: vec![Workload {
                name: "sensors".into(),
                run: WorkloadRun::Process {
                    command: vec!["sleep".into(), "600".into()],
                },
                env: BTreeMap::from([(
                    "API_KEY".to_string(),
                    EnvValue::Secret(Secret::new(secret)),
                )]),
            }],
        }),
        &[],
    );
    harmony_runtime::App::new(topology(), plan).run()
}
