//! `harmony-agent failover-watchdog`: the dead man's switch beside a failover agent.
//!
//! The agent starts it as a child and keeps the write end of its standard input. After every
//! round the agent writes `lease <ms>` (its server may accept writes for that long) or `fenced`.
//! The watchdog stops a server that accepts writes when the lease it was given runs out, or when
//! its input ends: the agent died (even by SIGKILL, which it cannot catch) and nothing will renew
//! the lease. A standby is left alone.

use std::process::ExitCode;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::Instant;

use super::postgres::{PgConfig, PgDatabase};
use super::protocol::{Database, DbState};

/// Reads the agent's messages from standard input and fences `db` when they stop.
pub async fn watch(mut db: PgDatabase, node: &str) -> ExitCode {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut deadline: Option<Instant> = None;
    loop {
        let expiry = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(line)) => {
                    deadline = match line.trim().strip_prefix("lease ") {
                        Some(ms) => ms
                            .parse::<u64>()
                            .ok()
                            .map(|ms| Instant::now() + Duration::from_millis(ms)),
                        None => None,
                    };
                }
                Ok(None) | Err(_) => {
                    fence_if_writable(&mut db, node, "the agent is gone").await;
                    return ExitCode::SUCCESS;
                }
            },
            _ = expiry => {
                deadline = None;
                fence_if_writable(&mut db, node, "the agent's lease ran out").await;
            }
        }
    }
}

async fn fence_if_writable(db: &mut PgDatabase, node: &str, why: &str) {
    if db.state().await == DbState::Writable {
        match db.fence().await {
            Ok(()) => eprintln!("harmony-agent failover-watchdog[{node}]: fenced: {why}"),
            Err(e) => {
                eprintln!("harmony-agent failover-watchdog[{node}]: cannot fence ({why}): {e}")
            }
        }
    }
}

/// The watchdog's configuration on its command line: the same `--pg-*` values as the agent's.
pub fn args(node: &str, config: &PgConfig) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> =
        vec!["failover-watchdog".into(), "--node".into(), node.into()];
    args.push("--pg-bin".into());
    args.push(config.bin_dir.clone().into());
    args.push("--pg-data".into());
    args.push(config.data_dir.clone().into());
    args.push("--pg-socket-dir".into());
    args.push(config.socket_dir.clone().into());
    args.push("--pg-port".into());
    args.push(config.port.to_string().into());
    args.push("--pg-account".into());
    args.push(config.user.clone().into());
    args.push("--pg-log".into());
    args.push(config.log_file.clone().into());
    args
}
