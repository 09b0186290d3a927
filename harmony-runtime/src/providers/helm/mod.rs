//! The `HelmCli` provider: [`HelmCommand`] with the `helm` command line (Helm 3.16+ or 4).
//!
//! A chart is inflated with `helm template RELEASE CHART --namespace NS --include-crds
//! --skip-tests -f FILE... -f -` (the plan's values as JSON on stdin, so they never touch the
//! disk), offline: no cluster is contacted, nothing is installed, no release secret is written.
//! The printed documents are parsed into Kubernetes objects ([`documents`]); the runtime then
//! plans, applies, prunes and renders them through `K8sCluster` like every other object.
//!
//! Which `helm`: `binary` (a path, or a name looked up on the `PATH`; default `helm`),
//! overridable from the environment as `HARMONY_<TOPOLOGY>_HELM_COMMAND_BINARY`.

mod documents;

use std::path::Path;
use std::process::Stdio;

use harmony_dsl::capability::HelmCommand;
use harmony_dsl::resource::{HelmRelease, KubeObject};
use harmony_dsl::value::Duration;
use harmony_dsl::{BoxFuture, Error, LiveStatus, Provider, Result};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

pub use documents::parse as parse_documents;

/// The `helm` command line, run offline to inflate charts.
#[derive(Debug, Clone, Provider)]
pub struct HelmCli {
    /// The `helm` program: a path, or a name looked up on the `PATH`.
    #[provider(default = "helm")]
    pub binary: String,
    /// Time allowed for one `helm template`.
    #[provider(default = "60s")]
    pub timeout: Duration,
}

impl HelmCli {
    /// A provider running `binary`, with the default timeout.
    pub fn new(binary: impl Into<String>) -> Self {
        HelmCli {
            binary: binary.into(),
            timeout: Duration::from_nanos(60_000_000_000),
        }
    }

    /// How to name the binary in errors, with how to provide another one.
    fn not_runnable(&self, why: &std::io::Error) -> Error {
        let what = if why.kind() == std::io::ErrorKind::NotFound {
            if self.binary.contains('/') {
                format!("helm not found at `{}`", self.binary)
            } else {
                format!("helm not found: no `{}` on the PATH", self.binary)
            }
        } else {
            format!("cannot run helm `{}`: {why}", self.binary)
        };
        Error::permanent(format!(
            "{what}; install Helm 3.16 or later (https://helm.sh/docs/intro/install/), or name the program in the topology: `HelmCommand => {} {{ binary: \"/path/to/helm\" }}` (environment: HARMONY_<TOPOLOGY>_HELM_COMMAND_BINARY)",
            Self::NAME
        ))
    }

    /// Runs `helm args...` with `stdin`, within the timeout: its stdout, or an error built
    /// from its stderr.
    async fn run(&self, args: &[String], stdin: Option<Vec<u8>>) -> Result<Result<String, String>> {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| self.not_runnable(&e))?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A helm that exits early closes its stdin; its own error is what matters then.
            let _ = pipe.write_all(&bytes).await;
            drop(pipe);
        }
        let timeout = self.timeout.as_std();
        let output = tokio::time::timeout(timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                Error::permanent(format!(
                    "helm `{}` did not finish within {}s",
                    self.binary,
                    timeout.as_secs()
                ))
            })?
            .map_err(|e| Error::permanent(format!("helm `{}`: {e}", self.binary)))?;
        if output.status.success() {
            Ok(Ok(String::from_utf8_lossy(&output.stdout).into_owned()))
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = stderr.trim();
            Ok(Err(if message.is_empty() {
                format!("helm exited with {}", output.status)
            } else {
                message.to_string()
            }))
        }
    }

    /// `helm template` arguments for `release`.
    fn template_args(release: &HelmRelease) -> Vec<String> {
        let mut args: Vec<String> = [
            "template",
            &release.release,
            &release.chart,
            "--namespace",
            &release.namespace,
            "--include-crds",
            "--skip-tests",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for file in &release.values_files {
            args.extend(["--values".to_string(), file.clone()]);
        }
        if !release.values.is_empty() {
            args.extend(["--values".to_string(), "-".to_string()]);
        }
        if !release.check_schema {
            args.push("--skip-schema-validation".to_string());
        }
        args
    }

    async fn inflate_chart(&self, release: &HelmRelease) -> Result<Vec<KubeObject>> {
        let what = format!(
            "chart {} (release {}/{})",
            release.chart, release.namespace, release.release
        );
        check_chart(&release.chart)?;
        for file in &release.values_files {
            if !Path::new(file).is_file() {
                return Err(Error::permanent(format!(
                    "{what}: values file `{file}` not found (paths are relative to the current directory)"
                )));
            }
        }
        let stdin = (!release.values.is_empty())
            .then(|| serde_json::to_vec(&release.values))
            .transpose()
            .map_err(|e| Error::permanent(format!("{what}: cannot encode the values: {e}")))?;
        let output = self
            .run(&Self::template_args(release), stdin)
            .await?
            .map_err(|stderr| {
                Error::permanent(format!("{what}: helm template failed: {stderr}"))
            })?;
        documents::parse(&output, release)
    }

    async fn version(&self) -> Result<Vec<LiveStatus>> {
        let status = match self.run(&["version".to_string()], None).await {
            Ok(Ok(out)) => LiveStatus {
                subject: format!("helm `{}`", self.binary),
                state: "ok".into(),
                detail: out.trim().to_string(),
            },
            Ok(Err(stderr)) => LiveStatus {
                subject: format!("helm `{}`", self.binary),
                state: "failed".into(),
                detail: stderr,
            },
            Err(e) => LiveStatus {
                subject: format!("helm `{}`", self.binary),
                state: "missing".into(),
                detail: e.to_string(),
            },
        };
        Ok(vec![status])
    }
}

