//! A hub and its sites on one machine, for tests of sites that lose their network.
//!
//! [`Sites::start`] builds, as root, with iproute2:
//!
//! ```text
//!   test process ── 127.0.0.1:P ──(portal)──┐
//!                                           │  netns <prefix>-hub
//!                                           └─▶ nats-server "hub", JetStream (the buckets),
//!                                               leaf node listener 10.77.<n>.1:7422
//!            veth  site<n> (hub side, 10.77.<n>.1) ◀──▶ uplink (site side, 10.77.<n>.2)
//!   netns <prefix>-s<n>: nats-server "site-<x>", a leaf node of the hub without JetStream,
//!                        and its agents (`fleet-test-agent` under `ip netns exec`) on 10.77.<n>.2:4222
//! ```
//!
//! **How a site's agents reach the hub's JetStream: a JetStream domain.** The hub's JetStream
//! has the domain [`HUB_DOMAIN`] and the leaf nodes run without JetStream; agents (and an
//! operator working at a site) use the domain's API, `$JS.hub.API.>`, which the hub maps to its
//! JetStream and propagates over the leaf connections. The other way the documentation describes,
//! a leaf without JetStream passing the plain `$JS.API.>` on to its hub, does not work with
//! nats-server 2.15: the hub adds a deny of `$JS.API.>`, `$KV.>` and `$OBJ.>` for the leaf
//! connection when neither side has a domain, and even with a hub domain the leaf answers plain
//! `$JS.API.>` requests with no responders (checked by hand with a raw client: `$JS.hub.API.INFO`
//! answered by the hub through the leaf, `$JS.API.INFO` a 503). Giving each leaf a JetStream of its
//! own (and a domain each) would only add a store nobody uses: a device's copy of its desired state
//! is the agent's own file. While a site's uplink is cut its agents' JetStream requests find no
//! responder; they keep running what they have.
//!
//! Nothing outside the namespaces is touched: every address is 10.77.x inside them, except the
//! loopback portals by which the test process (in the root namespace) reaches a server inside one
//! (a thread that entered the namespace connects there and relays bytes). The veth pairs are
//! created directly inside the namespaces, so no interface name is ever taken in the root
//! namespace. Namespaces are named `<prefix>-…` with a prefix given per test: at start, those left
//! by a killed earlier run of the same test are removed (with any process still in them); on drop,
//! also while a test panics, agents, servers, portals and namespaces are removed.

use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harmony_runtime::providers::nats::{ConnectConfig, FleetStore};

use crate::support::{Agent, DEADLINE, TempDir, nats_server_bin, terminate};

/// The port every server listens on for clients, inside its own namespace.
const CLIENT_PORT: u16 = 4222;
/// The hub's leaf node port.
const LEAF_PORT: u16 = 7422;
/// The JetStream domain of the hub: what a client at a site (agent or operator) names to reach
/// the buckets (`--js-domain`, [`ConnectConfig::jetstream_domain`]).
pub const HUB_DOMAIN: &str = "hub";

/// A site: its leaf node's name, its namespace and its devices.
pub struct Site {
    /// The leaf node's `server_name`, e.g. `site-a`: what agents report and `status` names.
    pub name: String,
    /// Its network namespace.
    pub netns: String,
    /// Its devices, e.g. `a1`, `a2`, `a3`.
    pub devices: Vec<String>,
    /// The leaf node's client URL, as the site's agents use it.
    pub url: String,
}

/// A hub with JetStream and sites with leaf nodes and agents, each in its own network namespace.
/// Everything is stopped and removed on drop.
pub struct Sites {
    // Drop order is declaration order: agents, then servers, portals, namespaces, files.
    agents: Vec<(String, Agent)>,
    servers: Vec<NetnsServer>,
    portals: Mutex<Vec<Portal>>,
    sites: Vec<Site>,
    hub_url: String,
    // Held for their drop: removed after everything that runs in them.
    _namespaces: Vec<Netns>,
    dir: TempDir,
}

