//! A real PostgreSQL server for the SQL smoke-check tests: a fresh data dir (initdb) with password
//! authentication over TCP on a free loopback port. `tests/tools/postgres.sh` finds or installs the
//! binaries. PostgreSQL refuses to run as root, so a root test runs it as `nobody`. Stopped on drop.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The superuser initdb creates; it logs in with SCRAM-SHA-256.
pub const SUPERUSER: &str = "harmony";
/// The superuser's password.
pub const SUPERUSER_PASSWORD: &str = "scram-pass-7f3a";
/// A role whose password is stored, and checked, as md5.
pub const MD5_USER: &str = "legacy";
/// The md5 role's password.
pub const MD5_PASSWORD: &str = "md5-pass-91c2";
/// How long the server may take to start.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// The directory holding `initdb` and `postgres`, from `tests/tools/postgres.sh` (run once per test
/// binary, so that two tests never install at the same time).
pub fn postgres_bin_dir() -> PathBuf {
    static BIN_DIR: OnceLock<PathBuf> = OnceLock::new();
    BIN_DIR.get_or_init(find_or_install).clone()
}

fn find_or_install() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/postgres.sh");
    let out = Command::new("sh")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} could not provide PostgreSQL",
        script.display()
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The user and group to run PostgreSQL as: `nobody` when we are root, otherwise ourselves.
fn server_account() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions; getpwnam gets a NUL-terminated name and its result is
    // read at once, before any other call that could reuse its buffer.
    unsafe {
        if libc::geteuid() != 0 {
            return None;
        }
        let nobody = libc::getpwnam(c"nobody".as_ptr());
        assert!(
            !nobody.is_null(),
            "running as root, and there is no user `nobody` to run PostgreSQL as"
        );
        Some(((*nobody).pw_uid, (*nobody).pw_gid))
    }
}

/// A PostgreSQL server with its data under a directory of its own.
pub struct PgServer {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    pub port: u16,
    child: Option<Child>,
}

impl PgServer {
    /// Creates the cluster in `dir` (which it takes over) without starting it: `pg_hba.conf`
    /// asks [`MD5_USER`] for an md5 password and everyone else for SCRAM-SHA-256.
    pub fn init(dir: &Path, port: u16) -> Self {
        let bin = postgres_bin_dir();
        std::fs::create_dir_all(dir).expect("create the server's dir");
        if let Some((uid, gid)) = server_account() {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid)).expect("chown the server's dir");
        }
        let pwfile = dir.join("pwfile");
        std::fs::write(&pwfile, SUPERUSER_PASSWORD).expect("write pwfile");
        let data = dir.join("data");
        let out = as_server_account(Command::new(bin.join("initdb")))
            .arg("-D")
            .arg(&data)
            .args(["-U", SUPERUSER, "--auth=scram-sha-256", "--no-locale"])
            .args(["-E", "UTF8", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(
            data.join("pg_hba.conf"),
            format!(
                "host all {MD5_USER} 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 scram-sha-256\n"
            ),
        )
        .expect("write pg_hba.conf");
        PgServer {
            bin,
            log: dir.join("postgres.log"),
            data,
            port,
            child: None,
        }
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&mut self) {
        self.spawn();
        let deadline = Instant::now() + START_DEADLINE;
        while !self.log().contains("ready to accept connections") {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("postgres exited with {status}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "postgres not ready within {START_DEADLINE:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the server process without waiting for it.
    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("server log");
        let child = as_server_account(Command::new(self.bin.join("postgres")))
            .arg("-D")
            .arg(&self.data)
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "fsync=off", "-c", "max_connections=20"])
            .args(["-c", "log_connections=on"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start postgres");
        self.child = Some(child);
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

fn as_server_account(mut command: Command) -> Command {
    if let Some((uid, gid)) = server_account() {
        // std drops the supplementary groups too when root changes uid.
        command.uid(uid).gid(gid);
    }
    command
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SIGINT is PostgreSQL's fast shutdown; kill it if it does not stop in time.
        // SAFETY: signalling our own child by its pid.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
