//! A small secret store for the config tests: the Vault/OpenBao KV v2 read endpoint,
//! `GET /v1/<mount>/data/<path>` with an `X-Vault-Token` header, answering the documented
//! document (`{"data": {"data": {...}, "metadata": {...}}}`), 403 for a wrong token and 404 for a
//! path with no secret. It runs on a thread of its own, on a free loopback port.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;

/// Secrets by `<mount>/<path>`, each a map of fields.
type Secrets = BTreeMap<String, BTreeMap<String, String>>;

struct Shared {
    token: Mutex<String>,
    secrets: Mutex<Secrets>,
    requests: AtomicUsize,
    /// Reads answered normally before every further one is refused with 403 (`usize::MAX`: never).
    reads_before_revoking: AtomicUsize,
}

/// A running KV v2 store; stopped on drop.
pub struct Kv2Server {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Kv2Server {
    /// Starts a store accepting `token`, with no secrets yet.
    pub fn start(token: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let shared = Arc::new(Shared {
            token: Mutex::new(token.into()),
            secrets: Mutex::new(Secrets::new()),
            requests: AtomicUsize::new(0),
            reads_before_revoking: AtomicUsize::new(usize::MAX),
        });
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let state = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("test store runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let state = Arc::clone(&state);
                            tokio::spawn(async move {
                                let service = hyper::service::service_fn(move |req| {
                                    let state = Arc::clone(&state);
                                    async move { Ok::<_, Infallible>(answer(&state, &req)) }
                                });
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(stream), service)
                                    .await;
                            });
                        }
                    }
                }
            });
        });
        Kv2Server {
            address,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stores a secret with `fields` at `<mount>/<path>` (replacing any).
    pub fn put(&self, mount: &str, path: &str, fields: &[(&str, &str)]) {
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.shared
            .secrets
            .lock()
            .expect("secrets lock")
            .insert(format!("{mount}/{path}"), fields);
    }

    /// Changes the token the store accepts (revoking the old one).
    pub fn set_token(&self, token: &str) {
        *self.shared.token.lock().expect("token lock") = token.into();
    }

    /// Answers `reads` more requests normally, then refuses the token (403) from then on: a
    /// token revoked between building a plan and applying it.
    pub fn revoke_token_after(&self, reads: usize) {
        self.shared
            .reads_before_revoking
            .store(self.requests() + reads, Ordering::SeqCst);
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Kv2Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// The KV v2 read endpoint's answer to `req`.
fn answer(state: &Shared, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let seen = state.requests.fetch_add(1, Ordering::SeqCst);
    if seen >= state.reads_before_revoking.load(Ordering::SeqCst) {
        return json_response(
            StatusCode::FORBIDDEN,
            json!({ "errors": ["permission denied"] }),
        );
    }
    if req.method() != hyper::Method::GET {
        return json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "errors": ["only reads are served here"] }),
        );
    }
    let token = req
        .headers()
        .get("X-Vault-Token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if token != *state.token.lock().expect("token lock") {
        return json_response(
            StatusCode::FORBIDDEN,
            json!({ "errors": ["permission denied"] }),
        );
    }
    // /v1/<mount>/data/<path>
    let path = req.uri().path();
    let secret = path
        .strip_prefix("/v1/")
        .and_then(|rest| rest.split_once("/data/"))
        .and_then(|(mount, path)| {
            state
                .secrets
                .lock()
                .expect("secrets lock")
                .get(&format!("{mount}/{path}"))
                .cloned()
        });
    match secret {
        None => json_response(StatusCode::NOT_FOUND, json!({ "errors": [] })),
        Some(fields) => json_response(
            StatusCode::OK,
            json!({
                "request_id": "c2f2a6a4-9b0e-4c49-a9d3-8f1f3a6c1e01",
                "lease_id": "",
                "renewable": false,
                "lease_duration": 0,
                "data": {
                    "data": fields,
                    "metadata": {
                        "created_time": "2026-01-01T00:00:00.000000000Z",
                        "custom_metadata": null,
                        "deletion_time": "",
                        "destroyed": false,
                        "version": 1
                    }
                },
                "wrap_info": null,
                "warnings": null,
                "auth": null
            }),
        ),
    }
}

/// The `configured` example in a fresh project directory, with a clean environment: no
/// `HARMONY_CONFIG_*`, no store settings, no state dir override.
pub struct Configured {
    pub exe: std::path::PathBuf,
    pub project: crate::common::TempDir,
}

/// Every variable the example's configuration could come from, removed before each run.
const CONFIG_VARS: &[&str] = &[
    "HARMONY_CONFIG_GREETING",
    "HARMONY_CONFIG_PORT",
    "HARMONY_CONFIG_API_TOKEN",
    "HARMONY_CONFIG_LOG_LEVEL",
    "HARMONY_CONFIG_FILE",
    "VAULT_ADDR",
    "VAULT_TOKEN",
    "HARMONY_VAULT_ADDR",
    "HARMONY_VAULT_TOKEN",
    "HARMONY_VAULT_MOUNT",
    "HARMONY_VAULT_PATH",
    "HARMONY_PROJECT_DIR",
    "HARMONY_STATE_DIR",
    "RUST_LOG",
];

impl Configured {
    pub fn new(tag: &str) -> Self {
        Configured {
            exe: crate::common::example("configured"),
            project: crate::common::TempDir::new(tag),
        }
    }

    /// Runs the example with `args` and `envs`: exit code, stdout, stderr.
    pub fn run(&self, args: &[&str], envs: &[(&str, &str)]) -> (i32, String, String) {
        let mut cmd = std::process::Command::new(&self.exe);
        cmd.args(args).current_dir(self.project.path());
        for var in CONFIG_VARS {
            cmd.env_remove(var);
        }
        cmd.envs(envs.iter().copied());
        crate::common::run(&mut cmd)
    }

    /// `plan --json`'s document, asserting the exit code.
    pub fn plan_json(&self, extra: &[&str], envs: &[(&str, &str)]) -> serde_json::Value {
        let mut args = extra.to_vec();
        args.extend(["plan", "--json"]);
        let (code, stdout, stderr) = self.run(&args, envs);
        assert_eq!(code, 0, "plan failed:\n{stdout}\n{stderr}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
    }

    /// Writes the project's config file and returns its path.
    pub fn write_config(&self, content: &str) -> String {
        let path = self.project.path().join("app.toml");
        std::fs::write(&path, content).expect("write config file");
        path.display().to_string()
    }
}

impl Drop for Configured {
    /// Stops the service `apply` started, if any.
    fn drop(&mut self) {
        let record = self
            .project
            .path()
            .join(".harmony/processes/configured-service.json");
        let pid = std::fs::read(record)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|record| record["pid"].as_i64());
        if let Some(pid) = pid {
            // SAFETY: signals the process group the service was started in.
            unsafe {
                libc::killpg(pid as i32, libc::SIGKILL);
            }
        }
    }
}
