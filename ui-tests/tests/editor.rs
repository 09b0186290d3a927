//! The editor, checked with rust-analyzer: a scratch copy of the `homelab` example is opened in
//! the toolchain's `rust-analyzer`, spoken to over LSP on stdio, and each case asserts what a
//! person typing in an editor sees: diagnostics before and after a save (with their ranges),
//! completion at field, score-type and host positions in `score!` and at capability and provider
//! positions in `topology!`, hover and go-to-definition on a score type. Figures (how long each took) are printed; run with `--nocapture` to read them.
//!
//! Skipped, with a message, where `rust-analyzer` is not installed
//! (`rustup component add rust-analyzer`; `test.sh` adds it). It runs with the workspace's tests
//! (`cargo test -p ui-tests --test editor -- --nocapture` alone): about 25 s once the
//! dependencies are checked in the target directory, most of it rust-analyzer loading the
//! project.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long rust-analyzer may take to load the project and build the proc macros.
const LOAD: Duration = Duration::from_secs(600);
/// How long one answer may take once loaded.
const ANSWER: Duration = Duration::from_secs(120);

/// The example's plan with a database added: the cases edit this text.
const DB_LINE: &str = "        db = Postgres { storage: \"10Gi\", place: nuc };\n";

/// The workspace whose crates the scratch project uses: this one, or `EDITOR_TEST_WORKSPACE`
/// (another checkout, to measure its macros for comparison).
fn workspace() -> PathBuf {
    std::env::var_os("EDITOR_TEST_WORKSPACE").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .expect("workspace")
                .to_path_buf()
        },
        PathBuf::from,
    )
}

fn rust_analyzer() -> Option<PathBuf> {
    let out = Command::new("rustup")
        .args(["which", "rust-analyzer"])
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    let works = out.status.success()
        && Command::new(&path)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    works.then_some(path)
}

/// An LSP client over a child's stdio, with JSON-RPC framing written here.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications received so far, in order.
    notifications: Vec<Value>,
    config: Value,
}

