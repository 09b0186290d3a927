//! The in-memory object store and the semantics of the calls the backend makes: server-side
//! apply with field ownership and conflicts, dry-run, delete, status, resource versions, and a
//! simulated workload controller (readiness).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use super::fields::{self, FieldSet};

/// A kind the server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
    pub status: bool,
}

impl Kind {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, as API servers name resources in messages.
    pub fn resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

macro_rules! kinds {
    ($(($g:literal, $v:literal, $k:literal, $p:literal, $ns:literal, $st:literal)),* $(,)?) => {
        pub const KINDS: &[Kind] = &[$(Kind { group: $g, version: $v, kind: $k, plural: $p, namespaced: $ns, status: $st }),*];
    };
}

kinds![
    ("", "v1", "Namespace", "namespaces", false, true),
    ("", "v1", "Service", "services", true, true),
    ("", "v1", "ConfigMap", "configmaps", true, false),
    ("", "v1", "Secret", "secrets", true, false),
    ("", "v1", "ServiceAccount", "serviceaccounts", true, false),
    (
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
        true
    ),
    ("", "v1", "ResourceQuota", "resourcequotas", true, true),
    ("", "v1", "Event", "events", true, false),
    ("apps", "v1", "Deployment", "deployments", true, true),
    ("apps", "v1", "StatefulSet", "statefulsets", true, true),
    (
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        true,
        true
    ),
    (
        "metallb.io",
        "v1beta1",
        "IPAddressPool",
        "ipaddresspools",
        true,
        false
    ),
    (
        "metallb.io",
        "v1beta1",
        "L2Advertisement",
        "l2advertisements",
        true,
        false
    ),
];

/// The kind served at `group/version` under `plural`.
pub fn kind_by_plural(group: &str, version: &str, plural: &str) -> Option<Kind> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.group == group && k.version == version && k.plural == plural)
}

/// An error answer: HTTP status, `reason` and message (a `Status` body).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

impl Failure {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            reason,
            message: message.into(),
            details: Value::Null,
        }
    }

    fn not_found(kind: &Kind, name: &str) -> Self {
        let mut f = Failure::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", kind.resource()),
        );
        f.details = json!({ "name": name, "group": kind.group, "kind": kind.plural });
        f
    }

    pub fn status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.details.is_null() {
            status["details"] = self.details.clone();
        }
        status
    }
}

/// How the simulated controller reports Deployments and StatefulSets after a change.
#[derive(Debug, Clone)]
pub enum Readiness {
    /// Rolled out as soon as written.
    Immediate,
    /// Rolled out after this long (status shows the rollout in progress meanwhile).
    After(Duration),
    /// Never rolls out: the Deployment's `Progressing` condition turns `False` with this reason
    /// and message, and a `Warning` event with them is recorded.
    Never { reason: String, message: String },
}

/// One stored object and who owns which of its fields.
#[derive(Debug, Clone)]
struct Stored {
    object: Value,
    managers: BTreeMap<String, FieldSet>,
}

type Key = (String, String, String); // (resource, namespace or "", name)

/// Who applies, and how.
#[derive(Debug, Clone, Copy)]
pub struct Apply<'a> {
    /// The field manager.
    pub manager: &'a str,
    /// Take contested fields over instead of answering 409.
    pub force: bool,
    /// Compute the result without storing it.
    pub dry_run: bool,
}

/// An open watch: events for one resource (in one namespace, of one name when filtered).
#[derive(Debug)]
pub struct Watcher {
    pub resource: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub events: tokio::sync::mpsc::UnboundedSender<Value>,
    /// Events left before the server drops this watch (the `drop_watches_after` fault).
    pub left: Option<usize>,
}

/// Everything the server knows.
#[derive(Debug)]
pub struct Store {
    pub revision: u64,
    objects: BTreeMap<Key, Stored>,
    pub readiness: Readiness,
    /// `(image prefix, reason, message)`: workloads running an image with this prefix never
    /// roll out, whatever [`Store::readiness`] says (an image that cannot be pulled).
    pub never_ready_image: Option<(String, String, String)>,
    /// Fault: every watch is closed by the server after this many events (`0`: at once).
    pub drop_watches_after: Option<usize>,
    pub watchers: Vec<Watcher>,
    uid: u64,
}