impl Sites {
    /// A hub and `sites` sites (at most 26, named `site-a`, `site-b`...) of `devices` agents each
    /// (`a1`...), every agent started. `prefix` names the namespaces (`<prefix>-hub`,
    /// `<prefix>-s1`...): give each test its own. Returns once every leaf node is connected to the
    /// hub and the hub is reachable through [`hub_url`](Self::hub_url).
    pub fn start(prefix: &str, sites: usize, devices: usize) -> Sites {
        assert!(
            (1..=26).contains(&sites),
            "between 1 and 26 sites, not {sites}"
        );
        assert!(
            prefix.len() <= 20
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "namespace prefix `{prefix}`: at most 20 of [A-Za-z0-9-]"
        );
        require_root();
        remove_stale(prefix);
        let dir = TempDir::new(&format!("sites-{prefix}"));
        let bin = nats_server_bin();
        let hub_netns = format!("{prefix}-hub");
        let mut namespaces = vec![Netns::add(&hub_netns)];
        let mut servers = Vec::new();
        let mut layout = Vec::new();
        for i in 1..=sites {
            let letter = (b'a' + (i - 1) as u8) as char;
            let netns = format!("{prefix}-s{i}");
            namespaces.push(Netns::add(&netns));
            // Both ends created where they live: `site<i>` in the hub, `uplink` in the site.
            ip(&[
                "-n",
                &hub_netns,
                "link",
                "add",
                &format!("site{i}"),
                "type",
                "veth",
                "peer",
                "name",
                "uplink",
                "netns",
                &netns,
            ]);
            ip(&[
                "-n",
                &hub_netns,
                "addr",
                "add",
                &format!("10.77.{i}.1/24"),
                "dev",
                &format!("site{i}"),
            ]);
            ip(&["-n", &hub_netns, "link", "set", &format!("site{i}"), "up"]);
            ip(&[
                "-n",
                &netns,
                "addr",
                "add",
                &format!("10.77.{i}.2/24"),
                "dev",
                "uplink",
            ]);
            ip(&["-n", &netns, "link", "set", "uplink", "up"]);
            layout.push(Site {
                name: format!("site-{letter}"),
                netns,
                devices: (1..=devices).map(|d| format!("{letter}{d}")).collect(),
                url: format!("nats://10.77.{i}.2:{CLIENT_PORT}"),
            });
        }

        let hub_store = dir.path().join("hub-jetstream");
        servers.push(NetnsServer::start(
            &bin,
            &hub_netns,
            "hub",
            &dir.path().join("hub.conf"),
            &format!(
                "jetstream {{ store_dir: {store:?}, domain: {HUB_DOMAIN:?} }}\nleafnodes {{ listen: \"0.0.0.0:{LEAF_PORT}\" }}\n",
                store = hub_store.display().to_string()
            ),
            dir.path(),
        ));
        for (i, site) in layout.iter().enumerate() {
            servers.push(NetnsServer::start(
                &bin,
                &site.netns,
                &site.name,
                &dir.path().join(format!("{}.conf", site.name)),
                &format!(
                    "leafnodes {{\n  reconnect: \"1s\"\n  remotes: [ {{ url: \"nats-leaf://10.77.{n}.1:{LEAF_PORT}\" }} ]\n}}\n",
                    n = i + 1
                ),
                dir.path(),
            ));
        }
        let hub_portal = Portal::open(&hub_netns, ("127.0.0.1", CLIENT_PORT));
        let hub_url = hub_portal.url();
        let mut sites = Sites {
            agents: Vec::new(),
            servers,
            portals: Mutex::new(vec![hub_portal]),
            sites: layout,
            hub_url,
            _namespaces: namespaces,
            dir,
        };
        for site in &sites.sites {
            sites
                .server(&site.name)
                .wait_for(LEAF_CREATED, 1, "to connect to the hub");
        }
        let devices: Vec<String> = sites.devices();
        for device in devices {
            sites.start_agent(&device);
        }
        sites
    }

    /// The hub's client URL for the test process (a loopback portal into the hub's namespace):
    /// where operators write desired state and read status.
    pub fn hub_url(&self) -> &str {
        &self.hub_url
    }

    /// A URL by which the test process reaches `site`'s leaf node (an operator at the site).
    pub fn site_url(&self, site: &str) -> String {
        let netns = self.site(site).netns.clone();
        let portal = Portal::open(&netns, ("127.0.0.1", CLIENT_PORT));
        let url = portal.url();
        self.portals.lock().expect("portals").push(portal);
        url
    }

    /// An operator working at `site`, through its leaf node (and the hub's JetStream domain).
    pub async fn site_operator(&self, site: &str) -> FleetStore {
        let config = ConnectConfig {
            jetstream_domain: Some(HUB_DOMAIN.to_string()),
            ..ConnectConfig::default()
        };
        FleetStore::connect(&self.site_url(site), &config, "default")
            .await
            .expect("an operator at the site connects")
    }

    /// The sites, in order.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// The site named `name`.
    pub fn site(&self, name: &str) -> &Site {
        self.sites
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no site `{name}`"))
    }

