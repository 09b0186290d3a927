//! A Kubernetes API server for tests: real HTTP/1.1 on a free loopback port, enough of the API
//! for the `Kube` provider, objects in memory.
//!
//! - Discovery: `/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}` for the kinds in
//!   [`store::KINDS`].
//! - Objects: GET (one, list with `labelSelector` / `fieldSelector` equality), PATCH with
//!   `application/apply-patch+yaml` (server-side apply: `fieldManager` required, `force`,
//!   `dryRun=All`, ownership conflicts answered 409 with a `Status` naming the other manager and
//!   the fields), DELETE; the status subresource (GET, PUT, merge PATCH).
//! - Watches (`?watch=true` on a collection, `fieldSelector=metadata.name=...`): one JSON event
//!   per line; the object is sent at once when newer than the requested `resourceVersion`.
//! - `resourceVersion` increases on every write and does not move on a no-op apply.
//! - Faults ([`Fault`]): the next N matching requests answer a chosen status (429/500 with
//!   `Retry-After`, 409...), watches dropped after N events (`Store::drop_watches_after`).
//!   Readiness of Deployments/StatefulSets per [`Readiness`].
//!
//! It runs on its own thread and tokio runtime, so a test can drive the synchronous CLI
//! (`harmony_runtime::cli_from`) against it. Dropping the [`ApiServer`] stops it.

pub mod fields;
pub mod store;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};

use super::http::HttpServer;
pub use store::{Apply, Failure, KINDS, Kind, Readiness, Store};

/// A fault to inject: the next `times` requests matching `method` and `path_contains` answer
/// `code` (with `Retry-After: retry_after` seconds when set) instead of being served.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<Method>,
    pub path_contains: Option<String>,
    pub code: u16,
    pub retry_after: Option<u64>,
    pub times: usize,
}

/// One request the server received, and its answer's status code.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub code: u16,
    /// When the request was answered.
    pub at: std::time::Instant,
}

/// Something done to the store just before the next request matching `method` and
/// `path_contains` is served (a concurrent writer, at exactly the wrong moment).
struct Hook {
    method: Method,
    path_contains: String,
    action: Box<dyn FnOnce(&mut Store) + Send>,
}

#[derive(Default)]
struct Extra {
    faults: Vec<Fault>,
    hooks: Vec<Hook>,
    log: Vec<Logged>,
}

struct Shared {
    store: Mutex<Store>,
    extra: Mutex<Extra>,
}

/// The running server.
pub struct ApiServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    dir: PathBuf,
    http: Option<HttpServer>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl ApiServer {
    /// Starts a server and writes a kubeconfig for it (context `test`) in a fresh directory.
    pub fn start(tag: &str) -> ApiServer {
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new()),
            extra: Mutex::new(Extra::default()),
        });
        let served = Arc::clone(&shared);
        let http = HttpServer::start(move |req| {
            let shared = Arc::clone(&served);
            async move { handle(&shared, req).await }
        });
        let addr = http.addr();
        let dir = std::env::temp_dir().join(format!(
            "harmony-apiserver-{tag}-{}-{}",
            std::process::id(),
            addr.port()
        ));
        std::fs::create_dir_all(&dir).expect("kubeconfig dir");
        let server = ApiServer {
            addr,
            shared,
            dir,
            http: Some(http),
        };
        std::fs::write(server.kubeconfig(), server.kubeconfig_yaml()).expect("write kubeconfig");
        server
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig with one context, `test`, pointing at this server.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// A scratch directory removed with the server.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: default\ncurrent-context: test\nusers:\n- name: test\n  user: {{}}\n",
            self.url()
        )
    }

    /// The store, to look at or change objects directly.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.shared.store)
    }

    /// Injects a fault.
    /// Runs `action` on the store just before the next `method` request whose path contains
    /// `path_contains` is served.
    pub fn before_next(
        &self,
        method: Method,
        path_contains: &str,
        action: impl FnOnce(&mut Store) + Send + 'static,
    ) {
        lock(&self.shared.extra).hooks.push(Hook {
            method,
            path_contains: path_contains.to_string(),
            action: Box::new(action),
        });
    }

    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.extra).faults.push(fault);
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.shared.extra).log.clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared.extra).log.clear();
    }

    /// The kind `kind` of `api_version`.
    pub fn kind(api_version: &str, kind: &str) -> Kind {
        KINDS
            .iter()
            .copied()
            .find(|k| k.api_version() == api_version && k.kind == kind)
            .unwrap_or_else(|| panic!("the test server does not serve {api_version} {kind}"))
    }

    /// Server-side apply as another field manager (what `kubectl apply --server-side` does).
    pub fn apply_as(&self, manager: &str, object: &Value) -> Result<Value, Failure> {
        let kind = Self::kind(
            object["apiVersion"].as_str().unwrap_or(""),
            object["kind"].as_str().unwrap_or(""),
        );
        let ns = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str);
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        self.store().apply(
            &kind,
            ns,
            name,
            object,
            Apply {
                manager,
                force: false,
                dry_run: false,
            },
        )
    }

    /// The stored object, if any.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        ns: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        self.store()
            .get(&Self::kind(api_version, kind), ns, name)
            .ok()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        // Stop serving before the directory goes.
        drop(self.http.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A watch response: one JSON event per line, as long as the watch is open.
struct WatchBody(tokio::sync::mpsc::UnboundedReceiver<Value>);

impl Body for WatchBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|event| event.map(|e| Ok(Frame::data(Bytes::from(format!("{e}\n"))))))
    }
}

