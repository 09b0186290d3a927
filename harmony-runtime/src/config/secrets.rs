//! Apply-time resolution of secret references: a step's [`SecretRef`]s are read from their
//! sources just before the step runs, into a copy of the operation that is executed and then
//! dropped. Plans, state and reports keep the operation with references.

use std::collections::HashMap;
use std::sync::Arc;

use harmony_dsl::capability::{ContainerRuntime, Fleet, K8sCluster, ProcessSupervisor};
use harmony_dsl::config::{SecretRef, ValueSource};
use harmony_dsl::resource::EnvValue;
use harmony_dsl::value::Secret;
use harmony_dsl::{Error, Operation};
use tokio::sync::Mutex;

use super::{StoreAnswer, VaultKv2, file_value, read_table, store_token_from_env};

/// Reads secrets from the sources their references name. One per apply: each store secret is
/// read once.
#[derive(Debug, Default)]
pub struct SecretResolver {
    store_reads: Mutex<HashMap<String, Arc<Result<StoreAnswer, String>>>>,
}

/// Whether `operation` holds secret references (most do not: they run unchanged).
///
/// References are a feature of the built-in resources whose environment or `Secret` data can
/// name a [`SecretRef`]; a capability of another crate keeps its secrets as
/// [`Secret`](harmony_dsl::value::Secret)s in its resource and is run unchanged.
pub fn has_secret_refs(operation: &Operation) -> bool {
    if let Some(spec) = operation.resource::<dyn ProcessSupervisor>() {
        env_has_refs(spec.env.values())
    } else if let Some(spec) = operation.resource::<dyn ContainerRuntime>() {
        env_has_refs(spec.env.values())
    } else if let Some(spec) = operation.resource::<dyn Fleet>() {
        spec.workloads.iter().any(|w| env_has_refs(w.env.values()))
    } else if let Some(object) = operation.resource::<dyn K8sCluster>() {
        kube_secret_refs(object).next().is_some()
    } else {
        false
    }
}

pub(crate) fn env_has_refs<'a>(mut values: impl Iterator<Item = &'a EnvValue>) -> bool {
    values.any(|v| matches!(v, EnvValue::SecretRef(_)))
}

/// The `stringData` entries of a `v1` `Secret` that are references (objects, where Kubernetes
/// wants strings).
fn kube_secret_refs(
    object: &harmony_dsl::resource::KubeObject,
) -> impl Iterator<Item = (&String, SecretRef)> {
    let is_secret = object.api_version == "v1" && object.kind == "Secret";
    object
        .body
        .get("stringData")
        .and_then(|d| d.as_object())
        .filter(|_| is_secret)
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| {
            serde_json::from_value::<SecretRef>(value.clone())
                .ok()
                .map(|r| (name, r))
        })
}

impl SecretResolver {
    /// A resolver with nothing read yet.
    pub fn new() -> Self {
        SecretResolver::default()
    }

    /// The value `reference` points at, read from its source now.
    pub async fn resolve(&self, reference: &SecretRef) -> Result<Secret<String>, Error> {
        let key = reference.key();
        let fail = |why: String| Error::permanent(format!("secret `{key}`: {why}"));
        match reference.source() {
            ValueSource::Env { variable } => std::env::var(variable)
                .map(Secret::new)
                .map_err(|_| fail(format!("environment variable {variable} is no longer set"))),
            ValueSource::File {
                path,
                key: file_key,
            } => {
                let table = read_table(path).map_err(fail)?;
                file_value(path, &table, file_key)
                    .map_err(fail)?
                    .map(Secret::new)
                    .ok_or_else(|| {
                        fail(format!(
                            "config file {} no longer has key `{file_key}`",
                            path.display()
                        ))
                    })
            }
            ValueSource::Store {
                address,
                mount,
                path,
                field,
            } => {
                let token = store_token_from_env().ok_or_else(|| {
                    fail(format!("reading it from {address} needs a token: set VAULT_TOKEN (or HARMONY_VAULT_TOKEN)"))
                })?;
                let kv = VaultKv2 {
                    address: address.clone(),
                    mount: mount.clone(),
                    path: path.clone(),
                    token,
                };
                let answer = self.read_store(&kv).await;
                match &*answer {
                    Ok(StoreAnswer::Fields(fields)) => {
                        fields.get(field).cloned().ok_or_else(|| {
                            fail(format!("{} no longer has field `{field}`", kv.describe()))
                        })
                    }
                    Ok(StoreAnswer::NotFound) => Err(fail(format!(
                        "{} has no secret at that path (404 Not Found)",
                        kv.describe()
                    ))),
                    Ok(StoreAnswer::Forbidden) => Err(fail(format!(
                        "{} refused the token (403 Forbidden); check VAULT_TOKEN and its policy",
                        kv.describe()
                    ))),
                    Err(e) => Err(fail(e.clone())),
                }
            }
            ValueSource::Default | ValueSource::Unset => Err(fail(
                "secrets have no default; set it in the environment, the config file or the store"
                    .into(),
            )),
        }
    }

    async fn read_store(&self, kv: &VaultKv2) -> Arc<Result<StoreAnswer, String>> {
        let mut reads = self.store_reads.lock().await;
        if let Some(answer) = reads.get(&kv.url()) {
            return Arc::clone(answer);
        }
        let answer = Arc::new(kv.read().await);
        reads.insert(kv.url(), Arc::clone(&answer));
        answer
    }