    /// Every device of every site.
    pub fn devices(&self) -> Vec<String> {
        self.sites
            .iter()
            .flat_map(|s| s.devices.iter().cloned())
            .collect()
    }

    /// The site `device` belongs to.
    pub fn site_of(&self, device: &str) -> &Site {
        self.sites
            .iter()
            .find(|s| s.devices.iter().any(|d| d == device))
            .unwrap_or_else(|| panic!("no device `{device}`"))
    }

    /// A directory for the test's files (markers), removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The state directory of `device`'s agent.
    pub fn state_dir(&self, device: &str) -> PathBuf {
        self.dir.path().join("agents").join(device)
    }

    /// Cuts `site`'s uplink (`ip link set uplink down` in the site) and waits until its leaf
    /// node has noticed (its pings to the hub went unanswered and it closed the connection): the
    /// leaf node and its agents keep running, cut off from the hub.
    pub fn cut(&self, site: &str) {
        let server = self.server(site);
        let closed = server.log_count(LEAF_CLOSED);
        ip(&[
            "-n",
            &self.site(site).netns,
            "link",
            "set",
            "uplink",
            "down",
        ]);
        server.wait_for(LEAF_CLOSED, closed + 1, "to notice its cut uplink");
    }

    /// Brings `site`'s uplink back and waits until its leaf node is connected to the hub again.
    pub fn restore(&self, site: &str) {
        let server = self.server(site);
        let created = server.log_count(LEAF_CREATED);
        ip(&["-n", &self.site(site).netns, "link", "set", "uplink", "up"]);
        server.wait_for(LEAF_CREATED, created + 1, "to connect to the hub again");
    }

    /// Starts `device`'s agent (again), connected to its site's leaf node.
    pub fn start_agent(&mut self, device: &str) {
        self.stop_agent(device);
        let site = self.site_of(device);
        let agent = Agent::start_in_netns(
            &site.netns,
            &site.url,
            device,
            &self.state_dir(device),
            &["--js-domain", HUB_DOMAIN],
        );
        self.agents.push((device.to_string(), agent));
    }

    /// Stops `device`'s agent cleanly (SIGTERM: it stops its workloads and reports offline).
    pub fn stop_agent(&mut self, device: &str) {
        if let Some(i) = self.agents.iter().position(|(d, _)| d == device) {
            let (_, mut agent) = self.agents.remove(i);
            agent.stop();
        }
    }

    /// Kills `device`'s agent (SIGKILL: no goodbye, its workloads keep running).
    pub fn kill_agent(&mut self, device: &str) {
        if let Some(i) = self.agents.iter().position(|(d, _)| d == device) {
            let (_, mut agent) = self.agents.remove(i);
            agent.kill_hard();
        }
    }

    /// The log of `device`'s agent.
    pub fn agent_log(&self, device: &str) -> String {
        std::fs::read_to_string(self.state_dir(device).join("agent.log")).unwrap_or_default()
    }

    /// Every agent's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for device in self.devices() {
            out.push_str(&format!("--- {device}\n{}", self.agent_log(&device)));
        }
        for server in &self.servers {
            out.push_str(&format!("--- {}\n{}", server.name, server.log()));
        }
        out
    }

    fn server(&self, name: &str) -> &NetnsServer {
        self.servers
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no server `{name}`"))
    }
}

/// What a leaf node logs when its connection to the hub is up, and when it is gone.
const LEAF_CREATED: &str = "Leafnode connection created";
const LEAF_CLOSED: &str = "Leafnode connection closed";

/// Panics unless this process can manage network namespaces.
fn require_root() {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "the site tests build network namespaces and veth pairs, which needs root"
    );
}

/// Runs `ip ARGS`, panicking with its output when it fails.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip (iproute2): {e}"));
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Removes the namespaces named `<prefix>-…` left by an earlier run that was killed, with any
/// process still in them.
fn remove_stale(prefix: &str) {
    let out = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    let own = format!("{prefix}-");
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        // `name` or `name (id: 3)`.
        let name = line.split_whitespace().next().unwrap_or_default();
        if name.starts_with(&own) {
            // Dropping it removes it.
            drop(Netns {
                name: name.to_string(),
            });
        }
    }
}

/// A network namespace, deleted on drop with every process left in it.
struct Netns {
    name: String,
}

impl Netns {
    fn add(name: &str) -> Netns {
        ip(&["netns", "add", name]);
        let netns = Netns {
            name: name.to_string(),
        };
        ip(&["-n", name, "link", "set", "lo", "up"]);
        netns
    }

