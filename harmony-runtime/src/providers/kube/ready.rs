//! Waiting for a Deployment or StatefulSet to roll out, the way `kubectl rollout status` decides
//! (watching the object), and saying why it is not ready (status, conditions, warning events of
//! the object and of its ReplicaSets and Pods) when it runs out of time.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use harmony_dsl::resource::KubeObject;
use harmony_dsl::{Error, Result};
use kube::Api;
use kube::api::{ApiResource, DynamicObject, ListParams, WatchEvent, WatchParams};
use serde_json::Value;

use super::errors::from_kube;

/// Whether `object` is a kind `apply` waits for.
pub fn is_workload(object: &KubeObject) -> bool {
    object.api_version == "apps/v1" && matches!(object.kind.as_str(), "Deployment" | "StatefulSet")
}

/// Where a rollout stands.
#[derive(Debug, PartialEq, Eq)]
pub enum Rollout {
    /// Done.
    Ready,
    /// Still going; why.
    Waiting(String),
    /// Will not finish without a change (e.g. `ProgressDeadlineExceeded`); why.
    Failed(String),
}

fn int(value: &Value, pointer: &str) -> Option<i64> {
    value.pointer(pointer).and_then(Value::as_i64)
}

fn condition<'a>(object: &'a Value, kind: &str) -> Option<&'a Value> {
    object
        .pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The rollout state of a Deployment or StatefulSet (as JSON).
pub fn rollout(kind: &str, object: &Value) -> Rollout {
    let generation = int(object, "/metadata/generation").unwrap_or(0);
    let observed = int(object, "/status/observedGeneration").unwrap_or(0);
    if observed < generation {
        return Rollout::Waiting(format!(
            "the controller has not seen generation {generation} yet (observed {observed})"
        ));
    }
    let want = int(object, "/spec/replicas").unwrap_or(1);
    let updated = int(object, "/status/updatedReplicas").unwrap_or(0);
    let current = int(object, "/status/replicas").unwrap_or(0);
    match kind {
        "Deployment" => {
            if let Some(progressing) = condition(object, "Progressing")
                && text(progressing, "reason") == "ProgressDeadlineExceeded"
            {
                return Rollout::Failed(format!(
                    "rollout failed: ProgressDeadlineExceeded: {}",
                    text(progressing, "message")
                ));
            }
            let available = int(object, "/status/availableReplicas").unwrap_or(0);
            if updated < want {
                return Rollout::Waiting(format!("{updated} of {want} replicas updated"));
            }
            if current > updated {
                return Rollout::Waiting(format!(
                    "{} old replicas pending termination",
                    current - updated
                ));
            }
            if available < updated {
                return Rollout::Waiting(format!(
                    "{available} of {updated} updated replicas available"
                ));
            }
            Rollout::Ready
        }
        _ => {
            let ready = int(object, "/status/readyReplicas").unwrap_or(0);
            if ready < want {
                return Rollout::Waiting(format!("{ready} of {want} replicas ready"));
            }
            let on_delete = object
                .pointer("/spec/updateStrategy/type")
                .and_then(Value::as_str)
                == Some("OnDelete");
            if !on_delete && updated < want {
                return Rollout::Waiting(format!("{updated} of {want} replicas updated"));
            }
            Rollout::Ready
        }
    }
}

fn with_conditions(reason: String, object: &Value) -> String {
    let conditions: Vec<String> = object
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| text(c, "status") != "True")
        .map(|c| {
            let mut line = format!("{}={}", text(c, "type"), text(c, "status"));
            if !text(c, "reason").is_empty() {
                line.push_str(&format!(" ({})", text(c, "reason")));
            }
            if !text(c, "message").is_empty() {
                line.push_str(&format!(": {}", text(c, "message")));
            }
            line
        })
        .collect();
    if conditions.is_empty() {
        reason
    } else {
        format!("{reason}; conditions: {}", conditions.join("; "))
    }
}

/// The most recent warning events of the object and of what it owns (ReplicaSets and Pods are
/// named `<name>-...`), as `Kind name: Reason: message` (best effort: none when the events
/// cannot be listed).
async fn warnings(api: &Api<DynamicObject>, object: &KubeObject) -> Vec<String> {
    let Some(ns) = &object.namespace else {
        return Vec::new();
    };
    let resource = ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: "Event".into(),
        plural: "events".into(),
    };
    let events: Api<DynamicObject> = Api::namespaced_with(api.clone().into_client(), ns, &resource);
    let Ok(list) = events
        .list(&ListParams::default().fields("type=Warning"))
        .await
    else {
        return Vec::new();
    };
    let prefix = format!("{}-", object.name);
    let field = |e: &DynamicObject, pointer: &str| -> String {
        e.data
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut found: Vec<(String, String)> = list
        .items
        .iter()
        .filter(|e| {
            let name = field(e, "/involvedObject/name");
            name == object.name || name.starts_with(&prefix)
        })
        .map(|e| {
            let when = field(e, "/lastTimestamp");
            let line = format!(
                "{} {}: {}: {}",
                field(e, "/involvedObject/kind"),
                field(e, "/involvedObject/name"),
                field(e, "/reason"),
                field(e, "/message")
            );
            (when, line)
        })
        .collect();
    found.sort();
    found.dedup_by(|a, b| a.1 == b.1);
    found
        .into_iter()
        .rev()
        .take(3)
        .map(|(_, line)| line)
        .collect()
}

