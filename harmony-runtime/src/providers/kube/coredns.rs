//! [`CoreDns`]: the records Harmony manages in a zone, as one ConfigMap that CoreDNS serves.
//!
//! The ConfigMap `harmony-dns-<zone, dots as dashes>` (namespace `kube-system` by default,
//! labelled `app.kubernetes.io/managed-by=harmony` and `harmony.io/dns-zone=<zone>`) holds:
//!
//! - one key per record, `<TYPE>.<name>` (e.g. `A.shop.home.arpa`), whose value is the record's
//!   zone-file line (`shop.home.arpa. 300 IN A 10.0.0.240`);
//! - `serial`, the zone's SOA serial, one more at every change;
//! - `db.<zone>`, the whole zone file (`$ORIGIN`, SOA, NS, then every record line in key order),
//!   for CoreDNS's `file` plugin: mount the ConfigMap and add
//!   `file /etc/coredns/harmony/db.<zone> <zone>` to the Corefile.
//!
//! Each record is a step of its own, so several may change the ConfigMap at once. It is created
//! empty (field manager `harmony-dns-create`); then every write is a server-side apply (field
//! manager `harmony-dns`) of the whole data, preconditioned on the `resourceVersion` it was
//! computed from: a write that lost a race is refused with a 409 and
//! redone from a fresh read. The result depends only on the set of records, never on the order
//! of the steps; a removed record's key and line disappear.
//!
//! A record whose data is [`RecordData::LoadBalancerOf`] resolves at apply time to the first
//! address in the Service's `status.loadBalancer.ingress`; none yet is a transient error.

use std::collections::BTreeMap;

use harmony_dsl::capability::DnsServer;
use harmony_dsl::resource::{DnsRecord, MANAGED_BY, RecordData};
use harmony_dsl::{BoxFuture, Change, Error, Inspection, Observed, Outcome, Result};
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Api;
use kube::api::{Patch, PatchParams};

use super::client::{Connection, Target};
use super::errors::from_kube;
use crate::providers::CoreDns;

/// The field manager CoreDns writes its ConfigMap as.
pub const DNS_FIELD_MANAGER: &str = "harmony-dns";

/// The field manager that creates the ConfigMap, empty, before records are written into it.
pub const DNS_CREATE_FIELD_MANAGER: &str = "harmony-dns-create";

/// The label naming the zone of a CoreDns ConfigMap.
pub const ZONE_LABEL: &str = "harmony.io/dns-zone";

/// How many times a write that lost a race is redone before giving up (transiently).
const WRITE_ATTEMPTS: usize = 8;

/// TTL of the zone's SOA and NS records, seconds.
const ZONE_TTL: u32 = 3600;

/// Name of the ConfigMap holding `zone`'s records: `harmony-dns-home-arpa` for `home.arpa`.
pub fn configmap_name(zone: &str) -> String {
    format!(
        "harmony-dns-{}",
        zone.trim_end_matches('.').replace('.', "-")
    )
}

fn record_type(record: &DnsRecord) -> &'static str {
    match record.data {
        RecordData::A(ip) if !ip.is_ipv4() => "AAAA",
        RecordData::A(_) | RecordData::LoadBalancerOf { .. } => "A",
        RecordData::Cname(_) => "CNAME",
    }
}

/// The ConfigMap key of a record: `<TYPE>.<name>`.
fn record_key(record: &DnsRecord) -> String {
    format!("{}.{}", record_type(record), record.name)
}

fn is_record_key(key: &str) -> bool {
    ["A.", "AAAA.", "CNAME."].iter().any(|p| key.starts_with(p))
}

/// The zone-file line of a record pointing at `value`.
fn record_line(record: &DnsRecord, value: &str) -> String {
    let value = match record.data {
        RecordData::Cname(_) => format!("{}.", value.trim_end_matches('.')),
        _ => value.to_string(),
    };
    format!(
        "{}. {} IN {} {value}",
        record.name,
        record.ttl,
        record_type(record)
    )
}

