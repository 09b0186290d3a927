//! `harmony-agent failover ...`: runs the failover role for one local PostgreSQL server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use harmony_fleet_wire::connect::{ConnectConfig, connect};
use harmony_fleet_wire::now_ms;

use super::Timing;
use super::nats::NatsKv;
use super::postgres::{PgConfig, PgDatabase};
use super::protocol::{Database, DbState, Node};
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

/// Keeps one PostgreSQL server of a failover pair writable only while this node holds the
/// pair's leadership in NATS JetStream; takes over when the other side's primary falls silent.
#[derive(Debug, Parser)]
#[command(name = "harmony-agent failover", version)]
struct Args {
    /// NATS server URL.
    #[arg(long)]
    nats: String,
    /// The pair's name (the keys `<pair>.leader`, `<pair>.node.<node>`).
    #[arg(long)]
    pair: String,
    /// This node's name.
    #[arg(long)]
    node: String,
    /// This node creates leadership when the pair has none yet (its first start).
    #[arg(long)]
    initial_primary: bool,
    /// Directory of `pg_ctl` and `psql`.
    #[arg(long)]
    pg_bin: PathBuf,
    /// The server's data directory.
    #[arg(long)]
    pg_data: PathBuf,
    /// The directory of the server's Unix socket.
    #[arg(long)]
    pg_socket_dir: PathBuf,
    /// The server's port.
    #[arg(long, default_value_t = 5432)]
    pg_port: u16,
    /// The account the server runs as (also the database role, `peer` authentication).
    #[arg(long, default_value = "postgres")]
    pg_account: String,
    /// The server's log file.
    #[arg(long)]
    pg_log: PathBuf,
    /// How long a heartbeat may take, and how often one is sent (ms).
    #[arg(long, default_value_t = 1000)]
    heartbeat_timeout_ms: u64,
    /// Failed heartbeats in a row after which the primary fences itself.
    #[arg(long, default_value_t = 3)]
    failure_threshold: u32,
    /// Successful heartbeats in a row before a fenced primary accepts writes again.
    #[arg(long, default_value_t = 2)]
    success_threshold: u32,
    /// How long the primary must be silent before this node takes over (ms); must exceed
    /// heartbeat_timeout × failure_threshold.
    #[arg(long, default_value_t = 5000)]
    failover_timeout_ms: u64,
    /// User name (the password comes from HARMONY_NATS_PASSWORD).
    #[arg(long, env = "HARMONY_NATS_USER")]
    user: Option<String>,
    /// Password; prefer the HARMONY_NATS_PASSWORD environment variable.
    #[arg(long, env = "HARMONY_NATS_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Credentials file (JWT and nkey seed).
    #[arg(long, env = "HARMONY_NATS_CREDS")]
    creds: Option<PathBuf>,
    /// CA certificate to trust (PEM); implies TLS.
    #[arg(long, env = "HARMONY_NATS_TLS_CA")]
    tls_ca: Option<PathBuf>,
}

/// `harmony-agent failover-watchdog`: started by the agent itself (see [`super::watchdog`]).
#[derive(Debug, Parser)]
#[command(name = "harmony-agent failover-watchdog", version)]
struct WatchdogArgs {
    /// The node it watches over.
    #[arg(long)]
    node: String,
    /// Directory of `pg_ctl` and `psql`.
    #[arg(long)]
    pg_bin: PathBuf,
    /// The server's data directory.
    #[arg(long)]
    pg_data: PathBuf,
    /// The directory of the server's Unix socket.
    #[arg(long)]
    pg_socket_dir: PathBuf,
    /// The server's port.
    #[arg(long)]
    pg_port: u16,
    /// The account the server runs as.
    #[arg(long)]
    pg_account: String,
    /// The server's log file.
    #[arg(long)]
    pg_log: PathBuf,
}

/// Runs `harmony-agent failover-watchdog ...` until its standard input ends.
pub fn watchdog_main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let args = WatchdogArgs::parse_from(args);
    let Some(run_as) = account_ids(&args.pg_account) else {
        eprintln!(
            "harmony-agent failover-watchdog: no account `{}` in /etc/passwd",
            args.pg_account
        );
        return ExitCode::FAILURE;
    };
    let db = PgDatabase::new(PgConfig {
        bin_dir: args.pg_bin,
        data_dir: args.pg_data,
        socket_dir: args.pg_socket_dir,
        port: args.pg_port,
        user: args.pg_account,
        log_file: args.pg_log,
        run_as: Some(run_as),
        timeout: Duration::from_secs(1),
    });
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(super::watchdog::watch(db, &args.node)),
        Err(e) => {
            eprintln!("harmony-agent failover-watchdog: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The user and group ids of `account`, from `/etc/passwd`.
fn account_ids(account: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 3 && fields[0] == account)
            .then(|| Some((fields[2].parse().ok()?, fields[3].parse().ok()?)))
            .flatten()
    })
}