fn key(kind: &Kind, ns: Option<&str>, name: &str) -> Key {
    (
        kind.resource(),
        ns.unwrap_or_default().to_string(),
        name.to_string(),
    )
}

fn without_server_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "resourceVersion",
            "managedFields",
            "generation",
            "uid",
            "creationTimestamp",
        ] {
            meta.remove(k);
        }
    }
    object
}

fn spec_part(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("metadata");
        map.remove("status");
    }
    object
}

/// The request's identity fields, which belong to nobody.
fn owned_part(body: &Value, kind: &Kind) -> Value {
    let mut owned = body.clone();
    if let Some(map) = owned.as_object_mut() {
        map.remove("apiVersion");
        map.remove("kind");
        if kind.status {
            map.remove("status");
        }
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for k in [
                "name",
                "namespace",
                "resourceVersion",
                "managedFields",
                "uid",
                "generation",
                "creationTimestamp",
            ] {
                meta.remove(k);
            }
            if meta.is_empty() {
                map.remove("metadata");
            }
        }
    }
    owned
}

impl Store {
    pub fn new() -> Self {
        let mut store = Store {
            revision: 0,
            objects: BTreeMap::new(),
            readiness: Readiness::Immediate,
            never_ready_image: None,
            drop_watches_after: None,
            watchers: Vec::new(),
            uid: 0,
        };
        for ns in ["default", "kube-system"] {
            let kind = KINDS[0];
            let object = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": ns }, "status": { "phase": "Active" } });
            store.insert_new(&kind, None, ns, object, BTreeMap::new());
        }
        store
    }

    /// Sends `{"type", "object"}` to the watchers of the object; closes those whose event budget
    /// ran out, and forgets those whose client went away.
    fn notify(&mut self, kind: &Kind, event: &str, ns: Option<&str>, name: &str) {
        let Some(stored) = self.objects.get(&key(kind, ns, name)) else {
            return;
        };
        let object = Self::render(stored, &kind.api_version());
        self.send(kind, event, ns, name, object);
    }

    fn send(&mut self, kind: &Kind, event: &str, ns: Option<&str>, name: &str, object: Value) {
        let resource = kind.resource();
        self.watchers.retain_mut(|w| {
            let matches = w.resource == resource
                && w.namespace.as_deref().is_none_or(|n| Some(n) == ns)
                && w.name.as_deref().is_none_or(|n| n == name);
            if !matches {
                return !w.events.is_closed();
            }
            if w.left == Some(0) {
                return false;
            }
            let sent = w
                .events
                .send(json!({ "type": event, "object": object }))
                .is_ok();
            if let Some(left) = &mut w.left {
                *left -= 1;
            }
            sent && w.left != Some(0)
        });
    }