/// The zone file: origin, SOA with `serial`, NS, then the record lines in key order.
fn zone_file(zone: &str, serial: u64, records: &BTreeMap<String, String>) -> String {
    let mut text = format!(
        "$ORIGIN {zone}.\n@ {ZONE_TTL} IN SOA ns.{zone}. hostmaster.{zone}. {serial} 7200 3600 1209600 {ZONE_TTL}\n@ {ZONE_TTL} IN NS ns.{zone}.\n"
    );
    for line in records.values() {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// The data of the ConfigMap with `records`, after `previous_serial`.
fn configmap_data(
    zone: &str,
    previous_serial: u64,
    records: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let serial = previous_serial + 1;
    let mut data = BTreeMap::new();
    data.insert(format!("db.{zone}"), zone_file(zone, serial, &records));
    data.insert("serial".to_string(), serial.to_string());
    data.extend(records);
    data
}

/// `A shop.home.arpa`.
fn describe(record: &DnsRecord) -> String {
    format!("{} {}", record_type(record), record.name)
}

impl CoreDns {
    fn zone_name(&self) -> String {
        self.zone.to_string().trim_end_matches('.').to_string()
    }

    fn target(&self) -> Target {
        Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }

    async fn client(&self) -> Result<kube::Client> {
        Ok(Connection::get(&self.target()).await?.client)
    }

    fn check_zone(&self, record: &DnsRecord) -> Result<()> {
        let zone = self.zone_name();
        let name = record.name.to_string();
        if name == zone || name.ends_with(&format!(".{zone}")) {
            Ok(())
        } else {
            Err(Error::permanent(format!(
                "record {} is not in zone `{zone}`, the zone `{}` serves",
                describe(record),
                <Self as harmony_dsl::Provider>::NAME
            )))
        }
    }

    async fn live(&self, api: &Api<ConfigMap>) -> Result<Option<ConfigMap>> {
        let name = configmap_name(&self.zone_name());
        api.get_opt(&name).await.map_err(|e| {
            from_kube(
                e,
                &format!("read ConfigMap {}/{name}", self.namespace),
                None,
            )
        })
    }

    /// The record's value: its address or alias, or the load balancer's address of the Service
    /// (`None` when it has none yet).
    async fn resolve(&self, client: &kube::Client, record: &DnsRecord) -> Result<Option<String>> {
        match &record.data {
            RecordData::A(ip) => Ok(Some(ip.to_string())),
            RecordData::Cname(target) => Ok(Some(target.to_string())),
            RecordData::LoadBalancerOf { namespace, service } => {
                let api: Api<Service> = Api::namespaced(client.clone(), namespace);
                let live = api.get_opt(service).await.map_err(|e| {
                    from_kube(e, &format!("read Service {namespace}/{service}"), None)
                })?;
                Ok(live
                    .and_then(|s| s.status)
                    .and_then(|s| s.load_balancer)
                    .and_then(|lb| lb.ingress)
                    .and_then(|ingress| {
                        ingress
                            .into_iter()
                            .find_map(|i| i.ip.filter(|ip| !ip.is_empty()))
                    }))
            }
        }
    }

    async fn inspect_record(&self, record: &DnsRecord) -> Result<Inspection> {
        self.check_zone(record)?;
        let client = self.client().await?;
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), &self.namespace);
        let live = self.live(&api).await?;
        let version = live
            .as_ref()
            .and_then(|c| c.metadata.resource_version.clone());
        let current = live
            .and_then(|c| c.data)
            .and_then(|mut d| d.remove(&record_key(record)));
        let wanted = self
            .resolve(&client, record)
            .await?
            .map(|value| record_line(record, &value));
        let observed = match version {
            Some(value) => Observed::ResourceVersion { value },
            None => Observed::Absent,
        };
        let change = match (current, wanted) {
            (None, Some(line)) => Change::Create {
                summary: format!("add {line}"),
            },
            (None, None) => Change::Create {
                summary: format!(
                    "add {} (the load balancer's address, known at apply)",
                    describe(record)
                ),
            },
            (Some(old), Some(new)) if old == new => Change::None,
            (Some(old), Some(new)) => Change::Update {
                diff: vec![format!("~ {old} -> {new}")],
            },
            (Some(old), None) => Change::Update {
                diff: vec![format!(
                    "~ {old} -> the load balancer's address, known at apply"
                )],
            },
        };
        Ok(Inspection { change, observed })
    }

    /// Sets (`Some`) or removes (`None`) the line of `key`, redoing the write when it lost a race.
    async fn write(&self, client: kube::Client, key: &str, line: Option<String>) -> Result<bool> {
        let zone = self.zone_name();
        let name = configmap_name(&zone);
        let what = format!("ConfigMap {}/{name}", self.namespace);
        let api: Api<ConfigMap> = Api::namespaced(client, &self.namespace);
        for _ in 0..WRITE_ATTEMPTS {
            let live = self.live(&api).await?;
            let version = live
                .as_ref()
                .and_then(|c| c.metadata.resource_version.clone());
            let data = live.and_then(|c| c.data).unwrap_or_default();
            if data.get(key) == line.as_ref() {
                return Ok(false);
            }
            let labels = BTreeMap::from([
                (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
                (ZONE_LABEL.to_string(), zone.clone()),
            ]);
            let Some(version) = version else {
                // Create it empty first, as another manager: two steps creating it at once
                // then both write their record with a precondition instead of one replacing
                // the other's data.
                let skeleton = ConfigMap {
                    metadata: ObjectMeta {
                        name: Some(name.clone()),
                        namespace: Some(self.namespace.clone()),
                        labels: Some(labels),
                        ..Default::default()
                    },
                    ..Default::default()
                };
                let params = PatchParams::apply(DNS_CREATE_FIELD_MANAGER);
                api.patch(&name, &params, &Patch::Apply(&skeleton))
                    .await
                    .map_err(|e| from_kube(e, &format!("create {what}"), None))?;
                continue;
            };
            let previous_serial = data
                .get("serial")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            let mut records: BTreeMap<String, String> =
                data.into_iter().filter(|(k, _)| is_record_key(k)).collect();
            match &line {
                Some(line) => records.insert(key.to_string(), line.clone()),
                None => records.remove(key),
            };
            let object = ConfigMap {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(self.namespace.clone()),
                    resource_version: Some(version),
                    labels: Some(labels),
                    ..Default::default()
                },
                data: Some(configmap_data(&zone, previous_serial, records)),
                ..Default::default()
            };
            let params = PatchParams::apply(DNS_FIELD_MANAGER);
            match api.patch(&name, &params, &Patch::Apply(&object)).await {
                Ok(_) => return Ok(true),
                // Someone wrote it since it was read (or created it meanwhile): read again.
                Err(kube::Error::Api(status)) if status.code == 409 || status.code == 404 => {}
                Err(e) => return Err(from_kube(e, &format!("apply {what}"), None)),
            }
        }
        Err(Error::transient(format!(
            "{what} kept changing while this record was written ({WRITE_ATTEMPTS} attempts)"
        )))
    }

    async fn apply_record(&self, record: &DnsRecord) -> Result<Outcome> {
        self.check_zone(record)?;
        let client = self.client().await?;
        let Some(value) = self.resolve(&client, record).await? else {
            return Err(Error::transient(format!(
                "{}: the Service has no load-balancer address yet",
                describe(record)
            )));
        };
        let line = record_line(record, &value);
        let changed = self
            .write(client, &record_key(record), Some(line.clone()))
            .await?;
        Ok(if changed {
            Outcome::changed(format!("set {line}"))
        } else {
            Outcome::Unchanged
        })
    }

    async fn remove_record(&self, record: &DnsRecord) -> Result<Outcome> {
        let client = self.client().await?;
        let changed = self.write(client, &record_key(record), None).await?;
        Ok(if changed {
            Outcome::changed(format!("removed {}", describe(record)))
        } else {
            Outcome::Unchanged
        })
    }
}