macro_rules! say {
    ($node:expr, $($arg:tt)*) => {
        eprintln!("harmony-agent failover[{}] {}: {}", $node, now_ms(), format!($($arg)*))
    };
}

/// Parses `harmony-agent failover ...` (`args` without the program name's `failover`) and runs
/// until SIGTERM or Ctrl-C; a primary fences itself before it exits.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let args = Args::parse_from(args);
    let timing = Timing {
        heartbeat_timeout: Duration::from_millis(args.heartbeat_timeout_ms),
        failure_threshold: args.failure_threshold,
        success_threshold: args.success_threshold,
        failover_timeout: Duration::from_millis(args.failover_timeout_ms),
    };
    if let Err(e) = timing.check() {
        eprintln!("harmony-agent failover: {e}");
        return ExitCode::FAILURE;
    }
    let Some(run_as) = account_ids(&args.pg_account) else {
        eprintln!(
            "harmony-agent failover: no account `{}` in /etc/passwd",
            args.pg_account
        );
        return ExitCode::FAILURE;
    };
    let pg = PgConfig {
        bin_dir: args.pg_bin.clone(),
        data_dir: args.pg_data.clone(),
        socket_dir: args.pg_socket_dir.clone(),
        port: args.pg_port,
        user: args.pg_account.clone(),
        log_file: args.pg_log.clone(),
        run_as: Some(run_as),
        timeout: timing.heartbeat_timeout.max(Duration::from_secs(1)),
    };
    let connect_config = ConnectConfig {
        user: args.user.clone(),
        password: args.password.clone(),
        creds: args.creds.clone(),
        tls_required: args.tls_ca.is_some(),
        tls_ca: args.tls_ca.clone(),
        name: Some(format!("harmony-agent failover {}", args.node)),
        ..Default::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("harmony-agent failover: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(args, timing, pg, connect_config))
}

async fn serve(args: Args, timing: Timing, pg: PgConfig, config: ConnectConfig) -> ExitCode {
    let shown = harmony_values::mask_url_credentials(&args.nats);
    // The dead man's switch first: from here on, this process dying stops a writable server.
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("harmony-agent failover: cannot find its own program for the watchdog: {e}");
            return ExitCode::FAILURE;
        }
    };
    let watchdog = tokio::process::Command::new(exe)
        .args(super::watchdog::args(&args.node, &pg))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(std::process::Stdio::piped())
        .spawn();
    let mut watchdog = match watchdog {
        Ok(child) => child,
        Err(e) => {
            eprintln!("harmony-agent failover: cannot start the watchdog: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(mut to_watchdog) = watchdog.stdin.take() else {
        eprintln!("harmony-agent failover: the watchdog has no input");
        return ExitCode::FAILURE;
    };
    let mut db = PgDatabase::new(pg);
    let shutdown = crate::cli::shutdown_signal();
    tokio::pin!(shutdown);
    // No lease without NATS: a writable server is fenced until the role can heartbeat.
    let kv = loop {
        let attempt = async {
            let client = connect(&args.nats, &config)
                .await
                .map_err(|e| e.to_string())?;
            NatsKv::open(&args.nats, &client).await
        };
        let failed = tokio::select! {
            _ = &mut shutdown => return ExitCode::SUCCESS,
            attempt = attempt => match attempt {
                Ok(kv) => break kv,
                Err(e) => e,
            },
        };
        say!(
            args.node,
            "{}; retrying",
            harmony_values::mask_url_credentials(&failed)
        );
        if db.state().await == DbState::Writable {
            match db.fence().await {
                Ok(()) => say!(args.node, "fenced: no lease without NATS at {shown}"),
                Err(e) => say!(args.node, "cannot fence: {e}"),
            }
        }
        tokio::time::sleep(timing.heartbeat_timeout).await;
    };
    say!(args.node, "connected to {shown}");
    let mut node = match Node::new(&args.pair, &args.node, timing, args.initial_primary, kv, db) {
        Ok(node) => node,
        Err(e) => {
            eprintln!("harmony-agent failover: {e}");
            return ExitCode::FAILURE;
        }
    };
    loop {
        for event in node.step().await {
            say!(args.node, "{event}");
        }
        let message = match node.writable_until() {
            Some(until) => format!(
                "lease {}\n",
                until.saturating_duration_since(Instant::now()).as_millis()
            ),
            None => "fenced\n".to_string(),
        };
        let sent = tokio::time::timeout(
            timing.heartbeat_timeout,
            to_watchdog.write_all(message.as_bytes()),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            say!(args.node, "the watchdog does not listen");
        }
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep_until(node.next_wake()) => {}
        }
    }
    // Leaving: nothing here will renew the lease, so a primary's server must not outlive it.
    if node.database().state().await == DbState::Writable {
        match node.database().fence().await {
            Ok(()) => say!(args.node, "fenced: the agent stops"),
            Err(e) => say!(args.node, "cannot fence on the way out: {e}"),
        }
    }
    say!(args.node, "stopped");
    ExitCode::SUCCESS
}
