//! `CoreDns` against the test API server: records become one ConfigMap (a key and a zone-file
//! line per record, plus the whole zone file); steps running at once merge, the result does not
//! depend on their order, a second apply changes nothing, a changed record is a one-step diff,
//! removed records disappear, and a web app's record resolves to its load-balancer address.

use crate::support;

use harmony_dsl::resource::{DnsRecord, RecordData};
use harmony_dsl::{ErrorKind, Plan};
use harmony_runtime::ExitStatus;
use harmony_runtime::prelude::*;
use harmony_runtime::providers::dns_configmap_name;
use serde_json::{Value, json};
use support::apiserver::ApiServer;
use support::{kube_for, metallb_for, plan_doc, run_cli, runtime, web_app};

topology! {
    /// A cluster with its DNS and its load balancer.
    pub Zone {
        hosts {
            cp { arch: x86_64, address: "127.0.0.1", labels: [control_plane] }
        }
        capabilities {
            K8sCluster => Kube { context: "test" },
            DnsServer => CoreDns { on: cp, zone: "home.arpa" },
            LoadBalancer => MetalLb { pool: "10.0.0.240/28" },
        }
    }
}

struct Env {
    server: ApiServer,
    lb: MetalLb,
    state: std::path::PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let server = ApiServer::start(tag);
        server
            .apply_as(
                "installer",
                &json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "kube-system" } }),
            )
            .unwrap();
        let lb = metallb_for(&server);
        let state = server.dir().join("state");
        Env { server, lb, state }
    }

    fn dns(&self) -> CoreDns {
        let kube = kube_for(&self.server, "5s");
        CoreDns {
            on: Placement::of::<zone::cp>(),
            zone: "home.arpa".parse().unwrap(),
            context: "test".into(),
            kubeconfig: kube.kubeconfig,
            namespace: "kube-system".into(),
        }
    }

    fn topology(&self) -> Zone {
        Zone::new(kube_for(&self.server, "5s"), self.dns(), self.lb.clone())
    }

    fn apply(&self, plan: Plan<Zone>) -> ExitStatus {
        run_cli(&self.state, &["apply"], self.topology(), plan)
    }

    fn data(&self) -> Value {
        self.configmap()["data"].clone()
    }

    fn configmap(&self) -> Value {
        self.server
            .object(
                "v1",
                "ConfigMap",
                Some("kube-system"),
                &dns_configmap_name("home.arpa"),
            )
            .expect("the zone's ConfigMap")
    }
}

fn a(name: &str, ip: &str) -> DnsRecord {
    DnsRecord {
        name: name.parse().unwrap(),
        data: RecordData::A(ip.parse().unwrap()),
        ttl: 300,
    }
}

fn alias(name: &str, target: &str) -> DnsRecord {
    DnsRecord {
        name: name.parse().unwrap(),
        data: RecordData::Cname(target.parse().unwrap()),
        ttl: 60,
    }
}

/// Plan `names` with one step per record, all independent (they run at once).
fn records(list: &[DnsRecord]) -> Plan<Zone> {
    let mut plan = Plan::new("names");
    for record in list {
        plan.push_step(
            "names",
            Operation::new::<dyn harmony_dsl::capability::DnsServer>(record.clone()),
            &[],
        );
    }
    plan
}

fn five() -> Vec<DnsRecord> {
    vec![
        a("nas.home.arpa", "10.0.0.10"),
        a("printer.home.arpa", "10.0.0.11"),
        a("v6.home.arpa", "fd00::12"),
        alias("files.home.arpa", "nas.home.arpa"),
        a("home.arpa", "10.0.0.1"),
    ]
}

