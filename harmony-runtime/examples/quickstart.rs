//! Quickstart: two config files and a web server that serves one of them, on `Localhost`.
//!
//! ```text
//! cargo run -p harmony-runtime --example quickstart -- plan
//! cargo run -p harmony-runtime --example quickstart -- apply     # starts the server
//! cargo run -p harmony-runtime --example quickstart -- apply     # every step unchanged
//! QUICKSTART_GREETING=Bonjour cargo run -p harmony-runtime --example quickstart -- apply
//!                                                                 # new page: server restarted
//! cargo run -p harmony-runtime --example quickstart -- render out/
//! cargo run -p harmony-runtime --example quickstart -- status
//! ```
//!
//! `QUICKSTART_PORT` picks the port (default 8787). The server is this very binary, run with
//! the hidden `serve CONFIG` argument, so nothing needs to be installed.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use harmony_dsl::Operation;
use harmony_dsl::Plan;
use harmony_dsl::resource::{FileKind, FileSpec, HealthCheck, Probe, ProcessSpec};
use harmony_dsl::value::Port;
use harmony_runtime::Localhost;

const CONFIG: &str = "quickstart.toml";
const PAGE: &str = "site/index.html";

fn plan() -> Result<Plan<Localhost>, String> {
    let port: u16 = match std::env::var("QUICKSTART_PORT") {
        Ok(p) => p
            .parse()
            .map_err(|e| format!("QUICKSTART_PORT=`{p}`: {e}"))?,
        Err(_) => 8787,
    };
    let port = Port::new(port).ok_or("QUICKSTART_PORT must not be 0")?;
    let greeting =
        std::env::var("QUICKSTART_GREETING").unwrap_or_else(|_| "Hello from Harmony".into());
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;

    let mut plan = Plan::new("quickstart");
    let page = plan.push_step(
        "site",
        Operation::FileSystem(FileSpec {
            path: PAGE.into(),
            kind: FileKind::File {
                content: format!(
                    "<!doctype html>\n<title>Harmony quickstart</title>\n<h1>{greeting}</h1>\n<p>Served by a process Harmony supervises.</p>\n"
                ),
                mode: Some(0o644),
            },
        }),
        &[],
    );
    let config = plan.push_step(
        "config",
        Operation::FileSystem(FileSpec {
            path: CONFIG.into(),
            kind: FileKind::File {
                content: format!("# quickstart web server\nport = {port}\nroot = \"site\"\n"),
                mode: Some(0o644),
            },
        }),
        &[],
    );
    plan.push_step(
        "web",
        Operation::ProcessSupervisor(ProcessSpec {
            name: "quickstart-web".into(),
            command: vec![exe.display().to_string(), "serve".into(), CONFIG.into()],
            env: BTreeMap::new(),
            working_dir: None,
            restart_on: vec![CONFIG.into(), PAGE.into()],
            health: Some(HealthCheck {
                probe: Probe::Http {
                    url: format!("http://127.0.0.1:{port}/")
                        .parse()
                        .map_err(|e| format!("{e:?}"))?,
                },
                timeout: "10s".parse().map_err(|e| format!("{e:?}"))?,
            }),
        }),
        &[page, config],
    );
    Ok(plan)
}

/// `serve CONFIG`: a tiny static HTTP server reading `port` and `root` from CONFIG.
fn serve(config: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(config).map_err(|e| format!("{}: {e}", config.display()))?;
    let mut port = None;
    let mut root = PathBuf::from(".");
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        match key.trim() {
            "port" => port = value.parse::<u16>().ok(),
            "root" => root = PathBuf::from(value),
            _ => {}
        }
    }
    let port = port.ok_or("config has no valid `port`")?;
    let listener =
        TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("bind port {port}: {e}"))?;
    println!("serving {} on http://127.0.0.1:{port}/", root.display());
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let root = root.clone();
        std::thread::spawn(move || {
            let _ = answer(conn, &root);
        });
    }
    Ok(())
}

fn answer(mut conn: TcpStream, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let path = path
        .split('?')
        .next()
        .unwrap_or("/")
        .trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let safe = !path.split('/').any(|part| part == ".." || part.is_empty());
    let (status, body) = match safe.then(|| std::fs::read(root.join(path))) {
        Some(Ok(body)) => ("200 OK", body),
        _ => ("404 Not Found", b"not found\n".to_vec()),
    };
    write!(
        conn,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    conn.write_all(&body)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let config = args.get(2).map_or(CONFIG, String::as_str);
        return match serve(Path::new(config)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("serve: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match plan() {
        Ok(plan) => harmony_runtime::cli(Localhost::from_env(), plan),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
