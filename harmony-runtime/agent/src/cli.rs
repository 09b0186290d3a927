//! The command line of `harmony-agent` (the binary's `main` calls [`main`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::{AgentConfig, ConnectConfig, run};
use clap::Parser;

/// Runs this device's share of a Harmony fleet: watches its desired state in NATS JetStream,
/// supervises its workloads, reports status. Needs nats-server 2.10 or later.
#[derive(Debug, Parser)]
#[command(name = "harmony-agent", version)]
struct Args {
    /// NATS server URL, `nats://` or `tls://`, e.g. nats://10.20.0.1:4222 (checked at start: a bad
    /// one is a configuration error, exit 1).
    #[arg(long)]
    nats: String,
    /// This device's name, as in the topology.
    #[arg(long)]
    device: String,
    /// Where to keep the desired state and workload logs.
    #[arg(long, default_value = "/var/lib/harmony-agent")]
    state_dir: PathBuf,
    /// User name (the password comes from --password or HARMONY_NATS_PASSWORD).
    #[arg(long, env = "HARMONY_NATS_USER")]
    user: Option<String>,
    /// Password; prefer the HARMONY_NATS_PASSWORD environment variable.
    #[arg(long, env = "HARMONY_NATS_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Token; prefer the HARMONY_NATS_TOKEN environment variable.
    #[arg(long, env = "HARMONY_NATS_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Credentials file (JWT and nkey seed).
    #[arg(long, env = "HARMONY_NATS_CREDS")]
    creds: Option<PathBuf>,
    /// CA certificate to trust (PEM); implies TLS.
    #[arg(long, env = "HARMONY_NATS_TLS_CA")]
    tls_ca: Option<PathBuf>,
    /// Client certificate (PEM), with --tls-key.
    #[arg(long, env = "HARMONY_NATS_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// Client key (PEM), with --tls-cert.
    #[arg(long, env = "HARMONY_NATS_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// The hub's JetStream domain, when this device connects through a site's leaf node
    /// (the hub's `jetstream { domain: ... }`).
    #[arg(long, env = "HARMONY_NATS_JS_DOMAIN")]
    js_domain: Option<String>,
    /// Heartbeat interval in milliseconds.
    #[arg(long, default_value_t = 5000)]
    heartbeat_ms: u64,
}

/// Parses the command line and runs the agent until SIGTERM or Ctrl-C; `harmony-agent failover
/// ...` runs the failover role instead ([`crate::failover::cli`]).
pub fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "failover") {
        return crate::failover::cli::main(std::env::args_os().skip(1));
    }
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "failover-watchdog")
    {
        return crate::failover::cli::watchdog_main(std::env::args_os().skip(1));
    }
    let args = Args::parse();
    let config = AgentConfig {
        url: args.nats,
        device: args.device,
        state_dir: args.state_dir,
        connect: ConnectConfig {
            user: args.user,
            password: args.password,
            token: args.token,
            creds: args.creds,
            tls_required: args.tls_ca.is_some(),
            tls_ca: args.tls_ca,
            tls_cert: args.tls_cert,
            tls_key: args.tls_key,
            name: None,
            inbox_prefix: None,
            jetstream_domain: args.js_domain,
        },
        heartbeat: Duration::from_millis(args.heartbeat_ms.max(100)),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("harmony-agent: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(config, shutdown_signal()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("harmony-agent: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
