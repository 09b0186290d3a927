//! The fleet's end-to-end tests, one test binary (its support code and its links to
//! `harmony-runtime` built once): a real nats-server, the operator side (`FleetStore`, `NatsFleet`)
//! and `harmony-agent` processes (`fleet-test-agent`, the agent's own `main`).

mod support;

mod agent;
mod apply;
mod bench;
mod permissions;
mod restart;
mod scale;
mod status;
mod tls;
