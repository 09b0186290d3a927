//! `helm template` output → Kubernetes objects: split into YAML documents (each after its
//! `# Source: <template>` comment), each checked to be an object (`apiVersion`, `kind`,
//! `metadata.name`) and placed in the release namespace when it is namespaced and names none.

use std::collections::BTreeMap;

use harmony_dsl::resource::{HelmRelease, KubeObject};
use harmony_dsl::value::Secret;
use harmony_dsl::{Error, Result};
use serde_json::{Map, Value};

/// Kinds of the Kubernetes API that are cluster-scoped: objects of these kinds never get the
/// release namespace. Any other kind without a namespace is placed in the release namespace
/// (as `helm install` does); a custom cluster-scoped kind that a chart renders without a
/// namespace is reported by the cluster at apply time.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CSIDriver",
    "CSINode",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// One YAML document of the output and the template it came from.
struct Document<'a> {
    source: Option<&'a str>,
    index: usize,
    text: String,
}

/// The documents of `output`, in order, without the empty ones.
fn split(output: &str) -> Vec<Document<'_>> {
    let mut docs = Vec::new();
    let mut source = None;
    let mut text = String::new();
    for line in output.lines().chain(std::iter::once("---")) {
        if line.trim_end() == "---" {
            let meaningful = text
                .lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
            if meaningful {
                docs.push(Document {
                    source,
                    index: docs.len() + 1,
                    text: std::mem::take(&mut text),
                });
            }
            text.clear();
            source = None;
        } else if let Some(s) = line.strip_prefix("# Source: ") {
            source = Some(s.trim());
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    docs
}

/// The objects `helm template` printed for `release`, in the order printed.
pub fn parse(output: &str, release: &HelmRelease) -> Result<Vec<KubeObject>> {
    split(output)
        .into_iter()
        .map(|doc| {
            let value: Value = serde_saphyr::from_str(&doc.text)
                .map_err(|e| invalid(release, &doc, format!("it is not valid YAML: {e}")))?;
            object(value, release).map_err(|why| invalid(release, &doc, why))
        })
        .collect()
}

fn invalid(release: &HelmRelease, doc: &Document<'_>, why: String) -> Error {
    let from = match doc.source {
        Some(source) => format!("from template `{source}`"),
        None => "(no `# Source:` comment)".to_string(),
    };
    Error::permanent(format!(
        "chart {} (release {}/{}): document {} {from} is not a Kubernetes object: {why}",
        release.chart, release.namespace, release.release, doc.index
    ))
}

fn text_field<'a>(map: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a str, String> {
    match map.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(format!("it has no `{path}`")),
        Some(_) => Err(format!("`{path}` is not a string")),
    }
}

/// The document as a [`KubeObject`], or why it is not one.
fn object(value: Value, release: &HelmRelease) -> Result<KubeObject, String> {
    let Value::Object(mut map) = value else {
        return Err("it is not a map".to_string());
    };
    let api_version = text_field(&map, "apiVersion", "apiVersion")?.to_string();
    let kind = text_field(&map, "kind", "kind")?.to_string();
    let mut metadata = match map.remove("metadata") {
        Some(Value::Object(m)) => m,
        Some(_) => return Err("`metadata` is not a map".to_string()),
        None => return Err("it has no `metadata`".to_string()),
    };
    let name = text_field(&metadata, "name", "metadata.name")?.to_string();
    let namespace = match metadata.remove("namespace") {
        Some(Value::String(ns)) if !ns.is_empty() => Some(ns),
        Some(Value::String(_)) | Some(Value::Null) | None => {
            (!CLUSTER_SCOPED.contains(&kind.as_str())).then(|| release.namespace.clone())
        }
        Some(_) => return Err("`metadata.namespace` is not a string".to_string()),
    };
    let labels = match metadata.remove("labels") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(labels)) => labels
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k, s)),
                other => Err(format!(
                    "label `{k}` is not a string (`{other}`): quote it in the template"
                )),
            })
            .collect::<Result<_, String>>()?,
        Some(_) => return Err("`metadata.labels` is not a map".to_string()),
    };
    metadata.remove("name");
    map.remove("apiVersion");
    map.remove("kind");
    if !metadata.is_empty() {
        map.insert("metadata".to_string(), Value::Object(metadata));
    }
    let secret_data = if api_version == "v1" && kind == "Secret" {
        secret_values(&mut map)?
    } else {
        BTreeMap::new()
    };
    Ok(KubeObject {
        api_version,
        kind,
        name,
        namespace,
        labels,
        body: map,
        secret_data,
    })
}

