//! A secret from configuration reaches the process that needs it, at apply time, and nothing
//! else: its value is searched for in every output (`plan`, `plan --json`, a saved plan,
//! `render`, `apply` with `-v`, `-vv` and `-vvv` logs, `status`, every state file) and found nowhere.

use crate::common;
use crate::config_support;

use config_support::{Configured, Kv2Server};
use sha2::{Digest, Sha256};

const TOKEN: &str = "leak-test-token";
/// The secret; distinctive enough that any copy of it is found.
const SECRET: &str = "s3cr3t-Zq8wV1-never-printed";

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs every command that writes something, and searches all of it for the secret.
fn assert_secret_never_written(app: &Configured, envs: &[(&str, &str)], label: &str) {
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut record = |what: &str, (code, stdout, stderr): (i32, String, String)| {
        outputs.push((format!("{what} stdout"), stdout.clone()));
        outputs.push((format!("{what} stderr"), stderr.clone()));
        (code, stdout, stderr)
    };
    let (code, out, err) = record("plan", app.run(&["plan"], envs));
    assert!(code == 0, "{label}: plan: {out}\n{err}");
    assert!(
        out.contains("api_token (secret, read at apply time)"),
        "{out}"
    );
    let (code, out, err) = record("plan --json", app.run(&["plan", "--json", "-v"], envs));
    assert!(code == 0, "{label}: plan --json: {out}\n{err}");
    let (code, out, err) = record("render", app.run(&["render", "rendered", "-v"], envs));
    assert!(code == 0, "{label}: render: {out}\n{err}");
    let (code, out, err) = record("apply -v", app.run(&["apply", "-v"], envs));
    assert!(code == 0, "{label}: apply: {out}\n{err}");
    let (code, out, err) = record("apply -vv", app.run(&["apply", "-vv"], envs));
    assert!(code == 0, "{label}: second apply: {out}\n{err}");
    assert!(out.contains("0 changed, 2 unchanged"), "{label}: {out}");
    let (code, out, err) = record("apply -vvv", app.run(&["apply", "-vvv"], envs));
    assert!(code == 0, "{label}: third apply: {out}\n{err}");
    let (code, out, err) = record(
        "plan --out",
        app.run(&["plan", "--out", "saved-plan.json"], envs),
    );
    assert!(code == 0, "{label}: plan --out: {out}\n{err}");
    let (code, out, err) = record(
        "apply FILE",
        app.run(&["apply", "saved-plan.json", "-v"], envs),
    );
    assert!(code == 0, "{label}: apply FILE: {out}\n{err}");
    let (_, out, err) = record("status", app.run(&["status", "--json", "-v"], envs));
    assert!(
        out.contains("configured-service"),
        "{label}: status: {out}\n{err}"
    );

    // The service got the secret: it wrote the value's hash, not the value.
    let delivered = std::fs::read_to_string(app.project.path().join("token.sha256"))
        .expect("the service recorded its token's hash");
    assert_eq!(
        delivered,
        sha256_hex(SECRET),
        "{label}: wrong token delivered"
    );

    let files = common::tree(app.project.path());
    for required in [
        ".harmony/state.json",
        ".harmony/processes/configured-service.json",
        "saved-plan.json",
        "rendered/processes/configured-service.json",
    ] {
        assert!(
            files.contains_key(required),
            "{label}: no {required}: {:?}",
            files.keys()
        );
    }
    for (path, bytes) in &files {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(SECRET),
            "{label}: the secret is in file {path}:\n{text}"
        );
    }
    for (what, text) in &outputs {
        assert!(
            !text.contains(SECRET),
            "{label}: the secret is in {what}:\n{text}"
        );
    }
    // The state and the saved plan hold the reference.
    let state = String::from_utf8_lossy(&files[".harmony/state.json"]).into_owned();
    assert!(state.contains("\"secret_ref\""), "{label}: {state}");
}

#[test]
fn a_secret_from_the_store_is_read_at_apply_time_and_written_nowhere() {
    let app = Configured::new("config-leak-store");
    let store = Kv2Server::start(TOKEN);
    store.put("kv", "team/app", &[("api_token", SECRET)]);
    let port = common::free_port().to_string();
    let envs = [
        ("HARMONY_CONFIG_PORT", port.as_str()),
        ("VAULT_ADDR", store.address.as_str()),
        ("VAULT_TOKEN", TOKEN),
        ("HARMONY_VAULT_MOUNT", "kv"),
        ("HARMONY_VAULT_PATH", "team/app"),
    ];
    assert_secret_never_written(&app, &envs, "store");

    // The plan holds where the secret is; the value is read when the step runs: `plan` reads
    // the store twice (to build the plan, to compare the running service's secret with the one
    // it was started with), `apply` twice (to build the plan, to run the step).
    let before = store.requests();
    let (code, out, err) = app.run(&["plan"], &envs);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        store.requests(),
        before + 2,
        "plan reads the store to build the plan and to compare the secret"
    );
    let (code, out, err) = app.run(&["apply"], &envs);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        store.requests(),
        before + 4,
        "apply reads it again for the step"
    );
}

#[test]
fn a_secret_from_the_environment_is_written_nowhere() {
    let app = Configured::new("config-leak-env");
    let port = common::free_port().to_string();
    let envs = [
        ("HARMONY_CONFIG_PORT", port.as_str()),
        ("HARMONY_CONFIG_API_TOKEN", SECRET),
    ];
    assert_secret_never_written(&app, &envs, "env");
}

#[test]
fn a_secret_from_the_file_is_written_nowhere() {
    let app = Configured::new("config-leak-file");
    let port = common::free_port();
    // The file holding the secret lives outside the project, whose every file is searched.
    let secrets_dir = common::TempDir::new("config-leak-file-secrets");
    let file = secrets_dir.path().join("app.toml");
    std::fs::write(&file, format!("port = {port}\napi_token = \"{SECRET}\"\n")).unwrap();
    let file = file.display().to_string();
    let envs = [("HARMONY_CONFIG_FILE", file.as_str())];
    assert_secret_never_written(&app, &envs, "file");
}

#[test]
fn a_token_revoked_after_planning_fails_the_step_that_needs_the_secret() {
    let app = Configured::new("config-revoked");
    let store = Kv2Server::start(TOKEN);
    store.put("secret", "configured", &[("api_token", SECRET)]);
    let port = common::free_port().to_string();
    let envs = [
        ("HARMONY_CONFIG_PORT", port.as_str()),
        ("VAULT_ADDR", store.address.as_str()),
        ("VAULT_TOKEN", TOKEN),
    ];
    // The plan is built (one read), then the token is revoked before the service starts.
    store.revoke_token_after(1);
    let (code, stdout, stderr) = app.run(&["apply"], &envs);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let expected = format!(
        "secret `api_token`: secret store {} (secret/data/configured) refused the token (403 Forbidden)",
        store.address
    );
    assert!(stdout.contains(&expected), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("1 changed, 0 unchanged, 1 failed"),
        "{stdout}"
    );
    assert!(
        !app.project.path().join("token.sha256").exists(),
        "the service never started"
    );
    assert!(!format!("{stdout}{stderr}").contains(SECRET));
}
