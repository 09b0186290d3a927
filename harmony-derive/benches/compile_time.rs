//! Compile-time benchmark of the DSL macros (a program, not a timed test).
//!
//! `cargo bench -p harmony-derive --bench compile_time [-- [N...] [--reps R] [--per-fn K]
//! [--only macro|plain] [--expand]]` generates, under `<target>/ctbench/`, one crate per
//! (variant, N) holding N score instances of a realistic mix:
//!
//! - **macro**: `topology!` plus `score!` plan functions (typestate builders, const literal
//!   checks, placement bounds, typed wiring);
//! - **plain**: the same infrastructure as plain Rust: a hand-written topology, struct literals,
//!   `.parse().unwrap()` / constructors, and the same `Plan::add` calls.
//!
//! Both variants live in one scratch workspace and share one target directory, so the
//! dependencies (`harmony-dsl`, `harmony-runtime`, serde...) are built once, before measuring.
//! For each N and variant it measures, as the median of R runs:
//!
//! - **clean**: `cargo check` of the generated crate after `cargo clean -p <crate>` (the
//!   dependencies stay built);
//! - **edit**: `cargo check` after changing one score's literal (`replicas: 3` → `4` and back,
//!   same length, so no other span moves): the incremental case;
//! - **noop**: `cargo check` with nothing to do (cargo's own overhead, included in both above).
//!
//! Runs of the two variants are interleaved so that load from other processes hits both alike.
//!
//! `--repo PATH` depends on another checkout (to measure a change to the expansion),
//! `--opt-macros` builds the proc macros with `opt-level = 3`, `--expand` prints the size of the
//! expanded code (needs a nightly toolchain).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Variant {
    Macro,
    Plain,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Macro => "macro",
            Variant::Plain => "plain",
        }
    }
}

struct Options {
    sizes: Vec<usize>,
    reps: usize,
    per_fn: usize,
    variants: Vec<Variant>,
    expand: bool,
    /// Another checkout of the repository to depend on (to measure a change to the macros).
    repo: Option<PathBuf>,
    /// Build the proc macros with optimisations (`[profile.dev.build-override] opt-level = 3`).
    opt_macros: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        sizes: Vec::new(),
        reps: 3,
        per_fn: 100,
        variants: vec![Variant::Macro, Variant::Plain],
        expand: false,
        repo: None,
        opt_macros: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} expects a value"));
        match arg.as_str() {
            // `cargo bench` passes `--bench` to harness-less benches.
            "--bench" => {}
            "--reps" => {
                options.reps = value("--reps")?
                    .parse()
                    .map_err(|e| format!("--reps: {e}"))?
            }
            "--per-fn" => {
                options.per_fn = value("--per-fn")?
                    .parse()
                    .map_err(|e| format!("--per-fn: {e}"))?
            }
            "--only" => {
                options.variants = match value("--only")?.as_str() {
                    "macro" => vec![Variant::Macro],
                    "plain" => vec![Variant::Plain],
                    other => return Err(format!("--only macro|plain, not `{other}`")),
                }
            }
            "--expand" => options.expand = true,
            "--opt-macros" => options.opt_macros = true,
            "--repo" => options.repo = Some(PathBuf::from(value("--repo")?)),
            n => options.sizes.push(
                n.parse()
                    .map_err(|e| format!("`{n}`: expected a number of scores ({e})"))?,
            ),
        }
    }
    if options.sizes.is_empty() {
        options.sizes = vec![10, 100, 1000];
    }
    if options.reps == 0 {
        return Err("--reps must be at least 1".into());
    }
    // Wiring stays inside a group of ten scores: plan functions hold whole groups.
    options.per_fn = options.per_fn.max(10).div_ceil(10) * 10;
    Ok(options)
}

// ---------------------------------------------------------------------------------------------
// Generated sources.

/// The instance whose literal the edit measurement changes: a `WebApp` in the middle.
fn edited_index(n: usize) -> usize {
    let mid = n / 2;
    mid - mid % 10 + 1
}

