//! The podman test environment the workspace's podman tests share (feature `testing`, for
//! tests only): [`environment`] runs the embedded `podman.sh` once per process, which installs
//! podman, runc and busybox-static with apt when missing (as root), writes the containers.conf
//! this kind of sandbox needs and builds a local busybox test image (no registry is reached).

use std::path::PathBuf;
use std::sync::OnceLock;

/// The script, embedded so that every crate's tests run the same one from wherever they are.
const SCRIPT: &str = include_str!("../testing/podman.sh");

/// What the podman tests run with.
#[derive(Debug)]
pub struct TestEnvironment {
    /// The containers.conf to run podman with (`CONTAINERS_CONF`).
    pub containers_conf: PathBuf,
    /// A local test image (busybox), e.g. `localhost/harmony-test-busybox:2`.
    pub image: String,
}

/// The environment, set up once per process; `Err(reason)` when podman cannot run here (the
/// caller prints `skipped: ...` with the reason and returns).
pub fn environment() -> Result<&'static TestEnvironment, String> {
    static ENV: OnceLock<Result<TestEnvironment, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let out = std::process::Command::new("sh")
            .args(["-c", SCRIPT, "podman.sh"])
            .output()
            .map_err(|e| format!("cannot run podman.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "podman.sh failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(str::to_string)
                .ok_or_else(|| format!("podman.sh printed no {key}"))
        };
        Ok(TestEnvironment {
            containers_conf: PathBuf::from(field("CONTAINERS_CONF=")?),
            image: field("IMAGE=")?,
        })
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The [`environment`], or prints `skipped: podman cannot run here: <reason>` (on stdout and
/// stderr) and returns from the calling test.
#[macro_export]
macro_rules! podman_or_skip {
    () => {
        match $crate::testing::environment() {
            Ok(env) => env,
            Err(reason) => {
                println!("skipped: podman cannot run here: {reason}");
                eprintln!("skipped: podman cannot run here: {reason}");
                return;
            }
        }
    };
}

/// A name unique to one test in one run, for scopes, state directories and containers:
/// `<tag>-<pid>-<nanoseconds>`.
pub fn unique(tag: &str) -> String {
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos()
    )
}
