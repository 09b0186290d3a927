//! A client of the Vault/OpenBao KV v2 read endpoint: `GET /v1/<mount>/data/<path>` with an
//! `X-Vault-Token` header, answering `{"data": {"data": {field: value}, "metadata": {...}}}`.

use std::collections::BTreeMap;
use std::time::Duration;

use harmony_dsl::value::Secret;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// How long one read of the store may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Where a secret lives in a KV v2 store, and the token to read it with.
#[derive(Debug, Clone)]
pub struct VaultKv2 {
    /// The store's address, e.g. `https://vault.example.com:8200` (no trailing `/`).
    pub address: String,
    /// The KV v2 mount, e.g. `secret`.
    pub mount: String,
    /// The secret's path under the mount, e.g. `shop`.
    pub path: String,
    /// The token (never printed).
    pub token: Secret<String>,
}

/// What the store answered.
#[derive(Debug)]
pub enum StoreAnswer {
    /// The secret's fields (values never printed).
    Fields(BTreeMap<String, Secret<String>>),
    /// 404: no secret at this path.
    NotFound,
    /// 403: the token may not read this path.
    Forbidden,
}

impl VaultKv2 {
    /// `<address>/v1/<mount>/data/<path>`, each segment of the mount and the path
    /// percent-encoded (a space, `?` or `#` in a name stays part of the name).
    pub fn url(&self) -> String {
        format!(
            "{}/v1/{}/data/{}",
            self.address.trim_end_matches('/'),
            segments(&self.mount),
            segments(&self.path)
        )
    }

    /// `<mount>/data/<path>` at `<address>`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "secret store {} ({}/data/{})",
            self.address, self.mount, self.path
        )
    }

    /// Reads the secret once. Errors are complete sentences naming the store (never the token).
    pub async fn read(&self) -> Result<StoreAnswer, String> {
        let url = self.url();
        let uri: hyper::Uri = url
            .parse()
            .map_err(|e| format!("{}: `{url}` is not a valid URL: {e}", self.describe()))?;
        let request = hyper::Request::get(uri.clone())
            .header("X-Vault-Token", self.token.expose().as_str())
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("{}: cannot build the request: {e}", self.describe()))?;
        let sent = if uri.scheme_str() == Some("https") {
            crate::http::client()
                .map_err(|e| {
                    format!(
                        "{}: cannot load the system's CA certificates: {e}",
                        self.describe()
                    )
                })?
                .request(request)
        } else {
            // Plain HTTP (a store on loopback, or behind a TLS-terminating proxy): no certificates.
            Client::builder(TokioExecutor::new())
                .build(HttpConnector::new())
                .request(request)
        };
        let exchange = async {
            let response = sent
                .await
                .map_err(|e| format!("{} cannot be reached: {e}", self.describe()))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("{}: reading the answer failed: {e}", self.describe()))?
                .to_bytes();
            Ok::<_, String>((status, body))
        };
        let (status, body) = tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| {
                format!(
                    "{} did not answer within {}s",
                    self.describe(),
                    TIMEOUT.as_secs()
                )
            })??;
        match status.as_u16() {
            200 => parse_fields(&body).map(StoreAnswer::Fields).map_err(|e| {
                format!(
                    "{} answered with an unexpected document: {e}",
                    self.describe()
                )
            }),
            404 => Ok(StoreAnswer::NotFound),
            403 => Ok(StoreAnswer::Forbidden),
            other => Err(format!(
                "{} answered HTTP {other}: {}",
                self.describe(),
                vault_errors(&body)
            )),
        }
    }
}

/// `text` without leading and trailing `/`, each `/`-separated segment percent-encoded.
fn segments(text: &str) -> String {
    text.trim_matches('/')
        .split('/')
        .map(|segment| {
            percent_encoding::utf8_percent_encode(segment, crate::http::COMPONENT).to_string()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The `data.data` object of a KV v2 read; strings as they are, other scalars as JSON text.
fn parse_fields(body: &[u8]) -> Result<BTreeMap<String, Secret<String>>, String> {
    let document: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    let fields = document
        .pointer("/data/data")
        .and_then(|d| d.as_object())
        .ok_or("no `data.data` object")?;
    Ok(fields
        .iter()
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.clone(), Secret::new(text))
        })
        .collect())
}

/// The `errors` list of a Vault error answer, joined; empty when there is none.
fn vault_errors(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|d| {
            d.get("errors").and_then(|e| e.as_array()).map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kv2_document_shape() {
        let body = br#"{"request_id":"x","data":{"data":{"password":"p","port":5432,"on":true},"metadata":{"version":3}}}"#;
        let fields = parse_fields(body).unwrap();
        assert_eq!(fields["password"].expose(), "p");
        assert_eq!(fields["port"].expose(), "5432");
        assert_eq!(fields["on"].expose(), "true");
        assert!(parse_fields(br#"{"data":{}}"#).is_err());
        assert_eq!(
            vault_errors(br#"{"errors":["permission denied"]}"#),
            "permission denied"
        );
    }

    #[test]
    fn url_encodes_each_segment_of_mount_and_path() {
        let store = VaultKv2 {
            address: "https://vault.example.com:8200".into(),
            mount: "team kv".into(),
            path: "apps/shop?x#y/ü".into(),
            token: Secret::new("t".into()),
        };
        assert_eq!(
            store.url(),
            "https://vault.example.com:8200/v1/team%20kv/data/apps/shop%3Fx%23y/%C3%BC"
        );
    }

    #[test]
    fn url_joins_address_mount_and_path() {
        let store = VaultKv2 {
            address: "http://127.0.0.1:8200/".into(),
            mount: "kv".into(),
            path: "/apps/shop".into(),
            token: Secret::new("t".into()),
        };
        assert_eq!(store.url(), "http://127.0.0.1:8200/v1/kv/data/apps/shop");
    }
}