    /// Opens a watch; the current object is sent first when it is newer than `since`.
    pub fn watch(
        &mut self,
        kind: &Kind,
        ns: Option<&str>,
        name: Option<&str>,
        since: u64,
    ) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let left = self.drop_watches_after;
        if left == Some(0) {
            return rx; // dropped at once: the sender is gone
        }
        self.watchers.push(Watcher {
            resource: kind.resource(),
            namespace: ns.map(str::to_string),
            name: name.map(str::to_string),
            events: tx,
            left,
        });
        if let Some(name) = name
            && let Some(stored) = self.objects.get(&key(kind, ns, name))
        {
            let rv: u64 = stored.object["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if rv > since {
                self.notify(kind, "MODIFIED", ns, name);
            }
        }
        rx
    }

    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    fn insert_new(
        &mut self,
        kind: &Kind,
        ns: Option<&str>,
        name: &str,
        mut object: Value,
        managers: BTreeMap<String, FieldSet>,
    ) {
        self.uid += 1;
        let rv = self.next_revision();
        let meta = &mut object["metadata"];
        meta["resourceVersion"] = rv.into();
        meta["uid"] = format!("00000000-0000-0000-0000-{:012}", self.uid).into();
        meta["creationTimestamp"] = "2026-01-01T00:00:00Z".into();
        meta["generation"] = 1.into();
        self.objects
            .insert(key(kind, ns, name), Stored { object, managers });
        self.notify(kind, "ADDED", ns, name);
    }

    /// The object as the API returns it, with `managedFields`.
    fn render(stored: &Stored, api_version: &str) -> Value {
        let mut object = stored.object.clone();
        let entries: Vec<Value> = stored
            .managers
            .iter()
            .map(|(manager, set)| {
                json!({
                    "manager": manager,
                    "operation": "Apply",
                    "apiVersion": api_version,
                    "time": "2026-01-01T00:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": fields::to_fields_v1(set),
                })
            })
            .collect();
        if !entries.is_empty() {
            object["metadata"]["managedFields"] = Value::Array(entries);
        }
        object
    }

    pub fn get(&self, kind: &Kind, ns: Option<&str>, name: &str) -> Result<Value, Failure> {
        self.objects
            .get(&key(kind, ns, name))
            .map(|s| Self::render(s, &kind.api_version()))
            .ok_or_else(|| Failure::not_found(kind, name))
    }

    /// Objects of `kind` (in `ns`, or everywhere) matching equality selectors on labels
    /// (`a=b,c=d`) and on any field path (`involvedObject.name=web`).
    pub fn list(
        &self,
        kind: &Kind,
        ns: Option<&str>,
        labels: Option<&str>,
        field_selector: Option<&str>,
    ) -> Value {
        let pairs = |s: Option<&str>| -> Vec<(String, String)> {
            s.unwrap_or_default()
                .split(',')
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim_end_matches('=').to_string(), v.to_string()))
                .collect()
        };
        let labels = pairs(labels);
        let field_pairs = pairs(field_selector);
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|((res, n, _), _)| {
                *res == kind.resource() && ns.is_none_or(|ns| ns == n.as_str())
            })
            .map(|(_, s)| Self::render(s, &kind.api_version()))
            .filter(|o| {
                labels.iter().all(|(k, v)| {
                    o.pointer("/metadata/labels")
                        .and_then(|l| l.get(k))
                        .and_then(Value::as_str)
                        == Some(v.as_str())
                })
            })
            .filter(|o| {
                field_pairs.iter().all(|(k, v)| {
                    let path: Vec<String> = k.split('.').map(str::to_string).collect();
                    fields::get(o, &path).and_then(Value::as_str) == Some(v.as_str())
                })
            })
            .collect();
        json!({
            "apiVersion": kind.api_version(),
            "kind": format!("{}List", kind.kind),
            "metadata": { "resourceVersion": self.revision.to_string() },
            "items": items,
        })
    }

    /// Server-side apply of `body` by `manager`. Returns the resulting object (not stored when
    /// `dry_run`).
    pub fn apply(
        &mut self,
        kind: &Kind,
        ns: Option<&str>,
        name: &str,
        body: &Value,
        how: Apply<'_>,
    ) -> Result<Value, Failure> {
        let Apply {
            manager,
            force,
            dry_run,
        } = how;
        if body.get("apiVersion").and_then(Value::as_str) != Some(kind.api_version().as_str())
            || body.get("kind").and_then(Value::as_str) != Some(kind.kind)
        {
            return Err(Failure::new(
                400,
                "BadRequest",
                format!(
                    "the body's apiVersion/kind must be {}/{}",
                    kind.api_version(),
                    kind.kind
                ),
            ));
        }
        if body.pointer("/metadata/name").and_then(Value::as_str) != Some(name) {
            return Err(Failure::new(
                400,
                "BadRequest",
                "the name of the object does not match the name on the URL",
            ));
        }
        if let Some(body_ns) = body.pointer("/metadata/namespace").and_then(Value::as_str)
            && Some(body_ns) != ns
        {
            return Err(Failure::new(
                400,
                "BadRequest",
                "the namespace of the object does not match the namespace on the URL",
            ));
        }
        if let Some(ns) = ns
            && !self.objects.contains_key(&key(&KINDS[0], None, ns))
        {
            return Err(Failure::new(
                404,
                "NotFound",
                format!("namespaces \"{ns}\" not found"),
            ));
        }
        let k = key(kind, ns, name);
        // `metadata.resourceVersion` in an apply body is a precondition on the live object.
        if let Some(expected) = body
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
        {
            let live = self
                .objects
                .get(&k)
                .and_then(|s| s.object.pointer("/metadata/resourceVersion"))
                .and_then(Value::as_str);
            if live != Some(expected) {
                return Err(Failure::new(
                    409,
                    "Conflict",
                    format!(
                        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                        kind.plural
                    ),
                ));
            }
        }
        let owned = owned_part(body, kind);
        let new_set = fields::leaves(&owned);
        let existing = self.objects.get(&k).cloned();
        let (mut object, mut managers) = match &existing {
            Some(s) => (s.object.clone(), s.managers.clone()),
            None => {
                let mut meta = json!({ "name": name });
                if let Some(ns) = ns {
                    meta["namespace"] = ns.into();
                }
                (
                    json!({ "apiVersion": kind.api_version(), "kind": kind.kind, "metadata": meta }),
                    BTreeMap::new(),
                )
            }
        };
        // Conflicts: a field another manager owns, set here to a different value.
        let mut conflicts = Vec::new();
        for (other, set) in managers.iter_mut() {
            if other == manager {
                continue;
            }
            let contested: Vec<_> = set
                .intersection(&new_set)
                .filter(|p| fields::get(&object, p) != fields::get(&owned, p))
                .cloned()
                .collect();
            for path in contested {
                if force {
                    set.remove(&path);
                } else {
                    conflicts.push((other.clone(), path));
                }
            }
        }
        if !conflicts.is_empty() {
            let n = conflicts.len();
            let list: Vec<String> = conflicts
                .iter()
                .map(|(m, p)| format!("conflict with \"{m}\": {}", fields::dotted(p)))
                .collect();
            let causes: Vec<Value> = conflicts
                .iter()
                .map(|(m, p)| json!({ "type": "FieldManagerConflict", "message": format!("conflict with \"{m}\""), "field": fields::dotted(p) }))
                .collect();
            let mut failure = Failure::new(
                409,
                "Conflict",
                format!(
                    "Apply failed with {n} conflict{}: {}",
                    if n == 1 { "" } else { "s" },
                    list.join("; ")
                ),
            );
            failure.details =
                json!({ "name": name, "group": kind.group, "kind": kind.plural, "causes": causes });
            return Err(failure);
        }
        // Fields this manager owned before and no longer sets are removed, unless shared.
        let previous = managers.get(manager).cloned().unwrap_or_default();
        for path in previous.difference(&new_set) {
            let shared = managers
                .iter()
                .any(|(m, set)| m != manager && set.contains(path));
            if !shared {
                fields::remove(&mut object, path);
            }
        }
        for path in &new_set {
            if let Some(value) = fields::get(&owned, path) {
                fields::set(&mut object, path, value.clone());
            }
        }
        managers.insert(manager.to_string(), new_set);
        managers.retain(|_, set| !set.is_empty());
        let changed = match &existing {
            None => true,
            Some(s) => {
                without_server_fields(&s.object) != without_server_fields(&object)
                    || s.managers != managers
            }
        };
        if !changed {
            return Ok(Self::render(
                existing.as_ref().expect("unchanged means it exists"),
                &kind.api_version(),
            ));
        }
        let spec_changed = existing
            .as_ref()
            .is_none_or(|s| spec_part(&s.object) != spec_part(&object));
        if dry_run {
            if let Some(s) = &existing
                && spec_changed
            {
                let generation = s.object["metadata"]["generation"].as_i64().unwrap_or(1);
                object["metadata"]["generation"] = (generation + 1).into();
            }
            return Ok(Self::render(
                &Stored { object, managers },
                &kind.api_version(),
            ));
        }
        match existing {
            None => self.insert_new(kind, ns, name, object, managers),
            Some(s) => {
                if spec_changed {
                    let generation = s.object["metadata"]["generation"].as_i64().unwrap_or(1);
                    object["metadata"]["generation"] = (generation + 1).into();
                }
                object["metadata"]["resourceVersion"] = self.next_revision().into();
                self.objects.insert(k.clone(), Stored { object, managers });
                self.notify(kind, "MODIFIED", ns, name);
            }
        }
        if spec_changed && matches!(kind.kind, "Deployment" | "StatefulSet") {
            self.rollout(kind, ns, name);
        }
        if kind.kind == "Service" {
            self.assign_address(kind, ns, name);
        }
        let stored = self.objects.get(&k).expect("just stored");
        Ok(Self::render(stored, &kind.api_version()))
    }

    /// The simulated controller reacting to a new generation, per [`Readiness`].
    fn rollout(&mut self, kind: &Kind, ns: Option<&str>, name: &str) {
        let k = key(kind, ns, name);
        let Some(stored) = self.objects.get(&k) else {
            return;
        };
        let images: Vec<&str> = stored
            .object
            .pointer("/spec/template/spec/containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("image").and_then(Value::as_str))
            .collect();
        // An unpullable image fails on the Pods (named `<name>-<hash>-<id>`), anything else on
        // the workload itself.
        let (readiness, event_on_pod) = match &self.never_ready_image {
            Some((prefix, reason, message))
                if images.iter().any(|i| i.starts_with(prefix.as_str())) =>
            {
                (
                    Readiness::Never {
                        reason: reason.clone(),
                        message: message.clone(),
                    },
                    true,
                )
            }
            _ => (self.readiness.clone(), false),
        };
        let generation = stored.object["metadata"]["generation"]
            .as_i64()
            .unwrap_or(1);
        let replicas = stored
            .object
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let status = match &readiness {
            Readiness::Immediate => ready_status(kind, generation, replicas),
            Readiness::After(_) => json!({
                "observedGeneration": generation,
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": 0,
                "availableReplicas": 0,
            }),
            Readiness::Never { reason, message } => {
                let (involved_kind, involved_name) = if event_on_pod {
                    ("Pod".to_string(), format!("{name}-5d4f{generation}-x2x9k"))
                } else {
                    (kind.kind.to_string(), name.to_string())
                };
                let event = json!({
                    "apiVersion": "v1",
                    "kind": "Event",
                    "metadata": { "name": format!("{name}.{generation}"), "namespace": ns },
                    "involvedObject": { "kind": involved_kind, "name": involved_name, "namespace": ns },
                    "type": "Warning",
                    "reason": reason,
                    "message": message,
                    "lastTimestamp": "2026-01-01T00:00:00Z",
                });
                let events = KINDS.iter().find(|k| k.kind == "Event").copied();
                if let Some(events) = events {
                    let event_name = format!("{name}.{generation}");
                    self.insert_new(&events, ns, &event_name, event, BTreeMap::new());
                }
                json!({
                    "observedGeneration": generation,
                    "replicas": replicas,
                    "updatedReplicas": replicas,
                    "readyReplicas": 0,
                    "availableReplicas": 0,
                    "conditions": [
                        { "type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable", "message": "Deployment does not have minimum availability." },
                        { "type": "Progressing", "status": "False", "reason": reason, "message": message },
                    ],
                })
            }
        };
        let _ = self.set_status(kind, ns, name, status);
    }

    /// The simulated MetalLB controller: a `LoadBalancer` Service whose pool annotation names an
    /// existing `IPAddressPool` gets the pool's next free IPv4 address in its status; a Service
    /// that is no longer a `LoadBalancer` loses it.
    fn assign_address(&mut self, kind: &Kind, ns: Option<&str>, name: &str) {
        let Some(stored) = self.objects.get(&key(kind, ns, name)) else {
            return;
        };
        let has_address = stored
            .object
            .pointer("/status/loadBalancer/ingress")
            .is_some();
        let is_lb =
            stored.object.pointer("/spec/type").and_then(Value::as_str) == Some("LoadBalancer");
        if !is_lb {
            if has_address {
                let _ = self.set_status(kind, ns, name, json!({ "loadBalancer": {} }));
            }
            return;
        }
        if has_address {
            return;
        }
        let Some(pool) = stored
            .object
            .pointer("/metadata/annotations/metallb.universe.tf~1address-pool")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return;
        };
        let cidr = self
            .objects
            .iter()
            .find(|((res, _, n), _)| res == "ipaddresspools.metallb.io" && *n == pool)
            .and_then(|(_, s)| {
                s.object
                    .pointer("/spec/addresses/0")
                    .and_then(Value::as_str)
            })
            .map(str::to_string);
        let Some((base, _)) = cidr.as_deref().and_then(|c| c.split_once('/')) else {
            return;
        };
        let Ok(base) = base.parse::<std::net::Ipv4Addr>() else {
            return;
        };
        let taken = self
            .objects
            .values()
            .filter(|s| {
                s.object
                    .pointer("/status/loadBalancer/ingress/0/ip")
                    .is_some()
            })
            .count() as u32;
        let ip = std::net::Ipv4Addr::from(u32::from(base) + taken);
        let _ = self.set_status(
            kind,
            ns,
            name,
            json!({ "loadBalancer": { "ingress": [{ "ip": ip.to_string(), "ipMode": "VIP" }] } }),
        );
    }

    /// Replaces the status (the status subresource); bumps the resource version.
    pub fn set_status(
        &mut self,
        kind: &Kind,
        ns: Option<&str>,
        name: &str,
        status: Value,
    ) -> Result<Value, Failure> {
        let rv = self.revision + 1;
        let stored = self
            .objects
            .get_mut(&key(kind, ns, name))
            .ok_or_else(|| Failure::not_found(kind, name))?;
        stored.object["status"] = status;
        stored.object["metadata"]["resourceVersion"] = rv.to_string().into();
        self.revision = rv;
        let object = Self::render(stored, &kind.api_version());
        self.send(kind, "MODIFIED", ns, name, object.clone());
        Ok(object)
    }

    /// Marks a rolled-out workload ready if its generation is still `generation`.
    pub fn finish_rollout(&mut self, kind: &Kind, ns: Option<&str>, name: &str, generation: i64) {
        let Some(stored) = self.objects.get(&key(kind, ns, name)) else {
            return;
        };
        if stored.object["metadata"]["generation"].as_i64() != Some(generation) {
            return;
        }
        let replicas = stored
            .object
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let _ = self.set_status(kind, ns, name, ready_status(kind, generation, replicas));
    }

    pub fn delete(&mut self, kind: &Kind, ns: Option<&str>, name: &str) -> Result<Value, Failure> {
        let removed = self
            .objects
            .remove(&key(kind, ns, name))
            .ok_or_else(|| Failure::not_found(kind, name))?;
        if kind.kind == "Namespace" {
            self.objects.retain(|(_, n, _), _| n != name);
        }
        self.revision += 1;
        let object = Self::render(&removed, &kind.api_version());
        self.send(kind, "DELETED", ns, name, object.clone());
        Ok(object)
    }

    /// Every object's `(apiVersion/kind, namespace, name)` except namespaces and events.
    pub fn names(&self) -> BTreeSet<String> {
        self.objects
            .iter()
            .filter(|((res, _, _), _)| res != "namespaces" && res != "events")
            .map(|((_, ns, name), s)| {
                format!(
                    "{}/{} {}/{}",
                    s.object["apiVersion"].as_str().unwrap_or(""),
                    s.object["kind"].as_str().unwrap_or(""),
                    ns,
                    name
                )
            })
            .collect()
    }
}

fn ready_status(kind: &Kind, generation: i64, replicas: i64) -> Value {
    let mut status = json!({
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "currentReplicas": replicas,
    });
    if kind.kind == "Deployment" {
        status["conditions"] = json!([
            { "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable" },
            { "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable" },
        ]);
    }
    status
}