/// What a route answers: a JSON document, or a stream of watch events.
enum Answer {
    Json(Value),
    Watch(tokio::sync::mpsc::UnboundedReceiver<Value>),
}

type ResponseBody = BoxBody<Bytes, Infallible>;

fn respond(code: u16, body: &Value, retry_after: Option<u64>) -> Response<ResponseBody> {
    let mut response = Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json");
    if let Some(seconds) = retry_after {
        response = response.header("retry-after", seconds.to_string());
    }
    response
        .body(Full::new(Bytes::from(body.to_string())).boxed())
        .expect("valid response")
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(shared: &Arc<Shared>, req: Request<Incoming>) -> Response<ResponseBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let fault = {
        let mut extra = lock(&shared.extra);
        let found = extra.faults.iter_mut().find(|f| {
            f.times > 0
                && f.method.as_ref().is_none_or(|m| *m == method)
                && f.path_contains
                    .as_ref()
                    .is_none_or(|p| path.contains(p.as_str()))
        });
        found.map(|f| {
            f.times -= 1;
            f.clone()
        })
    };
    let (code, answer, retry_after) = match fault {
        Some(fault) => {
            let reason = match fault.code {
                409 => "Conflict",
                429 => "TooManyRequests",
                503 => "ServiceUnavailable",
                _ => "InternalError",
            };
            let failure =
                Failure::new(fault.code, reason, format!("injected fault {}", fault.code));
            let mut status = failure.status();
            // Like the API server: the wait is both the header and `details.retryAfterSeconds`.
            if let Some(seconds) = fault.retry_after {
                status["details"] = serde_json::json!({ "retryAfterSeconds": seconds });
            }
            (fault.code, status, fault.retry_after)
        }
        None => {
            let hook = {
                let mut extra = lock(&shared.extra);
                let found = extra
                    .hooks
                    .iter()
                    .position(|h| h.method == method && path.contains(h.path_contains.as_str()));
                found.map(|i| extra.hooks.remove(i))
            };
            if let Some(hook) = hook {
                (hook.action)(&mut lock(&shared.store));
            }
            let result = route(shared, &method, &path, &query, &content_type, &body);
            match result {
                Ok(Answer::Json(value)) => (200, value, None),
                Ok(Answer::Watch(events)) => {
                    lock(&shared.extra).log.push(Logged {
                        method,
                        path,
                        query,
                        code: 200,
                        at: std::time::Instant::now(),
                    });
                    return Response::builder()
                        .status(StatusCode::OK)
                        .header("content-type", "application/json")
                        .body(WatchBody(events).boxed())
                        .expect("valid response");
                }
                Err(failure) => (failure.code, failure.status(), None),
            }
        }
    };
    lock(&shared.extra).log.push(Logged {
        method,
        path,
        query,
        code,
        at: std::time::Instant::now(),
    });
    respond(code, &answer, retry_after)
}

