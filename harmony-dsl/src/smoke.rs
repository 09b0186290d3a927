//! Smoke tests: a score may declare checks that must pass before its deployment counts as done.
//!
//! A companion trait, not a change to [`Score`](crate::Score) or [`Interpret`](crate::Interpret):
//! implement [`SmokeTest`] and mark the score `#[score(smoke_test)]`. Each check becomes a step
//! after the score's operations, so the score is applied only once its checks pass within their
//! timeout, its dependants wait for them, and a failing check fails the score with the check's
//! output (and skips its dependants). `plan` lists the checks; the CLI's `smoke` command runs
//! them alone.
//!
//! The checks are performed by a [`Prober`] the runtime's engine owns and hands to
//! [`SmokeCheck::run_with`]; this crate does no I/O of its own.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::endpoint::{Endpoint, Protocol};
use crate::error::{Error, Result};
use crate::future::BoxFuture;
use crate::outcome::{Change, Inspection, Observed, Outcome};
use crate::score::ScoreContext;
use crate::scores::Postgres;
use crate::value::{Duration, Port, Secret, Url};

/// The companion trait: the checks that tell a deployment of this score works.
#[diagnostic::on_unimplemented(
    message = "score `{Self}` is marked `#[score(smoke_test)]` but has no smoke tests",
    label = "`{Self}` needs an `impl SmokeTest`",
    note = "implement `SmokeTest` for `{Self}`: `fn smoke_tests(&self, ctx: &ScoreContext<'_>) -> Vec<SmokeCheck>` returns its checks; or drop `smoke_test` from `#[score(..)]`"
)]
pub trait SmokeTest {
    /// The checks, for one instance.
    fn smoke_tests(&self, ctx: &ScoreContext<'_>) -> Vec<SmokeCheck>;
}

/// What a smoke test checks.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Check {
    /// An HTTP GET that must answer 2xx.
    Http {
        /// The URL.
        url: Url,
    },
    /// A TCP connection that must be accepted.
    Tcp {
        /// Host name or address.
        host: String,
        /// Port.
        port: Port,
    },
    /// A SQL query on a PostgreSQL server that must return exactly one row.
    Sql {
        /// Host name or address.
        host: String,
        /// Port.
        port: Port,
        /// User to log in as.
        user: String,
        /// Database to connect to.
        database: String,
        /// Password (`<redacted>` in plans and serialised checks).
        password: Secret<String>,
        /// The query, `select 1` unless given.
        query: String,
    },
    /// An async check written in Rust; `Ok` carries what it saw, `Err` why it failed.
    Custom {
        /// Name shown in plans and reports.
        name: String,
        /// The check (not part of a saved plan).
        #[serde(skip)]
        run: Option<CustomCheck>,
    },
}

/// A custom async check.
pub type CustomCheck =
    Arc<dyn Fn() -> BoxFuture<'static, std::result::Result<String, String>> + Send + Sync>;

impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Check::Http { url: a }, Check::Http { url: b }) => a == b,
            (Check::Tcp { host: a, port: p }, Check::Tcp { host: b, port: q }) => a == b && p == q,
            (
                Check::Sql {
                    host: h,
                    port: p,
                    user: u,
                    database: d,
                    password: w,
                    query: q,
                },
                Check::Sql {
                    host: h2,
                    port: p2,
                    user: u2,
                    database: d2,
                    password: w2,
                    query: q2,
                },
            ) => h == h2 && p == p2 && u == u2 && d == d2 && w == w2 && q == q2,
            (Check::Custom { name: a, .. }, Check::Custom { name: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Http { url } => write!(f, "HTTP GET {url} answers 2xx"),
            Check::Tcp { host, port } => write!(f, "TCP connect to {host}:{port}"),
            Check::Sql {
                host,
                port,
                user,
                database,
                query,
                ..
            } => write!(
                f,
                "sql {query} on {}://{user}@{host}:{port}/{database}",
                <Postgres as Protocol>::NAME
            ),
            Check::Custom { name, .. } => write!(f, "check `{name}`"),
        }
    }
}

