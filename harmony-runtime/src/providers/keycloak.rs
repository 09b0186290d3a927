//! [`Keycloak`]: applications registered as OpenID Connect clients of a realm, through
//! Keycloak's admin REST API.
//!
//! Why the admin API and not a custom resource: the Keycloak operator's `KeycloakRealmImport`
//! only creates realms (it never updates or deletes one), so a changed redirect URL or a removed
//! application could not be applied through it. The admin API can do all three.
//!
//! - **Authentication**: a token from `<url>/realms/<token_realm>/protocol/openid-connect/token`
//!   with the client-credentials grant, as client `admin_client`, whose secret is read from the
//!   environment variable named by `secret_env` (never from the infrastructure file). That client
//!   needs the `manage-clients` role of the realm's `realm-management` client.
//! - **inspect**: `GET /admin/realms/<realm>/clients?clientId=<id>`; absent → create, present →
//!   one diff line per managed field that differs (`redirectUris`, `enabled`, `protocol`,
//!   `publicClient`, `standardFlowEnabled`).
//! - **apply**: `POST .../clients` to create, `PUT .../clients/<uuid>` with the managed fields
//!   to update, nothing when they already agree (unchanged).
//! - **remove** (prune): `DELETE .../clients/<uuid>`, only of a client Harmony created (its
//!   attribute `harmony.io/managed-by` is `harmony`); another client of the same id is refused.
//!
//! 429 and 5xx are transient (waiting what `Retry-After` asks); 401 and 403 are permanent, with
//! what to check.

use std::time::Duration;

use bytes::Bytes;
use harmony_dsl::capability::IdentityProvider;
use harmony_dsl::resource::IdentityClient;
use harmony_dsl::{BoxFuture, Change, Error, Inspection, Observed, Outcome, Result};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use super::Keycloak;

/// The client attribute that marks a client as Harmony's.
pub const MANAGED_ATTRIBUTE: &str = "harmony.io/managed-by";

/// How long one admin API request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The fields of a client representation Harmony manages, as Harmony wants them.
fn desired(client: &IdentityClient) -> Value {
    let mut redirects: Vec<String> = client
        .redirect_urls
        .iter()
        .map(|u| u.as_str().to_string())
        .collect();
    redirects.sort();
    redirects.dedup();
    json!({
        "clientId": client.client_id,
        "protocol": "openid-connect",
        "enabled": true,
        "publicClient": false,
        "standardFlowEnabled": true,
        "redirectUris": redirects,
        "attributes": { MANAGED_ATTRIBUTE: "harmony" },
    })
}

/// Fields compared between the live client and [`desired`].
const MANAGED_FIELDS: &[&str] = &[
    "redirectUris",
    "enabled",
    "protocol",
    "publicClient",
    "standardFlowEnabled",
];

/// One line per managed field that differs (redirect URLs compared as sets).
fn diff(live: &Value, wanted: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for field in MANAGED_FIELDS {
        let mut old = live.get(*field).cloned().unwrap_or(Value::Null);
        if let Value::Array(items) = &mut old {
            items.sort_by_key(Value::to_string);
            items.dedup();
        }
        let new = &wanted[*field];
        if &old != new {
            lines.push(format!("~ {field}: {old} -> {new}"));
        }
    }
    lines
}

/// Hash of the managed fields of a live client: what `apply FILE` checks for drift.
fn managed_hash(live: &Value) -> String {
    let managed: serde_json::Map<String, Value> = MANAGED_FIELDS
        .iter()
        .map(|f| (f.to_string(), live.get(*f).cloned().unwrap_or(Value::Null)))
        .collect();
    crate::hash::sha256_hex(Value::Object(managed).to_string())
}

fn is_harmonys(live: &Value) -> bool {
    live.pointer("/attributes")
        .and_then(|a| a.get(MANAGED_ATTRIBUTE))
        .and_then(Value::as_str)
        == Some("harmony")
}

/// Percent-encodes a query or path component (unreserved characters stay).
fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, crate::http::COMPONENT).to_string()
}

/// A JSON answer: status and body.
struct Answer {
    status: StatusCode,
    body: Value,
    retry_after: Option<Duration>,
}

impl Keycloak {
    fn base(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_string()
    }

