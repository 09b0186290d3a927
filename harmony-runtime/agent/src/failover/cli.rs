//! `harmony-agent failover ...`: runs the failover role for one local PostgreSQL server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use harmony_fleet_wire::connect::{ConnectConfig, connect};
use harmony_fleet_wire::now_ms;

use super::Timing;
use super::nats::NatsKv;
use super::operator::{PairStatus, request_switchover};
use super::postgres::{PgConfig, PgDatabase, check_peer_conninfo};
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
    /// How to reach the other side's server for replication, as a libpq connection string
    /// without a password (`host=10.0.0.2 port=5432 user=replicator`): a deposed primary
    /// rejoins as its replica, and a replica with no data directory yet starts from its base
    /// backup. Without it, neither happens.
    #[arg(long)]
    peer_conninfo: Option<String>,
    #[command(flatten)]
    auth: NatsAuth,
}

/// How to log in to NATS.
#[derive(Debug, clap::Args)]
struct NatsAuth {
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

impl NatsAuth {
    fn config(&self, name: String) -> ConnectConfig {
        ConnectConfig {
            user: self.user.clone(),
            password: self.password.clone(),
            creds: self.creds.clone(),
            tls_required: self.tls_ca.is_some(),
            tls_ca: self.tls_ca.clone(),
            name: Some(name),
            ..Default::default()
        }
    }
}

/// `harmony-agent failover switchover`: the primary fences its server and hands leadership to
/// the replica, which promotes; the old primary then rejoins as a replica.
#[derive(Debug, Parser)]
#[command(name = "harmony-agent failover switchover", version)]
struct SwitchoverArgs {
    /// NATS server URL.
    #[arg(long)]
    nats: String,
    /// The pair's name.
    #[arg(long)]
    pair: String,
    /// The replica that takes over.
    #[arg(long)]
    to: String,
    /// How long to wait for it to accept writes (ms).
    #[arg(long, default_value_t = 60_000)]
    wait_ms: u64,
    #[command(flatten)]
    auth: NatsAuth,
}

/// `harmony-agent failover status`: each side's role, the leader's revision and fencing token,
/// heartbeat ages (server time), replication lag, and the last failover with its reason.
#[derive(Debug, Parser)]
#[command(name = "harmony-agent failover status", version)]
struct StatusArgs {
    /// NATS server URL.
    #[arg(long)]
    nats: String,
    /// The pair's name.
    #[arg(long)]
    pair: String,
    #[command(flatten)]
    auth: NatsAuth,
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
        peer_conninfo: None,
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
/// until SIGTERM or Ctrl-C; a primary fences itself before it exits. `failover switchover` and
/// `failover status` are the operator's commands.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    match args.get(1).and_then(|a| a.to_str()) {
        Some("switchover") => {
            let args = SwitchoverArgs::parse_from(args.iter().skip(1));
            return operator_command(&args.nats, &args.auth, switchover(&args));
        }
        Some("status") => {
            let args = StatusArgs::parse_from(args.iter().skip(1));
            return operator_command(&args.nats, &args.auth, status(&args));
        }
        _ => {}
    }
    let args = Args::parse_from(args);
    if let Some(Err(e)) = args.peer_conninfo.as_deref().map(check_peer_conninfo) {
        eprintln!("harmony-agent failover: --peer-conninfo: {e}");
        return ExitCode::FAILURE;
    }
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
        peer_conninfo: args.peer_conninfo.clone(),
    };
    let connect_config = args
        .auth
        .config(format!("harmony-agent failover {}", args.node));
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2);
    let Some(runtime) = runtime(builder) else {
        return ExitCode::FAILURE;
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

/// How long one request of an operator command may take.
const OPERATOR_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs an operator command: connects to `url`, opens the bucket, runs `command` on it; prints
/// its error (credentials masked) and exits 1 when it fails.
fn operator_command<F>(url: &str, auth: &NatsAuth, command: F) -> ExitCode
where
    F: AsyncFnOnce(NatsKv) -> Result<(), String>,
{
    let Some(runtime) = runtime(tokio::runtime::Builder::new_current_thread()) else {
        return ExitCode::FAILURE;
    };
    let result = runtime.block_on(async {
        let client = tokio::time::timeout(
            OPERATOR_TIMEOUT,
            connect(url, &auth.config("harmony-agent failover operator".into())),
        )
        .await
        .map_err(|_| {
            format!(
                "no answer from {} within {OPERATOR_TIMEOUT:?}",
                harmony_values::mask_url_credentials(url)
            )
        })?
        .map_err(|e| e.to_string())?;
        let kv = NatsKv::open(url, &client).await?;
        command(kv).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "harmony-agent failover: {}",
                harmony_values::mask_url_credentials(&e)
            );
            ExitCode::FAILURE
        }
    }
}

fn switchover(args: &SwitchoverArgs) -> impl AsyncFnOnce(NatsKv) -> Result<(), String> {
    async move |kv: NatsKv| {
        let revision = request_switchover(&kv, &args.pair, &args.to, OPERATOR_TIMEOUT).await?;
        println!(
            "asked the primary of pair {} to hand over to {} (request at revision {revision})",
            args.pair, args.to
        );
        let deadline = Instant::now() + Duration::from_millis(args.wait_ms);
        loop {
            let nodes = kv.node_names(&args.pair).await?;
            let status = PairStatus::read(&kv, &args.pair, &nodes, OPERATOR_TIMEOUT).await?;
            if status.leader == args.to && status.nodes[0].writable {
                println!(
                    "{} leads pair {} and accepts writes (epoch {}, fencing token {})",
                    args.to, args.pair, status.epoch, status.fencing_token
                );
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the switchover did not finish within {} ms; the pair now:\n{status}",
                    args.wait_ms
                ));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn status(args: &StatusArgs) -> impl AsyncFnOnce(NatsKv) -> Result<(), String> {
    async move |kv: NatsKv| {
        let nodes = kv.node_names(&args.pair).await?;
        let status = PairStatus::read(&kv, &args.pair, &nodes, OPERATOR_TIMEOUT).await?;
        print!("{status}");
        Ok(())
    }
}

/// The async runtime `builder` makes (with I/O and timers), or `None` after saying why not.
fn runtime(mut builder: tokio::runtime::Builder) -> Option<tokio::runtime::Runtime> {
    builder
        .enable_all()
        .build()
        .inspect_err(|e| eprintln!("harmony-agent failover: cannot start the async runtime: {e}"))
        .ok()
}
