//! The prober that performs scores' smoke tests ([`harmony_dsl::smoke`]): HTTP GETs, TCP
//! connects, SQL queries on PostgreSQL and custom checks, on tokio. The engine's
//! [`RunContext`](crate::engine::RunContext) holds it (another prober can be given with
//! [`Engine::prober`](crate::Engine::prober)); nothing is installed process-wide.

mod sql;

use std::time::Duration;

use harmony_dsl::BoxFuture;
use harmony_dsl::smoke::{Check, Prober};

/// Performs checks on the tokio runtime.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioProber;

/// The longest one try may take (less when the check's timeout leaves less).
const TRY_TIMEOUT: Duration = Duration::from_secs(5);

impl Prober for TokioProber {
    fn probe<'a>(
        &'a self,
        check: &'a Check,
        limit: Duration,
    ) -> BoxFuture<'a, Result<String, String>> {
        let limit = limit.min(TRY_TIMEOUT);
        Box::pin(async move {
            let attempt = async {
                match check {
                    Check::Http { url } => crate::local::http_ok(url.as_ref())
                        .await
                        .map(|()| "2xx".to_string()),
                    Check::Tcp { host, port } => {
                        tokio::net::TcpStream::connect((host.as_str(), port.get()))
                            .await
                            .map(|_| format!("connected to {host}:{port}"))
                            .map_err(|e| format!("connect {host}:{port}: {e}"))
                    }
                    Check::Sql {
                        host,
                        port,
                        user,
                        database,
                        password,
                        query,
                    } => {
                        let target = sql::SqlTarget {
                            host,
                            port: port.get(),
                            user,
                            database,
                            password: password.expose(),
                        };
                        sql::query_one_row(&target, query).await
                    }
                    Check::Custom { run: Some(run), .. } => run().await,
                    Check::Custom { name, run: None } => Err(format!(
                        "custom check `{name}` is code and is not kept in a saved plan: run it from the program that defines it"
                    )),
                }
            };
            tokio::time::timeout(limit, attempt)
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {limit:?}")))
        })
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
