//! A deploy gated by smoke tests: a page, a server for it, and a `published.txt` that is written
//! only once the page is really served. No cluster, nothing to install.
//!
//! ```text
//! cargo run -p harmony-examples --bin smoke_gate -- plan     # lists the smoke tests
//! cargo run -p harmony-examples --bin smoke_gate -- apply    # deploys, checks, then publishes
//! cargo run -p harmony-examples --bin smoke_gate -- smoke    # the checks alone
//! SMOKE_GATE_PAGE=missing.html cargo run -p harmony-examples --bin smoke_gate -- apply
//!                                                            # the check fails: nothing published
//! ```
//!
//! `SMOKE_GATE_PORT` picks the port (default 8788). The server is this very binary, run with the
//! hidden `serve CONFIG` argument.
#![deny(warnings)]

use std::path::Path;
use std::process::ExitCode;

use harmony_examples::static_site;
use harmony_runtime::prelude::*;

// ANCHOR: score
/// Done once the page is served: the port accepts connections, the page answers 2xx, and the
/// page on disk is a real page.
#[derive(Debug, Clone, Score)]
#[score(requires(FileSystem), smoke_test)]
pub struct PageServed {
    /// The server's address.
    pub server: Endpoint<Http>,
    /// The page's URL.
    pub url: Url,
    /// The page's file, relative to the project directory.
    pub file: String,
}

impl Operations for PageServed {
    fn operations(&self, _ctx: &ScoreContext<'_>) -> Vec<Operation> {
        Vec::new() // this score is only its checks
    }
}

impl SmokeTest for PageServed {
    fn smoke_tests(&self, _ctx: &ScoreContext<'_>) -> Vec<SmokeCheck> {
        let file = self.file.clone();
        let quick = |check: SmokeCheck| {
            check
                .within("3s".parse().unwrap())
                .every("250ms".parse().unwrap())
        };
        vec![
            quick(SmokeCheck::tcp(&self.server)),
            quick(SmokeCheck::http(self.url.clone())),
            SmokeCheck::custom("the page has a heading", move || {
                let file = file.clone();
                Box::pin(async move {
                    let page =
                        std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
                    match page.lines().find(|line| line.starts_with("<h1>")) {
                        Some(heading) => Ok(heading.to_string()),
                        None => Err(format!("{file} has no <h1>")),
                    }
                })
            }),
        ]
    }
}
// ANCHOR_END: score

const DEFAULT_PORT: Port = match Port::new(8788) {
    Some(port) => port,
    None => panic!("8788 is a port"),
};

/// The port from `SMOKE_GATE_PORT`, or why it is not a port.
fn port_setting() -> Result<Port, String> {
    match std::env::var("SMOKE_GATE_PORT") {
        Ok(raw) => raw
            .parse::<Port>()
            .map_err(|e| format!("SMOKE_GATE_PORT: {e}")),
        Err(_) => Ok(DEFAULT_PORT),
    }
}

/// The port, once `main` has checked the setting.
fn port() -> Port {
    port_setting().unwrap_or(DEFAULT_PORT)
}

fn server() -> Endpoint<Http> {
    Endpoint::new("127.0.0.1", port())
}

/// The page the smoke test asks for: `SMOKE_GATE_PAGE`, by default `index.html`.
fn page_url() -> Url {
    let page = std::env::var("SMOKE_GATE_PAGE").unwrap_or_else(|_| "index.html".into());
    format!("http://127.0.0.1:{}/{page}", port())
        .parse()
        .unwrap_or_else(|_| format!("http://127.0.0.1:{}/", port()).parse().unwrap())
}

fn server_config() -> String {
    format!("port = {}\nroot = \"gate-site\"\n", port())
}

/// This binary, run as the static server.
fn serve_command() -> Vec<String> {
    let exe = std::env::current_exe().map(|p| p.display().to_string());
    vec![
        exe.unwrap_or_else(|_| "smoke_gate".into()),
        "serve".into(),
        "gate.toml".into(),
    ]
}

// ANCHOR: plan
score! {
    /// A page and its server; `published.txt` is written only once the page is served.
    pub fn gated() -> Plan<Localhost> {
        page = ConfigFile { path: "gate-site/index.html", content: "<h1>Hello</h1>\n" };
        config = ConfigFile { path: "gate.toml", content: { server_config() } };
        web = LocalService {
            command: { serve_command() },
            port: { port() },
            restart_on: ["gate.toml"],
            after: [page, config],
        };
        served = PageServed {
            server: { server() },
            url: { page_url() },
            file: "gate-site/index.html",
            after: [web],
        };
        published = ConfigFile { path: "published.txt", content: "live\n", after: [served] };
    }
}
// ANCHOR_END: plan

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let config = args.get(2).map_or("gate.toml", String::as_str);
        return match static_site::serve(Path::new(config)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("serve: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Err(e) = port_setting() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    harmony_runtime::cli(Localhost::from_env(), gated())
}