/// A chart's `Secret` values (`data`, base64, and `stringData`), taken out of the body into
/// [`Secret`]s, so that plans, diffs, state and rendered files show them redacted like the
/// values of Harmony's own Secrets.
fn secret_values(
    body: &mut Map<String, Value>,
) -> Result<BTreeMap<String, Secret<String>>, String> {
    let mut values = BTreeMap::new();
    if let Some(data) = body.remove("data") {
        let Value::Object(data) = data else {
            return Err("`data` of a Secret is not a map".to_string());
        };
        for (key, value) in data {
            let bytes: k8s_openapi::ByteString = serde_json::from_value(value)
                .map_err(|e| format!("`data.{key}` of a Secret is not base64: {e}"))?;
            let text = String::from_utf8(bytes.0)
                .map_err(|_| format!("`data.{key}` of a Secret is not UTF-8 text"))?;
            values.insert(key, Secret::new(text));
        }
    }
    if let Some(data) = body.remove("stringData") {
        let Value::Object(data) = data else {
            return Err("`stringData` of a Secret is not a map".to_string());
        };
        for (key, value) in data {
            let Value::String(text) = value else {
                return Err(format!("`stringData.{key}` of a Secret is not a string"));
            };
            values.insert(key, Secret::new(text));
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn release() -> HelmRelease {
        HelmRelease {
            chart: "charts/demo".into(),
            release: "web".into(),
            namespace: "shop".into(),
            values_files: vec![],
            values: Map::new(),
            check_schema: true,
        }
    }

    const OUTPUT: &str = "---
# Source: demo/templates/ns.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: extra
---
# Source: demo/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web-demo
  labels:
    app.kubernetes.io/name: demo
  annotations:
    note: kept
spec:
  ports:
    - port: 80
---
# Source: demo/templates/empty.yaml
# only a comment
---
# Source: demo/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: other
data:
  mode: fast
";

    #[test]
    fn documents_become_objects_in_the_release_namespace_unless_cluster_scoped_or_named() {
        let objects = parse(OUTPUT, &release()).unwrap();
        let summary: Vec<(String, Option<String>)> = objects
            .iter()
            .map(|o| (format!("{} {}", o.kind, o.name), o.namespace.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                ("Namespace extra".to_string(), None),
                ("Service web-demo".to_string(), Some("shop".to_string())),
                ("ConfigMap settings".to_string(), Some("other".to_string())),
            ]
        );
        let service = &objects[1];
        assert_eq!(service.labels["app.kubernetes.io/name"], "demo");
        assert_eq!(
            service.to_manifest()["metadata"],
            json!({
                "name": "web-demo",
                "namespace": "shop",
                "labels": { "app.kubernetes.io/name": "demo", "app.kubernetes.io/managed-by": "harmony" },
                "annotations": { "note": "kept" },
            })
        );
        assert_eq!(service.body["spec"]["ports"][0]["port"], 80);
    }

    #[test]
    fn a_document_that_is_not_an_object_is_named_with_its_template() {
        let output = "---\n# Source: demo/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: demo/templates/b.yaml\napiVersion: v1\nmetadata:\n  name: b\n";
        let err = parse(output, &release()).unwrap_err().to_string();
        assert!(
            err.contains(
                "chart charts/demo (release shop/web): document 2 from template `demo/templates/b.yaml` is not a Kubernetes object: it has no `kind`"
            ),
            "{err}"
        );
        let err = parse(
            "---\n# Source: demo/templates/c.yaml\nkey: [unclosed\n",
            &release(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("`demo/templates/c.yaml`"), "{err}");
        assert!(err.contains("not valid YAML"), "{err}");
        let err = parse(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    tier: 3\n",
            &release(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("label `tier` is not a string"), "{err}");
    }
}
