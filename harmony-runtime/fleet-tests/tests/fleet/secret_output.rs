//! No secret at any verbosity (issue 12, #4 and #11), written as the attacks: `plan -vvv` and
//! `apply -vvv` (and `RUST_LOG=trace`) of a fleet plan whose workload holds a secret, against a
//! real nats-server, searched for the secret; a NATS URL with a password in an error.

use std::process::Command;

use crate::common;
use crate::support as fleet_support;
use crate::support::NatsServer;

fn secret_fleet(url: &str, secret: &str, state: &std::path::Path) -> Command {
    let mut cmd = Command::new(common::example("secret_fleet"));
    cmd.env("SECRET_FLEET_URL", url)
        .env("SECRET_FLEET_VALUE", secret)
        .env("HARMONY_STATE_DIR", state)
        .env_remove("RUST_LOG")
        .current_dir(state);
    cmd
}

#[test]
fn trace_logs_of_a_fleet_apply_hold_no_secret() {
    let dir = fleet_support::TempDir::new("secret-trace");
    let server = NatsServer::start(dir.path());
    let secret = format!("s3cr3t-{}-payload", std::process::id());
    for args in [
        &["plan", "-vvv"][..],
        &["apply", "-vvv"],
        &["apply", "-vvv", "--json"],
    ] {
        let (code, stdout, stderr) =
            common::run(secret_fleet(&server.url(), &secret, dir.path()).args(args));
        assert!(code == 0, "{args:?} exited {code}:\n{stdout}\n{stderr}");
        assert!(
            !stdout.contains(&secret) && !stderr.contains(&secret),
            "{args:?} printed the secret:\n{stdout}\n{stderr}"
        );
        assert!(stderr.contains("INFO"), "-vvv logs: {stderr}");
        assert!(
            !stderr.contains('\x1b'),
            "no raw escape sequence: {stderr:?}"
        );
    }
    // RUST_LOG asks for everything: other crates still stay at info.
    let mut cmd = secret_fleet(&server.url(), &secret, dir.path());
    cmd.env("RUST_LOG", "trace").args(["plan"]);
    let (code, stdout, stderr) = common::run(&mut cmd);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        !stderr.contains(&secret) && !stdout.contains(&secret),
        "RUST_LOG=trace printed the secret:\n{stderr}"
    );
}

#[test]
fn a_password_in_a_url_is_masked_in_errors_and_logs() {
    let dir = fleet_support::TempDir::new("secret-url");
    let password = "hunter2-url-password";
    let url = format!(
        "nats://app:{password}@127.0.0.1:{}",
        fleet_support::free_port()
    );
    for args in [&["plan", "-vvv"][..], &["apply", "--json", "-vv"]] {
        let (code, stdout, stderr) =
            common::run(secret_fleet(&url, "unused", dir.path()).args(args));
        // The DSL refuses credentials in a `Url`; its error quotes the URL, masked when printed.
        assert_eq!(
            code, 5,
            "{args:?}: the topology is refused:\n{stdout}\n{stderr}"
        );
        assert!(
            !stdout.contains(password) && !stderr.contains(password),
            "{args:?} printed the password:\n{stdout}\n{stderr}"
        );
        assert!(
            stderr.contains("nats://app:***@127.0.0.1"),
            "{args:?}: the URL is named, masked:\n{stderr}"
        );
    }
}

#[test]
fn a_password_in_the_secret_store_address_is_masked() {
    let dir = fleet_support::TempDir::new("secret-vault-url");
    let password = "vault-url-password-77";
    for args in [&["plan"][..], &["plan", "--json", "-vvv"]] {
        let mut cmd = Command::new(common::example("configured"));
        cmd.args(args)
            .current_dir(dir.path())
            .env("VAULT_ADDR", format!("http://ops:{password}@127.0.0.1:9"))
            .env("HARMONY_CONFIG_PORT", "8080")
            .env_remove("VAULT_TOKEN")
            .env_remove("HARMONY_VAULT_TOKEN")
            .env_remove("HARMONY_VAULT_ADDR")
            .env_remove("RUST_LOG");
        let (code, stdout, stderr) = common::run(&mut cmd);
        assert_eq!(code, 6, "{args:?}:\n{stdout}\n{stderr}");
        assert!(
            !stdout.contains(password) && !stderr.contains(password),
            "{args:?} printed the password:\n{stdout}\n{stderr}"
        );
        assert!(stderr.contains("http://ops:***@127.0.0.1:9"), "{stderr}");
    }
}
