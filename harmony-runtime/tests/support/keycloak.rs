//! A Keycloak admin REST API of our own, over HTTP on a loopback port, for the calls the
//! `Keycloak` provider makes: the client-credentials token endpoint, and list (by `clientId`),
//! create, update and delete of a realm's clients, each checking the bearer token. Clients live
//! in memory; faults (status and `Retry-After`) can be injected; every request is logged.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::http::HttpServer;

/// The admin client and secret the server accepts.
pub const ADMIN_CLIENT: &str = "harmony";
/// Its secret.
pub const ADMIN_SECRET: &str = "kc-admin-secret";

/// One logged request: method, path, the status answered and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: Method,
    pub path: String,
    pub code: u16,
    pub at: std::time::Instant,
}

/// A fault: the next `times` requests with `method` answer `code` (with `Retry-After`).
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Method,
    pub code: u16,
    pub retry_after: Option<u64>,
    pub times: u32,
}

#[derive(Default)]
struct State {
    /// realm → client uuid → representation.
    realms: BTreeMap<String, BTreeMap<String, Value>>,
    tokens: Vec<String>,
    next_id: u64,
    faults: Vec<Fault>,
    log: Vec<Logged>,
}

/// The running server; stops when dropped.
pub struct KeycloakServer {
    state: Arc<Mutex<State>>,
    http: HttpServer,
}

impl KeycloakServer {
    /// Starts a server with the given (empty) realms.
    pub fn start(realms: &[&str]) -> KeycloakServer {
        let state = Arc::new(Mutex::new(State {
            realms: realms
                .iter()
                .map(|r| (r.to_string(), BTreeMap::new()))
                .collect(),
            ..State::default()
        }));
        let served = Arc::clone(&state);
        let http = HttpServer::start(move |req| {
            let state = Arc::clone(&served);
            async move { handle(&state, req).await }
        });
        KeycloakServer { state, http }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.http.addr())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The client of `realm` with this client id.
    pub fn client(&self, realm: &str, client_id: &str) -> Option<Value> {
        self.lock()
            .realms
            .get(realm)?
            .values()
            .find(|c| c["clientId"] == client_id)
            .cloned()
    }

    /// Adds a client as someone else would (through the console).
    pub fn add_client(&self, realm: &str, representation: Value) {
        let mut state = self.lock();
        state.next_id += 1;
        let id = format!("uuid-{}", state.next_id);
        let mut client = representation;
        client["id"] = id.clone().into();
        state
            .realms
            .get_mut(realm)
            .expect("known realm")
            .insert(id, client);
    }

    /// Injects a fault.
    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    /// Requests so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// Forgets the logged requests.
    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Requests other than the token and list calls: the writes.
    pub fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| matches!(r.method, Method::POST | Method::PUT | Method::DELETE))
            .filter(|r| !r.path.ends_with("/token"))
            .map(|r| format!("{} {} {}", r.code, r.method, r.path))
            .collect()
    }
}

fn answer(code: u16, body: Value, retry_after: Option<u64>) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json");
    if let Some(seconds) = retry_after {
        response = response.header("retry-after", seconds.to_string());
    }
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    response
        .body(Full::new(Bytes::from(text)))
        .expect("valid response")
}

fn form_value(form: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(form.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

async fn handle(state: &Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
    let fault = state
        .faults
        .iter_mut()
        .find(|f| f.times > 0 && f.method == method)
        .map(|f| {
            f.times -= 1;
            f.clone()
        });
    let (code, body, retry_after) = match fault {
        Some(f) => (f.code, json!({ "error": "injected fault" }), f.retry_after),
        None => {
            let (code, body) = route(&mut state, &method, &path, &query, &body, bearer);
            (code, body, None)
        }
    };
    state.log.push(Logged {
        method,
        path,
        code,
        at: std::time::Instant::now(),
    });
    answer(code, body, retry_after)
}

fn route(
    state: &mut State,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
    bearer: Option<String>,
) -> (u16, Value) {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.clone(), segments.as_slice()) {
        (Method::POST, ["realms", _, "protocol", "openid-connect", "token"]) => {
            let form = String::from_utf8_lossy(body);
            let grant = form_value(&form, "grant_type");
            let id = form_value(&form, "client_id");
            let secret = form_value(&form, "client_secret");
            if grant.as_deref() != Some("client_credentials")
                || id.as_deref() != Some(ADMIN_CLIENT)
                || secret.as_deref() != Some(ADMIN_SECRET)
            {
                return (
                    401,
                    json!({ "error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials" }),
                );
            }
            state.next_id += 1;
            let token = format!("token-{}", state.next_id);
            state.tokens.push(token.clone());
            (
                200,
                json!({ "access_token": token, "expires_in": 60, "token_type": "Bearer" }),
            )
        }
        (_, ["admin", "realms", realm, "clients", rest @ ..]) => {
            if !bearer.is_some_and(|t| state.tokens.contains(&t)) {
                return (401, json!({ "error": "HTTP 401 Unauthorized" }));
            }
            let realm = realm.to_string();
            if !state.realms.contains_key(&realm) {
                return (404, json!({ "error": "Realm not found." }));
            }
            let parsed: Option<Value> = serde_json::from_slice(body).ok();
            match (method.clone(), rest) {
                (Method::GET, []) => {
                    let wanted = form_value(query, "clientId");
                    let list: Vec<Value> = state.realms[&realm]
                        .values()
                        .filter(|c| wanted.as_deref().is_none_or(|w| c["clientId"] == w))
                        .cloned()
                        .collect();
                    (200, Value::Array(list))
                }
                (Method::POST, []) => {
                    let Some(mut client) = parsed.filter(|c| c["clientId"].is_string()) else {
                        return (400, json!({ "errorMessage": "clientId is required" }));
                    };
                    let exists = state.realms[&realm]
                        .values()
                        .any(|c| c["clientId"] == client["clientId"]);
                    if exists {
                        return (
                            409,
                            json!({ "errorMessage": format!("Client {} already exists", client["clientId"].as_str().unwrap_or("")) }),
                        );
                    }
                    state.next_id += 1;
                    let id = format!("uuid-{}", state.next_id);
                    client["id"] = id.clone().into();
                    state
                        .realms
                        .get_mut(&realm)
                        .expect("checked")
                        .insert(id, client);
                    (201, Value::Null)
                }
                (Method::PUT, [id]) => {
                    let Some(update) = parsed.and_then(|u| u.as_object().cloned()) else {
                        return (400, json!({ "errorMessage": "invalid representation" }));
                    };
                    let clients = state.realms.get_mut(&realm).expect("checked");
                    let Some(client) = clients.get_mut(*id) else {
                        return (404, json!({ "error": "Could not find client" }));
                    };
                    // Like Keycloak: the fields given replace the client's; the others stay.
                    for (k, v) in update {
                        client[k.as_str()] = v;
                    }
                    (204, Value::Null)
                }
                (Method::DELETE, [id]) => {
                    let clients = state.realms.get_mut(&realm).expect("checked");
                    match clients.remove(*id) {
                        Some(_) => (204, Value::Null),
                        None => (404, json!({ "error": "Could not find client" })),
                    }
                }
                _ => (405, json!({ "error": "method not allowed" })),
            }
        }
        _ => (404, json!({ "error": "not found" })),
    }
}