#[test]
fn records_merge_into_one_zone_whatever_the_order_and_are_pruned() {
    let env = Env::new("dns");
    assert_eq!(env.apply(records(&five())), ExitStatus::Ok);
    let data = env.data();
    assert_eq!(data["A.nas.home.arpa"], "nas.home.arpa. 300 IN A 10.0.0.10");
    assert_eq!(
        data["AAAA.v6.home.arpa"],
        "v6.home.arpa. 300 IN AAAA fd00::12"
    );
    assert_eq!(
        data["CNAME.files.home.arpa"],
        "files.home.arpa. 60 IN CNAME nas.home.arpa."
    );
    assert_eq!(data["serial"], "5", "one change per record");
    assert_eq!(
        data["db.home.arpa"],
        "$ORIGIN home.arpa.\n\
         @ 3600 IN SOA ns.home.arpa. hostmaster.home.arpa. 5 7200 3600 1209600 3600\n\
         @ 3600 IN NS ns.home.arpa.\n\
         home.arpa. 300 IN A 10.0.0.1\n\
         nas.home.arpa. 300 IN A 10.0.0.10\n\
         printer.home.arpa. 300 IN A 10.0.0.11\n\
         v6.home.arpa. 300 IN AAAA fd00::12\n\
         files.home.arpa. 60 IN CNAME nas.home.arpa.\n"
    );
    let labels = &env.configmap()["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/managed-by"], "harmony");
    assert_eq!(labels["harmony.io/dns-zone"], "home.arpa");

    // The same records in the opposite order, on another server: the same ConfigMap data.
    let other = Env::new("dns-reversed");
    let mut reversed = five();
    reversed.reverse();
    assert_eq!(other.apply(records(&reversed)), ExitStatus::Ok);
    assert_eq!(other.data(), data);

    // Second apply: nothing changes, not even the resourceVersion.
    let version = env.configmap()["metadata"]["resourceVersion"].clone();
    let (status, doc) = plan_doc(&env.state, env.topology(), records(&five()));
    assert_eq!(status, ExitStatus::Ok);
    for step in doc["steps"].as_array().unwrap() {
        assert_eq!(step["change"], json!({ "change": "none" }), "{step}");
    }
    assert_eq!(env.apply(records(&five())), ExitStatus::Ok);
    assert_eq!(env.configmap()["metadata"]["resourceVersion"], version);

    // A changed address is a one-step diff.
    let mut changed = five();
    changed[1] = a("printer.home.arpa", "10.0.0.99");
    let (_, doc) = plan_doc(&env.state, env.topology(), records(&changed));
    let diffs: Vec<&Value> = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["change"]["change"] != "none")
        .collect();
    assert_eq!(diffs.len(), 1, "{doc}");
    assert_eq!(
        diffs[0]["change"]["diff"],
        json!(["~ printer.home.arpa. 300 IN A 10.0.0.11 -> printer.home.arpa. 300 IN A 10.0.0.99"])
    );

    // Dropping two records prunes their keys and lines; the rest stays.
    assert_eq!(env.apply(records(&changed[..3])), ExitStatus::Ok);
    let data = env.data();
    assert!(data.get("CNAME.files.home.arpa").is_none(), "{data}");
    assert!(data.get("A.home.arpa").is_none(), "{data}");
    assert_eq!(
        data["A.printer.home.arpa"],
        "printer.home.arpa. 300 IN A 10.0.0.99"
    );
    let zone = data["db.home.arpa"].as_str().unwrap();
    assert!(!zone.contains("files.home.arpa"), "{zone}");
    assert!(!zone.contains("home.arpa. 300 IN A 10.0.0.1\n"), "{zone}");
    assert_eq!(zone.lines().count(), 3 + 3);
}

#[test]
fn a_web_app_name_resolves_to_its_load_balancer_address() {
    let env = Env::new("dns-lb");
    let mut plan: Plan<Zone> = Plan::new("site");
    plan.add(
        "shop",
        WebApp {
            dns: Some("shop.home.arpa".parse().unwrap()),
            ..web_app("registry.example.com/shop:1.0")
        },
        &[],
    );
    assert_eq!(env.apply(plan), ExitStatus::Ok);
    let address = env
        .server
        .object("v1", "Service", Some("default"), "shop")
        .expect("Service")["status"]["loadBalancer"]["ingress"][0]["ip"]
        .as_str()
        .expect("an address from the pool")
        .to_string();
    assert!(address.starts_with("10.0.0.24") || address.starts_with("10.0.0.25"));
    assert_eq!(
        env.data()["A.shop.home.arpa"],
        format!("shop.home.arpa. 300 IN A {address}")
    );
}

#[test]
fn a_record_outside_the_zone_is_refused() {
    let env = Env::new("dns-zone");
    let error = runtime()
        .block_on(DnsServer::apply(
            &env.dns(),
            &a("nas.example.com", "10.0.0.10"),
        ))
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Permanent);
    assert!(
        error.to_string().contains("not in zone `home.arpa`"),
        "{error}"
    );
}

#[test]
fn a_write_that_lost_a_race_is_redone_from_a_fresh_read() {
    let env = Env::new("dns-race");
    assert_eq!(
        env.apply(records(&[a("nas.home.arpa", "10.0.0.10")])),
        ExitStatus::Ok
    );
    // Another writer changes the ConfigMap between our read and our write: the precondition
    // fails with 409 (injected here once), the write is redone and keeps the other's record.
    env.server.inject(support::apiserver::Fault {
        method: Some(hyper::Method::PATCH),
        path_contains: Some("configmaps/harmony-dns-home-arpa".into()),
        code: 409,
        retry_after: None,
        times: 1,
    });
    env.server.clear_requests();
    let two = [
        a("nas.home.arpa", "10.0.0.10"),
        a("tv.home.arpa", "10.0.0.20"),
    ];
    assert_eq!(env.apply(records(&two)), ExitStatus::Ok);
    let codes: Vec<u16> = env
        .server
        .requests()
        .into_iter()
        .filter(|r| r.method == hyper::Method::PATCH && r.path.contains("configmaps"))
        .map(|r| r.code)
        .collect();
    assert_eq!(codes, [409, 200]);
    let data = env.data();
    assert_eq!(data["A.nas.home.arpa"], "nas.home.arpa. 300 IN A 10.0.0.10");
    assert_eq!(data["A.tv.home.arpa"], "tv.home.arpa. 300 IN A 10.0.0.20");
    assert_eq!(data["serial"], "2");
}