/// One score instance, as `score!` input or as plain Rust.
fn score(variant: Variant, i: usize, replicas_edit: Option<u16>) -> String {
    let port = 10_000 + i % 50_000;
    let g = i % 10;
    let m = variant == Variant::Macro;
    match g {
        0 | 5 => {
            let (version, storage) = if g == 0 { (16, "10Gi") } else { (15, "20Gi") };
            if m {
                let place = if g == 0 { ", place: nuc" } else { "" };
                format!(
                    "        db_{i} = Postgres {{ version: {version}, storage: \"{storage}\"{place} }};\n"
                )
            } else {
                let place = if g == 0 {
                    "Some(Placement::of::<bench_hosts::nuc>())"
                } else {
                    "None"
                };
                format!(
                    "    let db_{i} = plan.add(\"db_{i}\", Postgres {{ version: {version}, storage: \"{storage}\".parse().unwrap(), place: {place}, namespace: None, password: None }}, &[]);\n    let _ = &db_{i};\n"
                )
            }
        }
        1 | 2 | 6 => {
            let replicas = match (g, replicas_edit) {
                (1, Some(r)) => r,
                (1, None) => 3,
                (2, _) => 2,
                _ => 1,
            };
            let db = if g == 2 { i - 2 } else { i - 1 };
            let image = format!("registry.example.com/acme/web-{i}:1.4.2");
            let dns = (g != 2).then(|| format!("web-{i}.bench.arpa"));
            if m {
                let dns = dns
                    .map(|d| format!(",\n            dns: \"{d}\""))
                    .unwrap_or_default();
                let port = if g == 6 {
                    String::new()
                } else {
                    format!("\n            port: {},", 8080 + g)
                };
                format!(
                    "        web_{i} = WebApp {{\n            image: \"{image}\",\n            replicas: {replicas},{port}\n            database: db_{db}.endpoint{dns}\n        }};\n"
                )
            } else {
                let dns = dns
                    .map(|d| format!("Some(\"{d}\".parse().unwrap())"))
                    .unwrap_or_else(|| "None".into());
                let port = if g == 6 { 8080 } else { 8080 + g };
                format!(
                    "    let web_{i} = plan.add(\n        \"web_{i}\",\n        WebApp {{\n            image: \"{image}\".parse().unwrap(),\n            replicas: {replicas},\n            port: Port::new({port}).unwrap(),\n            database: Some(db_{db}.endpoint.clone()),\n            dns: {dns},\n            namespace: None,\n            ingress: None,\n            ingress_path: None,\n            tls_secret: None,\n            config: Default::default(),\n            secrets: Default::default(),\n        }},\n        &[db_{db}.id()],\n    );\n    let _ = &web_{i};\n"
                )
            }
        }
        3 | 8 => {
            let path = format!("etc/app-{i}.conf");
            let content = format!("listen=127.0.0.1:{port}");
            if m {
                let mode = if g == 3 { ", mode: 420" } else { "" };
                format!(
                    "        cfg_{i} = ConfigFile {{ path: \"{path}\", content: \"{content}\"{mode} }};\n"
                )
            } else {
                let mode = if g == 3 { "Some(420)" } else { "None" };
                format!(
                    "    let cfg_{i} = plan.add(\"cfg_{i}\", ConfigFile {{ path: \"{path}\".to_string(), content: \"{content}\".to_string(), mode: {mode} }}, &[]);\n    let _ = &cfg_{i};\n"
                )
            }
        }
        4 | 9 => {
            let cfg = i - 1;
            let conf = format!("etc/app-{cfg}.conf");
            if m {
                if g == 4 {
                    format!(
                        "        svc_{i} = LocalService {{\n            command: [\"/usr/bin/app\", \"--config\", \"{conf}\"],\n            port: {port},\n            health_path: \"/healthz\",\n            health_timeout: \"5s\",\n            restart_on: [\"{conf}\"],\n            after: [cfg_{cfg}]\n        }};\n"
                    )
                } else {
                    format!(
                        "        svc_{i} = LocalService {{ command: [\"/usr/bin/worker\"], port: {port}, env: [\"ID={i}\"], after: [cfg_{cfg}] }};\n"
                    )
                }
            } else if g == 4 {
                format!(
                    "    let svc_{i} = plan.add(\n        \"svc_{i}\",\n        LocalService {{\n            command: vec![\"/usr/bin/app\".to_string(), \"--config\".to_string(), \"{conf}\".to_string()],\n            port: Port::new({port}).unwrap(),\n            health_path: Some(\"/healthz\".to_string()),\n            health_timeout: \"5s\".parse().unwrap(),\n            restart_on: vec![\"{conf}\".to_string()],\n            env: Vec::new(),\n            secret_env: Vec::new(),\n        }},\n        &[cfg_{cfg}.id()],\n    );\n    let _ = &svc_{i};\n"
                )
            } else {
                format!(
                    "    let svc_{i} = plan.add(\n        \"svc_{i}\",\n        LocalService {{\n            command: vec![\"/usr/bin/worker\".to_string()],\n            port: Port::new({port}).unwrap(),\n            health_path: None,\n            health_timeout: \"10s\".parse().unwrap(),\n            restart_on: Vec::new(),\n            env: vec![\"ID={i}\".to_string()],\n            secret_env: Vec::new(),\n        }},\n        &[cfg_{cfg}.id()],\n    );\n    let _ = &svc_{i};\n"
                )
            }
        }
        _ => {
            let image = format!("registry.example.com/acme/sensor-{i}:0.3");
            if m {
                format!(
                    "        edge_{i} = EdgeService {{ image: \"{image}\", devices: [pi1, pi2] }};\n"
                )
            } else {
                format!(
                    "    let edge_{i} = plan.add(\n        \"edge_{i}\",\n        EdgeService {{\n            image: \"{image}\".parse().unwrap(),\n            devices: vec![Placement::of::<bench_hosts::pi1>(), Placement::of::<bench_hosts::pi2>()],\n            rollout: None,\n        }},\n        &[],\n    );\n    let _ = &edge_{i};\n"
                )
            }
        }
    }
}

