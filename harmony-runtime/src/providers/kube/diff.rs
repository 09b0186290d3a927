//! Per-object differences between the live object and what server-side apply would make of it.
//!
//! Both objects are flattened into `path → leaf value` (objects recurse; lists of objects that
//! all carry a distinct `name` or `metadata.name` are keyed by it, other lists by index), fields the server owns
//! (`resourceVersion`, `managedFields`, `uid`, `generation`, `creationTimestamp`, `status`) are
//! left out, and one line is written per path that differs. Values under `data`/`stringData` of a
//! `Secret` never appear: the line says the value changed.

use std::collections::BTreeMap;

use serde_json::Value;

/// Metadata fields written by the server, never by Harmony: not part of a diff.
const SERVER_METADATA: &[&str] = &[
    "resourceVersion",
    "managedFields",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Shown instead of secret values.
pub const REDACTED: &str = "<redacted>";

/// The object without what the server owns (`status` and server metadata).
pub fn desired_part(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(Value::Object(meta)) = map.get_mut("metadata") {
            for key in SERVER_METADATA {
                meta.remove(*key);
            }
        }
    }
    object
}

fn flatten(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let names: Option<Vec<&str>> = items
                .iter()
                .map(|item| {
                    item.get("name")
                        .or_else(|| item.pointer("/metadata/name"))
                        .and_then(Value::as_str)
                })
                .collect();
            let keyed = names.filter(|names| {
                let mut sorted = names.clone();
                sorted.sort_unstable();
                sorted.dedup();
                sorted.len() == names.len()
            });
            for (i, item) in items.iter().enumerate() {
                let path = match &keyed {
                    Some(names) => format!("{prefix}[name={}]", names[i]),
                    None => format!("{prefix}[{i}]"),
                };
                flatten(&path, item, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.clone());
        }
    }
}

fn is_secret_path(secret: bool, path: &str) -> bool {
    secret && (path.starts_with("data.") || path.starts_with("stringData."))
}

fn show(secret: bool, path: &str, value: &Value) -> String {
    if is_secret_path(secret, path) {
        REDACTED.to_string()
    } else {
        value.to_string()
    }
}

/// One line per difference between `live` and `planned` (both full objects), sorted by path:
/// `+ path: new`, `- path: old`, `~ path: old -> new`. Empty when they agree.
pub fn diff_lines(kind: &str, live: &Value, planned: &Value) -> Vec<String> {
    let secret = kind == "Secret";
    let mut old = BTreeMap::new();
    let mut new = BTreeMap::new();
    flatten("", &desired_part(live), &mut old);
    flatten("", &desired_part(planned), &mut new);
    let mut lines = Vec::new();
    for (path, before) in &old {
        match new.get(path) {
            None => lines.push(format!("- {path}: {}", show(secret, path, before))),
            Some(after) if after != before => {
                if is_secret_path(secret, path) {
                    lines.push(format!("~ {path}: {REDACTED} (changed)"));
                } else {
                    lines.push(format!("~ {path}: {before} -> {after}"));
                }
            }
            Some(_) => {}
        }
    }
    for (path, after) in &new {
        if !old.contains_key(path) {
            lines.push(format!("+ {path}: {}", show(secret, path, after)));
        }
    }
    lines.sort_by(|a, b| a[2..].cmp(&b[2..]));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_added_and_removed_fields_are_one_line_each() {
        let live = json!({
            "metadata": { "name": "web", "resourceVersion": "4", "labels": { "a": "1" } },
            "spec": { "replicas": 1, "template": { "spec": { "containers": [
                { "name": "web", "image": "web:1", "args": ["x"] }
            ]}}},
            "status": { "readyReplicas": 1 }
        });
        let planned = json!({
            "metadata": { "name": "web", "resourceVersion": "4", "labels": { "a": "1", "b": "2" } },
            "spec": { "replicas": 3, "template": { "spec": { "containers": [
                { "name": "web", "image": "web:1" }
            ]}}},
            "status": { "readyReplicas": 0 }
        });
        assert_eq!(
            diff_lines("Deployment", &live, &planned),
            vec![
                "+ metadata.labels.b: \"2\"",
                "~ spec.replicas: 1 -> 3",
                "- spec.template.spec.containers[name=web].args[0]: \"x\"",
            ]
        );
        assert!(diff_lines("Deployment", &live, &live).is_empty());
    }

    #[test]
    fn secret_values_never_appear() {
        let live = json!({ "metadata": { "name": "s" }, "data": { "password": "b2xk" } });
        let planned =
            json!({ "metadata": { "name": "s" }, "data": { "password": "bmV3", "user": "dQ==" } });
        let lines = diff_lines("Secret", &live, &planned);
        assert_eq!(
            lines,
            vec![
                "~ data.password: <redacted> (changed)",
                "+ data.user: <redacted>"
            ]
        );
    }
}
