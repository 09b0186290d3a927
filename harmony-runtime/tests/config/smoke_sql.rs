//! The SQL smoke check against a real PostgreSQL server (started by the test, see `pg_support`):
//! SCRAM-SHA-256 and md5 logins pass, a wrong password fails with the server's message in the
//! report, a server that starts late passes on a later try, and a port that accepts but never
//! answers cannot hold the check past its timeout. The password shows up nowhere.

use crate::common;
use crate::pg_support;

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use common::{TempDir, free_port};
use harmony_runtime::executor::{CancelToken, ExecOptions, TopologyRunner, execute};
use harmony_runtime::prelude::*;
use harmony_runtime::report::{StepReport, StepStatus};
use harmony_runtime::{ExitStatus, cli_from};
use pg_support::{MD5_PASSWORD, MD5_USER, PgServer, SUPERUSER, SUPERUSER_PASSWORD};

/// A file whose deployment is checked with a SQL query.
#[derive(Debug, Clone, Score)]
#[score(requires(FileSystem), smoke_test)]
pub struct CheckedDb {
    /// File written before the check.
    pub path: String,
    /// The database to check.
    pub database: Endpoint<Postgres>,
    /// User to log in as.
    pub user: String,
    /// Its password.
    pub password: Secret<String>,
    /// How long the check may keep failing.
    pub within: Duration,
}

impl Operations for CheckedDb {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        vec![Operation::new::<dyn harmony_dsl::capability::FileSystem>(
            harmony_dsl::resource::FileSpec {
                path: self.path.clone().into(),
                kind: harmony_dsl::resource::FileKind::File {
                    content: "db\n".into(),
                    mode: None,
                },
            },
        )]
    }
}

impl SmokeTest for CheckedDb {
    fn smoke_tests(&self, _ctx: &ScoreContext<'_>) -> Vec<SmokeCheck> {
        let login = SqlLogin::new(&self.user, "postgres", self.password.clone());
        vec![
            SmokeCheck::sql(&self.database, login)
                .within(self.within)
                .every("200ms".parse().unwrap()),
        ]
    }
}

fn endpoint(port: u16) -> Endpoint<Postgres> {
    Endpoint::new("127.0.0.1", Port::new(port).unwrap())
}

/// A plan with the checked score and a dependant that must wait for its check.
fn plan(port: u16, user: &str, password: &str, within: &str) -> Plan<Localhost> {
    let mut plan = Plan::new("db");
    let db = plan.add(
        "db",
        CheckedDb {
            path: "db.txt".into(),
            database: endpoint(port),
            user: user.into(),
            password: Secret::new(password.into()),
            within: within.parse().unwrap(),
        },
        &[],
    );
    plan.add(
        "after_db",
        ConfigFile {
            path: "after.txt".into(),
            content: "ran\n".into(),
            mode: None,
        },
        &[db.id()],
    );
    plan
}

/// Applies `plan` on a `Localhost` in `dir` through the executor, as `apply` does.
fn apply(dir: &TempDir, plan: &Plan<Localhost>) -> Vec<StepReport> {
    let topology = Arc::new(Localhost::new(dir.path()).expect("topology"));
    runtime()
        .block_on(execute(
            Arc::new(plan.steps.clone()),
            Arc::new(TopologyRunner::new(topology)),
            ExecOptions { parallelism: 4 },
            CancelToken::new(),
            |_| {},
        ))
        .expect("a valid plan")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn smoke_report(reports: &[StepReport]) -> &StepReport {
    reports
        .iter()
        .find(|r| r.operation.starts_with("smoke test"))
        .expect("a smoke-test step")
}

/// Runs one check on its own.
fn run(check: &SmokeCheck) -> Result<String, String> {
    runtime()
        .block_on(check.run_with(&harmony_runtime::smoke::TokioProber))
        .map(|outcome| format!("{outcome:?}"))
        .map_err(|e| e.to_string())
}

/// Creates the md5 role: its password is stored as md5, and pg_hba asks it for md5.
fn create_md5_role(port: u16) {
    runtime().block_on(async {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (client, connection) = tokio_postgres::Config::new()
            .user(SUPERUSER)
            .dbname("postgres")
            .password(SUPERUSER_PASSWORD)
            .connect_raw(stream, tokio_postgres::NoTls)
            .await
            .expect("superuser login");
        let driver = tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "SET password_encryption = 'md5'; CREATE ROLE {MD5_USER} LOGIN PASSWORD '{MD5_PASSWORD}'"
            ))
            .await
            .expect("create md5 role");
        drop(client);
        driver.await.unwrap().unwrap();
    });
}