const MACRO_HEADER: &str = r#"//! Generated by `cargo bench -p harmony-derive --bench compile_time`: the macro variant.
#![deny(warnings)]
use harmony_dsl::resource::{FileSpec, ProcessSpec};
use harmony_dsl::{BoxFuture, Error, Inspection, Outcome, Result};
use harmony_runtime::prelude::*;

/// Local files (a stub: the benchmark only compiles it).
#[derive(Debug, Clone, Provider)]
pub struct LocalFs {
    /// Root directory.
    pub root: String,
}

impl FileSystem for LocalFs {
    fn inspect<'a>(&'a self, _r: &'a FileSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
    fn apply<'a>(&'a self, _r: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
    fn remove<'a>(&'a self, _r: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
}

/// Local processes (a stub: the benchmark only compiles it).
#[derive(Debug, Clone, Provider)]
pub struct LocalProcs {
    /// Working directory.
    pub dir: String,
}

impl ProcessSupervisor for LocalProcs {
    fn inspect<'a>(&'a self, _r: &'a ProcessSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
    fn apply<'a>(&'a self, _r: &'a ProcessSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
    fn remove<'a>(&'a self, _r: &'a ProcessSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
}

topology! {
    /// The benchmark's place: a k8s node pair, two field devices, the local machine.
    pub Bench {
        hosts {
            nuc   { arch: x86_64,  address: "10.0.0.10", labels: [control_plane, gpu] }
            node2 { arch: x86_64,  address: "10.0.0.11" }
            pi1   { arch: aarch64, address: "10.0.0.21" }
            pi2   { arch: aarch64, address: "10.0.0.22" }
        }
        capabilities {
            K8sCluster        => Kube { context: "bench" },
            DnsServer         => CoreDns { on: nuc, zone: "bench.arpa" },
            LoadBalancer      => MetalLb { pool: "10.0.0.200/29" },
            Fleet             => NatsFleet { url: "nats://127.0.0.1:4222", devices: [pi1, pi2] },
            FileSystem        => LocalFs { root: "." },
            ProcessSupervisor => LocalProcs { dir: "." },
        }
    }
}
"#;

