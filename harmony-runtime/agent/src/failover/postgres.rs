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
//!
//! **Rejoining** ([`Database::rejoin`]) makes a deposed primary a standby of the new one:
//! `pg_rewind` against it (which needs `wal_log_hints = on` or data checksums, and runs crash
//! recovery in single-user mode first when the server was killed), or, when that fails, a fresh
//! base backup swapped in for the data directory. Both copy the primary's configuration files,
//! so this server's own are kept aside first (in `<data>.harmony-kept`, which also survives an
//! interrupted rejoin) and put back; then `standby.signal` and `primary_conninfo` are written
//! before the server starts, so it never starts writable. Every file operation in and beside
//! the data directory runs as the server's account, not as root: a link planted there by that
//! account leads nowhere it could not already write.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
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
    /// How to reach the other side's server for replication (a libpq connection string without
    /// a password: `host=10.0.0.2 port=5432 user=replicator`); a deposed primary cannot rejoin
    /// without it. See [`check_peer_conninfo`].
    pub peer_conninfo: Option<String>,
}

/// How long a rejoin's `pg_rewind` or base backup may take.
const REJOIN_TIMEOUT: Duration = Duration::from_secs(600);

/// Refuses a connection string that would put a secret on a command line or in a
/// configuration file, or that cannot be written into `primary_conninfo`.
pub fn check_peer_conninfo(conninfo: &str) -> Result<(), String> {
    if conninfo.to_ascii_lowercase().contains("password") {
        return Err(
            "the peer's connection string must not carry a password: put it in the \
             server account's ~/.pgpass (or use peer or certificate authentication)"
                .to_string(),
        );
    }
    if conninfo.chars().any(char::is_control) {
        return Err(
            "the peer's connection string must be one line without control characters".to_string(),
        );
    }
    if conninfo.trim().is_empty() {
        return Err("the peer's connection string is empty".to_string());
    }
    Ok(())
}

/// `value` as a quoted string of PostgreSQL's configuration files.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// The lines a standby's `postgresql.auto.conf` gets: whom it follows, and where this server
/// listens (a base backup copies the primary's settings).
fn standby_settings(conninfo: &str, config: &PgConfig) -> String {
    format!(
        "primary_conninfo = {}\nport = {}\nunix_socket_directories = {}",
        quoted(conninfo),
        config.port,
        quoted(&config.socket_dir.to_string_lossy())
    )
}

/// Keeps this server's configuration files aside in `$2` unless an earlier, interrupted rejoin
/// already did (`$1`: the data directory).
const KEEP_CONFIG: &str = r#"set -e; umask 077
if [ -d "$2" ] && [ ! -L "$2" ]; then exit 0; fi
rm -rf -- "$2" "$2.tmp"; mkdir -- "$2.tmp"
for f in postgresql.conf postgresql.auto.conf pg_hba.conf pg_ident.conf; do
  if [ -f "$1/$f" ] && [ ! -L "$1/$f" ]; then cp -- "$1/$f" "$2.tmp/"; fi
done
mv -- "$2.tmp" "$2""#;

