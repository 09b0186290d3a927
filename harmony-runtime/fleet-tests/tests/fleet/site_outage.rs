//! Sites that lose their network, on the hub-and-leaf-nodes topology of [`crate::sites`]: a cut
//! uplink, a device offline while an apply happens, two operators (one at the hub, one at a
//! site) applying at once, and a site cut during a rollout (failed at the timeout and rolled
//! back, or done once the link returns in time).

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures_util::StreamExt;
use harmony_dsl::capability::Fleet;
use harmony_dsl::outcome::{Change, Observed};
use harmony_dsl::resource::DeviceSpec;
use harmony_dsl::rollout::{Canary, RolloutGroup, RolloutPolicy};
use harmony_dsl::{LiveStatus, Placement};
use harmony_runtime::providers::NatsFleet;
use harmony_runtime::providers::nats::rollout::{
    DeviceState, RolloutPhase, RolloutTarget, Rollouts,
};
use harmony_runtime::providers::nats::wire::encode_spec;
use harmony_runtime::providers::nats::{FleetStore, Phase};
use tokio::task::block_in_place;

use crate::sites::Sites;
use crate::support::*;

/// The fleet of every device of `sites`, through the hub.
fn fleet(sites: &Sites) -> NatsFleet {
    NatsFleet {
        url: sites.hub_url().parse().expect("hub url"),
        devices: sites
            .devices()
            .into_iter()
            .map(|d| serde_json::from_value::<Placement>(d.into()).expect("placement"))
            .collect(),
    }
}

fn marker(sites: &Sites, device: &str) -> PathBuf {
    sites.dir().join(format!("{device}.marker"))
}

fn app(sites: &Sites, device: &str, tag: &str) -> DeviceSpec {
    spec(
        device,
        vec![marker_workload("app", &marker(sites, device), tag)],
    )
}

/// Writes `tag` for every device in `devices`; the revision each write was acknowledged at.
async fn apply_all(
    operator: &FleetStore,
    sites: &Sites,
    devices: &[String],
    tag: &str,
) -> BTreeMap<String, u64> {
    let mut acknowledged = BTreeMap::new();
    for device in devices {
        let (_, revision) = operator
            .apply_with_revision(&app(sites, device, tag))
            .await
            .expect("the hub acknowledges the write");
        acknowledged.insert(device.clone(), revision);
    }
    acknowledged
}

/// Waits until every device in `revisions` reports its key converged at that revision.
async fn all_converged(operator: &FleetStore, sites: &Sites, revisions: &BTreeMap<String, u64>) {
    for (device, revision) in revisions {
        let key = operator.key(&app(sites, device, ""));
        converged(operator, device, &key, *revision).await;
    }
}

/// Waits until `device`'s marker holds exactly `tags` (the workload writes it as it starts).
async fn markers_become(sites: &Sites, device: &str, tags: &[&str]) {
    let path = marker(sites, device);
    eventually(&format!("{device}'s marker to be {tags:?}"), || async {
        (marker_lines(&path) == tags).then_some(())
    })
    .await;
}

fn line<'a>(lines: &'a [LiveStatus], subject: &str) -> Option<&'a LiveStatus> {
    lines.iter().find(|l| l.subject == subject)
}

