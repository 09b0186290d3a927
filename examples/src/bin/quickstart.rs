//! Quickstart: a web page, its server's configuration, and the server itself, supervised on this
//! machine by the embedded `Localhost` topology. No cluster, nothing to install.
//!
//! ```text
//! cargo run -p harmony-examples --bin quickstart -- plan     # what would change
//! cargo run -p harmony-examples --bin quickstart -- apply    # writes the files, starts the server
//! cargo run -p harmony-examples --bin quickstart -- apply    # every step unchanged
//! QUICKSTART_GREETING=Bonjour cargo run -p harmony-examples --bin quickstart -- apply
//!                                                            # new page: the server restarts
//! cargo run -p harmony-examples --bin quickstart -- render out/
//! cargo run -p harmony-examples --bin quickstart -- status
//! ```
//!
//! `QUICKSTART_PORT` picks the port (default 8787). The server is this very binary, run with the
//! hidden `serve CONFIG` argument.
#![deny(warnings)]

use std::path::Path;
use std::process::ExitCode;

use harmony_examples::static_site;
use harmony_runtime::prelude::*;

const DEFAULT_PORT: Port = match Port::new(8787) {
    Some(port) => port,
    None => panic!("8787 is a port"),
};

/// The port from `QUICKSTART_PORT`, or why it is not a port.
fn port_setting() -> Result<Port, String> {
    match std::env::var("QUICKSTART_PORT") {
        Ok(raw) => raw
            .parse::<Port>()
            .map_err(|e| format!("QUICKSTART_PORT: {e}")),
        Err(_) => Ok(DEFAULT_PORT),
    }
}

/// The port, once `main` has checked the setting.
fn port() -> Port {
    port_setting().unwrap_or(DEFAULT_PORT)
}

fn page() -> String {
    let greeting =
        std::env::var("QUICKSTART_GREETING").unwrap_or_else(|_| "Hello from Harmony".into());
    format!(
        "<!doctype html>\n<title>Harmony quickstart</title>\n<h1>{greeting}</h1>\n<p>Served by a process Harmony supervises.</p>\n"
    )
}

fn server_config() -> String {
    format!(
        "# quickstart web server\nport = {}\nroot = \"site\"\n",
        port()
    )
}

/// This binary, run as the static server.
fn serve_command() -> Vec<String> {
    let exe = std::env::current_exe().map(|p| p.display().to_string());
    vec![
        exe.unwrap_or_else(|_| "quickstart".into()),
        "serve".into(),
        "quickstart.toml".into(),
    ]
}

// ANCHOR: plan
score! {
    /// A page, the server's configuration, and the server, started once both files are in place.
    pub fn quickstart() -> Plan<Localhost> {
        site = ConfigFile { path: "site/index.html", content: { page() }, mode: 0o644 };
        config = ConfigFile { path: "quickstart.toml", content: { server_config() }, mode: 0o644 };
        web = LocalService {
            command: { serve_command() },
            port: { port() },
            health_path: "/",
            restart_on: ["quickstart.toml", "site/index.html"],
            after: [site, config],
        };
    }
}
// ANCHOR_END: plan

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        let config = args.get(2).map_or("quickstart.toml", String::as_str);
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
    harmony_runtime::cli(Localhost::from_env(), quickstart())
}
