//! The fleet's end-to-end tests, one test binary (its support code and its links to
//! `harmony-runtime` built once): a real nats-server, the operator side (`FleetStore`, `NatsFleet`)
//! and `harmony-agent` processes (`fleet-test-agent`, the agent's own `main`).

mod sites;
mod support;
// The example programs are harmony-runtime's; this package is not published, so its tests may
// share the runtime's helpers for running them.
#[path = "../../../tests/common/mod.rs"]
mod common;

mod agent;
mod apply;
mod bench;
mod commands;
mod failover;
mod permissions;
mod plan_secrets;
mod reset;
mod restart;
mod rollout;
mod rollout_bench;
mod rollout_cli;
mod scale;
mod secret_output;
mod site_outage;
mod status;
mod tls;