/// The pid of `device`'s workload, from its last status.
async fn workload_pid(operator: &FleetStore, device: &str) -> u32 {
    let status = operator
        .status(device)
        .await
        .expect("status")
        .expect("reported");
    status.workloads[0].pid.expect("running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_site_keeps_running_its_last_spec_and_converges_when_the_link_returns() {
    let sites = block_in_place(|| Sites::start("hs-cut", 2, 3));
    let operator = operator(sites.hub_url()).await;
    let fleet = fleet(&sites);
    let devices = sites.devices();
    let v1 = apply_all(&operator, &sites, &devices, "v1").await;
    all_converged(&operator, &sites, &v1).await;
    let cut = sites.sites()[0].name.clone();
    let cut_devices = sites.site(&cut).devices.clone();
    let mut running = BTreeMap::new();
    for device in &cut_devices {
        running.insert(device.clone(), workload_pid(&operator, device).await);
    }

    block_in_place(|| sites.cut(&cut));
    // Desired state written at the hub during the cut: every write is acknowledged.
    let v2 = apply_all(&operator, &sites, &devices, "v2").await;
    let reachable: BTreeMap<String, u64> = v2
        .iter()
        .filter(|(d, _)| !cut_devices.contains(d))
        .map(|(d, r)| (d.clone(), *r))
        .collect();
    all_converged(&operator, &sites, &reachable).await;

    // `status` names the site unreachable and its devices offline; the other site is fine.
    let lines = eventually(&format!("status to report {cut} unreachable"), || async {
        let lines = fleet.status().await.ok()?;
        line(&lines, &format!("site {cut}"))
            .is_some_and(|l| l.state == "unreachable")
            .then_some(lines)
    })
    .await;
    let site_line = line(&lines, &format!("site {cut}")).expect("site line");
    for device in &cut_devices {
        assert!(site_line.detail.contains(device.as_str()), "{site_line:?}");
        let device_line = line(&lines, &format!("device {device}")).expect("device line");
        assert!(device_line.state.starts_with("offline"), "{device_line:?}");
        assert!(
            device_line.detail.contains(&format!("via {cut}")),
            "{device_line:?}"
        );
    }
    let other = &sites.sites()[1];
    assert!(
        line(&lines, &format!("site {}", other.name)).is_none(),
        "{lines:?}"
    );
    for device in &other.devices {
        let device_line = line(&lines, &format!("device {device}")).expect("device line");
        assert_eq!(device_line.state, "online converged", "{device_line:?}");
    }

    // Cut off, its devices keep running their last spec, untouched.
    for (device, pid) in &running {
        assert!(
            alive(*pid),
            "{device}'s workload stopped:\n{}",
            sites.logs()
        );
        assert_eq!(marker_lines(&marker(&sites, device)), ["v1"], "{device}");
    }

    block_in_place(|| sites.restore(&cut));
    // Everything converges on what was acknowledged during the cut, and it is still stored.
    all_converged(&operator, &sites, &v2).await;
    for device in &cut_devices {
        markers_become(&sites, device, &["v1", "v2"]).await;
        let old = running[device];
        eventually(&format!("{device}'s v1 copy to stop"), || async {
            (!alive(old)).then_some(())
        })
        .await;
    }
    for (device, revision) in &v2 {
        let stored = operator.revision(&app(&sites, device, "v2")).await;
        assert_eq!(stored.expect("read"), Some(*revision), "{device}");
    }
    let lines = eventually("every site reachable again", || async {
        let lines = fleet.status().await.ok()?;
        lines
            .iter()
            .all(|l| l.state == "online converged")
            .then_some(lines)
    })
    .await;
    assert_eq!(lines.len(), devices.len(), "no site line left: {lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_offline_during_an_apply_gets_it_when_it_returns() {
    let mut sites = block_in_place(|| Sites::start("hs-off", 2, 3));
    let operator = operator(sites.hub_url()).await;
    let fleet = fleet(&sites);
    let devices = sites.devices();
    let v1 = apply_all(&operator, &sites, &devices, "v1").await;
    all_converged(&operator, &sites, &v1).await;

    // `b2`'s agent dies (no goodbye) while the apply happens.
    let down = sites.sites()[1].devices[1].clone();
    let site = sites.site_of(&down).name.clone();
    block_in_place(|| sites.kill_agent(&down));
    let v2 = apply_all(&operator, &sites, &devices, "v2").await;
    let others: BTreeMap<String, u64> = v2
        .iter()
        .filter(|(d, _)| **d != down)
        .map(|(d, r)| (d.clone(), *r))
        .collect();
    all_converged(&operator, &sites, &others).await;
    let lines = eventually(&format!("status to report {down} offline"), || async {
        let lines = fleet.status().await.ok()?;
        line(&lines, &format!("device {down}"))
            .is_some_and(|l| l.state.starts_with("offline"))
            .then_some(lines)
    })
    .await;
    // One silent device is that device, not its site: the others there answer.
    assert!(line(&lines, &format!("site {site}")).is_none(), "{lines:?}");
    assert_eq!(marker_lines(&marker(&sites, &down)), ["v1"]);

    block_in_place(|| sites.start_agent(&down));
    all_converged(&operator, &sites, &v2).await;
    // Restarted, it first runs its local copy (v1 again), then what it missed.
    let path = marker(&sites, &down);
    eventually(&format!("{down} to run v2"), || async {
        (marker_lines(&path).last().map(String::as_str) == Some("v2")).then_some(())
    })
    .await;
    let status = operator.status(&down).await.unwrap().expect("status");
    assert_eq!(status.phase, Phase::Converged);
    assert_eq!(status.server.as_deref(), Some(site.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operators_at_the_hub_and_at_a_site_apply_at_once_one_wins_without_a_double_write() {
    let sites = block_in_place(|| Sites::start("hs-ops", 2, 3));
    let hub = operator(sites.hub_url()).await;
    // The second operator works at site b, through its leaf node.
    let at_site = sites.site_operator(&sites.sites()[1].name).await;
    let device = sites.sites()[0].devices[0].clone();
    let v1 = app(&sites, &device, "v1");
    let (_, first) = hub.apply_with_revision(&v1).await.expect("apply");
    let key = hub.key(&v1);
    converged(&hub, &device, &key, first).await;
    let client = async_nats::connect(sites.hub_url()).await.expect("connect");
    let bucket = async_nats::jetstream::new(client)
        .get_key_value("harmony-desired")
        .await
        .expect("bucket");

    for round in 0..3 {
        let ours = app(&sites, &device, &format!("hub-{round}"));
        let theirs = app(&sites, &device, &format!("site-{round}"));
        let Race { read, winner, .. } = race((&hub, &ours), (&at_site, &theirs)).await;
        let Observed::Revision { value: read } = read else {
            panic!("round {round}: read {read:?}");
        };
        // Exactly one write after the revision both read: never a double write.
        let mut history = bucket.history(key.as_str()).await.expect("history");
        let mut after = Vec::new();
        while let Some(entry) = history.next().await {
            let entry = entry.expect("entry");
            if entry.revision > read {
                after.push(entry.revision);
            }
        }
        assert_eq!(
            after.len(),
            1,
            "round {round}: writes after {read}: {after:?}"
        );
        assert_eq!(hub.inspect(&winner).await.unwrap().change, Change::None);
        // The device runs the winner's spec.
        converged(&hub, &device, &key, after[0]).await;
        let tag = match &winner.workloads[0].env["TAG"] {
            harmony_dsl::resource::EnvValue::Plain(tag) => tag.clone(),
            other => panic!("{other:?}"),
        };
        eventually(&format!("round {round}: {device} to run {tag}"), || async {
            (marker_lines(&marker(&sites, &device)).last() == Some(&tag)).then_some(())
        })
        .await;
    }
}

/// The topology itself: what a killed earlier run left (a namespace of the same prefix with a
/// process still in it) is removed at start, and nothing of it is left after drop.
#[test]
fn the_topology_removes_what_a_killed_run_left_and_leaves_nothing_behind() {
    let prefix = "hs-stale";
    let names = |prefix: &str| -> Vec<String> {
        let out = std::process::Command::new("ip")
            .args(["netns", "list"])
            .output()
            .expect("ip netns list");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .filter(|n| n.starts_with(&format!("{prefix}-")))
            .map(str::to_string)
            .collect()
    };
    // A killed run's leftovers: its hub namespace, a process still running in it.
    let ns = format!("{prefix}-hub");
    let _ = std::process::Command::new("ip")
        .args(["netns", "delete", &ns])
        .stderr(std::process::Stdio::null())
        .status();
    let added = std::process::Command::new("ip")
        .args(["netns", "add", &ns])
        .status()
        .expect("ip netns add");
    assert!(added.success());
    let mut leftover = std::process::Command::new("ip")
        .args(["netns", "exec", &ns, "sleep", "600"])
        .spawn()
        .expect("a process in the namespace");
    let pid = leftover.id();

    let sites = Sites::start(prefix, 1, 1);
    let _ = leftover.wait();
    assert!(!alive(pid), "the leftover process still runs");
    assert_eq!(
        names(prefix),
        [format!("{prefix}-hub"), format!("{prefix}-s1")]
    );
    drop(sites);
    assert!(names(prefix).is_empty(), "left behind: {:?}", names(prefix));
}

/// A rollout of `tag` over every device of `sites`, the last site's devices first (the canary is
/// one of them), then one wave of everything else at once; `threshold` failures halt it.
fn site_rollout(sites: &Sites, tag: &str, threshold: u32, timeout: &str) -> RolloutTarget {
    let mut group: Vec<String> = Vec::new();
    for site in sites.sites().iter().rev() {
        group.extend(site.devices.iter().cloned());
    }
    RolloutTarget {
        score: "app".to_string(),
        policy: RolloutPolicy {
            group: RolloutGroup::Devices(group.clone()),
            canary: Canary::Devices(1),
            waves: 1,
            max_unavailable: group.len() as u32,
            failure_threshold: threshold,
            healthy_for: "1s".parse().expect("duration"),
            timeout: timeout.parse().expect("duration"),
        },
        specs: group.iter().map(|d| app(sites, d, tag)).collect(),
        labels: BTreeMap::new(),
    }
}

/// Two sites of three devices (namespaces named after `prefix`), every device converged at
/// `v1`, then the first site's uplink cut: the sites, a hub operator, the cut site's name.
async fn v1_then_cut(prefix: &str) -> (Sites, FleetStore, String) {
    let sites = block_in_place(|| Sites::start(prefix, 2, 3));
    let operator = operator(sites.hub_url()).await;
    let v1 = apply_all(&operator, &sites, &sites.devices(), "v1").await;
    all_converged(&operator, &sites, &v1).await;
    let cut = sites.sites()[0].name.clone();
    block_in_place(|| sites.cut(&cut));
    (sites, operator, cut)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_cut_during_a_rollout_fails_at_the_timeout_is_rolled_back_and_gets_it_on_return() {
    let (sites, operator, cut) = v1_then_cut("hs-rcut").await;
    let (devices, cut_devices) = (sites.devices(), sites.site(&cut).devices.clone());
    // The other site's canary and devices are done; the cut site's three fail at the timeout,
    // under the threshold of 4, and are rolled back at the hub while still cut off.
    let target = site_rollout(&sites, "v2", 4, "20s");
    let rollouts = Rollouts::new(operator.clone()).await.expect("rollouts");
    let lines = std::sync::Mutex::new(Vec::new());
    let report = rollouts
        .run(&target, &|l| {
            lines.lock().expect("lines").push(l.to_string())
        })
        .await
        .expect("the rollout runs");
    let shown = lines.lock().expect("lines").join("\n");
    let view = &report.view;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{shown}");
    for device in &devices {
        let key = operator.key(&app(&sites, device, ""));
        let writes = desired_writes(sites.hub_url(), &key).await;
        if cut_devices.contains(device) {
            assert_eq!(view.state(device), DeviceState::Failed, "{shown}");
            let reason = view.devices[device].reason.clone().unwrap_or_default();
            assert!(
                reason.starts_with("not healthy after 20s: ") && reason.ends_with("; rolled back"),
                "{device}: {reason}"
            );
            // v1, v2, v1 again: the rollback, once.
            assert_eq!(writes, 3, "{device}: {shown}");
        } else {
            assert_eq!(view.state(device), DeviceState::Done, "{shown}");
            assert_eq!(writes, 2, "{device}: {shown}");
            markers_become(&sites, device, &["v1", "v2"]).await;
        }
    }

    // The link returns: the cut devices converge on the rolled-back state (v1's bytes).
    block_in_place(|| sites.restore(&cut));
    for device in &cut_devices {
        let spec = app(&sites, device, "v1");
        let (revision, bytes) = operator.entry(&spec).await.expect("read").expect("key");
        assert_eq!(bytes.as_ref(), encode_spec(&spec).as_slice(), "{device}");
        converged(&operator, device, &operator.key(&spec), revision).await;
        eventually(&format!("{device} to run v1"), || async {
            let lines = marker_lines(&marker(&sites, device));
            (lines.last().map(String::as_str) == Some("v1")).then_some(())
        })
        .await;
    }
    // Nothing more was written.
    for device in &cut_devices {
        let key = operator.key(&app(&sites, device, ""));
        assert_eq!(desired_writes(sites.hub_url(), &key).await, 3, "{device}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_cut_during_a_rollout_finishes_it_when_the_link_returns_within_the_timeout() {
    let (sites, operator, cut) = v1_then_cut("hs-rret").await;
    let (devices, cut_devices) = (sites.devices(), sites.site(&cut).devices.clone());
    let target = site_rollout(&sites, "v2", 1, "5m");
    let driver = Rollouts::new(operator.clone()).await.expect("rollouts");
    let watcher = Rollouts::new(operator.clone()).await.expect("rollouts");
    let driving = tokio::spawn(async move { driver.run(&target, &|_| {}).await });
    // The cut site's devices are written at the hub and wait, in flight.
    eventually("the cut site's devices to be in flight", || async {
        let view = watcher.view("app").await.ok().flatten()?;
        cut_devices
            .iter()
            .all(|d| view.state(d) == DeviceState::InFlight)
            .then_some(())
    })
    .await;
    block_in_place(|| sites.restore(&cut));

    let report = driving
        .await
        .expect("the rollout task")
        .expect("the rollout runs");
    let view = &report.view;
    assert_eq!(view.record.phase, RolloutPhase::Done, "{}", view.summary());
    assert_eq!(
        view.count(DeviceState::Done),
        devices.len(),
        "{}",
        view.summary()
    );
    for device in &devices {
        let key = operator.key(&app(&sites, device, ""));
        // v1, then v2 once: nothing written twice across the cut.
        assert_eq!(desired_writes(sites.hub_url(), &key).await, 2, "{device}");
        markers_become(&sites, device, &["v1", "v2"]).await;
    }
}
