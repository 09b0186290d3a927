//! The agent's local copy of its desired state, so a device that reboots without network keeps
//! running what it was last told.
//!
//! One file, `<state-dir>/desired.json`, mode 0600 (it holds secret values): every desired key of
//! the device with its revision and the exact bytes read from NATS. Written atomically: a temp
//! file in the same directory, `fsync`, `rename` over the old one, `fsync` of the directory.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use harmony_fleet_wire::DeviceSpec;
use serde::{Deserialize, Serialize};

use harmony_fleet_wire::decode_spec;

/// One desired key as last read from NATS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    /// Its revision in the desired bucket.
    pub revision: u64,
    /// The value as stored (a device spec with secrets in clear).
    pub value: serde_json::Value,
}

impl Desired {
    /// The device spec.
    pub fn spec(&self) -> Result<DeviceSpec, serde_json::Error> {
        decode_spec(&serde_json::to_vec(&self.value)?)
    }
}

/// Everything the device should run, by desired key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalState {
    /// Desired keys and their values.
    pub keys: BTreeMap<String, Desired>,
}

/// Where [`LocalState`] lives on disk.
#[derive(Debug, Clone)]
pub struct LocalStore {
    path: PathBuf,
}

impl LocalStore {
    /// The store in `dir` (created when missing).
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(LocalStore {
            path: dir.join("desired.json"),
        })
    }

    /// Its file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The last saved state; empty when nothing was saved yet.
    pub fn load(&self) -> std::io::Result<LocalState> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{} is not a saved desired state: {e}", self.path.display()),
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LocalState::default()),
            Err(e) => Err(e),
        }
    }

    /// Saves `state` atomically (temp file, fsync, rename, fsync of the directory).
    pub fn save(&self, state: &LocalState) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(state)?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".desired.json.{}.tmp", std::process::id()));
        {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        std::fs::File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load() {
        let dir = std::env::temp_dir().join(format!("harmony-agent-local-{}", std::process::id()));
        let store = LocalStore::open(&dir).unwrap();
        assert_eq!(store.load().unwrap(), LocalState::default());
        let mut state = LocalState::default();
        state.keys.insert(
            "default.north.a".into(),
            Desired {
                revision: 3,
                value: serde_json::json!({"device": "north", "workloads": []}),
            },
        );
        store.save(&state).unwrap();
        assert_eq!(store.load().unwrap(), state);
        assert_eq!(
            state.keys["default.north.a"].spec().unwrap().device,
            "north"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