#[test]
fn sql_check_against_a_live_server() {
    let dir = TempDir::new("sql-live");
    let port = free_port();
    let mut server = PgServer::init(&dir.path().join("pg"), port);
    server.start();
    create_md5_role(port);
    let login =
        |user: &str, password: &str| SqlLogin::new(user, "postgres", Secret::new(password.into()));
    let quick = |c: SmokeCheck| {
        c.within("3s".parse().unwrap())
            .every("100ms".parse().unwrap())
    };

    // SCRAM-SHA-256 (the superuser) and md5 (the legacy role) logins both pass.
    let scram = quick(SmokeCheck::sql(
        &endpoint(port),
        login(SUPERUSER, SUPERUSER_PASSWORD),
    ));
    let seen = run(&scram).expect("SCRAM login passes");
    assert!(seen.contains("passed on try 1"), "{seen}");
    assert!(seen.contains("1 row (?column?=1)"), "{seen}");
    let md5 = quick(SmokeCheck::sql(
        &endpoint(port),
        login(MD5_USER, MD5_PASSWORD),
    ));
    let seen = run(&md5).expect("md5 login passes");
    assert!(seen.contains("passed on try 1"), "{seen}");
    let log = server.log();
    assert!(!log.contains("authentication failed"), "{log}");
    assert!(
        log.contains(r#"identity="harmony" method=scram-sha-256"#),
        "{log}"
    );
    assert!(log.contains(r#"identity="legacy" method=md5"#), "{log}");

    // A query of one's own: one row passes, none fails, an error carries the server's message.
    let roles = "select rolname from pg_roles where rolname = 'legacy'";
    let seen = run(&quick(SmokeCheck::sql_query(
        &endpoint(port),
        login(SUPERUSER, SUPERUSER_PASSWORD),
        roles,
    )))
    .expect("one row");
    assert!(seen.contains("1 row (rolname=legacy)"), "{seen}");
    let none = "select 1 from pg_roles where rolname = 'nobody-here'";
    let why = run(&quick(SmokeCheck::sql_query(
        &endpoint(port),
        login(SUPERUSER, SUPERUSER_PASSWORD),
        none,
    )))
    .unwrap_err();
    assert!(why.contains("returned 0 rows, expected exactly 1"), "{why}");
    let why = run(&quick(SmokeCheck::sql_query(
        &endpoint(port),
        login(SUPERUSER, SUPERUSER_PASSWORD),
        "select * from orders",
    )))
    .unwrap_err();
    assert!(
        why.contains(r#"query failed: ERROR: relation "orders" does not exist (SQLSTATE 42P01)"#),
        "{why}"
    );

    // Through apply: the check gates the dependant, and its output is in the report.
    let good = plan(port, SUPERUSER, SUPERUSER_PASSWORD, "5s");
    let reports = apply(&dir, &good);
    let smoke = smoke_report(&reports);
    assert_eq!(smoke.status, StepStatus::Changed, "{:?}", smoke.message);
    assert_eq!(
        smoke.operation,
        format!("smoke test: sql select 1 on postgres://harmony@127.0.0.1:{port}/postgres")
    );
    assert!(dir.path().join("after.txt").exists());

    // A wrong password fails the score with the server's own message and skips the dependant.
    std::fs::remove_file(dir.path().join("after.txt")).unwrap();
    let wrong_password = "not-the-password-5e1d";
    let wrong = plan(port, SUPERUSER, wrong_password, "1s");
    let started = Instant::now();
    let reports = apply(&dir, &wrong);
    assert!(
        started.elapsed() < StdDuration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let smoke = smoke_report(&reports);
    assert_eq!(smoke.status, StepStatus::Failed);
    let message = smoke.message.clone().unwrap_or_default();
    assert!(
        message.contains(&format!(
            // Step messages mask URL user info: a user part without a password may be a token.
            r#"sql select 1 on postgres://***@127.0.0.1:{port}/postgres: login refused: FATAL: password authentication failed for user "harmony" (SQLSTATE 28P01)"#
        )),
        "{message}"
    );
    assert!(message.contains("smoke test failed after"), "{message}");
    eprintln!("wrong password, as reported: {message}");
    let after = reports
        .iter()
        .find(|r| r.operation == "file after.txt")
        .unwrap();
    assert_eq!(after.status, StepStatus::Skipped);
    assert!(!dir.path().join("after.txt").exists());

    // The command line: a saved plan keeps no password, and `apply FILE` takes the check (with
    // it) from the program; `smoke` runs the check alone; `render` writes no password.
    let state = dir.path().join("state");
    let saved = dir.path().join("plan.json");
    let rendered = dir.path().join("rendered");
    let cli = |args: &[&std::path::Path]| {
        let mut argv: Vec<&std::ffi::OsStr> = vec![
            "harmony".as_ref(),
            "--state-dir".as_ref(),
            state.as_os_str(),
        ];
        argv.extend(args.iter().map(|a| a.as_os_str()));
        cli_from(
            argv,
            Localhost::new(dir.path()),
            plan(port, SUPERUSER, SUPERUSER_PASSWORD, "5s"),
        )
    };
    let path = std::path::Path::new;
    assert_eq!(cli(&[path("plan"), path("--out"), &saved]), ExitStatus::Ok);
    assert_eq!(cli(&[path("apply"), &saved]), ExitStatus::Ok);
    assert_eq!(cli(&[path("smoke")]), ExitStatus::Ok);
    assert_eq!(cli(&[path("render"), &rendered]), ExitStatus::Ok);
    let mut written = vec![std::fs::read_to_string(&saved).unwrap()];
    for entry in std::fs::read_dir(rendered.join("smoke")).unwrap() {
        written.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for state_file in std::fs::read_dir(&state).unwrap() {
        let path = state_file.unwrap().path();
        if path.is_file() {
            written.push(String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned());
        }
    }
    assert!(
        written[1].contains(r#""password": "<redacted>""#),
        "{}",
        written[1]
    );

    // The password is in no plan output, Debug, serialised plan, written file or report.
    let report_json = serde_json::to_string(&reports).unwrap();
    for (password, plan) in [(SUPERUSER_PASSWORD, &good), (wrong_password, &wrong)] {
        for text in [
            format!("{plan}"),
            format!("{plan:?}"),
            format!("{:?}", plan.steps),
            serde_json::to_string(plan).unwrap(),
            report_json.clone(),
        ]
        .into_iter()
        .chain(written.iter().cloned())
        {
            assert!(!text.contains(password), "the password leaked into: {text}");
        }
    }
    assert!(
        serde_json::to_string(&good)
            .unwrap()
            .contains(r#""password":"<redacted>""#)
    );
    let shown = format!("{good}");
    assert!(
        shown.contains(&format!(
            "smoke test: sql select 1 on postgres://harmony@127.0.0.1:{port}/postgres"
        )),
        "{shown}"
    );
}

#[test]
fn sql_check_passes_once_a_late_server_is_up() {
    let dir = TempDir::new("sql-late");
    let port = free_port();
    // The cluster exists, but the server starts only after the check has been failing a while.
    let mut server = PgServer::init(&dir.path().join("pg"), port);
    let starter = std::thread::spawn(move || {
        std::thread::sleep(StdDuration::from_millis(1000));
        server.spawn();
        server
    });
    let reports = apply(&dir, &plan(port, SUPERUSER, SUPERUSER_PASSWORD, "30s"));
    let server = starter.join().unwrap();
    let smoke = smoke_report(&reports);
    let message = smoke.message.clone().unwrap_or_default();
    assert_eq!(
        smoke.status,
        StepStatus::Changed,
        "{message}\n{}",
        server.log()
    );
    let tries: u32 = message
        .split("passed on try ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no try count in {message}"));
    assert!(
        tries >= 3,
        "passed on try {tries}, before the server was up: {message}"
    );
    assert!(dir.path().join("after.txt").exists(), "the dependant ran");
}

#[test]
fn sql_check_gives_up_on_a_server_that_never_answers() {
    // A port that accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + StdDuration::from_secs(3);
        while Instant::now() < until {
            if let Ok((conn, _)) = listener.accept() {
                held.push(conn);
            }
            std::thread::sleep(StdDuration::from_millis(10));
        }
        held.len()
    });
    let login = SqlLogin::new(
        SUPERUSER,
        "postgres",
        Secret::new(SUPERUSER_PASSWORD.into()),
    );
    let check = SmokeCheck::sql(&endpoint(port), login)
        .within("1500ms".parse().unwrap())
        .every("100ms".parse().unwrap());
    let started = Instant::now();
    let why = run(&check).unwrap_err();
    let took = started.elapsed();
    assert!(
        took < StdDuration::from_millis(2500),
        "took {took:?}: {why}"
    );
    assert!(
        took >= StdDuration::from_millis(1400),
        "took {took:?}: {why}"
    );
    assert!(why.contains("no answer within"), "{why}");
    assert!(why.contains("smoke test failed after 1 tries"), "{why}");
    assert!(holder.join().unwrap() >= 1, "the check connected");
}

#[test]
fn sql_check_reports_a_refused_connection() {
    let port = free_port();
    let login = SqlLogin::new(
        SUPERUSER,
        "postgres",
        Secret::new(SUPERUSER_PASSWORD.into()),
    );
    let check = SmokeCheck::sql(&endpoint(port), login)
        .within("300ms".parse().unwrap())
        .every("100ms".parse().unwrap());
    let why = run(&check).unwrap_err();
    assert!(
        why.contains(&format!("connect 127.0.0.1:{port}: Connection refused")),
        "{why}"
    );
}
