//! The failover protocol against a real nats-server: the compare-and-set it relies on, and two
//! nodes (databases simulated) across a link the test cuts, through a TCP proxy of its own;
//! [`postgres`]: the same with real PostgreSQL servers.

mod postgres;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use harmony_agent::failover::nats::NatsKv;
use harmony_agent::failover::{Database, DbState, Event, KvError, LeaseKv, Node, Role, Timing};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::support::*;

const OP: Duration = Duration::from_secs(5);

async fn kv(url: &str) -> NatsKv {
    let client = async_nats::connect(url).await.expect("connect");
    NatsKv::open(url, &client).await.expect("bucket")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_compare_and_set_lets_exactly_one_of_many_racers_win() {
    let dir = TempDir::new("failover-cas");
    let server = NatsServer::start(dir.path());
    let store = kv(&server.url()).await;
    let first = store
        .create("p.leader", b"a".to_vec(), OP)
        .await
        .expect("create");
    assert_eq!(
        store.create("p.leader", b"b".to_vec(), OP).await,
        Err(KvError::Conflict)
    );
    // Ten connections race to replace revision `first`: one wins.
    let mut racers = Vec::new();
    for i in 0..10 {
        let url = server.url();
        racers.push(tokio::spawn(async move {
            let store = kv(&url).await;
            store
                .update("p.leader", format!("racer {i}").into_bytes(), first, OP)
                .await
        }));
    }
    let mut wins = Vec::new();
    for racer in racers {
        match racer.await.unwrap() {
            Ok(revision) => wins.push(revision),
            Err(KvError::Conflict) => {}
            Err(e) => panic!("racer failed: {e:?}"),
        }
    }
    assert_eq!(wins.len(), 1, "{wins:?}");
    let record = store.read("p.leader", OP).await.unwrap().expect("entry");
    assert_eq!(record.revision, wins[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_timestamps_are_the_servers_and_increase_with_revisions() {
    let dir = TempDir::new("failover-stamps");
    let server = NatsServer::start(dir.path());
    let store = kv(&server.url()).await;
    let mut last = (0, 0);
    for i in 0..5 {
        let revision = store.put("p.node.b", vec![i], OP).await.unwrap();
        let record = store.read("p.node.b", OP).await.unwrap().unwrap();
        assert_eq!(record.revision, revision);
        assert!(record.revision > last.0 && record.stamp_ms >= last.1);
        last = (record.revision, record.stamp_ms);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(store.read("p.missing", OP).await.unwrap().is_none());
}

/// A TCP proxy to the nats-server that the test can cut (it stops forwarding, as a dropped
/// link: no reset, nothing arrives) or slow down (each chunk waits before it is forwarded).
pub struct Proxy {
    pub port: u16,
    cut: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
    stop: watch::Sender<bool>,
}

impl Proxy {
    pub async fn start(target: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let (stop, _) = watch::channel(false);
        let (c, d, mut s) = (cut.clone(), delay_ms.clone(), stop.subscribe());
        tokio::spawn(async move {
            loop {
                let (inbound, _) = tokio::select! {
                    _ = s.wait_for(|s| *s) => return,
                    accepted = listener.accept() => match accepted {
                        Ok(a) => a,
                        Err(_) => continue,
                    },
                };
                let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
                    continue;
                };
                let (ri, wi) = inbound.into_split();
                let (ro, wo) = outbound.into_split();
                for (mut r, mut w) in [
                    (
                        Box::new(ri) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
                        Box::new(wo) as Box<dyn tokio::io::AsyncWrite + Unpin + Send>,
                    ),
                    (Box::new(ro), Box::new(wi)),
                ] {
                    let (c, d, mut s) = (c.clone(), d.clone(), s.clone());
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = tokio::select! {
                                _ = s.wait_for(|s| *s) => return,
                                n = r.read(&mut buf) => match n {
                                    Ok(0) | Err(_) => return,
                                    Ok(n) => n,
                                },
                            };
                            let delay = d.load(Ordering::SeqCst);
                            if delay > 0 {
                                tokio::time::sleep(Duration::from_millis(delay)).await;
                            }
                            // A cut link loses what was in flight and everything after.
                            if c.load(Ordering::SeqCst) {
                                continue;
                            }
                            if w.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    });
                }
            }
        });
        Proxy {
            port,
            cut,
            delay_ms,
            stop,
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::SeqCst);
    }

    pub fn delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// A database that only records what it was told.
#[derive(Clone)]
struct SimDb(Arc<Mutex<DbState>>);

impl SimDb {
    fn writable(&self) -> bool {
        *self.0.lock().unwrap() == DbState::Writable
    }
}

impl Database for SimDb {
    async fn state(&mut self) -> DbState {
        self.0.lock().unwrap().clone()
    }
    async fn fence(&mut self) -> Result<(), String> {
        let mut s = self.0.lock().unwrap();
        if *s == DbState::Writable {
            *s = DbState::Fenced;
        }
        Ok(())
    }
    async fn unfence(&mut self) -> Result<(), String> {
        *self.0.lock().unwrap() = DbState::Writable;
        Ok(())
    }
    async fn promote(&mut self) -> Result<(), String> {
        *self.0.lock().unwrap() = DbState::Writable;
        Ok(())
    }
    async fn rejoin(&mut self) -> Result<String, String> {
        *self.0.lock().unwrap() = DbState::Standby { lag_bytes: None };
        Ok("simulated".into())
    }
}

fn timing() -> Timing {
    Timing {
        heartbeat_timeout: Duration::from_millis(200),
        failure_threshold: 3,
        success_threshold: 2,
        failover_timeout: Duration::from_millis(1000),
    }
}

type Log = Arc<Mutex<Vec<(Instant, &'static str, Event)>>>;

fn spawn_node<D: Database + Send + 'static>(
    name: &'static str,
    initial: bool,
    url: String,
    db: D,
    log: &Log,
    stop: &watch::Sender<bool>,
) -> tokio::task::JoinHandle<Role> {
    spawn_node_with(name, initial, url, db, timing(), log, stop)
}

/// A node with its own NATS connection, run until `stop`; its final role.
fn spawn_node_with<D: Database + Send + 'static>(
    name: &'static str,
    initial: bool,
    url: String,
    db: D,
    timing: Timing,
    log: &Log,
    stop: &watch::Sender<bool>,
) -> tokio::task::JoinHandle<Role> {
    let log = log.clone();
    let mut stop = stop.subscribe();
    tokio::spawn(async move {
        // Requests of a cut link must fail on the protocol's timeouts, not the client's.
        let client = async_nats::ConnectOptions::new()
            .request_timeout(Some(Duration::from_secs(30)))
            .connect(&url)
            .await
            .expect("connect");
        let kv = NatsKv::open(&url, &client).await.expect("bucket");
        let mut node = Node::new("pg", name, timing, initial, kv, db).expect("node");
        harmony_agent::failover::protocol::run(
            &mut node,
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
            |e| log.lock().unwrap().push((Instant::now(), name, e.clone())),
        )
        .await;
        node.role().clone()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_real_nats_a_cut_primary_fences_before_the_replica_promotes_and_a_cut_replica_changes_nothing()
 {
    let dir = TempDir::new("failover-cut");
    let server = NatsServer::start(dir.path());
    let a_link = Proxy::start(server.port).await;
    let b_link = Proxy::start(server.port).await;
    let a_db = SimDb(Arc::new(Mutex::new(DbState::Writable)));
    let b_db = SimDb(Arc::new(Mutex::new(DbState::Standby {
        lag_bytes: Some(0),
    })));
    let log: Log = Arc::default();
    let (stop, _) = watch::channel(false);
    let a = spawn_node("a", true, a_link.url(), a_db.clone(), &log, &stop);
    let b = spawn_node("b", false, b_link.url(), b_db.clone(), &log, &stop);

    // A sampler every 10 ms: never both writable.
    let samples: Arc<Mutex<Vec<(Instant, bool, bool)>>> = Arc::default();
    let sampler = {
        let (a_db, b_db, samples, mut stop) = (
            a_db.clone(),
            b_db.clone(),
            samples.clone(),
            stop.subscribe(),
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            loop {
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => return,
                    _ = tick.tick() => {}
                }
                let sample = (Instant::now(), a_db.writable(), b_db.writable());
                samples.lock().unwrap().push(sample);
            }
        })
    };
    eventually("a leads", || async { a_db.writable().then_some(()) }).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The replica's link is cut for 3 s (three failover timeouts): nothing changes.
    b_link.cut(true);
    tokio::time::sleep(Duration::from_secs(3)).await;
    b_link.cut(false);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(a_db.writable() && !b_db.writable());

    // The primary's link is cut: it fences, then the replica takes over.
    let cut = Instant::now();
    a_link.cut(true);
    eventually("b promoted", || async { b_db.writable().then_some(()) }).await;
    assert!(!a_db.writable());
    a_link.cut(false);
    tokio::time::sleep(Duration::from_secs(2)).await;

    stop.send_replace(true);
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    sampler.await.unwrap();
    let samples = samples.lock().unwrap().clone();
    let both: Vec<_> = samples.iter().filter(|s| s.1 && s.2).collect();
    assert!(both.is_empty(), "both writable at {} samples", both.len());
    let fenced = samples
        .iter()
        .find(|s| s.0 > cut && !s.1)
        .expect("a fenced")
        .0;
    let promoted = samples.iter().find(|s| s.2).expect("b promoted").0;
    assert!(fenced < promoted);
    // Before the cut of a's link, a was writable at every sample once it led.
    let led = samples.iter().position(|s| s.1).unwrap();
    assert!(
        samples[led..]
            .iter()
            .take_while(|s| s.0 < cut)
            .all(|s| s.1 && !s.2)
    );
    eprintln!(
        "cut → fenced {:?}, cut → promoted {:?}",
        fenced - cut,
        promoted - cut
    );
    // Back on the link, a found itself deposed and rejoined as a replica.
    assert_eq!(a, Role::Replica, "{:?}", log.lock().unwrap());
    assert_eq!(
        *a_db.0.lock().unwrap(),
        DbState::Standby { lag_bytes: None }
    );
    assert!(
        matches!(
            b,
            Role::Primary {
                epoch: 2,
                fenced: false,
                ..
            }
        ),
        "{b:?}"
    );
}

// The acceptance check of the hysteresis (issue #16). It found that one heartbeat slower than
// the timeout could fence: the recovery then needed a new write and a read, and this proxy
// delays chunks one after the other, so two requests in flight took longer than one timeout and
// the lease ran out. A heartbeat is now awaited while the lease runs (see `Node::heartbeat`),
// so a slow round trip costs one failed heartbeat and no second request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_real_nats_latency_close_to_the_heartbeat_timeout_does_not_fence_or_promote() {
    let dir = TempDir::new("failover-latency");
    let server = NatsServer::start(dir.path());
    let a_link = Proxy::start(server.port).await;
    let a_db = SimDb(Arc::new(Mutex::new(DbState::Writable)));
    let b_db = SimDb(Arc::new(Mutex::new(DbState::Standby {
        lag_bytes: Some(0),
    })));
    let log: Log = Arc::default();
    let (stop, _) = watch::channel(false);
    // The same ratio as `timing()`'s simulated runs (a round trip of 75% of the heartbeat
    // timeout), at five times the scale: over real sockets the remaining quarter must also
    // absorb the scheduling delays of a loaded machine (at 200 ms, 50 ms of slack was not
    // enough at a load of 14 on 2 cores, and the primary fenced).
    let timing = Timing {
        heartbeat_timeout: Duration::from_millis(1000),
        failure_threshold: 3,
        success_threshold: 2,
        failover_timeout: Duration::from_millis(5000),
    };
    let a = spawn_node_with("a", true, a_link.url(), a_db.clone(), timing, &log, &stop);
    let b = spawn_node_with("b", false, server.url(), b_db.clone(), timing, &log, &stop);
    eventually("a leads", || async { a_db.writable().then_some(()) }).await;
    // 375 ms each way: a heartbeat's round trip is about 750 ms of the 1 s timeout.
    let slow_from = Instant::now();
    a_link.delay(Duration::from_millis(375));
    // 20 heartbeats near the timeout.
    tokio::time::sleep(Duration::from_secs(20)).await;
    stop.send_replace(true);
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let log = log.lock().unwrap().clone();
    // From the start of the latency on (how the pair came up, on a loaded machine, is the
    // business of the other tests): no fence, no promotion.
    assert!(
        !log.iter().any(|(at, _, e)| *at >= slow_from
            && matches!(e, Event::Fenced { .. } | Event::Promoted { .. })),
        "a fence or a promotion under latency below the timeout; a ended as {a:?}, b as {b:?}; \
         events (latency from {slow_from:?}): {log:?}"
    );
    assert!(
        matches!(
            a,
            Role::Primary {
                epoch: 1,
                fenced: false,
                ..
            }
        ),
        "{a:?}"
    );
    assert_eq!(b, Role::Replica);
}