const PLAIN_HEADER: &str = r#"//! Generated by `cargo bench -p harmony-derive --bench compile_time`: the plain variant
//! (no macros, no typestate: struct literals, runtime parsing, the same `Plan::add`).
#![deny(warnings)]
use std::sync::Arc;

use harmony_dsl::capability::{
    DnsServer, FileSystem, Fleet, K8sCluster, LoadBalancer, ProcessSupervisor,
};
use harmony_dsl::resource::{FileSpec, ProcessSpec};
use harmony_dsl::scores::{ConfigFile, EdgeService, LocalService, Postgres, WebApp};
use harmony_dsl::topology::{HasCapability, Host};
use harmony_dsl::value::Port;
use harmony_dsl::{
    Arch, BoxFuture, CapabilityMap, Error, FieldInfo, HostInfo, Inspection, Outcome, Placement,
    Plan, Provider, Result, Topology,
};
use harmony_runtime::providers::{CoreDns, Kube, MetalLb, NatsFleet};

/// Local files (a stub: the benchmark only compiles it).
#[derive(Debug, Clone)]
pub struct LocalFs {
    /// Root directory.
    pub root: String,
}

impl Provider for LocalFs {
    const NAME: &'static str = "LocalFs";
    const FIELDS: &'static [FieldInfo] = &[];
    fn apply_env(&mut self, _prefix: &str) -> Result<()> {
        Ok(())
    }
}

impl FileSystem for LocalFs {
    fn inspect<'a>(&'a self, _r: &'a FileSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
    fn apply<'a>(&'a self, _r: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
    fn remove<'a>(&'a self, _r: &'a FileSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
}

/// Local processes (a stub: the benchmark only compiles it).
#[derive(Debug, Clone)]
pub struct LocalProcs {
    /// Working directory.
    pub dir: String,
}

impl Provider for LocalProcs {
    const NAME: &'static str = "LocalProcs";
    const FIELDS: &'static [FieldInfo] = &[];
    fn apply_env(&mut self, _prefix: &str) -> Result<()> {
        Ok(())
    }
}

impl ProcessSupervisor for LocalProcs {
    fn inspect<'a>(&'a self, _r: &'a ProcessSpec) -> BoxFuture<'a, Result<Inspection>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
    fn apply<'a>(&'a self, _r: &'a ProcessSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
    fn remove<'a>(&'a self, _r: &'a ProcessSpec) -> BoxFuture<'a, Result<Outcome>> {
        Box::pin(async { Err(Error::permanent("stub")) })
    }
}

/// Host marker types, written by hand.
#[allow(non_camel_case_types)]
pub mod bench_hosts {
    /// Host `nuc`.
    pub struct nuc;
    /// Host `node2`.
    pub struct node2;
    /// Host `pi1`.
    pub struct pi1;
    /// Host `pi2`.
    pub struct pi2;
}

impl Host for bench_hosts::nuc {
    const NAME: &'static str = "nuc";
    const ARCH: Arch = Arch::X86_64;
}
impl Host for bench_hosts::node2 {
    const NAME: &'static str = "node2";
    const ARCH: Arch = Arch::X86_64;
}
impl Host for bench_hosts::pi1 {
    const NAME: &'static str = "pi1";
    const ARCH: Arch = Arch::Aarch64;
}
impl Host for bench_hosts::pi2 {
    const NAME: &'static str = "pi2";
    const ARCH: Arch = Arch::Aarch64;
}

/// The benchmark's place, written by hand.
pub struct Bench {
    hosts: Vec<HostInfo>,
    capabilities: CapabilityMap,
}

impl Topology for Bench {
    const NAME: &'static str = "Bench";
    fn hosts(&self) -> &[HostInfo] {
        &self.hosts
    }
    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }
}

impl HasCapability<dyn K8sCluster> for Bench {}
impl HasCapability<dyn DnsServer> for Bench {}
impl HasCapability<dyn LoadBalancer> for Bench {}
impl HasCapability<dyn Fleet> for Bench {}
impl HasCapability<dyn FileSystem> for Bench {}
impl HasCapability<dyn ProcessSupervisor> for Bench {}