/// Waits until `object`'s rollout is done: reads it, then watches it (re-reading and
/// watching again when the server drops the watch), and re-reads every 2 s at most when the
/// watch stays silent. A failed rollout or `timeout` is a permanent error naming the object,
/// what is not ready and the warning events.
pub async fn wait(
    api: &Api<DynamicObject>,
    object: &KubeObject,
    what: &str,
    timeout: Duration,
) -> Result<()> {
    let started = Instant::now();
    let deadline = started + timeout;
    let check = |live: &DynamicObject| -> Result<(Rollout, Value)> {
        let json = serde_json::to_value(live)
            .map_err(|e| Error::permanent("cannot encode an object as JSON").with_source(e))?;
        Ok((rollout(&object.kind, &json), json))
    };
    let read = || async {
        api.get(&object.name)
            .await
            .map_err(|e| from_kube(e, &format!("read {what}"), None))
    };
    let mut live = read().await?;
    loop {
        let (state, json) = check(&live)?;
        let (reason, failed) = match state {
            Rollout::Ready => return Ok(()),
            Rollout::Waiting(reason) => (reason, false),
            Rollout::Failed(reason) => (reason, true),
        };
        if failed || Instant::now() >= deadline {
            let mut message = format!(
                "{what} is not ready after {}s: {}",
                started.elapsed().as_secs(),
                with_conditions(reason, &json)
            );
            let events = warnings(api, object).await;
            if !events.is_empty() {
                message.push_str(&format!("; events: {}", events.join("; ")));
            }
            return Err(Error::permanent(message));
        }
        let version = live.metadata.resource_version.clone().unwrap_or_default();
        live = match next_change(api, &object.name, &version, deadline).await {
            Some(changed) => changed,
            None => {
                // Dropped or silent watch: read again, after a pause so a server that drops
                // every watch is not hammered.
                tokio::time::sleep(
                    Duration::from_millis(100)
                        .min(deadline.saturating_duration_since(Instant::now())),
                )
                .await;
                read().await?
            }
        };
    }
}

/// The object's next version from a watch from `version`; `None` when the watch ends, fails,
/// says the version is gone, or nothing comes for 2 s or until `deadline`.
async fn next_change(
    api: &Api<DynamicObject>,
    name: &str,
    version: &str,
    deadline: Instant,
) -> Option<DynamicObject> {
    let params = WatchParams::default()
        .fields(&format!("metadata.name={name}"))
        .timeout(290);
    let wait = Duration::from_secs(2).min(deadline.saturating_duration_since(Instant::now()));
    let watch = async {
        let stream = api.watch(&params, version).await.ok()?;
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            match event.ok()? {
                WatchEvent::Added(o) | WatchEvent::Modified(o) => return Some(o),
                WatchEvent::Bookmark(_) => continue,
                WatchEvent::Deleted(_) | WatchEvent::Error(_) => return None,
            }
        }
        None
    };
    tokio::time::timeout(wait, watch).await.ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deployment_rollout_states() {
        let mut d = json!({
            "metadata": { "generation": 2 },
            "spec": { "replicas": 3 },
            "status": { "observedGeneration": 1 }
        });
        assert!(
            matches!(rollout("Deployment", &d), Rollout::Waiting(r) if r.contains("generation 2"))
        );
        d["status"] = json!({ "observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 1 });
        assert_eq!(
            rollout("Deployment", &d),
            Rollout::Waiting("1 of 3 updated replicas available".into())
        );
        d["status"]["availableReplicas"] = json!(3);
        assert_eq!(rollout("Deployment", &d), Rollout::Ready);
        d["status"]["conditions"] = json!([{ "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-1\" has timed out progressing." }]);
        assert!(
            matches!(rollout("Deployment", &d), Rollout::Failed(r) if r.contains("timed out progressing"))
        );
    }

    #[test]
    fn statefulset_waits_for_ready_replicas() {
        let s = json!({
            "metadata": { "generation": 1 },
            "spec": { "replicas": 2 },
            "status": { "observedGeneration": 1, "readyReplicas": 1, "updatedReplicas": 2 }
        });
        assert_eq!(
            rollout("StatefulSet", &s),
            Rollout::Waiting("1 of 2 replicas ready".into())
        );
    }
}