impl Client {
    fn start(program: &Path, root: &Path, config: Value) -> Client {
        // The workspace's target directory (the one this test was built in, or `target/`), so
        // that rust-analyzer's `cargo check` reuses the dependencies `cargo clippy`/`cargo check`
        // built there instead of building them again for the scratch project.
        let workspace = workspace();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| workspace.join("target"), PathBuf::from);
        let mut child = Command::new(program)
            .current_dir(root)
            .env("CARGO_TARGET_DIR", target)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rust-analyzer");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let Some(length) = length else { return };
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let Ok(message) = serde_json::from_slice::<Value>(&body) else {
                    return;
                };
                if tx.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 1,
            notifications: Vec::new(),
            config,
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Handles one incoming message: answers the server's requests, keeps notifications, and
    /// returns responses.
    fn receive(&mut self, timeout: Duration) -> Option<Value> {
        let message = match self.messages.recv_timeout(timeout) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => panic!("rust-analyzer exited"),
        };
        if let (Some(id), Some(method)) = (message.get("id"), message.get("method")) {
            let result = if method == "workspace/configuration" {
                let n = message["params"]["items"]
                    .as_array()
                    .map_or(1, |items| items.len());
                Value::Array(vec![self.config.clone(); n])
            } else {
                Value::Null
            };
            let id = id.clone();
            self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
            return None;
        }
        if message.get("method").is_some() {
            self.notifications.push(message);
            return None;
        }
        Some(message)
    }

    /// Sends a request and returns its result; asked again while the server answers "content
    /// modified" (it is still re-analysing after a change).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.request_within(method, params, ANSWER)
    }

    /// [`Client::request`], waiting at most `timeout`.
    fn request_within(&mut self, method: &str, params: Value, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        'ask: loop {
            let id = self.next_id;
            self.next_id += 1;
            self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
            while Instant::now() < deadline {
                if let Some(response) = self.receive(Duration::from_millis(200))
                    && response["id"] == json!(id)
                {
                    if response["error"]["code"] == json!(-32801) {
                        std::thread::sleep(Duration::from_millis(300));
                        continue 'ask;
                    }
                    assert!(
                        response.get("error").is_none(),
                        "{method} failed: {response}"
                    );
                    return response["result"].clone();
                }
            }
            panic!("no answer to {method} within {timeout:?}");
        }
    }

    /// Waits until a notification after `from` satisfies `pred`; returns it.
    fn wait_for(
        &mut self,
        from: usize,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        let mut seen = from;
        loop {
            while seen < self.notifications.len() {
                if pred(&self.notifications[seen]) {
                    return Some(self.notifications[seen].clone());
                }
                seen += 1;
            }
            if Instant::now() >= deadline {
                return None;
            }
            self.receive(Duration::from_millis(200));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The position (line, UTF-16 column; ASCII here) of the `nth` occurrence of `needle` in
/// `text`, plus `offset` characters.
fn position(text: &str, needle: &str, offset: usize) -> (u64, u64) {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` in the text"))
        + offset;
    let before = &text[..at];
    let line = before.matches('\n').count();
    let column = before.len() - before.rfind('\n').map_or(0, |n| n + 1);
    (line as u64, column as u64)
}

fn pos(text: &str, needle: &str, offset: usize) -> Value {
    let (line, character) = position(text, needle, offset);
    json!({"line": line, "character": character})
}

/// The diagnostics of `uri` in a `publishDiagnostics` notification.
fn diagnostics_of<'a>(message: &'a Value, uri: &str) -> Option<&'a Vec<Value>> {
    (message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri)
        .then(|| message["params"]["diagnostics"].as_array())
        .flatten()
}

fn completion_labels(result: &Value) -> Vec<String> {
    let items = result
        .get("items")
        .and_then(Value::as_array)
        .or_else(|| result.as_array());
    items
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["label"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn hover_text(result: &Value) -> String {
    match &result["contents"] {
        Value::Object(o) => o
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The scratch project: the `homelab` example with a database added, depending on this
/// workspace's crates by path and built into `target` (the workspace's, when given, so that
/// its built dependencies are reused).
fn scratch_project(dir: &Path) -> String {
    let workspace = workspace();
    let example = std::fs::read_to_string(workspace.join("examples/src/bin/homelab.rs"))
        .expect("homelab example");
    let text = example.replacen(
        "    pub fn lab() -> Plan<HomeLab> {\n",
        &format!("    pub fn lab() -> Plan<HomeLab> {{\n{DB_LINE}"),
        1,
    );
    assert!(text.contains(DB_LINE), "the example's plan function moved");
    let manifest = format!(
        "[package]\nname = \"scratch\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nharmony-dsl = {{ path = {:?} }}\nharmony-runtime = {{ path = {:?} }}\n\n[workspace]\n",
        workspace.join("harmony-dsl"),
        workspace.join("harmony-runtime")
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
    // The workspace's lock: the same versions as the warm build, no registry lookups.
    std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock")).expect("lock");
    // The workspace's toolchain: the same compiler as the warm build.
    std::fs::copy(
        workspace.join("rust-toolchain.toml"),
        dir.join("rust-toolchain.toml"),
    )
    .expect("toolchain file");
    std::fs::create_dir(dir.join("src")).expect("src");
    std::fs::write(dir.join("src/main.rs"), &text).expect("main.rs");
    text
}

#[test]
fn rust_analyzer_sees_scores() {
    let Some(program) = rust_analyzer() else {
        eprintln!("skipped: rust-analyzer is not installed (`rustup component add rust-analyzer`)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("root");
    let original = scratch_project(&root);
    let uri = format!("file://{}", root.join("src/main.rs").display());
    let config = json!({
        "checkOnSave": true,
        "cargo": { "buildScripts": { "enable": true } },
        "procMacro": { "enable": true },
        "cachePriming": { "enable": false },
    });
    let started = Instant::now();
    let mut lsp = Client::start(&program, &root, config.clone());
    lsp.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": format!("file://{}", root.display()),
            "initializationOptions": config,
            "capabilities": {
                "textDocument": {
                    "hover": { "contentFormat": ["markdown", "plaintext"] },
                    "completion": { "completionItem": { "snippetSupport": false } },
                    "publishDiagnostics": { "relatedInformation": true },
                    "definition": { "linkSupport": false },
                },
                "experimental": { "serverStatusNotification": true },
            },
        }),
    );
    lsp.notify("initialized", json!({}));
    lsp.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": original}}),
    );
    let mut version = 1;

    // Loaded: hover on the score type answers with its doc (proc macros built and expanded).
    let kind_at = pos(&original, "Postgres {", 1);
    let mut hover = Value::Null;
    // First the workspace loaded and analysed (the server says it is quiescent).
    lsp.wait_for(0, LOAD, |m| {
        m["method"] == "experimental/serverStatus" && m["params"]["quiescent"] == json!(true)
    })
    .expect("rust-analyzer loads the project");
    println!("quiescent after {:.1} s", started.elapsed().as_secs_f64());
    while started.elapsed() < LOAD {
        lsp.wait_for(0, Duration::from_secs(2), |_| false);
        hover = lsp.request_within(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": kind_at}),
            LOAD.saturating_sub(started.elapsed()),
        );
        if hover_text(&hover).contains("PostgreSQL database") {
            break;
        }
        eprintln!(
            "waiting ({:.0} s): hover gives {hover}",
            started.elapsed().as_secs_f64()
        );
        std::thread::sleep(Duration::from_secs(3));
    }
    println!("loaded in {:.1} s", started.elapsed().as_secs_f64());

    // Hover on a score type: the score (its doc) and its field table (each field's doc and
    // default).
    let text = hover_text(&hover);
    if std::env::var_os("EDITOR_TEST_DEBUG").is_some() {
        eprintln!("hover text: {text}");
    }
    // Each item opens with its module path and its definition, two code blocks; sections within
    // an item are separated by `---` too, so those do not count items.
    let items = text.matches("```\n\n```rust\n").count();
    println!("hover on `Postgres`: {items} item(s), {} bytes", text.len());
    assert!(text.contains("PostgreSQL database"), "{text}");

    // Hover on a field: the field's own doc.
    let field_hover = hover_text(&lsp.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": pos(&original, "storage: \"10Gi\"", 2)}),
    ));
    println!("hover on `storage`: {field_hover:?}");

    // Go-to-definition on a score type.
    let targets = lsp.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": kind_at}),
    );
    let target_count = match &targets {
        Value::Array(a) => a.len(),
        Value::Null => 0,
        _ => 1,
    };
    println!("go-to-definition on `Postgres`: {target_count} target(s)");

    // Completion: a field name being typed, a score type after `=`, a host in `place:`.
    let mut completion = |lsp: &mut Client, text: String, at: Value| -> Vec<String> {
        version += 1;
        lsp.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
        let result = lsp.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri}, "position": at}),
        );
        if std::env::var_os("EDITOR_TEST_DEBUG").is_some() {
            eprintln!("completion: {result}");
        }
        completion_labels(&result)
    };
    let field_text = original.replace("storage: \"10Gi\"", "sto: \"10Gi\"");
    let at = pos(&field_text, "sto: \"10Gi\"", 3);
    let fields = completion(&mut lsp, field_text, at);
    println!("completion at `sto|: \"10Gi\"`: {} items", fields.len());
    let bare_text = original.replace("storage: \"10Gi\", place: nuc", "place: nuc, sto");
    let at = pos(&bare_text, "nuc, sto", 8);
    let bare = completion(&mut lsp, bare_text, at);
    println!("completion at `sto|`: {} items", bare.len());
    let kind_text = original.replace(DB_LINE, "        db = Pos\n");
    let at = pos(&kind_text, "db = Pos", 8);
    let kinds = completion(&mut lsp, kind_text, at);
    println!("completion at `db = Pos|`: {} items", kinds.len());
    let host_text = original.replace("place: nuc", "place: n");
    let at = pos(&host_text, "place: n", 8);
    let hosts = completion(&mut lsp, host_text, at);
    println!("completion at `place: n|`: {} items", hosts.len());

    // In `topology!`: a capability being typed (in a whole entry, and on a line of its own), and
    // a provider after `=>`.
    let capability_text = original.replace("K8sCluster   => Kube", "K8s => Kube");
    let at = pos(&capability_text, "K8s => Kube", 3);
    let capabilities = completion(&mut lsp, capability_text, at);
    println!("completion at `K8s| => Kube`: {} items", capabilities.len());
    let new_line = "LoadBalancer => MetalLb { pool: \"192.168.1.200/29\" },\n";
    let typing_text = original.replace(new_line, &format!("{new_line}            Identi\n"));
    let at = pos(&typing_text, "            Identi\n", 18);
    let typing = completion(&mut lsp, typing_text, at);
    println!("completion at a new line `Identi|`: {} items", typing.len());
    let provider_text = original.replace("=> Kube {", "=> Ku {");
    let at = pos(&provider_text, "=> Ku {", 5);
    let providers = completion(&mut lsp, provider_text, at);
    println!("completion at `=> Ku|`: {} items", providers.len());

    // A misspelt field, while typing: the macro's own error, on the field.
    let misspelt = original.replace("storage: \"10Gi\"", "storrage: \"10Gi\"");
    version += 1;
    let from = lsp.notifications.len();
    let typed = Instant::now();
    lsp.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": misspelt}]}),
    );
    let wanted = "`Postgres` has no field `storrage`; did you mean `storage`?";
    let uri2 = uri.clone();
    let before_save = lsp
        .wait_for(from, ANSWER, |m| {
            diagnostics_of(m, &uri2).is_some_and(|d| {
                d.iter()
                    .any(|d| d["message"].as_str().is_some_and(|s| s.contains(wanted)))
            })
        })
        .unwrap_or_else(|| {
            let last = lsp
                .notifications
                .iter()
                .rev()
                .find(|m| diagnostics_of(m, &uri).is_some());
            panic!("the unknown field is not reported while typing; last diagnostics: {last:?}")
        });
    println!(
        "misspelt field before save: after {:.2} s",
        typed.elapsed().as_secs_f64()
    );
    let expected_range = {
        let (line, character) = position(&misspelt, "storrage", 0);
        json!({"start": {"line": line, "character": character}, "end": {"line": line, "character": character + 8}})
    };
    let diagnostics = diagnostics_of(&before_save, &uri).expect("diagnostics");
    let found = diagnostics
        .iter()
        .find(|d| d["message"].as_str().is_some_and(|s| s.contains(wanted)))
        .expect("the error");
    assert_eq!(found["range"], expected_range, "{found}");

    // After a save: `cargo check` says the same, on the same token, and no builder internals.
    std::fs::write(root.join("src/main.rs"), &misspelt).expect("save");
    let from = lsp.notifications.len();
    let saved = Instant::now();
    lsp.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri}}),
    );
    let after_save = lsp
        .wait_for(from, LOAD, |m| {
            diagnostics_of(m, &uri2).is_some_and(|d| {
                d.iter().any(|d| {
                    d["source"] == "rustc"
                        && d["message"].as_str().is_some_and(|s| s.contains(wanted))
                })
            })
        })
        .expect("the unknown field reported by cargo check");
    println!(
        "misspelt field after save: after {:.2} s",
        saved.elapsed().as_secs_f64()
    );
    let diagnostics = diagnostics_of(&after_save, &uri).expect("diagnostics");
    for d in diagnostics {
        let message = d["message"].as_str().unwrap_or_default();
        assert!(!message.contains("Builder"), "builder internals: {d}");
        if message.contains(wanted) {
            assert_eq!(d["range"], expected_range, "{d}");
        }
    }
    std::fs::write(root.join("src/main.rs"), &original).expect("save");

    println!("total {:.1} s", started.elapsed().as_secs_f64());
    assert!(
        fields.iter().any(|l| l.starts_with("storage")),
        "{fields:?}"
    );
    assert!(bare.iter().any(|l| l.starts_with("storage")), "{bare:?}");
    assert!(kinds.iter().any(|l| l.starts_with("Postgres")), "{kinds:?}");
    assert!(hosts.iter().any(|l| l.starts_with("nuc")), "{hosts:?}");
    assert!(
        capabilities.iter().any(|l| l.starts_with("K8sCluster")),
        "{capabilities:?}"
    );
    assert!(
        typing.iter().any(|l| l.starts_with("IdentityProvider")),
        "{typing:?}"
    );
    assert!(
        providers.iter().any(|l| l.starts_with("Kube")),
        "{providers:?}"
    );
    assert!(field_hover.contains("Volume size"), "{field_hover}");
    assert!(text.contains("Volume size"), "{text}");
    assert!(text.contains("(default `"), "{text}");
    assert!(items <= 2, "{text}");
    assert_eq!(target_count, 1, "{targets}");
}
