//! A small, deterministic YAML writer for JSON values (the manifests `render DIR` writes).
//!
//! Block style throughout, keys sorted (`apiVersion`, `kind`, `metadata`, `spec`...), two-space indentation. A string is written plain only when no YAML parser can
//! read it as anything else (it starts with a letter, uses only `[A-Za-z0-9._/-]` and is not one
//! of YAML 1.1's booleans or null); every other string is a JSON double-quoted string, which is
//! valid YAML with the same escapes. So the output parses back to exactly the input.

use serde_json::{Map, Value};

/// `value` as a YAML document (ends with a newline).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::with_capacity(1024);
    write_yaml(&mut out, value);
    out
}

/// Appends `value` as a YAML document (ending with a newline) to `out`.
pub fn write_yaml(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) if !map.is_empty() => write_map(out, map, 0, true),
        Value::Array(items) if !items.is_empty() => write_seq(out, items, 0),
        other => {
            scalar(out, other);
            out.push('\n');
        }
    }
}

const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

fn plain_ok(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'/' | b'-'))
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

fn string(out: &mut String, s: &str) {
    if plain_ok(s) {
        out.push_str(s);
    } else {
        json_string(out, s);
    }
}

/// `s` as a JSON double-quoted string (valid YAML, same escapes as `serde_json`).
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn scalar(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => string(out, s),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{n}");
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    const SPACES: &str = "                                                                ";
    let mut left = indent;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
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
            scalar(out, scalar_value);
            out.push('\n');
        }
    }
}

fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize, pad_first: bool) {
    // Sorted here, not by the map: serde_json keeps insertion order when another crate in the
    // build enables its `preserve_order` feature, and the layout must not depend on that. Without
    // that feature the map iterates in key order already, and nothing is collected.
    if map.keys().is_sorted() {
        write_entries(out, map.iter(), indent, pad_first);
    } else {
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_by_key(|(key, _)| *key);
        write_entries(out, entries.into_iter(), indent, pad_first);
    }
}

fn write_entries<'a>(
    out: &mut String,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    indent: usize,
    pad_first: bool,
) {
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 || pad_first {
            pad(out, indent);
        }
        string(out, key);
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
    fn quoted_strings_are_json_strings() {
        let mut samples: Vec<String> = (0u8..0x80).map(|b| format!("a{}b", b as char)).collect();
        samples.extend(
            [
                "",
                "\"",
                "\\",
                "é ü 日本",
                "tab\tnew\nline\r",
                "\u{7f}\u{2028}",
            ]
            .map(String::from),
        );
        for s in samples {
            let mut out = String::new();
            json_string(&mut out, &s);
            assert_eq!(out, serde_json::to_string(&s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn unsorted_maps_are_written_sorted() {
        let mut map = Map::new();
        for key in ["b", "a", "c"] {
            map.insert(key.into(), json!(1));
        }
        let mut out = String::new();
        write_entries(&mut out, map.iter(), 0, true);
        let mut sorted = String::new();
        write_map(&mut sorted, &map, 0, true);
        assert_eq!(sorted, "a: 1\nb: 1\nc: 1\n");
    }

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
