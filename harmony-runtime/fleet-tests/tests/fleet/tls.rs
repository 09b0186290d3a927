//! TLS and token authentication: a server that requires both, an operator and an agent that
//! connect with a CA file and a token, and clear permanent errors without them.

use std::path::Path;
use std::process::Command;

use crate::support::*;
use harmony_runtime::providers::nats::{ConnectConfig, FleetStore};

const TOKEN: &str = "fleet-test-token";

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl {args:?} failed");
}

/// A CA and a server certificate for 127.0.0.1, made with the openssl CLI.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=harmony-test-ca",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_and_agent_connect_with_tls_and_a_token() {
    let dir = TempDir::new("fleet-tls");
    certificates(dir.path());
    let config = dir.path().join("tls.conf");
    std::fs::write(
        &config,
        format!(
            "tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n}}\nauthorization {{\n  token: $FLEET_TEST_TOKEN\n}}\n",
            dir.path().join("server.pem").display(),
            dir.path().join("server.key").display()
        ),
    )
    .unwrap();
    let server = NatsServer::start_with(
        dir.path(),
        Some(config),
        vec![("FLEET_TEST_TOKEN".into(), TOKEN.into())],
    );
    let url = server.url();
    let ca = dir.path().join("ca.pem");

    let no_token = FleetStore::connect(
        &url,
        &ConnectConfig {
            tls_ca: Some(ca.clone()),
            ..Default::default()
        },
        "default",
    )
    .await
    .expect_err("no token");
    assert!(!no_token.is_transient(), "{no_token:?}");
    assert!(no_token.to_string().contains("authorization"), "{no_token}");

    let untrusted = FleetStore::connect(
        &url,
        &ConnectConfig {
            token: Some(TOKEN.into()),
            ..Default::default()
        },
        "default",
    )
    .await
    .expect_err("server certificate not trusted");
    assert!(untrusted.to_string().contains(&url), "{untrusted}");
    assert!(untrusted.to_string().contains("certificate"), "{untrusted}");
    assert!(!untrusted.is_transient(), "{untrusted:?}");

    let operator = FleetStore::connect(
        &url,
        &ConnectConfig {
            token: Some(TOKEN.into()),
            tls_ca: Some(ca.clone()),
            tls_required: true,
            ..Default::default()
        },
        "default",
    )
    .await
    .expect("operator connects over TLS with the token");
    let marker = dir.path().join("m");
    let s = spec("north", vec![marker_workload("sensors", &marker, "tls")]);
    let (_, revision) = operator.apply_with_revision(&s).await.expect("apply");
    let _agent = Agent::start(
        &url,
        "north",
        &dir.path().join("north"),
        &["--token", TOKEN, "--tls-ca", ca.to_str().unwrap()],
    );
    converged(&operator, "north", &operator.key(&s), revision).await;
    assert_eq!(marker_lines(&marker), vec!["tls"]);
}