fn host(name: &'static str, arch: Arch, address: &str, labels: Vec<&'static str>) -> HostInfo {
    HostInfo {
        name,
        arch,
        address: Some(address.parse().unwrap()),
        labels,
    }
}

impl Bench {
    /// The topology with its providers.
    pub fn new() -> Self {
        let mut capabilities = CapabilityMap::new();
        capabilities.insert::<dyn K8sCluster>(
            Kube::NAME,
            Arc::new(Kube { context: "bench".to_string(), kubeconfig: None, force_conflicts: false, ready_timeout: "100s".parse().unwrap() }) as Arc<dyn K8sCluster>,
        );
        capabilities.insert::<dyn DnsServer>(
            CoreDns::NAME,
            Arc::new(CoreDns {
                on: Placement::of::<bench_hosts::nuc>(),
                zone: "bench.arpa".parse().unwrap(),
                context: String::new(),
                kubeconfig: None,
                namespace: "kube-system".to_string(),
            }) as Arc<dyn DnsServer>,
        );
        capabilities.insert::<dyn LoadBalancer>(
            MetalLb::NAME,
            Arc::new(MetalLb { pool: "10.0.0.200/29".parse().unwrap(), context: String::new(), kubeconfig: None, namespace: "metallb-system".to_string(), address_timeout: "60s".parse().unwrap() }) as Arc<dyn LoadBalancer>,
        );
        capabilities.insert::<dyn Fleet>(
            NatsFleet::NAME,
            Arc::new(NatsFleet {
                url: "nats://127.0.0.1:4222".parse().unwrap(),
                devices: vec![
                    Placement::of::<bench_hosts::pi1>(),
                    Placement::of::<bench_hosts::pi2>(),
                ],
            }) as Arc<dyn Fleet>,
        );
        capabilities.insert::<dyn FileSystem>(
            LocalFs::NAME,
            Arc::new(LocalFs { root: ".".to_string() }) as Arc<dyn FileSystem>,
        );
        capabilities.insert::<dyn ProcessSupervisor>(
            LocalProcs::NAME,
            Arc::new(LocalProcs { dir: ".".to_string() }) as Arc<dyn ProcessSupervisor>,
        );
        Bench {
            hosts: vec![
                host("nuc", Arch::X86_64, "10.0.0.10", vec!["control_plane", "gpu"]),
                host("node2", Arch::X86_64, "10.0.0.11", Vec::new()),
                host("pi1", Arch::Aarch64, "10.0.0.21", Vec::new()),
                host("pi2", Arch::Aarch64, "10.0.0.22", Vec::new()),
            ],
            capabilities,
        }
    }
}

impl Default for Bench {
    fn default() -> Self {
        Self::new()
    }
}
"#;

/// The whole `src/lib.rs` of one generated crate.
fn source(variant: Variant, n: usize, per_fn: usize, replicas_edit: Option<u16>) -> String {
    let edited = edited_index(n);
    let mut out = String::from(match variant {
        Variant::Macro => MACRO_HEADER,
        Variant::Plain => PLAIN_HEADER,
    });
    let chunks: Vec<(usize, usize)> = (0..n)
        .step_by(per_fn)
        .map(|start| (start, (start + per_fn).min(n)))
        .collect();
    if variant == Variant::Macro {
        out.push_str("\nscore! {\n");
    }
    for (k, (start, end)) in chunks.iter().enumerate() {
        let doc = format!("Scores {start}..{end}.");
        match variant {
            Variant::Macro => {
                let _ = writeln!(
                    out,
                    "    /// {doc}\n    pub fn plan_{k}() -> Plan<Bench> {{"
                );
            }
            Variant::Plain => {
                let _ = writeln!(
                    out,
                    "\n/// {doc}\npub fn plan_{k}() -> Plan<Bench> {{\n    let mut plan = Plan::<Bench>::new(\"plan_{k}\");"
                );
            }
        }
        for i in *start..*end {
            let edit = if i == edited { replicas_edit } else { None };
            out.push_str(&score(variant, i, edit));
        }
        match variant {
            Variant::Macro => out.push_str("    }\n"),
            Variant::Plain => out.push_str("    plan\n}\n"),
        }
    }
    if variant == Variant::Macro {
        out.push_str("}\n");
    }
    let calls: Vec<String> = (0..chunks.len()).map(|k| format!("plan_{k}()")).collect();
    let _ = writeln!(
        out,
        "\n/// Every plan of the benchmark.\npub fn plans() -> Vec<Plan<Bench>> {{\n    vec![{}]\n}}",
        calls.join(", ")
    );
    out
}

