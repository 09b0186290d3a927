//! Failover of real PostgreSQL servers (run as `nobody`, found or installed by
//! `harmony-runtime/tests/tools/postgres.sh`): a primary and a standby made by base backup,
//! streaming with synchronous replication over Unix sockets (`peer` authentication: no password
//! anywhere), each driven by a failover node with `PgDatabase`, over a real nats-server.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use harmony_agent::failover::postgres::{PgConfig, PgDatabase};

use super::*;

/// The directory of PostgreSQL's programs.
fn pg_bin() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tools/postgres.sh");
    let out = Command::new("sh")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("run postgres.sh");
    assert!(
        out.status.success(),
        "postgres.sh could not provide PostgreSQL"
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// `nobody`'s user and group ids (the tests run as root; PostgreSQL refuses root).
fn nobody() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    let line = passwd
        .lines()
        .find(|l| l.starts_with("nobody:"))
        .expect("a user nobody");
    let fields: Vec<&str> = line.split(':').collect();
    (fields[2].parse().unwrap(), fields[3].parse().unwrap())
}

/// A directory owned by `nobody`, mode 0700.
fn private_dir(path: &Path) -> PathBuf {
    std::fs::create_dir_all(path).unwrap();
    let (uid, gid) = nobody();
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
    path.to_path_buf()
}

fn as_nobody(bin: &Path, program: &str) -> Command {
    let (uid, gid) = nobody();
    let mut command = Command::new(bin.join(program));
    command
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .uid(uid)
        .gid(gid);
    command
}