    fn http(&self) -> Result<HttpsClient> {
        crate::http::client().map_err(|e| {
            Error::permanent("cannot load the system's root certificates").with_source(e)
        })
    }

    async fn send(
        &self,
        http: &HttpsClient,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Answer> {
        let what = format!("{method} {url}");
        let mut request = Request::builder().method(method).uri(url);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let payload = match body {
            Some((content_type, bytes)) => {
                request = request.header("content-type", content_type);
                bytes
            }
            None => Vec::new(),
        };
        let request = request
            .body(Full::new(Bytes::from(payload)))
            .map_err(|e| Error::permanent(format!("{what}: invalid request")).with_source(e))?;
        let response = tokio::time::timeout(REQUEST_TIMEOUT, http.request(request))
            .await
            .map_err(|_| Error::transient(format!("{what}: no answer within 30 s")))?
            .map_err(|e| {
                Error::transient(format!("{what}: cannot reach Keycloak")).with_source(e)
            })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::transient(format!("{what}: answer cut short")).with_source(e))?
            .to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let answer = Answer {
            status,
            body,
            retry_after,
        };
        if status.is_success() {
            Ok(answer)
        } else {
            Err(self.failure(&what, &answer))
        }
    }

    fn failure(&self, what: &str, answer: &Answer) -> Error {
        let code = answer.status.as_u16();
        let detail = ["errorMessage", "error_description", "error"]
            .iter()
            .find_map(|k| answer.body.get(*k).and_then(Value::as_str))
            .unwrap_or("");
        let message = format!("{what}: {code} {detail}").trim_end().to_string();
        match code {
            401 | 403 => Error::permanent(format!(
                "{message}; check that client `{}` of realm `{}` exists, that its secret is in ${}, and that it has the `manage-clients` role of realm `{}`",
                self.admin_client, self.token_realm, self.secret_env, self.realm
            )),
            429 | 500..=599 => {
                let error = Error::transient(message);
                match answer.retry_after {
                    Some(wait) if matches!(code, 429 | 503) => error.with_retry_after(wait),
                    _ => error,
                }
            }
            _ => Error::permanent(message),
        }
    }