    /// A copy of `operation` with every secret reference replaced by its value, or `None` when it
    /// has none. The copy is for executing only: never record or print it.
    pub async fn resolve_operation(
        &self,
        operation: &Operation,
    ) -> Result<Option<Operation>, Error> {
        if !has_secret_refs(operation) {
            return Ok(None);
        }
        let resolved = if let Some(spec) = operation.resource::<dyn ProcessSupervisor>() {
            let mut spec = spec.clone();
            self.resolve_env(&mut spec.env).await?;
            Operation::new::<dyn ProcessSupervisor>(spec)
        } else if let Some(spec) = operation.resource::<dyn ContainerRuntime>() {
            let mut spec = spec.clone();
            self.resolve_env(&mut spec.env).await?;
            Operation::new::<dyn ContainerRuntime>(spec)
        } else if let Some(spec) = operation.resource::<dyn Fleet>() {
            let mut spec = spec.clone();
            for workload in &mut spec.workloads {
                self.resolve_env(&mut workload.env).await?;
            }
            Operation::new::<dyn Fleet>(spec)
        } else if let Some(object) = operation.resource::<dyn K8sCluster>() {
            let mut object = object.clone();
            let refs: Vec<(String, SecretRef)> = kube_secret_refs(&object)
                .map(|(name, r)| (name.clone(), r))
                .collect();
            for (name, reference) in refs {
                let value = self.resolve(&reference).await?;
                // Into the Secret's `data` (redacted wherever the object is shown), out of
                // `stringData`, where only the reference was.
                if let Some(data) = object
                    .body
                    .get_mut("stringData")
                    .and_then(|d| d.as_object_mut())
                {
                    data.remove(&name);
                }
                object.secret_data.insert(name, value);
            }
            if object
                .body
                .get("stringData")
                .and_then(|d| d.as_object())
                .is_some_and(|d| d.is_empty())
            {
                object.body.remove("stringData");
            }
            Operation::new::<dyn K8sCluster>(object)
        } else {
            return Ok(None);
        };
        Ok(Some(resolved))
    }

    /// Replaces every reference in `env` by its value, read from its source now.
    pub(crate) async fn resolve_env(
        &self,
        env: &mut std::collections::BTreeMap<String, EnvValue>,
    ) -> Result<(), Error> {
        for value in env.values_mut() {
            if let EnvValue::SecretRef(reference) = value {
                *value = EnvValue::Secret(self.resolve(reference).await?);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use harmony_dsl::scores::Postgres;
    use harmony_dsl::{Operations, ScoreContext};

    use super::*;

    fn file_ref(dir: &std::path::Path, key: &str) -> SecretRef {
        SecretRef::new(
            key,
            ValueSource::File {
                path: dir.join("secrets.toml"),
                key: key.into(),
            },
        )
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        // Kept (the caller removes it); the name is unpredictable.
        let dir = tempfile::Builder::new()
            .prefix(&format!("harmony-secrets-{tag}-"))
            .tempdir()
            .unwrap()
            .keep();
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn postgres_password_is_a_reference_until_apply() {
        let dir = temp_dir("postgres");
        std::fs::write(dir.join("secrets.toml"), "db_password = \"pg-s3cret\"\n").unwrap();
        let db = Postgres {
            version: 16,
            storage: "1Gi".parse().unwrap(),
            place: None,
            namespace: Some("shop".into()),
            password: Some(file_ref(&dir, "db_password")),
        };
        let ctx = ScoreContext {
            instance: "db",
            plan: "shop",
            topology: "T",
        };
        let operations = db.operations(&ctx);
        let secret = &operations[0];
        assert_eq!(secret.resource_id(), "k8s:v1/Secret/shop/db-credentials");
        assert!(has_secret_refs(secret));
        // The plan, its rendering and its JSON hold the reference only.
        let planned = serde_json::to_string(&operations).unwrap();
        assert!(!planned.contains("pg-s3cret") && planned.contains("db_password"));
        assert!(!secret.render().content.contains("pg-s3cret"));
        let statefulset = serde_json::to_string(&operations[1]).unwrap();
        assert!(statefulset.contains("secretKeyRef") && statefulset.contains("db-credentials"));

        let resolved = SecretResolver::new()
            .resolve_operation(secret)
            .await
            .unwrap()
            .expect("the secret had a reference");
        let Some(object) = resolved.resource::<dyn K8sCluster>() else {
            panic!("{resolved}")
        };
        // The value is in the Secret's `data` sent to the API server, redacted everywhere else.
        assert_eq!(
            object.secret_data["POSTGRES_PASSWORD"].expose(),
            "pg-s3cret"
        );
        assert!(object.body.get("stringData").is_none());
        assert_eq!(
            object.to_manifest()["data"]["POSTGRES_PASSWORD"],
            "cGctczNjcmV0"
        );
        assert!(
            !serde_json::to_string(&resolved)
                .unwrap()
                .contains("pg-s3cret")
        );
        assert!(!has_secret_refs(&resolved));
        // Operations without references are left alone.
        assert!(
            SecretResolver::new()
                .resolve_operation(&operations[1])
                .await
                .unwrap()
                .is_none()
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_reference_whose_source_lost_it_fails_naming_key_and_source() {
        let dir = temp_dir("lost");
        std::fs::write(dir.join("secrets.toml"), "other = 1\n").unwrap();
        let err = SecretResolver::new()
            .resolve(&file_ref(&dir, "api_token"))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("secret `api_token`"), "{err}");
        assert!(err.contains("no longer has key `api_token`"), "{err}");
        let unset = SecretRef::new(
            "api_token",
            ValueSource::Env {
                variable: "HARMONY_CONFIG_SURELY_UNSET_IN_TESTS".into(),
            },
        );
        let err = SecretResolver::new().resolve(&unset).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("HARMONY_CONFIG_SURELY_UNSET_IN_TESTS is no longer set")
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
