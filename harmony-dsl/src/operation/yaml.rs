//! A small, deterministic YAML writer for JSON values (the manifests `render DIR` writes).
//!
//! Block style throughout, keys sorted (`apiVersion`, `kind`, `metadata`, `spec`...), two-space indentation. A string is written plain only when no YAML parser can
//! read it as anything else (it starts with a letter, uses only `[A-Za-z0-9._/-]` and is not one
//! of YAML 1.1's booleans or null); every other string is a JSON double-quoted string, which is
//! valid YAML with the same escapes. So the output parses back to exactly the input.

use serde_json::{Map, Value};

/// `value` as a YAML document (ends with a newline).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0, true),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

fn plain_ok(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

fn string(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => string(s),
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        other => other.to_string(),
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// The value after `key:` or `-`: nested on the next lines, or a scalar on the same line.
fn write_child(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2, true);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        scalar_value => {
            out.push(' ');
            out.push_str(&scalar(scalar_value));
            out.push('\n');
        }
    }
}

fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize, pad_first: bool) {
    // Sorted here, not by the map: serde_json keeps insertion order when another crate in the
    // build enables its `preserve_order` feature, and the layout must not depend on that.
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by_key(|(key, _)| *key);
    for (i, (key, value)) in entries.into_iter().enumerate() {
        if i > 0 || pad_first {
            pad(out, indent);
        }
        out.push_str(&string(key));
        out.push(':');
        write_child(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                out.push(' ');
                write_map(out, map, indent + 2, false);
            }
            other => write_child(out, other, indent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout() {
        let value = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": { "name": "web", "labels": { "app.kubernetes.io/name": "web" }, "annotations": {} },
            "spec": {
                "replicas": 3,
                "template": { "spec": { "containers": [
                    { "name": "web", "image": "registry.example.com/web:1.4", "args": ["--port", "8080"], "env": [] }
                ]}},
                "paused": false,
                "odd": ["yes", "1Gi", "", "two\nlines", null, [1, [2]], 1.5, "Off"]
            }
        });
        let expected = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations: {}
  labels:
    app.kubernetes.io/name: web
  name: web
spec:
  odd:
    - \"yes\"
    - \"1Gi\"
    - \"\"
    - \"two\\nlines\"
    - null
    -
      - 1
      -
        - 2
    - 1.5
    - \"Off\"
  paused: false
  replicas: 3
  template:
    spec:
      containers:
        - args:
            - \"--port\"
            - \"8080\"
          env: []
          image: \"registry.example.com/web:1.4\"
          name: web
";
        assert_eq!(to_yaml(&value), expected);
    }
}