/// Who a SQL smoke check logs in as. The password is a [`Secret`]: plans, reports, `Debug` and
/// serialised checks show `<redacted>`.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlLogin {
    /// User name.
    pub user: String,
    /// Database to connect to.
    pub database: String,
    /// Password.
    pub password: Secret<String>,
}

impl SqlLogin {
    /// A login as `user` to `database` with `password`.
    pub fn new(
        user: impl Into<String>,
        database: impl Into<String>,
        password: Secret<String>,
    ) -> Self {
        SqlLogin {
            user: user.into(),
            database: database.into(),
            password,
        }
    }
}

/// A check with how long it may take to pass and how often it is tried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmokeCheck {
    /// What to check.
    pub check: Check,
    /// How long it may keep failing before the score fails.
    pub timeout: Duration,
    /// Pause between tries.
    pub interval: Duration,
}

impl SmokeCheck {
    const DEFAULT_TIMEOUT_NANOS: u64 = 30_000_000_000;
    const DEFAULT_INTERVAL_NANOS: u64 = 1_000_000_000;

    fn with(check: Check) -> Self {
        SmokeCheck {
            check,
            timeout: Duration::from_nanos(Self::DEFAULT_TIMEOUT_NANOS),
            interval: Duration::from_nanos(Self::DEFAULT_INTERVAL_NANOS),
        }
    }

    /// An HTTP GET of `url` that must answer 2xx (within 30 s, tried every second).
    pub fn http(url: Url) -> Self {
        Self::with(Check::Http { url })
    }

    /// A TCP connection to an endpoint of any protocol.
    pub fn tcp<P: Protocol>(endpoint: &Endpoint<P>) -> Self {
        Self::with(Check::Tcp {
            host: endpoint.host.clone(),
            port: endpoint.port,
        })
    }

    /// `select 1` on a PostgreSQL endpoint, logged in as `login` (SCRAM-SHA-256, md5 or
    /// cleartext password authentication, as the server asks).
    pub fn sql(endpoint: &Endpoint<Postgres>, login: SqlLogin) -> Self {
        Self::sql_query(endpoint, login, "select 1")
    }

    /// A query of your own on a PostgreSQL endpoint; it passes when the query returns exactly one
    /// row, e.g. `select 1 from pg_tables where tablename = 'orders'`.
    pub fn sql_query(
        endpoint: &Endpoint<Postgres>,
        login: SqlLogin,
        query: impl Into<String>,
    ) -> Self {
        Self::with(Check::Sql {
            host: endpoint.host.clone(),
            port: endpoint.port,
            user: login.user,
            database: login.database,
            password: login.password,
            query: query.into(),
        })
    }

    /// A custom async check.
    pub fn custom<F>(name: impl Into<String>, run: F) -> Self
    where
        F: Fn() -> BoxFuture<'static, std::result::Result<String, String>> + Send + Sync + 'static,
    {
        Self::with(Check::Custom {
            name: name.into(),
            run: Some(Arc::new(run)),
        })
    }

