//! A plan built from a configuration: `greeting` and `port` are resolved when the plan is built,
//! `api_token` is a secret reference read when the service is started. Used by the config tests.
//!
//! The service is this binary run as `serve PORT`: it answers HTTP on PORT and writes the
//! SHA-256 of the `API_TOKEN` it was given to `token.sha256`, so a test can tell that the secret
//! arrived without the secret being written anywhere.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::ExitCode;

use harmony_runtime::prelude::*;
use sha2::{Digest, Sha256};

/// The configuration of the service.
#[derive(Debug, Config)]
pub struct AppConfig {
    /// Written into `greeting.txt`.
    #[config(default = "hello")]
    pub greeting: String,
    /// Port the service listens on.
    pub port: Port,
    /// Given to the service as `API_TOKEN`.
    pub api_token: SecretRef,
    /// Only recorded: shows a key from any source.
    #[config(key = "log-level")]
    pub log_level: Option<String>,
}

/// This binary, run as the service.
fn serve_command(port: Port) -> Vec<String> {
    let exe = std::env::current_exe().map(|p| p.display().to_string());
    vec![
        exe.unwrap_or_else(|_| "configured".into()),
        "serve".into(),
        port.to_string(),
    ]
}

score! {
    /// The greeting file and the service that needs the token.
    pub fn configured(config: &AppConfig) -> Plan<Localhost> {
        greeting = ConfigFile { path: "greeting.txt", content: { config.greeting.clone() } };
        service = LocalService {
            command: { serve_command(config.port) },
            port: { config.port },
            secret_env: { vec![("API_TOKEN".into(), config.api_token.clone())] },
            after: [greeting],
        };
    }
}

/// `serve PORT`: records the token's hash, then answers every connection with 200.
fn serve(port: &str) -> ExitCode {
    let token = std::env::var("API_TOKEN").unwrap_or_default();
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if std::fs::write("token.sha256", hex).is_err() {
        return ExitCode::FAILURE;
    }
    let Ok(listener) = TcpListener::bind(("127.0.0.1", port.parse::<u16>().unwrap_or(0))) else {
        return ExitCode::FAILURE;
    };
    for mut conn in listener.incoming().flatten() {
        let mut buf = [0u8; 1024];
        let _ = conn.read(&mut buf);
        let _ =
            conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let [_, cmd, port] = args.as_slice()
        && cmd == "serve"
    {
        return serve(port);
    }
    harmony_runtime::cli_with_config(Localhost::from_env(), configured)
}
