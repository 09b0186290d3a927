//! `Localhost`: the embedded default topology. One host, `localhost`, with two capabilities
//! that need nothing but the local machine: [`FileSystem`] (by [`LocalFiles`]) and
//! [`ProcessSupervisor`] (by [`LocalProcesses`]).

mod diff;
mod files;
mod probe;
mod process;
mod procfs;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use harmony_dsl::capability::{FileSystem, ProcessSupervisor};
use harmony_dsl::topology::HasCapability;
use harmony_dsl::value::IpAddress;
use harmony_dsl::{Arch, CapabilityMap, Error, HostInfo, Topology};

pub use diff::line_diff;
pub use files::LocalFiles;
pub use probe::{http_ok, probe_once};
pub use process::{DEFAULT_PATH, LocalProcesses, MARKER_VAR, Phase, ProcessRecord};

/// The local machine as a topology: files and supervised processes, relative to a project dir.
#[derive(Debug)]
pub struct Localhost {
    project_dir: PathBuf,
    state_dir: RwLock<PathBuf>,
    processes: Arc<LocalProcesses>,
    hosts: Vec<HostInfo>,
    capabilities: CapabilityMap,
}

impl Localhost {
    /// Localhost rooted at `project_dir`; process records go to `<project_dir>/.harmony`.
    pub fn new(project_dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let project_dir = project_dir.into();
        let state_dir = project_dir.join(".harmony");
        Self::with_dirs(project_dir, state_dir)
    }

    /// Localhost rooted at `project_dir`, keeping process records under `state_dir` until the
    /// command line binds its own state directory ([`Topology::bind_state_dir`]).
    pub fn with_dirs(
        project_dir: impl Into<PathBuf>,
        state_dir: impl Into<PathBuf>,
    ) -> Result<Self, Error> {
        let project_dir = absolute(project_dir.into())?;
        let state_dir = absolute(state_dir.into())?;
        let arch = Arch::current().ok_or_else(|| {
            Error::permanent(format!(
                "this machine's architecture `{}` is not one Harmony knows",
                std::env::consts::ARCH
            ))
        })?;
        let address: IpAddress = "127.0.0.1"
            .parse()
            .map_err(|e| Error::permanent(format!("cannot parse 127.0.0.1: {e:?}")))?;
        let hosts = vec![HostInfo {
            name: "localhost",
            arch,
            address: Some(address),
            labels: Vec::new(),
        }];
        let mut capabilities = CapabilityMap::new();
        let files: Arc<dyn FileSystem> = Arc::new(LocalFiles::new(&project_dir));
        capabilities.insert::<dyn FileSystem>("LocalFiles", files);
        let processes = Arc::new(LocalProcesses::new(
            &project_dir,
            state_dir.join("processes"),
        ));
        capabilities.insert::<dyn ProcessSupervisor>(
            "LocalProcesses",
            Arc::clone(&processes) as Arc<dyn ProcessSupervisor>,
        );
        Ok(Localhost {
            project_dir,
            state_dir: RwLock::new(state_dir),
            processes,
            hosts,
            capabilities,
        })
    }

    /// Project dir from `HARMONY_PROJECT_DIR`, else the current directory; state dir from
    /// `HARMONY_STATE_DIR`, else `<project dir>/.harmony`.
    pub fn from_env() -> Result<Self, Error> {
        let project_dir = match std::env::var_os("HARMONY_PROJECT_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_dir().map_err(|e| {
                Error::permanent("cannot read the current directory").with_source(e)
            })?,
        };
        let state_dir = match std::env::var_os("HARMONY_STATE_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => project_dir.join(".harmony"),
        };
        Self::with_dirs(project_dir, state_dir)
    }

    /// The project directory relative paths resolve against.
    pub fn project_dir(&self) -> &Path {
        &self.project_dir
    }

    /// The state directory; process records are kept in its `processes` directory.
    pub fn state_dir(&self) -> PathBuf {
        self.state_dir
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

fn absolute(path: PathBuf) -> Result<PathBuf, Error> {
    std::path::absolute(&path)
        .map_err(|e| Error::permanent(format!("cannot resolve {}", path.display())).with_source(e))
}

impl Topology for Localhost {
    const NAME: &'static str = "Localhost";

    fn hosts(&self) -> &[HostInfo] {
        &self.hosts
    }

    fn capabilities(&self) -> &CapabilityMap {
        &self.capabilities
    }

    /// Process records move to `<dir>/processes` (`dir` made absolute against the current
    /// directory), for the runs that follow.
    fn bind_state_dir(&self, dir: &Path) {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        self.processes.set_run_dir(dir.join("processes"));
        *self
            .state_dir
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = dir;
    }
}

impl HasCapability<dyn FileSystem> for Localhost {}
impl HasCapability<dyn ProcessSupervisor> for Localhost {}