fn run(mut command: Command, what: &str) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Asks both sides whether they accept writes every 50 ms, until `stop` turns true, and once
/// more after that.
struct Sampler {
    /// (when the sample was started, a accepts writes, b accepts writes)
    samples: Arc<Mutex<Vec<(Instant, bool, bool)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(a: &Arc<Side>, b: &Arc<Side>, stop: &watch::Sender<bool>) -> Self {
        let samples: Arc<Mutex<Vec<(Instant, bool, bool)>>> = Arc::default();
        let (a, b, out, mut stop) = (a.clone(), b.clone(), samples.clone(), stop.subscribe());
        let task = tokio::spawn(async move {
            // One sample more after `stop`: what the test waited for before stopping (a
            // promotion) may have happened after the last sample of the loop.
            loop {
                let stopping = *stop.borrow_and_update();
                let (a2, b2) = (a.clone(), b.clone());
                let at = Instant::now();
                let (wa, wb) = tokio::join!(
                    tokio::task::spawn_blocking(move || a2.accepts_writes()),
                    tokio::task::spawn_blocking(move || b2.accepts_writes()),
                );
                out.lock().unwrap().push((at, wa.unwrap(), wb.unwrap()));
                if stopping {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Sampler { samples, task }
    }

    /// Waits for the sampler to stop (send `true` on `stop` first) and returns its samples.
    async fn finish(self) -> Samples {
        self.task.await.unwrap();
        Samples(self.samples.lock().unwrap().clone())
    }
}

/// What a [`Sampler`] saw.
struct Samples(Vec<(Instant, bool, bool)>);

impl Samples {
    /// Asserts that no sample saw both sides accept writes, and that `a` refused writes (after
    /// `killed`) before `b` accepted them; returns those two instants.
    fn fenced_then_promoted(&self, killed: Instant) -> (Instant, Instant) {
        let both = self.0.iter().filter(|s| s.1 && s.2).count();
        assert!(both == 0, "both sides accepted writes at {both} samples");
        let fenced = self
            .0
            .iter()
            .find(|s| s.0 >= killed && !s.1)
            .expect("a fenced")
            .0;
        let promoted = self.0.iter().find(|s| s.2).expect("b promoted").0;
        assert!(
            fenced < promoted,
            "the old primary fenced after the promotion"
        );
        (fenced, promoted)
    }
}

/// One PostgreSQL server of the pair.
struct Side {
    bin: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    log: PathBuf,
    port: u16,
}

impl Side {
    fn new(bin: &Path, dir: &Path) -> Self {
        let dir = private_dir(dir);
        Side {
            bin: bin.to_path_buf(),
            data: dir.join("data"),
            socket: private_dir(&dir.join("sock")),
            log: dir.join("postgres.log"),
            port: free_port(),
        }
    }

    fn append_conf(&self, lines: &str) {
        let path = self.data.join("postgresql.conf");
        let mut conf = std::fs::read_to_string(&path).unwrap();
        conf.push_str(lines);
        std::fs::write(&path, conf).unwrap();
    }

    fn own_conf(&self) {
        self.append_conf(&format!(
            "\nport = {}\nlisten_addresses = ''\nunix_socket_directories = '{}'\n",
            self.port,
            self.socket.display()
        ));
    }

    fn start(&self) {
        let mut command = as_nobody(&self.bin, "pg_ctl");
        command
            .args(["start", "-w", "-D"])
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log);
        run(command, "pg_ctl start");
    }

    /// `psql` running `sql` over the socket, unaligned and tuples only, errors not shown.
    fn psql(&self, sql: &str) -> Command {
        let mut command = as_nobody(&self.bin, "psql");
        command
            .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket)
            .args(["-p", &self.port.to_string(), "-U", "nobody"])
            .args(["-d", "postgres", "-c", sql])
            .stderr(Stdio::null());
        command
    }

    /// Runs SQL; `None` when the server does not answer.
    fn sql(&self, sql: &str) -> Option<String> {
        let mut command = self.psql(sql);
        let out = command.output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Runs SQL, giving up (and killing `psql`) after `timeout`; `None` when it failed or did
    /// not finish: the statement was not acknowledged.
    fn sql_within(&self, sql: &str, timeout: Duration) -> Option<String> {
        let mut command = self.psql(sql);
        command.stdout(Stdio::piped());
        let mut child = command.spawn().ok()?;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().ok()? {
                let mut out = String::new();
                std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
                return status.success().then(|| out.trim().to_string());
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn accepts_writes(&self) -> bool {
        self.sql("select not pg_is_in_recovery()").as_deref() == Some("t")
    }

    /// How the other side reaches this server for replication (and `pg_rewind`).
    fn conninfo(&self) -> String {
        format!(
            "host={} port={} user=nobody",
            self.socket.display(),
            self.port
        )
    }

    /// Whether the server answers as a standby.
    fn is_standby(&self) -> bool {
        self.sql("select pg_is_in_recovery()").as_deref() == Some("t")
    }

    /// The probe rows this server has.
    fn rows(&self) -> Option<std::collections::BTreeSet<i64>> {
        Some(
            self.sql("select n from probe")?
                .lines()
                .filter_map(|l| l.parse().ok())
                .collect(),
        )
    }

    fn database(&self, peer: &Side) -> PgDatabase {
        PgDatabase::new(PgConfig {
            bin_dir: self.bin.clone(),
            data_dir: self.data.clone(),
            socket_dir: self.socket.clone(),
            port: self.port,
            user: "nobody".to_string(),
            log_file: self.log.clone(),
            run_as: Some(nobody()),
            timeout: Duration::from_secs(1),
            peer_conninfo: Some(peer.conninfo()),
        })
    }

    fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        let mut command = as_nobody(&self.bin, "pg_ctl");
        command
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = command.status();
    }
}

/// A primary `a` and a standby `b` made from its base backup, streaming; `synchronous` makes
/// `b` a synchronous standby. With `wal_log_hints` on (and no data checksums) `pg_rewind` can
/// rewind either side.
fn replicated_pair(dir: &Path, synchronous: bool) -> (Side, Side) {
    replicated_pair_with(dir, synchronous, true)
}

fn replicated_pair_with(dir: &Path, synchronous: bool, wal_log_hints: bool) -> (Side, Side) {
    let (a, b) = primary_and_empty_side(dir, wal_log_hints);
    let mut backup = as_nobody(&a.bin, "pg_basebackup");
    backup
        .arg("-D")
        .arg(&b.data)
        .arg("-h")
        .arg(&a.socket)
        .args([
            "-p",
            &a.port.to_string(),
            "-U",
            "nobody",
            "-R",
            "-X",
            "stream",
        ])
        .arg("--no-sync");
    run(backup, "pg_basebackup");
    b.own_conf();
    b.start();
    if synchronous {
        // Only now: a commit on a primary whose synchronous standby does not exist yet waits.
        a.sql("alter system set synchronous_standby_names = '*'")
            .expect("synchronous standby");
        a.sql("select pg_reload_conf()").expect("reload");
    }
    let want = if synchronous { "sync" } else { "async" };
    let deadline = Instant::now() + DEADLINE;
    while a
        .sql("select sync_state from pg_stat_replication where state = 'streaming'")
        .as_deref()
        != Some(want)
    {
        assert!(Instant::now() < deadline, "the standby does not stream");
        std::thread::sleep(Duration::from_millis(100));
    }
    (a, b)
}

/// A running primary `a` with the table `probe`, and a side `b` without a data directory.
fn primary_and_empty_side(dir: &Path, wal_log_hints: bool) -> (Side, Side) {
    let bin = pg_bin();
    let a = Side::new(&bin, &dir.join("a"));
    let b = Side::new(&bin, &dir.join("b"));
    let mut initdb = as_nobody(&bin, "initdb");
    initdb
        .arg("-D")
        .arg(&a.data)
        .args(["-U", "nobody", "--auth-local=peer", "--auth-host=reject"])
        .args(["--no-locale", "-E", "UTF8", "--no-sync"]);
    run(initdb, "initdb");
    a.own_conf();
    a.append_conf(
        "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n\
         max_connections = 30\n\
         # Kept for pg_rewind: the checkpoint of a server's shutdown or crash recovery would\n\
         # otherwise remove the WAL back to where the two histories forked.\n\
         wal_keep_size = '64MB'\n",
    );
    a.append_conf(if wal_log_hints {
        "wal_log_hints = on\n"
    } else {
        "wal_log_hints = off\n"
    });
    a.start();
    a.sql("create table probe (n bigint primary key)")
        .expect("create table");
    (a, b)
}

fn pg_timing() -> Timing {
    Timing {
        heartbeat_timeout: Duration::from_millis(500),
        failure_threshold: 3,
        success_threshold: 2,
        failover_timeout: Duration::from_millis(3000),
    }
}

/// What breaks the primary.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// SIGKILL to its postmaster.
    KillPostgres,
    /// Its node's link to NATS cut (PostgreSQL keeps running).
    CutLink,
}

/// Whether the leader entry of pair `pg` names `node`.
async fn leader_is(kv: &NatsKv, node: &str) -> bool {
    match kv.read("pg.leader", OP).await {
        Ok(Some(r)) => {
            String::from_utf8_lossy(&r.value).contains(&format!("\"holder\":\"{node}\""))
        }
        _ => false,
    }
}

/// Writes a row at a time (numbered 1, 2, ...) to whichever side the leader entry names, and
/// records the acknowledged ones, until `stop` turns true.
struct Prober {
    acked: Arc<Mutex<Vec<(i64, Instant)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Prober {
    async fn start(url: &str, a: &Arc<Side>, b: &Arc<Side>, stop: &watch::Sender<bool>) -> Self {
        let acked: Arc<Mutex<Vec<(i64, Instant)>>> = Arc::default();
        let (a, b, out, mut stop) = (a.clone(), b.clone(), acked.clone(), stop.subscribe());
        let leader = kv(url).await;
        let task = tokio::spawn(async move {
            let mut n = 0i64;
            while !*stop.borrow_and_update() {
                n += 1;
                let holder = if leader_is(&leader, "b").await {
                    b.clone()
                } else {
                    a.clone()
                };
                let sql = format!("insert into probe values ({n})");
                let ok = tokio::task::spawn_blocking(move || holder.sql(&sql).is_some())
                    .await
                    .unwrap();
                if ok {
                    out.lock().unwrap().push((n, Instant::now()));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Prober { acked, task }
    }

    /// Waits for the prober to stop (send `true` on `stop` first); the acknowledged rows.
    async fn finish(self) -> Vec<(i64, Instant)> {
        self.task.await.unwrap();
        self.acked.lock().unwrap().clone()
    }
}

/// Waits until `side` is a standby that has every row of `primary` (read after the writers
/// stopped). On a timeout the panic says what each side showed: roles, the rows one lacks, the
/// standby's WAL receiver, the primary's replication and the tail of the standby's log.
async fn caught_up(side: &Arc<Side>, primary: &Arc<Side>) {
    let (side, primary) = (side.clone(), primary.clone());
    // Catching up is streaming a few hundred rows: long enough for a loaded CI machine.
    let deadline = Instant::now() + DEADLINE * 2;
    loop {
        let (s, p) = (side.clone(), primary.clone());
        let done = tokio::task::spawn_blocking(move || {
            s.is_standby() && s.rows().is_some() && s.rows() == p.rows()
        })
        .await
        .unwrap();
        if done {
            return;
        }
        if Instant::now() >= deadline {
            let (s, p) = (side.clone(), primary.clone());
            let report = tokio::task::spawn_blocking(move || catch_up_report(&s, &p))
                .await
                .unwrap();
            panic!("timed out waiting for the rejoined side to catch up\n{report}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a standby and its primary show, for a failed catch-up wait.
fn catch_up_report(side: &Side, primary: &Side) -> String {
    let rows = |s: &Side| s.rows().unwrap_or_default();
    let (mine, theirs) = (rows(side), rows(primary));
    let lacking: Vec<_> = theirs.difference(&mine).take(20).collect();
    let extra: Vec<_> = mine.difference(&theirs).take(20).collect();
    let log = std::fs::read_to_string(&side.log).unwrap_or_default();
    let tail: Vec<&str> = log
        .lines()
        .rev()
        .take(30)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!(
        "standby: in recovery {:?}, {} rows; primary: in recovery {:?}, {} rows\n\
         rows the standby lacks (first 20): {lacking:?}\nrows only the standby has: {extra:?}\n\
         standby's WAL receiver: {:?}\nprimary's replication: {:?}\n\
         standby's log, last lines:\n{}",
        side.sql("select pg_is_in_recovery()"),
        mine.len(),
        primary.sql("select pg_is_in_recovery()"),
        theirs.len(),
        side.sql("select status, received_tli, latest_end_lsn from pg_stat_wal_receiver"),
        primary
            .sql("select application_name, state, sync_state, replay_lsn from pg_stat_replication"),
        tail.join("\n")
    )
}

/// What one failover under load showed.
struct Figures {
    acked: usize,
    missing: usize,
    /// Fault → the standby accepts writes.
    promoted: Duration,
    /// Fault → the old primary refuses writes (first sample).
    fenced: Duration,
    /// The longest time between two acknowledged rows.
    unavailable: Duration,
    /// How the old primary rejoined (`pg_rewind`, `a fresh base backup`...).
    rejoined: String,
    /// The standby accepts writes → the old primary answers as its standby.
    rejoin_time: Duration,
}

/// Breaks the primary under a write load (a row at a time, to whichever side the leader entry
/// names) while both sides are sampled every 50 ms; the standby is promoted.
/// The old primary then rejoins as a standby of the new one and catches up.
async fn failover_under_load(synchronous: bool, fault: Fault) -> Figures {
    failover_under_load_for(synchronous, fault, Duration::from_secs(2), true).await
}

/// [`failover_under_load`] with `settle` of load before the fault and after the promotion, and
/// `wal_log_hints` on the pair's servers.
async fn failover_under_load_for(
    synchronous: bool,
    fault: Fault,
    settle: Duration,
    wal_log_hints: bool,
) -> Figures {
    let dir = TempDir::new("failover-pg");
    let server = NatsServer::start(dir.path());
    let a_link = Proxy::start(server.port).await;
    let (a, b) = replicated_pair_with(dir.path(), synchronous, wal_log_hints);
    let a = Arc::new(a);
    let b = Arc::new(b);
    let log: Log = Arc::default();
    let (stop, _) = watch::channel(false);
    let node_a = spawn_node_with(
        "a",
        true,
        a_link.url(),
        a.database(&b),
        pg_timing(),
        &log,
        &stop,
    );
    let node_b = spawn_node_with(
        "b",
        false,
        server.url(),
        b.database(&a),
        pg_timing(),
        &log,
        &stop,
    );
    let leader = kv(&server.url()).await;
    eventually("a leads", || {
        let leader = &leader;
        async move {
            let record = leader.read("pg.leader", OP).await.ok()??;
            String::from_utf8_lossy(&record.value)
                .contains("\"holder\":\"a\"")
                .then_some(())
        }
    })
    .await;

    // The attack: the server's account plants the rejoin's keeping place as a link to a
    // directory of root's holding a root-only file. Run as root, the rejoin would copy it in.
    let secret_dir = dir.path().join("root-only");
    std::fs::create_dir(&secret_dir).unwrap();
    std::fs::write(secret_dir.join("pg_hba.conf"), "ROOT-ONLY-SECRET\n").unwrap();
    std::fs::set_permissions(
        secret_dir.join("pg_hba.conf"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let mut kept = a.data.as_os_str().to_owned();
    kept.push(".harmony-kept");
    std::os::unix::fs::symlink(&secret_dir, &kept).unwrap();
    let (uid, gid) = nobody();
    std::os::unix::fs::lchown(&kept, Some(uid), Some(gid)).unwrap();

    let prober = Prober::start(&server.url(), &a, &b, &stop).await;
    let sampler = Sampler::start(&a, &b, &stop);
    tokio::time::sleep(settle).await;
    let killed = Instant::now();
    match fault {
        Fault::KillPostgres => {
            let pid = a.postmaster_pid().expect("the primary's postmaster pid");
            let status = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .unwrap();
            assert!(status.success());
        }
        Fault::CutLink => a_link.cut(true),
    }
    until(&b, Side::accepts_writes, "b promoted", || {
        format!("{:#?}", log.lock().unwrap())
    })
    .await;
    let promoted = killed.elapsed();
    // The link comes back: the old primary finds itself deposed and rejoins as a standby, while
    // the load goes on on the new primary.
    a_link.cut(false);
    until(&a, Side::is_standby, "a rejoined as a standby", || {
        format!("{:#?}", log.lock().unwrap())
    })
    .await;
    let rejoin_time = killed.elapsed() - promoted;
    tokio::time::sleep(settle).await;
    stop.send_replace(true);
    let acked = prober.finish().await;
    // Rows written on b while a was away (and since) reach a.
    caught_up(&a, &b).await;
    // Root's file stayed where it was, and out of the rejoined server.
    assert_eq!(
        std::fs::read_to_string(secret_dir.join("pg_hba.conf")).unwrap(),
        "ROOT-ONLY-SECRET\n"
    );
    let hba = std::fs::read_to_string(a.data.join("pg_hba.conf")).unwrap();
    assert!(!hba.contains("ROOT-ONLY-SECRET"));
    assert!(
        std::fs::symlink_metadata(&kept).is_err(),
        "the keeping place is gone"
    );
    let (fenced, _) = sampler.finish().await.fenced_then_promoted(killed);
    let (role_a, role_b) = (node_a.await.unwrap(), node_b.await.unwrap());
    assert!(
        matches!(
            role_b,
            Role::Primary {
                epoch: 2,
                fenced: false,
                ..
            }
        ),
        "{role_b:?} {:?}",
        log.lock().unwrap()
    );
    assert_eq!(role_a, Role::Replica, "{:?}", log.lock().unwrap());
    assert!(!a.accepts_writes());
    let rows = b.rows().expect("read rows on b");
    let rejoined = log
        .lock()
        .unwrap()
        .iter()
        .find_map(|(_, node, e)| match e {
            Event::Rejoined { leader, how } if *node == "a" && leader == "b" => Some(how.clone()),
            _ => None,
        })
        .expect("a rejoined");
    let missing = acked.iter().filter(|(n, _)| !rows.contains(n)).count();
    // The longest time without an acknowledged row: the window the fault cost the writers (a row
    // acknowledged just after the kill signal was sent still went to the old primary).
    let unavailable = acked
        .windows(2)
        .map(|w| w[1].1 - w[0].1)
        .max()
        .unwrap_or(Duration::MAX);
    Figures {
        acked: acked.len(),
        missing,
        promoted,
        fenced: fenced.saturating_duration_since(killed),
        unavailable,
        rejoined,
        rejoin_time,
    }
}

/// A server rejoined by `pg_rewind` (`wal_log_hints` is on), not by a base backup.
fn rewound(how: &str) -> bool {
    how == "pg_rewind" || how == "no rewind was needed"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_primary_postgres_promotes_the_standby_and_loses_no_acknowledged_row_with_synchronous_replication()
 {
    let Figures {
        acked,
        missing,
        promoted,
        rejoined,
        ..
    } = failover_under_load(true, Fault::KillPostgres).await;
    eprintln!(
        "synchronous: {acked} rows acknowledged, {missing} missing on the new primary; \
         kill -9 → standby accepts writes: {promoted:?} (failover_timeout {:?}, heartbeat {:?}); \
         the old primary rejoined by {rejoined}",
        pg_timing().failover_timeout,
        pg_timing().heartbeat_timeout
    );
    assert!(acked > 20, "the prober wrote too little: {acked}");
    assert_eq!(missing, 0);
    // Killed mid-write: pg_rewind ran crash recovery in single-user mode, then rewound.
    assert!(rewound(&rejoined), "{rejoined}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_primary_postgres_with_asynchronous_replication_promotes_the_standby() {
    // Asynchronous replication may lose the last acknowledged rows: the figure is printed, the
    // promotion is what is checked. Without wal_log_hints (nor data checksums), pg_rewind
    // refuses: the old primary rejoins from a fresh base backup.
    let Figures {
        acked,
        missing,
        promoted,
        rejoined,
        ..
    } = failover_under_load_for(false, Fault::KillPostgres, Duration::from_secs(2), false).await;
    eprintln!(
        "asynchronous: {acked} rows acknowledged, {missing} missing on the new primary; \
         kill -9 → standby accepts writes: {promoted:?}; the old primary rejoined by {rejoined}"
    );
    assert!(acked > 20, "the prober wrote too little: {acked}");
    assert!(
        rejoined.starts_with("a fresh base backup, as pg_rewind:")
            && rejoined.contains("wal_log_hints"),
        "{rejoined}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_primary_cut_from_nats_stops_its_postgres_before_the_standby_is_promoted_and_rejoins_as_its_standby()
 {
    let Figures {
        acked,
        missing,
        promoted,
        fenced,
        rejoined,
        ..
    } = failover_under_load(true, Fault::CutLink).await;
    eprintln!(
        "cut: {acked} rows acknowledged, {missing} missing on the new primary; cut → old primary \
         refuses writes {fenced:?}, cut → standby accepts writes {promoted:?} (lease {:?}); \
         the old primary rejoined by {rejoined}",
        pg_timing().lease()
    );
    assert!(acked > 20, "the prober wrote too little: {acked}");
    assert_eq!(missing, 0);
    assert!(rewound(&rejoined), "{rejoined}");
}

/// A `harmony-agent failover` process for one side; SIGTERM on drop.
struct FailoverAgent {
    child: Option<std::process::Child>,
    log: PathBuf,
}

impl FailoverAgent {
    fn start(url: &str, name: &str, initial: bool, side: &Side, peer: &Side, dir: &Path) -> Self {
        Self::start_with_env(url, name, initial, side, Some(peer), dir, &[])
    }

    fn start_with_env(
        url: &str,
        name: &str,
        initial: bool,
        side: &Side,
        peer: Option<&Side>,
        dir: &Path,
        env: &[(&str, &str)],
    ) -> Self {
        let log = dir.join(format!("agent-{name}.log"));
        // Appended to: a restarted agent's log follows its predecessor's.
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_fleet-test-agent"));
        command
            .args(["failover", "--nats", url, "--pair", "pg", "--node", name])
            .arg("--pg-bin")
            .arg(&side.bin)
            .arg("--pg-data")
            .arg(&side.data)
            .arg("--pg-socket-dir")
            .arg(&side.socket)
            .args([
                "--pg-port",
                &side.port.to_string(),
                "--pg-account",
                "nobody",
            ])
            .arg("--pg-log")
            .arg(&side.log)
            .args(["--heartbeat-timeout-ms", "500", "--failure-threshold", "3"])
            .args(["--failover-timeout-ms", "3000"])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        if initial {
            command.arg("--initial-primary");
        }
        if let Some(peer) = peer {
            command.arg("--peer-conninfo").arg(peer.conninfo());
        }
        FailoverAgent {
            child: Some(command.spawn().expect("spawn the failover agent")),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: the agent cannot do anything on the way out.
    fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, and waits for it to exit.
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            crate::support::terminate(&mut child, Duration::from_secs(30));
        }
    }
}

impl Drop for FailoverAgent {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_processes_a_stopped_primary_agent_fences_its_postgres_and_the_standby_takes_over() {
    let dir = TempDir::new("failover-agents");
    let server = NatsServer::start(dir.path());
    let (a, b) = replicated_pair(dir.path(), true);
    let mut agent_a = FailoverAgent::start(&server.url(), "a", true, &a, &b, dir.path());
    let mut agent_b = FailoverAgent::start(&server.url(), "b", false, &b, &a, dir.path());
    let leader = kv(&server.url()).await;
    eventually("a leads", || {
        let leader = &leader;
        async move {
            let record = leader.read("pg.leader", OP).await.ok()??;
            String::from_utf8_lossy(&record.value)
                .contains("\"holder\":\"a\"")
                .then_some(())
        }
    })
    .await;
    assert!(a.accepts_writes() && !b.accepts_writes());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(a.accepts_writes(), "{}", agent_a.log());

    // The primary's agent stops: nothing would renew its lease, so it stops its server first.
    agent_a.stop();
    assert!(!a.accepts_writes(), "{}", agent_a.log());
    eventually("b promoted", || async { b.accepts_writes().then_some(()) }).await;
    assert!(b.sql("insert into probe values (1)").is_some());
    agent_b.stop();
    let log = agent_a.log();
    assert!(log.contains("fenced: the agent stops"), "{log}");
    let log_b = agent_b.log();
    assert!(log_b.contains("promoted at revision"), "{log_b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_processes_a_primary_agent_killed_with_sigkill_is_fenced_by_its_watchdog() {
    let dir = TempDir::new("failover-sigkill");
    let server = NatsServer::start(dir.path());
    let (a, b) = replicated_pair(dir.path(), true);
    let (a, b) = (Arc::new(a), Arc::new(b));
    let mut agent_a = FailoverAgent::start(&server.url(), "a", true, &a, &b, dir.path());
    let _agent_b = FailoverAgent::start(&server.url(), "b", false, &b, &a, dir.path());
    let leader = kv(&server.url()).await;
    eventually("a leads", || {
        let leader = &leader;
        async move {
            let record = leader.read("pg.leader", OP).await.ok()??;
            String::from_utf8_lossy(&record.value)
                .contains("\"holder\":\"a\"")
                .then_some(())
        }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(a.accepts_writes(), "{}", agent_a.log());

    let (stop, _) = watch::channel(false);
    let sampler = Sampler::start(&a, &b, &stop);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = Instant::now();
    agent_a.kill_hard();
    until(&b, Side::accepts_writes, "b promoted", || {
        agent_logs(&agent_a, &_agent_b)
    })
    .await;
    stop.send_replace(true);
    let (fenced, promoted) = sampler.finish().await.fenced_then_promoted(killed);
    eprintln!(
        "agent SIGKILL → old primary refuses writes {:?}, → standby accepts writes {:?}",
        fenced - killed,
        promoted - killed
    );
    let log = agent_a.log();
    assert!(log.contains("fenced: the agent is gone"), "{log}");
}

/// The pids of processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(needle) {
            pids.push(pid);
        }
    }
    pids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_the_failover_agent_never_shows_the_nats_password_and_its_watchdog_inherits_no_environment()
 {
    const PASSWORD: &str = "failover-s3cret-pw";
    let dir = TempDir::new("failover-secret");
    let side = Side::new(&pg_bin(), &dir.path().join("a"));
    // Nothing listens on this port: the agent keeps retrying and says why.
    let port = free_port();
    let url = format!("nats://operator:{PASSWORD}@127.0.0.1:{port}");
    let mut agent = FailoverAgent::start_with_env(
        &url,
        "a",
        true,
        &side,
        None,
        dir.path(),
        &[
            ("HARMONY_NATS_USER", "operator"),
            ("HARMONY_NATS_PASSWORD", PASSWORD),
        ],
    );
    let data = side.data.display().to_string();
    let watchdog = eventually("the watchdog runs", || {
        let data = data.clone();
        async move {
            processes_with("failover-watchdog").into_iter().find(|pid| {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                String::from_utf8_lossy(&cmdline).contains(&data)
            })
        }
    })
    .await;
    let environ = std::fs::read(format!("/proc/{watchdog}/environ")).unwrap_or_default();
    let environ = String::from_utf8_lossy(&environ).replace('\0', " ");
    assert!(!environ.contains(PASSWORD), "{environ}");
    assert!(!environ.contains("HARMONY_NATS"), "{environ}");
    let cmdline = std::fs::read(format!("/proc/{watchdog}/cmdline")).unwrap_or_default();
    assert!(!String::from_utf8_lossy(&cmdline).contains(PASSWORD));
    eventually("a retry message", || async {
        agent.log().contains("retrying").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    agent.stop();
    let log = agent.log();
    assert!(!log.contains(PASSWORD), "{log}");
    assert!(log.contains("127.0.0.1"), "{log}");
    // The watchdog left with its agent.
    eventually("the watchdog exits", || async {
        (!processes_with("failover-watchdog").contains(&watchdog)).then_some(())
    })
    .await;
}

/// Benchmark, not a timed test (ignored by default):
///
/// ```text
/// cargo test -p harmony-fleet-tests --test fleet -- failover::postgres::bench --ignored --nocapture
/// ```
///
/// 20 times: a fresh synchronous pair, a second of load, `kill -9` of the primary's postmaster,
/// until the standby accepts writes. Prints the distribution of the failover time (kill → standby
/// accepts writes) and of the write unavailability window (the longest time between two
/// acknowledged rows), and of the time the old primary takes to come back as the new primary's
/// standby (`pg_rewind`, crash recovery included), with the timing used. Failover time is
/// governed by the timing, not by the build: a debug build measures the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn bench_failover_time_over_20_kills() {
    const KILLS: usize = 20;
    let mut promoted = Vec::new();
    let mut unavailable = Vec::new();
    let mut rejoin = Vec::new();
    let mut lost = 0;
    for _ in 0..KILLS {
        let figures =
            failover_under_load_for(true, Fault::KillPostgres, Duration::from_secs(1), true).await;
        promoted.push(figures.promoted);
        unavailable.push(figures.unavailable);
        rejoin.push(figures.rejoin_time);
        assert!(rewound(&figures.rejoined), "{}", figures.rejoined);
        lost += figures.missing;
    }
    promoted.sort();
    unavailable.sort();
    rejoin.sort();
    let pick = |v: &[Duration], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let t = pg_timing();
    println!(
        "failover benchmark: {KILLS} kills of the primary's PostgreSQL, synchronous replication, \
         heartbeat_timeout {:?}, failure_threshold {}, failover_timeout {:?}",
        t.heartbeat_timeout, t.failure_threshold, t.failover_timeout
    );
    for (name, v) in [
        ("kill → standby accepts writes", &promoted),
        ("write unavailability window", &unavailable),
        (
            "promotion → old primary back as its standby (pg_rewind)",
            &rejoin,
        ),
    ] {
        println!(
            "  {name}: min {:?}, p50 {:?}, p90 {:?}, max {:?}",
            v[0],
            pick(v, 0.5),
            pick(v, 0.9),
            v[v.len() - 1]
        );
    }
    println!("  acknowledged rows lost: {lost}; upstream's target is about 2 minutes per failover");
    assert_eq!(lost, 0);
}

/// Runs `fleet-test-agent failover <args>` (an operator command) to its end.
async fn failover_command(args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fleet-test-agent"));
    command
        .arg("failover")
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || command.output().expect("run the failover command"))
        .await
        .unwrap()
}

/// Agent processes for `a` (the initial primary) and `b`, each given the other as its peer;
/// returns once `a` leads, accepts writes, and `b` has reported as a replica.
async fn agent_pair(
    url: &str,
    a: &Side,
    b: &Side,
    dir: &Path,
) -> (FailoverAgent, FailoverAgent, NatsKv) {
    let agent_a = FailoverAgent::start(url, "a", true, a, b, dir);
    let agent_b = FailoverAgent::start(url, "b", false, b, a, dir);
    let kv = kv(url).await;
    eventually("a leads and b reports", || {
        let kv = &kv;
        async move {
            let b_report = kv.read("pg.node.b", OP).await.ok()??;
            (leader_is(kv, "a").await
                && String::from_utf8_lossy(&b_report.value).contains("\"role\":\"replica\""))
            .then_some(())
        }
    })
    .await;
    eventually("a accepts writes", || async {
        a.accepts_writes().then_some(())
    })
    .await;
    (agent_a, agent_b, kv)
}

/// Both agents' logs, for a failure message.
fn agent_logs(a: &FailoverAgent, b: &FailoverAgent) -> String {
    format!("agent a:\n{}\nagent b:\n{}", a.log(), b.log())
}

/// Waits until `check` holds for `side` (asked off the async threads: `psql` blocks).
async fn until(
    side: &Arc<Side>,
    check: fn(&Side) -> bool,
    what: &str,
    context: impl Fn() -> String,
) {
    // Failovers under a loaded CI machine: twice the usual deadline, and on a timeout the
    // panic carries `context` (the agents' logs), so that the failure explains itself.
    let deadline = Instant::now() + DEADLINE * 2;
    loop {
        let probe = side.clone();
        if tokio::task::spawn_blocking(move || check(&probe))
            .await
            .unwrap()
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}\n{}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `failover switchover --to <to>` and checks that it says `to` leads at `epoch`;
/// `giver`'s log goes into the failure message.
async fn switchover(url: &str, to: &str, epoch: u64, giver: &FailoverAgent) {
    let out = failover_command(&["switchover", "--nats", url, "--pair", "pg", "--to", to]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        giver.log()
    );
    let done = format!("{to} leads pair pg and accepts writes (epoch {epoch}, fencing token ");
    assert!(stdout.contains(&done), "{stdout}");
}

/// The longest time between two acknowledged rows within `[from, to]`.
fn longest_gap(acked: &[(i64, Instant)], from: Instant, to: Instant) -> Duration {
    acked
        .iter()
        .filter(|(_, at)| *at >= from && *at <= to)
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w[1].1 - w[0].1)
        .max()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_processes_switchover_and_back_under_load_lose_no_acknowledged_row_and_status_shows_the_pair()
 {
    let dir = TempDir::new("failover-switchover");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let (a, b) = replicated_pair(dir.path(), true);
    let (a, b) = (Arc::new(a), Arc::new(b));
    let (agent_a, agent_b, _kv) = agent_pair(&url, &a, &b, dir.path()).await;
    let (stop, _) = watch::channel(false);
    let prober = Prober::start(&url, &a, &b, &stop).await;
    let sampler = Sampler::start(&a, &b, &stop);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // a hands over to b: a fences, then writes b as the holder; b promotes; a rejoins.
    let first = Instant::now();
    switchover(&url, "b", 2, &agent_a).await;
    let first_done = Instant::now();
    until(&a, Side::is_standby, "a rejoined as b's standby", || {
        agent_logs(&agent_a, &agent_b)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // And back: b hands over to a, which was rejoined as a standby.
    let second = Instant::now();
    switchover(&url, "a", 3, &agent_b).await;
    let second_done = Instant::now();
    until(&b, Side::is_standby, "b rejoined as a's standby", || {
        agent_logs(&agent_a, &agent_b)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.send_replace(true);
    let acked = prober.finish().await;
    let samples = sampler.finish().await;
    let both = samples.0.iter().filter(|s| s.1 && s.2).count();
    assert_eq!(both, 0, "both sides accepted writes at {both} samples");
    caught_up(&b, &a).await;
    let rows = a.rows().expect("rows on a");
    let missing = acked.iter().filter(|(n, _)| !rows.contains(n)).count();
    eprintln!(
        "switchover a → b → a under load: {} rows acknowledged, {missing} missing; longest gap \
         between acknowledged rows: {:?} (a → b), {:?} (b → a)",
        acked.len(),
        longest_gap(&acked, first, first_done + Duration::from_secs(1)),
        longest_gap(&acked, second, second_done + Duration::from_secs(1)),
    );
    assert_eq!(missing, 0);
    assert!(
        acked.iter().any(|(_, at)| *at > first_done && *at < second),
        "b took writes"
    );
    assert!(
        agent_a.log().contains("handed leadership over to b"),
        "{}",
        agent_a.log()
    );
    assert!(
        agent_a.log().contains("rejoined as a replica of b (")
            && !agent_a.log().contains("base backup"),
        "{}",
        agent_a.log()
    );

    // The status of the pair, from the operator's side.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let out = failover_command(&["status", "--nats", &url, "--pair", "pg"]).await;
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{shown}");
    let lines: Vec<&str> = shown.lines().collect();
    assert!(
        lines[0].starts_with("pair pg: leader a (epoch 3, revision ")
            && lines[0].contains(", fencing token "),
        "{shown}"
    );
    assert_eq!(
        lines[1], "  last failover: switchover: b handed over to a",
        "{shown}"
    );
    assert!(
        lines[2].starts_with("  a            primary  writable   -              heartbeat "),
        "{shown}"
    );
    assert!(
        lines[3].starts_with("  b            replica  read-only  lag ")
            && lines[3].contains("last: rejoined as a replica of a"),
        "{shown}"
    );
    assert_eq!(lines.len(), 4, "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_processes_agent_and_watchdog_both_sigkilled_the_standby_waits_out_the_lease_and_the_orphan_acknowledges_nothing()
 {
    let dir = TempDir::new("failover-orphan");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let (a, b) = replicated_pair(dir.path(), true);
    let (a, b) = (Arc::new(a), Arc::new(b));
    let (mut agent_a, _agent_b, _kv) = agent_pair(&url, &a, &b, dir.path()).await;
    assert!(a.sql("insert into probe values (1)").is_some());
    let data = a.data.display().to_string();
    let watchdog = processes_with("failover-watchdog")
        .into_iter()
        .find(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(&data)
        })
        .expect("a's watchdog");

    // The whole failover role on a dies at once: nothing is left to fence its server.
    let killed = Instant::now();
    agent_a.kill_hard();
    let status = Command::new("kill")
        .args(["-KILL", &watchdog.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    until(&b, Side::accepts_writes, "b promoted", || {
        agent_logs(&agent_a, &_agent_b)
    })
    .await;
    let promoted = killed.elapsed();
    // The standby waited for failover_timeout of silence (server time), longer than the lease.
    assert!(promoted > pg_timing().lease(), "{promoted:?}");
    // The orphan still runs as a primary...
    assert!(a.accepts_writes());
    // ...but its synchronous standby is gone: a commit on it is never acknowledged.
    assert_eq!(
        a.sql_within("insert into probe values (-1)", Duration::from_secs(3)),
        None
    );
    assert!(b.sql("insert into probe values (2)").is_some());

    // The agent comes back (its service manager restarts it): it finds its server writable
    // while b leads, fences it, and rejoins it by pg_rewind: the unacknowledged row is gone.
    let agent_a = FailoverAgent::start(&url, "a", true, &a, &b, dir.path());
    until(&a, Side::is_standby, "a rejoined as b's standby", || {
        agent_logs(&agent_a, &_agent_b)
    })
    .await;
    caught_up(&a, &b).await;
    let rows = a.rows().expect("rows on a");
    assert_eq!(rows.into_iter().collect::<Vec<_>>(), [1, 2]);
    let log = agent_a.log();
    assert!(
        log.contains("fenced: another node holds leadership"),
        "{log}"
    );
    assert!(
        log.contains("rejoined as a replica of b (pg_rewind)"),
        "{log}"
    );
    eprintln!(
        "agent and watchdog SIGKILL → standby accepts writes {promoted:?} (lease {:?}, \
         failover_timeout {:?})",
        pg_timing().lease(),
        pg_timing().failover_timeout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_processes_a_replica_without_data_is_made_by_its_agent_from_a_base_backup_and_streams()
 {
    let dir = TempDir::new("failover-new-replica");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let (a, b) = primary_and_empty_side(dir.path(), true);
    let (a, b) = (Arc::new(a), Arc::new(b));
    assert!(!b.data.exists());
    // b's agent starts first: it waits for a leader before it takes any role.
    let agent_b = FailoverAgent::start(&url, "b", false, &b, &a, dir.path());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _agent_a = FailoverAgent::start(&url, "a", true, &a, &b, dir.path());
    until(&b, Side::is_standby, "b made a standby of a", || {
        agent_logs(&_agent_a, &agent_b)
    })
    .await;
    assert!(a.sql("insert into probe values (1)").is_some());
    caught_up(&b, &a).await;
    let log = agent_b.log();
    assert!(
        log.contains("rejoined as a replica of a (a base backup: no data directory yet)"),
        "{log}"
    );
    // Made by the server's account, private.
    let meta = std::fs::metadata(&b.data).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (nobody().0, 0o700));
    // It listens where its agent was told, not where the copied settings of a said.
    assert_eq!(
        b.sql("show port").as_deref(),
        Some(b.port.to_string().as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_the_operator_commands_never_show_the_nats_password_and_explain_what_is_missing() {
    const PASSWORD: &str = "operator-s3cret-pw";
    // Nothing listens on this port.
    let dead = format!("nats://operator:{PASSWORD}@127.0.0.1:{}", free_port());
    for command in [
        vec!["status", "--nats", &dead, "--pair", "pg"],
        vec!["switchover", "--nats", &dead, "--pair", "pg", "--to", "b"],
    ] {
        let out = failover_command(&command).await;
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
        assert!(
            !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
            "{stderr}"
        );
        assert!(stderr.contains("127.0.0.1"), "{stderr}");
    }
    // A server without the pair: each command says what is missing.
    let dir = TempDir::new("failover-operator");
    let server = NatsServer::start(dir.path());
    let url = server.url();
    let out = failover_command(&["status", "--nats", &url, "--pair", "pg"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("pair `pg` has no leader entry: is it running?"),
        "{stderr}"
    );
    let out = failover_command(&["switchover", "--nats", &url, "--pair", "pg", "--to", "b"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("node `b` of pair `pg` has never reported"),
        "{stderr}"
    );
}