// ---------------------------------------------------------------------------------------------
// The scratch workspace and cargo.

struct Bench {
    cargo: PathBuf,
    dir: PathBuf,
    target: PathBuf,
    repo: PathBuf,
}

fn crate_name(variant: Variant, n: usize) -> String {
    format!("ct_{}_{n}", variant.name())
}

fn write_if_changed(path: &Path, content: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(content) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, content)
}

impl Bench {
    fn new(options: &Options) -> Result<Self, String> {
        let own = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .ok_or("no workspace root")?;
        let repo = std::path::absolute(options.repo.as_deref().unwrap_or(own))
            .map_err(|e| e.to_string())?;
        // The bench binary is `<target>/release/deps/compile_time-<hash>`.
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => exe
                .ancestors()
                .nth(3)
                .ok_or("cannot find the target directory")?
                .to_path_buf(),
        };
        let target = std::path::absolute(target).map_err(|e| e.to_string())?;
        // One scratch workspace per configuration, so switching does not rebuild dependencies.
        let mut scratch = String::from("ctbench");
        if options.repo.is_some() {
            let base = repo.file_name().map(|f| f.to_string_lossy().into_owned());
            scratch.push('-');
            scratch.push_str(base.as_deref().unwrap_or("repo"));
        }
        if options.opt_macros {
            scratch.push_str("-optmacros");
        }
        let dir = target.join(scratch);
        Ok(Bench {
            cargo: std::env::var_os("CARGO")
                .map(PathBuf::from)
                .unwrap_or_else(|| "cargo".into()),
            target: dir.join("target"),
            dir,
            repo,
        })
    }

    fn write_workspace(&self, options: &Options) -> Result<(), String> {
        let mut members = Vec::new();
        for &n in &options.sizes {
            for &variant in &options.variants {
                let name = crate_name(variant, n);
                let manifest = format!(
                    "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nharmony-dsl = {{ path = \"{0}/harmony-dsl\" }}\nharmony-runtime = {{ path = \"{0}/harmony-runtime\" }}\n",
                    self.repo.display()
                );
                let crate_dir = self.dir.join(&name);
                write_if_changed(&crate_dir.join("Cargo.toml"), &manifest)
                    .map_err(|e| e.to_string())?;
                write_if_changed(
                    &crate_dir.join("src/lib.rs"),
                    &source(variant, n, options.per_fn, None),
                )
                .map_err(|e| e.to_string())?;
                members.push(format!("\"{name}\""));
            }
        }
        let mut workspace = format!(
            "# Generated by the compile_time bench of harmony-derive.\n[workspace]\nresolver = \"3\"\nmembers = [{}]\n\n[profile.dev]\ndebug = \"line-tables-only\"\n\n[profile.dev.package.\"*\"]\ndebug = false\n",
            members.join(", ")
        );
        if options.opt_macros {
            workspace.push_str("\n[profile.dev.build-override]\nopt-level = 3\n");
        }
        write_if_changed(&self.dir.join("Cargo.toml"), &workspace).map_err(|e| e.to_string())?;
        // Same dependency versions as the repository, without touching the network.
        let lock = self.dir.join("Cargo.lock");
        if !lock.exists() {
            std::fs::copy(self.repo.join("Cargo.lock"), &lock).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn cargo(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.args(args)
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .env_remove("CARGO_MANIFEST_DIR")
            .env_remove("CARGO_PRIMARY_PACKAGE");
        cmd
    }

    /// Runs cargo; returns its wall time, or its output on failure.
    fn run(&self, args: &[&str]) -> Result<Duration, String> {
        let start = Instant::now();
        let output = self
            .cargo(args)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        let elapsed = start.elapsed();
        if output.status.success() {
            Ok(elapsed)
        } else {
            Err(format!(
                "`cargo {}` failed:\n{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    fn check(&self, name: &str) -> Result<Duration, String> {
        self.run(&["check", "--quiet", "--lib", "-p", name])
    }

    fn clean_check(&self, name: &str) -> Result<Duration, String> {
        self.run(&["clean", "--quiet", "-p", name])?;
        self.check(name)
    }

    fn edit_check(
        &self,
        variant: Variant,
        n: usize,
        per_fn: usize,
        replicas: u16,
    ) -> Result<Duration, String> {
        let name = crate_name(variant, n);
        let path = self.dir.join(&name).join("src/lib.rs");
        std::fs::write(&path, source(variant, n, per_fn, Some(replicas)))
            .map_err(|e| e.to_string())?;
        self.check(&name)
    }

    /// Size and shape of `-Zunpretty=expanded` (nightly), or why it is unavailable.
    fn expansion_size(&self, name: &str) -> Result<Expansion, String> {
        // `cargo +nightly` needs the rustup proxy, not the toolchain's own cargo binary.
        let output = Command::new("cargo")
            .args([
                "+nightly",
                "rustc",
                "--quiet",
                "--lib",
                "-p",
                name,
                "--profile=check",
                "--",
                "-Zunpretty=expanded",
            ])
            .current_dir(&self.dir)
            .env_remove("CARGO")
            .env_remove("RUSTC")
            .env_remove("CARGO_MANIFEST_DIR")
            .env("CARGO_TARGET_DIR", self.target.join("nightly"))
            .output()
            .map_err(|e| e.to_string())?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned());
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let starts = |prefixes: &[&str]| {
            text.lines()
                .map(str::trim_start)
                .map(|l| l.strip_prefix("pub ").unwrap_or(l))
                .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
                .count()
        };
        Ok(Expansion {
            bytes: text.len(),
            lines: text.lines().count(),
            types: starts(&["struct ", "enum ", "trait ", "type ", "union "]),
            impls: starts(&["impl ", "impl<"]),
            fns: starts(&["fn ", "const fn "]),
            consts: text.matches("const _: () =").count(),
            longest_line: text.lines().map(str::len).max().unwrap_or(0),
        })
    }
}

/// The shape of an expanded crate: what grows with N and what must not.
struct Expansion {
    bytes: usize,
    lines: usize,
    /// Type definitions (struct, enum, trait, type alias, union): must not grow with N.
    types: usize,
    impls: usize,
    fns: usize,
    /// Anonymous `const _: () = ...` items (the literal checks).
    consts: usize,
    /// Longest line of the pretty-printed expansion: a type or expression growing with N would
    /// show here.
    longest_line: usize,
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

struct Figures {
    clean: Vec<Duration>,
    edit: Vec<Duration>,
    noop: Duration,
    source_bytes: usize,
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("compile_time: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("compile_time: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let bench = Bench::new(options)?;
    bench.write_workspace(options)?;
    eprintln!(
        "scratch workspace {} (target {}), sizes {:?}, {} runs each, {} scores per plan function",
        bench.dir.display(),
        bench.target.display(),
        options.sizes,
        options.reps,
        options.per_fn
    );
    // Dependencies once, and every generated crate must compile.
    let mut all = vec!["check", "--quiet", "--lib"];
    let names: Vec<String> = options
        .sizes
        .iter()
        .flat_map(|&n| options.variants.iter().map(move |&v| crate_name(v, n)))
        .collect();
    for name in &names {
        all.extend(["-p", name.as_str()]);
    }
    eprintln!("building dependencies and checking every generated crate once...");
    bench.run(&all)?;

    let mut figures: BTreeMap<(usize, Variant), Figures> = BTreeMap::new();
    for &n in &options.sizes {
        for &variant in &options.variants {
            let name = crate_name(variant, n);
            let source_bytes = std::fs::metadata(bench.dir.join(&name).join("src/lib.rs"))
                .map(|m| m.len() as usize)
                .unwrap_or(0);
            figures.insert(
                (n, variant),
                Figures {
                    clean: Vec::new(),
                    edit: Vec::new(),
                    noop: bench.check(&name)?,
                    source_bytes,
                },
            );
        }
        for rep in 0..options.reps {
            for &variant in &options.variants {
                let t = bench.clean_check(&crate_name(variant, n))?;
                eprintln!("  N={n} {} clean #{rep}: {} s", variant.name(), secs(t));
                figures.get_mut(&(n, variant)).unwrap().clean.push(t);
            }
        }
        for rep in 0..options.reps {
            // 4, 3, 4...: each run changes the literal (the source starts with 3).
            let replicas = if rep % 2 == 0 { 4 } else { 3 };
            for &variant in &options.variants {
                let t = bench.edit_check(variant, n, options.per_fn, replicas)?;
                eprintln!("  N={n} {} edit  #{rep}: {} s", variant.name(), secs(t));
                figures.get_mut(&(n, variant)).unwrap().edit.push(t);
            }
        }
        // Leave the sources as generated (replicas: 3).
        for &variant in &options.variants {
            bench.edit_check(variant, n, options.per_fn, 3)?;
        }
    }

    println!();
    println!(
        "compile time of generated infrastructure crates (median of {} runs; `cargo check`, wall seconds)",
        options.reps
    );
    println!(
        "{:>6} | {:<7} | {:>8} | {:>8} | {:>8} | {:>9} | {:>11} | {:>10}",
        "N", "variant", "clean s", "edit s", "noop s", "source kB", "clean ratio", "edit ratio"
    );
    println!("{}", "-".repeat(90));
    for &n in &options.sizes {
        let plain = figures.get(&(n, Variant::Plain)).map(|f| {
            (
                median(f.clean.clone()).as_secs_f64(),
                median(f.edit.clone()).as_secs_f64(),
            )
        });
        for &variant in &options.variants {
            let f = &figures[&(n, variant)];
            let (clean, edit) = (median(f.clean.clone()), median(f.edit.clone()));
            let (clean_ratio, edit_ratio) = match (variant, plain) {
                (Variant::Macro, Some((pc, pe))) => (
                    format!("{:.2}", clean.as_secs_f64() / pc),
                    format!("{:.2}", edit.as_secs_f64() / pe),
                ),
                _ => (String::new(), String::new()),
            };
            println!(
                "{:>6} | {:<7} | {:>8} | {:>8} | {:>8} | {:>9.1} | {:>11} | {:>10}",
                n,
                variant.name(),
                secs(clean),
                secs(edit),
                secs(f.noop),
                f.source_bytes as f64 / 1024.0,
                clean_ratio,
                edit_ratio
            );
        }
    }
    println!();
    println!("all runs (s):");
    for ((n, variant), f) in &figures {
        let list = |v: &[Duration]| v.iter().map(|d| secs(*d)).collect::<Vec<_>>().join(" ");
        println!(
            "  N={n:<5} {:<5} clean [{}]  edit [{}]",
            variant.name(),
            list(&f.clean),
            list(&f.edit)
        );
    }

    if options.expand {
        println!();
        println!(
            "expansion (`cargo +nightly rustc -- -Zunpretty=expanded`): types and impls must not grow with N"
        );
        for &n in &options.sizes {
            for &variant in &options.variants {
                let name = crate_name(variant, n);
                match bench.expansion_size(&name) {
                    Ok(e) => println!(
                        "  N={n:<5} {:<5} {:>8.1} kB, {:>6} lines, {:>3} types, {:>3} impls, {:>4} fns, {:>5} const items, longest line {} chars",
                        variant.name(),
                        e.bytes as f64 / 1024.0,
                        e.lines,
                        e.types,
                        e.impls,
                        e.fns,
                        e.consts,
                        e.longest_line
                    ),
                    Err(e) => println!("  N={n:<5} {:<5} unavailable: {e}", variant.name()),
                }
            }
        }
    }
    Ok(())
}
