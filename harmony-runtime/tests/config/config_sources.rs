//! Configuration sources, through the `configured` example as a user runs it: the order
//! environment > file > secret store, the store's 403 and 404 answers, and the errors for a
//! missing or invalid value (naming the key and every source tried).

use crate::config_support;

use config_support::{Configured, Kv2Server};
use serde_json::Value;

const TOKEN: &str = "test-token-1";

/// `(key, source document)` of each key in a `plan --json` document.
fn sources(plan: &Value) -> Vec<(String, Value)> {
    plan["config"]
        .as_array()
        .expect("plan --json lists the config sources")
        .iter()
        .map(|k| (k["key"].as_str().unwrap_or_default().to_string(), k.clone()))
        .collect()
}

fn source_of<'a>(sources: &'a [(String, Value)], key: &str) -> &'a Value {
    &sources
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("no source for {key}: {sources:?}"))
        .1
}

#[test]
fn each_key_comes_from_the_first_source_that_has_it_env_then_file_then_store() {
    let app = Configured::new("config-order");
    let store = Kv2Server::start(TOKEN);
    // Every key is in the store; some also in the file; one also in the environment.
    store.put(
        "secret",
        "configured",
        &[
            ("greeting", "from the store"),
            ("port", "1"),
            ("api_token", "store-token-value"),
            ("log-level", "debug"),
        ],
    );
    let file = app.write_config("greeting = \"from the file\"\nport = 18080\n");
    let plan = app.plan_json(
        &["--config", &file],
        &[
            ("HARMONY_CONFIG_GREETING", "from the environment"),
            ("VAULT_ADDR", &store.address),
            ("VAULT_TOKEN", TOKEN),
        ],
    );
    let sources = sources(&plan);
    assert_eq!(
        source_of(&sources, "greeting")["source"]["kind"],
        "env",
        "{sources:?}"
    );
    assert_eq!(
        source_of(&sources, "greeting")["source"]["variable"],
        "HARMONY_CONFIG_GREETING"
    );
    assert_eq!(source_of(&sources, "port")["source"]["kind"], "file");
    assert_eq!(source_of(&sources, "port")["source"]["key"], "port");
    let token = source_of(&sources, "api_token");
    assert_eq!(token["source"]["kind"], "store");
    assert_eq!(token["secret"], true);
    assert_eq!(token["source"]["mount"], "secret");
    assert_eq!(token["source"]["path"], "configured");
    assert_eq!(token["source"]["field"], "api_token");
    assert_eq!(token["source"]["address"], store.address.as_str());
    assert_eq!(source_of(&sources, "log-level")["source"]["kind"], "store");

    // The values used are the winners': the file's port, the environment's greeting (a file
    // that declares no mode may be private, so its content is shown as its digest).
    let scores = plan["plan"]["scores"].as_array().unwrap();
    assert_eq!(
        scores[0]["spec"]["content"],
        harmony_runtime::state::private_content_digest("from the environment")
    );
    assert_eq!(scores[1]["spec"]["port"], 18080);

    // Without the environment variable the file wins; without the file, the store.
    let plan = app.plan_json(
        &[],
        &[("VAULT_ADDR", &store.address), ("VAULT_TOKEN", TOKEN)],
    );
    let sources = self::sources(&plan);
    assert_eq!(source_of(&sources, "greeting")["source"]["kind"], "store");
    assert_eq!(source_of(&sources, "port")["source"]["kind"], "store");
    let plan = app.plan_json(
        &[],
        &[
            ("HARMONY_CONFIG_FILE", &file),
            ("VAULT_ADDR", &store.address),
            ("VAULT_TOKEN", TOKEN),
        ],
    );
    assert_eq!(
        source_of(&self::sources(&plan), "greeting")["source"]["kind"],
        "file"
    );

    // The text plan says where each value came from, never the value.
    let (code, stdout, stderr) = app.run(
        &["--config", &file, "plan"],
        &[("VAULT_ADDR", &store.address), ("VAULT_TOKEN", TOKEN)],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "config api_token (secret, read at apply time): from secret store {} (secret/data/configured, field `api_token`)",
            store.address
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("config port: from file {file} (key `port`)")),
        "{stdout}"
    );
    assert!(!stdout.contains("store-token-value"), "{stdout}");
}