impl DnsServer for CoreDns {
    fn inspect<'a>(&'a self, record: &'a DnsRecord) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(self.inspect_record(record))
    }

    fn apply<'a>(&'a self, record: &'a DnsRecord) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.apply_record(record))
    }

    fn remove<'a>(&'a self, record: &'a DnsRecord) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(self.remove_record(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, data: RecordData) -> DnsRecord {
        DnsRecord {
            name: name.parse().unwrap(),
            data,
            ttl: 300,
        }
    }

    #[test]
    fn zone_file_lists_records_in_key_order_whatever_the_insertion_order() {
        let a = record("shop.home.arpa", RecordData::A("10.0.0.5".parse().unwrap()));
        let c = record(
            "www.home.arpa",
            RecordData::Cname("shop.home.arpa".parse().unwrap()),
        );
        let lines = [
            (record_key(&c), record_line(&c, "shop.home.arpa")),
            (record_key(&a), record_line(&a, "10.0.0.5")),
        ];
        let forward: BTreeMap<String, String> = lines.iter().cloned().collect();
        let backward: BTreeMap<String, String> = lines.iter().rev().cloned().collect();
        let data = configmap_data("home.arpa", 6, forward);
        assert_eq!(data, configmap_data("home.arpa", 6, backward));
        assert_eq!(data["serial"], "7");
        assert_eq!(
            data["db.home.arpa"],
            "$ORIGIN home.arpa.\n\
             @ 3600 IN SOA ns.home.arpa. hostmaster.home.arpa. 7 7200 3600 1209600 3600\n\
             @ 3600 IN NS ns.home.arpa.\n\
             shop.home.arpa. 300 IN A 10.0.0.5\n\
             www.home.arpa. 300 IN CNAME shop.home.arpa.\n"
        );
        assert_eq!(
            data["A.shop.home.arpa"],
            "shop.home.arpa. 300 IN A 10.0.0.5"
        );
        assert_eq!(configmap_name("home.arpa"), "harmony-dns-home-arpa");
    }

    #[test]
    fn ipv6_addresses_are_aaaa_records() {
        let r = record("v6.home.arpa", RecordData::A("fd00::5".parse().unwrap()));
        assert_eq!(record_key(&r), "AAAA.v6.home.arpa");
        assert_eq!(
            record_line(&r, "fd00::5"),
            "v6.home.arpa. 300 IN AAAA fd00::5"
        );
    }
}