/// Puts the kept files back into data directory `$1`, replaces the settings it sets with the
/// lines `$3`, creates `standby.signal`, and drops the kept copy `$2`.
const FOLLOW: &str = r#"set -e; umask 077; cd -- "$1"
for f in "$2"/*; do if [ -f "$f" ] && [ -r "$f" ]; then cp -- "$f" ./; fi; done
{ grep -v -E '^[[:space:]]*(primary_conninfo|port|unix_socket_directories)[[:space:]]*=' postgresql.auto.conf 2>/dev/null || true; } > postgresql.auto.conf.harmony
printf '%s\n' "$3" >> postgresql.auto.conf.harmony
mv -- postgresql.auto.conf.harmony postgresql.auto.conf
: > standby.signal
rm -rf -- "$2""#;

/// Replaces data directory `$1` by the fresh base backup `$2` (`$3`: where the old one goes
/// until it is removed).
const SWAP_IN: &str = r#"set -e; rm -rf -- "$3"
if [ -d "$1" ]; then mv -- "$1" "$3"; fi
mv -- "$2" "$1"; rm -rf -- "$3""#;

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
        self.command_at(self.config.bin_dir.join(program))
    }

    /// `program` as the server's account, with a cleared environment.
    fn command_at(&self, program: impl AsRef<Path>) -> Command {
        let mut command = Command::new(program.as_ref());
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

    /// Runs a shell script as the server's account, with `args` as `$1`....
    async fn script(&self, script: &str, args: &[&Path]) -> Result<String, String> {
        let mut command = self.command_at("/bin/sh");
        command.arg("-c").arg(script).arg("sh").args(args);
        self.run(command, REJOIN_TIMEOUT).await
    }

    /// A sibling of the data directory: `<data><suffix>`.
    fn beside_data(&self, suffix: &str) -> PathBuf {
        let mut name: OsString = self.config.data_dir.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    }

    /// `pg_rewind` of the data directory against the peer; it says whether anything was
    /// rewound.
    async fn rewind(&self, conninfo: &str) -> Result<String, String> {
        let source = if conninfo.contains("dbname=") {
            conninfo.to_string()
        } else {
            format!("{conninfo} dbname=postgres")
        };
        // A server promoted a moment ago writes its new timeline into its control file only at
        // the end of its first checkpoint; until then pg_rewind reads both sides as one timeline
        // and answers "no rewind required", and the old primary, whose WAL went on past the fork,
        // then can never follow it. So the new primary checkpoints first; when it cannot (no
        // CHECKPOINT right for the role), the rewind is not trusted and a base backup is taken.
        let mut checkpoint = self.command("psql");
        checkpoint
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(&source)
            .args(["-c", "CHECKPOINT"]);
        self.run(checkpoint, REJOIN_TIMEOUT)
            .await
            .map_err(|e| format!("CHECKPOINT on the new primary before pg_rewind: {e}"))?;
        let mut command = self.command("pg_rewind");
        command
            .arg("-D")
            .arg(&self.config.data_dir)
            .arg(format!("--source-server={source}"));
        let output = tokio::time::timeout(REJOIN_TIMEOUT, command.output())
            .await
            .map_err(|_| format!("pg_rewind: no answer within {REJOIN_TIMEOUT:?}"))?
            .map_err(|e| format!("cannot run pg_rewind: {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let line = stderr
                .lines()
                .rev()
                .find(|l| l.contains("error") || l.contains("fatal"))
                .or_else(|| stderr.lines().rev().find(|l| !l.trim().is_empty()))
                .unwrap_or("");
            return Err(format!("pg_rewind: {} ({})", line.trim(), output.status));
        }
        Ok(if stderr.contains("no rewind required") {
            "no rewind was needed".to_string()
        } else {
            "pg_rewind".to_string()
        })
    }

    /// A fresh base backup of the peer, swapped in for the data directory.
    async fn base_backup(&self, conninfo: &str) -> Result<(), String> {
        let fresh = self.beside_data(".harmony-rejoin");
        let old = self.beside_data(".harmony-replaced");
        self.script(r#"rm -rf -- "$1""#, &[&fresh]).await?;
        let mut command = self.command("pg_basebackup");
        command
            .arg("-D")
            .arg(&fresh)
            .arg("-d")
            .arg(conninfo)
            .args(["-X", "stream", "-c", "fast"]);
        self.run(command, REJOIN_TIMEOUT)
            .await
            .map_err(|e| format!("pg_basebackup: {e}"))?;
        self.script(SWAP_IN, &[&self.config.data_dir, &fresh, &old])
            .await
            .map_err(|e| format!("cannot swap the base backup in: {e}"))?;
        Ok(())
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
        self.server_status().await == Ok(true)
    }

    /// Whether the server runs (`pg_ctl status`: exit 0 runs; exit 3 does not, nor exit 4, no
    /// data directory yet); an error when that is not known (no answer in time, any other
    /// failure): a fence must not take an unknown for "stopped".
    async fn server_status(&self) -> Result<bool, String> {
        let output = tokio::time::timeout(self.config.timeout, self.pg_ctl("status").output())
            .await
            .map_err(|_| format!("pg_ctl status: no answer within {:?}", self.config.timeout))?
            .map_err(|e| format!("pg_ctl status: cannot run: {e}"))?;
        match output.status.code() {
            Some(0) => Ok(true),
            Some(3 | 4) => Ok(false),
            _ => Err(format!("pg_ctl status: {}", output.status)),
        }
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
        if self.server_status().await == Ok(false) {
            // Nothing accepts writes. Not marked as stopped by us: a crashed server stays down.
            return Ok(());
        }
        // Running, or not known (no answer in time): stopped either way, since an unknown must
        // not leave a writable server behind. A postmaster killed a moment ago still shows as
        // running until its zombie is reaped, so "running" here does not prove it was alive.
        let mut fast = self.pg_ctl("stop");
        fast.args([
            "-m",
            "fast",
            "-w",
            "-t",
            &self.config.timeout.as_secs().max(1).to_string(),
        ]);
        if self.run(fast, self.config.timeout * 2).await.is_ok() {
            self.stopped_by_us = true;
            return Ok(());
        }
        // The stop failed: the server died meanwhile, or a stop that gave up on a slow machine
        // finished a moment later (so that another `pg_ctl stop` finds no PID file). What counts
        // is that it no longer runs; since it cannot be told whether it crashed, it is not
        // marked stopped by us, and stays down (the safe side: no heartbeat from it).
        if self.server_status().await == Ok(false) {
            return Ok(());
        }
        let mut immediate = self.pg_ctl("stop");
        immediate.args(["-m", "immediate", "-w"]);
        match self.run(immediate, self.long()).await {
            Ok(_) => {
                self.stopped_by_us = true;
                Ok(())
            }
            Err(_) if self.server_status().await == Ok(false) => Ok(()),
            Err(e) => Err(format!("pg_ctl stop: {e}")),
        }
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

    async fn rejoin(&mut self) -> Result<String, String> {
        let Some(conninfo) = self.config.peer_conninfo.clone() else {
            return Err(
                "no --peer-conninfo: this server cannot follow the new primary; \
                 rejoin it by hand"
                    .to_string(),
            );
        };
        check_peer_conninfo(&conninfo)?;
        // Stopped first (fast: a clean shutdown spares pg_rewind the crash recovery).
        self.fence().await?;
        let kept = self.beside_data(".harmony-kept");
        self.script(KEEP_CONFIG, &[&self.config.data_dir, &kept])
            .await
            .map_err(|e| format!("cannot keep the configuration aside: {e}"))?;
        // A replica's first start has nothing to rewind: its data comes from a base backup.
        let initialized =
            std::fs::symlink_metadata(self.config.data_dir.join("PG_VERSION")).is_ok();
        let how = if !initialized {
            self.base_backup(&conninfo)
                .await
                .map_err(|e| format!("no data directory yet, and a base backup failed: {e}"))?;
            "a base backup: no data directory yet".to_string()
        } else {
            match self.rewind(&conninfo).await {
                Ok(how) => how,
                Err(rewind) => {
                    self.base_backup(&conninfo)
                        .await
                        .map_err(|e| format!("{rewind}; then a base backup failed: {e}"))?;
                    format!("a fresh base backup, as {rewind}")
                }
            }
        };
        let settings = standby_settings(&conninfo, &self.config);
        self.script(
            FOLLOW,
            &[&self.config.data_dir, &kept, Path::new(&settings)],
        )
        .await
        .map_err(|e| format!("cannot configure the standby: {e}"))?;
        self.start().await?;
        Ok(how)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_connection_string_with_a_password_is_refused() {
        assert!(check_peer_conninfo("host=10.0.0.2 user=rep").is_ok());
        let error = check_peer_conninfo("host=10.0.0.2 user=rep PassWord=x").unwrap_err();
        assert!(error.contains("~/.pgpass"), "{error}");
        assert!(check_peer_conninfo("host=a\nrestore_command='x'").is_err());
        assert!(check_peer_conninfo(" ").is_err());
    }

    #[test]
    fn standby_settings_quote_what_the_configuration_parser_would_read_otherwise() {
        let config = PgConfig {
            bin_dir: "/usr/lib/postgresql/15/bin".into(),
            data_dir: "/srv/pg/data".into(),
            socket_dir: "/run/o'pg".into(),
            port: 5433,
            user: "postgres".into(),
            log_file: "/srv/pg/log".into(),
            run_as: None,
            timeout: Duration::from_secs(1),
            peer_conninfo: None,
        };
        assert_eq!(
            standby_settings("host=/tmp/it's user=a\\b", &config),
            "primary_conninfo = 'host=/tmp/it''s user=a\\\\b'\nport = 5433\n\
             unix_socket_directories = '/run/o''pg'"
        );
    }
}