#[test]
fn a_store_refusing_the_token_403_is_an_error_saying_so() {
    let app = Configured::new("config-403");
    let store = Kv2Server::start(TOKEN);
    store.put(
        "secret",
        "configured",
        &[("api_token", "t"), ("port", "18081")],
    );
    let (code, stdout, stderr) = app.run(
        &["plan"],
        &[
            ("VAULT_ADDR", &store.address),
            ("VAULT_TOKEN", "wrong-token"),
        ],
    );
    assert_eq!(code, 6, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "config value `port`: secret store {} (secret/data/configured) refused the token (403 Forbidden)",
            store.address
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong-token"),
        "the token is never printed: {stderr}"
    );
    // The store was read once, not once per key.
    assert_eq!(store.requests(), 1);

    // `--json` prints the error document.
    let (code, stdout, _) = app.run(
        &["plan", "--json"],
        &[
            ("VAULT_ADDR", &store.address),
            ("VAULT_TOKEN", "wrong-token"),
        ],
    );
    assert_eq!(code, 6);
    let doc: Value = serde_json::from_str(&stdout).expect("error document");
    assert_eq!(doc["exit_code"], 6);
    assert!(doc["error"].as_str().unwrap().contains("403 Forbidden"));
}

#[test]
fn a_secret_nowhere_404_lists_every_source_tried() {
    let app = Configured::new("config-404");
    let store = Kv2Server::start(TOKEN);
    let file = app.write_config("port = 18082\n");
    let (code, stdout, stderr) = app.run(
        &["--config", &file, "plan"],
        &[
            ("VAULT_ADDR", &store.address),
            ("VAULT_TOKEN", TOKEN),
            ("HARMONY_VAULT_PATH", "apps/shop"),
        ],
    );
    assert_eq!(code, 6, "{stdout}\n{stderr}");
    let expected = format!(
        "config value `api_token` is missing: tried environment variable HARMONY_CONFIG_API_TOKEN (unset), then file {file} (no key `api_token`), then secret store {} (secret/data/apps/shop) (no secret at that path: 404 Not Found)",
        store.address
    );
    assert!(stderr.contains(&expected), "{stderr}");

    // The secret exists, but not this field.
    store.put("secret", "apps/shop", &[("other", "x")]);
    let (code, _, stderr) = app.run(
        &["--config", &file, "plan"],
        &[
            ("VAULT_ADDR", &store.address),
            ("VAULT_TOKEN", TOKEN),
            ("HARMONY_VAULT_PATH", "apps/shop"),
        ],
    );
    assert_eq!(code, 6);
    assert!(
        stderr.contains("(secret/data/apps/shop) (no field `api_token`)"),
        "{stderr}"
    );
}

#[test]
fn without_any_source_every_missing_key_is_listed_and_nothing_prompts() {
    let app = Configured::new("config-missing");
    let (code, stdout, stderr) = app.run(&["plan"], &[]);
    assert_eq!(code, 6, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("2 config values could not be resolved"),
        "{stderr}"
    );
    for key in ["port", "api_token"] {
        let var = format!("HARMONY_CONFIG_{}", key.to_uppercase());
        assert!(
            stderr.contains(&format!(
                "config value `{key}` is missing: tried environment variable {var} (unset), then no config file (give one with --config FILE), then no secret store (set VAULT_ADDR and VAULT_TOKEN to use one)"
            )),
            "{stderr}"
        );
    }

    // `status` reads the state only: it works without any configuration.
    let (code, stdout, stderr) = app.run(&["status"], &[]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    // A store address without a token is an error, not a question.
    let (code, _, stderr) = app.run(&["plan"], &[("VAULT_ADDR", "http://127.0.0.1:9")]);
    assert_eq!(code, 6);
    assert!(
        stderr.contains("VAULT_ADDR is set (http://127.0.0.1:9) but no token is: set VAULT_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn invalid_values_and_unreadable_files_name_the_key_and_source() {
    let app = Configured::new("config-invalid");
    let (code, _, stderr) = app.run(
        &["plan"],
        &[
            ("HARMONY_CONFIG_PORT", "0"),
            ("HARMONY_CONFIG_API_TOKEN", "t"),
        ],
    );
    assert_eq!(code, 6);
    assert!(
        stderr.contains("config value `port` from environment variable HARMONY_CONFIG_PORT is invalid: `0` is not a valid port"),
        "{stderr}"
    );

    let file = app.write_config("port = [1, 2]\n");
    let (code, _, stderr) = app.run(
        &["--config", &file, "plan"],
        &[("HARMONY_CONFIG_API_TOKEN", "t")],
    );
    assert_eq!(code, 6);
    assert!(
        stderr.contains(&format!(
            "key `port` in config file {file} is an array: configuration values are single strings, numbers or booleans"
        )),
        "{stderr}"
    );

    let file = app.write_config("port = \n");
    let (code, _, stderr) = app.run(&["--config", &file, "plan"], &[]);
    assert_eq!(code, 6);
    assert!(
        stderr.contains(&format!("config file {file} is not valid TOML")),
        "{stderr}"
    );

    let (code, _, stderr) = app.run(&["--config", "/nonexistent/app.toml", "plan"], &[]);
    assert_eq!(code, 6);
    assert!(
        stderr.contains("cannot read config file /nonexistent/app.toml"),
        "{stderr}"
    );
}
