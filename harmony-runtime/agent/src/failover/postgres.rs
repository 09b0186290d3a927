//! The protocol's [`Database`] on a local PostgreSQL server, driven through its own programs
//! (`pg_ctl`, `psql`) as child processes: cleared environment, the server's account, a Unix
//! socket in a private directory with `peer` authentication (no password anywhere).
//!
//! **Fencing stops the server** (`pg_ctl stop -m fast`, then `-m immediate`). The alternative,
//! `default_transaction_read_only` plus ending sessions, is a default that any client can undo
//! for its own session (`SET default_transaction_read_only = off`, `BEGIN READ WRITE`), so it
//! does not stop a client that keeps writing; a stopped server refuses everyone. Un-fencing a
//! primary that got its lease back starts the server again (crash recovery, if any).
//!
//! A server that stopped on its own (killed, crashed) is reported [`DbState::Down`], not fenced:
//! its primary stops heartbeating and the replica takes over; the agent does not restart it
//! behind the replica's back.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use super::protocol::{Database, DbState};

/// Where the server is and how to reach it.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// The directory holding `pg_ctl` and `psql`.
    pub bin_dir: PathBuf,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The directory of the server's Unix socket (`unix_socket_directories`).
    pub socket_dir: PathBuf,
    /// The server's port (names the socket file).
    pub port: u16,
    /// The database role to connect as over the socket (`peer`: the server account's name).
    pub user: String,
    /// The server's log file (`pg_ctl start -l`).
    pub log_file: PathBuf,
    /// User and group id to run the programs as (PostgreSQL refuses root).
    pub run_as: Option<(u32, u32)>,
    /// How long a query may take; starting and stopping may take ten times this.
    pub timeout: Duration,
}

/// A local PostgreSQL server.
pub struct PgDatabase {
    config: PgConfig,
    /// Whether this role stopped the server (fenced), as opposed to finding it stopped.
    stopped_by_us: bool,
}

impl PgDatabase {
    /// A server as configured; nothing is run yet.
    pub fn new(config: PgConfig) -> Self {
        PgDatabase {
            config,
            stopped_by_us: false,
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.config.bin_dir.join(program));
        command
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some((uid, gid)) = self.config.run_as {
            command.uid(uid).gid(gid);
        }
        command
    }

    /// Runs a program; its standard output, or its first error line.
    async fn run(&self, mut command: Command, timeout: Duration) -> Result<String, String> {
        let output = tokio::time::timeout(timeout, command.output())
            .await
            .map_err(|_| format!("no answer within {timeout:?}"))?
            .map_err(|e| format!("cannot run: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            Err(format!("{} ({})", first.trim(), output.status))
        }
    }

    /// Runs SQL over the socket; the unaligned, tuples-only output.
    pub async fn sql(&self, sql: &str) -> Result<String, String> {
        let mut command = self.command("psql");
        command
            .arg("-X")
            .args(["-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"])
            .arg("-h")
            .arg(&self.config.socket_dir)
            .args(["-p", &self.config.port.to_string()])
            .args(["-U", &self.config.user, "-d", "postgres", "-c", sql]);
        self.run(command, self.config.timeout).await
    }

    fn pg_ctl(&self, action: &str) -> Command {
        let mut command = self.command("pg_ctl");
        command.arg(action).arg("-D").arg(&self.config.data_dir);
        command
    }

    fn long(&self) -> Duration {
        self.config.timeout * 10
    }

    /// Whether the server runs (`pg_ctl status`).
    async fn running(&self) -> bool {
        self.run(self.pg_ctl("status"), self.config.timeout)
            .await
            .is_ok()
    }

    async fn start(&mut self) -> Result<(), String> {
        let mut command = self.pg_ctl("start");
        command
            .args(["-w", "-t", &self.long().as_secs().max(1).to_string()])
            .arg("-l")
            .arg(&self.config.log_file);
        self.run(command, self.long() + Duration::from_secs(1))
            .await
            .map_err(|e| format!("pg_ctl start: {e}"))?;
        self.stopped_by_us = false;
        Ok(())
    }
}

impl Database for PgDatabase {
    async fn state(&mut self) -> DbState {
        let query = "select pg_is_in_recovery(), \
                     coalesce(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)::bigint";
        match self.sql(query).await {
            Ok(out) => {
                let mut parts = out.split('|');
                let recovery = parts.next() == Some("t");
                let lag = parts.next().and_then(|l| l.trim().parse::<i64>().ok());
                if recovery {
                    DbState::Standby {
                        lag_bytes: lag.map(|l| l.max(0) as u64),
                    }
                } else {
                    DbState::Writable
                }
            }
            Err(_) if self.stopped_by_us => DbState::Fenced,
            Err(e) => DbState::Down(e),
        }
    }

    async fn fence(&mut self) -> Result<(), String> {
        if !self.running().await {
            // Nothing accepts writes. Not marked as stopped by us: a crashed server stays down.
            return Ok(());
        }
        let mut fast = self.pg_ctl("stop");
        fast.args([
            "-m",
            "fast",
            "-w",
            "-t",
            &self.config.timeout.as_secs().max(1).to_string(),
        ]);
        if self.run(fast, self.config.timeout * 2).await.is_err() {
            let mut immediate = self.pg_ctl("stop");
            immediate.args(["-m", "immediate", "-w"]);
            self.run(immediate, self.long())
                .await
                .map_err(|e| format!("pg_ctl stop: {e}"))?;
        }
        self.stopped_by_us = true;
        Ok(())
    }

    async fn unfence(&mut self) -> Result<(), String> {
        if !self.running().await {
            self.start().await?;
        }
        Ok(())
    }

    async fn promote(&mut self) -> Result<(), String> {
        if !self.running().await {
            self.start().await?;
        }
        if let DbState::Standby { .. } = self.state().await {
            let mut command = self.pg_ctl("promote");
            command.args(["-w", "-t", &self.long().as_secs().max(1).to_string()]);
            self.run(command, self.long() + Duration::from_secs(1))
                .await
                .map_err(|e| format!("pg_ctl promote: {e}"))?;
        }
        // Alone, a primary cannot wait for a synchronous standby: commits would hang until the
        // old primary rejoins. It commits locally until then.
        self.sql("alter system set synchronous_standby_names = ''")
            .await
            .map_err(|e| format!("cannot turn synchronous replication off: {e}"))?;
        self.sql("select pg_reload_conf()")
            .await
            .map_err(|e| format!("cannot reload the configuration: {e}"))?;
        Ok(())
    }
}