/// A chart path that exists: a directory with a `Chart.yaml`, or a file (a packaged chart).
fn check_chart(chart: &str) -> Result<()> {
    let path = Path::new(chart);
    let here = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "?".into());
    if path.is_dir() {
        if path.join("Chart.yaml").is_file() {
            return Ok(());
        }
        return Err(Error::permanent(format!(
            "chart `{chart}` not found: the directory has no Chart.yaml (relative to {here})"
        )));
    }
    if path.is_file() {
        return Ok(());
    }
    Err(Error::permanent(format!(
        "chart `{chart}` not found: no chart directory or packaged .tgz there (relative to {here})"
    )))
}

impl HelmCommand for HelmCli {
    fn inflate<'a>(&'a self, release: &'a HelmRelease) -> BoxFuture<'a, Result<Vec<KubeObject>>> {
        Box::pin(self.inflate_chart(release))
    }

    fn status<'a>(&'a self) -> BoxFuture<'a, Result<Vec<LiveStatus>>> {
        Box::pin(self.version())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_on_stdin_after_the_files_and_the_schema_check_can_be_skipped() {
        let mut release = HelmRelease {
            chart: "charts/demo".into(),
            release: "web".into(),
            namespace: "shop".into(),
            values_files: vec!["base.yaml".into()],
            values: serde_json::Map::new(),
            check_schema: true,
        };
        assert_eq!(
            HelmCli::template_args(&release).join(" "),
            "template web charts/demo --namespace shop --include-crds --skip-tests --values base.yaml"
        );
        release.values.insert("replicaCount".into(), 2.into());
        release.check_schema = false;
        assert_eq!(
            HelmCli::template_args(&release).join(" "),
            "template web charts/demo --namespace shop --include-crds --skip-tests --values base.yaml --values - --skip-schema-validation"
        );
    }

    #[test]
    fn a_missing_helm_says_how_to_provide_one() {
        let helm = HelmCli::new("helm-that-does-not-exist");
        let release = HelmRelease {
            chart: env!("CARGO_MANIFEST_DIR").into(),
            release: "web".into(),
            namespace: "shop".into(),
            values_files: vec![],
            values: serde_json::Map::new(),
            check_schema: true,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // The crate directory is no chart.
        let err = runtime.block_on(helm.inflate(&release)).unwrap_err();
        assert!(err.to_string().contains("has no Chart.yaml"), "{err}");
        let dir_guard = tempfile::tempdir().unwrap();
        let dir = dir_guard.path().to_path_buf();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Chart.yaml"), "name: x\nversion: 0.1.0\n").unwrap();
        let release = HelmRelease {
            chart: dir.display().to_string(),
            ..release
        };
        let err = runtime.block_on(helm.inflate(&release)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("helm not found: no `helm-that-does-not-exist` on the PATH"),
            "{text}"
        );
        assert!(
            text.contains("HelmCommand => HelmCli { binary: \"/path/to/helm\" }"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