    async fn token(&self, http: &HttpsClient) -> Result<String> {
        let secret = std::env::var(&self.secret_env).map_err(|_| {
            Error::permanent(format!(
                "${} is not set: it holds the secret of Keycloak client `{}`",
                self.secret_env, self.admin_client
            ))
        })?;
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.admin_client)
            .append_pair("client_secret", &secret)
            .finish();
        let url = format!(
            "{}/realms/{}/protocol/openid-connect/token",
            self.base(),
            encode(&self.token_realm)
        );
        let answer = self
            .send(
                http,
                Method::POST,
                &url,
                None,
                Some(("application/x-www-form-urlencoded", form.into_bytes())),
            )
            .await?;
        answer
            .body
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Error::permanent(format!("POST {url}: the answer has no access_token")))
    }

    fn clients_url(&self) -> String {
        format!(
            "{}/admin/realms/{}/clients",
            self.base(),
            encode(&self.realm)
        )
    }

    /// The live client with this client id, if any.
    async fn find(
        &self,
        http: &HttpsClient,
        token: &str,
        client_id: &str,
    ) -> Result<Option<Value>> {
        let url = format!("{}?clientId={}", self.clients_url(), encode(client_id));
        let answer = self
            .send(http, Method::GET, &url, Some(token), None)
            .await?;
        Ok(answer
            .body
            .as_array()
            .and_then(|list| {
                list.iter()
                    .find(|c| c["clientId"].as_str() == Some(client_id))
            })
            .cloned())
    }

    async fn connect(&self) -> Result<(HttpsClient, String)> {
        let http = self.http()?;
        let token = self.token(&http).await?;
        Ok((http, token))
    }

    async fn inspect_client(&self, client: &IdentityClient) -> Result<Inspection> {
        let (http, token) = self.connect().await?;
        let Some(live) = self.find(&http, &token, &client.client_id).await? else {
            return Ok(Inspection {
                change: Change::Create {
                    summary: format!(
                        "create client `{}` in realm `{}`",
                        client.client_id, self.realm
                    ),
                },
                observed: Observed::Absent,
            });
        };
        let lines = diff(&live, &desired(client));
        Ok(Inspection {
            change: if lines.is_empty() {
                Change::None
            } else {
                Change::Update { diff: lines }
            },
            observed: Observed::Hash {
                value: managed_hash(&live),
            },
        })
    }

    async fn apply_client(&self, client: &IdentityClient) -> Result<Outcome> {
        let (http, token) = self.connect().await?;
        let wanted = desired(client);
        let body = |value: &Value| Some(("application/json", value.to_string().into_bytes()));
        match self.find(&http, &token, &client.client_id).await? {
            None => {
                self.send(
                    &http,
                    Method::POST,
                    &self.clients_url(),
                    Some(&token),
                    body(&wanted),
                )
                .await?;
                Ok(Outcome::changed(format!(
                    "created client `{}` in realm `{}`",
                    client.client_id, self.realm
                )))
            }
            Some(live) => {
                let lines = diff(&live, &wanted);
                if lines.is_empty() {
                    return Ok(Outcome::Unchanged);
                }
                let id = live["id"].as_str().unwrap_or_default();
                let url = format!("{}/{}", self.clients_url(), encode(id));
                let mut update = wanted.clone();
                update["id"] = id.into();
                // Keep the client's other attributes: PUT replaces the attribute map.
                if let (Some(old), Some(new)) = (
                    live.get("attributes").and_then(Value::as_object),
                    update["attributes"].as_object_mut(),
                ) {
                    for (k, v) in old {
                        new.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
                self.send(&http, Method::PUT, &url, Some(&token), body(&update))
                    .await?;
                Ok(Outcome::changed(format!(
                    "updated client `{}`: {}",
                    client.client_id,
                    lines.join(", ")
                )))
            }
        }
    }

    async fn remove_client(&self, client: &IdentityClient) -> Result<Outcome> {
        let (http, token) = self.connect().await?;
        let Some(live) = self.find(&http, &token, &client.client_id).await? else {
            return Ok(Outcome::Unchanged);
        };
        if !is_harmonys(&live) {
            return Err(Error::permanent(format!(
                "client `{}` of realm `{}` was not created by Harmony (no attribute {MANAGED_ATTRIBUTE}=harmony): not deleting it",
                client.client_id, self.realm
            )));
        }
        let id = live["id"].as_str().unwrap_or_default();
        let url = format!("{}/{}", self.clients_url(), encode(id));
        match self
            .send(&http, Method::DELETE, &url, Some(&token), None)
            .await
        {
            Ok(_) => Ok(Outcome::changed(format!(
                "deleted client `{}` from realm `{}`",
                client.client_id, self.realm
            ))),
            Err(e) if e.message().contains(": 404") => Ok(Outcome::Unchanged),
            Err(e) => Err(e),
        }
    }
}

impl IdentityProvider for Keycloak {
    fn inspect<'a>(&'a self, client: &'a IdentityClient) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(self.inspect_client(client))
    }

    fn apply<'a>(&'a self, client: &'a IdentityClient) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.apply_client(client))
    }

    fn remove<'a>(&'a self, client: &'a IdentityClient) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.remove_client(client))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(urls: &[&str]) -> IdentityClient {
        IdentityClient {
            client_id: "shop".into(),
            redirect_urls: urls.iter().map(|u| u.parse().unwrap()).collect(),
        }
    }

    #[test]
    fn redirect_urls_compare_as_sets() {
        let wanted = desired(&client(&[
            "https://b.example.com/cb",
            "https://a.example.com/cb",
        ]));
        let mut live = wanted.clone();
        live["redirectUris"] = json!(["https://b.example.com/cb", "https://a.example.com/cb"]);
        assert!(diff(&live, &wanted).is_empty());
        live["redirectUris"] = json!(["https://a.example.com/cb"]);
        live["enabled"] = json!(false);
        assert_eq!(
            diff(&live, &wanted),
            [
                r#"~ redirectUris: ["https://a.example.com/cb"] -> ["https://a.example.com/cb","https://b.example.com/cb"]"#,
                "~ enabled: false -> true"
            ]
        );
    }

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(encode("my app/1"), "my%20app%2F1");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
    }
}