    /// The same check with another timeout.
    pub fn within(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same check tried at another interval.
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Stable identity for state and reports.
    pub fn id(&self, score: &str) -> String {
        format!("smoke:{score}/{}", self.check)
    }

    /// Tries the check until it passes or the timeout runs out. `Ok` carries what the check saw.
    /// Each try is given the time left (but at least a second, so that a last try can still say
    /// why it failed), so a server that accepts and never answers holds the check at most a
    /// second past its timeout.
    pub async fn run_with(&self, prober: &dyn Prober) -> Result<Outcome> {
        let deadline = self.timeout.as_std();
        let interval = self.interval.as_std();
        let started = std::time::Instant::now();
        let mut tries = 0u32;
        loop {
            tries += 1;
            let left = deadline.saturating_sub(started.elapsed());
            match prober.probe(&self.check, left.max(MIN_TRY)).await {
                Ok(seen) => {
                    let detail = if seen.is_empty() {
                        String::new()
                    } else {
                        format!(": {seen}")
                    };
                    return Ok(Outcome::changed(format!(
                        "smoke test passed on try {tries} ({}){detail}",
                        self.check
                    )));
                }
                Err(why) if started.elapsed() + interval > deadline => {
                    return Err(Error::permanent(format!(
                        "smoke test failed after {tries} tries within {}: {}: {why}",
                        self.timeout, self.check
                    )));
                }
                Err(_) => prober.sleep(interval).await,
            }
        }
    }

    /// What `plan` shows: the check runs on every apply and changes nothing.
    pub fn inspection(&self) -> Inspection {
        Inspection {
            change: Change::None,
            observed: Observed::Absent,
        }
    }
}

/// The least time a try is given, even when the timeout has (nearly) run out: a login to a
/// database alone may take a few hundred milliseconds.
const MIN_TRY: std::time::Duration = std::time::Duration::from_secs(1);

/// Performs checks and waits between tries: owned by the runtime's engine.
pub trait Prober: Send + Sync + 'static {
    /// One try of `check`, given up (as a failure) after `limit`.
    fn probe<'a>(
        &'a self,
        check: &'a Check,
        limit: std::time::Duration,
    ) -> BoxFuture<'a, std::result::Result<String, String>>;
    /// Waits `duration` (on the runtime's timer).
    fn sleep(&self, duration: std::time::Duration) -> BoxFuture<'static, ()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "pa55-w0rd-x9";

    fn sql_check() -> SmokeCheck {
        let endpoint =
            Endpoint::<Postgres>::new("db.shop.svc.cluster.local", Port::new(5432).unwrap());
        SmokeCheck::sql(
            &endpoint,
            SqlLogin::new("app", "shop", Secret::new(PASSWORD.to_string())),
        )
    }

    #[test]
    fn sql_check_is_shown_without_its_password() {
        let check = sql_check();
        assert_eq!(
            check.check.to_string(),
            "sql select 1 on postgres://app@db.shop.svc.cluster.local:5432/shop"
        );
        assert_eq!(
            check.id("db"),
            "smoke:db/sql select 1 on postgres://app@db.shop.svc.cluster.local:5432/shop"
        );
        let json = serde_json::to_string(&check).unwrap();
        assert!(json.contains(r#""type":"sql""#), "{json}");
        assert!(json.contains(r#""password":"<redacted>""#), "{json}");
        let login = SqlLogin::new("app", "shop", Secret::new(PASSWORD.to_string()));
        for text in [
            format!("{check:?}"),
            format!("{check:#?}"),
            format!("{login:?}"),
            json,
        ] {
            assert!(!text.contains(PASSWORD), "{text}");
        }
    }

    #[test]
    fn sql_query_of_ones_own() {
        let endpoint = Endpoint::<Postgres>::new("10.0.0.5", Port::new(6432).unwrap());
        let login = SqlLogin::new("app", "shop", Secret::new(PASSWORD.to_string()));
        let check = SmokeCheck::sql_query(&endpoint, login, "select 1 from orders limit 1");
        assert_eq!(
            check.check.to_string(),
            "sql select 1 from orders limit 1 on postgres://app@10.0.0.5:6432/shop"
        );
        assert_ne!(check, sql_check());
    }

    #[test]
    fn a_saved_sql_check_keeps_no_password() {
        // Saved plans hold `<redacted>`; `apply FILE` takes the real check from the program.
        let saved: SmokeCheck =
            serde_json::from_str(&serde_json::to_string(&sql_check()).unwrap()).unwrap();
        match &saved.check {
            Check::Sql { password, .. } => assert_eq!(password.expose(), "<redacted>"),
            other => panic!("{other}"),
        }
        assert_ne!(
            saved,
            sql_check(),
            "the password differs, so it is not a twin"
        );
        assert_eq!(saved.check.to_string(), sql_check().check.to_string());
    }
}
