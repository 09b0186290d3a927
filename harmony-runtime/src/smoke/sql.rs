//! The SQL smoke check: log in to a PostgreSQL server over TCP (SCRAM-SHA-256, md5 or cleartext
//! password, whichever the server asks for) and run one query that must return exactly one row.
//! No TLS: a server that requires it refuses the login with its own message.

use tokio::net::TcpStream;
use tokio_postgres::{NoTls, SimpleQueryMessage};

/// Where and as whom the check logs in.
pub(super) struct SqlTarget<'a> {
    pub host: &'a str,
    pub port: u16,
    pub user: &'a str,
    pub database: &'a str,
    pub password: &'a str,
}

/// One try: connect, log in, run `query`; `Ok` describes the row it returned, `Err` says which
/// stage failed and, for the server's refusals, the server's message and SQLSTATE code. The
/// messages leave out the target: the check's own description, printed before them, names it.
pub(super) async fn query_one_row(target: &SqlTarget<'_>, query: &str) -> Result<String, String> {
    let stream = TcpStream::connect((target.host, target.port))
        .await
        .map_err(|e| format!("connect {}:{}: {e}", target.host, target.port))?;
    let mut config = tokio_postgres::Config::new();
    config
        .user(target.user)
        .dbname(target.database)
        .password(target.password)
        .application_name("harmony smoke test");
    let (client, connection) =
        config
            .connect_raw(stream, NoTls)
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) => format!("login refused: {}", server_says(db)),
                None => format!("login: {e}"),
            })?;
    // The connection does the I/O: drive it alongside the query, in this future, so nothing
    // outlives the try.
    let messages = {
        let query_done = client.simple_query(query);
        tokio::pin!(connection);
        tokio::select! {
            messages = query_done => messages,
            ended = &mut connection => {
                return Err(match ended {
                    Ok(()) => "the server closed the connection before answering".to_string(),
                    Err(e) => format!("connection: {e}"),
                });
            }
        }
    };
    let messages = messages.map_err(|e| match e.as_db_error() {
        Some(db) => format!("query failed: {}", server_says(db)),
        None => format!("query: {e}"),
    })?;
    let rows: Vec<_> = messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row),
            _ => None,
        })
        .collect();
    match rows.as_slice() {
        [row] => {
            let values: Vec<String> = (0..row.len())
                .map(|i| {
                    let name = row.columns()[i].name();
                    format!("{name}={}", row.get(i).unwrap_or("NULL"))
                })
                .collect();
            Ok(format!("1 row ({})", values.join(", ")))
        }
        rows => Err(format!(
            "the query returned {} rows, expected exactly 1",
            rows.len()
        )),
    }
}

/// The server's error as it sent it: `FATAL: message (SQLSTATE code)`.
fn server_says(db: &tokio_postgres::error::DbError) -> String {
    format!(
        "{}: {} (SQLSTATE {})",
        db.severity(),
        db.message(),
        db.code().code()
    )
}