fn discovery_resources(group: &str, version: &str) -> Option<Value> {
    let kinds: Vec<&Kind> = KINDS
        .iter()
        .filter(|k| k.group == group && k.version == version)
        .collect();
    if kinds.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for k in &kinds {
        resources.push(json!({
            "name": k.plural,
            "singularName": k.kind.to_lowercase(),
            "namespaced": k.namespaced,
            "kind": k.kind,
            "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
        }));
        if k.status {
            resources.push(json!({
                "name": format!("{}/status", k.plural),
                "singularName": "",
                "namespaced": k.namespaced,
                "kind": k.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": kinds[0].api_version(),
        "resources": resources,
    }))
}

fn not_found(path: &str) -> Failure {
    Failure::new(
        404,
        "NotFound",
        format!("the server could not find the requested resource ({path})"),
    )
}

/// Reads a request body: JSON, or YAML (an apply patch may be either).
fn parse_body(body: &[u8]) -> Result<Value, Failure> {
    serde_json::from_slice(body)
        .or_else(|_| {
            let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
            serde_saphyr::from_str::<Value>(text).map_err(|e| e.to_string())
        })
        .map_err(|e| Failure::new(400, "BadRequest", format!("cannot decode the body: {e}")))
}

fn merge_patch(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(t), Some(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

fn route(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    query: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Answer, Failure> {
    serve_route(shared, method, path, query, content_type, body)
}

fn serve_route(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    query: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Answer, Failure> {
    let json = |v: Result<Value, Failure>| v.map(Answer::Json);
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segs.as_slice() {
        ["api"] => {
            return Ok(Answer::Json(
                json!({ "kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [] }),
            ));
        }
        ["apis"] => {
            let mut groups: Vec<Value> = Vec::new();
            for k in KINDS.iter().filter(|k| !k.group.is_empty()) {
                if groups.iter().any(|g| g["name"] == k.group) {
                    continue;
                }
                let gv = json!({ "groupVersion": k.api_version(), "version": k.version });
                groups.push(
                    json!({ "name": k.group, "versions": [gv.clone()], "preferredVersion": gv }),
                );
            }
            return Ok(Answer::Json(
                json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": groups }),
            ));
        }
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Err(not_found(path)),
    };
    if rest.is_empty() {
        return json(match *method {
            Method::GET => discovery_resources(group, version).ok_or_else(|| not_found(path)),
            _ => Err(Failure::new(
                405,
                "MethodNotAllowed",
                "discovery is read-only",
            )),
        });
    }
    let (ns, plural, name, sub): (Option<&str>, &str, Option<&str>, Option<&str>) = match rest {
        ["namespaces", ns, plural, tail @ ..] if *plural != "status" => match tail {
            [] => (Some(*ns), *plural, None, None),
            [name] => (Some(*ns), *plural, Some(*name), None),
            [name, sub] => (Some(*ns), *plural, Some(*name), Some(*sub)),
            _ => return Err(not_found(path)),
        },
        [plural] => (None, *plural, None, None),
        [plural, name] => (None, *plural, Some(*name), None),
        [plural, name, sub] => (None, *plural, Some(*name), Some(*sub)),
        _ => return Err(not_found(path)),
    };
    let kind = store::kind_by_plural(group, version, plural).ok_or_else(|| not_found(path))?;
    if kind.namespaced != ns.is_some() && name.is_some() {
        return Err(not_found(path));
    }
    if let Some(sub) = sub
        && (sub != "status" || !kind.status)
    {
        return Err(not_found(path));
    }
    let mut store = lock(&shared.store);
    let Some(name) = name else {
        let watch = matches!(query_param(query, "watch").as_deref(), Some("true" | "1"));
        if *method == Method::GET && watch {
            let selector = query_param(query, "fieldSelector").unwrap_or_default();
            let name = selector
                .split(',')
                .find_map(|p| p.strip_prefix("metadata.name="))
                .map(str::to_string);
            let since = query_param(query, "resourceVersion")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            return Ok(Answer::Watch(store.watch(
                &kind,
                ns,
                name.as_deref(),
                since,
            )));
        }
        return json(match *method {
            Method::GET => Ok(store.list(
                &kind,
                ns,
                query_param(query, "labelSelector").as_deref(),
                query_param(query, "fieldSelector").as_deref(),
            )),
            _ => Err(Failure::new(
                405,
                "MethodNotAllowed",
                "only GET on collections",
            )),
        });
    };
    if sub.is_some() {
        return json(match *method {
            Method::GET => store.get(&kind, ns, name),
            Method::PUT => {
                let object = parse_body(body)?;
                store.set_status(&kind, ns, name, object["status"].clone())
            }
            Method::PATCH if content_type.starts_with("application/merge-patch+json") => {
                let patch = parse_body(body)?;
                let mut status = store.get(&kind, ns, name)?["status"].clone();
                merge_patch(&mut status, &patch["status"]);
                store.set_status(&kind, ns, name, status)
            }
            _ => Err(Failure::new(
                415,
                "UnsupportedMediaType",
                "status takes PUT or merge PATCH",
            )),
        });
    }
    json(match *method {
        Method::GET => store.get(&kind, ns, name),
        Method::DELETE => {
            store.delete(&kind, ns, name)?;
            Ok(
                json!({ "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": { "name": name, "group": kind.group, "kind": kind.plural } }),
            )
        }
        Method::PATCH if content_type.starts_with("application/apply-patch+yaml") => {
            let manager = query_param(query, "fieldManager").filter(|m| !m.is_empty()).ok_or_else(|| {
                Failure::new(400, "BadRequest", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
            })?;
            let force = query_param(query, "force").as_deref() == Some("true");
            let dry_run = query_param(query, "dryRun").as_deref() == Some("All");
            let object = parse_body(body)?;
            let result = store.apply(
                &kind,
                ns,
                name,
                &object,
                Apply {
                    manager: &manager,
                    force,
                    dry_run,
                },
            )?;
            if !dry_run
                && let Readiness::After(delay) = store.readiness.clone()
                && matches!(kind.kind, "Deployment" | "StatefulSet")
                && result
                    .pointer("/status/readyReplicas")
                    .and_then(Value::as_i64)
                    == Some(0)
            {
                let generation = result["metadata"]["generation"].as_i64().unwrap_or(1);
                let ns = ns.map(str::to_string);
                let name = name.to_string();
                let shared = Arc::clone(shared);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    lock(&shared.store).finish_rollout(&kind, ns.as_deref(), &name, generation);
                });
            }
            Ok(result)
        }
        Method::PATCH => Err(Failure::new(
            415,
            "UnsupportedMediaType",
            format!("the test server only takes server-side apply patches, not {content_type}"),
        )),
        _ => Err(Failure::new(
            405,
            "MethodNotAllowed",
            format!("{method} is not served here"),
        )),
    })
}