    fn remove(&self) {
        // Processes keep a namespace's network alive: kill what is left (workloads of an agent
        // that did not stop them, servers of a killed run).
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if let Ok(pid) = pid.parse::<i32>() {
                    // SAFETY: kill has no memory preconditions; the pid was listed in our namespace.
                    unsafe {
                        libc::kill(pid, libc::SIGKILL);
                    }
                }
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.remove();
    }
}

/// A nats-server running inside a namespace; killed on drop.
struct NetnsServer {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl NetnsServer {
    /// Starts `bin` in `netns` as `server_name: name`, listening on every address of the
    /// namespace, with `extra` configuration; waits until it is ready.
    fn start(bin: &Path, netns: &str, name: &str, config: &Path, extra: &str, dir: &Path) -> Self {
        std::fs::write(
            config,
            format!(
                "server_name: {name:?}\nlisten: \"0.0.0.0:{CLIENT_PORT}\"\n\
                 # A cut link is noticed within seconds, not the default two minutes.\n\
                 ping_interval: \"1s\"\nping_max: 2\n{extra}"
            ),
        )
        .expect("server config");
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("server log");
        let child = Command::new("ip")
            .args(["netns", "exec", netns])
            .arg(bin)
            .arg("-c")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::from(file.try_clone().expect("log")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("spawn nats-server");
        let mut server = NetnsServer {
            name: name.to_string(),
            child: Some(child),
            log,
        };
        let deadline = Instant::now() + DEADLINE;
        while !server.log().contains("Server is ready") {
            if let Some(child) = server.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("nats-server {name} exited ({status}):\n{}", server.log());
            }
            assert!(
                Instant::now() < deadline,
                "nats-server {name} did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many lines of its log contain `what`.
    fn log_count(&self, what: &str) -> usize {
        self.log().matches(what).count()
    }

    /// Waits until `what` was logged `count` times.
    fn wait_for(&self, what: &str, count: usize, why: &str) {
        let deadline = Instant::now() + DEADLINE;
        while self.log_count(what) < count {
            assert!(
                Instant::now() < deadline,
                "nats-server {} did not manage {why}:\n{}",
                self.name,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for NetnsServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child, Duration::from_secs(5));
        }
    }
}

/// A loopback listener in the test's namespace whose connections are relayed to an address
/// inside another namespace: a thread enters that namespace (`setns` affects only the calling
/// thread), and each socket it opens belongs to it.
struct Portal {
    port: u16,
    stop: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Portal {
    fn open(netns: &str, target: (&'static str, u16)) -> Portal {
        let listener = TcpListener::bind("127.0.0.1:0").expect("portal listener");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("portal address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let path = PathBuf::from("/var/run/netns").join(netns);
        let (entered_tx, entered_rx) = std::sync::mpsc::channel();
        let thread = {
            let stop = Arc::clone(&stop);
            let open = Arc::clone(&open);
            std::thread::spawn(move || {
                let entered = enter_netns(&path);
                let failed = entered.is_err();
                let _ = entered_tx.send(entered);
                if failed {
                    return;
                }
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((outside, _)) => {
                            let _ = outside.set_nonblocking(false);
                            match TcpStream::connect(target) {
                                Ok(inside) => relay(outside, inside, &open),
                                Err(_) => drop(outside),
                            }
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        entered_rx
            .recv()
            .expect("portal thread")
            .unwrap_or_else(|e| panic!("cannot enter network namespace {netns}: {e}"));
        Portal {
            port,
            stop,
            open,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

/// Moves the calling thread into the network namespace at `path`.
fn enter_netns(path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    use std::os::fd::AsRawFd as _;
    // SAFETY: the descriptor is valid for the call; setns changes only this thread's namespace.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Copies both ways between `a` and `b` on two threads; both are shut down when the portal is.
fn relay(a: TcpStream, b: TcpStream, open: &Mutex<Vec<TcpStream>>) {
    let (Ok(a2), Ok(b2)) = (a.try_clone(), b.try_clone()) else {
        return;
    };
    if let (Ok(a3), Ok(b3)) = (a.try_clone(), b.try_clone())
        && let Ok(mut open) = open.lock()
    {
        open.push(a3);
        open.push(b3);
    }
    let pump = |mut from: TcpStream, mut to: TcpStream| {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Both);
            let _ = from.shutdown(Shutdown::Both);
        });
    };
    pump(a, b2);
    pump(b, a2);
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(open) = self.open.lock() {
            for stream in open.iter() {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
